"""SQLite rendering: ALTER TABLE where SQLite allows it, the 12-step table rebuild otherwise.

Choices (each keeps SQLite's limits in mind and avoids a rebuild where none is needed):
* Unique constraints are unique indexes (``CREATE UNIQUE INDEX uq_...``), so they can be added
  and dropped by name without a rebuild; ``PRIMARY KEY`` is a table constraint.
* A type change that keeps the column's type affinity (VARCHAR(50) -> VARCHAR(200),
  INTEGER -> BIGINT, NUMERIC(10,2) -> NUMERIC(12,4), enum values) emits nothing: SQLite does not
  enforce lengths or widths, so the stored values are already valid; the declared type is
  updated the next time the table is rebuilt.  Renaming a foreign key or check constraint also
  emits nothing (the name lives only in the CREATE TABLE text).
* Enums are VARCHAR(longest value) without a CHECK (SQLAlchemy's default), so enum changes emit
  nothing.
* ``ADD COLUMN`` is used unless the column is NOT NULL without a constant default, has a
  non-constant default (CURRENT_TIMESTAMP, expressions), is part of the primary key, or carries
  a foreign key with a non-NULL default; otherwise, and for nullability/default changes, affinity
  changes, primary-key, foreign-key and check changes, the table is rebuilt once per migration
  into its final shape.
"""

from __future__ import annotations

import re

from betterbase_cli.migrate.ops import Operation, RenameColumn, RenameTable
from betterbase_cli.migrate.render import (
    REBUILD_MARKER,
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
    RenameConstraint,
    RenameIndex,
    Renderer,
    is_literal,
)
from betterbase_cli.schema.model import Column, ColumnType, Table

_TYPES = {
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "text": "TEXT",
    "boolean": "BOOLEAN",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "datetime": "DATETIME",
    "time": "TIME",
    "interval": "DATETIME",  # SQLAlchemy stores Interval as a datetime offset from the epoch
    "uuid": "CHAR(32)",  # SQLAlchemy's Uuid on SQLite: 32 hex digits
    "json": "JSON",
    "binary": "BLOB",
}


def affinity(declared: str) -> str:
    """SQLite's type-affinity rules (https://www.sqlite.org/datatype3.html#determination_of_column_affinity)."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "REAL"
    return "NUMERIC"


class SqliteRenderer(Renderer):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.inline_fk: set[tuple[str, str]] = set()  # (table, fk name) folded into ADD COLUMN
        self.rebuild: set[str] = set()
        self._plan()
        self.rebuilt: set[str] = set()

    # --- types ---------------------------------------------------------------------------------

    def sqlite_type(self, type_: ColumnType) -> str:
        if type_.name == "string":
            return f"VARCHAR({type_.length})" if type_.length else "VARCHAR"
        if type_.name == "numeric":
            if type_.precision is None:
                return "NUMERIC"
            scale = f", {type_.scale}" if type_.scale is not None else ""
            return f"NUMERIC({type_.precision}{scale})"
        if type_.name == "enum":
            values = self.enum_values(type_.enum)
            return f"VARCHAR({max((len(v) for v in values), default=1)})"
        return _TYPES[type_.name]

    def type_sql(self, column: Column, table: Table | None = None) -> str:
        if column.autoincrement:
            return "INTEGER"  # only INTEGER PRIMARY KEY is an alias of the rowid
        return self.sqlite_type(column.type)

    def column_affinity(self, column: Column) -> str:
        return affinity(self.type_sql(column))

    def inline_uniques(self, table: Table) -> list[str]:
        return []  # unique indexes, created after the table

    def table_indexes(self, table: Table) -> list[str]:
        uniques = [self.index_sql(table.name, u.name, u.columns, True) for u in table.uniques]
        return uniques + super().table_indexes(table)

    # --- which tables need a rebuild -----------------------------------------------------------

    def _plan(self) -> None:
        fks_by_table: dict[str, list[AddForeignKey]] = {}
        for op in self.operations:
            if isinstance(op, AddForeignKey):
                fks_by_table.setdefault(op.table, []).append(op)
        for op in self.operations:
            table = op.table_name
            if table is None or table in self.created or table in self.dropped:
                continue
            if not isinstance(op, AddForeignKey) and self._needs_rebuild(
                op, fks_by_table.get(table, [])
            ):
                self.rebuild.add(table)
        # A foreign key on a column added by this migration becomes the REFERENCES clause of
        # its ADD COLUMN; any other added foreign key needs a rebuild.
        added = {(op.table, op.column.name) for op in self.operations if isinstance(op, AddColumn)}
        for table, fk_ops in fks_by_table.items():
            if table in self.created or table in self.dropped:
                continue
            for fk_op in fk_ops:
                columns = fk_op.foreign_key.columns
                if table not in self.rebuild and len(columns) == 1 and (table, columns[0]) in added:
                    self.inline_fk.add((table, fk_op.foreign_key.name))
                else:
                    self.rebuild.add(table)
        if any(t in self.rebuild for t, _ in self.inline_fk):
            self.inline_fk = {(t, n) for t, n in self.inline_fk if t not in self.rebuild}

    def _needs_rebuild(self, op: Operation, added_fks: list[AddForeignKey]) -> bool:
        if isinstance(op, AddColumn):
            c = op.column
            if op.fill is not None or (not c.nullable and c.server_default is None):
                return True
            if c.server_default is not None and not is_literal(c.server_default):
                return True  # "Cannot add a column with non-constant default"
            new_table = self.new.table(op.table)
            if c.name in new_table.primary_key or c.autoincrement:
                return True
            for fk_op in added_fks:
                if c.name in fk_op.foreign_key.columns:
                    if fk_op.foreign_key.columns != (c.name,):
                        return True
                    if c.server_default not in (None, "NULL"):
                        return True
            return False
        if isinstance(op, DropColumn):
            old = self.mid.table(op.table)
            name = op.column.name
            if name in old.primary_key or old.foreign_key_of(name) is not None:
                return True
            if any(re.search(rf"\b{re.escape(name)}\b", c.expression) for c in old.checks):
                return True
            return any(name in fk.ref_columns for _, fk in self.mid.referencing(op.table))
        if isinstance(op, AlterColumn):
            if op.nullable_changed or op.default_changed or op.autoincrement_changed:
                return True
            return self.column_affinity(op.old) != self.column_affinity(op.new)
        if isinstance(op, (DropForeignKey, AddCheck, DropCheck, AlterPrimaryKey)):
            return True
        return False

    def _absorbed(self, op: Operation) -> bool:
        """True for an operation on a rebuilt table that the rebuild carries out."""
        table = op.table_name
        if table not in self.rebuild or isinstance(op, (RenameTable, RenameColumn)):
            return False
        return True

    # --- the rebuild ---------------------------------------------------------------------------

    def rebuild_sql(self, name: str) -> list[str]:
        current = self.mid.table(name)
        final = self.new.table(name)
        temp = f"__bb_new_{name}"
        ops = [op for op in self.operations if op.table_name == name]
        fills = {
            op.column.name: op.fill
            for op in ops
            if isinstance(op, AddColumn) and op.fill is not None
        }
        alters = {op.new.name: op for op in ops if isinstance(op, AlterColumn)}
        out: list[str] = []
        referencing = sorted(
            {
                t.name
                for t, _ in self.new.referencing(name)
                if t.name != name and self.mid.has_table(t.name) and t.name not in self.dropped
            }
        )
        counted = [name, *referencing]
        # lossy conversions are refused before anything is copied
        targets, sources = [], []
        for column in final.columns:
            if current.has_column(column.name):
                expr = self.q(column.name)
                alter = alters.get(column.name)
                if alter is not None and alter.type_changed:
                    out.extend(self.narrowing_checks(name, alter.old, alter.new))
                    new_affinity = self.column_affinity(alter.new)
                    if self.column_affinity(alter.old) != new_affinity and new_affinity in (
                        "INTEGER",
                        "REAL",
                    ):
                        expr = f"CAST({expr} AS {new_affinity})"
                if alter is not None and alter.fill is not None:
                    expr = f"COALESCE({expr}, {alter.fill})"
                targets.append(self.q(column.name))
                sources.append(expr)
            elif column.name in fills:
                targets.append(self.q(column.name))
                sources.append(fills[column.name])
        counts = " UNION ALL ".join(
            f"SELECT {self.lit(t)} AS name, count(*) AS n FROM {self.q(t)}" for t in counted
        )
        out.append(f"CREATE TEMPORARY TABLE __bb_rows_{name} AS {counts}")
        create = self.create_table_sql(final, name=temp)
        out.append(f"{REBUILD_MARKER}{name}\n{create}")
        out.append(
            f"INSERT INTO {self.q(temp)} ({', '.join(targets)})\n"
            f"  SELECT {', '.join(sources)} FROM {self.q(name)}"
        )
        out.append(f"DROP TABLE {self.q(name)}")
        out.append(f"ALTER TABLE {self.q(temp)} RENAME TO {self.q(name)}")
        out.extend(self.table_indexes(final))
        for t in counted:
            out.extend(
                self.assert_sql(
                    f"(SELECT count(*) FROM {self.q(t)}) = "
                    f"(SELECT n FROM __bb_rows_{name} WHERE name = {self.lit(t)})",
                    f"rows of {t} changed during the rebuild of {name}",
                )
            )
        out.append(f"DROP TABLE __bb_rows_{name}")
        return out

    def render(self) -> list[str]:
        for op in self.operations:
            if self._absorbed(op):
                table = op.table_name
                assert table is not None
                if table not in self.rebuilt:
                    self.rebuilt.add(table)
                    self.out.extend(self.rebuild_sql(table))
                continue
            self.out.extend(self.render_op(op))
        if self.rebuilt or self.dropped:
            self.out.extend(
                self.assert_sql(
                    "NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check)",
                    "foreign key check failed after the migration",
                )
            )
        return self.out

    # --- operations ----------------------------------------------------------------------------

    def op_create_enum(self, op: CreateEnum) -> list[str]:
        return []

    def op_drop_enum(self, op: DropEnum) -> list[str]:
        return []

    def op_alter_enum(self, op: AlterEnum) -> list[str]:
        return []

    def op_create_table(self, op: CreateTable) -> list[str]:
        # SQLite resolves foreign-key targets lazily, so cycle-closing keys stay inline.
        return [self.create_table_sql(op.table), *self.table_indexes(op.table)]

    def op_drop_table(self, op: DropTable) -> list[str]:
        return [f"DROP TABLE {self.q(op.table.name)}"]

    def op_rename_table(self, op: RenameTable) -> list[str]:
        return [f"ALTER TABLE {self.q(op.old)} RENAME TO {self.q(op.new)}"]

    def op_alter_table_comment(self, op: AlterTableComment) -> list[str]:
        return []

    def op_rename_column(self, op: RenameColumn) -> list[str]:
        return [
            f"ALTER TABLE {self.q(op.table)} RENAME COLUMN {self.q(op.old)} TO {self.q(op.new)}"
        ]

    def op_add_column(self, op: AddColumn) -> list[str]:
        text = f"ALTER TABLE {self.q(op.table)} ADD COLUMN {self.column_sql(op.column)}"
        for other in self.operations:
            if (
                isinstance(other, AddForeignKey)
                and other.table == op.table
                and (op.table, other.foreign_key.name) in self.inline_fk
                and other.foreign_key.columns == (op.column.name,)
            ):
                fk = other.foreign_key
                text += (
                    f" CONSTRAINT {self.q(fk.name)} REFERENCES {self.q(fk.ref_table)} "
                    f"({self.cols(fk.ref_columns)})"
                )
                if fk.on_delete:
                    text += f" ON DELETE {fk.on_delete}"
                if fk.on_update:
                    text += f" ON UPDATE {fk.on_update}"
        return [text]

    def op_drop_column(self, op: DropColumn) -> list[str]:
        return [f"ALTER TABLE {self.q(op.table)} DROP COLUMN {self.q(op.column.name)}"]

    def op_alter_column(self, op: AlterColumn) -> list[str]:
        return []  # same affinity (or comment only): nothing to change in SQLite

    def op_alter_primary_key(self, op: AlterPrimaryKey) -> list[str]:
        return []  # always part of a rebuild

    def op_create_index(self, op: CreateIndex) -> list[str]:
        return [self.index_sql(op.table, op.index.name, op.index.columns, op.index.unique)]

    def op_drop_index(self, op: DropIndex) -> list[str]:
        return [f"DROP INDEX {self.q(op.index.name)}"]

    def op_rename_index(self, op: RenameIndex) -> list[str]:
        # SQLite has no ALTER INDEX ... RENAME
        return [
            f"DROP INDEX {self.q(op.old)}",
            self.index_sql(op.table, op.new, op.index.columns, op.index.unique),
        ]

    def op_add_unique(self, op: AddUnique) -> list[str]:
        return [self.index_sql(op.table, op.unique.name, op.unique.columns, True)]

    def op_drop_unique(self, op: DropUnique) -> list[str]:
        return [f"DROP INDEX {self.q(op.unique.name)}"]

    def op_rename_constraint(self, op: RenameConstraint) -> list[str]:
        if op.kind != "unique":
            return []
        table = self.new.table(op.table)
        unique = next(u for u in table.uniques if u.name == op.new)
        return [
            f"DROP INDEX {self.q(op.old)}",
            self.index_sql(op.table, op.new, unique.columns, True),
        ]

    def op_add_foreign_key(self, op: AddForeignKey) -> list[str]:
        return []  # inline in CREATE TABLE / ADD COLUMN, or part of a rebuild

    def op_drop_foreign_key(self, op: DropForeignKey) -> list[str]:
        return []  # its table is dropped, or rebuilt

    def op_add_check(self, op: AddCheck) -> list[str]:
        return []

    def op_drop_check(self, op: DropCheck) -> list[str]:
        return []
