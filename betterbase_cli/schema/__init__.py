"""The schema model and its readers and writers."""

from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Location,
    Relation,
    Schema,
    Table,
    UniqueConstraint,
)

__all__ = [
    "CheckConstraint",
    "Column",
    "ColumnType",
    "Enum",
    "ForeignKey",
    "Index",
    "Location",
    "Relation",
    "Schema",
    "Table",
    "UniqueConstraint",
]
