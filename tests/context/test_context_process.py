"""`bb context` as a process: its exit when a stream is closed, Ctrl-C while it waits for the
cache lock, a run cut off between the context files and the manifest, no home folder."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from context.sample_project import write_sample_project
from context.test_cache_parts import add_route, add_table
from helpers import run_bb

from betterbase_cli.codegen.files import digest
from betterbase_cli.context import cache


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "sample"
    write_sample_project(root, tables=3)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # here and in run_bb's bb
    assert run_bb("context", cwd=root).returncode == 0
    return root


@contextlib.contextmanager
def lock_held(project: Path) -> Iterator[None]:
    """The project's cache lock, held as another run's saver would hold it."""
    held = os.open(cache.cache_file(project, ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_SH)
    try:
        yield
    finally:
        os.close(held)


def test_a_closed_stderr_does_not_change_the_exit_code(project: Path) -> None:
    add_route(1)(project)
    script = f"{sys.executable} -m betterbase_cli context 2>&-"
    result = subprocess.run(script, shell=True, cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "wrote" in result.stdout


def test_ctrl_c_while_waiting_for_the_cache_lock_is_no_traceback(project: Path) -> None:
    """Another run's saver holds the lock (here, this test does): bb waits for it before it
    writes anything, and Ctrl-C there ends the run with one line."""
    add_route(2)(project)
    with lock_held(project):
        proc = subprocess.Popen(
            [sys.executable, "-m", "betterbase_cli", "context"],
            cwd=project,
            env={**os.environ, "NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)  # well into the wait (up to cache.LOCK_PATIENCE, 2 s)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130), (out, err)


def test_a_lock_held_by_someone_else_delays_a_run_but_does_not_stop_it(project: Path) -> None:
    add_route(3)(project)
    with lock_held(project):
        result = run_bb("context", cwd=project)
    assert result.returncode == 0, result.stderr
    check = run_bb("context", "--check", cwd=project, env={"BB_NO_CACHE": "1"})
    assert check.returncode == 0, check.stderr


def test_a_run_cut_off_before_the_manifest_makes_no_conflict_later(project: Path) -> None:
    """The context files were written, the manifest was not (the process was killed between
    the two): the files hold bb's last rendering, and bb's own record knows it."""
    manifest_path = project / ".betterbase/manifest.json"
    old = json.loads(manifest_path.read_text())
    add_table(1)(project)
    assert run_bb("context", cwd=project).returncode == 0
    manifest_path.write_text(json.dumps(old))  # as if the manifest write never happened
    add_table(2)(project)
    result = run_bb("context", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "edited since bb wrote it" not in result.stderr
    repaired = json.loads(manifest_path.read_text())["files"]
    written = (project / ".betterbase-context.json").read_text(encoding="utf-8")
    assert repaired[".betterbase-context.json"] == digest(written)


def test_no_home_folder_means_no_cache_not_an_error(project: Path) -> None:
    add_route(4)(project)
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME")}
    code = (
        "import pathlib, sys\n"
        "def no_home(cls=None): raise RuntimeError('Could not determine home directory.')\n"
        "pathlib.Path.home = classmethod(no_home)\n"
        "from betterbase_cli.entry import script\n"
        "sys.argv = ['bb', 'context']\n"
        "script()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
