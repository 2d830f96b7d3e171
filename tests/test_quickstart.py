"""The README quickstart, as a new user runs it: scaffold with install, migrate, bb dev, /health."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO, run_bb


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


@pytest.mark.slow
def test_quickstart_gives_a_running_project_on_sqlite(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    first = readme.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    for step in ("bb init my-app --yes", "cd my-app", "bb migrate", "bb dev"):
        assert step in first

    # This checkout's bb stands in for the freshly installed `.venv/bin/bb`.
    init = run_bb("init", "my-app", "--yes", cwd=tmp_path, timeout=600)
    assert init.returncode == 0, init.stdout + init.stderr
    project = tmp_path / "my-app"
    assert (project / ".venv/bin/python").is_file()
    migrate = run_bb("migrate", cwd=project)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    with sqlite3.connect(project / "app.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "notes" in tables

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "betterbase_cli", "dev", "--port", str(port)],
        cwd=project, env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(port, "/health")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(
                        f"bb dev did not answer: {server.stdout.read() if server.stdout else ''}"
                    )
                time.sleep(0.2)
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        assert _get(port, "/docs")[0] == 200
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
