"""The watcher rebuilds only what a save touched (re-parsed chunks, reused tables, templates for
tables that only moved): after every save its context files must be exactly what a fresh,
uncached run renders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from betterbase_cli.context import build
from betterbase_cli.context.watch import Watcher, WatchEvent
from betterbase_cli.project import load_project

Edit = Callable[[str], str]


def fresh_files(root: Path) -> dict[str, str]:
    """{path: text} a run with no caches would leave on disk for the context files."""
    project = load_project(root)
    inputs = build.ContextReader(project).read()
    plan = build.plan_context(project, inputs)
    return {w.path: w.content for w in plan.writes}


def add_columns(class_line: str, *columns: str) -> Edit:
    def edit(text: str) -> str:
        lines = text.split("\n")
        at = lines.index(class_line) + 2
        lines[at:at] = [f"    {c}" for c in columns]
        return "\n".join(lines)

    return edit


def drop_class(class_line: str) -> Edit:
    def edit(text: str) -> str:
        lines = text.split("\n")
        at = lines.index(class_line)
        end = at + 1
        while end < len(lines) and not lines[end].startswith("class "):
            end += 1
        return "\n".join(lines[:at] + lines[end:])

    return edit


def append(source: str) -> Edit:
    return lambda text: text + source


def replace(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


MODELS = "app/db/schema.py"
ROUTER = "app/routes/posts.py"
COMMENTS = "class Comments(TimestampMixin, Base):"
BADGE = (
    '\n\nclass Badge(Base):\n    __tablename__ = "badges"\n\n'
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
)
TOUCHED = "class TimestampMixin:\n    touched: Mapped[int | None] = mapped_column()\n"
OWNER = 'owner_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))'
TAG = 'tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id"))'
EARLY = (
    'class Early(Base):\n    __tablename__ = "early"\n\n'
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    '    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))\n\n\n'
)
SAVES: list[tuple[str, Edit]] = [
    # a column in the middle of the file: every table below moves down
    (MODELS, add_columns(COMMENTS, "note: Mapped[str | None]")),
    (MODELS, add_columns(COMMENTS, "rank: Mapped[int] = mapped_column(default=0)")),
    (MODELS, append(BADGE)),
    (MODELS, add_columns("class Badge(Base):", OWNER)),
    # a table that did not change gains a relation (a foreign key that points at it)
    (MODELS, add_columns("class Badge(Base):", TAG)),
    # a table that moves down and gains a relation at once
    (MODELS, replace(COMMENTS, EARLY + COMMENTS)),
    (MODELS, drop_class(COMMENTS)),  # tables move up
    (MODELS, replace("class TimestampMixin:", TOUCHED)),  # every table changes
    (MODELS, replace('__tablename__ = "badges"', '__tablename__ = "badge_list"')),
    (MODELS, replace("class Badge(Base):", "class Badge(Base):\n    # a comment\n")),
    (ROUTER, append('\n\n@router.get("/feed")\ndef feed() -> None: ...\n')),
    (ROUTER, replace("    limit: int = 20,", "    limit: int = 25,\n    extra: int = 0,")),
    (MODELS, replace("class Badge(Base):", "class Badge(TimestampMixin, Base):")),
]  # fmt: skip


@pytest.mark.parametrize("stop", range(1, len(SAVES) + 1))
def test_each_save_writes_what_a_fresh_run_writes(sample: Path, stop: int) -> None:
    events: list[WatchEvent] = []
    watcher = Watcher(load_project(sample), events.append)
    watcher.refresh(None)
    for rel, edit in SAVES[:stop]:
        path = sample / rel
        path.write_text(edit(path.read_text()))
        watcher.refresh({rel})
        assert events[-1].kind in ("written", "current"), events[-1]
    for rel, text in fresh_files(sample).items():
        assert (sample / rel).read_text() == text, rel


def test_a_context_file_edited_while_watching_is_left_alone(sample: Path) -> None:
    """The watcher does not re-read files it wrote while their stat is unchanged; an edit
    changes the stat, so the edit is seen: the JSON is left alone, the block is put back."""
    events: list[WatchEvent] = []
    watcher = Watcher(load_project(sample), events.append)
    watcher.refresh(None)
    context = sample / ".betterbase-context.json"
    agents = sample / "AGENTS.md"
    edited = context.read_text().replace('"version": 1', '"version": 9')
    context.write_text(edited)
    agents.write_text("My own notes.\n\n" + agents.read_text().replace("### Tables", "### Tablez"))
    models = sample / MODELS
    models.write_text(add_columns("class Posts(TimestampMixin, Base):", "x: Mapped[int]")(
        models.read_text()
    ))  # fmt: skip
    watcher.refresh({MODELS})
    assert context.read_text() == edited
    notes = [e.message for e in events if e.kind == "note"]
    assert any(".betterbase-context.json was edited" in n for n in notes), notes
    text = agents.read_text()
    assert text.startswith("My own notes.\n\n") and "### Tablez" not in text
    assert "x int" in text


SOFT_DELETE = """from __future__ import annotations

import datetime

from sqlalchemy.orm import Mapped, mapped_column


class SoftDelete:
    deleted_at: Mapped[datetime.datetime | None] = mapped_column()
"""


def test_a_module_the_models_import_before_it_exists(sample: Path) -> None:
    """The models import a mixin module not written yet; when it appears, the tables that use
    it gain its columns (the watcher hears of a new file that is no models file yet)."""
    models = sample / MODELS
    models.write_text(
        models.read_text()
        .replace(
            "import datetime\n", "import datetime\n\nfrom app.db.mixins import SoftDelete\n", 1
        )
        .replace(COMMENTS, "class Comments(SoftDelete, TimestampMixin, Base):")
    )
    events: list[WatchEvent] = []
    watcher = Watcher(load_project(sample), events.append)
    watcher.refresh(None)
    (sample / "app/db/mixins.py").write_text(SOFT_DELETE)
    watcher.refresh({"app/db/mixins.py"})
    assert events[-1].kind == "written", events[-1]
    for rel, text in fresh_files(sample).items():
        assert (sample / rel).read_text() == text, rel
    assert "deleted_at" in (sample / ".betterbase-context.json").read_text()
