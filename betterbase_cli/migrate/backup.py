"""Back up a database before a migration that destroys data, and say how to restore it.

SQLite: a copy made with sqlite3's online backup API.  PostgreSQL and MySQL/MariaDB:
``pg_dump`` / ``mysqldump`` (or ``mariadb-dump``) when one is on PATH and works with the server;
otherwise a CSV export of the tables (``\\N`` marks NULL), with the commands that load it back.
Backups go to ``.betterbase/backups/<UTC time>-<label>``; bb never deletes them.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from betterbase_cli.errors import DatabaseError
from betterbase_cli.migrate.apply import LEDGER
from betterbase_cli.migrate.db import Database
from betterbase_cli.migrate.files import slugify
from betterbase_cli.records import dataclass, replace

NULL = "\\N"


@dataclass(frozen=True)
class Backup:
    path: Path
    method: str  # "sqlite backup API", "pg_dump", "mysqldump", "CSV export"
    restore: str  # how to put it back, for people
    warning: str | None = None  # why a dump tool could not be used


def backups_dir(state_dir: Path) -> Path:
    return state_dir / "backups"


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _target(state_dir: Path, label: str, suffix: str) -> Path:
    folder = backups_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{_stamp()}-{slugify(label) or 'backup'}"
    path = folder / f"{base}{suffix}"
    n = 1
    while path.exists():  # two backups within a second
        n += 1
        path = folder / f"{base}-{n}{suffix}"
    return path


def has_data(db: Database) -> bool:
    """False for a database with no tables of its own yet: nothing to back up."""
    return any(t != LEDGER for t in db.table_names())


def backup(
    db: Database, state_dir: Path, label: str, tables: Sequence[str] | None = None
) -> Backup | None:
    """Back up the database (``tables`` limits a CSV export); None when there is no data."""
    if not has_data(db):
        return None
    if db.dialect == "sqlite":
        return _sqlite(db, state_dir, label)
    tool = _dump_tool(db.dialect)
    warning = None
    if tool is not None:
        try:
            return _dump(db, tool, state_dir, label)
        except DatabaseError as exc:
            warning = exc.message
    export = _export(db, state_dir, label, tables)
    return Backup(export.path, export.method, export.restore, warning)


def _sqlite(db: Database, state_dir: Path, label: str) -> Backup | None:
    import sqlite3

    source = db.url.database or ":memory:"
    if source == ":memory:":
        return None
    path = _target(state_dir, label, ".sqlite3")
    target = sqlite3.connect(str(path))
    try:
        db.connection.backup(target)
    finally:
        target.close()
    restore = (
        f"stop the app, then copy it back: cp '{path}' '{source}' "
        f"(or: sqlite3 '{source}' \".restore '{path}'\")"
    )
    return Backup(path, "sqlite backup API", restore)


def _dump_tool(dialect: str) -> str | None:
    if dialect == "postgresql":
        return shutil.which("pg_dump")
    return shutil.which("mysqldump") or shutil.which("mariadb-dump")


def _dump(db: Database, tool: str, state_dir: Path, label: str) -> Backup:
    url = db.url
    env = dict(os.environ)
    if db.dialect == "postgresql":
        path = _target(state_dir, label, ".dump")
        if url.password:
            env["PGPASSWORD"] = url.password  # not on the command line, where ps shows it
        without_password = replace(url, password=None)
        args = [tool, "--format=custom", "--no-owner", f"--file={path}", without_password.libpq()]
        restore = f"pg_restore --clean --if-exists --no-owner -d \"$DATABASE_URL\" '{path}'"
        method = "pg_dump"
    else:
        path = _target(state_dir, label, ".sql")
        if url.password:
            env["MYSQL_PWD"] = url.password
        args = [
            tool,
            "--single-transaction",
            "--routines",
            "--triggers",
            f"--host={url.host or 'localhost'}",
            f"--port={url.port or 3306}",
            f"--user={url.user or 'root'}",
            f"--result-file={path}",
            url.database or "",
        ]
        restore = (
            f"mysql --host={url.host or 'localhost'} --port={url.port or 3306} "
            f"--user={url.user or 'root'} -p {url.database} < '{path}'"
        )
        method = Path(tool).name
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        path.unlink(missing_ok=True)
        raise DatabaseError(f"{Path(tool).name} could not run: {exc}") from exc
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise DatabaseError(f"{Path(tool).name} failed ({reason}); exported the data instead")
    return Backup(path, method, restore)


def _export(db: Database, state_dir: Path, label: str, tables: Sequence[str] | None) -> Backup:
    existing = [t for t in db.table_names() if t != LEDGER]
    chosen = [t for t in existing if tables is None or t in tables] or existing
    folder = _target(state_dir, label, "")
    folder.mkdir()
    for table in chosen:
        cursor = db.connection.cursor()
        try:
            cursor.execute(f"SELECT * FROM {db.quote(table)}")
            columns = [d[0] for d in cursor.description]
            with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                while rows := cursor.fetchmany(1000):
                    writer.writerows([_cell(v) for v in row] for row in rows)
        finally:
            cursor.close()
    if db.dialect == "postgresql":
        how = (
            'psql "$DATABASE_URL" -c "\\copy TABLE FROM \'TABLE.csv\' '
            "WITH (FORMAT csv, HEADER, NULL '\\N')\""
        )
    else:
        how = (
            "mysql --local-infile=1 DB -e \"LOAD DATA LOCAL INFILE 'TABLE.csv' INTO TABLE "
            "TABLE FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\\\"' IGNORE 1 LINES\""
        )
    restore = f"load each TABLE.csv in {folder} back with: {how}"
    (folder / "RESTORE.txt").write_text(
        f"CSV export of {db.url.where} made by bb before a destructive migration.\n"
        f"One file per table, with a header row; \\N marks NULL.\n\nRestore: {restore}\n",
        encoding="utf-8",
    )
    return Backup(folder, "CSV export", restore)


def _cell(value: object) -> object:
    if value is None:
        return NULL
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    return value
