"""The schema model: frozen dataclasses every reader produces and every generator consumes.

Equality ignores where a thing was declared (``location``, ``class_name``, relations, Python-side
defaults), so two schemas compare equal exactly when their databases would.  The JSON form of a
``Schema`` is the migration snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from betterbase_cli.records import dataclass, field, fields

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

SNAPSHOT_VERSION = 1

# Canonical, dialect-neutral column type names.  Readers map what they see onto these;
# renderers map these onto each dialect.
TYPE_NAMES = (
    "integer",
    "bigint",
    "smallint",
    "string",  # VARCHAR(length)
    "text",
    "boolean",
    "float",
    "double",
    "numeric",  # NUMERIC(precision, scale)
    "date",
    "datetime",  # timezone=True for TIMESTAMP WITH TIME ZONE
    "time",
    "interval",
    "uuid",
    "json",
    "binary",
    "enum",  # enum=<Enum.name>
)


REFERENTIAL_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION")

# Identifiers longer than this are cut and suffixed with a hash (PostgreSQL allows 63, MySQL 64).
MAX_IDENTIFIER = 63


# Every class has a docstring: without one, @dataclass makes one with inspect.signature at import.


@dataclass(frozen=True)
class Location:
    """Where something was declared: a project-relative POSIX path and a 1-based line."""

    path: str
    line: int
    col: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class ColumnType:
    """A canonical column type (one of TYPE_NAMES) and its parameters."""

    name: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False
    enum: str | None = None

    def __str__(self) -> str:
        if self.name == "string" and self.length is not None:
            return f"string({self.length})"
        if self.name == "numeric" and self.precision is not None:
            scale = f", {self.scale}" if self.scale is not None else ""
            return f"numeric({self.precision}{scale})"
        if self.name == "datetime" and self.timezone:
            return "datetime(timezone)"
        if self.name == "enum":
            return f"enum({self.enum})"
        return self.name


@dataclass(frozen=True)
class Column:
    """A table column as the database sees it, plus where and how Python declares it."""

    name: str
    type: ColumnType
    nullable: bool = True
    autoincrement: bool = False
    # A dialect-neutral SQL expression: 'active', 0, TRUE, CURRENT_TIMESTAMP, gen_random_uuid().
    server_default: str | None = None
    comment: str | None = None
    # The Python-side default (source text); it never reaches DDL.
    default: str | None = field(default=None, compare=False)
    # The Python type a model maps this column to (str, int, datetime.datetime, a project enum).
    python_type: str | None = field(default=None, compare=False)
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key constraint: ``columns`` reference ``ref_columns`` of ``ref_table``."""

    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str | None = None  # one of REFERENTIAL_ACTIONS, None = the database default
    on_update: str | None = None


@dataclass(frozen=True)
class Index:
    """A named index over some columns."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class UniqueConstraint:
    """A named unique constraint over some columns."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CheckConstraint:
    """A named check constraint and its SQL expression."""

    name: str
    expression: str


@dataclass(frozen=True)
class Relation:
    """A ``relationship()`` attribute: navigation, not a column."""

    name: str
    target: str  # table name
    many: bool  # True for a collection (one-to-many), False for a scalar
    back_populates: str | None = None


@dataclass(frozen=True)
class Table:
    """A table: columns, keys and constraints; ORM-only details do not count for equality."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    comment: str | None = None
    primary_key_name: str | None = None
    class_name: str | None = field(default=None, compare=False)
    relations: tuple[Relation, ...] = field(default=(), compare=False)
    location: Location | None = field(default=None, compare=False)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def has_column(self, name: str) -> bool:
        return any(column.name == name for column in self.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def is_primary_key(self, column: str) -> bool:
        return column in self.primary_key

    def is_unique(self, column: str) -> bool:
        """True when the column alone is unique (primary key, unique constraint or index)."""
        if self.primary_key == (column,):
            return True
        single = (column,)
        return any(u.columns == single for u in self.uniques) or any(
            i.unique and i.columns == single for i in self.indexes
        )

    def foreign_key_of(self, column: str) -> ForeignKey | None:
        for fk in self.foreign_keys:
            if column in fk.columns:
                return fk
        return None


@dataclass(frozen=True)
class Enum:
    """A named enum type and its values."""

    name: str
    values: tuple[str, ...]
    # The Python class it came from, when it came from one.
    class_name: str | None = field(default=None, compare=False)
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Schema:
    """Every table and enum of a database, each sorted by name."""

    tables: tuple[Table, ...] = ()
    enums: tuple[Enum, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", tuple(sorted(self.tables, key=lambda t: t.name)))
        object.__setattr__(self, "enums", tuple(sorted(self.enums, key=lambda e: e.name)))

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def has_table(self, name: str) -> bool:
        return any(table.name == name for table in self.tables)

    def enum(self, name: str) -> Enum:
        for enum in self.enums:
            if enum.name == name:
                return enum
        raise KeyError(name)

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)

    def referencing(self, table: str) -> tuple[tuple[Table, ForeignKey], ...]:
        """Every (table, foreign key) that points at ``table``, self-references included."""
        return tuple((t, fk) for t in self.tables for fk in t.foreign_keys if fk.ref_table == table)


# --- deterministic constraint names ------------------------------------------------------------


def _fit(name: str) -> str:
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def primary_key_name(table: str) -> str:
    return _fit(f"pk_{table}")


def unique_name(table: str, columns: Iterable[str]) -> str:
    return _fit(f"uq_{table}_{'_'.join(columns)}")


def index_name(table: str, columns: Iterable[str]) -> str:
    return _fit(f"ix_{table}_{'_'.join(columns)}")


def foreign_key_name(table: str, columns: Iterable[str], ref_table: str) -> str:
    return _fit(f"fk_{table}_{'_'.join(columns)}_{ref_table}")


def check_name(table: str, expression: str) -> str:
    digest = hashlib.sha1(" ".join(expression.split()).encode()).hexdigest()[:8]
    return _fit(f"ck_{table}_{digest}")


# --- the JSON form (the snapshot) --------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A dataclass as a JSON-ready dict: compared fields only, empty values left out."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(type(value), "__dataclass_fields__"):
        out: dict[str, Any] = {}
        for f in fields(value):
            if not f.compare:
                continue
            v = getattr(value, f.name)
            if v is None or v == () or (v is False and f.name != "nullable"):
                continue
            out[f.name] = _plain(v)
        return out
    return value


def schema_to_json(schema: Schema) -> dict[str, Any]:
    return {
        "version": SNAPSHOT_VERSION,
        "tables": [_plain(t) for t in schema.tables],
        "enums": [_plain(e) for e in schema.enums],
    }


def _column_from(data: Mapping[str, Any]) -> Column:
    return Column(
        name=data["name"],
        type=ColumnType(**data["type"]),
        nullable=data.get("nullable", True),
        autoincrement=data.get("autoincrement", False),
        server_default=data.get("server_default"),
        comment=data.get("comment"),
    )


def _table_from(data: Mapping[str, Any]) -> Table:
    return Table(
        name=data["name"],
        columns=tuple(_column_from(c) for c in data.get("columns", [])),
        primary_key=tuple(data.get("primary_key", [])),
        foreign_keys=tuple(
            ForeignKey(
                name=fk["name"],
                columns=tuple(fk["columns"]),
                ref_table=fk["ref_table"],
                ref_columns=tuple(fk["ref_columns"]),
                on_delete=fk.get("on_delete"),
                on_update=fk.get("on_update"),
            )
            for fk in data.get("foreign_keys", [])
        ),
        indexes=tuple(
            Index(name=i["name"], columns=tuple(i["columns"]), unique=i.get("unique", False))
            for i in data.get("indexes", [])
        ),
        uniques=tuple(
            UniqueConstraint(name=u["name"], columns=tuple(u["columns"]))
            for u in data.get("uniques", [])
        ),
        checks=tuple(
            CheckConstraint(name=c["name"], expression=c["expression"])
            for c in data.get("checks", [])
        ),
        comment=data.get("comment"),
        primary_key_name=data.get("primary_key_name"),
    )


def schema_from_json(data: Mapping[str, Any]) -> Schema:
    """Build a Schema from its JSON form.  Raises KeyError/TypeError/ValueError on bad input;
    the snapshot loader turns those into a ConfigError naming the file."""
    version = data.get("version")
    if not isinstance(version, int) or version > SNAPSHOT_VERSION:
        raise ValueError(f"unsupported snapshot version {version!r}")
    return Schema(
        tables=tuple(_table_from(t) for t in data.get("tables", [])),
        enums=tuple(Enum(name=e["name"], values=tuple(e["values"])) for e in data.get("enums", [])),
    )
