"""The generated auth code runs: its own tests on SQLite, PostgreSQL and MariaDB, OAuth against a
fake provider, the Redis rate-limit store against a real Redis, and ruff, mypy --strict, bandit."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import run_in_project

AddTest = Callable[[Path, str], str]


def check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_generated_tests_pass_on_sqlite(auth_project: Path, add_project_test: AddTest) -> None:
    oauth = add_project_test(auth_project, "oauth_flow.py")
    extras = add_project_test(auth_project, "security_extras.py")
    result = run_in_project(
        auth_project, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_auth.py", oauth, extras
    )
    check(result)
    assert " passed" in result.stdout and "skipped" not in result.stdout


@pytest.mark.postgres
def test_generated_tests_pass_on_postgresql(
    auth_project: Path, add_project_test: AddTest, pg_url: str
) -> None:
    oauth = add_project_test(auth_project, "oauth_flow.py")
    result = run_in_project(
        auth_project,
        "pytest", "-q", "-p", "no:cacheprovider", "tests/test_auth.py", oauth,
        env={"TEST_DATABASE_URL": pg_url},
    )  # fmt: skip
    check(result)


@pytest.mark.mysql
def test_generated_tests_pass_on_mariadb(auth_project: Path, mysql_url: str) -> None:
    result = run_in_project(
        auth_project,
        "pytest", "-q", "-p", "no:cacheprovider", "tests/test_auth.py",
        env={"TEST_DATABASE_URL": mysql_url},
    )  # fmt: skip
    check(result)


def test_redis_rate_limit_store(
    auth_project: Path, add_project_test: AddTest, redis_url: str
) -> None:
    store = add_project_test(auth_project, "redis_store.py")
    result = run_in_project(
        auth_project, "pytest", "-q", "-p", "no:cacheprovider", store, env={"REDIS_URL": redis_url}
    )
    check(result)
    assert "3 passed" in result.stdout


def test_ruff_mypy_strict_and_bandit(auth_project: Path, add_project_test: AddTest) -> None:
    for name in ("oauth_flow.py", "security_extras.py", "redis_store.py"):
        add_project_test(auth_project, name)
    check(run_in_project(auth_project, "ruff", "check", "."))
    check(run_in_project(auth_project, "ruff", "format", "--check", "app", "tests/test_auth.py"))
    check(run_in_project(auth_project, "mypy", "--no-incremental"))
    bandit = run_in_project(auth_project, "bandit", "-r", "app", "-f", "json", "-q")
    report = json.loads(bandit.stdout)
    serious = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] in ("MEDIUM", "HIGH")
    ]
    assert serious == []
