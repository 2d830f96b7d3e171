"""Work done in forked children while this process goes on.

`bb context` reads the models and the route modules, two independent halves of similar cost:
on a machine with a second core, a child reads the models while the parent reads the routes
(`start`, and `Forked.result()` for what the child returns).  Pickling bb's cache is left to a
child nobody waits for (`detach`), forked when the command is done (`at_end`): after a fork,
the parent copies every memory page it writes to.  A fork (not a new interpreter) starts in
about a millisecond with every module already loaded; a result comes back pickled through a
pipe.

Anything that goes wrong in a child (an exception, a crash, a result that does not pickle)
makes `result()` say so, and the caller does the work itself: errors are then raised, with
their usual messages, in the process that reports them.  Where there is no fork (Windows), one
core, another thread, or ``BB_NO_FORK=1``, `start` and `detach` decline and the caller does the
work in line.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

# What `result()` returns when the child gave no result: do the work in this process.
FAILED: Any = object()


def usable() -> bool:
    """A fork can run beside this process: the platform forks, this process runs no other
    thread (a lock one holds would stay locked in the child), a second core is free to it,
    and ``BB_NO_FORK`` is not set."""
    if os.environ.get("BB_NO_FORK", "").lower() not in ("", "0", "false", "no"):
        return False
    if not hasattr(os, "fork") or sys.platform == "win32":
        return False
    threading = sys.modules.get("threading")  # not imported: no thread was started
    if threading is not None and threading.active_count() > 1:
        return False
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return cores > 1


class Forked:
    """A child computing ``fn()``: `result()` takes its value, `cancel()` ends it unheard."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe = pipe  # -1 once closed
        self.reaped = False

    def result(self) -> Any:
        """The child's return value, or FAILED (it raised, crashed or sent nothing whole)."""
        import pickle

        chunks = []
        whole = False
        try:
            while True:
                chunk = os.read(self.pipe, 1 << 20)
                if not chunk:
                    whole = True
                    break
                chunks.append(chunk)
        finally:
            if not whole:  # interrupted (Ctrl-C): the child's work is not wanted any more
                self._kill()
            self._reap()
        try:
            ok, value = pickle.loads(b"".join(chunks))
        except Exception:  # a child killed mid-write, say: the caller does the work itself
            return FAILED
        return value if ok else FAILED

    def cancel(self) -> None:
        """The result is not wanted after all: stop the child (unless it was reaped)."""
        self._kill()
        self._reap()

    def _kill(self) -> None:
        if not self.reaped:
            import signal  # here: importing it costs about 2 ms, and most runs reap the child

            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def _reap(self) -> None:
        if self.pipe >= 0:
            os.close(self.pipe)  # unread: the child's write fails and it ends
            self.pipe = -1
        if not self.reaped:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.reaped = True


def start(fn: Callable[[], Any]) -> Forked | None:
    """Start ``fn()`` in a forked child; None where `usable()` says no or the fork (or its
    pipe) failed."""
    if not usable():
        return None
    try:
        read_end, write_end = os.pipe()
    except OSError:  # no descriptor left, say
        return None
    pid = _fork()
    if pid is None:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return Forked(pid, read_end)

    def send() -> None:
        os.close(read_end)
        _send(fn, write_end)

    _child(send)


def _send(fn: Callable[[], Any], pipe: int) -> None:
    import pickle

    try:
        payload = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # raised, or a result that does not pickle: the parent redoes it
        payload = pickle.dumps((False, None))
    view = memoryview(payload)
    while view:
        view = view[os.write(pipe, view) :]


def detach(fn: Callable[[], object], keep: int | None = None) -> bool:
    """Run ``fn()`` in a forked child that nobody waits for (it outlives this process if need
    be, its output goes nowhere); False where `usable()` says no or the fork failed: then the
    caller runs ``fn`` itself.  The descriptor ``keep`` is handed to the child (closed here):
    a lock taken on it (flock) is held until the child ends."""
    if not usable() or os.getpid() == 1:  # as PID 1 (a container), its end ends the child
        return False
    _reap_detached()
    pid = _fork()
    if pid is None:
        return False
    if pid:
        _DETACHED.append(pid)
        if keep is not None:
            os.close(keep)
        return True

    def work() -> None:
        _alone(keep)
        fn()

    _child(work)


def _child(work: Callable[[], object]) -> NoReturn:
    """The end of a forked child: ``work``, then exit without returning into the caller's code
    or running its exit handlers (status 1 if the work raised)."""
    status = 0
    try:
        work()
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def flush_std() -> None:
    """Write out what this process buffered for stdout and stderr, as far as it can (a stream
    may be None, closed or a closed pipe: nothing more can be said there anyway)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


def _alone(keep: int | None) -> None:
    """In a detached child: no descriptor of a pipe that someone reads may stay open (they
    would wait for this child to end): the standard streams go nowhere, and every other
    descriptor is closed but ``keep``.  Ctrl-C in the terminal and a closed terminal no longer
    concern it: its short work is finished either way."""
    import signal

    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    if keep is not None and keep < 3:  # this process began with a standard stream closed
        import fcntl

        keep = fcntl.fcntl(keep, fcntl.F_DUPFD, 3)  # the same open file: the same lock
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    try:
        top = int(os.sysconf("SC_OPEN_MAX"))
    except (AttributeError, ValueError, OSError):
        top = -1
    top = min(top, 1 << 16) if top > 3 else 1 << 16  # -1: no limit (macOS can say so)
    if keep is None:
        os.closerange(3, top)
    else:
        os.closerange(3, keep)
        os.closerange(keep + 1, top)


# Work the process does once its command is done, just before it ends (the console script
# turns this on: `defer_to_end`, then `run_at_end`); None: no deferring, work is done at once.
_AT_END: list[Callable[[], object]] | None = None


def defer_to_end() -> None:
    """From now on `at_end` keeps work for `run_at_end` (the console script's process)."""
    global _AT_END
    _AT_END = []


def at_end(fn: Callable[[], object]) -> bool:
    """Keep ``fn`` for the end of the process; False when nothing is deferred (call it now)."""
    if _AT_END is None:
        return False
    _AT_END.append(fn)
    return True


def run_at_end() -> None:
    """Do what was kept for the end, in order."""
    while _AT_END:
        _AT_END.pop(0)()


_DETACHED: list[int] = []  # children of `detach` not reaped yet (for a process that lives on)


def _reap_detached() -> None:
    for pid in _DETACHED[:]:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _DETACHED.remove(pid)


def _fork() -> int | None:
    """os.fork() with this process's buffered output written first (the child would write it
    again on exit otherwise); None when the fork failed."""
    flush_std()
    try:
        return os.fork()
    except OSError:
        return None
