"""Schemathesis against the generated app's OpenAPI, on SQLite and on PostgreSQL: whatever it
sends, never a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from crud.crud_helpers import create_tables, serve


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_no_server_errors(
    generated: Path, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    create_tables(generated, url)
    with serve(generated, url) as base:
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json",
             "--checks", "not_a_server_error", "--max-examples", "5", "--workers", "1",
             "--generation-deterministic", "--request-timeout", "10", "--no-color"],
            capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    assert "generated" in out and " failed" not in out.split("Test cases:")[-1], out[-3000:]
