"""Compare rendered context files with the disk, and write the ones that changed.

Kept apart from the readers and renderers (and light to import) because a run whose inputs
did not change plans straight from the cache and never loads them.
"""

from __future__ import annotations

from collections.abc import Mapping

from betterbase_cli.codegen import files
from betterbase_cli.codegen.files import FileWrite, PlannedWrite
from betterbase_cli.project import Project
from betterbase_cli.records import dataclass, field

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

# What rendering produced: (tables, routes, whole files bb owns, block bodies by path).
Rendered = tuple[int, int, list[FileWrite], dict[str, str]]


@dataclass(frozen=True)
class ContextPlan:
    """Every context file with its new content and what writing it would do."""

    writes: tuple[PlannedWrite, ...]
    whole_files: frozenset[str]  # written through the manifest (bb owns the whole file)
    notes: tuple[str, ...]  # things a person should know (an edited block, a file left alone)
    warnings: tuple[str, ...]  # constructs the readers could not use
    tables: int
    routes: int
    # path -> what bb rendered: the whole text, or the block body for shared Markdown files
    rendered: Mapping[str, str] = field(default_factory=dict)
    # what the manifest records of this rendering for a later check (see run.context_record)
    record: Mapping[str, Any] | None = None

    @property
    def changed(self) -> list[PlannedWrite]:
        return [w for w in self.writes if w.action != files.UNCHANGED]

    @property
    def conflicts(self) -> list[PlannedWrite]:
        return [w for w in self.writes if w.action == files.CONFLICT]


def plan_files(
    project: Project,
    rendered: Rendered,
    warnings: tuple[str, ...],
    force: bool = False,
    known: Mapping[str, str] | None = None,
    written: Mapping[str, str] | None = None,
    rendered_before: Mapping[str, str] | None = None,
) -> ContextPlan:
    """Compare a rendering with the disk.  Files whose text equals ``known`` are skipped;
    ``written`` holds the whole text of files bb wrote and knows unchanged (not read again);
    ``rendered_before`` the hashes of bb's last rendering of whole files (see `files.plan`)."""
    from betterbase_cli.context import markdown

    tables, routes, whole, blocks = rendered
    rendered_text = {w.path: w.content for w in whole} | blocks
    whole_paths = frozenset(w.path for w in whole)
    if known:
        whole = [w for w in whole if known.get(w.path) != w.content]
        blocks = {p: b for p, b in blocks.items() if known.get(p) != b}
    written = written or {}
    planned = (
        files.plan(
            project.root,
            whole,
            force=force,
            written=written,
            empty_is_ours=True,
            rendered=rendered_before,
        )
        if whole
        else []
    )
    notes = [
        f"{p.path} was edited since bb wrote it and was left alone "
        "(see the change with --dry-run, replace it with --force)"
        for p in planned
        if p.action == files.CONFLICT
    ]
    for path, body in sorted(blocks.items()):
        write, note = markdown.plan_block(project.root, path, body, written.get(path))
        planned.append(write)
        if note:
            notes.append(note)
    return ContextPlan(
        writes=tuple(sorted(planned, key=lambda p: p.path)),
        whole_files=whole_paths,
        notes=tuple(notes),
        warnings=warnings,
        tables=tables,
        routes=routes,
        rendered=rendered_text,
    )


def apply_plan(project: Project, plan: ContextPlan, record: bool = True) -> list[str]:
    """Write what changed (never a conflict); return the paths written.  Without ``record``,
    the caller records the whole files in the manifest with `record_plan` (the watcher does,
    after it has said the context is written)."""
    changed = [w for w in plan.changed if w.action != files.CONFLICT]
    # The files bb owns whole are made from the sources again at will; the Markdown files
    # hold the user's text too, so they are written durably.
    for write in changed:
        durable = write.path not in plan.whole_files
        files.write_atomic(project.root / write.path, write.content, durable)
    if record:
        record_plan(project, plan)
    return [w.path for w in changed]


def record_plan(project: Project, plan: ContextPlan) -> None:
    """Record in the manifest the whole files `apply_plan(record=False)` wrote, and the plan's
    context record when a context file changed: a source edit that changes no context file
    (a helper module, a comment) leaves the manifest alone, so a pre-commit hook has nothing
    to add; the record is then out of date, and a check without bb's cache reads everything.
    Never when a file was left alone (the record says the files are current); always when
    the manifest has no record yet."""
    changed = [w for w in plan.changed if w.action != files.CONFLICT]
    # Every whole file that holds bb's rendering, written now or found so: a run cut off
    # between writing the files and the manifest left them current and the manifest not, and
    # an edit would otherwise be called a conflict later (the manifest is written only when
    # a hash in it changes).
    whole = {
        w.path: w.content
        for w in plan.writes
        if w.path in plan.whole_files and w.action != files.CONFLICT
    }
    record = None
    if plan.record is not None and not plan.conflicts:
        if changed or files.read_context_record(project.root) is None:
            record = plan.record
    if whole or record is not None:
        files.record_contents(project.root, whole, record)
