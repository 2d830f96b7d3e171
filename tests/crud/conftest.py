"""Fixtures for the `bb generate crud` tests: a project generated once per session, and the
generated app served by uvicorn on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from crud.crud_helpers import create_tables, generate, make_project, serve

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
PG_HOST, PG_PORT = os.environ.get("BB_TEST_PG_HOST", "127.0.0.1"), 5432


@pytest.fixture(scope="session")
def generated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("crud") / "shop")
    result = generate(project, "--all")
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def generated(generated_template: Path, tmp_path: Path) -> Path:
    """A private copy of the generated project (tests may change it)."""
    return Path(shutil.copytree(generated_template, tmp_path / "shop"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "shop")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest,
    generated_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The generated app served on SQLite and on PostgreSQL: yields the API base URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'api.db'}"
        create_tables(generated_template, url)
        with serve(generated_template, url) as base:
            yield base + "/api"
        return
    pg = request.getfixturevalue("pg_module_url")
    create_tables(generated_template, pg)
    with serve(generated_template, pg) as base:
        yield base + "/api"


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    """A fresh PostgreSQL database for a whole module (as tests/conftest.py's pg_url)."""
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=1).close()
    except OSError:
        reason = f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT}"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run the database tests", pytrace=False)
        pytest.skip(reason)
    import psycopg

    name = f"bb_crud_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
