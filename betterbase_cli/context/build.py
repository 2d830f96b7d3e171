"""The context model: read the project's sources, build `.betterbase-context.json`, plan the writes.

`ContextReader` reads the models and the route modules, caching each parsed file by the hash of
its text (so `--watch` re-parses only what changed).  `build_context` turns what was read into
the JSON document; `plan_context` adds the Markdown files and compares everything with the disk;
`apply_plan` writes only what changed.  `write_context(project)` is the one call `bb init` needs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping

from betterbase_cli import __version__
from betterbase_cli.codegen.files import FileWrite, PlannedWrite
from betterbase_cli.context import routes as routescan
from betterbase_cli.context import sources
from betterbase_cli.context.plan import ContextPlan, Rendered, plan_files
from betterbase_cli.errors import BetterBaseError, ConfigError, SourceError
from betterbase_cli.project import Project
from betterbase_cli.records import dataclass, field
from betterbase_cli.schema.model import Schema, Table

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

    from betterbase_cli.context.run import ModelsAhead

CONTEXT_FILE = ".betterbase-context.json"
DOCS_FILE = "docs/schema.md"
CONTEXT_VERSION = 1
SCHEMA_URL = (
    "https://raw.githubusercontent.com/betterbase/betterbase/main/"
    "betterbase_cli/context/context.schema.json"
)

AI_TARGETS = ("agents", "claude", "cursor", "copilot")


@dataclass(frozen=True)
class ContextInput:
    """Everything the context is made from: the schema, the routes, and what was read."""

    schema: Schema
    routes: tuple[routescan.Route, ...]
    warnings: tuple[str, ...]  # "path:line: message", sorted
    sources: Mapping[str, str]  # project-relative path -> sha256 of its text


# --- reading, with a per-file cache --------------------------------------------------------------


@dataclass
class _Cached:
    digest: str
    scan: routescan.ModuleScan | None  # None for files that cannot declare routes
    classes: dict[str, tuple[str, ...]]  # class -> base names, for files not scanned


@dataclass
class ContextReader:
    """Reads a project's models and routes; parsed files are cached by the hash of their text.

    ``read()`` reads everything (parsing only files whose text changed); ``read(changed)`` trusts
    that only the files in ``changed`` may differ, which is what the watcher knows.
    """

    project: Project
    route_cache: dict[str, _Cached] = field(default_factory=dict)
    model_cache: dict[str, tuple[str, Any]] = field(default_factory=dict)
    route_memo: routescan.RouteMemo = field(default_factory=dict)
    _paths: dict[str, str] = field(default_factory=dict)  # route candidates: rel -> path
    _schema: tuple[Schema, list[str], dict[str, str]] | None = None
    _routes: tuple[routescan.RouteScan, dict[str, str]] | None = None
    _retry: set[str] = field(default_factory=set)  # files that failed: read again next time
    # The last link and schema, each with the (path, hash) pairs it was made from.
    _link_memo: tuple[tuple[tuple[str, str], ...], Any] | None = None
    _link_inputs: tuple[tuple[str, Any], ...] | None = None  # what the last link read
    # (the (path, hash) of each models file read, the result, the imports no file answered)
    schema_memo: tuple[tuple[tuple[str, str], ...], Any, tuple[str, ...]] | None = None
    # --watch: re-parse only the edited part of a models file, rebuild only what it touched
    incremental: Any = None  # pyincremental.IncrementalState
    # A one-shot run's models, read in a forked child: its schema_memo() is this schema_memo
    ahead: ModelsAhead | None = None
    # A one-shot run's hashes of the route-folder files, as its check found them a moment ago:
    # a file with its cached hash is then not read again
    known: dict[str, str] = field(default_factory=dict)

    def state(self) -> dict[str, dict[str, Any]]:
        """What the on-disk cache keeps between runs, by part (see cache.PARTS): the route side
        and the models side are saved apart, so a run that changed one saves only that one."""
        return {
            # Modules that declare no routes are indexed again each run (a regular expression
            # over text read anyway for its hash): an edit of the models then saves nothing here.
            "routes": {
                "routes": {rel: c for rel, c in self.route_cache.items() if c.scan is not None},
                "link": self._link_memo[1] if self._link_memo else None,
                "link_inputs": self._link_inputs,
                "route_memo": self.route_memo,  # relinks only the modules that changed
            },
            "schema": {"schema": self.schema_memo},
        }

    def route_key(self) -> list[tuple[str, str]]:
        """(path, hash of the bytes) of every route-folder file read, as the last read saw them."""
        return list(self._link_memo[0]) if self._link_memo else []

    def model_key(self) -> list[tuple[str, str]]:
        """(path, hash of the text) of every models file read."""
        return list(self.schema_memo[0]) if self.schema_memo else []

    def restore(self, part: str, state: dict[str, Any]) -> None:
        if part == "routes":
            self.route_cache = dict(state.get("routes") or {})
            link = state.get("link")
            # No key: the next read reuses the link when what it reads (_link_inputs) is equal.
            self._link_memo = ((), link) if link is not None else None
            self._link_inputs = state.get("link_inputs")
            self.route_memo = dict(state.get("route_memo") or {})
        elif part == "schema":
            self.schema_memo = state.get("schema")

    def route_files(self) -> dict[str, str]:
        return sources.route_files(self.project)

    @functools.cached_property
    def _route_tops(self) -> tuple[str, ...]:
        # Once per reader: Project.relative resolves the paths (the watcher asks on every save).
        return (self.project.package + "/", self.project.relative(self.project.routes_dir) + "/")

    @functools.cached_property
    def _model_tops(self) -> tuple[str, ...]:
        return tuple(self.project.relative(path) for path in self.project.schema_paths)

    def is_route_file(self, rel: str) -> bool:
        if not rel.endswith(".py"):
            return False
        parts = rel.split("/")
        return rel.startswith(self._route_tops) and not any(
            p in sources.SKIP_DIRS or p.startswith(".") for p in parts[:-1]
        )

    def _load(self, rel: str, path: str) -> _Cached:
        cached = self.route_cache.get(rel)
        if cached is not None and self.known.pop(rel, None) == cached.digest:
            return cached
        data = sources.read_bytes(rel, path)
        digest = hashlib.sha256(data).hexdigest()
        if cached is None or cached.digest != digest:
            cached = self._parse(sources.decode(rel, data), rel, digest)
            self.route_cache[rel] = cached
        return cached

    def scan_routes(
        self, changed: Iterable[str] | None = None
    ) -> tuple[routescan.RouteScan, dict[str, str]]:
        if changed is None or not self._paths:
            self._paths = self.route_files()
            for gone in set(self.route_cache) - set(self._paths):
                del self.route_cache[gone]
            for rel, path in self._paths.items():
                self._load(rel, path)
        else:
            for rel in changed:
                path = os.path.join(self.project.root, rel)
                if os.path.isfile(path):
                    self._paths[rel] = path
                    self._load(rel, path)
                else:
                    self._paths.pop(rel, None)
                    self.route_cache.pop(rel, None)
        key = tuple((rel, self.route_cache[rel].digest) for rel in sorted(self._paths))
        # What linking reads: a module that declares no routes counts by its classes only
        # (a save of the models file that adds a column does not relink the routes).
        inputs = tuple(
            (rel, cached.digest if cached.scan is not None else cached.classes)
            for rel, cached in ((rel, self.route_cache[rel]) for rel, _ in key)
        )
        if self._link_memo is not None and (
            self._link_memo[0] == key or self._link_inputs == inputs
        ):
            result: tuple[routescan.RouteScan, dict[str, str]] = self._link_memo[1]
            self._link_memo = (key, result)
            self._link_inputs = inputs
            return result
        scans: list[routescan.ModuleScan] = []
        classes: dict[str, dict[str, tuple[str, ...]]] = {}
        sources: dict[str, str] = {}
        for rel, digest in key:
            cached = self.route_cache[rel]
            if cached.scan is not None:
                scans.append(cached.scan)
                sources[rel] = digest
            else:
                classes[routescan.module_name(rel)[0]] = cached.classes
        linked = routescan.link_routes(scans, self.project.package, classes, self.route_memo)
        self._link_memo = (key, (linked, sources))
        self._link_inputs = inputs
        return linked, sources

    @staticmethod
    def _parse(text: str, rel: str, digest: str) -> _Cached:
        if not routescan.is_candidate(text):
            return _Cached(digest, None, routescan.class_index(text))
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
        return _Cached(digest, scan, {})

    def read_schema(self) -> tuple[Schema, list[str], dict[str, str]]:
        from betterbase_cli.context import schemainput

        ahead, self.ahead = self.ahead, None
        memo = ahead.schema_memo() if ahead is not None else None
        if memo is not None:
            self.schema_memo = memo
            return memo[1]  # type: ignore[no-any-return]
        # (When the child failed, the models are read here: an error is reported as usual.)
        return schemainput.read_schema(self.project, self.model_cache, self, self.incremental)

    def is_model_file(self, rel: str) -> bool:
        if rel in self.model_cache:
            return True
        if self.schema_memo is not None and rel.endswith(".py"):
            # A module the models import that did not exist yet (written after the import).
            if routescan.module_name(rel)[0] in self.schema_memo[2]:
                return True
        return any(rel == top or rel.startswith(top + "/") for top in self._model_tops)

    def read(self, changed: Iterable[str] | None = None) -> ContextInput:
        """Read the sources (cached files are not parsed again).  Raises SourceError and friends
        when a file does not parse or cannot be read; that file is read again next time."""
        rels = None if changed is None else sorted(set(changed) | self._retry)
        schema_dirty = rels is None or self._schema is None
        routes_dirty = rels is None or self._routes is None
        route_rels: list[str] | None = None
        if rels is not None:
            schema_dirty = schema_dirty or any(self.is_model_file(r) for r in rels)
            route_rels = [r for r in rels if self.is_route_file(r)]
            routes_dirty = routes_dirty or bool(route_rels)
        try:
            # While a child reads the models (self.ahead), the routes are read here first; an
            # error in the models is still the one reported when both sides have one.
            late: BetterBaseError | None = None
            if routes_dirty and schema_dirty and self.ahead is not None:
                self._routes = None
                try:
                    self._routes = self.scan_routes(route_rels)
                except BetterBaseError as exc:
                    late = exc
                routes_dirty = False
            if schema_dirty:
                self._schema = None
                self._schema = self.read_schema()
            if late is not None:
                raise late
            if routes_dirty:
                self._routes = None
                self._routes = self.scan_routes(route_rels)
        except SourceError as exc:
            self._retry.add(exc.path)
            raise
        except BetterBaseError:
            self._paths = {}  # e.g. an unreadable file: walk and read everything next time
            raise
        self._retry.clear()
        assert self._schema is not None and self._routes is not None
        (schema, schema_warnings, schema_sources), (scanned, route_sources) = (
            self._schema,
            self._routes,
        )
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


def project_json(project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "package": project.package,
        "dialects": project.dialects,
        "schema_paths": [project.relative(p) for p in project.schema_paths],
        "routes_dir": project.relative(project.routes_dir),
        "migrations_dir": project.relative(project.migrations_dir),
        "api_prefix": project.api_prefix,
    }


def build_context(
    project: Project,
    inputs: ContextInput,
    tables: list[dict[str, Any]] | None = None,
    header: tuple[dict[str, Any], str] | None = None,
    routes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `.betterbase-context.json` document (plain JSON data, deterministic order).

    ``tables``, ``header`` (project section, ai_prompt) and ``routes`` may come from a cache.
    """
    schema = inputs.schema
    if tables is None:
        tables = [table_json(schema, t) for t in schema.tables]
    project_data, prompt = header or (project_json(project), ai_prompt(project))
    return {
        "$schema": SCHEMA_URL,
        "version": CONTEXT_VERSION,
        "generator": f"bb {__version__}",
        "project": project_data,
        "ai_prompt": prompt,
        "tables": tables,
        "enums": [
            {"name": e.name, "values": list(e.values), "location": str_location(e.location)}
            for e in schema.enums
        ],
        "routes": routes if routes is not None else [route_json(r) for r in inputs.routes],
        "sources": {path: f"sha256:{digest}" for path, digest in sorted(inputs.sources.items())},
        "warnings": list(inputs.warnings),
    }


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_CONTAINERS = (dict, list)
# Below the top level, keys whose value is null, false or empty are left out (the JSON Schema
# gives their defaults), except these, which are always written.
ALWAYS = frozenset({"name", "type", "nullable", "primary_key", "auth", "method", "path", "columns"})


def _trim(value: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in value.items()
        if k in ALWAYS or not (v is None or v is False or v == [] or v == {})
    }


def _flat(value: dict[str, Any] | list[Any]) -> bool:
    """True when nothing below the value's children is a container (a column, a route)."""
    for child in value.values() if isinstance(value, dict) else value:
        if isinstance(child, dict):
            child = list(child.values())
        if isinstance(child, list):
            for grandchild in child:
                if isinstance(grandchild, _CONTAINERS):
                    return False
    return True


def dump(value: Any, pad: str = "", level: int = 0) -> str:
    """JSON with one column, route or relation per line: readable diffs, and the C encoder does
    most of the work (``json.dumps(indent=...)`` falls back to pure Python and is 5x slower)."""
    if isinstance(value, dict) and level > 1:
        value = _trim(value)
    if not isinstance(value, _CONTAINERS) or (level > 1 and _flat(value)):
        return _ENCODE(value)
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    inner = pad + "  "
    if isinstance(value, dict):
        items = [f"{inner}{_ENCODE(k)}: {dump(v, inner, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + dump(v, inner, level + 1) for v in value) + "\n" + pad + "]"


def render_json(data: Mapping[str, Any], parts: Mapping[str, str] | None = None) -> str:
    """The file's text; ``parts`` holds already rendered values of top-level keys (a cache)."""
    parts = parts or {}
    items = [
        f"  {_ENCODE(k)}: " + (parts[k] if k in parts else dump(v, "  ", 1))
        for k, v in data.items()
    ]
    return "{\n" + ",\n".join(items) + "\n}\n"


# A table rendered: (its JSON data, JSON text, docs/schema.md section, AGENTS.md line).
if TYPE_CHECKING:
    TablePart = tuple[dict[str, Any], str, str, str]


def _render_table(schema: Schema, table: Table) -> TablePart:
    return _render_table_item(table_json(schema, table))


class _Template:
    """A table's rendering with holes where its locations go (the table's, then each
    column's), so a table that only moved in its file is not rendered again."""

    def __init__(self, item: dict[str, Any], json: list[str], section: list[str], line: list[str]):
        self.item, self.json, self.section, self.line = item, json, section, line

    @staticmethod
    def of(schema: Schema, table: Table) -> _Template | None:
        """None when a location is missing or the text already holds a placeholder."""
        import re

        count = 1 + len(table.columns)
        if table.location is None or any(c.location is None for c in table.columns):
            return None
        holes = [f"\0{i}\0" for i in range(count)]
        item = table_json(schema, table)
        item["location"] = holes[0]
        for column, hole in zip(item["columns"], holes[1:], strict=True):
            column["location"] = hole
        _, json, section, line = _render_table_item(item)
        raw = re.compile("\0([0-9]+)\0")
        parts = (re.split(r"\\u0000([0-9]+)\\u0000", json), raw.split(section), raw.split(line))
        found = [[int(i) for i in p[1::2]] for p in parts]
        if found[0] != list(range(count)) or found[1] != [0] or found[2] != [0]:
            return None
        return _Template(item, *parts)

    def fill(self, table: Table) -> TablePart:
        values = [str_location(table.location) or ""]
        values += [str_location(c.location) or "" for c in table.columns]
        item = dict(self.item, location=values[0])
        item["columns"] = [
            dict(c, location=v) for c, v in zip(item["columns"], values[1:], strict=True)
        ]
        return (
            item,
            _fill(self.json, [_ENCODE(v)[1:-1] for v in values]),
            _fill(self.section, values),
            _fill(self.line, values),
        )


def _fill(parts: list[str], values: list[str]) -> str:
    out = parts[:]
    for i in range(1, len(out), 2):
        out[i] = values[int(out[i])]
    return "".join(out)


def _render_table_item(item: dict[str, Any]) -> TablePart:
    from betterbase_cli.context import markdown

    section = "\n".join(markdown.table_section(item)) + "\n"
    return item, dump(item, "    ", 2), section, markdown.table_line(item)


_NO_TEMPLATE: Any = object()


def _shown(table: Table, refs: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a table's text shows but its line numbers (Table equality ignores locations, class
    name and relations; ``refs`` are the foreign keys that point at it)."""
    locations = (table.location, *(c.location for c in table.columns))
    return (
        table,
        table.class_name,
        table.relations,
        tuple((c.default, c.python_type) for c in table.columns),
        refs,
        tuple(loc.path if loc is not None else None for loc in locations),
    )


def _lines(table: Table) -> tuple[int | None, ...]:
    locations = (table.location, *(c.location for c in table.columns))
    return tuple(loc.line if loc is not None else None for loc in locations)


class Renderer:
    """Renders the context files.  `--watch` keeps one, so that while the schema object is the
    same (most saves touch a route, not the models) the tables are not rendered again; with
    ``templates``, a table that only moved in its file gets its new lines put into its old
    text (a one-shot run renders every table directly)."""

    def __init__(self, templates: bool = False) -> None:
        self.use_templates = templates
        # id(route) -> (route, its JSON data, JSON line, docs/schema.md row, AGENTS.md line)
        self._routes: dict[int, tuple[routescan.Route, dict[str, Any], str, str, str]] = {}
        self._header: tuple[Project, tuple[dict[str, Any], str]] | None = None
        self._schema: Schema | None = None
        self._tables: list[dict[str, Any]] = []
        self._tables_text = ""
        self._doc_tables = ""
        self._table_lines: list[str] = []
        # the routes last rendered, and their parts: JSON data and text, docs rows, AGENTS lines
        self._routes_of: tuple[routescan.Route, ...] | None = None
        self._route_items: list[dict[str, Any]] = []
        self._routes_text = "[]"
        self._route_rows: list[str] = []
        self._route_lines: list[str] = []
        # what a table's rendering shows but its locations -> the rendering with holes for them
        self._templates: dict[tuple[Any, ...], _Template | None] = {}
        # id(table) -> (the table, the foreign keys pointing at it, its rendering)
        self._same: dict[int, tuple[Table, tuple[Any, ...], TablePart]] = {}
        # what a table's text shows, locations included -> its text (one-shot runs, which keep
        # the renderer in bb's cache between runs)
        self._parts: dict[tuple[Any, ...], TablePart] = {}
        # id(origin) -> (the table a moved table was made from, the foreign keys pointing at
        # it, its template)
        self._by_origin: dict[int, tuple[Table, tuple[Any, ...], _Template | None]] = {}

    # What a one-shot `bb context` keeps in bb's cache between runs, by part (see cache.PARTS).
    # Caches keyed by id() mean nothing in another process; the project is another object.
    # The routes' side is each route's rendering, by route: the link memo (pickled with it)
    # hands back the same route objects for unchanged modules, so only the changed ones are
    # rendered again, and the joined texts are made from the rest.
    STATE = {
        "routes": (),
        "schema": ("_schema", "_tables", "_tables_text", "_doc_tables", "_table_lines"),
        "parts": ("_parts",),  # only a run that renders tables again needs these
    }

    def state(self) -> dict[str, dict[str, Any]]:
        out = {part: {n: getattr(self, n) for n in names} for part, names in self.STATE.items()}
        out["routes"]["_routes"] = list(self._routes.values())
        return out

    def restore(self, part: str, state: dict[str, Any]) -> None:
        for name in self.STATE[part]:
            if name in state:
                setattr(self, name, state[name])
        if part == "routes":
            self._routes = {id(hit[0]): hit for hit in state.get("_routes") or ()}

    def render(
        self, project: Project, inputs: ContextInput, origins: Mapping[int, Table] | None = None
    ) -> tuple[dict[str, Any], list[FileWrite], dict[str, str]]:
        """(the JSON data, whole files bb owns, {path: block body} for shared Markdown files).

        ``origins`` (from the watcher's reader) maps id(table) to the table it was made from
        when only its lines moved: then its text is the old one with the new lines put in.
        """
        from betterbase_cli.context import markdown

        self.render_tables(inputs.schema, origins)
        if self._header is None or self._header[0] is not project:
            self._header = (project, (project_json(project), ai_prompt(project)))
        if inputs.routes is not self._routes_of:  # the reader hands back the same tuple
            routes = self._route_parts(inputs.routes)
            self._route_items = [r[1] for r in routes]
            self._routes_text = (
                "[\n" + ",\n".join("    " + r[2] for r in routes) + "\n  ]" if routes else "[]"
            )
            self._route_rows = [r[3] for r in routes]
            self._route_lines = [r[4] for r in routes]
            self._routes_of = inputs.routes
        data = build_context(project, inputs, self._tables, self._header[1], self._route_items)
        parts = {"tables": self._tables_text, "routes": self._routes_text}
        targets = ai_targets(project)
        whole = [
            FileWrite(CONTEXT_FILE, render_json(data, parts)),
            FileWrite(DOCS_FILE, markdown.schema_doc(data, self._doc_tables, self._route_rows)),
        ]
        if "cursor" in targets:
            whole.append(FileWrite(markdown.CURSOR_FILE, markdown.cursor_rules(data)))
        blocks = markdown.block_files(data, targets, self._route_lines, self._table_lines)
        return data, whole, blocks

    def render_tables(self, schema: Schema, origins: Mapping[int, Table] | None = None) -> None:
        """The schema's half of `render` (a one-shot run does it in the child that read the
        models, and hands the parent this renderer's "schema" and "parts" state)."""
        if schema is self._schema:
            return
        tables = self._table_parts_of(schema, origins or {})
        self._tables = [t[0] for t in tables]
        self._tables_text = (
            "[\n" + ",\n".join("    " + t[1] for t in tables) + "\n  ]" if tables else "[]"
        )
        self._doc_tables = "".join(t[2] for t in tables)
        self._table_lines = [t[3] for t in tables]
        self._schema = schema

    def _table_parts_of(self, schema: Schema, origins: Mapping[int, Table]) -> list[TablePart]:
        """Each table rendered again only when something its rendering shows changed (a save
        of the models usually changes one table; a table that only moved down the file gets
        its new line numbers put into the text it had)."""
        incoming: dict[str, list[tuple[Any, ...]]] = {}
        for other in schema.tables:
            for fk in other.foreign_keys:
                unique = len(fk.columns) == 1 and _single_unique(other, fk.columns[0])
                incoming.setdefault(fk.ref_table, []).append((other.name, fk, unique))
        templates: dict[tuple[Any, ...], _Template | None] = {}
        same: dict[int, tuple[Table, tuple[Any, ...], TablePart]] = {}
        by_origin: dict[int, tuple[Table, tuple[Any, ...], _Template | None]] = {}
        parts: dict[tuple[Any, ...], TablePart] = {}
        out = []
        for table in schema.tables:
            refs = tuple(incoming.get(table.name, ()))
            # The watcher's reader hands back the same Table object for a table it did not
            # rebuild: then only what other tables say about it can have changed (and hashing
            # the table for the key below would cost more than everything else).
            known = self._same.get(id(table))
            if known is not None and known[0] is table and known[1] == refs:
                part = known[2]
            elif not self.use_templates:
                # A one-shot run with the renderer from bb's cache: tables equal to last time's,
                # locations included, keep their text.
                key = (_shown(table, refs), _lines(table))
                found = self._parts.get(key)
                part = found if found is not None else _render_table(schema, table)
                parts[key] = part
            else:
                origin = origins.get(id(table))
                moved = self._by_origin.get(id(origin)) if origin is not None else None
                if moved is not None and moved[0] is origin and moved[1] == refs:
                    template = moved[2]
                else:
                    template = self._template(schema, table, refs, templates)
                if origin is not None:
                    by_origin[id(origin)] = (origin, refs, template)
                part = (
                    template.fill(table) if template is not None else _render_table(schema, table)
                )
            same[id(table)] = (table, refs, part)
            out.append(part)
        self._templates = templates
        self._same = same
        self._by_origin = by_origin
        self._parts = parts
        return out

    def _template(
        self,
        schema: Schema,
        table: Table,
        refs: tuple[Any, ...],
        templates: dict[tuple[Any, ...], _Template | None],
    ) -> _Template | None:
        key = _shown(table, refs)
        template = self._templates.get(key, _NO_TEMPLATE)
        if template is _NO_TEMPLATE:
            template = _Template.of(schema, table)
        templates[key] = template
        return template  # type: ignore[no-any-return]

    def _route_parts(
        self, routes: Iterable[routescan.Route]
    ) -> list[tuple[routescan.Route, dict[str, Any], str, str, str]]:
        """Each route rendered once: the route scanner hands back the same object for a route
        whose module did not change."""
        from betterbase_cli.context import markdown

        out = []
        cache: dict[int, tuple[routescan.Route, dict[str, Any], str, str, str]] = {}
        for route in routes:
            hit = self._routes.get(id(route))
            if hit is None or hit[0] is not route:
                item = route_json(route)
                hit = (
                    route,
                    item,
                    _ENCODE(_trim(item)),
                    markdown.route_row(item),
                    markdown.route_line(item),
                )
            cache[id(route)] = hit
            out.append(hit)
        self._routes = cache
        return out


# --- rendering and planning -------------------------------------------------------------------


def render(
    project: Project,
    inputs: ContextInput,
    renderer: Renderer | None = None,
    origins: Mapping[int, Table] | None = None,
) -> Rendered:
    data, whole, blocks = (renderer or Renderer()).render(project, inputs, origins)
    return len(data["tables"]), len(data["routes"]), whole, blocks


def plan_context(
    project: Project,
    inputs: ContextInput,
    force: bool = False,
    renderer: Renderer | None = None,
    known: Mapping[str, str] | None = None,
    written: Mapping[str, str] | None = None,
    origins: Mapping[int, Table] | None = None,
) -> ContextPlan:
    """Render every context file and compare it with the disk (writes nothing).

    ``known`` maps paths to what was rendered into them last time (the watcher keeps it):
    files whose rendering did not change are left out without reading the disk.
    """
    rendered = render(project, inputs, renderer, origins)
    return plan_files(project, rendered, inputs.warnings, force, known, written)


def write_context(project: Project, force: bool = False) -> list[PlannedWrite]:
    """Write every context file of ``project`` (for `bb init`); return what was planned.

    Raises SourceError when a model or route file does not parse.
    """
    from betterbase_cli.context.run import generate

    plan, _ = generate(project, force=force)
    return list(plan.writes)
