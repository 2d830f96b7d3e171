"""The models side of the context: the schema reader fed from a cache of parsed files.

This follows `python_reader.read_models` (the schema paths plus the project modules they
import) but keeps each parsed `ModelsModule` keyed by the hash of its text, so a save in
`--watch` re-parses one file and rebuilds the schema from the rest of the cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from betterbase_cli.errors import BetterBaseError, ConfigError, SourceError
from betterbase_cli.project import Project

if TYPE_CHECKING:
    from betterbase_cli.schema.model import Schema

# Imports the reader never follows into the project (they are libraries, not models).
LIBRARIES = ("sqlalchemy", "typing", "datetime", "enum", "uuid", "decimal", "__future__")


def _module_file(root: Path, module: str) -> Path | None:
    parts = module.split(".")
    for base in (root, root / "src"):
        candidate = base.joinpath(*parts)
        if candidate.with_suffix(".py").is_file():
            return candidate.with_suffix(".py")
        if (candidate / "__init__.py").is_file():
            return candidate / "__init__.py"
    return None


def _read(path: Path, rel: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(rel, 1, exc.start, "is not UTF-8 text", hint="save it as UTF-8") from exc
    except OSError as exc:
        raise BetterBaseError(
            f"{rel}: cannot be read ({exc.strerror or exc})",
            hint="check the file's permissions: bb reads the models to build the context",
        ) from exc


def model_files(project: Project) -> list[Path]:
    files: list[Path] = []
    for path in project.schema_paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts)
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(
                f"models file {project.relative(path)} does not exist",
                hint="create it, or point [schema] paths in betterbase.toml at your models",
            )
    return files


class SchemaMemo(Protocol):
    schema_memo: tuple[tuple[tuple[str, str], ...], Any] | None


def read_schema(
    project: Project, cache: dict[str, tuple[str, Any]], memo: SchemaMemo | None = None
) -> tuple[Schema, list[str], dict[str, str]]:
    """(schema, warnings as "path:line:col: message", {path: sha256}) for the project's models.

    ``memo.schema_memo`` keeps the last result with the (path, hash) of every file it read:
    when those files are unchanged the result is reused without parsing anything.
    Raises SchemaParseError for a file that does not parse and SchemaError for a schema that
    does not hold together (a foreign key to a missing table, a duplicate table).
    """
    queue = model_files(project)
    if memo is not None and memo.schema_memo is not None:
        key, result = memo.schema_memo
        starts = {project.relative(p) for p in queue}
        if starts <= {rel for rel, _ in key} and all(
            text_digest(project.root / rel) == digest for rel, digest in key
        ):
            return result  # type: ignore[no-any-return]
    from betterbase_cli.schema import python_reader

    modules: dict[str, Any] = {}
    digests: dict[str, str] = {}
    seen: set[Path] = set()
    while queue:
        path = queue.pop(0)
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        rel = project.relative(path)
        text = _read(path, rel)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        digests[rel] = digest
        cached = cache.get(rel)
        if cached is None or cached[0] != digest:
            cached = (digest, python_reader.parse_models_file(text, rel))
            cache[rel] = cached
        module = cached[1]
        modules[rel] = module
        for imported in module.imported_modules:
            if imported.split(".")[0] in LIBRARIES:
                continue
            found = _module_file(project.root, imported)
            if found is not None and found.resolve() not in seen:
                queue.append(found)
    for gone in set(cache) - set(modules):
        del cache[gone]
    result = python_reader.build_schema([modules[k] for k in sorted(modules)])
    warnings = [str(problem) for problem in result.problems]
    out = (result.schema, warnings, dict(result.sources))
    if memo is not None:
        memo.schema_memo = (tuple(sorted(digests.items())), out)
    return out


def text_digest(path: Path) -> str | None:
    """The hash read_schema would record for a file (of its text), None when it is gone."""
    try:
        return hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()
    except (OSError, UnicodeDecodeError):
        return None
