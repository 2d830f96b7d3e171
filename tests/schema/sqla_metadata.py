"""Turn a live SQLAlchemy MetaData into bb's schema terms, to check the static reader against it.

Only tests import this (it imports SQLAlchemy and the model files themselves).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import elements, functions

from betterbase_cli.schema import model


def import_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def metadata_of(module: ModuleType) -> sa.MetaData:
    base = module.Base
    return base.metadata  # type: ignore[no-any-return]


def column_type(t: Any) -> dict[str, Any]:
    if isinstance(t, sa.Enum):
        return {"name": "enum", "enum": t.name}
    if isinstance(t, sa.BigInteger):
        return {"name": "bigint"}
    if isinstance(t, sa.SmallInteger):
        return {"name": "smallint"}
    if isinstance(t, sa.Integer):
        return {"name": "integer"}
    if isinstance(t, sa.Double):
        return {"name": "double"}
    if isinstance(t, sa.Float):
        return {"name": "float"}
    if isinstance(t, sa.Numeric):
        return {"name": "numeric", "precision": t.precision, "scale": t.scale}
    if isinstance(t, sa.Text):
        return {"name": "text"}
    if isinstance(t, sa.String):
        return {"name": "string", "length": t.length}
    if isinstance(t, sa.Boolean):
        return {"name": "boolean"}
    if isinstance(t, sa.DateTime):
        return {"name": "datetime", "timezone": bool(t.timezone)}
    if isinstance(t, sa.Date):
        return {"name": "date"}
    if isinstance(t, sa.Time):
        return {"name": "time"}
    if isinstance(t, sa.Interval):
        return {"name": "interval"}
    if isinstance(t, sa.Uuid):
        return {"name": "uuid"}
    if isinstance(t, sa.JSON):
        return {"name": "json"}
    if isinstance(t, sa.LargeBinary):
        return {"name": "binary"}
    raise AssertionError(f"unmapped SQLAlchemy type {t!r}")


def server_default(column: sa.Column[Any]) -> str | None:
    default = column.server_default
    if default is None:
        return None
    arg = default.arg  # type: ignore[attr-defined]
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    if isinstance(arg, elements.TextClause):
        return arg.text
    if isinstance(arg, elements.False_):
        return "FALSE"
    if isinstance(arg, elements.True_):
        return "TRUE"
    if isinstance(arg, functions.FunctionElement):
        name = arg.name  # type: ignore[attr-defined]
        if name.lower() in ("now", "current_timestamp"):
            return "CURRENT_TIMESTAMP"
        return f"{name}()"
    raise AssertionError(f"unmapped server default {arg!r}")


def _conv(name: Any) -> str | None:
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def describe_metadata(metadata: sa.MetaData) -> dict[str, Any]:
    """Tables as plain dicts in bb's terms; names only where SQLAlchemy knows them."""
    tables: dict[str, Any] = {}
    for table in metadata.sorted_tables:
        pk = table.primary_key
        autoinc = table.autoincrement_column
        pk_name = _conv(pk.name)
        if pk_name == model.primary_key_name(table.name):
            pk_name = None
        enums = {}
        for c in table.columns:
            if isinstance(c.type, sa.Enum):
                enums[c.type.name] = tuple(c.type.enums)
        tables[table.name] = {
            "columns": [
                {
                    "name": c.name,
                    "type": column_type(c.type),
                    "nullable": c.nullable,
                    "autoincrement": c is autoinc,
                    "server_default": server_default(c),
                    "comment": c.comment,
                }
                for c in table.columns
            ],
            "primary_key": tuple(c.name for c in pk.columns),
            "primary_key_name": pk_name,
            "comment": table.comment,
            "foreign_keys": sorted(
                (
                    _conv(fk.name),
                    tuple(fk.column_keys),
                    fk.referred_table.name,
                    tuple(e.column.name for e in fk.elements),
                    fk.ondelete.upper() if fk.ondelete else None,
                    fk.onupdate.upper() if fk.onupdate else None,
                )
                for fk in table.foreign_key_constraints
            ),
            "indexes": sorted(
                (_conv(i.name), tuple(c.name for c in i.columns), bool(i.unique))
                for i in table.indexes
            ),
            "uniques": sorted(
                (_conv(u.name), tuple(c.name for c in u.columns))
                for u in table.constraints
                if isinstance(u, sa.UniqueConstraint)
            ),
            "checks": sorted(
                (_conv(ck.name), str(ck.sqltext))
                for ck in table.constraints
                if isinstance(ck, sa.CheckConstraint)
            ),
            "enums": enums,
        }
    return tables


def describe_schema(schema: model.Schema, names_from: dict[str, Any]) -> dict[str, Any]:
    """The same dicts from bb's Schema; a name is dropped where SQLAlchemy had none."""
    tables: dict[str, Any] = {}
    for table in schema.tables:
        theirs = names_from.get(table.name, {})

        def keep(name: str, kind: str, key: tuple[Any, ...], theirs: Any = theirs) -> str | None:
            for item in theirs.get(kind, []):
                if item[1:] == key and item[0] is None:
                    return None
            return name

        tables[table.name] = {
            "columns": [
                {
                    "name": c.name,
                    "type": {
                        k: v
                        for k, v in (
                            ("name", c.type.name),
                            ("length", c.type.length),
                            ("precision", c.type.precision),
                            ("scale", c.type.scale),
                            ("timezone", c.type.timezone),
                            ("enum", c.type.enum),
                        )
                        if k == "name"
                        or (k == "length" and c.type.name == "string")
                        or (k in ("precision", "scale") and c.type.name == "numeric")
                        or (k == "timezone" and c.type.name == "datetime")
                        or (k == "enum" and c.type.name == "enum")
                    },
                    "nullable": c.nullable,
                    "autoincrement": c.autoincrement,
                    "server_default": c.server_default,
                    "comment": c.comment,
                }
                for c in table.columns
            ],
            "primary_key": table.primary_key,
            "primary_key_name": table.primary_key_name,
            "comment": table.comment,
            "foreign_keys": sorted(
                (
                    keep(
                        fk.name,
                        "foreign_keys",
                        (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update),
                    ),
                    fk.columns,
                    fk.ref_table,
                    fk.ref_columns,
                    fk.on_delete,
                    fk.on_update,
                )
                for fk in table.foreign_keys
            ),
            "indexes": sorted(
                (keep(i.name, "indexes", (i.columns, i.unique)), i.columns, i.unique)
                for i in table.indexes
            ),
            "uniques": sorted(
                (keep(u.name, "uniques", (u.columns,)), u.columns) for u in table.uniques
            ),
            "checks": sorted(
                (keep(ck.name, "checks", (ck.expression,)), ck.expression) for ck in table.checks
            ),
            "enums": {
                c.type.enum: schema.enum(c.type.enum).values
                for c in table.columns
                if c.type.enum is not None
            },
        }
    return tables
