"""A cache of what `bb context` parsed and rendered, so a rerun with few changes stays fast.

It lives in the user's cache folder (``$XDG_CACHE_HOME/betterbase``, else ``~/.cache``), keyed
by the project's path: never inside the project, because it is a pickle and a pickle from a
cloned repository must not be loaded.  Every entry is keyed by content hashes, so a stale or
missing cache only costs time; set ``BB_NO_CACHE=1`` to bypass it.
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
SUFFIXES = ("json", "pickle", *(f"{part}.pickle" for part in PARTS))


def enabled() -> bool:
    return os.environ.get("BB_NO_CACHE", "").lower() in ("", "0", "false", "no")


def cache_file(root: Path, suffix: str = ".pickle") -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
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
    import pickle  # here: the no-change path never needs it

    try:
        with cache_file(root, f".{part}.pickle").open("rb") as handle:
            data = pickle.load(handle)
    except Exception:  # a cache is never worth an error: anything wrong means "no cache"
        return None
    if not isinstance(data, dict) or data.get("stamp") != _stamp():
        return None
    return data


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
