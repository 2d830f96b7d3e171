"""What SQLAlchemy type names and Python annotations mean as bb column types, without SQLAlchemy."""

from __future__ import annotations

from betterbase_cli.schema.model import ColumnType

# SQLAlchemy type class (generic or dialect upper-case) -> bb type name.  Looked up by the last
# component of the qualified name, so `sa.String`, `sqlalchemy.types.String` and
# `sqlalchemy.dialects.postgresql.VARCHAR` all land here.
SQLALCHEMY_TYPES: dict[str, str] = {
    "Integer": "integer",
    "INTEGER": "integer",
    "INT": "integer",
    "BigInteger": "bigint",
    "BIGINT": "bigint",
    "SmallInteger": "smallint",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "String": "string",
    "VARCHAR": "string",
    "NVARCHAR": "string",
    "Unicode": "string",
    "CHAR": "string",
    "NCHAR": "string",
    "Text": "text",
    "TEXT": "text",
    "UnicodeText": "text",
    "CLOB": "text",
    "MEDIUMTEXT": "text",
    "LONGTEXT": "text",
    "CITEXT": "text",
    "Boolean": "boolean",
    "BOOLEAN": "boolean",
    "Float": "float",
    "FLOAT": "float",
    "REAL": "float",
    "Double": "double",
    "DOUBLE": "double",
    "DOUBLE_PRECISION": "double",
    "Numeric": "numeric",
    "NUMERIC": "numeric",
    "DECIMAL": "numeric",
    "Date": "date",
    "DATE": "date",
    "DateTime": "datetime",
    "DATETIME": "datetime",
    "TIMESTAMP": "datetime",
    "Time": "time",
    "TIME": "time",
    "Interval": "interval",
    "INTERVAL": "interval",
    "Uuid": "uuid",
    "UUID": "uuid",
    "JSON": "json",
    "JSONB": "json",
    "LargeBinary": "binary",
    "BLOB": "binary",
    "BYTEA": "binary",
    "BINARY": "binary",
    "VARBINARY": "binary",
    "LONGBLOB": "binary",
    "Enum": "enum",
    "ENUM": "enum",
}

# Upper-case dialect types whose DDL is fixed-width or otherwise not the generic type bb renders;
# still mapped (the closest bb type), listed so the writer knows they are lossy.
LOSSY_SQLALCHEMY_TYPES = frozenset({"CHAR", "NCHAR", "TINYINT", "MEDIUMTEXT", "LONGTEXT", "CITEXT"})

# Python annotation (qualified) -> bb type, as SQLAlchemy's default type_annotation_map has it.
# float maps to double: SQLAlchemy 2.1 maps `float` to Double (2.0 used Float).
PYTHON_TYPES: dict[str, ColumnType] = {
    "builtins.int": ColumnType("integer"),
    "builtins.str": ColumnType("string"),
    "builtins.bool": ColumnType("boolean"),
    "builtins.float": ColumnType("double"),
    "builtins.bytes": ColumnType("binary"),
    "decimal.Decimal": ColumnType("numeric"),
    "datetime.datetime": ColumnType("datetime"),
    "datetime.date": ColumnType("date"),
    "datetime.time": ColumnType("time"),
    "datetime.timedelta": ColumnType("interval"),
    "uuid.UUID": ColumnType("uuid"),
    # Not in SQLAlchemy's default map (it needs a type_annotation_map entry), but unambiguous.
    "builtins.dict": ColumnType("json"),
    "builtins.list": ColumnType("json"),
    "typing.Dict": ColumnType("json"),
    "typing.List": ColumnType("json"),
}

# How python_type is written for the stdlib classes (whatever name they were imported under).
PYTHON_TYPE_TEXT: dict[str, str] = {
    "builtins.int": "int",
    "builtins.str": "str",
    "builtins.bool": "bool",
    "builtins.float": "float",
    "builtins.bytes": "bytes",
    "builtins.dict": "dict",
    "builtins.list": "list",
    "decimal.Decimal": "decimal.Decimal",
    "datetime.datetime": "datetime.datetime",
    "datetime.date": "datetime.date",
    "datetime.time": "datetime.time",
    "datetime.timedelta": "datetime.timedelta",
    "uuid.UUID": "uuid.UUID",
}

TYPE_HINT = (
    "use one of the SQLAlchemy types bb understands (Integer, BigInteger, SmallInteger, "
    "String(n), Text, Boolean, Float, Double, Numeric(p, s), Date, DateTime, Time, Interval, "
    "Uuid, JSON, LargeBinary, Enum)"
)
