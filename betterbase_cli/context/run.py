"""One run of `bb context`: plan from the cache when no input changed, else read and render.

The common case (a pre-commit hook, CI, `bb context` twice) changes nothing: then this hashes
the sources, finds the same hashes as last time, and compares the cached rendering with the
disk without importing a parser.  Otherwise the readers run, helped by the parsed-file cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from betterbase_cli.context import cache, sources
from betterbase_cli.project import CONFIG_FILE, Project, find_root, load_project
from betterbase_cli.records import dataclass, field

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

    from betterbase_cli.context.plan import ContextPlan
    from betterbase_cli.forked import Forked


def _config_digest(root: Path) -> str:
    path = root / CONFIG_FILE
    return sources.sha256(path.read_text(encoding="utf-8") if path.is_file() else "")


def open_project() -> tuple[Project, LastRun]:
    """The project around the current folder, and the last run's record checked against it.

    While betterbase.toml has the text the record was made from, its settings come from the
    record: the common run then loads no TOML parser."""
    root = find_root()
    record = cache.load_quick(root)
    known = record or {}
    if isinstance(known.get("settings"), dict) and known.get("config") == _config_digest(root):
        project = Project(root, known["settings"])
    else:
        project = load_project(root)
    return project, _checked(project, record)


def _as_json(settings: dict[str, Any]) -> dict[str, Any] | None:
    """The settings when JSON keeps them as they are (TOML dates, for one, it does not)."""
    try:
        same = json.loads(json.dumps(settings)) == settings
    except (TypeError, ValueError):
        return None
    return settings if same else None


# The two sides of the sources: the route modules (every Python file of the app) and the models.
SIDES = frozenset({"routes", "schema"})


def _changes(project: Project, quick: dict[str, Any]) -> LastRun:
    """The last run's record checked against the sources: which sides have a source whose hash
    is not the one recorded (or a file that came or went; betterbase.toml counts for both),
    and the hashes found: of every route-folder file (by its bytes) and of each recorded
    models file (by its text)."""
    if quick.get("config") != _config_digest(project.root):
        return LastRun(quick, SIDES)
    changed = set()
    recorded = quick.get("routes") or []
    # Every file is hashed (no stopping at the first change): the manifest's check and the
    # reader take these hashes instead of reading the files again.
    routes = _route_digests(project)
    if [rel for rel, _ in recorded] != list(routes) or any(
        routes[rel] != digest for rel, digest in recorded
    ):
        changed.add("routes")
    recorded = quick.get("models") or []
    models = {rel: sources.text_digest(project.root / rel) for rel, _ in recorded}
    if not _model_starts(project) <= models.keys() or any(
        models[rel] != digest for rel, digest in recorded
    ):
        changed.add("schema")
    return LastRun(quick, frozenset(changed), routes, models)


def _route_digests(project: Project) -> dict[str, str]:
    """sha256 of each route-folder file's bytes, by path; "" for a file that cannot be read
    (it matches no recorded hash, and the reader says why)."""
    out = {}
    for rel, path in sources.route_files(project).items():
        try:
            out[rel] = sources.file_digest(path)
        except OSError:
            out[rel] = ""
    return out


def _model_starts(project: Project) -> set[str]:
    """The configured models files, folders listed (a new file in one is a change)."""
    paths = project.schema_paths
    if all(path.is_file() for path in paths):
        # The usual case, answered without the models walker: it loads the schema model, whose
        # dataclasses would cost this whole check a sixth of its time.
        return {project.relative(path) for path in paths}
    from betterbase_cli.schema.sources import model_files

    return {project.relative(path) for path in model_files(paths, project.root)}


@dataclass(frozen=True)
class LastRun:
    """The last run's record (the quick cache), checked once against the sources."""

    record: dict[str, Any] | None
    changed: frozenset[str]  # the sides (SIDES) with a source not as recorded
    # The hashes the check found (empty when it found no record): route-folder files by their
    # bytes, in path order, and the recorded models files by their text (None: unreadable)
    routes: Mapping[str, str] = field(default_factory=dict)
    models: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return self.record is not None and not self.changed


def _checked(project: Project, record: dict[str, Any] | None) -> LastRun:
    return LastRun(None, SIDES) if record is None else _changes(project, record)


def last_run(project: Project) -> LastRun:
    return _checked(project, cache.load_quick(project.root))


def current(
    project: Project, last: LastRun | None = None
) -> tuple[int, int, tuple[str, ...]] | None:
    """(tables, routes, warnings) when no source changed since the last run and every context
    file on disk is what that run rendered; else None.  Loads no parser and no renderer.

    Without bb's cache (a fresh clone in CI), or when the sources changed since it was made,
    the record in the committed manifest answers."""
    last = last or last_run(project)
    quick = last.record
    if quick is None or not last.unchanged:
        # No cache (a fresh clone), or sources changed since bb's last run here: the manifest's
        # record answers when something else (the `--watch` of `bb dev`) has caught up since.
        return committed(project, last)
    record = quick["record"]
    if not _as_recorded(project, quick["whole"], record["blocks"]):
        return None
    return record["tables"], record["routes"], tuple(record["warnings"])


def _as_recorded(
    project: Project, whole: Iterable[tuple[str, str]], blocks: Mapping[str, str]
) -> bool:
    """True when each whole file and each Markdown block body on disk has its recorded hash."""
    from betterbase_cli.context.blocks import written_block

    for rel, digest in whole:
        if sources.text_digest(project.root / rel) != digest:
            return False
    for rel, digest in blocks.items():
        text = _read(project.root / rel)
        body = written_block(text) if text is not None else None
        if body is None or sources.sha256(body) != digest:
            return False
    return True


def _save_quick(
    project: Project,
    routes: list[tuple[str, str]],
    models: list[tuple[str, str]],
    whole: list[tuple[str, str]],
    record: dict[str, Any],
) -> None:
    """bb's own record of a run: the inputs' and whole files' hashes, and the context record
    (counts, warnings, block hashes) the manifest keeps too."""
    cache.save_quick(
        project.root,
        {
            "config": _config_digest(project.root),
            "settings": _as_json(project.config),
            "routes": routes,
            "models": models,
            "whole": whole,
            "record": record,
        },
    )


# --- the record in the manifest: a check without bb's cache -------------------------------------


def inputs_digest(
    project: Project, routes: list[tuple[str, str]], models: list[tuple[str, str]]
) -> str:
    """One hash of everything the context is made from: bb's version, betterbase.toml, and
    each source file read (route-folder files by their bytes, models files by their text).

    A released bb renders the same files from the same inputs; a development checkout edited
    without a new version relies on bb's cache instead, which keys on its own files."""
    from betterbase_cli import __version__

    payload = json.dumps([__version__, _config_digest(project.root), routes, models])
    return sources.sha256(payload)


def context_record(
    project: Project,
    routes: list[tuple[str, str]],
    models: list[tuple[str, str]],
    plan: ContextPlan,
) -> dict[str, Any]:
    """What the manifest keeps so a check with no cache can tell the context is current: the
    inputs' hash, the models files read, the counts and warnings, the context files bb owns
    whole (their hashes are the manifest's), and a hash of each Markdown block's body."""
    from betterbase_cli.codegen.files import digest

    blocks = {
        path: digest(text)
        for path, text in sorted(plan.rendered.items())
        if path not in plan.whole_files
    }
    return {
        "inputs": inputs_digest(project, routes, models),
        "models": [rel for rel, _ in models],
        "tables": plan.tables,
        "routes": plan.routes,
        "warnings": list(plan.warnings),
        "whole": sorted(plan.whole_files),
        "blocks": blocks,
    }


def committed(
    project: Project, last: LastRun | None = None
) -> tuple[int, int, tuple[str, ...]] | None:
    """(tables, routes, warnings) when the manifest's context record matches the sources and
    every context file is as recorded; else None.  Reads no code, and no file whose hash
    ``last`` has."""
    # codegen.files.MANIFEST, not imported: this check needs nothing else of that module
    path = project.root / ".betterbase/manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record, hashes = data["context"], data["files"]
        models = [str(rel) for rel in record["models"]]
        if not _model_starts(project) <= set(models):
            return None
        known = last.models if last is not None else {}
        digests = last.routes if last is not None and last.routes else _route_digests(project)
        routes = list(digests.items())
        model_key = []
        for rel in models:
            digest = known[rel] if rel in known else sources.text_digest(project.root / rel)
            if digest is None:
                return None
            model_key.append((rel, digest))
        if record["inputs"] != inputs_digest(project, routes, model_key):
            return None
        whole = [(rel, hashes[rel]) for rel in record["whole"]]
        if not _as_recorded(project, whole, record["blocks"]):
            return None
        found = int(record["tables"]), int(record["routes"]), tuple(record["warnings"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    # bb's own record, made from the manifest's: the next run here needs neither this check
    # nor betterbase.toml's parser (a fresh clone, or the first run after a bb upgrade).
    _save_quick(project, routes, model_key, whole, record)
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class _Memo:
    """Where schemainput.read_schema leaves its result (as on a ContextReader)."""

    schema_memo: Any = None


def _read_models(project: Project, render: bool) -> tuple[Any, dict[str, Any] | None]:
    """In the child `read_ahead` starts: what ContextReader.read_schema leaves in its
    schema_memo, read with no cache, and with ``render`` the tables rendered (a Renderer's
    "schema" and, for bb's cache, "parts" state)."""
    from betterbase_cli.context import schemainput

    memo = _Memo()
    schemainput.read_schema(project, {}, memo)
    if not render:
        return memo.schema_memo, None
    from betterbase_cli.context.build import Renderer

    renderer = Renderer()
    renderer.render_tables(memo.schema_memo[1][0])
    state = renderer.state()
    # The tables' renderings by value are only kept for bb's cache: without one, not sent
    # (pickling them costs both processes about 5 ms).
    parts = {"parts": state["parts"]} if cache.enabled() else {}
    return memo.schema_memo, {"schema": state["schema"], **parts}


class ModelsAhead:
    """The models, read by a forked child while this process reads the routes; the reader
    takes the result with `schema_memo()`, the renderer the tables the child rendered (when
    it did) from `rendered`."""

    def __init__(self, child: Forked) -> None:
        self.child = child
        self.rendered: dict[str, Any] | None = None  # the child's Renderer state, by part

    def schema_memo(self) -> Any:
        """What the child read (as ContextReader.schema_memo), or None when it failed."""
        from betterbase_cli.forked import FAILED

        found = self.child.result()
        if found is FAILED:
            return None
        memo, self.rendered = found
        return memo

    def finish(self) -> None:
        """Stop the child if its result was not taken (a check that answered, an error)."""
        self.child.cancel()


def read_ahead(project: Project, last: LastRun) -> ModelsAhead | None:
    """When the models changed since the last run (or there is none), start reading them in a
    forked child: the parent meanwhile loads bb's cache and reads the route modules, and
    `prepare` takes the schema from the child.  With no tables' renderings in bb's cache
    to reuse (a first run), the child renders every table too: the parent is then the slower,
    with every route module to parse.  None where no child can help (see `forked.usable`) or
    the models are unchanged (the cached schema answers)."""
    if "schema" not in last.changed:
        return None
    from betterbase_cli import forked

    if not forked.usable():
        return None
    render = not cache.enabled() or not cache.cache_file(project.root, ".parts.pickle").exists()
    # Imported before the fork, so that the child starts reading at once: this process has
    # time to spare (it loads the cache and reads the routes while the child parses), and
    # needs pickle itself.
    import pickle  # noqa: F401

    from betterbase_cli.context import build, schemainput  # noqa: F401
    from betterbase_cli.schema import python_reader  # noqa: F401

    child = forked.start(lambda: _read_models(project, render))
    return ModelsAhead(child) if child is not None else None


def prepare(project: Project, force: bool = False, last: LastRun | None = None) -> ContextPlan:
    """Read the sources and plan every context file (writes nothing but bb's cache).

    ``last`` is what `current` already checked, so the sources are not hashed twice.  The
    models are read by a child where that helps (`read_ahead`).  bb's cache is loaded by part
    (the last schema while the models are unchanged, the tables' renderings when they
    changed), and a part is saved only when this run changed it (by a child, `save_all`)."""
    last = last or last_run(project)
    ahead = read_ahead(project, last)
    try:
        return _prepare(project, force, last, ahead)
    finally:
        if ahead is not None:
            ahead.finish()


def _prepare(
    project: Project, force: bool, last: LastRun, ahead: ModelsAhead | None
) -> ContextPlan:
    from betterbase_cli.codegen.files import digest
    from betterbase_cli.context import build
    from betterbase_cli.context.plan import plan_files
    from betterbase_cli.records import replace

    reader = build.ContextReader(project, ahead=ahead, known=dict(last.routes))
    # The renderer is cached with the reader, part by part (each part one pickle, so object
    # identity holds): while the restored schema is the one it rendered, the tables are not
    # rendered again; while the restored routes are, the routes are not.
    renderer = build.Renderer()
    # Each part is kept with the settings it was made under: another betterbase.toml (say, one
    # the quick record took in from the manifest's) can read other models or another package.
    config = _config_digest(project.root)
    for part in cache.PARTS:
        if part == "parts" and "schema" not in last.changed:
            continue  # the tables' renderings are reused whole
        if part == "schema" and "schema" in last.changed:
            continue  # the models are read again: only the tables' renderings (parts) help
        state = cache.load(project.root, part)
        if state is not None and state.get("config") == config:
            reader.restore(part, state)
            renderer.restore(part, state)
    # (dicts copied: the reader adds to its file cache in place)
    before = {
        part: {name: dict(v) if isinstance(v, dict) else v for name, v in state.items()}
        for part, state in _parts(reader, renderer).items()
    }
    inputs = reader.read()
    if ahead is not None and ahead.rendered is not None:
        for part, state in ahead.rendered.items():
            renderer.restore(part, state)  # the tables, as the child rendered them
    rendered = build.render(project, inputs, renderer)
    # bb's own record of what it rendered last: a file still holding that is bb's, whatever
    # the manifest says (a run cut off before it wrote the manifest)
    last_whole = dict(last.record.get("whole") or []) if last.record else {}
    plan = plan_files(project, rendered, inputs.warnings, force=force, rendered_before=last_whole)
    record = context_record(project, reader.route_key(), reader.model_key(), plan)
    plan = replace(plan, record=record)
    changed = {}
    for part, state in _parts(reader, renderer).items():
        decides = _DECIDES.get(part, state)
        if any(not _same(state[name], before[part].get(name)) for name in decides):
            changed[part] = {**state, "config": config}
    cache.save_all(project.root, changed)
    whole = [(w.path, digest(w.content)) for w in rendered[2]]
    _save_quick(project, reader.route_key(), reader.model_key(), whole, record)
    return plan


# What decides whether a part is saved, where not all of it: the route side is saved when a
# module declaring routes changed or the routes did.  A class added to the models changes what
# linking read, but not the routes: the next run links again (about 1 ms) rather than this one
# saving the route side (about 10 ms).
_DECIDES = {"routes": ("routes", "_routes")}


def _parts(reader: Any, renderer: Any) -> dict[str, dict[str, Any]]:
    """The reader's and the renderer's state, by cache part."""
    out: dict[str, dict[str, Any]] = {part: {} for part in cache.PARTS}
    for owner in (reader, renderer):
        for part, state in owner.state().items():
            out[part].update(state)
    return out


def _same(now: Any, before: Any) -> bool:
    # Identity first: a part a run did not touch holds the very objects it was loaded with.
    return now is before or bool(now == before)


def generate(project: Project, force: bool = False) -> tuple[ContextPlan, list[str]]:
    """Read, plan and write the context files; return the plan and the paths written."""
    from betterbase_cli.context.plan import apply_plan

    plan = prepare(project, force=force)
    return plan, apply_plan(project, plan)
