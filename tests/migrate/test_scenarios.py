"""The scenario suite: every schema change of the corpus, applied to a populated database on
SQLite, PostgreSQL and MariaDB, then introspected and compared with the AFTER models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import MY_HOST, MY_PORT, PG_HOST, PG_PORT, _need
from migrate.scenarios import harness

from betterbase_cli.migrate.diff import Decisions, diff
from betterbase_cli.migrate.introspect import comparable, introspect
from betterbase_cli.migrate.render import Dialect, create_schema_sql, render_sql
from betterbase_cli.schema.model import Schema

DIRS = harness.scenario_dirs()
IDS = [d.name for d in DIRS]


def test_the_corpus_is_large_enough() -> None:
    assert len(DIRS) >= 44


@pytest.fixture(scope="module")
def scenarios() -> dict[str, harness.Scenario]:
    return {d.name: harness.load(d) for d in DIRS}


@pytest.mark.parametrize("name", IDS)
def test_questions_and_flags(name: str, scenarios: dict[str, harness.Scenario]) -> None:
    """Without decisions the diff asks exactly the expected questions; with them it asks none;
    the destructive flag is set exactly when data can be lost."""
    s = scenarios[name]
    undecided = diff(s.before, s.after)
    assert sorted(q.key for q in undecided.questions) == sorted(s.questions)
    for q in undecided.questions:
        assert q.flag.startswith(("--rename ", "--default "))
    decided = diff(s.before, s.after, s.decisions)
    assert decided.questions == ()
    assert bool(decided.destructive) == s.destructive, [op.describe() for op in decided.operations]
    # a re-diff of the result is empty, and rendering is deterministic
    assert diff(s.after, s.after).operations == ()
    for dialect in ("sqlite", "postgresql", "mysql"):
        first = render_sql(decided.operations, dialect, s.before, s.after)
        assert first == render_sql(decided.operations, dialect, s.before, s.after)


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sql_matches_the_research_catalogue(
    name: str, dialect: Dialect, scenarios: dict[str, harness.Scenario]
) -> None:
    """The statements mean what the catalogue's expected SQL means: the same steps in the same
    order (names aside), or a recorded reason why bb does better or differently.  The exact
    shapes (names included) are pinned in scenario.json's "expect"."""
    s = scenarios[name]
    ops = diff(s.before, s.after, s.decisions).operations
    ours = harness.shape(render_sql(ops, dialect, s.before, s.after))
    assert ours == s.expect[dialect]
    research = s.path / f"research_{dialect}.sql"
    if not research.exists():
        assert dialect not in s.research_deviation
        return
    theirs = harness.kinds(harness.shape(harness.research_statements(research)))
    if dialect in s.research_deviation:
        assert harness.kinds(ours) != theirs, "the recorded deviation is gone: remove it"
    else:
        assert harness.kinds(ours) == theirs


class Server:
    """One connection and one database per dialect for the whole module; every test gets a
    fresh PostgreSQL schema or MariaDB database on it (creating a database per test would
    triple the suite's time)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.conn: Any = None
        self.admin: Any = None
        self.database = f"bb_{uuid.uuid4().hex[:12]}"

    def open(self) -> None:
        if self.dialect == "postgresql":
            import psycopg

            admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test"
            self.admin = psycopg.connect(admin, autocommit=True)
            self.admin.execute(f'CREATE DATABASE "{self.database}"')
            self.conn = psycopg.connect(
                f"host={PG_HOST} port={PG_PORT} user=postgres dbname={self.database}"
            )
        elif self.dialect == "mysql":
            import pymysql

            self.conn = pymysql.connect(
                host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True
            )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.admin is not None:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.admin.close()

    @contextmanager
    def fresh(self, name: str) -> Iterator[Any]:
        if self.dialect == "sqlite":
            conn = harness.connect("sqlite", ":memory:")
            try:
                yield conn
            finally:
                conn.close()
            return
        schema = f"s_{name}_{uuid.uuid4().hex[:6]}"[:60]
        if self.dialect == "postgresql":
            self.conn.rollback()
            self.conn.execute(f'CREATE SCHEMA "{schema}"')
            self.conn.execute(f'SET search_path TO "{schema}"')
            self.conn.commit()
            try:
                yield self.conn
            finally:
                self.conn.rollback()
                self.conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
                self.conn.commit()
        else:
            with self.conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{schema}`")
                cur.execute(f"USE `{schema}`")
            try:
                yield self.conn
            finally:
                with self.conn.cursor() as cur:
                    cur.execute(f"DROP DATABASE `{schema}`")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    opened: dict[str, Server] = {}
    yield opened
    for server in opened.values():
        server.close()


def _server(dialect: Dialect, servers: dict[str, Server]) -> Server:
    if dialect == "postgresql":
        _need("PostgreSQL", PG_HOST, PG_PORT)
    elif dialect == "mysql":
        _need("MariaDB", MY_HOST, MY_PORT)
    if dialect not in servers:
        server = Server(dialect)
        server.open()
        servers[dialect] = server
    return servers[dialect]


def _state(conn: Any, dialect: Dialect) -> Schema:
    return comparable(introspect(conn, dialect), dialect)


def _explain(actual: Schema, expected: Schema) -> list[str]:
    return [op.describe() for op in diff(actual, expected).operations] or [
        repr(actual),
        repr(expected),
    ]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
@pytest.mark.parametrize("name", IDS)
def test_scenario_on_a_populated_database(
    name: str,
    dialect: Dialect,
    scenarios: dict[str, harness.Scenario],
    servers: dict[str, Server],
) -> None:
    with _server(dialect, servers).fresh(name) as conn:
        _run(scenarios[name], dialect, conn)


def _run(s: harness.Scenario, dialect: Dialect, conn: Any) -> None:
    harness.execute(conn, dialect, create_schema_sql(s.before, dialect))
    before_state = _state(conn, dialect)
    assert before_state == comparable(s.before, dialect), _explain(
        before_state, comparable(s.before, dialect)
    )
    harness.insert_rows(conn, dialect, s.before, s.values)
    rows_before = {
        t.name: harness.read_rows(conn, dialect, t.name, t.column_names) for t in s.before.tables
    }

    result = diff(s.before, s.after, s.decisions)
    statements = render_sql(result.operations, dialect, s.before, s.after)

    if dialect in s.expect_error:
        with pytest.raises(Exception, match=s.expect_error[dialect]):
            harness.execute(conn, dialect, statements)
        # nothing changed: same schema, same rows
        assert _state(conn, dialect) == before_state
        for t in s.before.tables:
            assert harness.read_rows(conn, dialect, t.name, t.column_names) == rows_before[t.name]
        return

    harness.execute(conn, dialect, statements)
    after_state = _state(conn, dialect)
    expected = comparable(s.after, dialect)
    assert after_state == expected, _explain(after_state, expected)
    # the models now need no further migration against this database
    assert diff(after_state, expected).operations == ()

    _check_rows(s, dialect, conn, result.operations, rows_before)


def _check_rows(
    s: harness.Scenario,
    dialect: Dialect,
    conn: Any,
    operations: tuple[Any, ...],
    rows_before: dict[str, list[tuple[Any, ...]]],
) -> None:
    """Every table that was not dropped keeps its rows (child rows through SQLite rebuilds
    included), and every column that kept its type keeps its values."""
    from betterbase_cli.migrate.ops import AlterColumn, DropTable, RenameColumn, RenameTable

    dropped = {op.table.name for op in operations if isinstance(op, DropTable)}
    table_names = {op.old: op.new for op in operations if isinstance(op, RenameTable)}
    col_names: dict[str, dict[str, str]] = {}
    for op in operations:
        if isinstance(op, RenameColumn):
            col_names.setdefault(op.table, {})[op.old] = op.new
    changed = {(op.table, op.new.name) for op in operations if isinstance(op, AlterColumn)}
    for table in s.before.tables:
        if table.name in dropped:
            continue
        new_name = table_names.get(table.name, table.name)
        after = s.after.table(new_name)
        renames = col_names.get(new_name, {})
        kept = [
            c.name
            for c in table.columns
            if after.has_column(renames.get(c.name, c.name))
            and (new_name, renames.get(c.name, c.name)) not in changed
        ]
        now = harness.read_rows(conn, dialect, new_name, [renames.get(c, c) for c in kept])
        before = sorted(
            (tuple(r[table.column_names.index(c)] for c in kept) for r in rows_before[table.name]),
            key=repr,
        )
        assert len(now) == len(rows_before[table.name]), f"rows of {new_name} changed"
        assert now == before, f"values of {new_name} changed"


def test_create_schema_sql_from_nothing_matches_the_models(
    scenarios: dict[str, harness.Scenario],
) -> None:
    """Decisions are never needed for the initial migration."""
    for s in scenarios.values():
        assert diff(Schema(), s.after, Decisions()).questions == ()
