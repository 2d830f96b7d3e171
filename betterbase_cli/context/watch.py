"""Keep the context files current while sources change (`bb context --watch`, and `bb dev`).

A watchdog observer reports changed files.  When every changed file has been closed after
writing, the observer's own thread regenerates at once; a worker thread takes the changes that
are not complete yet (a file modified but not closed) after a short quiet period.  Either re-reads
only the changed files (parsed files are cached by hash) and rewrites only the context files
whose text changed.  A file that does not parse mid-edit is reported with file:line; the last
good context stays on disk.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from betterbase_cli.codegen import files
from betterbase_cli.codegen.files import MANIFEST
from betterbase_cli.errors import BetterBaseError
from betterbase_cli.project import CONFIG_FILE, Project, load_project
from betterbase_cli.records import dataclass, field

if TYPE_CHECKING:
    from betterbase_cli.context.build import ContextReader, Renderer

# After the last event of a file closed after writing, wait this long for more before
# regenerating.  Zero: a save is complete when its file is closed (a file written in several
# calls is waited for until then), and files saved while a regeneration runs are taken by the
# next one, so waiting would only add to every save's latency.
DEBOUNCE = 0.0
# A file modified but not yet closed is still being written; give up waiting for it after this.
SETTLE = 0.05
COMPLETE = frozenset({"closed", "moved", "deleted"})  # file events after which a file is whole
SKIP_PARTS = frozenset({"__pycache__", ".git", ".venv", "venv", "node_modules", ".mypy_cache"})


@dataclass(frozen=True)
class WatchEvent:
    """What the watcher did, for the console of `bb context --watch` and `bb dev`."""

    kind: str  # "written", "current", "error", "note", "warning"
    message: str
    paths: tuple[str, ...] = ()
    seconds: float = 0.0  # from the first file event to the context written
    read_seconds: float = 0.0  # of which reading and parsing the changed sources
    cpu_seconds: float = 0.0  # CPU time of the regeneration (what a busy machine cannot inflate)


Listener = Callable[[WatchEvent], None]


@dataclass
class _Pending:
    paths: dict[str, bool] = field(default_factory=dict)  # rel path -> closed after writing
    full: bool = False  # a folder moved or betterbase.toml changed: read everything
    first: float = 0.0
    last: float = 0.0

    def taken(self) -> tuple[set[str] | None, float]:
        """What a regeneration is given: the changed files (None: read everything) and when
        the first event came."""
        return (None if self.full else set(self.paths)), self.first


class Watcher:
    """Regenerates the context when sources change.  `start()` returns at once; `stop()` ends it."""

    def __init__(
        self,
        project: Project,
        on_event: Listener | None = None,
        debounce: float = DEBOUNCE,
        force: bool = False,
    ) -> None:
        from betterbase_cli.context.build import Renderer

        self.project = project
        self.on_event = on_event or (lambda event: None)
        self.debounce = debounce
        self.force = force
        self.reader: ContextReader = self._reader(project)
        self.renderer: Renderer = Renderer(templates=True)
        self._written: dict[str, str] = {}  # path -> content bb last wrote or found current
        # path -> (its stat after bb wrote it, the whole text): while the stat is the same,
        # the file is not read again to check nobody edited it
        self._on_disk: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self._pending = _Pending()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Any = None
        self._refreshing = threading.Lock()  # the first write, observer and worker take turns
        self._warned: set[str] = set()
        # The folders watched, and how to watch others (set by `start`)
        self._folders: list[Path] = []
        self._schedule: Callable[[list[Path]], None] | None = None
        self._folders_due: list[Path] | None = None  # to watch instead (see _note_folders)

    # --- regenerating ------------------------------------------------------------------------

    @staticmethod
    def _reader(project: Project) -> ContextReader:
        from betterbase_cli.context.build import ContextReader
        from betterbase_cli.schema.pyincremental import IncrementalState

        return ContextReader(project, incremental=IncrementalState())

    def refresh(self, changed: Iterable[str] | None = None, started: float | None = None) -> None:
        """Regenerate from the files in ``changed`` (project-relative; None: everything)."""
        with self._refreshing:
            # The cycle collector waits until the context is written (it ran a few times in
            # every save, on a heap of the sources' syntax trees): it runs when the next
            # allocation finds it due, after the bookkeeping.
            _collector_off()
            try:
                self._refresh(changed, started)
            finally:
                _collector_back()

    def _refresh(self, changed: Iterable[str] | None, started: float | None) -> None:
        from betterbase_cli.context import build
        from betterbase_cli.context.plan import apply_plan, record_plan

        begin = started if started is not None else time.perf_counter()
        cpu = time.thread_time()
        read_start = time.perf_counter()
        try:
            if changed is None:
                self.project = load_project(self.project.root)
                self._note_folders()
                self._afresh()
            inputs = self.reader.read(changed)
            read_done = time.perf_counter()
            origins = self.reader.incremental.origins() if self.reader.incremental else None
            plan = build.plan_context(
                self.project,
                inputs,
                self.force,
                self.renderer,
                self._written,
                self._unedited(),
                origins,
            )
            written = apply_plan(self.project, plan, record=False)
        except BetterBaseError as exc:
            message = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
            self.on_event(WatchEvent("error", message + "; the last good context was kept"))
            return
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            self.on_event(WatchEvent("error", f"{exc.strerror or exc}{where}"))
            return
        except Exception as exc:  # a bug of bb's: say so, keep watching, read afresh next time
            self._afresh()
            message = (
                f"bb failed on this change ({type(exc).__name__}: {exc}); the last good context "
                "was kept and the next save is read afresh; please report this with the file "
                "you saved"
            )
            self.on_event(WatchEvent("error", message))
            return
        conflicts = {w.path for w in plan.conflicts}
        self._written.update((p, c) for p, c in plan.rendered.items() if p not in conflicts)
        for note in plan.notes:
            self.on_event(WatchEvent("note", note))
        for warning in plan.warnings:
            if warning not in self._warned:  # say each once, not on every save
                self.on_event(WatchEvent("warning", warning))
        self._warned = set(plan.warnings)
        done = time.perf_counter()
        summary = f"{plan.tables} tables, {plan.routes} routes"
        kind = "written" if written else "current"
        message = f"wrote {', '.join(written)} ({summary})" if written else f"current ({summary})"
        cpu_seconds = time.thread_time() - cpu
        self.on_event(
            WatchEvent(
                kind, message, tuple(written), done - begin, read_done - read_start, cpu_seconds
            )
        )
        # Bookkeeping for later runs, after the context is on disk: the manifest (what bb wrote,
        # for `bb context` to tell a hand edit from its own) and the stats of what was written.
        try:
            from betterbase_cli.context.run import context_record
            from betterbase_cli.records import replace

            keys = (self.reader.route_key(), self.reader.model_key())
            record_plan(
                self.project, replace(plan, record=context_record(self.project, *keys, plan))
            )
        except (BetterBaseError, OSError) as exc:
            self.on_event(WatchEvent("error", f"{MANIFEST} could not be updated: {exc}"))
        self._remember(plan)

    def _afresh(self) -> None:
        """Forget what was read, rendered and written: the next regeneration reads it all."""
        from betterbase_cli.context.build import Renderer

        self.reader = self._reader(self.project)
        self.renderer = Renderer(templates=True)
        self._written.clear()
        self._on_disk.clear()

    def _note_folders(self) -> None:
        """After betterbase.toml was read again, its [schema] or [api] paths may have moved:
        then the worker thread moves the watches and reads everything again (`_move_watches`).
        Not here: a refresh may run on the observer's thread, or hold the lock it waits for."""
        folders = self.folders()
        if self._observer is None or folders == self._folders:
            return
        with self._lock:
            self._folders_due = folders
        self._wake.set()

    def _move_watches(self, folders: list[Path]) -> None:
        """(The worker thread, holding no lock.)  Watch ``folders`` instead."""
        assert self._observer is not None and self._schedule is not None
        self._observer.unschedule_all()
        self._schedule(folders)
        self._folders = folders

    def _unedited(self) -> dict[str, str]:
        """The text of each file bb wrote that still has the stat it had after the write."""
        out = {}
        for path, (stamp, text) in self._on_disk.items():
            if _stamp(self.project.root / path) == stamp:
                out[path] = text
        return out

    def _remember(self, plan: Any) -> None:
        for write in plan.writes:
            if write.action == files.CONFLICT:
                self._on_disk.pop(write.path, None)
                continue
            stamp = _stamp(self.project.root / write.path)
            if stamp is not None:
                self._on_disk[write.path] = (stamp, write.content)

    # --- file events -------------------------------------------------------------------------

    def _relevant(self, path: str) -> str | None:
        if not path.endswith((".py", CONFIG_FILE)):
            return None  # most events are bb's own writes (the context files, temporary files)
        rel = self.project.relative(Path(path))
        parts = rel.split("/")
        if rel.startswith("../") or any(p in SKIP_PARTS for p in parts):
            return None
        if rel == CONFIG_FILE:
            return rel
        return rel if rel.endswith(".py") else None

    def _event(self, event: Any) -> None:
        """Called by the observer's thread for each file event."""
        now = time.perf_counter()
        with self._lock:
            grew = self._merge(event, now)
            taken = self._take_complete() if self._no_more_events() else None
        if taken is not None:
            # Here, not in the worker: waking another thread would only add to the latency.
            # Events that come meanwhile wait in the observer's queue for the next regeneration.
            self.refresh(*taken)
        elif grew:
            self._wake.set()

    def _merge(self, event: Any, now: float) -> bool:
        """Add the event to the pending change; False when it is not about a source."""
        kind = event.event_type
        pending = self._pending
        if event.is_directory:
            if kind not in ("moved", "deleted"):
                return False
            pending.full = True
        else:
            relevant = False
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                rel = self._relevant(str(raw)) if raw else None
                if rel is None:
                    continue
                relevant = True
                if rel == CONFIG_FILE:
                    pending.full = True
                # Closed after writing, renamed into place, or gone: the file is complete.  A
                # created file is still being written (its close follows; one moved in from an
                # unwatched folder, reported as created too, is taken when it has settled).
                pending.paths[rel] = kind in COMPLETE
            if not relevant:
                return False
        if not pending.first:
            pending.first = now
        pending.last = now
        return True

    def _no_more_events(self) -> bool:
        """True when the observer has no more events queued (they may complete the change, or
        add to it: the last of them decides)."""
        observer = self._observer
        return observer is None or observer.event_queue.empty()

    def _take_complete(self) -> tuple[set[str] | None, float] | None:
        """Take the pending change if every file in it was closed after writing (with the lock
        held; None otherwise, or while debouncing, or when stopping)."""
        pending = self._pending
        if not pending.first or self.debounce > 0 or self._stopped.is_set():
            return None
        if not all(pending.paths.values()):
            return None
        self._pending = _Pending()
        return pending.taken()

    def _take(self) -> tuple[set[str] | None, float] | None:
        """Wait until the pending change is complete, or has settled, then take it (None when
        stopping).  The observer's thread takes most changes first; this one is left the
        files modified but not closed yet, and the changes of a watcher with a debounce."""
        while not self._stopped.is_set():
            self._wake.wait()
            if self._stopped.is_set():
                return None
            with self._lock:
                self._wake.clear()  # an event from now on sets it again
                pending = self._pending
                if self._folders_due is not None:
                    self._pending = _Pending()  # everything is read again
                    return None, time.perf_counter()
                if not pending.first:
                    continue
                now = time.perf_counter()
                complete = all(pending.paths.values())
                quiet = now - pending.last
                if (complete and quiet >= self.debounce) or quiet >= SETTLE:
                    self._pending = _Pending()
                    return pending.taken()
                wait = (self.debounce if complete else SETTLE) - quiet
            # Until the next event (the close that completes a write, usually well under a
            # millisecond away) or the time is up; either way, look again.
            self._wake.wait(max(wait, 0.0002))
            self._wake.set()
        return None

    def _run(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            changed, first = taken
            with self._lock:
                folders, self._folders_due = self._folders_due, None
            if folders is not None:
                # Moved first, then read: a save in the new folders from now on is not lost.
                self._move_watches(folders)
            self.refresh(changed, started=first)

    # --- life cycle --------------------------------------------------------------------------

    def folders(self) -> list[Path]:
        """The folders to watch: the app package, the routes and models if elsewhere."""
        candidates = [self.project.root / self.project.package, self.project.routes_dir]
        candidates += [p if p.is_dir() else p.parent for p in self.project.schema_paths]
        folders: list[Path] = []
        for folder in sorted({c.resolve() for c in candidates if c.is_dir()}):
            if not any(folder.is_relative_to(f) for f in folders):
                folders.append(folder)
        return folders

    def start(self) -> Watcher:
        from watchdog.events import (
            DirDeletedEvent,
            DirMovedEvent,
            FileClosedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileSystemEventHandler,
        )
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher._event(event)

        # Reads by bb itself would otherwise come back as opened/closed events.
        wanted = [
            FileModifiedEvent, FileClosedEvent, FileCreatedEvent, FileDeletedEvent,
            FileMovedEvent, DirMovedEvent, DirDeletedEvent,
        ]  # fmt: skip
        observer = Observer()

        def schedule(folders: list[Path]) -> None:
            for folder in folders:
                observer.schedule(Handler(), str(folder), recursive=True, event_filter=wanted)
            # The root, for betterbase.toml and modules there that the models import.  (bb
            # writes the context files there too: their events are dropped by `_relevant`; not
            # watching the root and looking at those files by stat saved no measurable time.)
            observer.schedule(
                Handler(), str(self.project.root), recursive=False, event_filter=wanted
            )

        self._schedule = schedule
        self._folders = self.folders()
        schedule(self._folders)
        observer.daemon = True
        # Watch first, then write: a save during the first write is not lost.
        observer.start()
        self._observer = observer
        self._thread = threading.Thread(target=self._run, name="bb-context-watch", daemon=True)
        self._thread.start()
        self.refresh(None)
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
        if self._thread is not None:
            self._thread.join(timeout=2)


# The cycle collector is the process's: watchers (one per project) turn it off in turns of
# their own, so the first one in saves its state and the last one out puts it back.
_COLLECTOR = threading.Lock()
_collector: list[Any] = [0, False]  # refreshes running, whether it was on before the first


def _collector_off() -> None:
    with _COLLECTOR:
        if not _collector[0]:
            _collector[1] = gc.isenabled()
            gc.disable()
        _collector[0] += 1


def _collector_back() -> None:
    with _COLLECTOR:
        _collector[0] -= 1
        if not _collector[0] and _collector[1]:
            gc.enable()


def _stamp(path: Path) -> tuple[int, int, int, int] | None:
    """A file's identity and change stamps (ctime too: a tool that restores the mtime, such
    as ``cp -p``, still changes it)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def start_watcher(
    project: Project,
    on_event: Listener | None = None,
    debounce: float = DEBOUNCE,
    force: bool = False,
) -> Watcher:
    """Write the context now, then keep it current in background threads; `.stop()` ends it."""
    return Watcher(project, on_event, debounce, force).start()


def print_event(event: WatchEvent) -> None:
    """One line per event on the console (for `bb context --watch` and `bb dev`)."""
    from betterbase_cli.context.command import echo, style

    if event.kind == "written":
        ms = event.seconds * 1000
        echo(style("✓ ", "green") + f"context: {event.message} in {ms:.1f} ms")
    elif event.kind == "error":
        echo(style("error: ", "red", err=True) + event.message, err=True)
    elif event.kind in ("note", "warning"):
        echo(style(f"{event.kind}: ", "yellow", err=True) + event.message, err=True)


def watch(project: Project, force: bool = False, on_event: Listener | None = None) -> None:
    """Blocking: keep the context current until Ctrl-C."""
    from betterbase_cli.context.command import echo

    echo(f"watching {project.root} for model and route changes (Ctrl-C stops)")
    watcher = start_watcher(project, on_event or print_event, force=force)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
