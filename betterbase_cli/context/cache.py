"""A cache of what `bb context` parsed and rendered, so a rerun with few changes stays fast.

It lives in the user's cache folder (``$XDG_CACHE_HOME/betterbase``, else ``~/.cache``), keyed
by the project's path: never inside the project, because it is a pickle and a pickle from a
cloned repository must not be loaded.  Every entry is keyed by content hashes, so a stale or
missing cache only costs time; set ``BB_NO_CACHE=1`` to bypass it.

A run saves what changed through `save_all`: it takes the project's cache lock (a file lock)
at once, and the parts are pickled when bb's command is done, by a child that finishes after
bb has exited and holds the lock until then.  Every load waits for that lock, so a run never
reads an older cache than the last run's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path

from betterbase_cli import __version__

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

CACHE_FORMAT = 4
# Projects whose cache is kept: the least recently written go first (a cache is per project
# path, and temporary projects would otherwise pile up).
KEEP_PROJECTS = 64
# The pickled state is kept in parts, each loaded only when a run needs it and saved only when
# it changed: a router save then neither loads the table renderings nor saves the schema.
PARTS = ("routes", "schema", "parts")
# What a project's cache files are named after its hash ("pickle": one file, as older bb kept).
SUFFIXES = ("json", "pickle", "lock", *(f"{part}.pickle" for part in PARTS))


def enabled() -> bool:
    """The cache is used: not turned off, and there is a folder for it."""
    off = os.environ.get("BB_NO_CACHE", "").lower() not in ("", "0", "false", "no")
    return not off and _base() is not None


def _base() -> str | None:
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return base
    try:
        return str(Path.home() / ".cache")
    except (RuntimeError, KeyError, OSError):  # no HOME and no account entry: no cache
        return None


def cache_file(root: Path, suffix: str = ".pickle") -> Path:
    base = _base()
    if base is None:
        raise RuntimeError("no cache folder: set HOME or XDG_CACHE_HOME")
    name = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:24]
    return Path(base) / "betterbase" / "context" / f"{name}{suffix}"


@functools.cache
def _stamp() -> tuple[object, ...]:
    """What the cached data depends on besides the project: bb's own readers and renderers
    and the settings' defaults (their files' mtimes, so an edited or upgraded bb never reuses an
    old rendering).  Taken once a process: the code a process runs does not change under it."""
    package = Path(__file__).resolve().parent.parent
    code = tuple(
        p.stat().st_mtime_ns
        for folder in ("context", "schema", "codegen")
        for p in sorted((package / folder).glob("*.py"))
    ) + tuple((package / name).stat().st_mtime_ns for name in ("project.py", "records.py"))
    return (CACHE_FORMAT, __version__, sys.version_info[:2], code)


def load(root: Path, part: str) -> dict[str, Any] | None:
    """The cached ``part`` of the project at ``root``, or None (missing, unreadable, other bb)."""
    if not enabled():
        return None
    settle(root)
    import pickle  # here: the no-change path never needs it

    try:
        with cache_file(root, f".{part}.pickle").open("rb") as handle:
            data = pickle.load(handle)
    except Exception:  # a cache is never worth an error: anything wrong means "no cache"
        return None
    if not isinstance(data, dict) or data.get("stamp") != _stamp():
        return None
    return data


def save_all(root: Path, parts: dict[str, dict[str, Any]]) -> None:
    """Save these parts (name -> state) of the project's cache (see the module's docstring).

    Pickling them costs a run up to 20 ms (the route side alone about 10), so where a fork is
    available a child does it, and lives on if need be.  In bb's own process that child is
    forked when the command is done: after a fork, the parent copies every memory page it
    writes to.  The lock is taken now, so that a run starting meanwhile waits for these parts
    (and for the quick record this run writes next)."""
    if not enabled() or not parts:
        return
    from betterbase_cli import forked

    key = str(cache_file(root, ".lock"))
    if key in _PENDING:  # saved at this process's end already: with these parts too
        _PENDING[key][2].update(parts)
        return
    pending = (root, _lock(root, exclusive=True), dict(parts))
    if forked.at_end(lambda: _save(*_PENDING.pop(key))):
        _PENDING[key] = pending
    else:
        _save(*pending)


# Saves kept for the end of this process, by lock path: (project root, the lock, the parts)
_PENDING: dict[str, tuple[Path, int | None, dict[str, dict[str, Any]]]] = {}


def _save(root: Path, lock: int | None, parts: dict[str, dict[str, Any]]) -> None:
    """Pickle and write ``parts``: in a detached child that holds ``lock`` until it is done,
    else here."""
    from betterbase_cli import forked

    def write() -> None:
        for part, state in parts.items():
            save(root, part, state)
        _prune_temporary(cache_file(root, ".lock").parent)

    if lock is not None and forked.detach(write, keep=lock):
        return  # the child holds the lock now, and ends it by ending
    try:
        write()
    finally:
        if lock is not None:
            os.close(lock)


def _prune_temporary(folder: Path, age: float = 60.0) -> None:
    """Remove temporary files a killed writer left (``.NAME.PID.N.tmp``, older than ``age``
    seconds: a live writer's is younger)."""
    import time

    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    old = time.time() - age
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            try:
                if entry.stat().st_mtime < old:
                    os.unlink(entry.path)
            except OSError:
                pass


def settle(root: Path) -> None:
    """Wait until no child of an earlier run is saving this project's cache (see save_all).
    Not for a project whose save this process keeps for its end: it would wait for itself."""
    if str(cache_file(root, ".lock")) in _PENDING:
        return
    lock = _lock(root, exclusive=False)
    if lock is not None:
        os.close(lock)


# How long a run waits for the cache lock: a child saving takes tens of milliseconds, so one
# holding the lock longer is stuck (a hung network home, say); the run then goes on without it
# (a cache is never worth waiting for: the files are replaced whole, an old one only costs time).
LOCK_PATIENCE = 2.0


def _lock(root: Path, exclusive: bool) -> int | None:
    """A descriptor holding the project's cache lock (flock: shared, or exclusive), or None
    where there is no such lock (no fcntl, no cache folder yet for a shared one, an error, or
    a holder that kept it for LOCK_PATIENCE seconds)."""
    try:
        import fcntl
    except ImportError:  # Windows: no fork either, so no child ever saves in the background
        return None
    path = cache_file(root, ".lock")
    try:
        if exclusive:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = None
    while True:
        try:
            fcntl.flock(fd, mode)
            return fd
        except BlockingIOError:
            import time

            now = time.monotonic()
            deadline = deadline or now + LOCK_PATIENCE
            if now < deadline:
                time.sleep(0.001)
                continue
        except OSError:
            pass
        os.close(fd)
        return None


def save(root: Path, part: str, state: dict[str, Any]) -> None:
    if not enabled():
        return
    import pickle

    try:
        data = pickle.dumps({**state, "stamp": _stamp()}, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something that does not pickle: run without a cache, never fail
        return
    _write(cache_file(root, f".{part}.pickle"), data)


def load_quick(root: Path) -> dict[str, Any] | None:
    """The last run's inputs (path, hash) and rendering, as JSON (no pickle: loads fast and
    needs none of the parser modules)."""
    if not enabled():
        return None
    settle(root)
    try:
        data = json.loads(cache_file(root, ".json").read_bytes())
    except Exception:
        return None
    if not isinstance(data, dict) or data.get("stamp") != json.loads(json.dumps(_stamp())):
        return None
    return data


def save_quick(root: Path, state: dict[str, Any]) -> None:
    if not enabled():
        return
    _write(cache_file(root, ".json"), json.dumps({**state, "stamp": _stamp()}).encode("utf-8"))


def _write(target: Path, data: bytes) -> None:
    from betterbase_cli.codegen.files import write_atomic

    try:
        if not target.exists():
            prune(target.parent, current=target.name.partition(".")[0])
        # Not durable: a cache needs none (a reader sees the old file, none, or the new one),
        # and renaming over the old file would wait for ext4 to write the new one out.
        write_atomic(target, data, durable=False, new_mode=0o600)
    except Exception:  # read-only home, full disk: run without a cache
        pass


def prune(folder: Path, keep: int = KEEP_PROJECTS, current: str = "") -> None:
    """Make room for the cache of project ``current``: remove the caches of all but the
    ``keep`` - 1 other projects written most recently (only files named as bb names them)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    newest: dict[str, float] = {}
    for entry in entries:
        stem, dot, suffix = entry.name.partition(".")
        if len(stem) != 24 or suffix not in SUFFIXES or not dot:
            continue
        if stem.strip("0123456789abcdef") or stem == current:
            continue
        try:
            mtime = entry.stat().st_mtime
        except OSError:
            continue
        newest[stem] = max(newest.get(stem, 0.0), mtime)
    if len(newest) < keep:
        return
    for stem in sorted(newest, key=newest.__getitem__)[: len(newest) - keep + 1]:
        for suffix in SUFFIXES:
            (folder / f"{stem}.{suffix}").unlink(missing_ok=True)
