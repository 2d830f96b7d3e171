"""Plan and apply `bb import sql`: SQL file -> Schema -> the models file, with a backup."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from betterbase_cli.errors import BetterBaseError, SchemaParseError, UsageError
from betterbase_cli.records import dataclass
from betterbase_cli.schema.model import Schema

if TYPE_CHECKING:
    from betterbase_cli.codegen.files import PlannedWrite
    from betterbase_cli.project import Project

BACKUPS = "backups"


@dataclass(frozen=True)
class ImportPlan:
    source: str  # the SQL file as the user named it
    dialect: str
    schema: Schema
    warnings: tuple[str, ...]
    write: PlannedWrite
    # tables the current models file defines (empty when it is new or has none)
    replaced_tables: tuple[str, ...]
    # the current file does not parse: replacing it still loses what is there
    unreadable: bool
    # bb wrote the current file (it is in the manifest) and someone changed it since
    edited: bool

    @property
    def needs_consent(self) -> bool:
        return bool(self.replaced_tables) or self.unreadable


def plan_import(project: Project, sql_file: Path, dialect: str | None) -> ImportPlan:
    from betterbase_cli.codegen.files import CONFLICT, FileWrite, plan, read_manifest
    from betterbase_cli.schema.python_reader import read_models
    from betterbase_cli.schema.python_writer import render_models
    from betterbase_cli.schema.sql_reader import guess_dialect, read_sql_with_warnings

    text = sql_file.read_text(encoding="utf-8")
    shown = sql_file.as_posix()
    dialect = dialect or guess_dialect(text)
    result = read_sql_with_warnings(text, dialect, shown)
    if not result.schema.tables:
        raise BetterBaseError(
            f"{shown} creates no tables",
            hint="pass a file with CREATE TABLE statements (a schema dump such as "
            "`pg_dump --schema-only`, `mysqldump --no-data` or `sqlite3 app.db .schema`)",
        )
    if not project.schema_paths:
        raise UsageError("the project lists no models file in [schema] paths")
    target = project.schema_paths[0]
    if target.is_dir():
        target = target / "schema.py"
    rel = project.relative(target)
    replaced: tuple[str, ...] = ()
    unreadable = False
    if target.is_file():
        try:
            current = read_models([target], project.root)
            replaced = current.schema.table_names
        except (SchemaParseError, BetterBaseError):
            unreadable = True
    [write] = plan(project.root, [FileWrite(rel, render_models(result.schema))], force=False)
    return ImportPlan(
        source=shown,
        dialect=dialect,
        schema=result.schema,
        warnings=result.warnings,
        write=write,
        replaced_tables=replaced,
        unreadable=unreadable,
        # a file bb never recorded (the blueprint's models) is the user's: --yes is enough
        edited=write.action == CONFLICT and rel in read_manifest(project.root),
    )


def apply_import(project: Project, planned: ImportPlan) -> Path | None:
    """Write the models file; returns where the replaced file was copied (None if new)."""
    from betterbase_cli.codegen.files import CONFLICT, OVERWRITE, apply
    from betterbase_cli.records import replace

    target = project.root / planned.write.path
    backup: Path | None = None
    if target.is_file() and planned.write.old != planned.write.content:
        folder = project.state_dir / BACKUPS
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        stem = planned.write.path.replace("/", "_")
        backup = folder / f"{stem}.{stamp}.bak"
        n = 1
        while backup.exists():
            n += 1
            backup = folder / f"{stem}.{stamp}-{n}.bak"
        shutil.copy2(target, backup)
    write = planned.write
    if write.action == CONFLICT:
        write = replace(write, action=OVERWRITE)  # consent was given (--force or the prompt)
    apply(project.root, [write])
    return backup
