"""Render operations to SQL statements for SQLite, PostgreSQL and MySQL/MariaDB.

``render_sql(ops, dialect, old, new)`` returns complete statements (no trailing semicolons) in a
deterministic order; ``create_schema_sql(schema, dialect)`` renders a schema from nothing (the
initial migration).  Both are pure: they never touch a database.

How the apply layer must run the statements
-------------------------------------------
* PostgreSQL: all statements in one transaction (DDL is transactional).  ``ALTER TYPE ... ADD
  VALUE`` is allowed in a transaction on PG 12+; when the same migration uses an added value
  (a default, a fill value) the renderer swaps the type instead, since PG refuses that use
  before COMMIT.
* MySQL/MariaDB: DDL commits implicitly, so a failure half-way cannot be rolled back; statements
  run in order and the first error stops the run.  Narrowing changes carry guards (lengths,
  integer ranges, decimal places, enum values in use) that fail before the MODIFY, so they hold
  even without a strict ``sql_mode``.
* SQLite: open the connection in autocommit mode (Python: ``isolation_level=None``), then::

      if needs_foreign_keys_off(statements):
          PRAGMA foreign_keys=OFF          -- BEFORE BEGIN: inside a transaction it is a no-op
      BEGIN
      ... every statement ...
      PRAGMA foreign_key_check             -- must return no rows, else ROLLBACK
      COMMIT                               -- (ROLLBACK on any error)
      PRAGMA foreign_keys=ON               -- restore the connection's setting

  Table rebuilds (SQLite's 12-step procedure: new table, INSERT ... SELECT, DROP, RENAME,
  recreate indexes) carry their own guards: they record the row counts of the rebuilt table and
  of every table referencing it, and after the rebuild an assertion statement fails (``CHECK
  constraint failed: bb: rows of posts changed ...``) if any count differs; a rebuild migration
  ends with an assertion that ``pragma_foreign_key_check`` is empty.  Lossy casts are refused the
  same way before any row is copied.  ``rebuilt_tables(statements)`` names the rebuilt tables
  (from the ``-- bb:rebuild <table>`` marker line): the apply layer should save the triggers of
  those tables from ``sqlite_master`` before the run and re-create them after, because bb's schema
  does not know them (hand-written migrations may add some).

Assertions on every dialect are plain statements: SQLite and MySQL insert a boolean into a
temporary table whose named CHECK constraint is the message; PostgreSQL uses a ``DO`` block that
raises.  They only read data.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from betterbase_cli.migrate.ops import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    AlterPrimaryKey,
    AlterTableComment,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropTable,
    DropUnique,
    Operation,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
)
from betterbase_cli.records import dataclass, field
from betterbase_cli.schema.model import Column, ColumnType, ForeignKey, Schema, Table

Dialect = Literal["sqlite", "postgresql", "mysql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql", "mysql")
REBUILD_MARKER = "-- bb:rebuild "

# Words that need quoting as identifiers in PostgreSQL or SQLite (MySQL always gets backticks).
RESERVED = frozenset(
    """
    abort action add after all alter always analyse analyze and any array as asc asymmetric
    attach authorization autoincrement before begin between binary both by cascade case cast
    check collate column commit conflict constraint create cross current current_date
    current_role current_time current_timestamp current_user database default deferrable
    deferred delete desc detach distinct do drop each else end escape except exclude exclusive
    exists explain fail false fetch filter first for foreign freeze from full generated glob
    grant group groups having if ignore ilike immediate in index indexed initially inner insert
    instead intersect into is isnull join key last lateral leading left like limit localtime
    localtimestamp match natural no not nothing notnull null nulls of offset on only or order
    others outer over overlaps partition placing plan pragma primary query raise range
    recursive references regexp reindex release rename replace restrict returning right row
    rows savepoint select session_user set similar some symmetric table tablesample temp
    temporary then ties to trailing transaction trigger true union unique update user using
    vacuum values variadic verbose view virtual when where window with within without
    """.split()
)
# A random UUID in the form the column stores: native on PostgreSQL, 32 hex digits (SQLAlchemy's
# Uuid on SQLite and MySQL, CHAR(32)) elsewhere.
UUID_DEFAULTS: dict[str, str] = {
    "postgresql": "gen_random_uuid()",
    "sqlite": "(lower(hex(randomblob(16))))",
    "mysql": "(REPLACE(UUID(), '-', ''))",
}
_SIMPLE = re.compile(r"^[a-z_][a-z0-9_]*$")
_LITERAL = re.compile(r"^('(?:[^']|'')*'|[+-]?\d+(\.\d+)?|TRUE|FALSE|NULL)$", re.IGNORECASE)


def is_literal(expression: str) -> bool:
    return bool(_LITERAL.match(expression.strip()))


def sql_string(value: str, dialect: Dialect) -> str:
    text = value.replace("'", "''")
    if dialect == "mysql":
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


# Comparisons, arithmetic, AND/OR/NOT, IS [NOT] NULL, IN (...) lists, identifiers and literals
# read the same in every dialect; only function calls, casts and quoting need sqlglot.
_NEUTRAL = re.compile(r"^(?:[\w\s.,=<>!+\-*/%()]|'(?:[^']|'')*')*$")
_CALL = re.compile(r"\b(?!(?:in|and|or|not)\s*\()[A-Za-z_]\w*\s*\(", re.IGNORECASE)


def transpile(expression: str, dialect: Dialect) -> str:
    """A dialect-neutral SQL expression in ``dialect`` (sqlglot; the text itself if it cannot
    be parsed, so an unusual expression reaches the database and fails there, visibly)."""
    if is_literal(expression) or expression in ("CURRENT_TIMESTAMP", "CURRENT_DATE"):
        return expression
    if _NEUTRAL.match(expression) and not _CALL.search(expression):
        return expression
    return _transpile(expression, dialect)


@functools.lru_cache(maxsize=1024)
def _transpile(expression: str, dialect: Dialect) -> str:
    import sqlglot
    from sqlglot.errors import ParseError

    write = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql"}[dialect]
    try:
        return sqlglot.transpile(expression, write=write)[0]
    except (ParseError, IndexError, ValueError):
        return expression


def apply_renames(schema: Schema, operations: Iterable[Operation]) -> Schema:
    """``schema`` after the RenameTable/RenameColumn operations in ``operations``."""
    from betterbase_cli.migrate.diff import _apply_renames

    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    for op in operations:
        if isinstance(op, RenameTable):
            tables[op.old] = op.new
        elif isinstance(op, RenameColumn):
            columns.setdefault(op.table, {})[op.old] = op.new
    if not tables and not columns:
        return schema
    return _apply_renames(schema, tables, columns)


@dataclass
class Renderer:
    """Shared machinery; one subclass per dialect renders each operation type."""

    old: Schema
    new: Schema
    operations: tuple[Operation, ...] = ()
    dialect: Dialect = "sqlite"
    out: list[str] = field(default_factory=list)
    _asserts: int = 0

    def __post_init__(self) -> None:
        self.mid = apply_renames(self.old, self.operations)
        self.created = {op.table.name for op in self.operations if isinstance(op, CreateTable)}
        self.dropped = {op.table.name for op in self.operations if isinstance(op, DropTable)}

    # --- names and values ----------------------------------------------------------------------

    def q(self, name: str) -> str:
        if _SIMPLE.match(name) and name not in RESERVED:
            return name
        return '"' + name.replace('"', '""') + '"'

    def cols(self, names: Iterable[str]) -> str:
        return ", ".join(self.q(n) for n in names)

    def lit(self, value: str) -> str:
        return sql_string(value, self.dialect)

    def enum_values(self, name: str | None) -> tuple[str, ...]:
        for schema in (self.new, self.old):
            for enum in schema.enums:
                if enum.name == name:
                    return enum.values
        return ()

    def default_sql(self, column: Column) -> str | None:
        value = column.server_default
        if value is None:
            return None
        if value == "gen_random_uuid()":
            return UUID_DEFAULTS[self.dialect]
        if value.upper() in ("TRUE", "FALSE"):
            return value.upper()
        if is_literal(value) or value in ("CURRENT_TIMESTAMP", "CURRENT_DATE"):
            return value
        return f"({transpile(value, self.dialect)})"

    def check_sql(self, expression: str) -> str:
        return transpile(expression, self.dialect)

    # --- types and definitions (overridden per dialect) ----------------------------------------

    def type_sql(self, column: Column, table: Table | None = None) -> str:
        raise NotImplementedError

    def column_sql(self, column: Column, table: Table | None = None) -> str:
        parts = [self.q(column.name), self.type_sql(column, table)]
        default = self.default_sql(column)
        if default is not None:
            parts.append(f"DEFAULT {default}")
        if not column.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    def fk_sql(self, fk: ForeignKey) -> str:
        text = (
            f"CONSTRAINT {self.q(fk.name)} FOREIGN KEY ({self.cols(fk.columns)}) "
            f"REFERENCES {self.q(fk.ref_table)} ({self.cols(fk.ref_columns)})"
        )
        if fk.on_delete:
            text += f" ON DELETE {fk.on_delete}"
        if fk.on_update:
            text += f" ON UPDATE {fk.on_update}"
        return text

    def table_items(self, table: Table, skip_fks: Sequence[str] = ()) -> list[str]:
        """Column definitions and table constraints of a CREATE TABLE."""
        items = [self.column_sql(c, table) for c in table.columns]
        if table.primary_key:
            items.append(self.primary_key_sql(table))
        items.extend(self.inline_uniques(table))
        items.extend(
            f"CONSTRAINT {self.q(c.name)} CHECK ({self.check_sql(c.expression)})"
            for c in table.checks
        )
        items.extend(self.fk_sql(fk) for fk in table.foreign_keys if fk.name not in skip_fks)
        return items

    def primary_key_sql(self, table: Table) -> str:
        name = table.primary_key_name
        prefix = f"CONSTRAINT {self.q(name)} " if name else ""
        return f"{prefix}PRIMARY KEY ({self.cols(table.primary_key)})"

    def inline_uniques(self, table: Table) -> list[str]:
        return [
            f"CONSTRAINT {self.q(u.name)} UNIQUE ({self.cols(u.columns)})" for u in table.uniques
        ]

    def create_table_sql(
        self, table: Table, name: str | None = None, skip_fks: Sequence[str] = ()
    ) -> str:
        body = ",\n    ".join(self.table_items(table, skip_fks))
        return (
            f"CREATE TABLE {self.q(name or table.name)} (\n    {body}\n){self.table_options(table)}"
        )

    def table_options(self, table: Table) -> str:
        return ""

    def index_sql(self, table: str, name: str, columns: Sequence[str], unique: bool) -> str:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return f"CREATE {kind} {self.q(name)} ON {self.q(table)} ({self.cols(columns)})"

    def table_indexes(self, table: Table) -> list[str]:
        return [self.index_sql(table.name, i.name, i.columns, i.unique) for i in table.indexes]

    # --- assertions ----------------------------------------------------------------------------

    def assert_sql(self, condition: str, message: str) -> list[str]:
        """Statements that fail with ``message`` unless the SQL boolean ``condition`` holds."""
        self._asserts += 1
        name = f"__bb_assert_{self._asserts}"
        text = ("bb: " + message).replace('"', "'")
        return [
            f'CREATE TEMPORARY TABLE {name} (ok INTEGER, CONSTRAINT "{text}" CHECK (ok = 1))',
            f"INSERT INTO {name} (ok) SELECT CASE WHEN {condition} THEN 1 ELSE 0 END",
            f"DROP TABLE {name}",
        ]

    def no_rows(self, table: str, where: str, message: str) -> list[str]:
        return self.assert_sql(f"NOT EXISTS (SELECT 1 FROM {self.q(table)} WHERE {where})", message)

    def narrowing_checks(self, table: str, old: Column, new: Column) -> list[str]:
        """Refuse conversions that would change values silently (the database itself fails on
        the others: too-long strings, integer overflow, unknown enum values)."""
        c = self.q(new.name)
        a, b = old.type, new.type
        if a.name == "numeric" and b.name == "numeric" and (b.scale or 0) < (a.scale or 0):
            return self.no_rows(
                table,
                f"{c} <> ROUND({c}, {b.scale or 0})",
                f"{table}.{new.name} has values with more than {b.scale or 0} decimal places",
            )
        if a.name in ("string", "text") and b.name in ("integer", "bigint", "smallint"):
            return self.no_rows(
                table,
                f"{c} IS NOT NULL AND {self.cast_text(self.cast_int(c))} <> {c}",
                f"{table}.{new.name} has values that are not integers",
            )
        if a.name in ("float", "double", "numeric") and b.name in ("integer", "bigint", "smallint"):
            return self.no_rows(
                table,
                f"{c} IS NOT NULL AND {self.cast_int(c)} <> {c}",
                f"{table}.{new.name} has values with decimals",
            )
        return []

    def cast_int(self, expression: str) -> str:
        return f"CAST({expression} AS INTEGER)"

    def cast_text(self, expression: str) -> str:
        return f"CAST({expression} AS TEXT)"

    # --- dispatch ------------------------------------------------------------------------------

    def render(self) -> list[str]:
        for op in self.operations:
            self.out.extend(self.render_op(op))
        return self.out

    def render_op(self, op: Operation) -> list[str]:
        method = getattr(self, "op_" + _snake(type(op).__name__))
        result: list[str] = method(op)
        return result

    # Every dialect implements these (op_create_table, op_drop_table, ...).


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _renderer(dialect: Dialect) -> type[Renderer]:
    if dialect == "sqlite":
        from betterbase_cli.migrate.render_sqlite import SqliteRenderer

        return SqliteRenderer
    if dialect == "postgresql":
        from betterbase_cli.migrate.render_postgresql import PostgresRenderer

        return PostgresRenderer
    if dialect == "mysql":
        from betterbase_cli.migrate.render_mysql import MysqlRenderer

        return MysqlRenderer
    raise ValueError(f"unknown dialect {dialect!r}")


def render_sql(
    operations: Sequence[Operation], dialect: Dialect, old: Schema, new: Schema
) -> list[str]:
    """The statements that carry out ``operations`` (from ``diff(old, new)``) on ``dialect``."""
    from betterbase_cli.migrate.diff import canonical

    renderer = _renderer(dialect)(canonical(old), canonical(new), tuple(operations), dialect)
    return renderer.render()


def create_schema_sql(schema: Schema, dialect: Dialect) -> list[str]:
    """Every CREATE statement for ``schema`` on an empty database (the initial migration)."""
    from betterbase_cli.migrate.diff import diff

    empty = Schema()
    return render_sql(diff(empty, schema).operations, dialect, empty, schema)


def _is_rebuild(op: Operation) -> bool:
    return isinstance(
        op,
        (
            AddForeignKey,
            DropForeignKey,
            AddCheck,
            DropCheck,
            AlterPrimaryKey,
            AlterColumn,
            AddColumn,
            DropColumn,
        ),
    )


def needs_foreign_keys_off(statements_or_ops: Sequence[str] | Sequence[Operation]) -> bool:
    """True when a SQLite migration rebuilds or drops a table, so the apply layer must run
    ``PRAGMA foreign_keys=OFF`` before BEGIN (see the module docstring).  Given statements, it
    looks for the rebuild marker and DROP TABLE; given operations, it is conservative (any
    operation that may need a rebuild, and any DropTable)."""
    for item in statements_or_ops:
        if isinstance(item, str):
            upper = item.lstrip().upper()
            if item.lstrip().startswith(REBUILD_MARKER) or upper.startswith("DROP TABLE"):
                if "__BB_ASSERT_" not in upper:
                    return True
        elif isinstance(item, DropTable) or _is_rebuild(item):
            return True
    return False


def rebuilt_tables(statements: Iterable[str]) -> tuple[str, ...]:
    """Tables a SQLite migration rebuilds, from the ``-- bb:rebuild <table>`` marker lines."""
    found = []
    for statement in statements:
        for line in statement.splitlines():
            if line.startswith(REBUILD_MARKER):
                found.append(line[len(REBUILD_MARKER) :].split()[0])
    return tuple(found)


# Re-exported for the dialect modules.
__all__ = [
    "DIALECTS",
    "AddCheck",
    "AddColumn",
    "AddForeignKey",
    "AddUnique",
    "AlterColumn",
    "AlterEnum",
    "AlterPrimaryKey",
    "AlterTableComment",
    "ColumnType",
    "CreateEnum",
    "CreateIndex",
    "CreateTable",
    "Dialect",
    "DropCheck",
    "DropColumn",
    "DropEnum",
    "DropForeignKey",
    "DropIndex",
    "DropTable",
    "DropUnique",
    "RenameConstraint",
    "RenameIndex",
    "Renderer",
    "create_schema_sql",
    "needs_foreign_keys_off",
    "rebuilt_tables",
    "render_sql",
]
