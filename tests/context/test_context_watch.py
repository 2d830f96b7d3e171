"""`--watch`: saves update the context, a file that does not parse is survived, then recovered."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run_bb

from betterbase_cli.context.watch import Watcher, WatchEvent, start_watcher
from betterbase_cli.project import load_project

WAIT = 30.0  # generous: CI machines are slow; a hang fails the test, slowness does not


@pytest.fixture
def watching(sample: Path) -> Iterator[tuple[Watcher, queue.Queue[WatchEvent]]]:
    events: queue.Queue[WatchEvent] = queue.Queue()
    watcher = start_watcher(load_project(sample), events.put)
    try:
        yield watcher, events
    finally:
        watcher.stop()


def next_outcome(events: queue.Queue[WatchEvent]) -> WatchEvent:
    """The next event that ends a regeneration (written, current or error)."""
    while True:
        event = events.get(timeout=WAIT)
        if event.kind in ("written", "current", "error"):
            return event


def context(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / ".betterbase-context.json").read_text())
    return data


def test_saves_update_the_context_and_a_broken_file_is_survived(
    sample: Path, watching: tuple[Watcher, queue.Queue[WatchEvent]]
) -> None:
    _, events = watching
    assert next_outcome(events).kind == "written"  # the first full write
    router = sample / "app/routes/posts.py"
    good = router.read_text()

    router.write_text(good + '\n\n@router.get("/feed")\ndef feed() -> None: ...\n')
    event = next_outcome(events)
    assert event.kind == "written" and ".betterbase-context.json" in event.paths
    assert event.seconds >= event.read_seconds > 0
    assert "/api/posts/feed" in (sample / "AGENTS.md").read_text()
    last_good = (sample / ".betterbase-context.json").read_bytes()

    router.write_text(good + '\n\n@router.get("/feed")\ndef feed(:\n')
    event = next_outcome(events)
    assert event.kind == "error" and "app/routes/posts.py:" in event.message
    assert "last good context was kept" in event.message
    assert (sample / ".betterbase-context.json").read_bytes() == last_good

    router.write_text(good + '\n\n@router.get("/feed2")\ndef feed() -> None: ...\n')
    event = next_outcome(events)
    assert event.kind == "written"
    paths = {r["path"] for r in context(sample)["routes"]}  # type: ignore[attr-defined]
    assert "/api/posts/feed2" in paths and "/api/posts/feed" not in paths
    assert_same_as_a_full_run(sample)


def test_a_betterbase_toml_edit_reads_everything_again(
    sample: Path, watching: tuple[Watcher, queue.Queue[WatchEvent]]
) -> None:
    """Dropping an AI target from betterbase.toml stops its file being written, a broken
    betterbase.toml is reported, and fixing it recovers."""
    _, events = watching
    assert next_outcome(events).kind == "written"
    config = sample / "betterbase.toml"
    text = config.read_text()
    config.write_text(text.replace('"cursor", ', ""))
    event = next_outcome(events)  # read again; no file changes (bb leaves the Cursor file)
    assert event.kind == "current", event.message
    (sample / ".cursor/rules/betterbase.mdc").unlink()
    router = sample / "app/routes/posts.py"
    router.write_text(router.read_text() + '\n\n@router.get("/feed")\ndef feed() -> None: ...\n')
    assert next_outcome(events).kind == "written"
    assert not (sample / ".cursor/rules/betterbase.mdc").exists()  # the new settings hold

    config.write_text(text + "\n[broken\n")
    event = next_outcome(events)
    assert event.kind == "error" and "betterbase.toml" in event.message
    config.write_text(text)
    assert next_outcome(events).kind == "written"
    assert (sample / ".cursor/rules/betterbase.mdc").exists()
    assert_same_as_a_full_run(sample)


def test_models_moved_by_betterbase_toml_are_watched_where_they_are_now(
    sample: Path, watching: tuple[Watcher, queue.Queue[WatchEvent]]
) -> None:
    """[schema] paths pointed at a folder outside the watched ones: the watcher watches it from
    then on (before, it kept the folders it started with until restarted)."""
    _, events = watching
    assert next_outcome(events).kind == "written"
    moved = sample / "models/schema.py"
    moved.parent.mkdir()
    moved.write_text((sample / "app/db/schema.py").read_text())
    config = sample / "betterbase.toml"
    config.write_text(config.read_text().replace('"app/db/schema.py"', '"models/schema.py"'))
    assert next_outcome(events).kind == "written"  # the locations now name models/schema.py
    moved.write_text(
        moved.read_text() + '\n\nclass Extra(Base):\n    __tablename__ = "extra"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    event = next_outcome(events)
    assert event.kind == "written", event.message
    assert "extra" in {t["name"] for t in context(sample)["tables"]}  # type: ignore[attr-defined]
    with pytest.raises(queue.Empty):  # and then it rests (no reading again and again)
        events.get(timeout=1.0)
    assert_same_as_a_full_run(sample)


def assert_same_as_a_full_run(root: Path) -> None:
    """What the watcher wrote from its caches is what a fresh, uncached run writes (and it
    left no temporary file behind)."""
    result = run_bb("context", "--check", cwd=root, env={"BB_NO_CACHE": "1"})
    assert result.returncode == 0, result.stderr
    assert not list(root.rglob("*.tmp")), "a temporary file was left"


def test_a_new_table_and_a_new_router_appear(
    sample: Path, watching: tuple[Watcher, queue.Queue[WatchEvent]]
) -> None:
    _, events = watching
    next_outcome(events)
    models = sample / "app/db/schema.py"
    models.write_text(
        models.read_text() + '\n\nclass Badge(Base):\n    __tablename__ = "badges"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    assert next_outcome(events).kind == "written"
    assert "badges" in {t["name"] for t in context(sample)["tables"]}  # type: ignore[attr-defined]

    # A new module, then its registration: the watcher learns about files it has not seen.
    (sample / "app/routes/badges.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/badges')\n\n\n"
        "@router.get('')\ndef list_badges() -> list[int]:\n    return []\n"
    )
    next_outcome(events)
    registry = sample / "app/routes/__init__.py"
    registry.write_text(
        registry.read_text() + "\nfrom app.routes import badges  # noqa: E402\n\n"
        "api_router.include_router(badges.router)\n"
    )
    assert next_outcome(events).kind == "written"
    routes = {(r["method"], r["path"]) for r in context(sample)["routes"]}  # type: ignore[attr-defined]
    assert ("GET", "/api/badges") in routes

    models.write_text(models.read_text().replace('"badges"', '"badge_list"'))
    assert next_outcome(events).kind == "written"
    assert_same_as_a_full_run(sample)

    (sample / "app/routes/badges.py").unlink()
    event = next_outcome(events)
    assert event.kind == "written"
    assert "not an APIRouter" in (sample / "AGENTS.md").read_text()
    assert_same_as_a_full_run(sample)


def test_watch_command_runs_until_interrupted(sample: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "betterbase_cli", "context", "--watch"],
        cwd=sample,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        target = sample / ".betterbase-context.json"
        deadline = time.monotonic() + WAIT
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        first = target.read_text()
        router = sample / "app/routes/tags.py"
        router.write_text(
            router.read_text() + '\n\n@router.get("/cloud")\ndef cloud() -> None: ...\n'
        )
        while target.read_text() == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "/api/tags/cloud" in target.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert "watching" in out and "wrote .betterbase-context.json" in out
    assert "Traceback" not in err


def test_a_save_during_a_regeneration_is_taken_by_the_next(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The observer's thread regenerates while the events of a second save wait in its queue:
    they make the next regeneration, nothing is lost."""
    from betterbase_cli.context import build

    events: queue.Queue[WatchEvent] = queue.Queue()
    watcher = start_watcher(load_project(sample), events.put)
    try:
        assert next_outcome(events).kind == "written"
        tags = sample / "app/routes/tags.py"
        read = build.ContextReader.read
        saved: list[str] = []

        def read_and_save(reader: build.ContextReader, changed: object = None) -> object:
            if not saved:  # the first regeneration: save another file while it runs
                saved.append("tags")
                tags.write_text(
                    tags.read_text() + '\n\n@router.get("/cloud")\ndef cloud() -> None: ...\n'
                )
            return read(reader, changed)  # type: ignore[arg-type]

        monkeypatch.setattr(build.ContextReader, "read", read_and_save)
        router = sample / "app/routes/posts.py"
        router.write_text(
            router.read_text() + '\n\n@router.get("/feed")\ndef feed() -> None: ...\n'
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert next_outcome(events).kind == "written"
            paths = {r["path"] for r in context(sample)["routes"]}  # type: ignore[attr-defined]
            if "/api/tags/cloud" in paths:
                break
        assert {"/api/posts/feed", "/api/tags/cloud"} <= paths
    finally:
        watcher.stop()
    assert_same_as_a_full_run(sample)


def test_only_a_complete_change_is_taken_at_once(sample: Path) -> None:
    """The observer's thread regenerates when every changed file was closed after writing; a
    file modified (or created) but not closed yet is left to the worker, which waits for it."""
    from watchdog.events import (
        FileClosedEvent,
        FileCreatedEvent,
        FileModifiedEvent,
        FileMovedEvent,
    )

    watcher = Watcher(load_project(sample), lambda event: None)  # not started: no threads
    taken: list[tuple[set[str] | None, float]] = []
    watcher.refresh = lambda changed=None, started=None: taken.append((changed, started))  # type: ignore[method-assign]
    router, new = str(sample / "app/routes/posts.py"), str(sample / "app/routes/new.py")

    watcher._event(FileModifiedEvent(router))
    watcher._event(FileCreatedEvent(new))
    watcher._event(FileClosedEvent(router))
    watcher._event(FileClosedEvent(str(sample / ".betterbase-context.json")))  # not a source
    assert taken == []
    watcher._event(FileClosedEvent(new))
    assert [t[0] for t in taken] == [{"app/routes/posts.py", "app/routes/new.py"}]

    # A save by rename is complete at once; bb's own writes are no sources.
    watcher._event(FileMovedEvent(str(sample / "app/routes/.posts.py.swp"), router))
    watcher._event(FileMovedEvent(str(sample / ".AGENTS.md.1.tmp"), str(sample / "AGENTS.md")))
    assert [t[0] for t in taken[1:]] == [{"app/routes/posts.py"}]

    # Modified, never closed: the worker takes it once it has settled.
    watcher._event(FileModifiedEvent(router))
    assert len(taken) == 2
    changed, first = watcher._take() or (None, 0.0)
    assert changed == {"app/routes/posts.py"} and first > 0


def test_a_bug_in_a_reader_is_reported_and_the_watcher_goes_on(
    sample: Path,
    watching: tuple[Watcher, queue.Queue[WatchEvent]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An exception bb did not expect (a reader's bug on some code) is one error line; the last
    good context stays, and the next save is read afresh and written."""
    from betterbase_cli.context import build

    watcher, events = watching
    next_outcome(events)
    before = (sample / ".betterbase-context.json").read_text()
    read = build.ContextReader.read

    def broken(self: build.ContextReader, changed: object = None) -> object:
        raise RuntimeError("a reader's bug")

    monkeypatch.setattr(build.ContextReader, "read", broken)
    models = sample / "app/db/schema.py"
    models.write_text(models.read_text() + "\n# a comment\n")
    event = next_outcome(events)
    assert event.kind == "error" and "RuntimeError: a reader's bug" in event.message
    assert (sample / ".betterbase-context.json").read_text() == before
    monkeypatch.setattr(build.ContextReader, "read", read)
    models.write_text(
        models.read_text() + '\n\nclass Badge(Base):\n    __tablename__ = "badges"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    assert next_outcome(events).kind == "written"
    assert "badges" in {t["name"] for t in context(sample)["tables"]}  # type: ignore[attr-defined]
    assert_same_as_a_full_run(sample)


def test_a_module_at_the_root_the_models_import_is_watched(sample: Path) -> None:
    """(review) The models import a module at the project root (mixins.py): its edits reach
    the context, as they did while the root was watched."""
    schema = sample / "app/db/schema.py"
    text = schema.read_text()
    start = text.index("class TimestampMixin:")
    end = text.index("\n\n\nclass", start)
    (sample / "mixins.py").write_text(
        "import datetime\n\nfrom sqlalchemy import DateTime, func\n"
        "from sqlalchemy.orm import Mapped, mapped_column\n\n\n" + text[start:end] + "\n"
    )
    schema.write_text(text[:start] + "from mixins import TimestampMixin\n" + text[end:])
    events: queue.Queue[WatchEvent] = queue.Queue()
    watcher = start_watcher(load_project(sample), events.put)
    try:
        assert next_outcome(events).kind == "written"
        mixins = sample / "mixins.py"
        mixins.write_text(mixins.read_text() + "    deleted: Mapped[bool] = mapped_column()\n")
        assert next_outcome(events).kind == "written"
    finally:
        watcher.stop()
    assert_same_as_a_full_run(sample)


def test_watchers_in_one_process_leave_the_cycle_collector_as_they_found_it() -> None:
    """Refreshes turn the collector off; overlapping ones (two watchers) in any order put back
    the state from before the first."""
    import gc

    from betterbase_cli.context import watch

    was = gc.isenabled()
    try:
        for before in (True, False):
            gc.enable() if before else gc.disable()
            watch._collector_off()  # watcher A
            watch._collector_off()  # watcher B, while A runs
            assert not gc.isenabled()
            watch._collector_back()  # A ends first
            assert not gc.isenabled()
            watch._collector_back()
            assert gc.isenabled() is before
    finally:
        gc.enable() if was else gc.disable()
