"""Rendering details per dialect, and the SQLite rebuild guards against the peers' traps."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from migrate.scenarios import harness

from betterbase_cli.migrate.diff import Decisions, diff
from betterbase_cli.migrate.introspect import comparable, introspect
from betterbase_cli.migrate.render import (
    DIALECTS,
    Dialect,
    create_schema_sql,
    needs_foreign_keys_off,
    rebuilt_tables,
    render_sql,
)
from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Schema,
    Table,
)

INT = ColumnType("integer")


def s(n: int | None = None) -> ColumnType:
    return ColumnType("string", length=n)


def users(*extra: Column, nullable_name: bool = False) -> Table:
    return Table(
        "users",
        (
            Column("id", INT, False, autoincrement=True),
            Column("name", s(100), nullable_name),
            *extra,
        ),
        ("id",),
    )


POSTS = Table(
    "posts",
    (
        Column("id", INT, False, autoincrement=True),
        Column("title", s(200), False),
        Column("user_id", INT, False),
    ),
    ("id",),
    foreign_keys=(ForeignKey("fk_posts_user_id_users", ("user_id",), "users", ("id",), "CASCADE"),),
)


def sql(
    old: Schema, new: Schema, dialect: Dialect, decisions: Decisions | None = None
) -> list[str]:
    result = diff(old, new, decisions)
    assert result.questions == ()
    return render_sql(result.operations, dialect, old, new)


def sqlite_db(schema: Schema) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN")
    for statement in create_schema_sql(schema, "sqlite"):
        conn.execute(statement)
    conn.execute("COMMIT")
    return conn


def test_a_rebuild_run_the_wrong_way_is_refused_not_silently_lossy() -> None:
    """The drizzle/Alembic trap: PRAGMA foreign_keys=OFF issued inside the transaction is a
    no-op, DROP TABLE users cascades and the posts vanish.  bb's rebuild checks row counts of
    the rebuilt table and of every table referencing it, so the migration fails instead."""
    old, new = Schema((users(), POSTS)), Schema((users(nullable_name=True), POSTS))
    statements = sql(old, new, "sqlite")
    assert rebuilt_tables(statements) == ("users",)
    assert needs_foreign_keys_off(statements)
    conn = sqlite_db(old)
    conn.execute("INSERT INTO users (id, name) VALUES (1, 'a')")
    conn.execute("INSERT INTO posts (id, title, user_id) VALUES (1, 't', 1)")
    conn.execute("BEGIN")
    conn.execute("PRAGMA foreign_keys=OFF")  # too late: a no-op inside the transaction
    with pytest.raises(sqlite3.IntegrityError, match="rows of posts changed during the rebuild"):
        for statement in statements:
            conn.execute(statement)
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (1,)

    # the documented way keeps every row
    harness.execute(conn, "sqlite", statements)
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (1,)
    assert comparable(introspect(conn, "sqlite"), "sqlite") == comparable(new, "sqlite")


def test_no_rebuild_where_alter_table_is_enough() -> None:
    old = Schema((users(),))
    plain = users(
        Column("bio", ColumnType("text")),
        Column("logins", INT, False, server_default="0"),
    )
    statements = sql(old, Schema((plain,)), "sqlite")
    assert statements == [
        "ALTER TABLE users ADD COLUMN bio TEXT",
        "ALTER TABLE users ADD COLUMN logins INTEGER DEFAULT 0 NOT NULL",
    ]
    assert not needs_foreign_keys_off(statements)


def test_current_timestamp_default_is_a_rebuild_that_sqlite_accepts() -> None:
    old = Schema((users(),))
    new = Schema(
        (users(Column("created_at", ColumnType("datetime"), False, server_default="now()")),)
    )
    statements = sql(old, new, "sqlite")
    assert rebuilt_tables(statements) == ("users",)
    assert any("created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL" in x for x in statements)
    conn = sqlite_db(old)
    conn.execute("INSERT INTO users (id, name) VALUES (1, 'a')")
    harness.execute(conn, "sqlite", statements)
    (stamp,) = conn.execute("SELECT created_at FROM users").fetchone()
    assert stamp and stamp.startswith("20")


def test_a_lossy_cast_is_refused_on_sqlite() -> None:
    old = Schema((users(Column("zip", s(10))),))
    new = Schema((users(Column("zip", INT)),))
    conn = sqlite_db(old)
    conn.execute("INSERT INTO users (id, name, zip) VALUES (1, 'a', '007')")
    with pytest.raises(sqlite3.IntegrityError, match="users.zip has values that are not integers"):
        harness.execute(conn, "sqlite", sql(old, new, "sqlite"))
    assert conn.execute("SELECT zip FROM users").fetchone() == ("007",)


def test_an_added_foreign_key_column_keeps_on_delete_on_sqlite() -> None:
    old = Schema((users(),))
    fk = ForeignKey("fk_users_manager_id_users", ("manager_id",), "users", ("id",), "SET NULL")
    new_users = users(Column("manager_id", INT))
    new = Schema((Table(new_users.name, new_users.columns, ("id",), foreign_keys=(fk,)),))
    assert sql(old, new, "sqlite") == [
        "ALTER TABLE users ADD COLUMN manager_id INTEGER CONSTRAINT fk_users_manager_id_users "
        "REFERENCES users (id) ON DELETE SET NULL"
    ]
    conn = sqlite_db(old)
    harness.execute(conn, "sqlite", sql(old, new, "sqlite"))
    (row,) = conn.execute("PRAGMA foreign_key_list(users)").fetchall()
    assert row[6] == "SET NULL"


def test_postgres_uses_a_cast_only_across_type_categories() -> None:
    old = Schema((users(Column("zip", s(10)), Column("code", s(200))),))
    new = Schema((users(Column("zip", INT), Column("code", s(50))),))
    statements = sql(old, new, "postgresql")
    assert "ALTER TABLE users ALTER COLUMN code TYPE VARCHAR(50)" in statements
    assert "ALTER TABLE users ALTER COLUMN zip TYPE INTEGER USING zip::INTEGER" in statements
    assert any(x.startswith("DO $$") and "not integers" in x for x in statements)


def test_postgres_enum_values_are_inserted_in_place() -> None:
    col = Column("status", ColumnType("enum", enum="st"), False)
    old = Schema((users(col),), (Enum("st", ("draft", "done")),))
    new = Schema((users(col),), (Enum("st", ("draft", "review", "done", "archived")),))
    assert sql(old, new, "postgresql") == [
        "ALTER TYPE st ADD VALUE 'review' BEFORE 'done'",
        "ALTER TYPE st ADD VALUE 'archived'",
    ]
    assert sql(old, new, "sqlite") == []


def test_mysql_details() -> None:
    t = Table(
        "order",
        (
            Column("id", INT, False, autoincrement=True),
            Column("note", s()),
            Column("total", ColumnType("numeric", precision=10, scale=2)),
        ),
        ("id",),
        checks=(CheckConstraint("ck_order_note", "length(note) > 0"),),
    )
    (create,) = create_schema_sql(Schema((t,)), "mysql")
    assert create.startswith("-- bb: strings without a length are VARCHAR(255) on MySQL: note\n")
    assert "`id` INTEGER NOT NULL AUTO_INCREMENT" in create
    assert "CHECK (CHAR_LENGTH(note) > 0)" in create
    (pg,) = create_schema_sql(Schema((t,)), "postgresql")
    assert pg.startswith('CREATE TABLE "order" (')
    dropped = sql(
        Schema((users(), POSTS)), Schema((users(), Table("posts", POSTS.columns, ("id",)))), "mysql"
    )
    assert dropped[0] == "ALTER TABLE `posts` DROP FOREIGN KEY `fk_posts_user_id_users`"
    assert "DROP INDEX `fk_posts_user_id_users`" in dropped[1]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rendering_is_deterministic(dialect: Dialect) -> None:
    schema = Schema((users(), POSTS))
    assert create_schema_sql(schema, dialect) == create_schema_sql(schema, dialect)


RESERVED = Schema(
    (
        Table(
            "user",
            (
                Column("id", INT, False, autoincrement=True),
                Column("order", s(20)),
                Column("group", INT),
            ),
            ("id",),
        ),
    )
)


def _roundtrip(conn: Any, dialect: Dialect) -> None:
    harness.execute(conn, dialect, create_schema_sql(RESERVED, dialect))
    assert comparable(introspect(conn, dialect), dialect) == comparable(RESERVED, dialect)


def test_reserved_names_are_quoted_sqlite() -> None:
    _roundtrip(sqlite3.connect(":memory:", isolation_level=None), "sqlite")


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_reserved_names_are_quoted_on_servers(
    dialect: Dialect, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url" if dialect == "postgresql" else "mysql_url")
    conn = harness.connect(dialect, url)
    try:
        _roundtrip(conn, dialect)
    finally:
        conn.close()


def test_mysql_narrowing_is_refused_even_without_strict_mode(
    request: pytest.FixtureRequest,
) -> None:
    """A server with an empty sql_mode truncates VARCHAR and clamps integers silently; bb's
    guards refuse before MODIFY runs."""
    old = Schema((users(Column("code", s(200)), Column("n", ColumnType("bigint"))),))
    new = Schema((users(Column("code", s(5)), Column("n", INT)),))
    conn = harness.connect("mysql", request.getfixturevalue("mysql_url"))
    try:
        harness.execute(conn, "mysql", create_schema_sql(old, "mysql"))
        with conn.cursor() as cur:
            cur.execute("SET SESSION sql_mode = ''")
            cur.execute("INSERT INTO users (id, name, code, n) VALUES (1, 'a', 'abcdefgh', 1)")
        with pytest.raises(Exception, match="users.code has values longer than 5"):
            harness.execute(conn, "mysql", sql(old, new, "mysql"))
        with conn.cursor() as cur:
            cur.execute("UPDATE users SET code = 'abc', n = 5000000000")
        with pytest.raises(Exception, match="users.n has values out of the integer range"):
            harness.execute(conn, "mysql", sql(old, new, "mysql"))
        with conn.cursor() as cur:
            cur.execute("SELECT code, n FROM users")
            assert cur.fetchall() == (("abc", 5000000000),)
    finally:
        conn.close()


def test_drift_names_what_the_database_lacks() -> None:
    from betterbase_cli.migrate.introspect import drift

    schema = Schema((users(), POSTS))
    conn = sqlite_db(schema)
    assert drift(conn, "sqlite", schema) == ()
    conn.execute("DROP TABLE posts")
    assert [op.describe() for op in drift(conn, "sqlite", schema)] == [
        "create table posts (3 columns)"
    ]


UUID_TABLE = Schema(
    (
        Table(
            "things",
            (
                Column("id", ColumnType("uuid"), False, server_default="gen_random_uuid()"),
                Column("name", s(20)),
            ),
            ("id",),
        ),
    )
)


def _uuid_default(conn: Any, dialect: Dialect) -> None:
    harness.execute(conn, dialect, create_schema_sql(UUID_TABLE, dialect))
    assert comparable(introspect(conn, dialect), dialect) == comparable(UUID_TABLE, dialect)
    insert = "INSERT INTO things (name) VALUES ('a')"
    if dialect == "sqlite":
        conn.execute(insert)
        (value,) = conn.execute("SELECT id FROM things").fetchone()
    else:
        with conn.cursor() as cur:
            cur.execute(insert)
            cur.execute("SELECT id FROM things")
            (value,) = cur.fetchone()
    text = value.hex if hasattr(value, "hex") and not isinstance(value, str) else value
    assert len(text) == 32 and int(text, 16) >= 0


def test_uuid_server_default_sqlite() -> None:
    _uuid_default(sqlite3.connect(":memory:", isolation_level=None), "sqlite")


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_uuid_server_default_on_servers(dialect: Dialect, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url" if dialect == "postgresql" else "mysql_url")
    conn = harness.connect(dialect, url)
    try:
        _uuid_default(conn, dialect)
    finally:
        conn.close()


def test_postgres_swaps_the_enum_type_when_the_migration_uses_a_new_value(
    request: pytest.FixtureRequest,
) -> None:
    """ADD VALUE cannot be used before COMMIT: a default naming the new value needs a swap."""
    status = Column("status", ColumnType("enum", enum="st"), False, server_default="'draft'")
    old = Schema((users(status),), (Enum("st", ("draft", "done")),))
    new_status = Column("status", ColumnType("enum", enum="st"), False, server_default="'new'")
    new = Schema((users(new_status),), (Enum("st", ("draft", "done", "new")),))
    statements = sql(old, new, "postgresql")
    assert statements[0] == "ALTER TYPE st RENAME TO st__bb_old"
    conn = harness.connect("postgresql", request.getfixturevalue("pg_url"))
    try:
        harness.execute(conn, "postgresql", create_schema_sql(old, "postgresql"))
        with conn.cursor() as cur:
            cur.execute("INSERT INTO users (name) VALUES ('a')")
        conn.commit()
        harness.execute(conn, "postgresql", statements)
        assert comparable(introspect(conn, "postgresql"), "postgresql") == comparable(
            new, "postgresql"
        )
    finally:
        conn.close()


def test_mysql_indexes_text_by_a_prefix_and_refuses_a_unique_text_key() -> None:
    from betterbase_cli.errors import SchemaError
    from betterbase_cli.schema.model import Index, UniqueConstraint

    body = Column("body", ColumnType("text"))
    indexed = Table(
        users().name,
        (*users().columns, body),
        ("id",),
        indexes=(Index("ix_users_body", ("body",)),),
    )
    assert "CREATE INDEX `ix_users_body` ON `users` (`body`(255))" in create_schema_sql(
        Schema((indexed,)), "mysql"
    )
    unique = Table(
        indexed.name,
        indexed.columns,
        ("id",),
        uniques=(UniqueConstraint("uq_users_body", ("body",)),),
    )
    with pytest.raises(SchemaError, match="MySQL cannot make the unique constraint uq_users_body"):
        create_schema_sql(Schema((unique,)), "mysql")
    assert create_schema_sql(Schema((unique,)), "postgresql")
