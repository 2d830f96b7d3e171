"""The classic style: declarative_base(), Column(...), aliases, no naming convention."""

import sqlalchemy
from sqlalchemy import BigInteger, Column, ForeignKey, Integer
from sqlalchemy import String as S
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Account(Base):
    __tablename__ = "accounts"

    id = Column(Integer, primary_key=True)
    name = Column(S(50), nullable=False)
    nickname = Column("nick", S(30))
    code = Column(S(8), unique=True, nullable=False)
    amount = Column(sqlalchemy.Numeric(10, 4), server_default="0")
    notes = Column(sqlalchemy.Text)
    created = Column(sqlalchemy.DateTime, server_default=sqlalchemy.func.current_timestamp())
    entries = relationship("Entry", back_populates="account")


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (
        sqlalchemy.UniqueConstraint("account_id", "seq", name="uq_entry_seq"),
        sqlalchemy.Index(None, "account_id", "booked"),
    )

    id = Column(BigInteger, primary_key=True, autoincrement=True)
    account_id = Column(ForeignKey("accounts.id", ondelete="RESTRICT"), nullable=False)
    seq = Column(Integer, nullable=False)
    booked = Column(sqlalchemy.Date, index=True)
    flag = Column(sqlalchemy.Boolean, default=False)
    payload = Column(sqlalchemy.JSON)
    raw = Column(sqlalchemy.LargeBinary)
    at = Column(sqlalchemy.Time)
    span = Column(sqlalchemy.Interval)
    ratio = Column(sqlalchemy.Float)
    account = relationship("Account", back_populates="entries")


audit = sqlalchemy.Table(
    "audit",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", ForeignKey("entries.id", name="audit_entry_fk", ondelete="set null")),
    Column("what", S(200), nullable=False, comment="what happened"),
    sqlalchemy.CheckConstraint("length(what) > 0", name="ck_audit_what"),
    comment="an audit trail",
)
