"""Read a live database's schema (SQLite, PostgreSQL, MySQL/MariaDB) into a Schema, and compare.

``introspect(connection, dialect)`` takes an open DBAPI connection (sqlite3, psycopg, pymysql)
and reads the tables of the current database/schema, skipping bb's own tables (``bb_migrations``
and anything starting with ``__bb_``).  ``comparable(schema, dialect)`` maps a schema onto what
``dialect`` can represent, so that ``comparable(introspect(conn, d), d) == comparable(models, d)``
exactly when the database matches the models.  What each dialect cannot represent:

* every dialect: column order; check expressions (databases rewrite them: PostgreSQL adds casts
  and parentheses, MariaDB backticks) are compared by name only.
* SQLite: types compare by affinity (SQLite keeps the declared text but enforces nothing, and a
  same-affinity type change emits no SQL); enums are plain VARCHAR; unique constraints and unique
  indexes are both unique indexes; names of foreign keys, checks and the primary key are not
  compared (renaming them needs no SQL); autoincrement is the rowid; comments do not exist.
* MySQL/MariaDB: a string without a length is VARCHAR(255) and NUMERIC without precision is
  DECIMAL(10, 0); datetime has no timezone flag; enums are inline (compared by their values);
  unique constraints are unique indexes; the primary key is always named PRIMARY; ON DELETE
  RESTRICT and NO ACTION are the same; booleans are TINYINT(1).
"""

from __future__ import annotations

import re
from typing import Any

from betterbase_cli.migrate.diff import canonical, normalize_action, normalize_default
from betterbase_cli.migrate.ops import Operation
from betterbase_cli.migrate.render import Dialect
from betterbase_cli.migrate.render_sqlite import affinity
from betterbase_cli.records import replace
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
    check_name,
    foreign_key_name,
    unique_name,
)

SKIP_PREFIXES = ("__bb_", "sqlite_")
SKIP_TABLES = frozenset({"bb_migrations"})


def _skip(name: str) -> bool:
    return name in SKIP_TABLES or name.startswith(SKIP_PREFIXES)


def introspect(connection: Any, dialect: Dialect) -> Schema:
    if dialect == "sqlite":
        return _sqlite(connection)
    if dialect == "postgresql":
        return _postgresql(connection)
    return _mysql(connection)


# --- SQLite ------------------------------------------------------------------------------------

_TYPE_RE = re.compile(r"^\s*([A-Za-z ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")
_SQLITE_TYPES = {
    "INTEGER": "integer",
    "INT": "integer",
    "BIGINT": "bigint",
    "SMALLINT": "smallint",
    "VARCHAR": "string",
    "TEXT": "text",
    "BOOLEAN": "boolean",
    "FLOAT": "float",
    "REAL": "float",
    "DOUBLE": "double",
    "NUMERIC": "numeric",
    "DECIMAL": "numeric",
    "DATE": "date",
    "DATETIME": "datetime",
    "TIMESTAMP": "datetime",
    "TIME": "time",
    "JSON": "json",
    "BLOB": "binary",
}


def sqlite_type(declared: str) -> ColumnType:
    m = _TYPE_RE.match(declared)
    if not m:
        return ColumnType("text")
    base = m.group(1).upper()
    n1 = int(m.group(2)) if m.group(2) else None
    n2 = int(m.group(3)) if m.group(3) else None
    if base == "CHAR" and n1 == 32:
        return ColumnType("uuid")
    name = _SQLITE_TYPES.get(base, "text")
    if name == "string":
        return ColumnType("string", length=n1)
    if name == "numeric":
        return ColumnType("numeric", precision=n1, scale=n2)
    return ColumnType(name)


def _balanced(text: str, start: int) -> str:
    """The text inside the parenthesis that opens at ``text[start]``."""
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return text[start + 1 : i]
    return text[start + 1 :]


def _ident(text: str) -> str:
    return text.strip().strip('"`[]')


def _sqlite(conn: Any) -> Schema:
    tables = []
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    for name, sql in rows:
        if _skip(name):
            continue
        sql = sql or ""
        info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        columns = []
        for _cid, cname, ctype, notnull, dflt, pkpos in info:
            type_ = sqlite_type(ctype or "")
            columns.append(
                Column(
                    name=cname,
                    type=type_,
                    nullable=not notnull and not pkpos,
                    autoincrement=pk == (cname,) and (ctype or "").upper() == "INTEGER",
                    server_default=normalize_default(dflt),
                )
            )
        named = {
            m.group(1): m.end() for m in re.finditer(r'CONSTRAINT\s+("[^"]+"|\S+)\s+', sql, re.I)
        }
        fk_names: dict[tuple[str, ...], str] = {}
        checks = []
        for raw, end in named.items():
            rest = sql[end:]
            cname = _ident(raw)
            if re.match(r"FOREIGN\s+KEY", rest, re.I):
                cols = tuple(_ident(c) for c in _balanced(rest, rest.index("(")).split(","))
                fk_names[cols] = cname
            elif re.match(r"REFERENCES", rest, re.I):
                # inline column constraint: the column is the word before CONSTRAINT
                before = sql[: end - len(raw) - 1]
                words = re.findall(r'("[^"]+"|\w+)', before[: before.upper().rfind("CONSTRAINT")])
                if words:
                    # "<col> <TYPE ...> CONSTRAINT": find the column among known names
                    for w in reversed(words):
                        if any(c.name == _ident(w) for c in columns):
                            fk_names[(_ident(w),)] = cname
                            break
            elif re.match(r"CHECK", rest, re.I):
                checks.append(CheckConstraint(cname, _balanced(rest, rest.index("(")).strip()))
        fks: dict[int, list[Any]] = {}
        for row in conn.execute(f'PRAGMA foreign_key_list("{name}")').fetchall():
            fks.setdefault(row[0], []).append(row)
        foreign_keys = []
        for _id, group in sorted(fks.items()):
            group.sort(key=lambda r: r[1])
            cols = tuple(r[3] for r in group)
            ref = group[0][2]
            foreign_keys.append(
                ForeignKey(
                    name=fk_names.get(cols) or foreign_key_name(name, cols, ref),
                    columns=cols,
                    ref_table=ref,
                    ref_columns=tuple(r[4] for r in group),
                    on_delete=normalize_action(group[0][6]),
                    on_update=normalize_action(group[0][5]),
                )
            )
        indexes, uniques = [], []
        for _seq, iname, unique, origin, _partial in conn.execute(
            f'PRAGMA index_list("{name}")'
        ).fetchall():
            if origin == "pk":
                continue
            cols = tuple(
                r[2] for r in sorted(conn.execute(f'PRAGMA index_info("{iname}")').fetchall())
            )
            if origin == "u":
                uniques.append(UniqueConstraint(unique_name(name, cols), cols))
            else:
                indexes.append(Index(iname, cols, bool(unique)))
        pk_match = re.search(r'CONSTRAINT\s+("[^"]+"|\S+)\s+PRIMARY\s+KEY', sql, re.I)
        tables.append(
            Table(
                name=name,
                columns=tuple(columns),
                primary_key=pk,
                foreign_keys=tuple(foreign_keys),
                indexes=tuple(indexes),
                uniques=tuple(uniques),
                checks=tuple(checks),
                primary_key_name=_ident(pk_match.group(1)) if pk_match else None,
            )
        )
    return Schema(tables=tuple(tables))


# --- PostgreSQL --------------------------------------------------------------------------------

_PG_TYPES = {
    "integer": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "text": "text",
    "boolean": "boolean",
    "real": "float",
    "double precision": "double",
    "date": "date",
    "time without time zone": "time",
    "interval": "interval",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "json",
    "bytea": "binary",
}
_PG_ACTIONS = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _postgresql(conn: Any) -> Schema:
    def rows(sql: str, *params: Any) -> list[Any]:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    enums: dict[str, list[str]] = {}
    for typname, label in rows(
        "SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
        "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema() "
        "ORDER BY t.typname, e.enumsortorder"
    ):
        enums.setdefault(typname, []).append(label)
    table_rows = rows(
        "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname"
    )
    tables = []
    for tname, tcomment in table_rows:
        if _skip(tname):
            continue
        columns = []
        for (
            cname,
            data_type,
            udt,
            length,
            precision,
            scale,
            nullable,
            default,
            identity,
            comment,
        ) in rows(
            "SELECT column_name, data_type, udt_name, character_maximum_length, "
            "numeric_precision, numeric_scale, is_nullable, column_default, is_identity, "
            "col_description(format('%%I', table_name)::regclass, ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s ORDER BY ordinal_position",
            tname,
        ):
            if data_type == "character varying":
                type_ = ColumnType("string", length=length)
            elif data_type == "numeric":
                type_ = ColumnType("numeric", precision=precision, scale=scale)
            elif data_type.startswith("timestamp"):
                type_ = ColumnType("datetime", timezone="with time zone" in data_type)
            elif data_type == "USER-DEFINED" and udt in enums:
                type_ = ColumnType("enum", enum=udt)
            else:
                type_ = ColumnType(_PG_TYPES.get(data_type, data_type))
            serial = default is not None and default.startswith("nextval(")
            columns.append(
                Column(
                    name=cname,
                    type=type_,
                    nullable=nullable == "YES",
                    autoincrement=serial or identity == "YES",
                    server_default=None if serial else normalize_default(default),
                    comment=comment,
                )
            )
        pk: tuple[str, ...] = ()
        pk_name = None
        uniques, checks, fks = [], [], []
        backing: set[str] = set()
        for conname, contype, cols, refname, refcols, deltype, updtype, definition, index in rows(
            "SELECT con.conname, con.contype, "
            "ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) "
            "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), "
            "ref.relname, "
            "ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i) "
            "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i), "
            "con.confdeltype, con.confupdtype, pg_get_constraintdef(con.oid), "
            "idx.relname "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_class ref ON ref.oid = con.confrelid "
            "LEFT JOIN pg_class idx ON idx.oid = con.conindid "
            "WHERE n.nspname = current_schema() AND c.relname = %s ORDER BY con.conname",
            tname,
        ):
            if index:
                backing.add(index)
            if contype == "p":
                pk, pk_name = tuple(cols), conname
            elif contype == "u":
                uniques.append(UniqueConstraint(conname, tuple(cols)))
            elif contype == "c":
                body = (
                    definition[len("CHECK ") :] if definition.startswith("CHECK ") else definition
                )
                checks.append(CheckConstraint(conname, body.strip()[1:-1]))
            elif contype == "f":
                fks.append(
                    ForeignKey(
                        conname,
                        tuple(cols),
                        refname,
                        tuple(refcols),
                        _PG_ACTIONS.get(deltype),
                        _PG_ACTIONS.get(updtype),
                    )
                )
        indexes = []
        for iname, unique, cols in rows(
            "SELECT i.relname, x.indisunique, "
            "ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o) "
            "  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = %s ORDER BY i.relname",
            tname,
        ):
            if iname not in backing:
                indexes.append(Index(iname, tuple(cols), bool(unique)))
        tables.append(
            Table(
                name=tname,
                columns=tuple(columns),
                primary_key=pk,
                foreign_keys=tuple(fks),
                indexes=tuple(indexes),
                uniques=tuple(uniques),
                checks=tuple(checks),
                comment=tcomment,
                primary_key_name=pk_name,
            )
        )
    return Schema(
        tables=tuple(tables),
        enums=tuple(Enum(n, tuple(v)) for n, v in enums.items()),
    )


# --- MySQL / MariaDB ---------------------------------------------------------------------------

_MY_TYPES = {
    "int": "integer",
    "integer": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "text": "text",
    "mediumtext": "text",
    "longtext": "text",
    "float": "float",
    "double": "double",
    "date": "date",
    "datetime": "datetime",
    "timestamp": "datetime",
    "time": "time",
    "json": "json",
    "blob": "binary",
    "longblob": "binary",
}


def _enum_values(column_type: str) -> tuple[str, ...]:
    inner = column_type[column_type.index("(") + 1 : column_type.rindex(")")]
    return tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", inner))


def _mysql(conn: Any) -> Schema:
    def rows(sql: str, *params: Any) -> list[Any]:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    json_columns = set()
    checks_by_table: dict[str, list[CheckConstraint]] = {}
    for tname, cname, clause in rows(
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
        "FROM information_schema.CHECK_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME"
    ):
        if re.fullmatch(rf"json_valid\(`{re.escape(cname)}`\)", clause.strip(), re.I):
            json_columns.add((tname, cname))  # MariaDB's JSON is LONGTEXT + this check
            continue
        checks_by_table.setdefault(tname, []).append(CheckConstraint(cname, clause))
    tables = []
    for tname, tcomment in rows(
        "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
    ):
        if _skip(tname):
            continue
        columns = []
        for (
            cname,
            data_type,
            column_type,
            length,
            precision,
            scale,
            nullable,
            default,
            extra,
            comment,
        ) in rows(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_MAXIMUM_LENGTH, "
            "NUMERIC_PRECISION, NUMERIC_SCALE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
            "ORDER BY ORDINAL_POSITION",
            tname,
        ):
            data_type = data_type.lower()
            if (tname, cname) in json_columns:
                type_ = ColumnType("json")
            elif data_type == "varchar":
                type_ = ColumnType("string", length=length)
            elif data_type == "char" and length == 32:
                type_ = ColumnType("uuid")
            elif data_type == "decimal":
                type_ = ColumnType("numeric", precision=precision, scale=scale)
            elif data_type == "tinyint" and column_type.lower().startswith("tinyint(1)"):
                type_ = ColumnType("boolean")
            elif data_type == "enum":
                type_ = ColumnType("enum", enum=",".join(_enum_values(column_type)))
            else:
                type_ = ColumnType(_MY_TYPES.get(data_type, data_type))
            if default is not None and default.upper() == "NULL":
                default = None
            if type_.name == "boolean" and default in ("1", "0"):
                default = "TRUE" if default == "1" else "FALSE"
            columns.append(
                Column(
                    name=cname,
                    type=type_,
                    nullable=nullable == "YES",
                    autoincrement="auto_increment" in (extra or "").lower(),
                    server_default=normalize_default(default),
                    comment=comment or None,
                )
            )
        stats: dict[str, list[tuple[int, str, int]]] = {}
        for iname, seq, cname, non_unique in rows(
            "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE "
            "FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            tname,
        ):
            stats.setdefault(iname, []).append((seq, cname, non_unique))
        pk = tuple(c for _, c, _ in sorted(stats.pop("PRIMARY", [])))
        fk_rows: dict[str, list[Any]] = {}
        for cname, col, ref_table, ref_col, pos, delete_rule, update_rule in rows(
            "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
            "k.REFERENCED_COLUMN_NAME, k.ORDINAL_POSITION, r.DELETE_RULE, r.UPDATE_RULE "
            "FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
            "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
            "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
            "AND r.TABLE_NAME = k.TABLE_NAME "
            "WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = %s",
            tname,
        ):
            fk_rows.setdefault(cname, []).append(
                (pos, col, ref_table, ref_col, delete_rule, update_rule)
            )
        fks = []
        for fname, group in sorted(fk_rows.items()):
            group.sort()
            fks.append(
                ForeignKey(
                    fname,
                    tuple(g[1] for g in group),
                    group[0][2],
                    tuple(g[3] for g in group),
                    normalize_action(group[0][4]),
                    normalize_action(group[0][5]),
                )
            )
            stats.pop(fname, None)  # the index MySQL made for the key
        indexes = [
            Index(iname, tuple(c for _, c, _ in sorted(parts)), not parts[0][2])
            for iname, parts in sorted(stats.items())
        ]
        tables.append(
            Table(
                name=tname,
                columns=tuple(columns),
                primary_key=pk,
                foreign_keys=tuple(fks),
                indexes=tuple(indexes),
                checks=tuple(checks_by_table.get(tname, [])),
                comment=tcomment or None,
            )
        )
    return Schema(tables=tuple(tables))


# --- comparison --------------------------------------------------------------------------------


def comparable(schema: Schema, dialect: Dialect) -> Schema:
    """``schema`` reduced to what ``dialect`` can represent (see the module docstring)."""
    schema = canonical(schema)
    enums = {e.name: e.values for e in schema.enums}
    tables = []
    for t in schema.tables:
        columns = []
        for c in t.columns:
            type_ = c.type
            default = c.server_default
            if default == "NULL":
                default = None
            if type_.name == "boolean" and default in ("1", "0"):
                default = "TRUE" if default == "1" else "FALSE"
            comment = c.comment
            autoincrement = c.autoincrement
            if dialect == "sqlite":
                from betterbase_cli.migrate.render_sqlite import _TYPES

                if type_.name in ("string", "enum"):
                    declared = "VARCHAR"
                elif type_.name == "numeric":
                    declared = "NUMERIC"
                else:
                    declared = _TYPES[type_.name] if type_.name in _TYPES else type_.name.upper()
                type_ = ColumnType(affinity(declared))
                comment = None
                autoincrement = False
            elif dialect == "mysql":
                if type_.name == "string" and type_.length is None:
                    type_ = replace(type_, length=255)
                elif type_.name == "numeric" and type_.precision is None:
                    type_ = replace(type_, precision=10, scale=0)
                elif type_.name == "datetime":
                    type_ = replace(type_, timezone=False)
                elif type_.name == "interval":
                    type_ = ColumnType("datetime")
                elif type_.name == "enum" and type_.enum in enums:
                    type_ = ColumnType("enum", enum=",".join(enums[type_.enum]))
            columns.append(
                replace(
                    c,
                    type=type_,
                    server_default=default,
                    comment=comment,
                    autoincrement=autoincrement,
                )
            )
        columns.sort(key=lambda c: c.name)
        indexes = list(t.indexes)
        uniques = list(t.uniques)
        fks = list(t.foreign_keys)
        checks = [replace(c, expression="") for c in t.checks]
        pk_name = t.primary_key_name
        comment = t.comment
        if dialect in ("sqlite", "mysql"):
            indexes += [Index(u.name, u.columns, True) for u in uniques]
            uniques = []
            pk_name = None
        if dialect == "sqlite":
            fks = [replace(f, name="") for f in fks]
            checks = [replace(c, name="") for c in checks]
            comment = None
            if any(i.name.startswith("sqlite_autoindex") for i in indexes):
                indexes = [
                    replace(i, name=unique_name(t.name, i.columns))
                    if i.name.startswith("sqlite_autoindex")
                    else i
                    for i in indexes
                ]
        if dialect == "mysql":
            fks = [
                replace(
                    f,
                    on_delete=None if f.on_delete == "RESTRICT" else f.on_delete,
                    on_update=None if f.on_update == "RESTRICT" else f.on_update,
                )
                for f in fks
            ]
        tables.append(
            replace(
                t,
                columns=tuple(columns),
                indexes=tuple(sorted(indexes, key=lambda i: i.name)),
                uniques=tuple(sorted(uniques, key=lambda u: u.name)),
                foreign_keys=tuple(sorted(fks, key=lambda f: (f.name, f.columns))),
                checks=tuple(sorted(checks, key=lambda c: c.name)),
                primary_key_name=pk_name,
                comment=comment,
            )
        )
    kept_enums = schema.enums if dialect == "postgresql" else ()
    return Schema(tables=tuple(tables), enums=kept_enums)


def drift(connection: Any, dialect: Dialect, expected: Schema) -> tuple[Operation, ...]:
    """What the live database lacks to match ``expected`` (the snapshot), as operations that
    would bring it there; empty when they match (modulo what the dialect cannot represent)."""
    from betterbase_cli.migrate.diff import diff

    actual = comparable(introspect(connection, dialect), dialect)
    return diff(actual, comparable(expected, dialect)).operations


__all__ = ["check_name", "comparable", "drift", "introspect"]
