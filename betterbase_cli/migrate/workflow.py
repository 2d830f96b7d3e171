"""The steps behind `bb migrate`: read the models, diff them, write the migration, apply it.

The command module only parses flags and prints; every step here returns a value, so
``--dry-run`` can show a plan that ``apply`` would carry out unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from betterbase_cli.errors import ConfigError
from betterbase_cli.migrate import snapshot as snapshots
from betterbase_cli.migrate.files import (
    GENERATED,
    MANUAL,
    UNKNOWN,
    MigrationsFolder,
    checksum,
    derive_slug,
    generated_header,
    manual_template,
    slugify,
    write_atomic,
)
from betterbase_cli.records import dataclass

if TYPE_CHECKING:
    from betterbase_cli.migrate.questioner import Answers, Asker, Resolved
    from betterbase_cli.migrate.render import Dialect
    from betterbase_cli.project import Project
    from betterbase_cli.schema.model import Schema


def folder_of(project: Project) -> MigrationsFolder:
    return MigrationsFolder(project.root, project.migrations_dir, tuple(project.dialects))


def read_models(project: Project) -> Schema:
    """The schema the models describe, read statically; anything not understood is an error."""
    from betterbase_cli.schema.python_reader import read_project_schema

    return read_project_schema(project, strict=True).schema


def load_snapshot(project: Project) -> snapshots.Snapshot:
    path = snapshots.snapshot_path(project.migrations_dir)
    where = project.relative(path)
    if not path.is_file():
        generated = [m.name for m in folder_of(project).migrations() if m.kind == GENERATED]
        if generated:
            # Diffing against nothing would re-create every table.
            raise ConfigError(
                f"{where} is missing, but migrations/ holds generated migrations "
                f"({', '.join(generated[-3:])})",
                hint=f"restore it from git (`git checkout -- {where}`)",
            )
    return snapshots.load(project.migrations_dir, where)


@dataclass(frozen=True)
class Change:
    """The difference between the snapshot and the models, with the decisions taken."""

    old: Schema
    new: Schema
    resolved: Resolved | None  # None when there is nothing to do

    @property
    def operations(self) -> Sequence[Any]:
        return self.resolved.result.operations if self.resolved else ()

    @property
    def destructive(self) -> bool:
        return any(op.destructive for op in self.operations)

    @property
    def empty(self) -> bool:
        return not self.operations


def compute_change(project: Project, answers: Answers, ask: Asker | None) -> Change:
    from betterbase_cli.migrate.questioner import resolve

    old = load_snapshot(project).schema
    new = read_models(project)
    if old == new:
        return Change(old, new, None)
    resolved = resolve(old, new, answers, ask)
    if not resolved.result.operations:
        return Change(old, new, None)
    return Change(old, new, resolved)


def drift(project: Project) -> Any:
    """The raw diff (no decisions) of the snapshot against the models, None when they agree:
    what `check` and `status` report.  A result of "in step" is remembered in
    .betterbase/cache/ with the digests of the files read, so an unchanged project (the
    pre-commit hook's usual case) is answered without reading the models again."""
    if cached_in_step(project):
        return None
    from betterbase_cli.schema.python_reader import read_project_schema

    old = load_snapshot(project).schema
    read = read_project_schema(project, strict=True)
    if old == read.schema:
        _remember_in_step(project, read.sources)
        return None
    from betterbase_cli.migrate.diff import diff

    return diff(old, read.schema)


CHECK_CACHE = "cache/migrate-check.json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_key(project: Project) -> str:
    from betterbase_cli import __version__

    snap = snapshots.snapshot_path(project.migrations_dir)
    snap_text = snap.read_text(encoding="utf-8") if snap.is_file() else ""
    paths = [project.relative(p) for p in project.schema_paths]
    return _digest(json.dumps([__version__, paths, _digest(snap_text)]))


def cached_in_step(project: Project) -> bool:
    try:
        data = json.loads((project.state_dir / CHECK_CACHE).read_text(encoding="utf-8"))
        if data["key"] != _cache_key(project):
            return False
        for rel, digest in data["sources"].items():
            if _digest((project.root / rel).read_text(encoding="utf-8")) != digest:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return bool(data["sources"])


def _remember_in_step(project: Project, sources: dict[str, str]) -> None:
    try:
        write_atomic(
            project.state_dir / CHECK_CACHE,
            json.dumps({"key": _cache_key(project), "sources": sources}, sort_keys=True) + "\n",
        )
    except OSError:
        pass  # a read-only checkout: no cache, just slower


@dataclass(frozen=True)
class NewMigration:
    """A migration ready to be written: its name, one SQL text per dialect, the snapshot."""

    name: str
    files: dict[str, str]  # dialect -> SQL text (header included)
    descriptions: tuple[str, ...]  # "+ create table notes", ...
    destructive: bool
    schema: Schema


def _short(description: str) -> str:
    """Shorten 'create table notes (5 columns)' to 'create notes' for a migration name."""
    text = re.sub(r"\s*\(.*?\)", "", description)
    text = re.sub(r"\b(table|column)\s+", "", text)
    return text.split(":")[0]


def _statement(sql: str) -> str:
    text = sql.strip()
    return text if text.endswith(";") else text + ";"


def build_migration(
    project: Project, change: Change, name: str | None, command: str
) -> NewMigration:
    from betterbase_cli.migrate.render import render_sql

    folder = folder_of(project)
    ops = list(change.operations)
    descriptions = tuple(f"{op.symbol} {op.describe()}" for op in ops)
    slug = slugify(name) if name else derive_slug(_short(op.describe()) for op in ops)
    if name and not slug:
        raise ConfigError(f"--name {name!r} has no letters or digits", hint="e.g. --name add_posts")
    full = f"{folder.next_number():04d}_{slug}"
    files: dict[str, str] = {}
    for dialect in project.dialects:
        statements = render_sql(ops, cast("Dialect", dialect), change.old, change.new)
        header = generated_header(command, full, dialect, descriptions)
        body = "\n\n".join(_statement(s) for s in statements)
        files[dialect] = header + "\n" + (body + "\n" if body else "-- nothing to do here\n")
    return NewMigration(full, files, descriptions, change.destructive, change.new)


@dataclass(frozen=True)
class Written:
    paths: tuple[Path, ...]
    undo: tuple[tuple[Path, str | None], ...]  # (path, previous content or None if new)

    def rollback(self) -> None:
        """Put the folder back as it was (bb made these files a moment ago)."""
        for path, previous in reversed(self.undo):
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, previous)


def _previous(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def write_migration(project: Project, migration: NewMigration) -> Written:
    folder = folder_of(project)
    records = folder.read_records()
    undo: list[tuple[Path, str | None]] = []
    paths: list[Path] = []
    for dialect, text in migration.files.items():
        path = folder.file(dialect, migration.name)
        if path.exists():
            raise ConfigError(
                f"{project.relative(path)} already exists",
                hint="bb numbers migrations after the highest one; remove the stray file",
            )
        undo.append((path, None))
        write_atomic(path, text)
        paths.append(path)
    undo.append((folder.checksums_path, _previous(folder.checksums_path)))
    records[migration.name] = {
        "kind": GENERATED,
        "destructive": migration.destructive,
        "files": {d: checksum(t) for d, t in sorted(migration.files.items())},
    }
    folder.write_records(records)
    snap = snapshots.snapshot_path(project.migrations_dir)
    undo.append((snap, _previous(snap)))
    snapshots.save(project.migrations_dir, migration.schema, migration.name)
    return Written(tuple(paths), tuple(undo))


def new_manual(project: Project, name: str, dry_run: bool = False) -> tuple[str, list[Path]]:
    """Empty SQL files (one per dialect) for what models cannot say, recorded as manual."""
    slug = slugify(name)
    if not slug:
        raise ConfigError(f"{name!r} has no letters or digits", hint="e.g. bb migrate new add_view")
    folder = folder_of(project)
    full = f"{folder.next_number():04d}_{slug}"
    paths = [folder.file(d, full) for d in project.dialects]
    if dry_run:
        return full, paths
    for dialect, path in zip(project.dialects, paths, strict=True):
        write_atomic(path, manual_template(full, dialect))
    records = folder.read_records()
    records[full] = {"kind": MANUAL}
    folder.write_records(records)
    return full, paths


def dialects_without_files(project: Project) -> list[str]:
    """Configured dialects that no existing migration has a file for: added to
    betterbase.toml after migrations were written."""
    migrations = [m for m in folder_of(project).migrations() if m.kind != UNKNOWN]
    if not any(m.kind == GENERATED for m in migrations):
        return []
    return [d for d in project.dialects if not any(d in m.files for m in migrations)]


def backfill_dialect(project: Project, dialect: str, command: str) -> list[Path]:
    """Files for a dialect added later: the first generated migration creates the whole schema
    of the snapshot (a baseline), later ones have nothing to do, and manual ones get an empty
    file to fill in.  A database of that dialect then reaches the same schema."""
    from betterbase_cli.migrate.render import create_schema_sql

    folder = folder_of(project)
    snapshot = load_snapshot(project)
    records = folder.read_records()
    migrations = [m for m in folder.migrations() if m.kind in (GENERATED, MANUAL)]
    baseline = next(m.name for m in migrations if m.kind == GENERATED)
    undo: list[tuple[Path, str | None]] = [
        (folder.checksums_path, _previous(folder.checksums_path))
    ]
    written: list[Path] = []
    try:
        for migration in migrations:
            path = folder.file(dialect, migration.name)
            if migration.kind == MANUAL:
                text = manual_template(migration.name, dialect)
            elif migration.name == baseline:
                note = (
                    f"+ baseline: the whole schema as of {snapshot.migration} "
                    f"({dialect} was added to the project later)"
                )
                statements = create_schema_sql(snapshot.schema, cast("Dialect", dialect))
                body = "\n\n".join(_statement(s) for s in statements)
                text = generated_header(command, migration.name, dialect, [note]) + "\n" + body
                text += "\n"
            else:
                note = f"(nothing: {baseline} creates the whole schema for {dialect})"
                text = generated_header(command, migration.name, dialect, [note])
            undo.append((path, _previous(path)))
            write_atomic(path, text)
            written.append(path)
            if migration.kind == GENERATED:
                files = dict(records[migration.name].get("files", {}))
                files[dialect] = checksum(text)
                records[migration.name] = {**records[migration.name], "files": files}
        folder.write_records(records)
    except BaseException:
        Written(tuple(written), tuple(undo)).rollback()
        raise
    return written
