"""`bb migrate apply` on real SQLite, PostgreSQL and MariaDB: ledger, lock, transactions,
failures, SQLite table rebuilds, and the SQL splitter under it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from migrate.migrate_helpers import bb, make_project, sqlite_url

from betterbase_cli.migrate.db import connect
from betterbase_cli.migrate.files import split_statements

# --- the statement splitter ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        ("sqlite", "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
        (
            "sqlite",
            "-- a; comment\nSELECT ';' ; /* x; */ SELECT \"a;b\"",
            ["SELECT ';'", 'SELECT "a;b"'],
        ),
        ("sqlite", "SELECT 'it''s; fine';", ["SELECT 'it''s; fine'"]),
        (
            "sqlite",
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = CASE WHEN 1 THEN 2 "
            "ELSE 3 END;\n  DELETE FROM b;\nEND;\nSELECT 1;",
            [
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = CASE WHEN 1 THEN 2 "
                "ELSE 3 END;\n  DELETE FROM b;\nEND",
                "SELECT 1",
            ],
        ),
        (
            "postgresql",
            "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN NEW.x := 1; RETURN NEW; END $$ "
            "LANGUAGE plpgsql;\nSELECT $tag$ ; $tag$;",
            [
                "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN NEW.x := 1; RETURN NEW; END $$ "
                "LANGUAGE plpgsql",
                "SELECT $tag$ ; $tag$",
            ],
        ),
        (
            "mysql",
            "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END //\nDELIMITER ;\n"
            "SELECT 'a\\';b';",
            ["CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 'a\\';b'"],
        ),
        (
            "mysql",
            "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN IF NEW.x < 0 THEN SET "
            "NEW.x = 0; END IF; END; SELECT 1 # trailing; comment\n;",
            [
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN IF NEW.x < 0 THEN SET "
                "NEW.x = 0; END IF; END",
                "SELECT 1 # trailing; comment",
            ],
        ),
        ("sqlite", "-- only a comment\n\n", []),
    ],
)
def test_split_statements(dialect: str, sql: str, expected: list[str]) -> None:
    assert [s.text for s in split_statements(sql, dialect)] == expected


def test_split_statements_numbers_and_lines() -> None:
    statements = split_statements("-- header\n\nCREATE TABLE a (x INT);\n\n\nSELECT\n 1;", "sqlite")
    assert [(s.number, s.line) for s in statements] == [(1, 3), (2, 6)]


# --- manual migrations on the three databases ---------------------------------------------------

THINGS = {
    "sqlite": "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "INSERT INTO things (name) VALUES ('a;b');\n"
    "CREATE VIEW thing_names AS SELECT name FROM things;\n",
    "postgresql": "CREATE TABLE things (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n"
    "INSERT INTO things (name) VALUES ('a;b');\n"
    "CREATE FUNCTION thing_count() RETURNS bigint AS $$ SELECT count(*) FROM things; $$ "
    "LANGUAGE sql;\n",
    "mysql": "CREATE TABLE things (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT NOT NULL);\n"
    "INSERT INTO things (name) VALUES ('a;b');\n"
    "CREATE VIEW thing_names AS SELECT name FROM things;\n",
}
ALL = ("sqlite", "postgresql", "mysql")


def _url(request: pytest.FixtureRequest, dialect: str, root: Path) -> str:
    if dialect == "sqlite":
        return sqlite_url(root)
    return str(request.getfixturevalue("pg_url" if dialect == "postgresql" else "mysql_url"))


def _manual(root: Path, name: str, sql: dict[str, str]) -> str:
    result = bb(root, "migrate", "new", name)
    assert result.exit_code == 0, result.output
    full = sorted((root / "migrations/sqlite").glob(f"*_{name}.sql"))[-1].stem
    for dialect, text in sql.items():
        path = root / "migrations" / dialect / f"{full}.sql"
        path.write_text(path.read_text() + text)
    return full


@pytest.mark.parametrize("dialect", ALL)
def test_manual_migration_is_applied_once_and_ledgered(
    tmp_path: Path, request: pytest.FixtureRequest, dialect: str
) -> None:
    root = make_project(tmp_path, dialects=ALL)
    name = _manual(root, "add_things", THINGS)
    assert all((root / "migrations" / d / f"{name}.sql").is_file() for d in ALL)
    url = _url(request, dialect, root)

    status = bb(root, "migrate", "status", "--database-url", url)
    assert status.exit_code == 0, status.output
    assert f"pending  {name}" in status.stdout

    first = bb(root, "migrate", "apply", "--database-url", url)
    assert first.exit_code == 0, first.output
    assert f"✓ {name}" in first.stdout
    again = bb(root, "migrate", "apply", "--database-url", url)
    assert again.exit_code == 0 and "up to date" in again.stdout

    from betterbase_cli.migrate.files import checksum

    text = (root / "migrations" / dialect / f"{name}.sql").read_text()
    with connect(url) as db:
        assert db.query("SELECT name FROM things") == [("a;b",)]
        rows = db.query("SELECT name, checksum FROM bb_migrations")
    assert rows == [(name, checksum(text))]
    status = bb(root, "migrate", "status", "--database-url", url)
    assert f"applied  {name}" in status.stdout


FAILING = {
    "sqlite": "CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"
    "INSERT INTO missing_table VALUES (1);\nCREATE TABLE b (id INTEGER);\n",
    "postgresql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"
    "INSERT INTO missing_table VALUES (1);\nCREATE TABLE b (id INTEGER);\n",
    "mysql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"
    "INSERT INTO missing_table VALUES (1);\nCREATE TABLE b (id INTEGER);\n",
}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, request: pytest.FixtureRequest, dialect: str
) -> None:
    root = make_project(tmp_path, dialects=ALL)
    good = _manual(root, "good", THINGS)
    bad = _manual(root, "bad", FAILING)
    url = _url(request, dialect, root)
    result = bb(root, "migrate", "apply", "--database-url", url)
    assert result.exit_code == 1
    # The error names the file, the line, the statement number and its text.
    assert f"migrations/{dialect}/{bad}.sql:10: statement 3 failed" in result.stderr
    assert "INSERT INTO missing_table VALUES (1)" in result.stderr
    assert "rolled back" in result.stderr
    assert f"✓ {good}" in result.stdout  # the earlier migration stays applied
    with connect(url) as db:
        tables = db.table_names()
        assert "a" not in tables and "b" not in tables
        assert [r[0] for r in db.query("SELECT name FROM bb_migrations")] == [good]


def test_failed_migration_on_mysql_names_the_statements_that_ran(
    tmp_path: Path, mysql_url: str
) -> None:
    root = make_project(tmp_path, dialects=ALL)
    bad = _manual(root, "bad", FAILING)
    result = bb(root, "migrate", "apply", "--database-url", mysql_url)
    assert result.exit_code == 1
    assert f"migrations/mysql/{bad}.sql:10: statement 3 failed" in result.stderr
    assert "stay applied" in result.stderr
    assert "1 (line 8): CREATE TABLE a (id INTEGER PRIMARY KEY)" in result.stderr
    assert "not recorded as applied" in result.stderr
    with connect(mysql_url) as db:
        assert "a" in db.table_names()  # MySQL really did commit it; we said so
        assert db.query("SELECT name FROM bb_migrations") == []


def test_edited_applied_migration_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    name = _manual(root, "add_things", {"sqlite": THINGS["sqlite"]})
    assert bb(root, "migrate", "apply").exit_code == 0
    path = root / "migrations/sqlite" / f"{name}.sql"
    path.write_text(path.read_text() + "CREATE TABLE later (id INTEGER);\n")
    result = bb(root, "migrate", "apply")
    assert result.exit_code == 1
    assert "changed since" in result.stderr and f"migrations/sqlite/{name}.sql" in result.stderr
    assert "bb migrate new" in result.stderr


def test_hand_added_file_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "migrations/sqlite").mkdir(parents=True)
    (root / "migrations/sqlite/0001_mine.sql").write_text("CREATE TABLE x (id INTEGER);\n")
    result = bb(root, "migrate", "apply")
    assert result.exit_code == 1
    assert "0001_mine.sql: not written by bb" in result.stderr
    assert not (root / "app.db").exists() or "x" not in connect(sqlite_url(root)).table_names()


def test_dry_run_prints_sql_and_creates_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    name = _manual(root, "add_things", {"sqlite": THINGS["sqlite"]})
    result = bb(root, "migrate", "apply", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE things" in result.stdout and f"'{name}'" in result.stdout
    assert not (root / "app.db").exists()


# --- concurrency ---------------------------------------------------------------------------

SLOW = {
    "sqlite": "CREATE TABLE runs (n INTEGER);\nINSERT INTO runs VALUES (1);\n"
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*) FROM c;\n",
    "postgresql": "CREATE TABLE runs (n INTEGER);\nINSERT INTO runs VALUES (1);\n"
    "SELECT pg_sleep(1.5);\n",
    "mysql": "CREATE TABLE runs (n INTEGER);\nINSERT INTO runs VALUES (1);\nDO SLEEP(1.5);\n",
}


@pytest.mark.parametrize("dialect", ALL)
def test_concurrent_applies_run_each_migration_once(
    tmp_path: Path, request: pytest.FixtureRequest, dialect: str
) -> None:
    root = make_project(tmp_path, dialects=ALL)
    name = _manual(root, "slow", SLOW)
    url = _url(request, dialect, root)
    env = {**os.environ, "NO_COLOR": "1", "DATABASE_URL": url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "betterbase_cli", "migrate", "apply"],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sum(f"✓ {name}" in out for out, _ in outputs) == 1, outputs
    with connect(url) as db:
        assert db.query("SELECT n FROM runs") == [(1,)]
        assert db.query("SELECT name FROM bb_migrations") == [(name,)]


# --- SQLite table rebuilds -----------------------------------------------------------------

PARENT_CHILD = """
CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, PRIMARY KEY (id));
CREATE TABLE posts (
    id INTEGER NOT NULL, title VARCHAR(200) NOT NULL, user_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
INSERT INTO posts VALUES (1, 'hello', 1), (2, 'again', 1), (3, 'hi', 2);
"""

REBUILD_USERS = """
CREATE TABLE __bb_new_users (id INTEGER NOT NULL, name VARCHAR(100), PRIMARY KEY (id));
INSERT INTO __bb_new_users (id, name) SELECT id, name FROM users{where};
DROP TABLE users;
ALTER TABLE __bb_new_users RENAME TO users;
"""


def test_sqlite_rebuild_keeps_the_rows_of_cascading_children(tmp_path: Path) -> None:
    """The drizzle-kit/Alembic trap: DROP TABLE of the parent with foreign keys on cascades."""
    root = make_project(tmp_path)
    _manual(root, "tables", {"sqlite": PARENT_CHILD})
    _manual(root, "rebuild", {"sqlite": REBUILD_USERS.format(where="")})
    result = bb(root, "migrate", "apply")
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(root / "app.db")
    assert db.execute("SELECT count(*) FROM posts").fetchone() == (3,)
    assert db.execute("SELECT count(*) FROM users").fetchone() == (2,)
    # name became nullable, and the foreign key still points at the new users table
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("INSERT INTO users (id, name) VALUES (3, NULL)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO posts VALUES (9, 'x', 99)")


def test_sqlite_rebuild_that_loses_rows_is_rolled_back(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    _manual(root, "tables", {"sqlite": PARENT_CHILD})
    bad = _manual(root, "rebuild", {"sqlite": REBUILD_USERS.format(where=" WHERE id = 1")})
    result = bb(root, "migrate", "apply")
    assert result.exit_code == 1
    # bob's post now points nowhere: caught before COMMIT
    assert f"migrations/sqlite/{bad}.sql" in result.stderr
    assert "foreign key check failed" in result.stderr and "rolled back" in result.stderr
    db = sqlite3.connect(root / "app.db")
    assert db.execute("SELECT count(*) FROM users").fetchone() == (2,)
    assert db.execute("SELECT count(*) FROM posts").fetchone() == (3,)
    assert db.execute("PRAGMA table_info(users)").fetchall()[1][3] == 1  # still NOT NULL


def test_sqlite_rebuild_row_counts_are_compared(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    lonely = "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL);\n" + (
        "INSERT INTO tags VALUES (1, 'a'), (2, 'b');\n"
    )
    rebuild = (
        "CREATE TABLE __bb_new_tags (id INTEGER PRIMARY KEY, label TEXT);\n"
        "INSERT INTO __bb_new_tags SELECT id, label FROM tags WHERE id = 1;\n"
        "DROP TABLE tags;\nALTER TABLE __bb_new_tags RENAME TO tags;\n"
    )
    _manual(root, "tags", {"sqlite": lonely})
    _manual(root, "rebuild", {"sqlite": rebuild})
    result = bb(root, "migrate", "apply")
    assert result.exit_code == 1
    assert "table tags had 2 rows before the migration and 1 after" in result.stderr
    db = sqlite3.connect(root / "app.db")
    assert db.execute("SELECT count(*) FROM tags").fetchone() == (2,)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5999/nowhere", "PostgreSQL at 127.0.0.1:5999"),
        ("mysql+pymysql://root@127.0.0.1:5998/nowhere", "MySQL/MariaDB at 127.0.0.1:5998"),
        ("sqlite:////no/such/folder/app.db", "folder /no/such/folder does not exist"),
    ],
)
def test_unreachable_database_is_one_clear_message(tmp_path: Path, url: str, expected: str) -> None:
    root = make_project(tmp_path, dialects=ALL)
    _manual(root, "add_things", THINGS)
    result = bb(root, "migrate", "apply", env={"DATABASE_URL": url})
    assert result.exit_code == 1
    assert expected in result.stderr and "hint:" in result.stderr
    assert result.stderr.count("error:") == 1


def test_unknown_dialect_in_database_url(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    result = bb(root, "migrate", "apply", "--database-url", "oracle://scott@db/orcl")
    assert result.exit_code == 1
    assert "unknown database 'oracle'" in result.stderr


def test_database_of_a_dialect_the_project_does_not_write(tmp_path: Path, pg_url: str) -> None:
    root = make_project(tmp_path)  # sqlite only
    result = bb(root, "migrate", "apply", "--database-url", pg_url)
    assert result.exit_code == 1
    assert 'add "postgresql" to [database] dialects' in result.stderr


def test_sqlite_rebuild_keeps_views_and_triggers_of_the_table(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    extras = (
        "CREATE TABLE audit (name TEXT);\n"
        "CREATE VIEW user_names AS SELECT name FROM users;\n"
        "CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN\n"
        "  INSERT INTO audit VALUES (new.name);\nEND;\n"
    )
    _manual(root, "tables", {"sqlite": PARENT_CHILD + extras})
    _manual(root, "rebuild", {"sqlite": REBUILD_USERS.format(where="")})
    result = bb(root, "migrate", "apply")
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(root / "app.db")
    db.execute("INSERT INTO users (id, name) VALUES (3, 'cy')")
    assert db.execute("SELECT name FROM audit").fetchall() == [("cy",)]
    assert db.execute("SELECT count(*) FROM user_names").fetchone() == (3,)
    assert db.execute("PRAGMA legacy_alter_table").fetchone() == (0,)


def test_sqlite_locked_by_another_writer_is_a_clear_message(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    _manual(root, "add_things", {"sqlite": THINGS["sqlite"]})
    holder = sqlite3.connect(root / "app.db", isolation_level=None)
    holder.execute("CREATE TABLE other (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = bb(root, "migrate", "apply", "--lock-timeout", "0.3")
    finally:
        holder.execute("ROLLBACK")
    assert result.exit_code == 1
    assert "database is locked" in result.stderr and "--lock-timeout" in result.stderr
    assert bb(root, "migrate", "apply").exit_code == 0


def test_postgresql_no_transaction_mark_allows_concurrent_index(
    tmp_path: Path, pg_url: str
) -> None:
    root = make_project(tmp_path, dialects=ALL)
    sql = dict(THINGS)
    sql["postgresql"] = (
        "-- bb:no-transaction\n"
        + THINGS["postgresql"]
        + "CREATE INDEX CONCURRENTLY ix_things_name ON things (name);\n"
    )
    name = _manual(root, "add_things", sql)
    result = bb(root, "migrate", "apply", "--database-url", pg_url)
    assert result.exit_code == 0, result.output
    with connect(pg_url) as db:
        assert db.query(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'things' "
            "AND indexname = 'ix_things_name'"
        ) == [("ix_things_name",)]
        assert db.query("SELECT name FROM bb_migrations") == [(name,)]
