"""Joined and single-table inheritance, and with_variant types."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "employee"}


class Manager(Employee):
    """Single-table: its columns live in employees."""

    reports: Mapped[int | None]

    __mapper_args__ = {"polymorphic_identity": "manager"}


class Engineer(Employee):
    """Joined-table: its own table, keyed by the parent's id."""

    __tablename__ = "engineers"

    id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(30))

    __mapper_args__ = {"polymorphic_identity": "engineer"}
