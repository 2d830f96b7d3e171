"""Finding and reading the project's source files (no parsing here: this module stays light)."""

from __future__ import annotations

import hashlib
import os

from betterbase_cli.errors import BetterBaseError, SourceError
from betterbase_cli.project import Project

SKIP_DIRS = frozenset({"__pycache__", ".venv", "venv", "node_modules", ".git", ".mypy_cache"})


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def route_files(project: Project) -> dict[str, str]:
    """Python files of the app package (and the routes folder if it lies elsewhere): their
    absolute paths by project-relative path, as strings (this runs on every `bb context`, where
    a Path per file costs more than reading the file)."""
    roots = [project.root / project.package, project.routes_dir]
    found: dict[str, str] = {}
    for top in roots:
        if not top.is_dir() or not top.is_relative_to(project.root):
            continue
        # Relative paths are made by string, not Path.relative_to per file; not by
        # project.relative() either: that resolves symlinks, and messages should name the file
        # as the user sees it.
        base = "" if top == project.root else top.relative_to(project.root).as_posix() + "/"
        cut = len(os.path.join(top, ""))
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            sub = folder[cut:].replace(os.sep, "/")
            prefix = f"{base}{sub}/" if sub else base
            for name in names:
                if name.endswith(".py"):
                    found[prefix + name] = os.path.join(folder, name)
    return dict(sorted(found.items()))


def _read(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, read without Python's file objects (a third of the time for the small
    files bb reads by the hundred)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def read_bytes(rel: str, path: str | os.PathLike[str]) -> bytes:
    try:
        return _read(path)
    except OSError as exc:
        raise BetterBaseError(
            f"{rel}: cannot be read ({exc.strerror or exc})",
            hint="check the file's permissions: bb reads every Python file of the app",
        ) from exc


def _text(data: bytes) -> str:
    """UTF-8 text as open() in text mode reads it: universal newlines, so columns match the
    parser's.  Raises UnicodeDecodeError."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def decode(rel: str, data: bytes) -> str:
    try:
        return _text(data)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            rel, line, col, "is not UTF-8 text", hint="save the file as UTF-8 and rerun"
        ) from exc


def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes, as recorded for route modules."""
    return hashlib.sha256(_read(path)).hexdigest()


def text_digest(path: str | os.PathLike[str]) -> str | None:
    """sha256 of a file's text (newlines as Python reads them), as recorded for models files;
    None when it cannot be read."""
    try:
        return sha256(_text(_read(path)))
    except (OSError, UnicodeDecodeError):
        return None
