"""The `bb migrate` dev loop against PostgreSQL and MariaDB, with DATABASE_URL pointing there and
one SQL file per dialect in the project."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrate.migrate_helpers import bb, make_project, set_models

from betterbase_cli.migrate.db import connect

ALL = ("sqlite", "postgresql", "mysql")

MODELS = """
class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
"""


@pytest.fixture(params=["postgresql", "mysql"])
def server_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url"))


def test_dev_loop_on_a_server_database(tmp_path: Path, server_url: str) -> None:
    root = make_project(tmp_path, MODELS, dialects=ALL)
    env = {"DATABASE_URL": server_url}
    first = bb(root, "migrate", env=env)
    assert first.exit_code == 0, first.output
    assert "✓ 0001_create_authors_and_more" in first.stdout
    with connect(server_url) as db:
        db.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann')")
        db.execute("INSERT INTO books (id, title, author_id) VALUES (1, 'One', 1), (2, 'Two', 1)")

    # A rename (answered by flag) and a new column with a server default keep every row.
    set_models(
        root,
        MODELS.replace("title:", "heading:").replace(
            "    author_id",
            "    pages: Mapped[int] = mapped_column(server_default=text('0'))\n    author_id",
        ),
    )
    refused = bb(root, "migrate", env=env)
    assert refused.exit_code == 1 and "--rename books.title=books.heading" in refused.stderr
    second = bb(root, "migrate", "--rename", "books.title=books.heading", env=env)
    assert second.exit_code == 0, second.output
    with connect(server_url) as db:
        rows = db.query("SELECT id, heading, pages FROM books ORDER BY id")
        assert [(int(i), h, int(p)) for i, h, p in rows] == [(1, "One", 0), (2, "Two", 0)]
        ledger = [r[0] for r in db.query("SELECT name FROM bb_migrations ORDER BY name")]
    assert ledger == ["0001_create_authors_and_more", "0002_rename_books_title_to_heading_and_more"]

    check = bb(root, "migrate", "check", env=env)
    assert check.exit_code == 0, check.output
    status = bb(root, "migrate", "status", env=env)
    assert status.stdout.count("applied  ") == 2 and "in step" in status.stdout

    # The same files replay on an empty database of the other kind of server... and on SQLite.
    sqlite = bb(root, "migrate", "apply", env={"DATABASE_URL": f"sqlite:///{root / 'x.db'}"})
    assert sqlite.exit_code == 0, sqlite.output


def test_failing_migration_on_postgresql_changes_nothing(tmp_path: Path, pg_url: str) -> None:
    root = make_project(tmp_path, MODELS, dialects=ALL)
    env = {"DATABASE_URL": pg_url}
    assert bb(root, "migrate", env=env).exit_code == 0
    with connect(pg_url) as db:
        db.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'a much longer name')")
    # Two changes: a new table (fine) then a cast the data does not fit.
    set_models(
        root,
        MODELS.replace(
            "name: Mapped[str] = mapped_column(String(100))",
            "name: Mapped[int] = mapped_column(Integer)",
        )
        + "\n\nclass Shelf(Base):\n    __tablename__ = 'shelves'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n",
    )
    result = bb(root, "migrate", "--allow-destructive", env=env)
    assert result.exit_code == 1
    assert "migrations/postgresql/0002_" in result.stderr and "statement" in result.stderr
    assert "rolled back" in result.stderr
    with connect(pg_url) as db:
        assert "shelves" not in db.table_names()
        assert db.query("SELECT count(*) FROM authors") == [(2,)]
        assert len(db.query("SELECT name FROM bb_migrations")) == 1
    assert not (root / "migrations/postgresql/0002_create_shelves_and_more.sql").exists()


def test_a_dialect_added_later_gets_a_baseline(tmp_path: Path, pg_url: str) -> None:
    """SQLite in development first; PostgreSQL for production added to betterbase.toml later."""
    root = make_project(tmp_path, MODELS)
    assert bb(root, "migrate").exit_code == 0
    assert bb(root, "migrate", "new", "add_view").exit_code == 0
    set_models(
        root,
        MODELS.replace(
            "    author_id",
            "    isbn: Mapped[Optional[str]] = mapped_column(String(13))\n    author_id",
        ),
    )
    assert bb(root, "migrate").exit_code == 0
    config = root / "betterbase.toml"
    config.write_text(
        config.read_text().replace('dialects = ["sqlite"]', 'dialects = ["sqlite", "postgresql"]')
    )
    check = bb(root, "migrate", "check")
    assert check.exit_code == 1 and "bb migrate generate" in check.stdout

    result = bb(root, "migrate", "generate")
    assert result.exit_code == 0, result.output
    assert "postgresql was added to the project" in result.stdout
    first = (root / "migrations/postgresql/0001_create_authors_and_more.sql").read_text()
    assert "baseline" in first and "isbn VARCHAR(13)" in first
    assert (root / "migrations/postgresql/0002_add_view.sql").read_text().startswith("-- Written")
    assert bb(root, "migrate", "check").exit_code == 0

    applied = bb(root, "migrate", "apply", "--database-url", pg_url)
    assert applied.exit_code == 0, applied.output
    with connect(pg_url) as db:
        db.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann')")
        db.execute("INSERT INTO books (id, title, isbn, author_id) VALUES (1, 'One', 'x', 1)")
        assert len(db.query("SELECT name FROM bb_migrations")) == 3
