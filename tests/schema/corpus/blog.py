"""A blog: enums, self-references, association tables, table args, naming convention."""
# ruff: noqa: UP045  (Optional[...] on purpose: the reader must understand both spellings)

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import JSON, ForeignKey, MetaData, String, func
from sqlalchemy import Text as LongText
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON}


class PostStatus(str, enum.Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Role(enum.Enum):
    ADMIN = "admin"
    MEMBER = "member"


post_tags = sa.Table(
    "post_tags",
    Base.metadata,
    sa.Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[Optional[str]] = mapped_column(String(100), comment="display name")
    role: Mapped[Role] = mapped_column(server_default="MEMBER")
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    balance: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(12, 2), server_default=sa.text("0"))
    is_active: Mapped[bool] = mapped_column(server_default=sa.true())
    is_staff: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=func.now()
    )
    last_seen: Mapped[Optional[datetime.date]]

    manager: Mapped[Optional[User]] = relationship(remote_side=[id])
    posts: Mapped[list[Post]] = relationship(back_populates="author")

    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_nonneg"),
        {"comment": "people who write"},
    )


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(LongText)
    status: Mapped[PostStatus] = mapped_column(
        sa.Enum(PostStatus, name="post_status"), server_default="draft"
    )
    score: Mapped[float]
    views: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    published_at: Mapped[datetime.datetime | None]

    author: Mapped[User] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags)

    __table_args__ = (
        sa.Index("ix_posts_author_published", "author_id", "published_at"),
        sa.UniqueConstraint("author_id", "title"),
        sa.CheckConstraint("views >= 0", name="views_positive"),
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50), unique=True)


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    group: Mapped[str] = mapped_column(String(30), primary_key=True)
    role: Mapped[str] = mapped_column(
        sa.Enum("owner", "editor", "viewer", name="membership_role"), server_default="viewer"
    )


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    body: Mapped[str] = mapped_column(sa.Text, nullable=True)
    created: Mapped[datetime.datetime] = mapped_column(server_default=sa.text("CURRENT_TIMESTAMP"))
