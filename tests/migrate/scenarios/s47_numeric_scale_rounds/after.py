# ruff: noqa  -- scenario fixture
"""s47_numeric_scale_rounds: after. NUMERIC(12,4) -> NUMERIC(10,2) with 1.2345: PostgreSQL and MariaDB would round silently; bb refuses."""

import datetime
import decimal
import enum
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    balance: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2))
