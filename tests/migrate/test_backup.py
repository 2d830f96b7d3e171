"""Backups before destructive migrations on SQLite, PostgreSQL and MariaDB, and that the printed
restore instructions really bring the data back."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from migrate.migrate_helpers import bb, make_project, set_models

from betterbase_cli.migrate.db import connect, parse_url

ALL = ("sqlite", "postgresql", "mysql")

KEEP = """
class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
"""
DOOMED = (
    KEEP
    + """

class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[Optional[str]] = mapped_column(String(50))
"""
)


def _drop_tags(root: Path, url: str, env: dict[str, str | None] | None = None) -> str:
    """Migrate to DOOMED, add rows, then drop the tags table with consent; bb's output."""
    env = {"DATABASE_URL": url, **(env or {})}
    assert bb(root, "migrate", env=env).exit_code == 0
    with connect(url) as db:
        db.execute("INSERT INTO notes (id, title) VALUES (1, 'kept')")
        db.execute("INSERT INTO tags (id, label) VALUES (1, 'a, \"quoted\" one'), (2, NULL)")
    set_models(root, KEEP)
    result = bb(root, "migrate", "--allow-destructive", env=env)
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.stdout and "restore:" in result.stdout
    with connect(url) as db:
        assert "tags" not in db.table_names()
    return result.output


def _only_backup(root: Path) -> Path:
    found = list((root / ".betterbase/backups").iterdir())
    assert len(found) == 1, found
    return found[0]


def test_sqlite_backup_copies_the_database_and_restores(tmp_path: Path) -> None:
    root = make_project(tmp_path, DOOMED)
    url = f"sqlite:///{root / 'app.db'}"
    out = _drop_tags(root, url)
    backup = _only_backup(root)
    assert backup.suffix == ".sqlite3" and "sqlite backup API" in out
    shutil.copy(backup, root / "app.db")  # the printed restore: copy it back
    rows = sqlite3.connect(root / "app.db").execute("SELECT id, label FROM tags").fetchall()
    assert rows == [(1, 'a, "quoted" one'), (2, None)]


def test_no_backup_of_an_empty_database(tmp_path: Path) -> None:
    root = make_project(tmp_path, DOOMED)
    assert bb(root, "migrate", "generate").exit_code == 0
    set_models(root, KEEP)
    assert bb(root, "migrate", "generate", "--allow-destructive").exit_code == 0
    result = bb(root, "migrate", "apply", "--allow-destructive")
    assert result.exit_code == 0, result.output
    assert "No data to back up" in result.stdout
    assert not (root / ".betterbase/backups").exists()


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def spare_pg(pg_url: str) -> Iterator[str]:
    """A second empty PostgreSQL database to restore into."""
    import psycopg

    parsed = parse_url(pg_url)
    admin = f"host={parsed.host} port={parsed.port} user=postgres dbname=test"
    name = f"bb_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgresql_backup_with_pg_dump_restores(
    tmp_path: Path, pg_url: str, spare_pg: str
) -> None:
    root = make_project(tmp_path, DOOMED, dialects=ALL)
    out = _drop_tags(root, pg_url)
    backup = _only_backup(root)
    assert backup.suffix == ".dump" and "(pg_dump)" in out and "pg_restore" in out
    target = parse_url(spare_pg)
    subprocess.run(
        ["pg_restore", "--no-owner", "-d", target.libpq(), str(backup)],
        check=True,
        capture_output=True,
    )
    with connect(spare_pg) as db:
        assert db.query("SELECT id, label FROM tags ORDER BY id") == [
            (1, 'a, "quoted" one'),
            (2, None),
        ]


def _fake_tools(tmp_path: Path, failing: str | None = None) -> str:
    """A PATH with no dump tools, or with one that always fails (a version mismatch)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    if failing:
        tool = folder / failing
        tool.write_text("#!/bin/sh\necho 'server version mismatch' >&2\nexit 1\n")
        tool.chmod(0o755)
    return str(folder)


@pytest.mark.parametrize("failing", [None, "pg_dump"])
def test_postgresql_backup_without_pg_dump_exports_csv_that_loads_back(
    tmp_path: Path, pg_url: str, spare_pg: str, failing: str | None
) -> None:
    root = make_project(tmp_path, DOOMED, dialects=ALL)
    out = _drop_tags(root, pg_url, env={"PATH": _fake_tools(tmp_path, failing)})
    if failing:
        assert "pg_dump failed (server version mismatch)" in out
    backup = _only_backup(root)
    assert backup.is_dir() and "CSV export" in out
    # only the tables the migration changes
    assert sorted(p.name for p in backup.iterdir()) == ["RESTORE.txt", "tags.csv"]
    # The restore instruction's COPY options, run for real.
    import psycopg

    with psycopg.connect(parse_url(spare_pg).libpq(), autocommit=True) as conn:
        conn.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(50))")
        with conn.cursor().copy(
            "COPY tags FROM STDIN WITH (FORMAT csv, HEADER, NULL '\\N')"
        ) as copy:
            copy.write((backup / "tags.csv").read_bytes())
        rows = conn.execute("SELECT id, label FROM tags ORDER BY id").fetchall()
    assert rows == [(1, 'a, "quoted" one'), (2, None)]


# --- MariaDB / MySQL -----------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("mysqldump") is None and shutil.which("mariadb-dump") is None,
    reason="mysqldump is not installed",
)
def test_mysql_backup_with_mysqldump_restores(tmp_path: Path, mysql_url: str) -> None:
    root = make_project(tmp_path, DOOMED, dialects=ALL)
    out = _drop_tags(root, mysql_url)
    backup = _only_backup(root)
    assert backup.suffix == ".sql" and "dump" in out
    parsed = parse_url(mysql_url)
    # restore into the same database (tags is gone there now), as the printed command does
    with backup.open("rb") as handle:
        subprocess.run(
            [
                "mysql",
                f"--host={parsed.host}",
                f"--port={parsed.port}",
                "--user=root",
                str(parsed.database),
            ],
            stdin=handle,
            check=True,
            capture_output=True,
        )
    with connect(mysql_url) as db:
        rows = db.query("SELECT id, label FROM tags ORDER BY id")
    assert rows == [(1, 'a, "quoted" one'), (2, None)]


def test_mysql_backup_without_mysqldump_exports_csv(tmp_path: Path, mysql_url: str) -> None:
    root = make_project(tmp_path, DOOMED, dialects=ALL)
    out = _drop_tags(root, mysql_url, env={"PATH": _fake_tools(tmp_path)})
    backup = _only_backup(root)
    assert backup.is_dir() and "CSV export" in out and "LOAD DATA" in out
    with (backup / "tags.csv").open(newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["id", "label"],
            ["1", 'a, "quoted" one'],
            ["2", "\\N"],
        ]
