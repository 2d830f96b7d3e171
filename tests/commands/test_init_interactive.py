"""`bb init` on a real terminal (a pseudo-terminal): questions are asked and answered."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

ENTER = b"\r"
DOWN = b"\x1b[B"


def _read_until(fd: int, needle: bytes, seen: bytearray, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {needle!r}; screen: {bytes(seen)[-800:]!r}")
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.extend(os.read(fd, 4096))
            except OSError:
                break


def test_questions_on_a_terminal(tmp_path: Path) -> None:
    main, child = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env.update(TERM="xterm", COLUMNS="100", LINES="40")
    proc = subprocess.Popen(
        [sys.executable, "-m", "betterbase_cli", "init"],
        cwd=tmp_path, stdin=child, stdout=child, stderr=child, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(child)
    seen = bytearray()
    try:
        _read_until(main, b"Project name", seen)
        os.write(main, b"\x7f" * 10 + b"tty-app" + ENTER)
        _read_until(main, b"Database", seen)
        os.write(main, DOWN + ENTER)  # PostgreSQL
        _read_until(main, b"sign-in", seen)
        os.write(main, ENTER)  # auth: default no
        _read_until(main, b"AI assistant", seen)
        os.write(main, ENTER)  # ai: default yes
        _read_until(main, b"Install dependencies", seen)
        os.write(main, b"n")  # confirm answers on the key, no Enter
        _read_until(main, b"git", seen)
        os.write(main, b"n")  # confirm answers on the key, no Enter
        assert proc.wait(timeout=60) == 0, bytes(seen)[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    project = tmp_path / "tty-app"
    assert 'dialects = ["postgresql"]' in (project / "betterbase.toml").read_text()
    assert (project / "AGENTS.md").is_file()
    assert not (project / ".venv").exists() and not (project / ".git").exists()
