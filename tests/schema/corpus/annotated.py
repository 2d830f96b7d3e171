"""Annotated aliases, type_annotation_map, abstract bases, declared_attr and sort_order."""

from __future__ import annotations

import datetime
import enum
from typing import Annotated

from sqlalchemy import CHAR, DateTime, ForeignKey, Integer, SmallInteger, String, func
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

intpk = Annotated[int, mapped_column(primary_key=True)]
str50 = Annotated[str, 50]
timestamp = Annotated[
    datetime.datetime, mapped_column(DateTime(timezone=True), server_default=func.now())
]


class Base(DeclarativeBase):
    type_annotation_map = {str50: String(50), datetime.datetime: DateTime(timezone=True)}


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Shape(enum.Enum):
    SQUARE = "sq"
    CIRCLE = "ci"


class Model(Base):
    __abstract__ = True

    id: Mapped[intpk]
    created: Mapped[timestamp]

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return cls.__name__.lower()


class OwnedMixin:
    @declared_attr
    def owner_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("owner.id"), index=True)


class Owner(Model):
    name: Mapped[str50]
    country: Mapped[str] = mapped_column(CHAR(2), sort_order=-10)


class Widget(OwnedMixin, Model):
    title: Mapped[str50] = mapped_column(unique=True)
    priority: Mapped[Priority] = mapped_column(SmallInteger)
    shape: Mapped[Shape | None]
    shape_v: Mapped[Shape] = mapped_column(
        # values, not names, via values_callable
        SAEnum(Shape, name="shape_values", values_callable=lambda e: [m.value for m in e])
    )
    seen: Mapped[datetime.datetime | None]
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
