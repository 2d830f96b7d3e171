"""The SQL DDL reader on PostgreSQL, SQLite and MySQL text, good and bad."""

from __future__ import annotations

from pathlib import Path

import pytest

from betterbase_cli.errors import SchemaParseError, UsageError
from betterbase_cli.records import replace
from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Schema,
    UniqueConstraint,
)
from betterbase_cli.schema.sql_reader import guess_dialect, read_sql, read_sql_with_warnings

SQL = Path(__file__).parent / "sql"
DIALECTS = ("postgresql", "sqlite", "mysql")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_shop_schema_reads_on_every_dialect(dialect: str) -> None:
    schema = read_sql((SQL / f"shop.{dialect}.sql").read_text(), dialect, "shop.sql")
    assert set(schema.table_names) == {
        "users",
        "addresses",
        "categories",
        "products",
        "product_categories",
        "orders",
        "order_items",
        "payments",
        "reviews",
        "audit_log",
    }
    products = schema.table("products")
    assert products.primary_key == ("id",)
    assert products.column("id").autoincrement
    assert products.column("price").type == ColumnType("numeric", precision=10, scale=2)
    assert not products.column("price").nullable
    assert products.column("stock").server_default == "0"
    assert products.column("created_at").server_default == "CURRENT_TIMESTAMP"
    assert CheckConstraint("ck_products_stock_nonneg", "stock >= 0") in products.checks
    order_items = schema.table("order_items")
    assert order_items.primary_key == ("order_id", "line_no")
    assert not any(c.autoincrement for c in order_items.columns)
    assert [c.expression for c in order_items.checks] == ["quantity > 0"]
    orders = schema.table("orders")
    assert (
        ForeignKey("fk_orders_user_id_users", ("user_id",), "users", ("id",), on_delete="RESTRICT")
        in orders.foreign_keys
    )
    shipping = orders.foreign_key_of("shipping_address_id")
    assert shipping is not None
    assert (shipping.ref_table, shipping.ref_columns, shipping.on_delete) == (
        "addresses",
        ("id",),
        "SET NULL",
    )
    default = "fk_orders_shipping_address_id_addresses"  # sqlite's file leaves it unnamed
    assert shipping.name == (default if dialect == "sqlite" else "orders_shipping_fkey")
    assert orders.indexes == (Index("ix_orders_user_placed", ("user_id", "placed_at")),)
    payments = schema.table("payments")
    assert payments.foreign_keys[0].on_update == "CASCADE"
    categories = schema.table("categories")
    assert categories.foreign_keys == (
        ForeignKey(
            "fk_categories_parent_id_categories",
            ("parent_id",),
            "categories",
            ("id",),
            on_delete="SET NULL",
        ),
    )
    assert categories.uniques == (UniqueConstraint("uq_categories_slug", ("slug",)),)
    reviews = schema.table("reviews")
    assert [c.expression for c in reviews.checks] == ["rating BETWEEN 1 AND 5"]


def test_postgresql_specifics() -> None:
    schema = read_sql((SQL / "shop.postgresql.sql").read_text(), "postgresql")
    users = schema.table("users")
    assert users.column("id") == Column(
        "id", ColumnType("uuid"), nullable=False, server_default="gen_random_uuid()"
    )
    assert users.column("role").type == ColumnType("enum", enum="user_role")
    assert users.column("role").server_default == "'customer'"
    assert users.column("is_active").server_default == "TRUE"
    assert users.column("created_at").type == ColumnType("datetime", timezone=True)
    assert users.column("updated_at").server_default == "CURRENT_TIMESTAMP"
    assert users.comment == "people who can sign in"
    assert users.column("full_name").comment == "as they want to be addressed"
    assert schema.enums == (
        Enum("order_status", ("pending", "paid", "shipped", "cancelled")),
        Enum("user_role", ("customer", "staff", "admin")),
    )
    assert schema.table("addresses").column("id").type == ColumnType("bigint")
    assert schema.table("audit_log").column("happened_on").server_default == "CURRENT_DATE"
    assert schema.table("audit_log").column("duration").type == ColumnType("interval")
    assert schema.table("audit_log").column("attachment").type == ColumnType("binary")
    assert schema.table("products").indexes == (Index("ix_products_sku", ("sku",), unique=True),)


def test_mysql_specifics() -> None:
    result = read_sql_with_warnings((SQL / "shop.mysql.sql").read_text(), "mysql")
    schema = result.schema
    users = schema.table("users")
    assert users.column("role").type == ColumnType("enum", enum="users_role")
    assert schema.enum("users_role").values == ("customer", "staff", "admin")
    assert users.column("is_active").type == ColumnType("boolean")
    assert users.column("id").server_default == "gen_random_uuid()"
    assert users.comment == "people who can sign in"
    assert users.column("full_name").comment == "as they want to be addressed"
    assert schema.table("addresses").indexes == (Index("ix_addresses_user_id", ("user_id",)),)
    assert any("ON UPDATE" in w for w in result.warnings)
    assert any(w.startswith("skipped 3 statement(s)") and "SET x2" in w for w in result.warnings)


def test_sqlite_specifics() -> None:
    schema = read_sql((SQL / "shop.sqlite.sql").read_text(), "sqlite")
    assert schema.table("categories").column("id").autoincrement  # INTEGER PRIMARY KEY
    # REFERENCES categories (no column) points at the primary key
    assert schema.table("categories").foreign_keys[0].ref_columns == ("id",)
    assert schema.table("users").column("updated_at").server_default == "datetime('now')"


@pytest.mark.parametrize(
    ("sql", "default"),
    [
        ("DEFAULT now()", "CURRENT_TIMESTAMP"),
        ("DEFAULT CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("DEFAULT gen_random_uuid()", "gen_random_uuid()"),
        ("DEFAULT 'a''b'", "'a''b'"),
        ("DEFAULT 'x'::character varying", "'x'"),
        ("DEFAULT -1", "-1"),
        ("DEFAULT 1.5", "1.5"),
        ("DEFAULT false", "FALSE"),
        ("DEFAULT NULL", None),
        ("DEFAULT uuid_generate_v4()", "uuid_generate_v4()"),
    ],
)
def test_defaults_are_canonical(sql: str, default: str | None) -> None:
    schema = read_sql(f"CREATE TABLE t (c text {sql})", "postgresql")
    assert schema.table("t").column("c").server_default == default


def test_pg_dump_style_serial_and_constraints() -> None:
    schema = read_sql(
        """
        CREATE TABLE public.users (id integer NOT NULL, email text NOT NULL);
        CREATE SEQUENCE public.users_id_seq AS integer START WITH 1;
        ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
        ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT
            nextval('public.users_id_seq'::regclass);
        ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
        ALTER TABLE ONLY public.users ADD CONSTRAINT users_email_key UNIQUE (email);
        """,
        "postgresql",
    )
    users = schema.table("users")
    assert users.primary_key == ("id",)
    assert users.primary_key_name == "users_pkey"
    assert users.column("id").autoincrement
    assert users.column("id").server_default is None
    assert users.uniques == (UniqueConstraint("users_email_key", ("email",)),)


def test_guess_dialect() -> None:
    assert guess_dialect("CREATE TABLE `a` (id int AUTO_INCREMENT)") == "mysql"
    assert guess_dialect("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT)") == "sqlite"
    assert guess_dialect("CREATE TABLE a (id serial)") == "postgresql"


def test_statements_that_do_not_shape_tables_are_warnings() -> None:
    result = read_sql_with_warnings(
        "CREATE EXTENSION IF NOT EXISTS citext;\n"
        "SET statement_timeout = 0;\n"
        "CREATE TABLE a (id int PRIMARY KEY);\n"
        "GRANT ALL ON a TO app;\n"
        "CREATE VIEW v AS SELECT * FROM a;\n",
        "postgresql",
    )
    assert result.schema.table_names == ("a",)
    assert result.warnings == (
        "skipped 4 statement(s) that do not shape tables: "
        "CREATE EXTENSION, CREATE VIEW, GRANT, SET",
    )


# --- bad input -------------------------------------------------------------------------------


def test_unparseable_statement_names_line_and_words() -> None:
    sql = "CREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int,\n  name text text text (\n);\n"
    with pytest.raises(SchemaParseError) as info:
        read_sql(sql, "postgresql", "schema.sql")
    error = info.value
    assert error.path == "schema.sql"
    assert error.line >= 3
    assert "CREATE TABLE b (" in error.message


def test_unknown_type_names_the_column_and_line() -> None:
    sql = "CREATE TABLE a (\n  id int,\n  doc tsvector\n);"
    with pytest.raises(SchemaParseError) as info:
        read_sql(sql, "postgresql", "schema.sql")
    assert "a.doc" in info.value.message and "TSVECTOR" in info.value.message.upper()
    assert info.value.line == 3
    assert info.value.hint


def test_alter_of_a_table_never_created() -> None:
    with pytest.raises(SchemaParseError, match="not created earlier"):
        read_sql("ALTER TABLE ghost ADD CONSTRAINT x UNIQUE (a);", "postgresql")


def test_unknown_dialect() -> None:
    with pytest.raises(UsageError):
        read_sql("CREATE TABLE a (id int)", "oracle")


# --- real dumps of the shop, made by the databases' own tools -------------------------------
# tests/schema/sql/dumps/ holds what `pg_dump --schema-only` (PostgreSQL 15), `mysqldump
# --no-data` (MariaDB 10.11) and `sqlite3 app.db .schema` printed for the shop schema.

DUMPS = {
    "postgresql": "shop.pg_dump.sql",
    "mysql": "shop.mysqldump.sql",
    "sqlite": "shop.sqlite-schema.sql",
}


def _comparable(schema: Schema, dialect: str) -> Schema:
    """Names the server chose and the server's own spelling of CHECKs (and MariaDB's silence
    about ON DELETE RESTRICT, its default) left aside."""
    tables = []
    for t in schema.tables:
        fks = tuple(
            sorted(
                (
                    replace(
                        fk,
                        name="",
                        on_delete=None
                        if dialect == "mysql" and fk.on_delete == "RESTRICT"
                        else fk.on_delete,
                    )
                    for fk in t.foreign_keys
                ),
                key=repr,
            )
        )
        tables.append(
            replace(
                t,
                foreign_keys=fks,
                indexes=tuple(sorted((replace(i, name="") for i in t.indexes), key=repr)),
                uniques=tuple(sorted((replace(u, name="") for u in t.uniques), key=repr)),
                checks=tuple(
                    sorted((replace(c, name="", expression="") for c in t.checks), key=repr)
                ),
                primary_key_name=None,
            )
        )
    return Schema(tables=tuple(tables), enums=schema.enums)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_real_dump_reads_like_the_schema_it_came_from(dialect: str) -> None:
    source = read_sql((SQL / f"shop.{dialect}.sql").read_text(), dialect)
    result = read_sql_with_warnings((SQL / "dumps" / DUMPS[dialect]).read_text(), dialect)
    assert _comparable(result.schema, dialect) == _comparable(source, dialect)
    # the noise of a dump is summed up, not listed statement by statement
    assert len(result.warnings) < 20, result.warnings
