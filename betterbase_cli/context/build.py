"""The context model: read the project's sources, build `.betterbase-context.json`, plan the writes.

`ContextReader` reads the models and the route modules, caching each parsed file by the hash of
its text (so `--watch` re-parses only what changed).  `build_context` turns what was read into
the JSON document; `plan_context` adds the Markdown files and compares everything with the disk;
`apply_plan` writes only what changed.  `write_context(project)` is the one call `bb init` needs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from betterbase_cli import __version__
from betterbase_cli.codegen import files
from betterbase_cli.codegen.files import FileWrite, PlannedWrite
from betterbase_cli.context import routes as routescan
from betterbase_cli.errors import BetterBaseError, ConfigError, SourceError
from betterbase_cli.project import Project
from betterbase_cli.schema.model import Schema, Table

CONTEXT_FILE = ".betterbase-context.json"
DOCS_FILE = "docs/schema.md"
CONTEXT_VERSION = 1
SCHEMA_URL = (
    "https://raw.githubusercontent.com/betterbase/betterbase/main/"
    "betterbase_cli/context/context.schema.json"
)
AI_TARGETS = ("agents", "claude", "cursor", "copilot")
SKIP_DIRS = frozenset({"__pycache__", ".venv", "venv", "node_modules", ".git", ".mypy_cache"})


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ContextInput:
    """Everything the context is made from: the schema, the routes, and what was read."""

    schema: Schema
    routes: tuple[routescan.Route, ...]
    warnings: tuple[str, ...]  # "path:line: message", sorted
    sources: Mapping[str, str]  # project-relative path -> sha256 of its text


# --- reading, with a per-file cache --------------------------------------------------------------


def _read_text(project: Project, path: Path) -> str:
    rel = project.relative(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            rel, 1, exc.start, "is not UTF-8 text", hint="save the file as UTF-8 and rerun"
        ) from exc
    except OSError as exc:
        raise BetterBaseError(
            f"{rel}: cannot be read ({exc.strerror or exc})",
            hint="check the file's permissions: bb reads every Python file of the app",
        ) from exc


@dataclass
class _Cached:
    digest: str
    scan: routescan.ModuleScan | None  # None for files that cannot declare routes
    classes: dict[str, tuple[str, ...]]


@dataclass
class ContextReader:
    """Reads a project's models and routes; parsed files are cached by the hash of their text."""

    project: Project
    route_cache: dict[str, _Cached] = field(default_factory=dict)
    model_cache: dict[str, tuple[str, Any]] = field(default_factory=dict)

    def route_files(self) -> list[Path]:
        """Python files of the app package (and the routes folder if it lies elsewhere)."""
        roots = [self.project.root / self.project.package, self.project.routes_dir]
        found: dict[str, Path] = {}
        for top in roots:
            if not top.is_dir():
                continue
            for folder, dirs, names in os.walk(top):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in names:
                    if name.endswith(".py"):
                        path = Path(folder, name)
                        found[self.project.relative(path)] = path
        return [found[k] for k in sorted(found)]

    def scan_routes(self) -> tuple[routescan.RouteScan, dict[str, str]]:
        scans: list[routescan.ModuleScan] = []
        classes: dict[str, tuple[str, ...]] = {}
        sources: dict[str, str] = {}
        seen: set[str] = set()
        for path in self.route_files():
            rel = self.project.relative(path)
            seen.add(rel)
            text = _read_text(self.project, path)
            digest = sha256(text)
            cached = self.route_cache.get(rel)
            if cached is None or cached.digest != digest:
                cached = self._parse(text, rel, digest)
                self.route_cache[rel] = cached
            if cached.scan is not None:
                scans.append(cached.scan)
                sources[rel] = digest
            classes.update(cached.classes)
        for gone in set(self.route_cache) - seen:
            del self.route_cache[gone]
        return routescan.link_routes(scans, self.project.package, classes), sources

    @staticmethod
    def _parse(text: str, rel: str, digest: str) -> _Cached:
        if not routescan.is_candidate(text):
            return _Cached(digest, None, routescan.class_index(text, rel))
        try:
            scan = routescan.scan_module(text, rel)
        except routescan.ScanError as exc:
            raise SourceError(
                exc.path,
                exc.line,
                exc.col,
                f"syntax error: {exc.message}",
                hint="fix the file and rerun; the context files were left as they were",
            ) from exc
        module = scan.module
        return _Cached(digest, scan, {f"{module}.{k}": v for k, v in scan.classes.items()})

    def read_schema(self) -> tuple[Schema, list[str], dict[str, str]]:
        from betterbase_cli.context import schemainput

        return schemainput.read_schema(self.project, self.model_cache)

    def read(self) -> ContextInput:
        """Read everything (cached files are not parsed again).  Raises SourceError and friends
        when a file does not parse or cannot be read."""
        schema, schema_warnings, schema_sources = self.read_schema()
        scanned, route_sources = self.scan_routes()
        warnings = sorted({*schema_warnings, *(str(w) for w in scanned.warnings)})
        sources = dict(sorted({**route_sources, **schema_sources}.items()))
        return ContextInput(schema, scanned.routes, tuple(warnings), sources)


# --- the JSON document ---------------------------------------------------------------------------


def ai_targets(project: Project) -> list[str]:
    targets = project.ai_targets
    for target in targets:
        if target not in AI_TARGETS:
            raise ConfigError(
                f"{project.root / 'betterbase.toml'}: unknown AI target {target!r} in [ai] targets",
                hint=f"use some of: {', '.join(AI_TARGETS)}",
            )
    return targets


def ai_prompt(project: Project) -> str:
    schema = ", ".join(f"`{project.relative(p)}`" for p in project.schema_paths)
    routes = project.relative(project.routes_dir)
    migrations = project.relative(project.migrations_dir)
    return (
        f"This is a BetterBase project: a FastAPI + SQLAlchemy 2.0 backend. Use only the tables, "
        f"columns and routes listed in this file. To change the schema, edit the models in "
        f"{schema} and run `bb migrate`, which writes and applies a SQL migration in "
        f"`{migrations}/`; never edit an applied migration. Routes live in `{routes}/`: add a "
        f"router module there and register it in `{routes}/__init__.py` with "
        f"`api_router.include_router(...)`; `bb generate crud TABLE` writes typed endpoints for "
        f"a table. Do not hand-edit generated files: `{CONTEXT_FILE}`, `{DOCS_FILE}`, the text "
        f"between `<!-- bb:begin -->` and `<!-- bb:end -->` in AGENTS.md, `.betterbase/`, and "
        f"applied migrations; run `bb context` to refresh them. Code files whose first line says "
        f"`Generated by bb` may be edited, but bb then stops regenerating them. Before "
        f"finishing, run `pytest`, `ruff check .`, `mypy` and `bb context --check`."
    )


def _fk_json(table: Table) -> list[dict[str, Any]]:
    return [
        {
            "name": fk.name,
            "columns": list(fk.columns),
            "ref_table": fk.ref_table,
            "ref_columns": list(fk.ref_columns),
            "on_delete": fk.on_delete,
            "on_update": fk.on_update,
        }
        for fk in sorted(table.foreign_keys, key=lambda f: f.name)
    ]


def _single_unique(table: Table, column: str) -> bool:
    single = (column,)
    return any(u.columns == single for u in table.uniques) or any(
        i.unique and i.columns == single for i in table.indexes
    )


def _columns_json(table: Table) -> list[dict[str, Any]]:
    out = []
    for column in table.columns:
        fk = table.foreign_key_of(column.name)
        reference = None
        if fk is not None and len(fk.columns) == 1:
            reference = {
                "table": fk.ref_table,
                "column": fk.ref_columns[0],
                "on_delete": fk.on_delete,
                "on_update": fk.on_update,
            }
        out.append(
            {
                "name": column.name,
                "type": str(column.type),
                "python_type": column.python_type,
                "nullable": column.nullable,
                "primary_key": table.is_primary_key(column.name),
                "unique": _single_unique(table, column.name),
                "autoincrement": column.autoincrement,
                "default": column.default,
                "server_default": column.server_default,
                "foreign_key": reference,
                "comment": column.comment,
                "location": str_location(column.location),
            }
        )
    return out


def str_location(location: Any) -> str | None:
    """`path:line` (the column is left out: assistants and editors want path:line)."""
    if location is None:
        return None
    return f"{location.path}:{location.line}"


def relations_json(schema: Schema, table: Table) -> list[dict[str, Any]]:
    """Relations both ways, from the foreign keys, named after the ORM attribute when one
    matches unambiguously; relationship() attributes with no foreign key are listed too."""
    out: list[dict[str, Any]] = []
    orm = list(table.relations)
    matched: set[str] = set()

    def attribute(target: str, many: bool, count: int) -> str | None:
        candidates = [r for r in orm if r.target == target and r.many == many]
        if count == 1 and len(candidates) == 1:
            matched.add(candidates[0].name)
            return candidates[0].name
        return None

    outgoing = sorted(table.foreign_keys, key=lambda f: f.name)
    for fk in outgoing:
        same = sum(1 for f in outgoing if f.ref_table == fk.ref_table)
        one = len(fk.columns) == 1 and _single_unique(table, fk.columns[0])
        out.append(
            {
                "kind": "one-to-one" if one else "many-to-one",
                "table": fk.ref_table,
                "columns": list(fk.columns),
                "ref_columns": list(fk.ref_columns),
                "foreign_key": fk.name,
                "attribute": attribute(fk.ref_table, False, same),
            }
        )
    incoming = sorted(schema.referencing(table.name), key=lambda p: (p[0].name, p[1].name))
    for other, fk in incoming:
        same = sum(1 for t, _ in incoming if t.name == other.name)
        one = len(fk.columns) == 1 and _single_unique(other, fk.columns[0])
        out.append(
            {
                "kind": "one-to-one" if one else "one-to-many",
                "table": other.name,
                "columns": list(fk.ref_columns),
                "ref_columns": list(fk.columns),
                "foreign_key": fk.name,
                "attribute": attribute(other.name, not one, same),
            }
        )
    for relation in sorted(orm, key=lambda r: r.name):
        if relation.name not in matched:
            out.append(
                {
                    "kind": "one-to-many" if relation.many else "many-to-one",
                    "table": relation.target,
                    "columns": [],
                    "ref_columns": [],
                    "foreign_key": None,
                    "attribute": relation.name,
                }
            )
    return out


def table_json(schema: Schema, table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "class": table.class_name,
        "location": str_location(table.location),
        "comment": table.comment,
        "primary_key": list(table.primary_key),
        "columns": _columns_json(table),
        "foreign_keys": _fk_json(table),
        "indexes": [
            {"name": i.name, "columns": list(i.columns), "unique": i.unique}
            for i in sorted(table.indexes, key=lambda i: i.name)
        ],
        "uniques": [
            {"name": u.name, "columns": list(u.columns)}
            for u in sorted(table.uniques, key=lambda u: u.name)
        ],
        "checks": [
            {"name": c.name, "expression": c.expression}
            for c in sorted(table.checks, key=lambda c: c.name)
        ],
        "relations": relations_json(schema, table),
    }


def route_json(route: routescan.Route) -> dict[str, Any]:
    return {
        "method": route.method,
        "path": route.path,
        "function": route.function,
        "module": route.module,
        "handler": str_location(route.location),
        "path_params": list(route.path_params),
        "query_params": list(route.query_params),
        "body": route.body,
        "response_model": route.response_model,
        "status_code": route.status_code,
        "auth": route.auth,
        "roles": list(route.roles),
        "tags": list(route.tags),
        "summary": route.summary,
        "in_openapi": route.include_in_schema,
    }


def build_context(project: Project, inputs: ContextInput) -> dict[str, Any]:
    """The `.betterbase-context.json` document (plain JSON data, deterministic order)."""
    schema = inputs.schema
    return {
        "$schema": SCHEMA_URL,
        "version": CONTEXT_VERSION,
        "generator": f"bb {__version__}",
        "project": {
            "name": project.name,
            "package": project.package,
            "dialects": project.dialects,
            "schema_paths": [project.relative(p) for p in project.schema_paths],
            "routes_dir": project.relative(project.routes_dir),
            "migrations_dir": project.relative(project.migrations_dir),
            "api_prefix": project.api_prefix,
        },
        "ai_prompt": ai_prompt(project),
        "tables": [table_json(schema, t) for t in schema.tables],
        "enums": [
            {"name": e.name, "values": list(e.values), "location": str_location(e.location)}
            for e in schema.enums
        ],
        "routes": [route_json(r) for r in inputs.routes],
        "sources": {path: f"sha256:{digest}" for path, digest in sorted(inputs.sources.items())},
        "warnings": list(inputs.warnings),
    }


def render_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- planning and applying the writes ------------------------------------------------------------


@dataclass(frozen=True)
class ContextPlan:
    """Every context file with its new content and what writing it would do."""

    writes: tuple[PlannedWrite, ...]
    whole_files: frozenset[str]  # written through the manifest (bb owns the whole file)
    notes: tuple[str, ...]  # things a person should know (an edited block, a file left alone)
    warnings: tuple[str, ...]  # constructs the readers could not use
    tables: int
    routes: int

    @property
    def changed(self) -> list[PlannedWrite]:
        return [w for w in self.writes if w.action != files.UNCHANGED]

    @property
    def conflicts(self) -> list[PlannedWrite]:
        return [w for w in self.writes if w.action == files.CONFLICT]


def plan_context(
    project: Project, inputs: ContextInput, force: bool = False, data: dict[str, Any] | None = None
) -> ContextPlan:
    """Compute the content of every context file and compare it with the disk (writes nothing)."""
    from betterbase_cli.context import markdown

    data = data if data is not None else build_context(project, inputs)
    targets = ai_targets(project)
    whole = [
        FileWrite(CONTEXT_FILE, render_json(data)),
        FileWrite(DOCS_FILE, markdown.schema_doc(data)),
    ]
    if "cursor" in targets:
        whole.append(FileWrite(markdown.CURSOR_FILE, markdown.cursor_rules(data)))
    planned = files.plan(project.root, whole, force=force)
    notes = [
        f"{p.path} was edited since bb wrote it and was left alone "
        "(see the change with --dry-run, replace it with --force)"
        for p in planned
        if p.action == files.CONFLICT
    ]
    blocks = markdown.block_files(data, targets)
    for path, body in sorted(blocks.items()):
        write, note = markdown.plan_block(project.root, path, body)
        planned.append(write)
        if note:
            notes.append(note)
    return ContextPlan(
        writes=tuple(sorted(planned, key=lambda p: p.path)),
        whole_files=frozenset(w.path for w in whole),
        notes=tuple(notes),
        warnings=inputs.warnings,
        tables=len(data["tables"]),
        routes=len(data["routes"]),
    )


def apply_plan(project: Project, plan: ContextPlan) -> list[str]:
    """Write what changed (never a conflict); return the paths written."""
    changed = [w for w in plan.changed if w.action != files.CONFLICT]
    whole = [w for w in changed if w.path in plan.whole_files]
    if whole:
        files.apply(project.root, whole)
    for write in changed:
        if write.path not in plan.whole_files:
            files.write_atomic(project.root / write.path, write.content)
    return [w.path for w in changed]


def generate(
    project: Project, force: bool = False, reader: ContextReader | None = None
) -> tuple[ContextPlan, list[str]]:
    """Read, plan and write the context files; return the plan and the paths written."""
    inputs = (reader or ContextReader(project)).read()
    plan = plan_context(project, inputs, force=force)
    return plan, apply_plan(project, plan)


def write_context(project: Project, force: bool = False) -> list[PlannedWrite]:
    """Write every context file of ``project`` (for `bb init`); return what was planned.

    Raises SourceError when a model or route file does not parse.
    """
    plan, _ = generate(project, force=force)
    return list(plan.writes)


def sources_of(writes: Iterable[PlannedWrite]) -> list[str]:
    return sorted(w.path for w in writes)
