"""Fixtures shared by the whole suite: real database servers, fresh databases, the bb runner."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST, PG_PORT = os.environ.get("BB_TEST_PG_HOST", "127.0.0.1"), 5432
MY_HOST, MY_PORT = os.environ.get("BB_TEST_MYSQL_HOST", "127.0.0.1"), 3306
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    """bb's context cache goes to a folder of this run, not the user's ~/.cache (the suite
    makes hundreds of projects; bb processes started by tests inherit the variable)."""
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bb-test-cache-")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _need(server: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    reason = f"{server} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the database tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (SQLAlchemy URL, psycopg 3); dropped afterwards."""
    _need("PostgreSQL", PG_HOST, PG_PORT)
    import psycopg

    name = f"bb_{uuid.uuid4().hex[:12]}"
    admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty MariaDB/MySQL database (SQLAlchemy URL, PyMySQL); dropped afterwards."""
    _need("MariaDB", MY_HOST, MY_PORT)
    import pymysql

    name = f"bb_{uuid.uuid4().hex[:12]}"
    conn = pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield f"mysql+pymysql://root@{MY_HOST}:{MY_PORT}/{name}"
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


@pytest.fixture
def redis_url() -> str:
    _need("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/0"
