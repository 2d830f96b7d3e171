"""PostgreSQL rendering: named constraints, SERIAL keys, native enum types, ALTER ... USING."""

from __future__ import annotations

from betterbase_cli.migrate.ops import Operation, RenameColumn, RenameTable
from betterbase_cli.migrate.render import (
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
)
from betterbase_cli.schema.model import Column, ColumnType, Table

_TYPES = {
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "text": "TEXT",
    "boolean": "BOOLEAN",
    "float": "REAL",
    "double": "DOUBLE PRECISION",
    "date": "DATE",
    "time": "TIME WITHOUT TIME ZONE",
    "interval": "INTERVAL",
    "uuid": "UUID",
    "json": "JSON",
    "binary": "BYTEA",
}
_SERIAL = {"integer": "SERIAL", "bigint": "BIGSERIAL", "smallint": "SMALLSERIAL"}


def _category(name: str) -> str:
    if name in ("string", "text"):
        return "text"
    if name in ("integer", "bigint", "smallint", "numeric", "float", "double"):
        return "number"
    return name


class PostgresRenderer(Renderer):
    def pg_type(self, type_: ColumnType) -> str:
        if type_.name == "string":
            return f"VARCHAR({type_.length})" if type_.length else "VARCHAR"
        if type_.name == "numeric":
            if type_.precision is None:
                return "NUMERIC"
            scale = f", {type_.scale}" if type_.scale is not None else ""
            return f"NUMERIC({type_.precision}{scale})"
        if type_.name == "datetime":
            return "TIMESTAMP WITH TIME ZONE" if type_.timezone else "TIMESTAMP WITHOUT TIME ZONE"
        if type_.name == "enum":
            return self.q(type_.enum or "")
        return _TYPES[type_.name]

    def type_sql(self, column: Column, table: Table | None = None) -> str:
        if column.autoincrement and column.type.name in _SERIAL:
            return _SERIAL[column.type.name]
        return self.pg_type(column.type)

    def cast_text(self, expression: str) -> str:
        return f"CAST({expression} AS TEXT)"

    def assert_sql(self, condition: str, message: str) -> list[str]:
        text = ("bb: " + message).replace("'", "''")
        return [f"DO $$ BEGIN IF NOT ({condition}) THEN RAISE EXCEPTION '{text}'; END IF; END $$"]

    def comments(self, table: Table) -> list[str]:
        out = []
        if table.comment:
            out.append(f"COMMENT ON TABLE {self.q(table.name)} IS {self.lit(table.comment)}")
        for c in table.columns:
            if c.comment:
                target = f"{self.q(table.name)}.{self.q(c.name)}"
                out.append(f"COMMENT ON COLUMN {target} IS {self.lit(c.comment)}")
        return out

    def alter(self, table: str, action: str) -> str:
        return f"ALTER TABLE {self.q(table)} {action}"

    # --- enums ---------------------------------------------------------------------------------

    def op_create_enum(self, op: CreateEnum) -> list[str]:
        values = ", ".join(self.lit(v) for v in op.enum.values)
        return [f"CREATE TYPE {self.q(op.enum.name)} AS ENUM ({values})"]

    def op_drop_enum(self, op: DropEnum) -> list[str]:
        return [f"DROP TYPE {self.q(op.enum.name)}"]

    def _uses_added_values(self, op: AlterEnum) -> bool:
        """True when this migration itself uses a value the enum gains (a default or a fill
        value): PostgreSQL refuses a value added by ADD VALUE before COMMIT."""
        added = {self.lit(v) for v in op.added}
        columns: list[tuple[Column, str | None]] = []
        for other in self.operations:
            if isinstance(other, CreateTable):
                columns += [(c, None) for c in other.table.columns]
            elif isinstance(other, (AddColumn, AlterColumn)):
                column = other.column if isinstance(other, AddColumn) else other.new
                columns.append((column, other.fill))
        return any(
            c.type.name == "enum"
            and c.type.enum == op.name
            and (c.server_default in added or fill in added)
            for c, fill in columns
        )

    def op_alter_enum(self, op: AlterEnum) -> list[str]:
        name = self.q(op.name)
        if op.only_appends_or_inserts and not self._uses_added_values(op):
            out = []
            present = list(op.old_values)
            for i, value in enumerate(op.new_values):
                if value in present:
                    continue
                following = [v for v in op.new_values[i + 1 :] if v in present]
                where = f" BEFORE {self.lit(following[0])}" if following else ""
                out.append(f"ALTER TYPE {name} ADD VALUE {self.lit(value)}{where}")
                present.append(value)
            return out
        # Values removed or reordered: swap in a new type; the cast fails on rows that still
        # hold a removed value, so nothing is lost silently.
        old_name = self.q(f"{op.name}__bb_old")
        values = ", ".join(self.lit(v) for v in op.new_values)
        out = [
            f"ALTER TYPE {name} RENAME TO {old_name}",
            f"CREATE TYPE {name} AS ENUM ({values})",
        ]
        for table, column in op.columns:
            c = self.q(column.name)
            if column.server_default is not None:
                out.append(self.alter(table, f"ALTER COLUMN {c} DROP DEFAULT"))
            out.append(self.alter(table, f"ALTER COLUMN {c} TYPE {name} USING {c}::text::{name}"))
            if column.server_default is not None:
                out.append(
                    self.alter(table, f"ALTER COLUMN {c} SET DEFAULT {self.default_sql(column)}")
                )
        out.append(f"DROP TYPE {old_name}")
        return out

    # --- tables --------------------------------------------------------------------------------

    def op_create_table(self, op: CreateTable) -> list[str]:
        return [
            self.create_table_sql(op.table, skip_fks=op.deferred_foreign_keys),
            *self.table_indexes(op.table),
            *self.comments(op.table),
        ]

    def op_drop_table(self, op: DropTable) -> list[str]:
        return [f"DROP TABLE {self.q(op.table.name)}"]

    def op_rename_table(self, op: RenameTable) -> list[str]:
        return [self.alter(op.old, f"RENAME TO {self.q(op.new)}")]

    def op_alter_table_comment(self, op: AlterTableComment) -> list[str]:
        value = self.lit(op.new) if op.new else "NULL"
        return [f"COMMENT ON TABLE {self.q(op.table)} IS {value}"]

    # --- columns -------------------------------------------------------------------------------

    def op_rename_column(self, op: RenameColumn) -> list[str]:
        return [self.alter(op.table, f"RENAME COLUMN {self.q(op.old)} TO {self.q(op.new)}")]

    def op_add_column(self, op: AddColumn) -> list[str]:
        c = op.column
        if op.fill is None:
            out = [self.alter(op.table, f"ADD COLUMN {self.column_sql(c)}")]
        else:
            # The fill value is a one-off default for existing rows: add, then drop the default.
            out = [
                self.alter(
                    op.table,
                    f"ADD COLUMN {self.q(c.name)} {self.type_sql(c)} DEFAULT {op.fill} NOT NULL",
                ),
                self.alter(op.table, f"ALTER COLUMN {self.q(c.name)} DROP DEFAULT"),
            ]
        if c.comment:
            out.append(
                f"COMMENT ON COLUMN {self.q(op.table)}.{self.q(c.name)} IS {self.lit(c.comment)}"
            )
        return out

    def op_drop_column(self, op: DropColumn) -> list[str]:
        return [self.alter(op.table, f"DROP COLUMN {self.q(op.column.name)}")]

    def op_alter_column(self, op: AlterColumn) -> list[str]:
        t, c = op.table, self.q(op.new.name)
        out: list[str] = []
        if op.type_changed:
            out.extend(self.narrowing_checks(t, op.old, op.new))
            if op.old.server_default is not None:
                out.append(self.alter(t, f"ALTER COLUMN {c} DROP DEFAULT"))
            new_type = self.pg_type(op.new.type)
            out.append(self.alter(t, f"ALTER COLUMN {c} TYPE {new_type}{self._using(op)}"))
            if op.old.autoincrement and op.new.autoincrement and op.new.type.name == "bigint":
                # a SERIAL's sequence is an integer sequence: widen it with the column
                seq = f"pg_get_serial_sequence({self.lit(t)}, {self.lit(op.new.name)})"
                out.append(
                    f"DO $$ BEGIN IF {seq} IS NOT NULL THEN "
                    f"EXECUTE format('ALTER SEQUENCE %s AS BIGINT', {seq}); END IF; END $$"
                )
            if op.new.server_default is not None:
                out.append(
                    self.alter(t, f"ALTER COLUMN {c} SET DEFAULT {self.default_sql(op.new)}")
                )
        elif op.default_changed:
            if op.new.server_default is None:
                out.append(self.alter(t, f"ALTER COLUMN {c} DROP DEFAULT"))
            else:
                out.append(
                    self.alter(t, f"ALTER COLUMN {c} SET DEFAULT {self.default_sql(op.new)}")
                )
        if op.autoincrement_changed:
            out.extend(self._autoincrement(t, op.new))
        if op.nullable_changed:
            if op.new.nullable:
                out.append(self.alter(t, f"ALTER COLUMN {c} DROP NOT NULL"))
            else:
                if op.fill is not None:
                    out.append(f"UPDATE {self.q(t)} SET {c} = {op.fill} WHERE {c} IS NULL")
                out.append(self.alter(t, f"ALTER COLUMN {c} SET NOT NULL"))
        if op.comment_changed:
            value = self.lit(op.new.comment) if op.new.comment else "NULL"
            out.append(f"COMMENT ON COLUMN {self.q(t)}.{c} IS {value}")
        return out

    def _using(self, op: AlterColumn) -> str:
        """A USING cast only across type categories: an explicit cast to VARCHAR(n) or
        NUMERIC(p, s) truncates or rounds silently, while the implicit assignment cast fails."""
        a, b = _category(op.old.type.name), _category(op.new.type.name)
        c, new_type = self.q(op.new.name), self.pg_type(op.new.type)
        if op.old.type.name == "enum" or op.new.type.name == "enum":
            return f" USING {c}::text::{new_type}"
        return "" if a == b else f" USING {c}::{new_type}"

    def _autoincrement(self, table: str, column: Column) -> list[str]:
        c = self.q(column.name)
        if not column.autoincrement:
            return [
                self.alter(table, f"ALTER COLUMN {c} DROP DEFAULT"),
                self.alter(table, f"ALTER COLUMN {c} DROP IDENTITY IF EXISTS"),
            ]
        return [
            self.alter(table, f"ALTER COLUMN {c} ADD GENERATED BY DEFAULT AS IDENTITY"),
            f"SELECT setval(pg_get_serial_sequence({self.lit(table)}, {self.lit(column.name)}), "
            f"COALESCE(MAX({c}), 0) + 1, false) FROM {self.q(table)}",
        ]

    def op_alter_primary_key(self, op: AlterPrimaryKey) -> list[str]:
        out = []
        if op.old_columns:
            # IF EXISTS: dropping a key column in the same migration already dropped the key
            out.append(
                self.alter(op.table, f"DROP CONSTRAINT IF EXISTS {self.q(op.old_name or '')}")
            )
        if op.new_columns:
            out.append(
                self.alter(
                    op.table,
                    f"ADD CONSTRAINT {self.q(op.new_name or '')} "
                    f"PRIMARY KEY ({self.cols(op.new_columns)})",
                )
            )
        return out

    # --- indexes and constraints ---------------------------------------------------------------

    def op_create_index(self, op: CreateIndex) -> list[str]:
        return [self.index_sql(op.table, op.index.name, op.index.columns, op.index.unique)]

    def op_drop_index(self, op: DropIndex) -> list[str]:
        return [f"DROP INDEX {self.q(op.index.name)}"]

    def op_rename_index(self, op: RenameIndex) -> list[str]:
        return [f"ALTER INDEX {self.q(op.old)} RENAME TO {self.q(op.new)}"]

    def op_add_unique(self, op: AddUnique) -> list[str]:
        u = op.unique
        return [
            self.alter(op.table, f"ADD CONSTRAINT {self.q(u.name)} UNIQUE ({self.cols(u.columns)})")
        ]

    def op_drop_unique(self, op: DropUnique) -> list[str]:
        return [self.alter(op.table, f"DROP CONSTRAINT {self.q(op.unique.name)}")]

    def op_rename_constraint(self, op: RenameConstraint) -> list[str]:
        return [self.alter(op.table, f"RENAME CONSTRAINT {self.q(op.old)} TO {self.q(op.new)}")]

    def op_add_foreign_key(self, op: AddForeignKey) -> list[str]:
        return [self.alter(op.table, f"ADD {self.fk_sql(op.foreign_key)}")]

    def op_drop_foreign_key(self, op: DropForeignKey) -> list[str]:
        return [self.alter(op.table, f"DROP CONSTRAINT {self.q(op.foreign_key.name)}")]

    def op_add_check(self, op: AddCheck) -> list[str]:
        expr = self.check_sql(op.check.expression)
        return [self.alter(op.table, f"ADD CONSTRAINT {self.q(op.check.name)} CHECK ({expr})")]

    def op_drop_check(self, op: DropCheck) -> list[str]:
        return [self.alter(op.table, f"DROP CONSTRAINT {self.q(op.check.name)}")]


__all__ = ["Operation", "PostgresRenderer"]
