"""`bb import sql` end to end: a real-world-ish schema in three dialects becomes models whose
first migration recreates it on a real database; bad input fails cleanly."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_no_traceback, run_bb

from betterbase_cli.schema.model import Schema
from betterbase_cli.schema.python_reader import read_models
from betterbase_cli.schema.python_writer import render_models
from betterbase_cli.schema.sql_reader import _statements, read_sql

REPO = Path(__file__).resolve().parents[2]
SQL = REPO / "tests" / "schema" / "sql"
BLUEPRINT_MODELS = REPO / "blueprints" / "project" / "template" / "app" / "db" / "schema.py"


def make_project(root: Path, dialect: str = "sqlite") -> Path:
    (root / "app" / "db").mkdir(parents=True)
    (root / "betterbase.toml").write_text(
        f'[project]\nname = "shop"\npackage = "app"\n\n[database]\ndialects = ["{dialect}"]\n'
    )
    shutil.copy(BLUEPRINT_MODELS, root / "app" / "db" / "schema.py")
    return root


def models(root: Path) -> Schema:
    result = read_models([root / "app" / "db" / "schema.py"], root)
    assert result.problems == ()
    return result.schema


# --- the happy path --------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql"])
def test_import_writes_models_equal_to_the_sql(dialect: str, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", dialect)
    sql_file = SQL / f"shop.{dialect}.sql"
    result = run_bb("import", "sql", str(sql_file), "--yes", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "10 table(s)" in result.stdout
    assert models(root) == read_sql(sql_file.read_text(), dialect)
    backups = list((root / ".betterbase" / "backups").iterdir())
    assert len(backups) == 1
    assert backups[0].read_text() == BLUEPRINT_MODELS.read_text()
    # a second run with the same SQL changes nothing and needs no consent for an unchanged file
    again = run_bb("import", "sql", str(sql_file), "--yes", cwd=root)
    assert again.returncode == 0, again.stderr
    assert models(root) == read_sql(sql_file.read_text(), dialect)


def test_dialect_is_guessed_from_the_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    result = run_bb("import", "sql", str(SQL / "shop.mysql.sql"), "--dry-run", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "(mysql)" in result.stderr
    expected = render_models(read_sql((SQL / "shop.mysql.sql").read_text(), "mysql"))
    assert result.stdout == expected  # `--dry-run > models.py` gives the file
    assert "class OrderItem(Base):" in result.stdout
    assert (root / "app" / "db" / "schema.py").read_text() == BLUEPRINT_MODELS.read_text()
    assert not (root / ".betterbase" / "backups").exists()


# --- the first migration recreates the schema ------------------------------------------------


def _connect(dialect: str, url: str) -> Any:
    if dialect == "sqlite":
        return sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    if dialect == "postgresql":
        import psycopg

        plain = url.replace("postgresql+psycopg://", "postgresql://")
        return psycopg.connect(plain, autocommit=True)
    import pymysql

    rest = url.removeprefix("mysql+pymysql://root@")
    host_port, _, database = rest.partition("/")
    host, _, port = host_port.partition(":")
    return pymysql.connect(
        host=host, port=int(port), user="root", password="", database=database, autocommit=True
    )


def _run_sql_file(dialect: str, url: str, text: str) -> None:
    """Apply the original SQL file as the database's own client would."""
    glot = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql"}[dialect]
    conn = _connect(dialect, url)
    try:
        for statement, _line, _col in _statements(text, glot, "shop.sql"):
            upper = statement.upper()
            if upper.startswith(("BEGIN", "COMMIT", "PRAGMA", "GRANT")):
                continue
            if upper.startswith("CREATE EXTENSION"):
                continue  # pgcrypto ships with PostgreSQL 13+ as gen_random_uuid()
            cursor = conn.cursor()
            cursor.execute(statement)
            cursor.close()
    finally:
        conn.close()


def _introspect(dialect: str, url: str) -> Schema:
    from betterbase_cli.migrate.introspect import comparable, introspect

    conn = _connect(dialect, url)
    try:
        return comparable(introspect(conn, dialect), dialect)  # type: ignore[arg-type]
    finally:
        conn.close()


def _second_database(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Another fresh database on the same server, dropped at the end of the test."""
    import uuid

    name = f"bb_{uuid.uuid4().hex[:12]}"
    if dialect == "postgresql":
        import psycopg

        admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        request.addfinalizer(drop)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    conn.close()

    def drop_mysql() -> None:
        c = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
        with c.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        c.close()

    request.addfinalizer(drop_mysql)
    return f"mysql+pymysql://root@127.0.0.1:3306/{name}"


def _fold(schema: Schema) -> Schema:
    """Server defaults with function names in one case: the SQL renderer may re-spell
    lower(hex(randomblob(16))) as LOWER(HEX(RANDOMBLOB(16))), which means the same; and
    MySQL's uuid() under bb's name for it."""
    import re

    from betterbase_cli.records import replace

    def fold(text: str | None) -> str | None:
        if text is None:
            return None
        folded = re.sub(r"\b([A-Za-z_]\w*)\(", lambda m: m.group(1).lower() + "(", text)
        # MySQL's name for what bb calls gen_random_uuid() (and renders as UUID() there)
        return "gen_random_uuid()" if folded == "uuid()" else folded

    return Schema(
        tables=tuple(
            replace(
                t,
                columns=tuple(replace(c, server_default=fold(c.server_default)) for c in t.columns),
            )
            for t in schema.tables
        ),
        enums=schema.enums,
    )


def _without_names(schema: Schema) -> Schema:
    """Constraint names aside: the original file leaves some unnamed (the database names them),
    bb's migration names every constraint."""
    from betterbase_cli.records import replace

    return Schema(
        tables=tuple(
            replace(
                t,
                primary_key_name=None,
                foreign_keys=tuple(
                    sorted((replace(fk, name="") for fk in t.foreign_keys), key=repr)
                ),
                indexes=tuple(sorted((replace(i, name="") for i in t.indexes), key=repr)),
                uniques=tuple(sorted((replace(u, name="") for u in t.uniques), key=repr)),
                checks=tuple(sorted((replace(c, name="") for c in t.checks), key=repr)),
            )
            for t in schema.tables
        ),
        enums=schema.enums,
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_first_migration_recreates_the_schema(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from betterbase_cli.migrate.introspect import comparable

    if dialect == "sqlite":
        original_url = f"sqlite:///{tmp_path / 'original.db'}"
        migrated_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        original_url = request.getfixturevalue("pg_url" if dialect == "postgresql" else "mysql_url")
        migrated_url = _second_database(dialect, request, tmp_path)
    sql_file = SQL / f"shop.{dialect}.sql"
    root = make_project(tmp_path / "p", dialect)
    env = {"DATABASE_URL": migrated_url}
    steps = [
        ("import", "sql", str(sql_file), "--yes"),
        ("migrate", "generate", "--name", "init"),
        ("migrate", "apply"),
    ]
    for step in steps:
        result = run_bb(*step, cwd=root, env=env)
        assert result.returncode == 0, (step, result.stdout, result.stderr)
        assert_no_traceback(result)
    _run_sql_file(dialect, original_url, sql_file.read_text())

    imported = _fold(comparable(read_sql(sql_file.read_text(), dialect), dialect))
    migrated = _fold(_introspect(dialect, migrated_url))
    # exactly the imported schema, names included
    assert migrated == imported, _explain(imported, migrated)
    # and the same database the original SQL makes, apart from the names it left to the server
    if dialect == "sqlite":
        # bb's SQLite introspection cannot see unnamed CHECKs nor a REFERENCES without a
        # column; the CREATE statements SQLite keeps, read back with bb's SQL reader, can
        migrated = _fold(comparable(_sqlite_schema(migrated_url), "sqlite"))
        original = _fold(comparable(_sqlite_schema(original_url), "sqlite"))
    else:
        original = _fold(_introspect(dialect, original_url))
    original = _known_losses(original, migrated, sql_file, dialect)
    assert _without_names(migrated) == _without_names(original), _explain(original, migrated)


def _sqlite_schema(url: str) -> Schema:
    conn = _connect("sqlite", url)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '__bb_%' AND tbl_name != 'bb_migrations' ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()
    return read_sql(";\n".join(r[0] for r in rows), "sqlite")


def _known_losses(original: Schema, migrated: Schema, sql_file: Path, dialect: str) -> Schema:
    """The original database with what bb says it cannot keep taken as bb keeps it: types the
    importer warned about (CHAR(n) becomes VARCHAR(n), ...)."""
    from betterbase_cli.records import replace
    from betterbase_cli.schema.sql_reader import read_sql_with_warnings

    warned = {
        w.split(":")[0]
        for w in read_sql_with_warnings(sql_file.read_text(), dialect).warnings
        if "has no exact equivalent" in w
    }
    tables = []
    for table in original.tables:
        columns = tuple(
            replace(c, type=migrated.table(table.name).column(c.name).type)
            if f"{table.name}.{c.name}" in warned
            else c
            for c in table.columns
        )
        tables.append(replace(table, columns=columns))
    return Schema(tables=tuple(tables), enums=original.enums)


def _explain(original: Schema, migrated: Schema) -> list[str]:
    from betterbase_cli.migrate.diff import diff

    ops = diff(_without_names(original), _without_names(migrated)).operations
    return [op.describe() for op in ops]


# --- bad input -------------------------------------------------------------------------------


def test_replacing_models_needs_yes_when_not_interactive(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    result = run_bb("import", "sql", str(SQL / "shop.sqlite.sql"), cwd=root)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert "defines 1 table(s) (notes)" in result.stderr
    assert "--yes" in result.stderr
    assert (root / "app" / "db" / "schema.py").read_text() == BLUEPRINT_MODELS.read_text()


def test_a_models_file_edited_after_import_needs_force(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    sql_file = str(SQL / "shop.sqlite.sql")
    assert run_bb("import", "sql", sql_file, "--yes", cwd=root).returncode == 0
    target = root / "app" / "db" / "schema.py"
    target.write_text(target.read_text() + "\n# my change\n")
    refused = run_bb("import", "sql", str(SQL / "shop.postgresql.sql"), "--yes", cwd=root)
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert target.read_text().endswith("# my change\n")
    forced = run_bb("import", "sql", str(SQL / "shop.postgresql.sql"), "--yes", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert "# my change" not in target.read_text()
    kept = sorted((root / ".betterbase" / "backups").iterdir())
    assert any(p.read_text().endswith("# my change\n") for p in kept)


def test_unparseable_sql_names_line_and_statement(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int,\n  x text text (\n);\n")
    result = run_bb("import", "sql", str(bad), "--yes", cwd=root)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert f"{bad.as_posix()}:" in result.stderr
    assert "CREATE TABLE b (" in result.stderr
    assert (root / "app" / "db" / "schema.py").read_text() == BLUEPRINT_MODELS.read_text()


def test_unknown_column_type_and_no_tables(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    bad = tmp_path / "types.sql"
    bad.write_text("CREATE TABLE a (\n  id int,\n  path ltree\n);\n")
    result = run_bb("import", "sql", str(bad), "--yes", cwd=root)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert ":3:" in result.stderr and "a.path" in result.stderr and "hint:" in result.stderr
    empty = tmp_path / "empty.sql"
    empty.write_text("SET x = 1;\n")
    result = run_bb("import", "sql", str(empty), "--yes", cwd=root)
    assert result.returncode == 1
    assert "creates no tables" in result.stderr


def test_outside_a_project_and_missing_file(tmp_path: Path) -> None:
    result = run_bb("import", "sql", str(SQL / "shop.sqlite.sql"), cwd=tmp_path)
    assert result.returncode == 1
    assert "no BetterBase project" in result.stderr
    root = make_project(tmp_path / "p")
    missing = run_bb("import", "sql", "nope.sql", cwd=root)
    assert missing.returncode == 2
    assert_no_traceback(missing)


def test_help_has_an_example(tmp_path: Path) -> None:
    for args in (("import", "--help"), ("import", "sql", "--help")):
        result = run_bb(*args, cwd=tmp_path)
        assert result.returncode == 0
        assert "bb import sql" in result.stdout
