"""Plan and apply writes of generated files without ever clobbering a person's edits.

bb records the SHA-256 of every file it writes in ``.betterbase/manifest.json`` (committed with
the project).  A file whose current content still has the recorded hash is bb's to replace; a
file that differs was edited by someone and is a conflict unless ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from betterbase_cli.errors import ConfigError, FileConflict
from betterbase_cli.records import dataclass

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

MANIFEST = ".betterbase/manifest.json"

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
CONFLICT = "conflict"  # edited by a person; left alone
OVERWRITE = "overwrite"  # edited by a person; replaced because of --force


_DIGESTS: dict[str, str] = {}


def digest(text: str) -> str:
    """sha256 of a text.  A large one (a context file, hashed for the manifest, bb's cache and
    the context record in one run) is hashed once per process."""
    if len(text) < 4096:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    found = _DIGESTS.get(text)
    if found is None:
        if len(_DIGESTS) >= 16:
            _DIGESTS.clear()
        found = _DIGESTS[text] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return found


@dataclass(frozen=True)
class FileWrite:
    """A file bb wants to exist with this content (path relative to the project root)."""

    path: str
    content: str


@dataclass(frozen=True)
class PlannedWrite:
    path: str
    content: str
    action: str
    old: str | None  # current content on disk, None when the file is new

    def diff(self) -> str:
        import difflib  # here: only a diff needs it

        old = (self.old or "").splitlines(keepends=True)
        new = self.content.splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{self.path}", f"b/{self.path}", n=2))


def read_manifest(root: Path) -> dict[str, str]:
    """{path: sha256} of the files bb wrote."""
    files: dict[str, str] = _manifest(root)["files"]
    return files


def read_context_record(root: Path) -> Any:
    """What the last `bb context` recorded about its inputs and outputs (None if nothing)."""
    return _manifest(root).get("context")


def _manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        return {"files": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not an object")
        return {**data, "files": {str(k): str(v) for k, v in files.items()}}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{MANIFEST} is corrupt ({exc})",
            hint="restore it from git, or delete it (bb then treats existing generated files "
            "as edited and asks for --force)",
        ) from exc


def write_manifest(root: Path, files: dict[str, str], context: Any = None) -> None:
    """Write the manifest; ``context`` replaces the context record (None keeps it)."""
    data: dict[str, Any] = {"files": dict(sorted(files.items()))}
    record = context if context is not None else _kept_record(root)
    if record is not None:
        data["context"] = record
    write_atomic(root / MANIFEST, json.dumps(data, indent=2) + "\n")


def _kept_record(root: Path) -> Any:
    try:
        return _manifest(root).get("context")
    except ConfigError:
        return None


def write_atomic(
    path: Path, text: str | bytes, durable: bool = True, new_mode: int = 0o644
) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file (the file
    keeps its permissions; a new one gets ``new_mode``).

    ``durable=False`` is for files bb regenerates from the sources: the old file is removed
    before the rename, because renaming over it makes ext4 write the new data out first
    (auto_da_alloc), about 3 ms a file, which is most of a `--watch` save.  A crash at the
    wrong moment can then leave the file empty, never holding someone's text; `plan` with
    ``empty_is_ours`` writes such a file again."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = new_mode
        path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    for attempt in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"no free temporary name next to {path}")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        if not durable:
            path.unlink(missing_ok=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_many(root: Path, items: Iterable[tuple[str, str]]) -> None:
    """`write_atomic` for each (path, text) under ``root``."""
    for path, text in items:
        write_atomic(root / path, text)


def plan(
    root: Path,
    writes: Iterable[FileWrite],
    force: bool = False,
    written: Mapping[str, str] | None = None,
    empty_is_ours: bool = False,
    rendered: Mapping[str, str] | None = None,
) -> list[PlannedWrite]:
    """Compare each write with the disk.  ``written`` maps paths to what bb itself last wrote
    there and knows is still on disk (the watcher checks that by stat): those are not read.
    With ``empty_is_ours`` an empty file is written over (what a crash can leave of a file
    written with ``durable=False``: it holds nothing to lose).  ``rendered`` maps paths to the
    hash of bb's last rendering, from its own record: a file with that hash is bb's even where
    the manifest says otherwise (a run cut off between writing the file and the manifest)."""
    written = written or {}
    rendered = rendered or {}
    manifest: dict[str, str] | None = None
    planned: list[PlannedWrite] = []
    for write in writes:
        old = written.get(write.path)
        if old is not None:
            action = UNCHANGED if old == write.content else UPDATE
            planned.append(PlannedWrite(write.path, write.content, action, old))
            continue
        target = root / write.path
        old = target.read_text(encoding="utf-8") if target.is_file() else None
        if old is None:
            action = CREATE
        elif old == write.content:
            action = UNCHANGED
        else:
            if manifest is None:
                manifest = read_manifest(root)
            found = digest(old)
            ours = manifest.get(write.path) == found or rendered.get(write.path) == found
            if ours or (empty_is_ours and not old):
                action = UPDATE
            else:
                action = OVERWRITE if force else CONFLICT
        planned.append(PlannedWrite(write.path, write.content, action, old))
    return sorted(planned, key=lambda p: p.path)


def apply(
    root: Path,
    planned: Iterable[PlannedWrite],
    allow_conflicts: bool = False,
    manifest: bool = True,
) -> None:
    """Write every planned file.  Conflicts raise FileConflict before anything is written,
    unless ``allow_conflicts`` (then they are skipped and the rest is written).  Without
    ``manifest`` the caller records the files with `record_contents` (the watcher does, after
    it has said the context is written)."""
    planned = list(planned)
    conflicts = [p.path for p in planned if p.action == CONFLICT]
    if conflicts and not allow_conflicts:
        raise FileConflict(conflicts)
    changed = [p for p in planned if p.action not in (CONFLICT, UNCHANGED)]
    write_many(root, [(p.path, p.content) for p in changed])
    if manifest:
        record_contents(root, {p.path: p.content for p in planned if p.action != CONFLICT})


def record_contents(root: Path, contents: Mapping[str, str], context: Any = None) -> None:
    """Record these texts as what bb wrote at their paths (and ``context`` as the context
    record, when given); the manifest is written only when that changes it."""
    data = _manifest(root)
    recorded: dict[str, str] = data["files"]
    new = {path: digest(text) for path, text in contents.items()}
    stale = any(recorded.get(path) != value for path, value in new.items())
    if stale or (context is not None and data.get("context") != context):
        write_manifest(root, recorded | new, context)


def record(root: Path, paths: Iterable[str]) -> None:
    """Record files that were just written by other means (the project blueprint) as bb's own."""
    manifest = read_manifest(root)
    for path in paths:
        target = root / path
        if target.is_file():
            manifest[path] = digest(target.read_text(encoding="utf-8"))
    write_manifest(root, manifest)
