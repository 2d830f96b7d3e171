"""Scenario corpus support: load a scenario, build its BEFORE database with rows, run the migration
the way the apply layer must, and read back rows.

A scenario is a folder with ``before.py`` and ``after.py`` (SQLAlchemy models) and an optional
``scenario.json``::

    {"decisions": {"renames": {"tags": "labels"}, "rejected": ["a.b=a.c"],
                   "defaults": {"t.c": "''"}},
     "questions": ["tags=labels"],          # asked when no decisions are given
     "destructive": true,                   # some operation destroys data
     "values": {"users.zip": ["12345", null]},  # column values per inserted row
     "expect_error": {"postgresql": "value too long"},  # the migration must fail, changing nothing
     "expect": {"sqlite": ["rebuild users"], "postgresql": ["alter column users.name"]},
     "research_deviation": {"postgresql": "why bb's SQL means something else than the
                                          catalogue's expected SQL"},
     "notes": "anything else worth knowing"}

``research_sqlite.sql`` / ``research_postgresql.sql`` hold the research catalogue's expected SQL;
``expect`` is its meaning as statement shapes (see ``shape``).
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from betterbase_cli.migrate.diff import Decisions, _order_tables
from betterbase_cli.migrate.render import REBUILD_MARKER, Dialect, needs_foreign_keys_off
from betterbase_cli.schema.model import Column, Schema, Table
from betterbase_cli.schema.python_reader import build_schema, parse_models_file

HERE = Path(__file__).parent
ROWS = 2


@dataclass
class Scenario:
    id: str
    path: Path
    before: Schema
    after: Schema
    decisions: Decisions
    questions: list[str] = field(default_factory=list)
    destructive: bool = False
    values: dict[str, list[Any]] = field(default_factory=dict)
    expect_error: dict[str, str] = field(default_factory=dict)
    expect: dict[str, list[str]] = field(default_factory=dict)
    research_deviation: dict[str, str] = field(default_factory=dict)


def read_models(path: Path) -> Schema:
    result = build_schema([parse_models_file(path.read_text(), path.name)])
    assert not result.problems, result.problems
    return result.schema


def load(path: Path) -> Scenario:
    meta: dict[str, Any] = {}
    if (path / "scenario.json").exists():
        meta = json.loads((path / "scenario.json").read_text())
    d = meta.get("decisions", {})
    return Scenario(
        id=path.name,
        path=path,
        before=read_models(path / "before.py"),
        after=read_models(path / "after.py"),
        decisions=Decisions(
            renames=d.get("renames", {}),
            rejected_renames=frozenset(d.get("rejected", [])),
            defaults=d.get("defaults", {}),
        ),
        questions=meta.get("questions", []),
        destructive=meta.get("destructive", False),
        values=meta.get("values", {}),
        expect_error=meta.get("expect_error", {}),
        expect=meta.get("expect", {}),
        research_deviation=meta.get("research_deviation", {}),
    )


def scenario_dirs() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / "before.py").exists())


# --- statement shapes --------------------------------------------------------------------------

_ID = r'[`"]?([\w$]+)[`"]?'


def shape(statements: Sequence[str]) -> list[str]:
    """What each statement does, in words (``add column users.bio``, ``rebuild users``), with
    assertions, temporary tables and the inner steps of a SQLite rebuild left out."""
    out: list[str] = []
    in_rebuild = ""
    for statement in statements:
        text = re.sub(r"^(--[^\n]*\n)+", "", statement).strip()
        if statement.startswith(REBUILD_MARKER) or text.startswith("CREATE TABLE __bb_new_"):
            in_rebuild = re.sub(r"^CREATE TABLE __bb_new_(\w+).*", r"\1", text, flags=re.S)
            out.append(f"rebuild {in_rebuild}")
            continue
        if (
            not text
            or re.search(r"__bb_(assert|rows)", text)
            or text.startswith(
                (
                    "DO $$",
                    "SET @bb",
                    "PREPARE",
                    "EXECUTE",
                    "DEALLOCATE",
                    "PRAGMA",
                    "BEGIN",
                    "COMMIT",
                )
            )
        ):
            continue
        if in_rebuild and text.startswith(
            (
                "INSERT INTO",
                "CREATE INDEX",
                "CREATE UNIQUE INDEX",
                "DROP TABLE",
                "ALTER TABLE __bb_new_",
            )
        ):
            continue
        in_rebuild = ""
        rules = [
            (rf"^CREATE TABLE {_ID}", "create table {0}"),
            (rf"^DROP TABLE {_ID}", "drop table {0}"),
            (rf"^(?:ALTER|RENAME) TABLE {_ID} (?:RENAME )?TO {_ID}", "rename table {0} {1}"),
            (rf"^ALTER TABLE {_ID} ADD COLUMN {_ID}", "add column {0}.{1}"),
            (rf"^ALTER TABLE {_ID} DROP COLUMN {_ID}", "drop column {0}.{1}"),
            (rf"^ALTER TABLE {_ID} RENAME COLUMN {_ID} TO {_ID}", "rename column {0}.{1} {2}"),
            (rf"^ALTER TABLE {_ID} (?:ALTER|MODIFY) COLUMN {_ID}", "alter column {0}.{1}"),
            (rf"^ALTER TABLE {_ID} ADD CONSTRAINT {_ID}", "add constraint {1}"),
            (rf"^ALTER TABLE {_ID} DROP CONSTRAINT (?:IF EXISTS )?{_ID}", "drop constraint {1}"),
            (rf"^ALTER TABLE {_ID} DROP FOREIGN KEY {_ID}", "drop constraint {1}"),
            (rf"^ALTER TABLE {_ID} DROP INDEX {_ID}", "drop index {1}"),
            (rf"^ALTER TABLE {_ID} RENAME CONSTRAINT {_ID} TO {_ID}", "rename constraint {1} {2}"),
            (rf"^ALTER TABLE {_ID} RENAME INDEX {_ID} TO {_ID}", "rename index {1} {2}"),
            (rf"^ALTER TABLE {_ID} DROP PRIMARY KEY", "alter primary key {0}"),
            (rf"^CREATE (?:UNIQUE )?INDEX {_ID}", "create index {0}"),
            (rf"^DROP INDEX {_ID}", "drop index {0}"),
            (rf"^ALTER INDEX {_ID} RENAME TO {_ID}", "rename index {0} {1}"),
            (rf"^CREATE TYPE {_ID}", "create type {0}"),
            (rf"^ALTER TYPE {_ID}", "alter type {0}"),
            (rf"^DROP TYPE {_ID}", "drop type {0}"),
            (rf"^UPDATE {_ID}", "update {0}"),
            (r"^COMMENT ON", "comment"),
        ]
        for pattern, template in rules:
            m = re.match(pattern, text)
            if m:
                item = template.format(*m.groups())
                if not (out and out[-1] == item and item.startswith("alter ")):
                    out.append(item)
                break
        else:
            out.append(text.split("\n")[0][:60])
    return out


def research_statements(path: Path) -> list[str]:
    """The catalogue's expected SQL split into statements, comments dropped."""
    lines = [line.split("--")[0].rstrip() for line in path.read_text().splitlines()]
    text = "\n".join(line for line in lines if line.strip())
    return [part.strip() for part in text.split(";") if part.strip()]


def kinds(shapes: Sequence[str]) -> list[str]:
    """Shapes without constraint and index names (the catalogue uses PostgreSQL's default
    names, bb its deterministic ones); CONCURRENTLY/NOT VALID variants fold into the plain form."""
    out = []
    for item in shapes:
        words = item.split()
        if words[0] in ("add", "drop", "rename", "create") and words[1] in ("constraint", "index"):
            item = f"{words[0]} {words[1]}"
        if item.startswith("ALTER TABLE") and "VALIDATE CONSTRAINT" in item:
            continue
        if not out or out[-1] != item:
            out.append(item)
    return out


# --- connections and execution -----------------------------------------------------------------


def connect(dialect: Dialect, url: str) -> Any:
    if dialect == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn
    if dialect == "postgresql":
        import psycopg

        return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    import pymysql

    m = re.match(r"mysql\+pymysql://(\w+)@([\w.]+):(\d+)/(\w+)", url)
    assert m, url
    return pymysql.connect(
        host=m.group(2),
        port=int(m.group(3)),
        user=m.group(1),
        password="",
        database=m.group(4),
        autocommit=True,
    )


def execute(conn: Any, dialect: Dialect, statements: Sequence[str]) -> None:
    """Run a migration the way the apply layer must (render.py's module docstring)."""
    if dialect == "sqlite":
        fk_off = needs_foreign_keys_off(statements)
        if fk_off:
            conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("BEGIN")
        try:
            for s in statements:
                conn.execute(s)
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key check failed: {problems}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            if fk_off:
                conn.execute("PRAGMA foreign_keys=ON")
    elif dialect == "postgresql":
        try:
            with conn.cursor() as cur:
                for s in statements:
                    cur.execute(s)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    else:
        with conn.cursor() as cur:
            for s in statements:
                cur.execute(s)


def _value(table: Table, column: Column, i: int, dialect: Dialect, schema: Schema) -> Any:
    t = column.type
    fk = table.foreign_key_of(column.name)
    if fk is not None:
        if fk.ref_table == table.name and column.nullable:
            return None if i == 1 else 1
        return i
    if column.name in table.primary_key or column.autoincrement:
        if t.name in ("integer", "bigint", "smallint"):
            return i
    elif column.nullable and i % 2 == 0:
        return None
    if t.name in ("integer", "bigint", "smallint"):
        return i * 10
    if t.name == "string":
        return f"{column.name}{i}"[: t.length or 255]
    if t.name == "text":
        return f"{column.name} text {i}"
    if t.name == "boolean":
        return i % 2 == 1
    if t.name in ("float", "double"):
        return i + 0.5
    if t.name == "numeric":
        return decimal.Decimal(f"{i}.25") if (t.scale or 0) >= 2 else decimal.Decimal(i)
    if t.name == "date":
        return datetime.date(2024, 1, i)
    if t.name == "datetime":
        return datetime.datetime(2024, 1, i, 10, 0)
    if t.name == "time":
        return datetime.time(10, i)
    if t.name == "uuid":
        value = uuid.UUID(int=i)
        return value if dialect == "postgresql" else value.hex
    if t.name == "json":
        return json.dumps({"i": i})
    if t.name == "binary":
        return bytes([i, 0, 1])
    if t.name == "enum":
        values = schema.enum(t.enum or "").values
        return values[(i - 1) % len(values)]
    raise AssertionError(f"no sample value for {t}")


def insert_rows(conn: Any, dialect: Dialect, schema: Schema, values: dict[str, list[Any]]) -> None:
    statements: list[tuple[str, list[Any]]] = []
    order = _order_tables({t.name: t for t in schema.tables})
    mark = "?" if dialect == "sqlite" else "%s"
    q = (lambda n: f"`{n}`") if dialect == "mysql" else (lambda n: f'"{n}"')
    for name in order:
        table = schema.table(name)
        for i in range(1, ROWS + 1):
            row = []
            for c in table.columns:
                key = f"{name}.{c.name}"
                row.append(
                    values[key][i - 1] if key in values else _value(table, c, i, dialect, schema)
                )
            cols = ", ".join(q(c.name) for c in table.columns)
            marks = ", ".join(mark for _ in table.columns)
            statements.append((f"INSERT INTO {q(name)} ({cols}) VALUES ({marks})", row))
    if dialect == "sqlite":
        statements = [
            (sql, [str(v) if isinstance(v, decimal.Decimal) else v for v in row])
            for sql, row in statements
        ]
        conn.execute("BEGIN")
        conn.execute("PRAGMA defer_foreign_keys=ON")  # cycles (S06-like) insert in any order
        for sql, row in statements:
            conn.execute(sql, row)
        conn.execute("COMMIT")
    elif dialect == "postgresql":
        # seed rows of a foreign-key cycle in any order (the values are consistent)
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            for sql, row in statements:
                cur.execute(sql, row)
            cur.execute("SET session_replication_role = DEFAULT")
        conn.commit()
    else:
        with conn.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            for sql, row in statements:
                cur.execute(sql, row)
            cur.execute("SET FOREIGN_KEY_CHECKS = 1")


def read_rows(
    conn: Any, dialect: Dialect, table: str, columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    q = (lambda n: f"`{n}`") if dialect == "mysql" else (lambda n: f'"{n}"')
    sql = f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}"
    if dialect == "sqlite":
        rows = conn.execute(sql).fetchall()
    else:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = cur.fetchall()
        if dialect == "postgresql":
            conn.commit()
    return sorted((tuple(r) for r in rows), key=repr)


def iter_dialects() -> Iterator[Dialect]:
    yield from ("sqlite", "postgresql", "mysql")
