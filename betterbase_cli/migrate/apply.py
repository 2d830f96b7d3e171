"""Apply migration files to a database: the ledger, the lock, one transaction per migration.

The ledger table ``bb_migrations(name, checksum, applied_at)`` records every applied migration
with the SHA-256 of the file that ran; a file that changed after it was applied stops ``apply``.
A lock keeps two concurrent applies from both running a file (PostgreSQL advisory lock, MySQL
``GET_LOCK``, SQLite ``BEGIN IMMEDIATE`` with the ledger re-read inside the transaction).

Each migration runs in one transaction with its ledger row, so a failure leaves the database as
it was on SQLite and PostgreSQL.  MySQL/MariaDB commit every DDL statement on their own; there a
failure says which statements of the file already ran.  SQLite table rebuilds follow SQLite's
documented procedure: ``PRAGMA foreign_keys=OFF`` *before* the transaction (inside one it does
nothing, and ``DROP TABLE`` of a parent would cascade into its children), ``PRAGMA
foreign_key_check`` before ``COMMIT``, and row counts of the rebuilt table and of every table
that references it compared before and after.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from betterbase_cli.errors import BetterBaseError, DatabaseError
from betterbase_cli.migrate.db import Database, driver_error_text, is_driver_error
from betterbase_cli.migrate.files import (
    MANUAL,
    UNKNOWN,
    MigrationsFolder,
    Statement,
    checksum,
    split_statements,
)
from betterbase_cli.records import dataclass

LEDGER = "bb_migrations"
NO_TRANSACTION_MARK = re.compile(r"^--\s*bb:no-transaction\b", re.IGNORECASE | re.MULTILINE)

_TRANSACTION_CONTROL = re.compile(
    r"^(BEGIN(\s+(TRANSACTION|IMMEDIATE|EXCLUSIVE|DEFERRED|WORK))?|START\s+TRANSACTION|"
    r"COMMIT(\s+(TRANSACTION|WORK))?|END(\s+TRANSACTION)?)\s*;?$",
    re.IGNORECASE,
)
_PRAGMA_FK = re.compile(r"^PRAGMA\s+foreign_keys\s*=\s*(\w+)\s*;?$", re.IGNORECASE)
_PRAGMA_FK_CHECK = re.compile(r"^PRAGMA\s+foreign_key_check\b", re.IGNORECASE)
_IDENT = r"[\"`\[]?([A-Za-z_][A-Za-z_0-9$]*)[\"`\]]?"
_DROP_TABLE = re.compile(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_IDENT}", re.IGNORECASE)
_DROP_TRIGGER = re.compile(rf"^DROP\s+TRIGGER\s+(?:IF\s+EXISTS\s+)?{_IDENT}", re.IGNORECASE)
_RENAME_TABLE = re.compile(rf"^ALTER\s+TABLE\s+{_IDENT}\s+RENAME\s+TO\s+{_IDENT}", re.IGNORECASE)
_DML = re.compile(rf"^(?:DELETE\s+FROM|UPDATE|INSERT\s+(?:OR\s+\w+\s+)?INTO)\s+{_IDENT}", re.I)
_DESTRUCTIVE_SQL = re.compile(
    r"^\s*(DROP\s+(TABLE|COLUMN|SCHEMA|DATABASE)\b|TRUNCATE\b|DELETE\s+FROM\b)"
    r"|\bDROP\s+COLUMN\b",
    re.IGNORECASE,
)


# -- what there is to apply -------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationFile:
    """A migration for one dialect, read from disk (or about to be written)."""

    name: str
    kind: str
    path: str  # project-relative, for messages
    text: str
    destructive: bool

    @property
    def checksum(self) -> str:
        return checksum(self.text)


@dataclass(frozen=True)
class LedgerRow:
    name: str
    checksum: str
    applied_at: str


@dataclass(frozen=True)
class Plan:
    """The state of a database against the migrations folder, for one dialect."""

    applied: tuple[LedgerRow, ...]
    pending: tuple[MigrationFile, ...]
    unknown_applied: tuple[str, ...]  # in the ledger, not in the folder (another branch?)
    edited: tuple[tuple[MigrationFile, LedgerRow], ...]  # applied, then changed on disk


_TOUCHES = re.compile(
    rf"^(?:ALTER\s+TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|"
    rf"UPDATE)\s+{_IDENT}",
    re.IGNORECASE,
)


def touched_tables(migrations: Sequence[MigrationFile], dialect: str) -> list[str]:
    """Tables whose data these migrations can change (for a backup that exports tables)."""
    found: set[str] = set()
    for migration in migrations:
        try:
            statements = split_statements(migration.text, dialect)
        except BetterBaseError:
            return []
        for statement in statements:
            match = _TOUCHES.match(statement.text)
            if match and not match.group(1).startswith("__bb_"):
                found.add(match.group(1))
    return sorted(found)


def manual_is_destructive(text: str, dialect: str) -> bool:
    """A manual migration destroys data when it drops tables or columns, truncates or deletes.
    A table dropped and then recreated under its name (a SQLite rebuild) is not a loss."""
    try:
        statements = split_statements(text, dialect)
    except BetterBaseError:
        return True
    rebuilt = {m.group(2) for s in statements if (m := _RENAME_TABLE.match(s.text))}
    for statement in statements:
        drop = _DROP_TABLE.match(statement.text)
        if drop and drop.group(1) in rebuilt:
            continue
        if _DESTRUCTIVE_SQL.search(statement.text):
            return True
    return False


def read_files(folder: MigrationsFolder, dialect: str, strict: bool = True) -> list[MigrationFile]:
    """The migrations that have a file for ``dialect``, in order.  A file bb has no record of,
    or a generated file changed since bb wrote it, is an error: it would run unreviewed SQL.
    (``strict=False`` lists them anyway, for `status`.)"""
    found: list[MigrationFile] = []
    bad = [p for p in folder.problems() if f"/{dialect}/" in f"/{p.path}"]
    bad = [p for p in bad if p.kind != "missing"]
    if bad and strict:
        listed = "\n".join(f"  {p.path}: {p.message}" for p in bad)
        raise MigrationFolderError(
            f"the migrations folder does not match migrations/checksums.json:\n{listed}",
            hint="restore edited files from git (`git checkout -- FILE`); for SQL that models "
            "cannot express, make a migration with `bb migrate new NAME`",
        )
    for migration in folder.migrations():
        path = migration.files.get(dialect)
        if path is None or migration.kind == UNKNOWN:
            continue
        text = path.read_text(encoding="utf-8")
        destructive = migration.destructive
        if migration.kind == MANUAL:
            destructive = manual_is_destructive(text, dialect)
        found.append(
            MigrationFile(migration.name, migration.kind, folder.relative(path), text, destructive)
        )
    return found


class MigrationFolderError(BetterBaseError):
    """Files in the migrations folder were edited or added by hand."""


class AppliedMigrationEdited(BetterBaseError):
    def __init__(self, edited: Sequence[tuple[MigrationFile, LedgerRow]], where: str) -> None:
        listed = "\n".join(
            f"  {m.path} (applied {row.applied_at}; checksum {row.checksum[:12]} in the "
            f"database, {m.checksum[:12]} on disk)"
            for m, row in edited
        )
        super().__init__(
            f"migrations already applied to {where} were changed since:\n{listed}",
            hint="an applied migration never runs again, so the edit would be lost: restore the "
            "file from git and put the change in a new migration (`bb migrate new NAME`)",
        )


class MigrationFailed(DatabaseError):
    """A statement of a migration failed; the message names the file, statement and reason."""

    def __init__(
        self,
        migration: MigrationFile,
        statement: Statement | None,
        reason: str,
        rolled_back: bool,
        ran: Sequence[Statement] = (),
    ) -> None:
        self.migration = migration
        self.statement = statement
        self.ran = list(ran)
        where = migration.path
        if statement is not None:
            head = (
                f"{where}:{statement.line}: statement {statement.number} failed: {reason}\n"
                f"  {statement.summary}"
            )
        else:
            head = f"{where}: {reason}"
        if rolled_back:
            tail = "\nthe migration was rolled back: the database is as it was before it"
        elif self.ran:
            done = "\n".join(f"    {s.number} (line {s.line}): {s.summary}" for s in self.ran)
            tail = (
                "\nMySQL/MariaDB commit each schema change (DDL) at once, so these statements "
                f"of the file ran before it and stay applied:\n{done}\n"
                "the migration is not recorded as applied"
            )
        else:
            tail = "\nno statement of this migration had run; nothing was changed"
        hint = (
            "fix the data the statement trips on, or (for a migration not yet shared) delete "
            "it and regenerate; then run `bb migrate apply` again"
        )
        if migration.kind == MANUAL:
            hint = "fix the SQL in the file, then run `bb migrate apply` again"
        if not rolled_back and self.ran:
            hint = "undo or finish the statements that ran by hand, then " + hint
        super().__init__(head + tail, hint)


# -- the ledger -------------------------------------------------------------------------------


def ensure_ledger(db: Database) -> None:
    if db.dialect == "postgresql":
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {LEDGER} (name VARCHAR(255) PRIMARY KEY, "
            "checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP WITH TIME ZONE NOT NULL "
            "DEFAULT CURRENT_TIMESTAMP)"
        )
    elif db.dialect == "mysql":
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {LEDGER} (name VARCHAR(255) PRIMARY KEY, "
            "checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL "
            "DEFAULT CURRENT_TIMESTAMP)"
        )
    else:
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {LEDGER} (name TEXT PRIMARY KEY, "
            "checksum TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
    db.execute(ddl)


def read_ledger(db: Database) -> list[LedgerRow]:
    if not db.has_table(LEDGER):
        return []
    rows = db.query(f"SELECT name, checksum, applied_at FROM {LEDGER} ORDER BY name")
    return [LedgerRow(str(n), str(c), _timestamp(a)) for n, c, a in rows]


def _timestamp(value: object) -> str:
    text = str(value)
    return text[:19].replace("T", " ") if len(text) >= 19 else text


def make_plan(files: Sequence[MigrationFile], ledger: Sequence[LedgerRow]) -> Plan:
    applied = {row.name: row for row in ledger}
    names = {m.name for m in files}
    pending = tuple(m for m in files if m.name not in applied)
    edited = tuple(
        (m, applied[m.name])
        for m in files
        if m.name in applied and applied[m.name].checksum != m.checksum
    )
    unknown = tuple(row.name for row in ledger if row.name not in names)
    return Plan(tuple(ledger), pending, unknown, edited)


# -- the lock ---------------------------------------------------------------------------------


def _lock_key(db: Database) -> int:
    digest = hashlib.sha256(f"bb_migrations:{db.url.database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def migration_lock(
    db: Database, timeout: float = 60.0, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the database's migration lock (PostgreSQL, MySQL) for the block.  SQLite locks
    per migration with BEGIN IMMEDIATE instead, so this does nothing there."""
    if db.dialect == "sqlite":
        # BEGIN IMMEDIATE waits this long for another writer before "database is locked".
        db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        yield
        return
    deadline = time.monotonic() + timeout
    warned = False
    if db.dialect == "postgresql":
        key = _lock_key(db)
        while not db.scalar("SELECT pg_try_advisory_lock(?)", (key,)):
            if not warned and on_wait:
                on_wait()
                warned = True
            if time.monotonic() > deadline:
                raise _lock_timeout(db, timeout)
            time.sleep(0.2)
        try:
            yield
        finally:
            db.query("SELECT pg_advisory_unlock(?)", (key,))
        return
    name = f"bb_migrations:{db.url.database}"[:64]
    while db.scalar("SELECT GET_LOCK(?, ?)", (name, 1)) != 1:
        if not warned and on_wait:
            on_wait()
            warned = True
        if time.monotonic() > deadline:
            raise _lock_timeout(db, timeout)
    try:
        yield
    finally:
        db.query("SELECT RELEASE_LOCK(?)", (name,))


def _lock_timeout(db: Database, timeout: float) -> DatabaseError:
    return DatabaseError(
        f"another `bb migrate apply` has held the migration lock on {db.url.where} "
        f"for more than {timeout:g} s",
        hint="wait for it to finish and run again, or raise --lock-timeout",
    )


# -- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A migration file split for running: the statements, and what bb does around them."""

    statements: tuple[Statement, ...]
    foreign_keys_off: bool  # SQLite: run with foreign keys off (a table rebuild)
    rebuilt: tuple[str, ...]  # SQLite tables dropped and recreated under their old name
    transactional: bool
    dropped_triggers: tuple[str, ...] = ()  # DROP TRIGGER in the file: not to be re-created


def prepare(migration: MigrationFile, dialect: str) -> Prepared:
    """Split a file and lift out what bb handles itself: BEGIN/COMMIT (bb opens the
    transaction), and on SQLite ``PRAGMA foreign_keys``/``foreign_key_check`` (they must run
    outside the transaction and before COMMIT)."""
    statements = split_statements(migration.text, dialect, migration.path)
    kept: list[Statement] = []
    fk_off = False
    for statement in statements:
        text = statement.text.strip()
        if _TRANSACTION_CONTROL.match(text):
            continue
        if dialect == "sqlite":
            pragma = _PRAGMA_FK.match(text)
            if pragma:
                fk_off = fk_off or pragma.group(1).lower() in ("off", "0", "false", "no")
                continue
            if _PRAGMA_FK_CHECK.match(text):
                continue
        kept.append(statement)
    rebuilt: list[str] = []
    if dialect == "sqlite":
        dropped: set[str] = set()
        for statement in kept:
            drop = _DROP_TABLE.match(statement.text)
            if drop:
                dropped.add(drop.group(1))
                # Dropping a parent with foreign keys on deletes its children's rows first.
                fk_off = fk_off or not drop.group(1).startswith("__bb_")
            rename = _RENAME_TABLE.match(statement.text)
            if rename and rename.group(2) in dropped and rename.group(2) not in rebuilt:
                rebuilt.append(rename.group(2))
    transactional = NO_TRANSACTION_MARK.search(migration.text) is None
    dropped_triggers = tuple(
        m.group(1) for s in kept if (m := _DROP_TRIGGER.match(s.text)) is not None
    )
    return Prepared(
        tuple(kept), fk_off or bool(rebuilt), tuple(rebuilt), transactional, dropped_triggers
    )


def _insert_ledger(db: Database, migration: MigrationFile) -> None:
    db.execute(
        f"INSERT INTO {LEDGER} (name, checksum) VALUES (?, ?)",
        (migration.name, migration.checksum),
    )


def _ledger_has(db: Database, name: str) -> bool:
    return bool(db.query(f"SELECT 1 FROM {LEDGER} WHERE name = ?", (name,)))


def apply_one(db: Database, migration: MigrationFile) -> bool:
    """Run one migration with its ledger row.  False when another process applied it first."""
    prepared = prepare(migration, db.dialect)
    if db.dialect == "sqlite":
        return _apply_sqlite(db, migration, prepared)
    if not prepared.transactional:
        return _apply_statements(db, migration, prepared, in_transaction=False)
    return _apply_statements(db, migration, prepared, in_transaction=True)


def _apply_statements(
    db: Database, migration: MigrationFile, prepared: Prepared, in_transaction: bool
) -> bool:
    ran: list[Statement] = []
    if in_transaction:
        db.begin()
    try:
        for statement in prepared.statements:
            try:
                db.execute(statement.text)
            except Exception as exc:
                if not is_driver_error(exc):
                    raise
                # PostgreSQL rolls back DDL; MySQL has already committed what ran.
                rolled_back = in_transaction and db.dialect == "postgresql"
                if in_transaction:
                    db.rollback()
                raise MigrationFailed(
                    migration,
                    statement,
                    driver_error_text(exc),
                    rolled_back=rolled_back or not ran,
                    ran=[] if rolled_back else ran,
                ) from exc
            ran.append(statement)
        _insert_ledger(db, migration)
        if in_transaction:
            db.commit()
    except BaseException:
        if db.in_transaction:
            db.rollback()
        raise
    return True


def _sqlite_references(db: Database, tables: Sequence[str]) -> set[str]:
    """Every table with a foreign key pointing at one of ``tables``."""
    wanted = set(tables)
    found: set[str] = set()
    for table in db.table_names():
        for row in db.query(f"PRAGMA foreign_key_list({db.quote(table)})"):
            if row[2] in wanted:
                found.add(table)
    return found


def _apply_sqlite(db: Database, migration: MigrationFile, prepared: Prepared) -> bool:
    fk_was_on = bool(db.scalar("PRAGMA foreign_keys"))
    if prepared.foreign_keys_off:
        # Must run outside the transaction: inside one SQLite ignores it.
        db.execute("PRAGMA foreign_keys=OFF")
    legacy_was = bool(db.scalar("PRAGMA legacy_alter_table"))
    if prepared.rebuilt:
        # While the old table is gone, RENAME would re-check every view and trigger that
        # names it and fail ("error in view v: no such table"); the legacy mode skips that,
        # and the views resolve again once the new table has the old name.
        db.execute("PRAGMA legacy_alter_table=ON")
    try:
        db.begin()
        try:
            if _ledger_has(db, migration.name):
                db.rollback()
                return False
            watched: list[str] = []
            if prepared.rebuilt:
                existing = set(db.table_names())
                touched = {
                    m.group(1)
                    for s in prepared.statements
                    if (m := _DML.match(s.text)) and not m.group(1).startswith("_")
                }
                candidates = set(prepared.rebuilt) | _sqlite_references(db, prepared.rebuilt)
                watched = sorted(t for t in candidates if t in existing and t not in touched)
            before = {table: db.count(table) for table in watched}
            triggers = _sqlite_triggers(db, prepared)
            for statement in prepared.statements:
                try:
                    db.execute(statement.text)
                except Exception as exc:
                    if not is_driver_error(exc):
                        raise
                    db.rollback()
                    raise MigrationFailed(
                        migration, statement, driver_error_text(exc), rolled_back=True
                    ) from exc
            _recreate_triggers(db, migration, triggers)
            if prepared.foreign_keys_off:
                _sqlite_fk_check(db, migration, prepared, watched)
            existing = set(db.table_names())
            for table in watched:
                if table not in existing:
                    continue  # dropped by this migration on purpose
                after = db.count(table)
                if after != before[table]:
                    db.rollback()
                    raise MigrationFailed(
                        migration,
                        None,
                        f"table {table} had {before[table]} rows before the migration and "
                        f"{after} after; a table rebuild must keep every row",
                        rolled_back=True,
                    )
            _insert_ledger(db, migration)
            db.commit()
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
    finally:
        if prepared.rebuilt and not legacy_was:
            db.execute("PRAGMA legacy_alter_table=OFF")
        if prepared.foreign_keys_off and fk_was_on:
            db.execute("PRAGMA foreign_keys=ON")
    return True


def _sqlite_triggers(db: Database, prepared: Prepared) -> list[tuple[str, str]]:
    """Triggers on tables this migration rebuilds: DROP TABLE takes them along, and bb's
    schema does not know them (a manual migration made them), so they are re-created."""
    if not prepared.rebuilt:
        return []
    marks = ", ".join("?" for _ in prepared.rebuilt)
    rows = db.query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        prepared.rebuilt,
    )
    return [(str(n), str(q)) for n, q in rows if n not in prepared.dropped_triggers]


def _recreate_triggers(
    db: Database, migration: MigrationFile, triggers: Sequence[tuple[str, str]]
) -> None:
    for name, sql in triggers:
        if db.query("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)):
            continue  # the migration made it again itself
        try:
            db.execute(sql)
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            db.rollback()
            raise MigrationFailed(
                migration,
                None,
                f"trigger {name} could not be re-created after its table was rebuilt "
                f"({driver_error_text(exc)})",
                rolled_back=True,
            ) from exc


def _sqlite_fk_check(
    db: Database, migration: MigrationFile, prepared: Prepared, watched: Sequence[str]
) -> None:
    existing = set(db.table_names())
    tables = sorted({*prepared.rebuilt, *watched} & existing) if prepared.rebuilt else []
    violations: list[tuple[object, ...]] = []
    if tables:
        for table in tables:
            violations += db.query(f"PRAGMA foreign_key_check({db.quote(table)})")
    else:
        violations = db.query("PRAGMA foreign_key_check")
    if violations:
        shown = ", ".join(
            f"{table} row {rowid} -> {parent}" for table, rowid, parent, *_ in violations[:5]
        )
        more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
        db.rollback()
        raise MigrationFailed(
            migration,
            None,
            f"foreign key check failed after the migration: {shown}{more}",
            rolled_back=True,
        )


def apply_pending(
    db: Database,
    files: Sequence[MigrationFile],
    lock_timeout: float = 60.0,
    on_wait: Callable[[], None] | None = None,
    on_applied: Callable[[MigrationFile, float], None] | None = None,
) -> list[MigrationFile]:
    """Apply every pending migration in order under the lock; returns those this call ran."""
    done: list[MigrationFile] = []
    with migration_lock(db, lock_timeout, on_wait):
        ensure_ledger(db)
        plan = make_plan(files, read_ledger(db))
        if plan.edited:
            raise AppliedMigrationEdited(plan.edited, db.url.where)
        for migration in plan.pending:
            started = time.perf_counter()
            if apply_one(db, migration):
                done.append(migration)
                if on_applied:
                    on_applied(migration, time.perf_counter() - started)
    return done


def plan_for(db: Database | None, files: Sequence[MigrationFile]) -> Plan:
    """The plan without changing anything (no database yet: everything is pending)."""
    ledger = read_ledger(db) if db is not None else []
    return make_plan(files, ledger)


def sql_of(files: Sequence[MigrationFile], dialect: str) -> str:
    """The SQL ``--dry-run`` prints for these migrations, as bb would run it."""
    out: list[str] = []
    for migration in files:
        prepared = prepare(migration, dialect)
        out.append(f"-- {migration.path}")
        if dialect == "sqlite" and prepared.foreign_keys_off:
            out.append("PRAGMA foreign_keys=OFF;")
        if prepared.transactional:
            out.append("BEGIN;")
        out += [s.text.rstrip(";") + ";" for s in prepared.statements]
        if dialect == "sqlite" and prepared.foreign_keys_off:
            out.append("PRAGMA foreign_key_check;  -- must return no rows; row counts compared")
        out.append(
            f"INSERT INTO {LEDGER} (name, checksum) VALUES "
            f"('{migration.name}', '{migration.checksum}');"
        )
        if prepared.transactional:
            out.append("COMMIT;")
        if dialect == "sqlite" and prepared.foreign_keys_off:
            out.append("PRAGMA foreign_keys=ON;")
        out.append("")
    return "\n".join(out)
