"""The snapshot: the schema the latest generated migration was diffed to, stored as JSON.

``migrations/snapshot.json`` holds the bb version that wrote it, a format number, the name of the
migration it belongs to and the schema (``model.schema_to_json``).  Keys are sorted and nothing
depends on the clock, so writing the same schema twice gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from betterbase_cli import __version__
from betterbase_cli.errors import ConfigError
from betterbase_cli.records import dataclass

if TYPE_CHECKING:
    # Imported where used: `bb migrate check` answered from its cache never needs the model.
    from betterbase_cli.schema.model import Schema

SNAPSHOT_FILE = "snapshot.json"
FORMAT = 1


@dataclass(frozen=True)
class Snapshot:
    schema: Schema
    migration: str | None  # the migration that produced it; None before the first one
    bb_version: str | None = None


def empty() -> Snapshot:
    from betterbase_cli.schema.model import Schema

    return Snapshot(Schema(), None)


def snapshot_path(migrations_dir: Path) -> Path:
    return migrations_dir / SNAPSHOT_FILE


def render(schema: Schema, migration: str | None) -> str:
    from betterbase_cli.schema.model import schema_to_json

    data = {
        "bb_version": __version__,
        "format": FORMAT,
        "migration": migration,
        "schema": schema_to_json(schema),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(migrations_dir: Path, where: str | None = None) -> Snapshot:
    """The stored snapshot, or an empty one when there is none yet."""
    path = snapshot_path(migrations_dir)
    if not path.is_file():
        return empty()
    from betterbase_cli.schema.model import SNAPSHOT_VERSION, schema_from_json

    where = where or str(path)
    restore = "restore it from git (`git checkout -- " + where + "`)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{where} is corrupt: not valid JSON ({exc})", hint=restore) from exc
    if not isinstance(data, dict) or not isinstance(data.get("schema"), dict):
        raise ConfigError(f'{where} is corrupt: no "schema" object', hint=restore)
    fmt = data.get("format")
    inner = data["schema"].get("version")
    writer = data.get("bb_version") or "an unknown version"
    newer = (isinstance(fmt, int) and fmt > FORMAT) or (
        isinstance(inner, int) and inner > SNAPSHOT_VERSION
    )
    if newer:
        raise ConfigError(
            f"{where} was written by bb {writer} in a newer format "
            f"(snapshot {fmt}/schema {inner}); this bb {__version__} reads "
            f"{FORMAT}/{SNAPSHOT_VERSION}",
            hint="upgrade bb: pip install -U betterbase-cli",
        )
    if not isinstance(fmt, int):
        raise ConfigError(f"{where} is corrupt: no format number", hint=restore)
    try:
        schema = schema_from_json(data["schema"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{where} is corrupt: {type(exc).__name__}: {exc}", hint=restore) from exc
    migration = data.get("migration")
    return Snapshot(schema, str(migration) if migration else None, str(writer))


def save(migrations_dir: Path, schema: Schema, migration: str | None) -> None:
    from betterbase_cli.migrate.files import write_atomic

    write_atomic(snapshot_path(migrations_dir), render(schema, migration))
