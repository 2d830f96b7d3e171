"""The generated code is user code: it passes ruff, mypy --strict and its own generated tests on
SQLite and on PostgreSQL, and rerunning the generator over it is byte-identical."""

from __future__ import annotations

from pathlib import Path

from crud.crud_helpers import MYPY_CACHE
from helpers import run_in_project


def test_ruff_and_mypy_strict(generated: Path) -> None:
    ruff = run_in_project(generated, "ruff", "check", ".")
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    fmt = run_in_project(generated, "ruff", "format", "--check", "app/rest", "app/routes", "tests")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    mypy = run_in_project(generated, "mypy", "--strict", "app", "tests", env=MYPY_CACHE)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_generated_tests_pass_on_sqlite(generated: Path) -> None:
    result = run_in_project(generated, "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_generated_tests_pass_on_postgresql(generated: Path, pg_url: str) -> None:
    result = run_in_project(
        generated, "pytest", "-q", "-p", "no:cacheprovider", "tests",
        env={"TEST_DATABASE_URL": pg_url},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
