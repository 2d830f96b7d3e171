"""MySQL/MariaDB rendering: backticks, AUTO_INCREMENT, inline ENUM(...), MODIFY COLUMN restating
the whole column.

Choices: a string without a length is VARCHAR(255) (MySQL requires one; the statement says so in
a comment); datetime is DATETIME with or without a timezone (TIMESTAMP stops in 2038); uuid is
CHAR(32) like SQLAlchemy's Uuid; enum types exist only inline, so enum changes MODIFY every column
that uses them.  A foreign key needs an index: MySQL creates one named after the key when none
covers its columns, so dropping a key also drops that index when it exists (a portable prepared
statement, since MySQL 8 has no DROP INDEX IF EXISTS).  TEXT and binary columns are indexed by
their first 255 characters; a unique key or primary key on one is refused (SchemaError), since a
prefix would change what unique means.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from betterbase_cli.schema.model import Column, ColumnType, ForeignKey, Table

DEFAULT_VARCHAR = 255
INDEX_PREFIX = 255
PREFIX_TYPES = ("text", "binary", "json")
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
    "interval": "DATETIME",
    "uuid": "CHAR(32)",
    "json": "JSON",
    "binary": "BLOB",
}


class MysqlRenderer(Renderer):
    def __post_init__(self) -> None:
        super().__post_init__()
        # MySQL refuses to change the type of a column a foreign key uses (either end): such
        # keys are dropped before the first of those changes and re-added after the last.
        retyped = {
            (op.table, op.new.name)
            for op in self.operations
            if isinstance(op, AlterColumn) and (op.type_changed or op.autoincrement_changed)
        }
        dropped = {
            (op.table, op.foreign_key.name)
            for op in self.operations
            if isinstance(op, DropForeignKey)
        }
        self.guarded: list[tuple[str, ForeignKey]] = []
        for table in self.mid.tables:
            if table.name in self.dropped:
                continue
            for fk in table.foreign_keys:
                ends = {(table.name, c) for c in fk.columns}
                ends |= {(fk.ref_table, c) for c in fk.ref_columns}
                if ends & retyped and (table.name, fk.name) not in dropped:
                    self.guarded.append((table.name, fk))

    def render(self) -> list[str]:
        if not self.guarded:
            return super().render()
        alters = [i for i, op in enumerate(self.operations) if isinstance(op, AlterColumn)]
        for i, op in enumerate(self.operations):
            if i == alters[0]:
                for table, fk in self.guarded:
                    self.out.extend(self._drop_fk(table, fk.name))
            self.out.extend(self.render_op(op))
            if i == alters[-1]:
                for table, fk in self.guarded:
                    self.out.append(self.alter(table, f"ADD {self.fk_sql(fk)}"))
        return self.out

    def q(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def _blob_columns(self, table: str) -> set[str]:
        for schema in (self.new, self.mid):
            if schema.has_table(table):
                t = schema.table(table)
                return {c.name for c in t.columns if c.type.name in PREFIX_TYPES}
        return set()

    def _refuse_unique_blob(self, table: str, columns: Sequence[str], what: str) -> None:
        blobs = [c for c in columns if c in self._blob_columns(table)]
        if blobs:
            from betterbase_cli.errors import SchemaError

            raise SchemaError(
                f"MySQL cannot make {what} of {table} on {', '.join(blobs)}: a TEXT or binary "
                "column can only be indexed by a prefix, which would change what unique means",
                hint="use String(n) (VARCHAR) for a column that is unique or part of a key",
            )

    def index_sql(self, table: str, name: str, columns: Sequence[str], unique: bool) -> str:
        if unique:
            self._refuse_unique_blob(table, columns, f"the unique index {name}")
        blobs = self._blob_columns(table)
        # MySQL indexes TEXT/BLOB columns by a prefix only: the first 255 characters
        cols = ", ".join(
            f"{self.q(c)}({INDEX_PREFIX})" if c in blobs else self.q(c) for c in columns
        )
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return f"CREATE {kind} {self.q(name)} ON {self.q(table)} ({cols})"

    def inline_uniques(self, table: Table) -> list[str]:
        for u in table.uniques:
            self._refuse_unique_blob(table.name, u.columns, f"the unique constraint {u.name}")
        return super().inline_uniques(table)

    def my_type(self, type_: ColumnType, values: tuple[str, ...] | None = None) -> str:
        if type_.name == "string":
            return f"VARCHAR({type_.length or DEFAULT_VARCHAR})"
        if type_.name == "numeric":
            if type_.precision is None:
                return "DECIMAL"
            scale = f", {type_.scale}" if type_.scale is not None else ""
            return f"DECIMAL({type_.precision}{scale})"
        if type_.name == "enum":
            values = values if values is not None else self.enum_values(type_.enum)
            return f"ENUM({', '.join(self.lit(v) for v in values)})"
        return _TYPES[type_.name]

    def type_sql(self, column: Column, table: Table | None = None) -> str:
        return self.my_type(column.type)

    def column_sql(
        self, column: Column, table: Table | None = None, values: tuple[str, ...] | None = None
    ) -> str:
        parts = [self.q(column.name), self.my_type(column.type, values)]
        if not column.nullable:
            parts.append("NOT NULL")
        default = self.default_sql(column)
        if default is not None:
            parts.append(f"DEFAULT {default}")
        if column.autoincrement:
            parts.append("AUTO_INCREMENT")
        if column.comment:
            parts.append(f"COMMENT {self.lit(column.comment)}")
        return " ".join(parts)

    def primary_key_sql(self, table: Table) -> str:
        self._refuse_unique_blob(table.name, table.primary_key, "the primary key")
        return f"PRIMARY KEY ({self.cols(table.primary_key)})"  # always named PRIMARY

    def table_options(self, table: Table) -> str:
        return f" COMMENT={self.lit(table.comment)}" if table.comment else ""

    def cast_int(self, expression: str) -> str:
        return f"CAST({expression} AS SIGNED)"

    def cast_text(self, expression: str) -> str:
        return f"CAST({expression} AS CHAR)"

    def narrowing_checks(self, table: str, old: Column, new: Column) -> list[str]:
        """Besides the shared guards: lengths and integer ranges, which a server without a
        strict sql_mode would truncate or clamp silently."""
        out = super().narrowing_checks(table, old, new)
        c, a, b = self.q(new.name), old.type, new.type
        if b.name == "string" and a.name in ("string", "text", "enum"):
            limit = b.length or DEFAULT_VARCHAR
            out += self.no_rows(
                table,
                f"CHAR_LENGTH({c}) > {limit}",
                f"{table}.{new.name} has values longer than {limit}",
            )
        bounds = {"integer": 2147483647, "smallint": 32767}
        if b.name in bounds and a.name in ("integer", "bigint", "numeric", "float", "double"):
            top = bounds[b.name]
            out += self.no_rows(
                table,
                f"{c} NOT BETWEEN {-top - 1} AND {top}",
                f"{table}.{new.name} has values out of the {b.name} range",
            )
        return out

    def assert_sql(self, condition: str, message: str) -> list[str]:
        self._asserts += 1
        name = f"__bb_assert_{self._asserts}"
        text = ("bb: " + message).replace("`", "'")[:64]
        return [
            # a failed run leaves the table in the session (MySQL DDL is not transactional)
            f"DROP TEMPORARY TABLE IF EXISTS {name}",
            f"CREATE TEMPORARY TABLE {name} (ok INTEGER, CONSTRAINT `{text}` CHECK (ok = 1))",
            f"INSERT INTO {name} (ok) SELECT CASE WHEN {condition} THEN 1 ELSE 0 END",
            f"DROP TEMPORARY TABLE {name}",
        ]

    def alter(self, table: str, action: str) -> str:
        return f"ALTER TABLE {self.q(table)} {action}"

    def note_lengthless(self, columns: tuple[Column, ...] | list[Column]) -> str:
        names = [c.name for c in columns if c.type.name == "string" and c.type.length is None]
        if not names:
            return ""
        listed = ", ".join(names)
        return (
            f"-- bb: strings without a length are VARCHAR({DEFAULT_VARCHAR}) on MySQL: {listed}\n"
        )

    # --- enums (inline in MySQL) ---------------------------------------------------------------

    def op_create_enum(self, op: CreateEnum) -> list[str]:
        return []

    def op_drop_enum(self, op: DropEnum) -> list[str]:
        return []

    def op_alter_enum(self, op: AlterEnum) -> list[str]:
        out: list[str] = []
        for table, column in op.columns:
            for value in op.removed:
                out.extend(
                    self.no_rows(
                        table,
                        f"{self.q(column.name)} = {self.lit(value)}",
                        f"{table}.{column.name} still holds {value}",
                    )
                )
            out.append(
                self.alter(table, f"MODIFY COLUMN {self.column_sql(column, values=op.new_values)}")
            )
        return out

    # --- tables --------------------------------------------------------------------------------

    def op_create_table(self, op: CreateTable) -> list[str]:
        note = self.note_lengthless(op.table.columns)
        return [
            note + self.create_table_sql(op.table, skip_fks=op.deferred_foreign_keys),
            *self.table_indexes(op.table),
        ]

    def op_drop_table(self, op: DropTable) -> list[str]:
        return [f"DROP TABLE {self.q(op.table.name)}"]

    def op_rename_table(self, op: RenameTable) -> list[str]:
        return [f"RENAME TABLE {self.q(op.old)} TO {self.q(op.new)}"]

    def op_alter_table_comment(self, op: AlterTableComment) -> list[str]:
        return [self.alter(op.table, f"COMMENT = {self.lit(op.new or '')}")]

    # --- columns -------------------------------------------------------------------------------

    def op_rename_column(self, op: RenameColumn) -> list[str]:
        return [self.alter(op.table, f"RENAME COLUMN {self.q(op.old)} TO {self.q(op.new)}")]

    def op_add_column(self, op: AddColumn) -> list[str]:
        note = self.note_lengthless([op.column])
        if op.fill is None:
            return [note + self.alter(op.table, f"ADD COLUMN {self.column_sql(op.column)}")]
        from betterbase_cli.records import replace

        filled = replace(op.column, server_default=op.fill)
        return [
            note + self.alter(op.table, f"ADD COLUMN {self.column_sql(filled)}"),
            self.alter(op.table, f"ALTER COLUMN {self.q(op.column.name)} DROP DEFAULT"),
        ]

    def op_drop_column(self, op: DropColumn) -> list[str]:
        return [self.alter(op.table, f"DROP COLUMN {self.q(op.column.name)}")]

    def op_alter_column(self, op: AlterColumn) -> list[str]:
        t, c = op.table, self.q(op.new.name)
        out: list[str] = []
        if op.fill is not None:
            out.append(f"UPDATE {self.q(t)} SET {c} = {op.fill} WHERE {c} IS NULL")
        if op.type_changed:
            out.extend(self.narrowing_checks(t, op.old, op.new))
        if op.type_changed or op.nullable_changed or op.autoincrement_changed or op.comment_changed:
            out.append(self.alter(t, f"MODIFY COLUMN {self.column_sql(op.new)}"))
        elif op.default_changed:
            if op.new.server_default is None:
                out.append(self.alter(t, f"ALTER COLUMN {c} DROP DEFAULT"))
            else:
                out.append(
                    self.alter(t, f"ALTER COLUMN {c} SET DEFAULT {self.default_sql(op.new)}")
                )
        return out

    def op_alter_primary_key(self, op: AlterPrimaryKey) -> list[str]:
        self._refuse_unique_blob(op.table, op.new_columns, "the primary key")
        actions = []
        if op.old_columns:
            actions.append("DROP PRIMARY KEY")
        if op.new_columns:
            actions.append(f"ADD PRIMARY KEY ({self.cols(op.new_columns)})")
        return [self.alter(op.table, ", ".join(actions))]

    # --- indexes and constraints ---------------------------------------------------------------

    def op_create_index(self, op: CreateIndex) -> list[str]:
        return [self.index_sql(op.table, op.index.name, op.index.columns, op.index.unique)]

    def op_drop_index(self, op: DropIndex) -> list[str]:
        return [f"DROP INDEX {self.q(op.index.name)} ON {self.q(op.table)}"]

    def op_rename_index(self, op: RenameIndex) -> list[str]:
        return [self.alter(op.table, f"RENAME INDEX {self.q(op.old)} TO {self.q(op.new)}")]

    def op_add_unique(self, op: AddUnique) -> list[str]:
        u = op.unique
        self._refuse_unique_blob(op.table, u.columns, f"the unique constraint {u.name}")
        return [
            self.alter(op.table, f"ADD CONSTRAINT {self.q(u.name)} UNIQUE ({self.cols(u.columns)})")
        ]

    def op_drop_unique(self, op: DropUnique) -> list[str]:
        return [self.alter(op.table, f"DROP INDEX {self.q(op.unique.name)}")]

    def op_rename_constraint(self, op: RenameConstraint) -> list[str]:
        table = self.new.table(op.table)
        if op.kind == "unique":
            return [self.alter(op.table, f"RENAME INDEX {self.q(op.old)} TO {self.q(op.new)}")]
        if op.kind == "check":
            check = next(c for c in table.checks if c.name == op.new)
            return [
                self.alter(op.table, f"DROP CONSTRAINT {self.q(op.old)}"),
                self.alter(
                    op.table,
                    f"ADD CONSTRAINT {self.q(op.new)} CHECK ({self.check_sql(check.expression)})",
                ),
            ]
        if op.kind == "foreign_key":
            fk = next(f for f in table.foreign_keys if f.name == op.new)
            return [
                *self._drop_fk(op.table, op.old),
                self.alter(op.table, f"ADD {self.fk_sql(fk)}"),
            ]
        return []  # the primary key is always called PRIMARY

    def _drop_fk(self, table: str, name: str) -> list[str]:
        index_sql = self.alter(table, f"DROP INDEX {self.q(name)}").replace("'", "''")
        return [
            self.alter(table, f"DROP FOREIGN KEY {self.q(name)}"),
            # the index MySQL made for the key, if it made one
            "SET @bb_sql = (SELECT IF(COUNT(*) > 0, "
            f"'{index_sql}', 'DO 0') FROM information_schema.statistics "
            f"WHERE table_schema = DATABASE() AND table_name = {self.lit(table)} "
            f"AND index_name = {self.lit(name)})",
            "PREPARE bb_stmt FROM @bb_sql",
            "EXECUTE bb_stmt",
            "DEALLOCATE PREPARE bb_stmt",
        ]

    def op_add_foreign_key(self, op: AddForeignKey) -> list[str]:
        return [self.alter(op.table, f"ADD {self.fk_sql(op.foreign_key)}")]

    def op_drop_foreign_key(self, op: DropForeignKey) -> list[str]:
        return self._drop_fk(op.table, op.foreign_key.name)

    def op_add_check(self, op: AddCheck) -> list[str]:
        expr = self.check_sql(op.check.expression)
        return [self.alter(op.table, f"ADD CONSTRAINT {self.q(op.check.name)} CHECK ({expr})")]

    def op_drop_check(self, op: DropCheck) -> list[str]:
        return [self.alter(op.table, f"DROP CONSTRAINT {self.q(op.check.name)}")]


__all__ = ["MysqlRenderer", "Operation"]
