# ruff: noqa  -- scenario fixture: the project template's models
"""The models: the single source of truth for tables.

Edit the classes below, then run `bb migrate` to write and apply a migration.
bb reads this file as text (it never imports it), so keep models in plain SQLAlchemy 2.0 style.
"""

from __future__ import annotations

import datetime
import enum
import uuid

from sqlalchemy import DateTime, ForeignKey, Index, MetaData, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names that bb and SQLAlchemy agree on, so migrations can always drop what they made.
NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """created_at / updated_at, set by the database."""

    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SoftDeleteMixin:
    """A deleted_at column: set it instead of deleting the row."""

    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))


class UUIDPrimaryKey:
    """A UUID primary key generated in Python, so it works the same on every database."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


# --- Example table: rename it, change it or delete it, then run `bb migrate`. ---------------
class Note(TimestampMixin, Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
