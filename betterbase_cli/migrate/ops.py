"""Schema-change operations: frozen dataclasses the diff produces and the renderers turn into SQL.

Each operation knows how to describe itself in one line, whether it creates (``+``), alters
(``!``) or drops (``-``) something, whether it can destroy data, and its reverse where one exists.
Operations are dialect-neutral; ``render.py`` decides how each dialect carries them out.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from betterbase_cli.records import dataclass
from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Table,
    UniqueConstraint,
)

Symbol = Literal["+", "!", "-"]

INTEGER_WIDTH = {"smallint": 1, "integer": 2, "bigint": 3}
FLOAT_WIDTH = {"float": 1, "double": 2}


def column_spec(column: Column) -> str:
    """``string(200) NOT NULL DEFAULT 'x'``: the column as one short phrase."""
    parts = [str(column.type)]
    parts.append("NULL" if column.nullable else "NOT NULL")
    if column.autoincrement:
        parts.append("autoincrement")
    if column.server_default is not None:
        parts.append(f"DEFAULT {column.server_default}")
    return " ".join(parts)


def is_narrowing(old: ColumnType, new: ColumnType) -> bool:
    """True when converting values of ``old`` to ``new`` can fail, truncate or round.

    Widening (and equal) conversions are: a longer or length-less string, string -> text,
    enum -> string/text, smallint -> integer -> bigint, float -> double, numeric with at least as
    many integer digits and decimal places, naive <-> aware datetime.  Everything else is narrowing.
    """
    if old == new:
        return False
    a, b = old.name, new.name
    if a == b == "string":
        if b == "string" and new.length is None:
            return False
        return old.length is None or (new.length is not None and new.length < old.length)
    if a in ("string", "enum") and b == "text":
        return False
    if a == "enum" and b == "string":
        return False  # the renderer checks lengths where a dialect enforces them
    if a in INTEGER_WIDTH and b in INTEGER_WIDTH:
        return INTEGER_WIDTH[b] < INTEGER_WIDTH[a]
    if a in FLOAT_WIDTH and b in FLOAT_WIDTH:
        return FLOAT_WIDTH[b] < FLOAT_WIDTH[a]
    if a == b == "numeric":
        if new.precision is None:
            return False
        if old.precision is None:
            return True
        old_scale, new_scale = old.scale or 0, new.scale or 0
        return new_scale < old_scale or (new.precision - new_scale) < (old.precision - old_scale)
    if a == b == "datetime":
        return False  # only the timezone flag differs
    if a in INTEGER_WIDTH and b == "numeric":
        return False
    return True


class Operation:
    """Base class of every schema change."""

    symbol: ClassVar[Symbol] = "!"

    @property
    def destructive(self) -> bool:
        return False

    @property
    def table_name(self) -> str | None:
        """The table the operation works on (its name after the operation), if any."""
        table = getattr(self, "table", None)
        return table if isinstance(table, str) else None

    def describe(self) -> str:
        raise NotImplementedError

    def reverse(self) -> Operation | None:
        return None

    def __str__(self) -> str:
        return f"{self.symbol} {self.describe()}"


# --- enums -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateEnum(Operation):
    enum: Enum
    symbol: ClassVar[Symbol] = "+"

    def describe(self) -> str:
        return f"create enum {self.enum.name} ({', '.join(self.enum.values)})"

    def reverse(self) -> Operation:
        return DropEnum(self.enum)


@dataclass(frozen=True)
class DropEnum(Operation):
    enum: Enum
    symbol: ClassVar[Symbol] = "-"

    def describe(self) -> str:
        return f"drop enum {self.enum.name}"

    def reverse(self) -> Operation:
        return CreateEnum(self.enum)


@dataclass(frozen=True)
class AlterEnum(Operation):
    """Values added and/or removed.  ``columns`` are the (table, column) pairs that use the enum
    when the operation runs (after renames and drops), which a type swap must convert."""

    name: str
    old_values: tuple[str, ...]
    new_values: tuple[str, ...]
    columns: tuple[tuple[str, Column], ...] = ()
    symbol: ClassVar[Symbol] = "!"

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(v for v in self.new_values if v not in self.old_values)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(v for v in self.old_values if v not in self.new_values)

    @property
    def only_appends_or_inserts(self) -> bool:
        """True when every old value is kept in the same relative order (ADD VALUE suffices)."""
        kept = [v for v in self.new_values if v in self.old_values]
        return not self.removed and kept == list(self.old_values)

    @property
    def destructive(self) -> bool:
        return bool(self.removed)

    def describe(self) -> str:
        parts = []
        if self.added:
            parts.append("add " + ", ".join(repr(v) for v in self.added))
        if self.removed:
            parts.append("remove " + ", ".join(repr(v) for v in self.removed))
        if not parts:
            parts.append("reorder values")
        return f"alter enum {self.name}: {'; '.join(parts)}"

    def reverse(self) -> Operation:
        return AlterEnum(self.name, self.new_values, self.old_values, self.columns)


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTable(Operation):
    """``deferred_foreign_keys`` name foreign keys closing a cycle: dialects that check the
    target at CREATE time add them afterwards through the matching AddForeignKey operation."""

    table: Table
    deferred_foreign_keys: tuple[str, ...] = ()
    symbol: ClassVar[Symbol] = "+"

    @property
    def table_name(self) -> str:
        return self.table.name

    def describe(self) -> str:
        return f"create table {self.table.name} ({len(self.table.columns)} columns)"

    def reverse(self) -> Operation:
        return DropTable(self.table)


@dataclass(frozen=True)
class DropTable(Operation):
    table: Table
    symbol: ClassVar[Symbol] = "-"

    @property
    def table_name(self) -> str:
        return self.table.name

    @property
    def destructive(self) -> bool:
        return True

    def describe(self) -> str:
        return f"drop table {self.table.name} (its rows are deleted)"

    def reverse(self) -> Operation:
        return CreateTable(self.table)


@dataclass(frozen=True)
class RenameTable(Operation):
    old: str
    new: str
    symbol: ClassVar[Symbol] = "!"

    @property
    def table_name(self) -> str:
        return self.new

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"

    def reverse(self) -> Operation:
        return RenameTable(self.new, self.old)


@dataclass(frozen=True)
class AlterTableComment(Operation):
    table: str
    old: str | None
    new: str | None
    symbol: ClassVar[Symbol] = "!"

    def describe(self) -> str:
        return f"alter table {self.table}: comment {self.new!r}"

    def reverse(self) -> Operation:
        return AlterTableComment(self.table, self.new, self.old)


# --- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddColumn(Operation):
    """``fill`` is the SQL literal that existing rows get when the column is NOT NULL without a
    server default (a decision the user made); None otherwise."""

    table: str
    column: Column
    fill: str | None = None
    symbol: ClassVar[Symbol] = "+"

    def describe(self) -> str:
        text = f"add column {self.table}.{self.column.name} {column_spec(self.column)}"
        if self.fill is not None:
            text += f" (existing rows get {self.fill})"
        if self.column.type.name == "string" and self.column.type.length is None:
            text += " (VARCHAR(255) on MySQL)"
        return text

    def reverse(self) -> Operation:
        return DropColumn(self.table, self.column)


@dataclass(frozen=True)
class DropColumn(Operation):
    table: str
    column: Column
    symbol: ClassVar[Symbol] = "-"

    @property
    def destructive(self) -> bool:
        return True

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column.name} (its values are deleted)"

    def reverse(self) -> Operation:
        return AddColumn(self.table, self.column)


@dataclass(frozen=True)
class RenameColumn(Operation):
    table: str
    old: str
    new: str
    symbol: ClassVar[Symbol] = "!"

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"

    def reverse(self) -> Operation:
        return RenameColumn(self.table, self.new, self.old)


@dataclass(frozen=True)
class AlterColumn(Operation):
    """A change of type, nullability, server default or comment.  ``fill`` is the SQL literal
    that replaces NULLs when the column becomes NOT NULL (a decision), None otherwise."""

    table: str
    old: Column
    new: Column
    fill: str | None = None
    # Set by the diff where the types alone cannot tell (enum values): True when values can be
    # lost or refused, False when every old value fits the new type.
    lossy: bool | None = None
    symbol: ClassVar[Symbol] = "!"

    @property
    def type_changed(self) -> bool:
        return self.old.type != self.new.type

    @property
    def nullable_changed(self) -> bool:
        return self.old.nullable != self.new.nullable

    @property
    def default_changed(self) -> bool:
        return self.old.server_default != self.new.server_default

    @property
    def comment_changed(self) -> bool:
        return self.old.comment != self.new.comment

    @property
    def autoincrement_changed(self) -> bool:
        return self.old.autoincrement != self.new.autoincrement

    @property
    def narrowing(self) -> bool:
        if not self.type_changed:
            return False
        return self.lossy if self.lossy is not None else is_narrowing(self.old.type, self.new.type)

    @property
    def destructive(self) -> bool:
        return self.narrowing

    def describe(self) -> str:
        changes = []
        if self.type_changed:
            narrowing = " (narrowing: values that do not fit stop the migration)"
            changes.append(
                f"type {self.old.type} -> {self.new.type}{narrowing if self.narrowing else ''}"
            )
        if self.nullable_changed:
            changes.append("set NOT NULL" if not self.new.nullable else "drop NOT NULL")
            if self.fill is not None:
                changes[-1] += f" (NULLs become {self.fill})"
        if self.default_changed:
            changes.append(
                "drop default"
                if self.new.server_default is None
                else f"default {self.new.server_default}"
            )
        if self.autoincrement_changed:
            changes.append("autoincrement" if self.new.autoincrement else "no autoincrement")
        if self.comment_changed:
            changes.append(f"comment {self.new.comment!r}")
        return f"alter column {self.table}.{self.new.name}: {', '.join(changes)}"

    def reverse(self) -> Operation:
        return AlterColumn(self.table, self.new, self.old)


@dataclass(frozen=True)
class AlterPrimaryKey(Operation):
    table: str
    old_columns: tuple[str, ...]
    new_columns: tuple[str, ...]
    old_name: str | None = None
    new_name: str | None = None
    symbol: ClassVar[Symbol] = "!"

    def describe(self) -> str:
        old = ", ".join(self.old_columns) or "none"
        new = ", ".join(self.new_columns) or "none"
        return f"alter primary key of {self.table}: ({old}) -> ({new})"

    def reverse(self) -> Operation:
        return AlterPrimaryKey(
            self.table, self.new_columns, self.old_columns, self.new_name, self.old_name
        )


# --- indexes and constraints -------------------------------------------------------------------


@dataclass(frozen=True)
class CreateIndex(Operation):
    table: str
    index: Index
    symbol: ClassVar[Symbol] = "+"

    def describe(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        return f"create {kind} {self.index.name} on {self.table} ({', '.join(self.index.columns)})"

    def reverse(self) -> Operation:
        return DropIndex(self.table, self.index)


@dataclass(frozen=True)
class DropIndex(Operation):
    table: str
    index: Index
    symbol: ClassVar[Symbol] = "-"

    def describe(self) -> str:
        return f"drop index {self.index.name} on {self.table}"

    def reverse(self) -> Operation:
        return CreateIndex(self.table, self.index)


@dataclass(frozen=True)
class RenameIndex(Operation):
    table: str
    old: str
    new: str
    index: Index  # the definition under its new name
    symbol: ClassVar[Symbol] = "!"

    def describe(self) -> str:
        return f"rename index {self.old} on {self.table} to {self.new}"

    def reverse(self) -> Operation:
        from betterbase_cli.records import replace

        return RenameIndex(self.table, self.new, self.old, replace(self.index, name=self.old))


ConstraintKind = Literal["unique", "foreign_key", "check", "primary_key"]


@dataclass(frozen=True)
class RenameConstraint(Operation):
    table: str
    kind: ConstraintKind
    old: str
    new: str
    symbol: ClassVar[Symbol] = "!"

    def describe(self) -> str:
        return f"rename {self.kind.replace('_', ' ')} {self.old} on {self.table} to {self.new}"

    def reverse(self) -> Operation:
        return RenameConstraint(self.table, self.kind, self.new, self.old)


@dataclass(frozen=True)
class AddUnique(Operation):
    table: str
    unique: UniqueConstraint
    symbol: ClassVar[Symbol] = "+"

    def describe(self) -> str:
        cols = ", ".join(self.unique.columns)
        return f"add unique {self.unique.name} on {self.table} ({cols})"

    def reverse(self) -> Operation:
        return DropUnique(self.table, self.unique)


@dataclass(frozen=True)
class DropUnique(Operation):
    table: str
    unique: UniqueConstraint
    symbol: ClassVar[Symbol] = "-"

    def describe(self) -> str:
        return f"drop unique {self.unique.name} on {self.table}"

    def reverse(self) -> Operation:
        return AddUnique(self.table, self.unique)


def _fk_text(fk: ForeignKey) -> str:
    text = f"({', '.join(fk.columns)}) -> {fk.ref_table} ({', '.join(fk.ref_columns)})"
    if fk.on_delete:
        text += f" ON DELETE {fk.on_delete}"
    if fk.on_update:
        text += f" ON UPDATE {fk.on_update}"
    return text


@dataclass(frozen=True)
class AddForeignKey(Operation):
    table: str
    foreign_key: ForeignKey
    symbol: ClassVar[Symbol] = "+"

    def describe(self) -> str:
        return (
            f"add foreign key {self.foreign_key.name} on {self.table} {_fk_text(self.foreign_key)}"
        )

    def reverse(self) -> Operation:
        return DropForeignKey(self.table, self.foreign_key)


@dataclass(frozen=True)
class DropForeignKey(Operation):
    table: str
    foreign_key: ForeignKey
    symbol: ClassVar[Symbol] = "-"

    def describe(self) -> str:
        return f"drop foreign key {self.foreign_key.name} on {self.table}"

    def reverse(self) -> Operation:
        return AddForeignKey(self.table, self.foreign_key)


@dataclass(frozen=True)
class AddCheck(Operation):
    table: str
    check: CheckConstraint
    symbol: ClassVar[Symbol] = "+"

    def describe(self) -> str:
        return f"add check {self.check.name} on {self.table} ({self.check.expression})"

    def reverse(self) -> Operation:
        return DropCheck(self.table, self.check)


@dataclass(frozen=True)
class DropCheck(Operation):
    table: str
    check: CheckConstraint
    symbol: ClassVar[Symbol] = "-"

    def describe(self) -> str:
        return f"drop check {self.check.name} on {self.table}"

    def reverse(self) -> Operation:
        return AddCheck(self.table, self.check)


def summary(operations: tuple[Operation, ...] | list[Operation]) -> str:
    """``3 changes: 1 create, 1 alter, 1 drop (1 destroys data)``."""
    if not operations:
        return "no changes"
    counts = {"+": 0, "!": 0, "-": 0}
    for op in operations:
        counts[op.symbol] += 1
    words = {"+": "create", "!": "alter", "-": "drop"}
    parts = [f"{n} {words[s]}" for s, n in counts.items() if n]
    destructive = sum(1 for op in operations if op.destructive)
    noun = "change" if len(operations) == 1 else "changes"
    text = f"{len(operations)} {noun}: {', '.join(parts)}"
    if destructive:
        text += f" ({destructive} destroy{'s' if destructive == 1 else ''} data)"
    return text
