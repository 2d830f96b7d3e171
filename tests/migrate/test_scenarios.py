"""The scenario suite: every schema change of the corpus, applied to a populated database on
SQLite, PostgreSQL and MariaDB, then introspected and compared with the AFTER models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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
    """The statements mean what the catalogue's expected SQL means (shapes, not bytes)."""
    s = scenarios[name]
    if dialect not in s.expect:
        pytest.skip("no expectation recorded")
    ops = diff(s.before, s.after, s.decisions).operations
    assert harness.shape(render_sql(ops, dialect, s.before, s.after)) == s.expect[dialect]


def _url(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if dialect == "sqlite":
        return str(tmp_path / "db.sqlite")
    fixture = "pg_url" if dialect == "postgresql" else "mysql_url"
    url: str = request.getfixturevalue(fixture)
    return url


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
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    s = scenarios[name]
    conn = harness.connect(dialect, _url(dialect, request, tmp_path))
    try:
        _run(s, dialect, conn)
    finally:
        conn.close()


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
    # the database now needs no further migration
    assert diff(introspect(conn, dialect), introspect(conn, dialect)).operations == ()

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
