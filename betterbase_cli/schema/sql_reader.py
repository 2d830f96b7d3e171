"""Read SQL DDL (PostgreSQL, SQLite, MySQL) into a Schema with sqlglot.

Statements that do not change the schema (SET, GRANT, COMMENT on other objects, CREATE
EXTENSION, ...) are skipped and listed as warnings; statements sqlglot cannot parse, and schema
statements bb cannot represent, are a SchemaParseError with the line and the statement's words.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from betterbase_cli.errors import SchemaParseError, UsageError
from betterbase_cli.records import dataclass, field
from betterbase_cli.schema import model
from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)
from betterbase_cli.schema.order import sorted_by_name

if TYPE_CHECKING:
    from sqlglot import exp

DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql"}
# Schema qualifiers that mean "the default schema" and are dropped without a warning.
DEFAULT_SCHEMAS = frozenset({"public", "main"})
INTEGER_TYPES = frozenset({"integer", "bigint", "smallint"})
_PREFIX_LENGTH = re.compile(r"(`[^`]+`)\s*\(\d+\)")
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_JSON_VALID = re.compile(r"^json_valid\((\w+)\)$", re.IGNORECASE)


@dataclass(frozen=True)
class SqlReadResult:
    schema: Schema
    warnings: tuple[str, ...] = ()


class _Unsupported(Exception):
    def __init__(self, message: str, hint: str | None = None, node: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.node = node


@dataclass
class _Col:
    name: str
    type: ColumnType
    nullable: bool = True
    autoincrement: bool = False
    server_default: str | None = None
    comment: str | None = None
    primary_key: bool = False


@dataclass
class _Tbl:
    name: str
    columns: list[_Col] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    primary_key_name: str | None = None
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    uniques: list[UniqueConstraint] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    comment: str | None = None

    def col(self, name: str) -> _Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise _Unsupported(f"table {self.name} has no column {name!r}")


def guess_dialect(text: str) -> str:
    """postgresql, mysql or sqlite from telltale words in a dump; postgresql when unsure."""
    lowered = text.lower()
    if "auto_increment" in lowered or "engine=" in lowered or "`" in text:
        return "mysql"
    if "autoincrement" in lowered or "pragma " in lowered or "without rowid" in lowered:
        return "sqlite"
    return "postgresql"


def _statements(text: str, dialect: str, path: str) -> list[tuple[str, int, int]]:
    """(statement text, line, col) of each statement, split on the tokenizer's semicolons."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import TokenError
    from sqlglot.tokenizer_core import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except TokenError as exc:
        match = re.search(r"[Ll]ine (\d+)", str(exc))
        line = int(match.group(1)) if match else 1
        raise SchemaParseError(
            path,
            line,
            1,
            f"the SQL does not tokenize: {str(exc)[:120]}",
            hint="check for an unterminated string or comment",
        ) from None
    out: list[tuple[str, int, int]] = []
    start = None
    last = None
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None and last is not None:
                out.append((text[start.start : last.end + 1], start.line, _col(text, start.start)))
            start = last = None
            continue
        if start is None:
            start = token
        last = token
    if start is not None and last is not None:
        out.append((text[start.start : last.end + 1], start.line, _col(text, start.start)))
    return out


def _col(text: str, offset: int) -> int:
    """1-based column of a character offset."""
    return offset - (text.rfind("\n", 0, offset) + 1) + 1


def _without_client_commands(text: str, warnings: list[str]) -> str:
    """Blank out what is for psql rather than the server (`\\restrict`, `\\connect`, the data
    lines of `COPY ... FROM stdin`), keeping line numbers."""
    lines = text.split("\n")
    in_copy = False
    skipped_commands: list[str] = []
    copied_rows = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if in_copy:
            lines[i] = ""
            if stripped == "\\.":
                in_copy = False
            else:
                copied_rows += 1
        elif stripped.startswith("\\"):
            skipped_commands.append(stripped.split()[0])
            lines[i] = ""
        elif stripped.upper().startswith("COPY ") and stripped.upper().endswith("FROM STDIN;"):
            lines[i] = ""
            in_copy = True
    if skipped_commands:
        shown = ", ".join(sorted(set(skipped_commands)))
        warnings.append(f"skipped psql commands ({shown})")
    if copied_rows:
        warnings.append(f"skipped {copied_rows} data row(s) of COPY ... FROM stdin")
    return "\n".join(lines)


def _first_words(statement: str, n: int = 6) -> str:
    words = statement.split()
    shown = " ".join(words[:n])
    return shown + (" ..." if len(words) > n else "")


def read_sql(text: str, dialect: str, path: str = "<sql>") -> Schema:
    """The Schema the DDL in `text` creates."""
    return read_sql_with_warnings(text, dialect, path).schema


def read_sql_with_warnings(text: str, dialect: str, path: str = "<sql>") -> SqlReadResult:
    if dialect not in DIALECTS:
        raise UsageError(
            f"unknown SQL dialect {dialect!r}", hint=f"use one of: {', '.join(DIALECTS)}"
        )
    import sqlglot
    from sqlglot.errors import ParseError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    reader = _Reader(DIALECTS[dialect], dialect, path)
    text = _without_client_commands(text, reader.warnings)
    for statement, line, col in _statements(text, DIALECTS[dialect], path):
        try:
            if dialect == "mysql":
                # `col`(255) in an index is a MySQL prefix length (mysqldump writes it for TEXT
                # columns): the index is on the column.
                statement = _PREFIX_LENGTH.sub(r"\1", statement)
            parsed = sqlglot.parse_one(statement, read=DIALECTS[dialect])
        except ParseError as exc:
            detail = ""
            errors = getattr(exc, "errors", None) or []
            if errors:
                first = errors[0]
                detail = f" ({first.get('description', '')})"
                inner_line, inner_col = first.get("line"), first.get("col")
                if isinstance(inner_line, int) and inner_line > 0:
                    if inner_line > 1:
                        col = 1
                    line = line + inner_line - 1
                    if isinstance(inner_col, int) and inner_col > 0:
                        col = col + inner_col - 1
            raise SchemaParseError(
                path,
                line,
                col,
                f"cannot parse the statement `{_first_words(statement)}`{detail}",
                hint=f"check the SQL is valid {dialect}, or pass the right --dialect",
            ) from None
        try:
            reader.statement(parsed, statement)
        except _Unsupported as exc:
            where_line, where_col = line, col
            meta = getattr(exc.node, "meta", None) if exc.node is not None else None
            if isinstance(meta, dict) and "line" in meta:
                where_line = line + int(meta["line"]) - 1
                where_col = int(meta.get("col", 1))
            raise SchemaParseError(
                path,
                where_line,
                where_col,
                f"{exc.message} (in `{_first_words(statement)}`)",
                hint=exc.hint,
            ) from None
    schema = reader.schema()
    return SqlReadResult(schema, tuple(reader.warnings) + reader.skipped_summary())


class _Reader:
    def __init__(self, glot: str, dialect: str, path: str) -> None:
        self.glot = glot
        self.dialect = dialect
        self.path = path
        self.tables: dict[str, _Tbl] = {}
        self.enums: dict[str, Enum] = {}
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    # -- statements -----------------------------------------------------------------------------

    def skip(self, text: str) -> None:
        """Note a statement that does not shape tables (SET, GRANT, CREATE SEQUENCE, ...)."""
        words = text.upper().split()
        kind = " ".join(words[:2]) if words[:1] in (["CREATE"], ["ALTER"], ["DROP"]) else words[0]
        if "OWNER TO" in " ".join(words):
            kind += " ... OWNER TO"
        self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def skipped_summary(self) -> tuple[str, ...]:
        if not self.skipped:
            return ()
        total = sum(self.skipped.values())
        kinds = ", ".join(
            f"{kind} x{n}" if n > 1 else kind for kind, n in sorted(self.skipped.items())
        )
        return (f"skipped {total} statement(s) that do not shape tables: {kinds}",)

    def statement(self, node: exp.Expr, text: str) -> None:
        from sqlglot import exp

        if isinstance(node, exp.Create):
            kind = (node.args.get("kind") or "").upper()
            if kind == "TABLE":
                self._create_table(node)
            elif kind == "INDEX":
                self._create_index(node)
            elif kind == "TYPE":
                self._create_type(node, text)
            else:
                self.skip(text)
        elif isinstance(node, exp.Alter):
            self._alter(node, text)
        elif isinstance(node, exp.Comment):
            self._comment(node, text)
        elif isinstance(node, exp.Drop):
            kind = (node.args.get("kind") or "").upper()
            if kind == "TABLE":
                dropped = [self._table_name(t) for t in node.args.get("tables") or []]
                if not any(name in self.tables for name in dropped):
                    self.skip(text)  # DROP TABLE IF EXISTS before the CREATE, as dumps do
                    return
                for name in dropped:
                    self.tables.pop(name, None)
            elif kind == "TYPE":
                for table in node.args.get("tables") or []:
                    self.enums.pop(table.name, None)
            self.warnings.append(f"applied `{_first_words(text)}`")
        else:
            self.skip(text)

    def _table_name(self, table: exp.Expr) -> str:
        db = table.args.get("db")
        if db is not None and db.name and db.name.lower() not in DEFAULT_SCHEMAS:
            self.warnings.append(f"schema qualifier {db.name}. dropped from {table.name}")
        return str(table.name)

    def _table(self, node: exp.Expr) -> _Tbl:
        name = self._table_name(node)
        if name not in self.tables:
            raise _Unsupported(
                f"table {name!r} is not created earlier in the file",
                hint="put CREATE TABLE before the statements that change it",
                node=node,
            )
        return self.tables[name]

    def _create_table(self, node: exp.Create) -> None:
        from sqlglot import exp

        target = node.this
        if not isinstance(target, exp.Schema):
            raise _Unsupported(
                "CREATE TABLE without a column list (AS SELECT / LIKE) is not supported",
                node=target,
            )
        name = self._table_name(target.this)
        if name.lower().startswith("sqlite_"):
            self.skip(f"CREATE {name}")  # SQLite's own tables, as `.schema` prints them
            return
        if name in self.tables:
            if node.args.get("exists"):
                return
            raise _Unsupported(f"table {name!r} is created twice", node=target.this)
        table = _Tbl(name)
        self.tables[name] = table
        later: list[exp.Expr] = []
        for item in target.expressions:
            if isinstance(item, exp.ColumnDef):
                self._column(table, item)
            else:
                later.append(item)
        for item in later:
            self._table_constraint(table, item, None)
        for prop in (node.args.get("properties") or exp.Properties()).expressions:
            if isinstance(prop, exp.SchemaCommentProperty):
                table.comment = prop.this.name

    # -- columns --------------------------------------------------------------------------------

    def _column(self, table: _Tbl, node: exp.ColumnDef) -> None:

        name = node.this.name
        kind = node.args.get("kind")
        if kind is None:
            if self.dialect != "sqlite":
                raise _Unsupported(f"column {table.name}.{name} has no type", node=node.this)
            type_, serial = ColumnType("string"), False  # SQLite allows untyped columns
        else:
            type_, serial = self._type(table, name, kind, node.this)
        col = _Col(name=name, type=type_, autoincrement=serial)
        table.columns.append(col)
        for constraint in node.args.get("constraints") or []:
            self._column_constraint(table, col, constraint.kind, constraint, node)
        if serial:
            col.nullable = False

    def _column_constraint(
        self, table: _Tbl, col: _Col, kind: exp.Expr, wrapper: exp.Expr, column: exp.Expr
    ) -> None:
        from sqlglot import exp

        named = wrapper.args.get("this") if isinstance(wrapper, exp.ColumnConstraint) else None
        explicit = named.name if isinstance(named, exp.Identifier) else None
        if isinstance(kind, exp.NotNullColumnConstraint):
            col.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            col.primary_key = True
            col.nullable = False
            table.primary_key = (col.name,)
            table.primary_key_name = explicit
            if self.dialect == "sqlite" and col.type.name == "integer":
                col.autoincrement = True  # INTEGER PRIMARY KEY is the rowid: assigned by SQLite
        elif isinstance(kind, exp.DefaultColumnConstraint):
            self._default(table, col, kind.this)
        elif isinstance(kind, exp.UniqueColumnConstraint):
            name = explicit or model.unique_name(table.name, (col.name,))
            table.uniques.append(UniqueConstraint(name, (col.name,)))
        elif isinstance(kind, exp.CheckColumnConstraint):
            expression = self._check_sql(kind.this)
            table.checks.append(
                CheckConstraint(explicit or model.check_name(table.name, expression), expression)
            )
        elif isinstance(kind, exp.Reference):
            table.foreign_keys.append(self._reference(table, (col.name,), kind, explicit))
        elif isinstance(
            kind, exp.AutoIncrementColumnConstraint | exp.GeneratedAsIdentityColumnConstraint
        ):
            col.autoincrement = True
        elif isinstance(kind, exp.CommentColumnConstraint):
            col.comment = kind.this.name
        elif isinstance(kind, exp.OnUpdateColumnConstraint):
            self.warnings.append(
                f"{table.name}.{col.name}: ON UPDATE {self._sql(kind.this)} dropped "
                "(use onupdate= in the model)"
            )
        elif isinstance(kind, exp.CollateColumnConstraint | exp.CharacterSetColumnConstraint):
            self.warnings.append(f"{table.name}.{col.name}: {self._sql(kind)} dropped")
        else:
            raise _Unsupported(
                f"column constraint `{self._sql(wrapper)}` on {table.name}.{col.name} "
                "is not supported",
                node=column.this,
            )

    def _type(
        self, table: _Tbl, column: str, kind: exp.DataType, where: exp.Expr
    ) -> tuple[ColumnType, bool]:
        from sqlglot import exp

        t = exp.DataType.Type
        type_, serial = self._map_type(table, column, kind, where)
        lossy = {
            t.MEDIUMINT,
            t.UINT,
            t.UBIGINT,
            t.USMALLINT,
            t.TINYINT,
            t.MEDIUMTEXT,
            t.LONGTEXT,
            t.TINYTEXT,
            t.TIMETZ,
            t.JSONB,
            t.LONGBLOB,
            t.MEDIUMBLOB,
            t.TINYBLOB,
            t.CHAR,
            t.NCHAR,
        }
        if kind.this in lossy and type_.name != "boolean":
            self.warnings.append(
                f"{table.name}.{column}: {self._type_text(kind)} becomes {type_} "
                "(bb has no exact equivalent)"
            )
        return type_, serial

    def _type_text(self, kind: exp.DataType) -> str:
        # sqlglot writes SQLite's CHAR(2) as TEXT(2); the generic form keeps what was written
        return kind.sql(None if self.dialect == "sqlite" else self.glot)

    def _map_type(
        self, table: _Tbl, column: str, kind: exp.DataType, where: exp.Expr
    ) -> tuple[ColumnType, bool]:
        from sqlglot import exp

        t = exp.DataType.Type
        dtype = kind.this
        params = [p.this if isinstance(p, exp.DataTypeParam) else p for p in kind.expressions]
        ints = [int(p.this) for p in params if isinstance(p, exp.Literal) and not p.is_string]
        simple: dict[Any, str] = {
            t.INT: "integer",
            t.MEDIUMINT: "integer",
            t.UINT: "integer",
            t.BIGINT: "bigint",
            t.UBIGINT: "bigint",
            t.SMALLINT: "smallint",
            t.USMALLINT: "smallint",
            t.TEXT: "text",
            t.MEDIUMTEXT: "text",
            t.LONGTEXT: "text",
            t.TINYTEXT: "text",
            t.BOOLEAN: "boolean",
            t.FLOAT: "float",
            t.DOUBLE: "double",
            t.DATE: "date",
            t.TIME: "time",
            t.TIMETZ: "time",
            t.INTERVAL: "interval",
            t.UUID: "uuid",
            t.JSON: "json",
            t.JSONB: "json",
            t.VARBINARY: "binary",
            t.BINARY: "binary",
            t.BLOB: "binary",
            t.LONGBLOB: "binary",
            t.MEDIUMBLOB: "binary",
            t.TINYBLOB: "binary",
        }
        serials = {t.SERIAL: "integer", t.BIGSERIAL: "bigint", t.SMALLSERIAL: "smallint"}
        if dtype in serials:
            return ColumnType(serials[dtype]), True
        if dtype == t.TINYINT:
            if self.dialect == "mysql" and ints == [1]:
                return ColumnType("boolean"), False  # MySQL's BOOLEAN is TINYINT(1)
            return ColumnType("smallint"), False
        if dtype in simple:
            return ColumnType(simple[dtype]), False
        if dtype in (t.VARCHAR, t.NVARCHAR, t.CHAR, t.NCHAR):
            length = ints[0] if ints else (1 if dtype in (t.CHAR, t.NCHAR) else None)
            return ColumnType("string", length=length), False
        if dtype in (t.DECIMAL, t.BIGDECIMAL) or str(dtype).endswith("NUMERIC"):
            return (
                ColumnType(
                    "numeric",
                    precision=ints[0] if ints else None,
                    scale=ints[1] if len(ints) > 1 else None,
                ),
                False,
            )
        if dtype in (t.TIMESTAMP, t.DATETIME, t.TIMESTAMPNTZ):
            return ColumnType("datetime"), False
        if dtype in (t.TIMESTAMPTZ, t.TIMESTAMPLTZ):
            # sqlglot reads MySQL's TIMESTAMP as TIMESTAMPTZ; SQLAlchemy (and bb) call it a
            # plain datetime there, as MySQL has no time zone type
            return ColumnType("datetime", timezone=self.dialect != "mysql"), False
        if dtype == t.ENUM:
            values = tuple(p.name for p in params if isinstance(p, exp.Literal))
            name = f"{table.name}_{column}"
            self._add_enum(Enum(name, values), where)
            return ColumnType("enum", enum=name), False
        if dtype == t.USERDEFINED:
            udt = kind.args.get("kind")
            name = udt.name if udt is not None else kind.sql(self.glot)
            if name in self.enums:
                return ColumnType("enum", enum=name), False
        raise _Unsupported(
            f"column {table.name}.{column} has type {self._type_text(kind)}, which bb does not map",
            hint="bb maps integer, bigint, smallint, varchar(n), text, boolean, real, double, "
            "numeric(p,s), date, timestamp[tz], time, interval, uuid, json[b], bytea/blob and "
            "enums; change the column type or create it in a hand-written migration",
            node=where,
        )

    def _add_enum(self, enum: Enum, where: exp.Expr | None) -> None:
        known = self.enums.get(enum.name)
        if known is not None and known.values != enum.values:
            raise _Unsupported(f"enum {enum.name} is declared twice", node=where)
        self.enums[enum.name] = enum

    def _default(self, table: _Tbl, col: _Col, value: exp.Expr) -> None:
        from sqlglot import exp

        while isinstance(value, exp.Paren):
            value = value.this
        if isinstance(value, exp.Null):
            return
        if isinstance(value, exp.Anonymous) and value.name.lower() == "nextval":
            col.autoincrement = True  # the default of a SERIAL column in a pg_dump
            return
        default = self.canonical_default(value)
        if col.type.name == "boolean" and default in ("0", "1"):
            default = "TRUE" if default == "1" else "FALSE"  # TINYINT(1) DEFAULT 1
        col.server_default = default

    def canonical_default(self, value: exp.Expr) -> str:
        from sqlglot import exp

        while isinstance(value, exp.Paren):
            value = value.this
        if isinstance(value, exp.Cast) and isinstance(value.this, exp.Literal | exp.Neg):
            value = value.this  # 'active'::character varying
        if isinstance(value, exp.CurrentTimestamp):
            return "CURRENT_TIMESTAMP"
        if isinstance(value, exp.CurrentDate):
            return "CURRENT_DATE"
        if isinstance(value, exp.CurrentTime):
            return "CURRENT_TIME"
        if isinstance(value, exp.Uuid):
            # MySQL's UUID() too: bb's neutral name, rendered back per dialect by migrations
            return "gen_random_uuid()"
        if (
            isinstance(value, exp.Anonymous | exp.Func)
            and not value.expressions
            and (value.sql(self.glot).lower() in ("now()", "current_timestamp()"))
        ):
            return "CURRENT_TIMESTAMP"
        if isinstance(value, exp.Boolean):
            return "TRUE" if value.this else "FALSE"
        if isinstance(value, exp.Literal):
            if value.is_string:
                return "'" + str(value.this).replace("'", "''") + "'"
            return str(value.this)
        if isinstance(value, exp.Neg) and isinstance(value.this, exp.Literal):
            return f"-{value.this.this}"
        if isinstance(value, exp.Anonymous):
            args = ", ".join(self.canonical_default(a) for a in value.expressions)
            return f"{value.name.lower()}({args})"
        return self._sql(value)

    def _check_sql(self, node: exp.Expr) -> str:
        """A CHECK expression without the outer parentheses PostgreSQL's dumps add."""
        from sqlglot import exp

        while isinstance(node, exp.Paren):
            node = node.this
        return self._sql(node)

    def _sql(self, node: exp.Expr) -> str:
        """The expression as SQL, with quotes dropped from plain lower-case identifiers so a
        CHECK written with MySQL backticks reads the same as one written without."""
        from sqlglot import exp

        def unquote(n: exp.Expr) -> exp.Expr:
            if isinstance(n, exp.Identifier) and n.args.get("quoted") and _PLAIN.match(n.name):
                return exp.Identifier(this=n.name, quoted=False)
            return n

        # function names in lower case, as bb writes gen_random_uuid() and friends
        return node.copy().transform(unquote).sql(dialect=self.glot, normalize_functions="lower")

    # -- constraints ----------------------------------------------------------------------------

    def _names(self, nodes: list[exp.Expr]) -> tuple[str, ...]:
        from sqlglot import exp

        out: list[str] = []
        for node in nodes:
            while isinstance(node, exp.Ordered):
                node = node.this
            if isinstance(node, exp.Identifier | exp.Column):
                out.append(node.name)
            else:
                raise _Unsupported(
                    f"`{self._sql(node)}` is an expression, not a column",
                    hint="bb reads constraints and indexes over plain columns",
                    node=node,
                )
        return tuple(out)

    def _reference(
        self, table: _Tbl, columns: tuple[str, ...], ref: exp.Reference, explicit: str | None
    ) -> ForeignKey:
        from sqlglot import exp

        target = ref.this
        if isinstance(target, exp.Schema):
            ref_table = self._table_name(target.this)
            ref_columns = self._names(target.expressions)
        else:
            ref_table = self._table_name(target)
            ref_columns = ()
        if not ref_columns:
            ref_columns = ("__pk__",)  # REFERENCES t: the target's primary key, resolved last
        on_delete = on_update = None
        for option in ref.args.get("options") or []:
            text = " ".join(str(option).upper().split())
            for prefix in ("ON DELETE ", "ON UPDATE "):
                if text.startswith(prefix):
                    action = text[len(prefix) :]
                    if action not in model.REFERENTIAL_ACTIONS:
                        raise _Unsupported(f"referential action {action} is not supported")
                    if prefix == "ON DELETE ":
                        on_delete = action
                    else:
                        on_update = action
        return ForeignKey(
            name=explicit or "",
            columns=columns,
            ref_table=ref_table,
            ref_columns=ref_columns,
            on_delete=on_delete,
            on_update=on_update,
        )

    def _table_constraint(self, table: _Tbl, item: exp.Expr, explicit: str | None) -> None:
        from sqlglot import exp

        if isinstance(item, exp.Constraint):
            name = item.this.name if item.this is not None else None
            for inner in item.expressions:
                self._table_constraint(table, inner, name)
            return
        if isinstance(item, exp.PrimaryKey):
            table.primary_key = self._names(item.expressions)
            table.primary_key_name = explicit
            for name in table.primary_key:
                table.col(name).nullable = False
        elif isinstance(item, exp.UniqueColumnConstraint):
            schema = item.this
            index_name = None
            if schema is not None and schema.this is not None:
                index_name = schema.this.name
            columns = self._names(schema.expressions if schema is not None else [])
            table.uniques.append(
                UniqueConstraint(
                    explicit or index_name or model.unique_name(table.name, columns), columns
                )
            )
        elif isinstance(item, exp.CheckColumnConstraint):
            expression = self._check_sql(item.this)
            table.checks.append(
                CheckConstraint(explicit or model.check_name(table.name, expression), expression)
            )
        elif isinstance(item, exp.ForeignKey):
            columns = self._names(item.expressions)
            ref = item.args.get("reference")
            if ref is None:
                raise _Unsupported("FOREIGN KEY without REFERENCES", node=item)
            fk = self._reference(table, columns, ref, explicit)
            options = [str(o) for o in item.args.get("options") or []]
            if options:
                fk = self._with_options(fk, options)
            table.foreign_keys.append(fk)
        elif isinstance(item, exp.IndexColumnConstraint):
            columns = self._names(item.expressions)
            name = item.this.name if item.this is not None else None
            table.indexes.append(Index(name or model.index_name(table.name, columns), columns))
        else:
            raise _Unsupported(f"table constraint `{self._sql(item)}` is not supported", node=item)

    def _with_options(self, fk: ForeignKey, options: list[str]) -> ForeignKey:
        from betterbase_cli.records import replace

        for option in options:
            text = " ".join(option.upper().split())
            if text.startswith("ON DELETE "):
                fk = replace(fk, on_delete=text[len("ON DELETE ") :])
            elif text.startswith("ON UPDATE "):
                fk = replace(fk, on_update=text[len("ON UPDATE ") :])
        return fk

    def _create_index(self, node: exp.Create) -> None:
        from sqlglot import exp

        index = node.this
        if not isinstance(index, exp.Index):
            raise _Unsupported("CREATE INDEX not understood", node=node)
        table = self._table(index.args["table"])
        params = index.args.get("params")
        columns = self._names(params.args.get("columns") or [] if params is not None else [])
        if params is not None and params.args.get("where") is not None:
            raise _Unsupported(
                "partial indexes (CREATE INDEX ... WHERE) are not supported",
                hint="create it in a hand-written migration (bb migrate new)",
                node=index,
            )
        name = index.this.name if index.this is not None else model.index_name(table.name, columns)
        table.indexes.append(Index(name, columns, bool(node.args.get("unique"))))

    def _create_type(self, node: exp.Create, text: str) -> None:
        from sqlglot import exp

        value = node.args.get("expression")
        if isinstance(value, exp.DataType) and value.this == exp.DataType.Type.ENUM:
            values = tuple(p.name for p in value.expressions)
            self._add_enum(Enum(node.this.name, values), node.this)
        else:
            self.skip(text)

    def _alter(self, node: exp.Alter, text: str) -> None:
        from sqlglot import exp

        if (node.args.get("kind") or "").upper() != "TABLE":
            self.skip(text)
            return
        table = self._table(node.this)
        for action in node.args.get("actions") or []:
            if isinstance(action, exp.AddConstraint):
                for constraint in action.expressions:
                    self._table_constraint(table, constraint, None)
            elif isinstance(action, exp.ColumnDef):
                self._column(table, action)
            elif isinstance(action, exp.AlterColumn):
                col = table.col(action.this.name)
                default = action.args.get("default")
                if default is not None:
                    self._default(table, col, default)
                elif action.args.get("allow_null") is False:
                    col.nullable = False
                elif action.args.get("allow_null") is True or action.args.get("drop"):
                    if action.args.get("drop") and action.args.get("allow_null") is None:
                        col.server_default = None
                    else:
                        col.nullable = True
                else:
                    raise _Unsupported(f"`{_first_words(text, 10)}` is not supported", node=action)
            else:
                raise _Unsupported(
                    f"`{_first_words(text, 10)}` is not supported",
                    hint="bb reads ALTER TABLE ... ADD CONSTRAINT / ADD COLUMN / ALTER COLUMN",
                    node=action,
                )

    def _comment(self, node: exp.Comment, text: str) -> None:
        from sqlglot import exp

        kind = (node.args.get("kind") or "").upper()
        value = node.args.get("expression")
        comment = value.name if isinstance(value, exp.Literal) else None
        target = node.this
        if kind == "TABLE" and isinstance(target, exp.Table) and target.name in self.tables:
            self.tables[target.name].comment = comment
        elif kind == "COLUMN" and isinstance(target, exp.Column):
            table = self.tables.get(target.table)
            if table is not None:
                table.col(target.name).comment = comment
        else:
            self.skip(text)

    # -- the result -----------------------------------------------------------------------------

    def _mariadb_forms(self, tbl: _Tbl) -> None:
        """Undo how MySQL/MariaDB dumps spell what bb's schema says once: JSON as LONGTEXT with
        CHECK (json_valid(col)), and the index each foreign key gets under its own name."""
        for check in list(tbl.checks):
            match = _JSON_VALID.match(check.expression)
            if match and any(c.name == match.group(1) for c in tbl.columns):
                column = tbl.col(match.group(1))
                if column.type.name == "text":
                    column.type = ColumnType("json")
                    tbl.checks.remove(check)
                    self.warnings[:] = [
                        w for w in self.warnings if not w.startswith(f"{tbl.name}.{column.name}:")
                    ]
        for fk in tbl.foreign_keys:
            for index in list(tbl.indexes):
                if index.name == fk.name and index.columns == fk.columns and not index.unique:
                    tbl.indexes.remove(index)

    def schema(self) -> Schema:
        tables: list[Table] = []
        for tbl in self.tables.values():
            if self.dialect == "mysql":
                self._mariadb_forms(tbl)
            pk = tbl.primary_key
            fks: list[ForeignKey] = []
            for fk in tbl.foreign_keys:
                ref_columns = fk.ref_columns
                if ref_columns == ("__pk__",):
                    target = self.tables.get(fk.ref_table)
                    ref_columns = target.primary_key if target is not None else ("id",)
                fks.append(
                    ForeignKey(
                        name=fk.name or model.foreign_key_name(tbl.name, fk.columns, fk.ref_table),
                        columns=fk.columns,
                        ref_table=fk.ref_table,
                        ref_columns=ref_columns,
                        on_delete=None if fk.on_delete == "NO ACTION" else fk.on_delete,
                        on_update=None if fk.on_update == "NO ACTION" else fk.on_update,
                    )
                )
            autoinc = [c.name for c in tbl.columns if c.autoincrement and c.name in pk]
            columns = tuple(
                Column(
                    name=c.name,
                    type=c.type,
                    nullable=False if c.name in pk else c.nullable,
                    autoincrement=c.name in autoinc[:1] and c.type.name in INTEGER_TYPES,
                    server_default=c.server_default,
                    comment=c.comment,
                )
                for c in tbl.columns
            )
            pk_name = tbl.primary_key_name
            if pk_name == model.primary_key_name(tbl.name):
                pk_name = None
            tables.append(
                Table(
                    name=tbl.name,
                    columns=columns,
                    primary_key=pk,
                    foreign_keys=sorted_by_name(fks),
                    indexes=sorted_by_name(tbl.indexes),
                    uniques=sorted_by_name(tbl.uniques),
                    checks=sorted_by_name(tbl.checks),
                    comment=tbl.comment,
                    primary_key_name=pk_name,
                )
            )
        used = {c.type.enum for t in tables for c in t.columns if c.type.enum}
        for enum in self.enums.values():
            if enum.name not in used:
                self.warnings.append(f"enum type {enum.name} is used by no column; left out")
        enums = tuple(e for e in self.enums.values() if e.name in used)
        return Schema(tables=tuple(tables), enums=enums)
