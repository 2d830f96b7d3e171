"""Property tests: for random pairs of schemas, the generated migration turns a populated BEFORE
database into the AFTER schema (or a guard refuses it and nothing changes)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import pytest
from conftest import IN_CI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from migrate.scenarios import harness

from betterbase_cli.errors import SchemaError
from betterbase_cli.migrate.diff import Decisions, diff
from betterbase_cli.migrate.introspect import comparable, introspect
from betterbase_cli.migrate.ops import AddColumn, AlterColumn
from betterbase_cli.migrate.render import Dialect, create_schema_sql, render_sql
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
    foreign_key_name,
    index_name,
    unique_name,
)

TYPES = [
    ColumnType("integer"),
    ColumnType("bigint"),
    ColumnType("string", length=10),
    ColumnType("string", length=50),
    ColumnType("text"),
    ColumnType("boolean"),
    ColumnType("numeric", precision=10, scale=2),
    ColumnType("date"),
    ColumnType("datetime"),
]
DEFAULTS = {
    "integer": "0",
    "bigint": "7",
    "string": "'x'",
    "text": "'hello'",
    "boolean": "FALSE",
    "numeric": "1.5",
    "date": "'2024-01-01'",
    "datetime": "CURRENT_TIMESTAMP",
}
FILL = {**DEFAULTS, "datetime": "'2024-01-01 00:00:00'"}
# More examples for a local hunt: BB_HYPOTHESIS_EXAMPLES=1500 BB_HYPOTHESIS_SERVER_EXAMPLES=200
EXAMPLES = int(os.environ.get("BB_HYPOTHESIS_EXAMPLES", "120"))
SERVER_EXAMPLES = int(os.environ.get("BB_HYPOTHESIS_SERVER_EXAMPLES", "25"))
TABLES = ["alpha", "beta", "gamma"]
# How databases and bb's guards refuse data that does not fit the new schema (duplicates made
# by a fill value, a new foreign key over old values, a value that is not a number, ...).
REFUSALS = (
    "bb: ",
    "constraint failed",
    "violates",
    "duplicate",
    "invalid input syntax",
    "truncated",
    "foreign key constraint fails",
    "data too long",
    "out of range",
    "incorrect",
    "cannot cast",
    "invalid input value",
    "cannot be cast",
)
COLUMNS = ["a", "b", "c", "d"]


MOODS = [("calm", "glad"), ("calm", "glad", "sad"), ("glad", "sad")]


@st.composite
def schemas(draw: Any) -> Schema:
    moods = draw(st.sampled_from(MOODS))
    types = [*TYPES, ColumnType("enum", enum="mood")]
    names = draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=3, unique=True))
    names.sort()
    tables = []
    single_key: list[str] = []  # tables a foreign key may reference (primary key "id" alone)
    for name in names:
        columns = [Column("id", ColumnType("integer"), False, autoincrement=True)]
        uniques, indexes, checks, fks = [], [], [], []
        for col in draw(st.lists(st.sampled_from(COLUMNS), max_size=4, unique=True)):
            type_ = draw(st.sampled_from(types))
            nullable = draw(st.booleans())
            default = None
            if draw(st.booleans()):
                default = f"'{moods[0]}'" if type_.name == "enum" else DEFAULTS[type_.name]
            comment = draw(st.sampled_from([None, None, "a note", "it's"]))
            columns.append(Column(col, type_, nullable, server_default=default, comment=comment))
            extra = draw(st.sampled_from(["", "", "unique", "index", "check", "fk"]))
            if extra == "unique":
                uniques.append(UniqueConstraint(unique_name(name, [col]), (col,)))
            elif extra == "index":
                indexes.append(Index(index_name(name, [col]), (col,)))
            elif extra == "check" and type_.name in ("integer", "bigint"):
                checks.append(CheckConstraint(f"ck_{name}_{col}_nonneg", f"{col} >= 0"))
            elif extra == "fk" and single_key and type_.name == "integer":
                ref = draw(st.sampled_from(single_key))
                action = draw(
                    st.sampled_from([None, "CASCADE"] + (["SET NULL"] if nullable else []))
                )
                fks.append(
                    ForeignKey(foreign_key_name(name, [col], ref), (col,), ref, ("id",), action)
                )
        pk: tuple[str, ...] = ("id",)
        ints = [c.name for c in columns[1:] if c.type.name == "integer" and not c.nullable]
        if ints and draw(st.booleans()):
            pk = ("id", ints[0])  # a composite key
        if pk == ("id",):
            single_key.append(name)
        others = [c.name for c in columns[1:]]
        if len(others) >= 2 and draw(st.booleans()):
            pair = tuple(others[:2])
            uniques.append(UniqueConstraint(unique_name(name, pair), pair))
        tables.append(
            Table(
                name,
                tuple(columns),
                pk,
                comment=draw(st.sampled_from([None, "a table"])),
                foreign_keys=tuple(fks),
                indexes=tuple(indexes),
                uniques=tuple(uniques),
                checks=tuple(checks),
            )
        )
    used = any(c.type.name == "enum" for t in tables for c in t.columns)
    return Schema(tuple(tables), (Enum("mood", moods),) if used else ())


def answered(old: Schema, new: Schema, answers: list[bool] | None = None) -> Decisions:
    """Rename questions answered from ``answers`` (yes/no, "no" when they run out), then every
    fill value a literal of the column's type."""
    answers = list(answers or [])
    renames: dict[str, str] = {}
    rejected: set[str] = set()
    while True:
        decisions = Decisions(renames=renames, rejected_renames=frozenset(rejected))
        pending = [q for q in diff(old, new, decisions).questions if q.kind == "rename"]
        if not pending:
            break
        key = pending[0].key
        if answers and answers.pop(0):
            before, after = key.split("=")
            renames[before] = after
        else:
            rejected.add(key)
    defaults = {}
    for q in diff(
        old, new, Decisions(renames=renames, rejected_renames=frozenset(rejected))
    ).questions:
        table, column = q.key.split(".")
        type_ = new.table(table).column(column).type
        defaults[q.key] = (
            f"'{new.enum('mood').values[0]}'" if type_.name == "enum" else FILL[type_.name]
        )
    return Decisions(renames=renames, rejected_renames=frozenset(rejected), defaults=defaults)


def run_pair(conn: Any, dialect: Dialect, old: Schema, new: Schema, answers: list[bool]) -> None:
    decisions = answered(old, new, answers)
    result = diff(old, new, decisions)
    assert result.questions == ()
    try:
        create = create_schema_sql(old, dialect)
        statements = render_sql(result.operations, dialect, old, new)
    except SchemaError as error:  # bad input for this dialect, said clearly
        assert dialect == "mysql" and "a TEXT or binary column" in error.message
        return
    harness.execute(conn, dialect, create)
    harness.insert_rows(conn, dialect, old, {})
    try:
        harness.execute(conn, dialect, statements)
    except Exception as error:  # a guard or the database refused data that does not fit
        message = str(error).lower()
        assert any(word in message for word in REFUSALS), (message, statements)
        if dialect != "mysql":  # MySQL DDL commits as it goes: no atomic refusal there
            assert comparable(introspect(conn, dialect), dialect) == comparable(old, dialect)
        return
    assert comparable(introspect(conn, dialect), dialect) == comparable(new, dialect), statements
    assert diff(new, new).operations == ()


@settings(
    max_examples=EXAMPLES,
    derandomize=IN_CI,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(old=schemas(), new=schemas(), answers=st.lists(st.booleans(), max_size=4))
def test_random_migrations_on_sqlite(old: Schema, new: Schema, answers: list[bool]) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    try:
        run_pair(conn, "sqlite", old, new, answers)
    finally:
        conn.close()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=IN_CI)
@given(old=schemas(), new=schemas(), answers=st.lists(st.booleans(), max_size=4))
def test_diff_is_deterministic_and_reversible(
    old: Schema, new: Schema, answers: list[bool]
) -> None:
    decisions = answered(old, new, answers)
    first = diff(old, new, decisions)
    assert first == diff(old, new, decisions)
    for dialect in ("sqlite", "postgresql", "mysql"):
        try:
            once = render_sql(first.operations, dialect, old, new)
        except SchemaError:  # MySQL: a unique TEXT column
            continue
        assert once == render_sql(first.operations, dialect, old, new)
    for op in first.operations:
        back = op.reverse()
        assert back is not None
        # a one-off fill value for existing rows has no reverse; lossy is the diff's verdict
        expected: Any = op
        if isinstance(op, AddColumn):
            expected = replace(op, fill=None)
        elif isinstance(op, AlterColumn):
            expected = replace(op, fill=None, lossy=None)
        assert back.reverse() == expected


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_random_migrations_on_servers(dialect: Dialect, request: pytest.FixtureRequest) -> None:
    """A smaller run against the servers, on one database, each example in a clean state."""
    url = request.getfixturevalue("pg_url" if dialect == "postgresql" else "mysql_url")
    conn = harness.connect(dialect, url)

    def reset() -> None:
        names = [t.name for t in introspect(conn, dialect).tables]
        if dialect == "postgresql":
            conn.rollback()
            with conn.cursor() as cur:  # tables and enum types
                cur.execute("DROP SCHEMA public CASCADE")
                cur.execute("CREATE SCHEMA public")
            conn.commit()
        else:
            with conn.cursor() as cur:
                cur.execute("SET FOREIGN_KEY_CHECKS = 0")
                for name in names:
                    cur.execute(f"DROP TABLE IF EXISTS `{name}`")
                cur.execute("SET FOREIGN_KEY_CHECKS = 1")

    @settings(
        max_examples=SERVER_EXAMPLES,
        deadline=None,
        derandomize=IN_CI,
        suppress_health_check=list(HealthCheck),
    )
    @given(old=schemas(), new=schemas(), answers=st.lists(st.booleans(), max_size=4))
    def check(old: Schema, new: Schema, answers: list[bool]) -> None:
        reset()
        run_pair(conn, dialect, old, new, answers)

    try:
        check()
    finally:
        conn.close()
