"""DBAPI connections from SQLAlchemy-style URLs (sqlite3, psycopg 3, PyMySQL) without SQLAlchemy.

bb only needs to run statements, read a few rows and manage transactions by hand, and importing
SQLAlchemy alone costs about 0.3 s, so the three drivers are used directly.  Every connection runs
in autocommit mode; transactions are explicit (``begin``/``commit``/``rollback``) so the apply
code decides exactly where they start, which SQLite's table rebuild needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from betterbase_cli.errors import ConfigError, DatabaseError
from betterbase_cli.records import dataclass, field

# URL scheme (before any "+driver") -> bb dialect.
SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
DIALECT_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@dataclass(frozen=True)
class DatabaseURL:
    """The parts of a database URL that bb uses.  ``str()`` never shows the password."""

    dialect: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None  # the SQLite path (or ":memory:") for SQLite
    query: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        return DIALECT_TITLES[self.dialect]

    @property
    def where(self) -> str:
        """A short, password-free description of the database for messages."""
        if self.dialect == "sqlite":
            return f"SQLite database {self.database}"
        port = self.port or DEFAULT_PORTS[self.dialect]
        return f"{self.title} at {self.host or 'localhost'}:{port} (database {self.database!r})"

    def __str__(self) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:///{self.database}"
        auth = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{self.dialect}://{auth}{self.host or ''}{port}/{self.database or ''}"

    def libpq(self) -> str:
        """A libpq URI for psycopg and pg_dump (the password included, never print it)."""
        from urllib.parse import quote, urlencode

        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        host = self.host or "localhost"
        port = f":{self.port}" if self.port else ""
        query = f"?{urlencode(self.query)}" if self.query else ""
        return f"postgresql://{auth}{host}{port}/{quote(self.database or '', safe='')}{query}"


def parse_url(url: str) -> DatabaseURL:
    """Read a SQLAlchemy-style URL: ``sqlite:///path``, ``postgresql[+driver]://...``,
    ``mysql[+driver]://...`` (``postgres://`` and ``mariadb://`` are accepted too)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            f"{url!r} is not a database URL",
            hint="use e.g. sqlite:///./app.db, postgresql://user@host/db or mysql://user@host/db",
        )
    base = scheme.split("+", 1)[0].lower()
    dialect = SCHEMES.get(base)
    if dialect is None:
        raise ConfigError(
            f"unknown database {base!r} in DATABASE_URL",
            hint="bb supports sqlite, postgresql and mysql (MariaDB) URLs",
        )
    if dialect == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        path = path.split("?", 1)[0]
        return DatabaseURL("sqlite", database=path or ":memory:")
    parts = urlsplit(f"//{rest}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"bad port in database URL {scheme}://...: {exc}") from exc
    return DatabaseURL(
        dialect,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=unquote(parts.path.lstrip("/")) or None,
        query=tuple(parse_qsl(parts.query)),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class Database:
    """One open connection in autocommit mode, with explicit transactions."""

    def __init__(self, url: DatabaseURL, connection: Any) -> None:
        self.url = url
        self.dialect = url.dialect
        self.connection = connection
        self.in_transaction = False

    # -- statements ------------------------------------------------------------------------------

    def _sql(self, sql: str, params: Sequence[Any]) -> str:
        # Callers write "?" placeholders; psycopg and PyMySQL want "%s".
        if params and self.dialect != "sqlite":
            return sql.replace("?", "%s")
        return sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        cursor = self.connection.cursor()
        try:
            if params:
                cursor.execute(self._sql(sql, params), tuple(params))
            else:
                cursor.execute(sql)
        finally:
            cursor.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            if params:
                cursor.execute(self._sql(sql, params), tuple(params))
            else:
                cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    # -- transactions ----------------------------------------------------------------------------

    def begin(self) -> None:
        if self.dialect == "sqlite":
            # IMMEDIATE takes the write lock now, so two applies cannot interleave.
            self.execute("BEGIN IMMEDIATE")
        elif self.dialect == "mysql":
            self.execute("START TRANSACTION")
        else:
            self.execute("BEGIN")
        self.in_transaction = True

    def commit(self) -> None:
        self.execute("COMMIT")
        self.in_transaction = False

    def rollback(self) -> None:
        self.in_transaction = False
        try:
            self.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - nothing to roll back (e.g. the connection dropped)
            pass

    # -- introspection ---------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        if self.dialect == "mysql":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def table_names(self) -> list[str]:
        if self.dialect == "sqlite":
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        elif self.dialect == "postgresql":
            sql = (
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        else:
            sql = (
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        return [str(row[0]) for row in self.query(sql)]

    def has_table(self, name: str) -> bool:
        return name in self.table_names()

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.quote(table)}"))

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection is not worth an error
            pass

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _driver_missing(url: DatabaseURL, package: str, extra: str) -> DatabaseError:
    return DatabaseError(
        f"bb needs the {package} package to talk to {url.title}",
        hint=f"install it: pip install 'betterbase-cli[{extra}]'",
    )


def connect(url: str | DatabaseURL, create: bool = True) -> Database:
    """Open a connection; an unreachable database is a DatabaseError naming where, not a
    traceback.  With ``create=False`` a missing SQLite file is an error instead of a new file."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.dialect == "sqlite":
        return _connect_sqlite(parsed, create)
    if parsed.dialect == "postgresql":
        return _connect_postgresql(parsed)
    return _connect_mysql(parsed)


def _connect_sqlite(url: DatabaseURL, create: bool) -> Database:
    import sqlite3

    path = url.database or ":memory:"
    if path != ":memory:":
        target = Path(path)
        if not create and not target.exists():
            raise DatabaseError(
                f"{url.where} does not exist",
                hint="run `bb migrate` (or `bb migrate apply`) to create it",
            )
        if not target.parent.is_dir():
            raise DatabaseError(
                f"cannot open {url.where}: folder {target.parent} does not exist",
                hint="create the folder or fix DATABASE_URL",
            )
    try:
        # isolation_level=None: no implicit transactions; bb issues BEGIN/COMMIT itself.
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        # The app enforces foreign keys, so migrations run with them on too (rebuilds turn
        # them off around their transaction).
        connection.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"cannot open {url.where}: {_first_line(exc)}",
            hint="check the path in DATABASE_URL and that the file is a SQLite database",
        ) from exc
    return Database(url, connection)


def _connect_postgresql(url: DatabaseURL) -> Database:
    try:
        import psycopg
    except ImportError as exc:
        raise _driver_missing(url, "psycopg", "postgres") from exc
    try:
        connection = psycopg.connect(url.libpq(), autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise DatabaseError(
            f"cannot connect to {url.where}: {_clean_pg_error(exc)}",
            hint="is the server running and reachable? check DATABASE_URL "
            "(host, port, user, password, database name)",
        ) from exc
    return Database(url, connection)


def _clean_pg_error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    # libpq repeats the full connection string in some messages; keep the reason.
    text = re.sub(r'connection to server at "[^"]*" \([^)]*\), port \d+ failed: ', "", text)
    return text or type(exc).__name__


def _connect_mysql(url: DatabaseURL) -> Database:
    try:
        import pymysql
    except ImportError as exc:
        raise _driver_missing(url, "PyMySQL", "mysql") from exc
    options = dict(url.query)
    try:
        connection = pymysql.connect(
            host=url.host or "localhost",
            port=url.port or DEFAULT_PORTS["mysql"],
            user=url.user or "root",
            password=url.password or "",
            database=url.database,
            charset=options.get("charset", "utf8mb4"),
            autocommit=True,
            connect_timeout=10,
        )
    except pymysql.err.MySQLError as exc:
        reason = exc.args[1] if len(exc.args) > 1 else _first_line(exc)
        raise DatabaseError(
            f"cannot connect to {url.where}: {reason}",
            hint="is the server running and reachable? check DATABASE_URL "
            "(host, port, user, password, database name)",
        ) from exc
    database = Database(url, connection)
    # A narrowing MODIFY must fail on data that does not fit, never truncate it quietly.
    mode = str(database.scalar("SELECT @@SESSION.sql_mode") or "")
    if "STRICT_TRANS_TABLES" not in mode and "STRICT_ALL_TABLES" not in mode:
        database.execute(
            "SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'STRICT_ALL_TABLES')"
        )
    return database


@contextmanager
def driver_errors(where: str) -> Iterator[None]:
    """Turn a driver error that escaped the code around statements (a dropped connection, a
    locked SQLite file, a missing permission) into one clear DatabaseError."""
    try:
        yield
    except DatabaseError:
        raise
    except Exception as exc:
        if not is_driver_error(exc):
            raise
        text = driver_error_text(exc)
        hint = "check that the database is reachable and that the user may change its schema"
        if "locked" in text.lower():
            hint = "another process holds the database; wait for it or raise --lock-timeout"
        raise DatabaseError(f"{where}: {text}", hint=hint) from exc


def driver_error_text(exc: BaseException) -> str:
    """The database's own words for a failed statement, on one line."""
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[0], int):  # PyMySQL: (code, message)
        return f"({args[0]}) {args[1]}"
    return " ".join(str(exc).split()) or type(exc).__name__


def is_driver_error(exc: BaseException) -> bool:
    """True for an error a database driver raised about a statement (not a bug in bb)."""
    module = type(exc).__module__ or ""
    return module.startswith(("sqlite3", "psycopg", "pymysql"))
