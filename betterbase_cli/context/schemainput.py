"""The models side of the context: the schema reader fed from a cache of parsed files.

It walks the same files as `python_reader.read_models` (schema.sources.walk_models)
but keeps each parsed `ModelsModule` keyed by the hash of its text, so a save in
`--watch` re-parses one file and rebuilds the schema from the rest of the cache.
"""

from __future__ import annotations

from betterbase_cli.context.sources import sha256, text_digest
from betterbase_cli.project import Project
from betterbase_cli.schema.sources import model_files, module_file, walk_models

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any, Protocol

    from betterbase_cli.schema.model import Schema
    from betterbase_cli.schema.pyincremental import IncrementalState

    class SchemaMemo(Protocol):
        schema_memo: tuple[tuple[tuple[str, str], ...], Any, tuple[str, ...]] | None


def read_schema(
    project: Project,
    cache: dict[str, tuple[str, Any]],
    memo: SchemaMemo | None = None,
    incremental: IncrementalState | None = None,
) -> tuple[Schema, list[str], dict[str, str]]:
    """(schema, warnings as "path:line:col: message", {path: sha256}) for the project's models.

    ``memo.schema_memo`` keeps the last result with the (path, hash) of every file it read and
    the imports no project file answered: while those files are unchanged and those imports
    still have no file, the result is reused without parsing anything.
    With ``incremental`` (the watcher's), a changed file is re-parsed only where it changed and
    only the tables that can have changed are rebuilt.
    Raises SchemaParseError for a file that does not parse and SchemaError for a schema that
    does not hold together (a foreign key to a missing table, a duplicate table).
    """
    starts = model_files(project.schema_paths, project.root)
    # (The watcher, with ``incremental``, only asks when a models file changed.)
    if memo is not None and memo.schema_memo is not None and incremental is None:
        key, result, absent = memo.schema_memo
        if (
            {project.relative(p) for p in starts} <= {rel for rel, _ in key}
            and all(text_digest(project.root / rel) == digest for rel, digest in key)
            and not any(module_file(project.root, name) for name in absent)
        ):
            return result  # type: ignore[no-any-return]
    # Here, not at the top: a run whose models did not change never loads the reader.
    from betterbase_cli.schema import python_reader
    from betterbase_cli.schema.pymodule import ModelsModule, reparse_models_file

    digests: dict[str, str] = {}

    def parse(text: str, rel: str) -> ModelsModule:
        """parse_models_file, answered from ``cache`` when the text has not changed."""
        digest = sha256(text)
        digests[rel] = digest
        cached = cache.get(rel)
        if cached is None or cached[0] != digest:
            if incremental is not None:
                parsed = reparse_models_file(text, rel, cached[1] if cached else None)
            else:
                parsed = python_reader.parse_models_file(text, rel)
            cached = cache[rel] = (digest, parsed)
        module: ModelsModule = cached[1]
        return module

    missing: set[str] = set()
    modules = {m.rel_path: m for m in walk_models(starts, project.root, parse, missing)}
    for gone in set(cache) - set(modules):
        del cache[gone]
    if incremental is None:
        result = python_reader.build_schema(list(modules.values()))
    else:
        from betterbase_cli.errors import SchemaError
        from betterbase_cli.schema.pyincremental import build_schema_incremental

        try:
            result = build_schema_incremental(list(modules.values()), incremental)
        except SchemaError:
            # Its message names node lines: read again from scratch for the file's own lines.
            python_reader.read_models(project.schema_paths, project.root)
            raise
    warnings = [str(problem) for problem in result.problems]
    out = (result.schema, warnings, dict(result.sources))
    if memo is not None:
        memo.schema_memo = (tuple(sorted(digests.items())), out, tuple(sorted(missing)))
    return out
