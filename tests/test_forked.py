"""betterbase_cli.forked: work in a forked child, its result or its failure, and children that
outlive the caller without holding anything the caller's caller waits for."""

from __future__ import annotations

import fcntl
import os
import select
import threading
import time
from pathlib import Path

import pytest

from betterbase_cli import forked


@pytest.fixture
def can_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork whatever the machine (a one-core runner would otherwise do everything in line)."""
    monkeypatch.setattr(forked, "usable", lambda: True)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_child_returns_its_value(can_fork: None) -> None:
    child = forked.start(lambda: {"pid": os.getpid(), "answer": [42]})
    assert child is not None
    value = child.result()
    assert value["answer"] == [42] and value["pid"] != os.getpid()
    assert gone(child.pid)  # reaped


def test_a_child_that_raises_or_returns_no_pickle_gives_failed(can_fork: None) -> None:
    def boom() -> None:
        raise ValueError("in the child")

    for fn in (boom, lambda: lambda: None):  # the second returns a lambda: it does not pickle
        child = forked.start(fn)
        assert child is not None
        assert child.result() is forked.FAILED
        assert gone(child.pid)


def test_a_child_killed_mid_way_gives_failed(can_fork: None) -> None:
    child = forked.start(lambda: os.kill(os.getpid(), 9))
    assert child is not None
    assert child.result() is forked.FAILED


def test_cancel_stops_a_child_nobody_needs(can_fork: None) -> None:
    child = forked.start(lambda: time.sleep(60))
    assert child is not None
    child.cancel()
    assert gone(child.pid)
    child.cancel()  # twice: nothing (the pid may belong to another process by now)


def test_no_fork_when_told_so_or_when_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BB_NO_FORK", "1")
    assert not forked.usable()
    assert forked.start(lambda: 1) is None
    assert forked.detach(lambda: None) is False
    monkeypatch.delenv("BB_NO_FORK")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.usable()
    finally:
        stop.set()
        thread.join()


def test_a_detached_child_holds_the_lock_it_is_handed_until_it_ends(
    can_fork: None, tmp_path: Path
) -> None:
    lock, marker = tmp_path / "lock", tmp_path / "done"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)

    def work() -> None:
        time.sleep(0.3)
        marker.write_text("written")

    assert forked.detach(work, keep=fd)
    with pytest.raises(OSError):
        os.fstat(fd)  # handed over: closed here
    waiter = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(waiter, fcntl.LOCK_SH)  # waits for the child to end
        assert marker.read_text() == "written"
    finally:
        os.close(waiter)


def test_a_detached_child_keeps_no_pipe_open(can_fork: None) -> None:
    """Someone reading this process's output (pre-commit, subprocess.run) sees the end of it
    when this process ends, not when its detached child does."""
    read_end, write_end = os.pipe()
    assert forked.detach(lambda: time.sleep(5))
    pid = forked._DETACHED[-1]
    try:
        os.close(write_end)
        ready, _, _ = select.select([read_end], [], [], 2.0)
        assert ready and os.read(read_end, 1) == b""  # end of file, with the child alive
        assert not gone(pid)
    finally:
        os.close(read_end)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        forked._DETACHED.remove(pid)


def test_work_kept_for_the_end_runs_there_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[int] = []
    monkeypatch.setattr(forked, "_AT_END", None)
    assert not forked.at_end(lambda: done.append(0))  # not deferring: the caller does it now
    forked.defer_to_end()
    assert forked.at_end(lambda: done.append(1)) and forked.at_end(lambda: done.append(2))
    assert done == []
    forked.run_at_end()
    assert done == [1, 2]
    forked.run_at_end()  # nothing twice
    assert done == [1, 2]
