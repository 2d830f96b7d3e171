"""Benchmark `bb generate context` (cold, fresh process) and `--watch` (save -> context written).

The project: 60 tables (foreign keys, indexes) and 60 routers of 5 routes (+ auth, health,
websocket), written by tests/context/sample_project.py.  Every figure is printed next to a
baseline measured in the same run, because these machines are shared and noisy.

    python tests/benchmarks/bench_context.py [--runs 15] [--saves 40] [--tables 60]
    python tests/benchmarks/bench_context.py --against REV   # this tree vs REV, in turns

Cold: median wall of fresh processes (`python -c pass` and `bb --help` are the floors): a
first run with no cache, reruns with nothing changed (the pre-commit case), and reruns after
one router or the models changed; then an in-process split of where the time goes (parsing vs
the rest) and, for the choice of parser, the same files parsed by libcst.

Watch: a watcher runs in each of --watch-processes fresh processes (pooled: one process can
be 1.5x slower than the next on these machines); each save writes one file and waits for the
watcher's "written" event; median and p95 of the wall time from the save's end (the file
closed: the goal's measure) to the event, the same from before the editor's write, the
regeneration's reading and parsing, and CPU time (the regenerating thread's, and the whole
process's).
Saves add at the end of a file and edit its middle (so everything below moves down), each save
different from the last (1 to 3 lines added, in turn).
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from context.sample_project import write_sample_project  # noqa: E402

PY = sys.executable
BB = str(Path(PY).with_name("bb"))


def env() -> dict[str, str]:
    # Installed packages ship compiled bytecode; let this run cache it too (a warm-up run
    # writes it), so the figures are what users see, not compile time.
    out = {**os.environ, "NO_COLOR": "1"}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


CPU: list[float] = []  # CPU seconds (user + system) of the processes timed by wall()


def wall(cmd: list[str], cwd: Path, extra: dict[str, str] | None = None) -> float:
    """Wall seconds of one fresh process; its CPU seconds go to CPU (a shared machine's load
    stretches wall time much more than CPU time)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**env(), **(extra or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-400:]}")
    if proc.stderr:
        proc.stderr.close()
    CPU.append(usage.ru_utime + usage.ru_stime)
    settle(cwd, extra or {})
    return elapsed


def settle(root: Path, extra: dict[str, str]) -> None:
    """Wait (untimed) until the child a run left saving bb's cache is done, as it is long
    before a person runs bb again; the next run would otherwise wait for it."""
    from betterbase_cli.context import cache

    saved = os.environ.get("XDG_CACHE_HOME")
    if "XDG_CACHE_HOME" in extra:
        os.environ["XDG_CACHE_HOME"] = extra["XDG_CACHE_HOME"]
    try:
        cache.settle(root)
    finally:
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved


def median_of(runs: int, once: Callable[[], float]) -> float:
    once()  # warm-up: page cache, bytecode
    CPU.clear()
    return statistics.median(once() for _ in range(runs))


def row(label: str, seconds: float, base: float | None = None, extra: str = "") -> None:
    ratio = f"{seconds / base:6.2f}x" if base else "       "
    print(f"  {label:<52} {seconds * 1000:8.1f} ms  {ratio}  {extra}")


def cpu_note() -> str:
    return f"cpu {statistics.median(CPU) * 1000:6.1f} ms" if CPU else ""


def bench_cold(root: Path, runs: int) -> None:
    print(f"\ncold, fresh process each (median of {runs})")
    floor = median_of(runs, lambda: wall([PY, "-c", "pass"], root))
    row("python -c pass (interpreter floor)", floor, extra=cpu_note())
    cli = median_of(runs, lambda: wall([BB, "--help"], root))
    row("bb --help (CLI floor: click and the command table)", cli, floor, cpu_note())
    outputs = [".betterbase-context.json", "AGENTS.md", "CLAUDE.md", "docs/schema.md",
               ".cursor", ".github", ".betterbase"]  # fmt: skip

    def first_write(extra: dict[str, str]) -> float:
        for name in outputs:
            path = root / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        return wall([BB, "generate", "context"], root, extra)

    no_cache = {"BB_NO_CACHE": "1"}
    first = median_of(runs, lambda: first_write(no_cache))
    row("bb generate context, first run (no cache, writes all)", first, cli, cpu_note())
    same = median_of(runs, lambda: wall([BB, "generate", "context"], root))
    row("bb generate context, nothing changed (cache)", same, cli, cpu_note())
    check = median_of(runs, lambda: wall([BB, "context", "--check"], root))
    row("bb context --check, nothing changed (cache)", check, cli, cpu_note())
    # A fresh clone in CI: no cache folder at all; the manifest's record answers.
    clone = median_of(
        runs,
        lambda: wall([BB, "context", "--check"], root, {"XDG_CACHE_HOME": tempfile.mkdtemp()}),
    )
    row("bb context --check, nothing changed (no cache: a clone)", clone, cli, cpu_note())
    router = root / "app/routes/posts.py"
    original = router.read_text()
    count = iter(range(10_000))

    def one_router_changed() -> float:
        router.write_text(_edit_route(original, next(count)))
        return wall([BB, "generate", "context"], root)

    changed = median_of(runs, one_router_changed)
    row("bb generate context, one router changed (cache)", changed, cli, cpu_note())
    models = root / "app/db/schema.py"
    original_models = models.read_text()

    def models_changed() -> float:
        models.write_text(_edit_models(original_models, next(count)))
        return wall([BB, "generate", "context"], root)

    models_time = median_of(runs, models_changed)
    row("bb generate context, the models changed (cache)", models_time, cli, cpu_note())
    router.write_text(original)
    models.write_text(original_models)
    wall([BB, "generate", "context"], root)


def bench_split(root: Path, runs: int) -> None:
    """Where a cold run's time goes, measured in this process."""
    from betterbase_cli.context import build
    from betterbase_cli.context import routes as routescan
    from betterbase_cli.project import load_project
    from betterbase_cli.schema import python_reader

    project = load_project(root)
    files = sorted((root / "app").rglob("*.py"))
    texts = [(p.relative_to(root).as_posix(), p.read_text()) for p in files]
    route_texts = [(rel, text) for rel, text in texts if routescan.is_candidate(text)]
    models = (root / "app/db/schema.py").read_text()

    def timed(fn: Callable[[], object]) -> float:
        return median_of(runs, lambda: _seconds(fn))

    total = timed(lambda: build.plan_context(project, build.ContextReader(project).read()))
    ast_routes = timed(lambda: [ast.parse(t) for _, t in route_texts])
    scans = timed(lambda: [routescan.scan_module(t, r) for r, t in route_texts])
    ast_models = timed(lambda: ast.parse(models))
    parsed = (
        python_reader.parse_models_file.__wrapped__
        if hasattr(python_reader.parse_models_file, "__wrapped__")
        else python_reader.parse_models_file
    )
    module = parsed(models, "app/db/schema.py")
    schema = timed(lambda: python_reader.build_schema([module]))
    scanned = [routescan.scan_module(t, r) for r, t in route_texts]
    link = timed(lambda: routescan.link_routes(scanned, "app"))
    inputs = build.ContextReader(project).read()
    render = timed(lambda: build.plan_context(project, inputs))
    print(f"\nin-process split of one full run (median of {runs}; {len(route_texts)} route "
          f"modules, {len(files)} files)")  # fmt: skip
    row("read + plan everything (no writes)", total)
    row("  ast.parse of the route modules", ast_routes, total, "(parsing)")
    row("  scan of the route modules (ast.parse included)", scans, total)
    row("  ast.parse of app/db/schema.py", ast_models, total, "(parsing)")
    row("  build_schema (the models reader, after parsing)", schema, total)
    row("  link routes (prefixes, auth)", link, total)
    row("  render + compare the context files", render, total)
    try:
        import libcst
    except ImportError:
        return
    cst = timed(lambda: [libcst.parse_module(t) for _, t in route_texts])
    cst_models = timed(lambda: libcst.parse_module(models))
    print("\nparser choice: the same files with libcst (needed only to edit code, not to read it)")
    row("libcst.parse_module of the route modules", cst, ast_routes, "vs ast.parse")
    row("libcst.parse_module of app/db/schema.py", cst_models, ast_models, "vs ast.parse")
    _tree_sitter_rows(route_texts, models, timed, ast_routes, ast_models)


def _tree_sitter_rows(
    route_texts: list[tuple[str, str]],
    models: str,
    timed: Callable[[Callable[[], object]], float],
    ast_routes: float,
    ast_models: float,
) -> None:
    """tree-sitter, when installed (`pip install tree-sitter tree-sitter-python`): its C parser
    is faster than ast.parse, but a reader in Python must then visit its nodes one call at a
    time; visiting each node once, doing nothing, is the least a reader would cost."""
    try:
        import tree_sitter
        import tree_sitter_python
    except ImportError:
        return
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
    encoded = [t.encode() for _, t in route_texts]

    def visit(source: bytes) -> int:
        """The number of nodes, each visited once."""
        cursor, count = parser.parse(source).walk(), 1
        while True:
            if cursor.goto_first_child():
                count += 1
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return count
            count += 1

    print("\nparser choice: tree-sitter (C; its tree is read from Python one call a node)")
    row("tree-sitter parse of the route modules", timed(lambda: [parser.parse(b) for b in encoded]),
        ast_routes, "vs ast.parse")  # fmt: skip
    row("  and visiting each node once", timed(lambda: [visit(b) for b in encoded]), ast_routes,
        "vs ast.parse")  # fmt: skip
    row("tree-sitter parse of app/db/schema.py", timed(lambda: parser.parse(models.encode())),
        ast_models, "vs ast.parse")  # fmt: skip
    row("  and visiting each node once", timed(functools.partial(visit, models.encode())),
        ast_models, "vs ast.parse")  # fmt: skip


def _seconds(fn: Callable[[], object]) -> float:
    """Wall seconds of fn(), with the cycle collector off as in a one-shot `bb context`."""
    import gc

    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


WATCH_KINDS = (
    ("a router: a route added at its end", "app/routes/posts.py", "_edit_route"),
    ("a router: a parameter added to its first route", "app/routes/posts.py",
     "_edit_route_middle"),
    ("the models: a table added at the end", "app/db/schema.py", "_edit_models"),
    ("the models: a column added mid-file (30 tables move)", "app/db/schema.py",
     "_edit_models_middle"),
)  # fmt: skip
WATCH_METRICS = (
    ("after", "from the save's end to the context written"),
    # An editor's save truncates and rewrites the file: on ext4 that waits for the data to be
    # written out (auto_da_alloc), a cost bb's timing includes but cannot change.
    ("whole", "the same with the editor's write"),
    ("parse", "reading + parsing the changed sources"),
    ("cpu", "CPU time of the regenerating thread"),
    # Every thread: watchdog's (which also hear bb's own writes) and the writers'.
    ("process", "CPU time of the process, save's end to written"),
)


def watch_samples(root: Path, saves: int) -> dict[str, dict[str, list[float]]]:
    """In this process: a watcher on ``root``, ``saves`` saves of each kind (after two that
    warm the caches); the seconds of each metric, by kind."""
    from betterbase_cli.context.watch import WatchEvent, start_watcher
    from betterbase_cli.project import load_project

    done = threading.Event()
    last: list[tuple[float, float, WatchEvent]] = []

    def on_event(event: WatchEvent) -> None:
        if event.kind in ("written", "current", "error"):
            # Timed here, in the watcher's thread: waking the benchmark's thread is not bb's.
            last.append((time.perf_counter(), time.process_time(), event))
            done.set()

    watcher = start_watcher(load_project(root), on_event)
    done.wait(30)
    out: dict[str, dict[str, list[float]]] = {}
    try:
        for label, rel, edit_name in WATCH_KINDS:
            edit = globals()[edit_name]
            path = root / rel
            original = path.read_text()
            values: dict[str, list[float]] = {key: [] for key, _ in WATCH_METRICS}
            for i in range(saves + 2):
                done.clear()
                last.clear()
                text = edit(original, i)
                start = time.perf_counter()
                path.write_text(text)  # the editor's save: the file is saved when it is closed
                saved, saved_cpu = time.perf_counter(), time.process_time()
                if not done.wait(30):
                    raise SystemExit("the watcher did not answer in 30 s")
                at, at_cpu, event = last[-1]
                if event.kind != "written":
                    raise SystemExit(f"unexpected watch event: {event}")
                if i >= 2:  # the first saves warm the caches
                    values["after"].append(at - saved)
                    values["whole"].append(at - start)
                    values["parse"].append(event.read_seconds)
                    values["cpu"].append(event.cpu_seconds)
                    values["process"].append(at_cpu - saved_cpu)
                time.sleep(0.02)
            path.write_text(original)
            done.wait(30)
            time.sleep(0.2)
            out[label] = values
    finally:
        watcher.stop()
    return out


def _watch_child(root: Path, saves: int, tree: Path) -> dict[str, dict[str, list[float]]]:
    """`watch_samples` in a fresh process running the bb of ``tree`` (PYTHONPATH)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    found = subprocess.run(
        [PY, __file__, "--watch-child", str(root), "--saves", str(saves)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        raise SystemExit(f"the watch benchmark's child failed: {found.stderr[-800:]}")
    samples: dict[str, dict[str, list[float]]] = json.loads(found.stdout)
    return samples


def bench_watch(root: Path, saves: int, processes: int) -> None:
    """The watch figures pooled over ``processes`` fresh processes: on these machines one
    process can run the same code 1.5x slower than the next (seen here: medians of 6.3 and
    10.0 ms for the same saves), so a single process's median says little."""
    print(
        f"\n--watch: save one file -> context written ({saves} saves of each kind in each of"
        f" {processes} fresh processes; goal from the save's end: median < 10 ms, p95 < 30 ms)"
    )
    runs = [_watch_child(root, saves, REPO) for _ in range(processes)]
    for label, _, _ in WATCH_KINDS:
        print(f"  {label}")
        for key, text in WATCH_METRICS:
            _watch_row(text, [v for run in runs for v in run[label][key]])
        per = sorted(statistics.median(run[label]["after"]) * 1000 for run in runs)
        print(f"    {'medians of each process (from the save end)':<50} "
              + " ".join(f"{m:.1f}" for m in per) + " ms")  # fmt: skip


def _watch_row(label: str, values: list[float]) -> None:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    row(f"  {label}: median", statistics.median(ordered), extra=f"p95 {p95 * 1000:6.1f} ms")


def _edit_route(text: str, i: int) -> str:
    return text + f'\n\n@router.get("/extra{i}")\ndef extra{i}() -> None: ...\n'


def _edit_route_middle(text: str, i: int) -> str:
    lines = text.split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith("    limit: int = "))
    lines[at + 1 : at + 1] = [f"    extra_{j}: int = {j}," for j in range(i % 3 + 1)]
    return "\n".join(lines)


def _edit_models_middle(text: str, i: int) -> str:
    lines = text.split("\n")
    classes = [n for n, line in enumerate(lines) if line.startswith("class ")]
    at = classes[len(classes) // 2] + 2
    column = "    extra_{}: Mapped[int | None] = mapped_column()"
    lines[at:at] = [column.format(j) for j in range(i % 3 + 1)]
    return "\n".join(lines)


def _edit_models(text: str, i: int) -> str:
    return text + (
        f'\n\nclass Extra{i}(Base):\n    __tablename__ = "extra_{i}"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )


# bb run from a source tree given by PYTHONPATH (this checkout, or an older revision's).
# (The console script's function: `script` where the tree has one, else `main`.)
LAUNCH = (
    "import sys; from betterbase_cli import entry; sys.argv[0] = 'bb'; "
    "getattr(entry, 'script', entry.main)()"
)


def bench_against(
    rev: str, runs: int, tables: int, tmp: Path, saves: int = 40, processes: int = 0
) -> None:
    """The cold runs of this checkout and of revision ``rev`` in turns, in the same run: each
    has its own copy of the project and its own cache; medians and the ratio new / old.  With
    ``processes``, the watch saves too (`against_watch`)."""
    old_tree = tmp / "old-tree"
    old_tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "betterbase_cli"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive.stdout, check=True)
    trees = {"old": old_tree, "new": REPO}
    roots = {name: tmp / f"{name}-project" for name in trees}
    for root in roots.values():
        write_sample_project(root, tables=tables)
    router, models = "app/routes/posts.py", "app/db/schema.py"
    originals = {rel: (roots["new"] / rel).read_text() for rel in (router, models)}
    count = iter(range(100_000))

    def bb(name: str, *args: str, extra: dict[str, str] | None = None) -> float:
        env = {"PYTHONPATH": str(trees[name]), "XDG_CACHE_HOME": str(tmp / f"{name}-cache")}
        return wall([PY, "-c", LAUNCH, *args], roots[name], {**env, **(extra or {})})

    def first(name: str) -> float:
        for rel in (".betterbase-context.json", "AGENTS.md", "CLAUDE.md", "docs", ".cursor",
                    ".github", ".betterbase"):  # fmt: skip
            path = roots[name] / rel
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        return bb(name, "generate", "context", extra={"BB_NO_CACHE": "1"})

    def edited(rel: str, edit: Callable[[str, int], str]) -> Callable[[str], float]:
        def once(name: str) -> float:
            (roots[name] / rel).write_text(edit(originals[rel], next(count)))
            return bb(name, "generate", "context")

        return once

    scenarios: list[tuple[str, Callable[[str], float]]] = [
        ("first run (no cache, writes all)", first),
        ("nothing changed (cache)", lambda name: bb(name, "generate", "context")),
        ("one router changed (cache)", edited(router, _edit_route)),
        ("the models changed (cache)", edited(models, _edit_models)),
    ]
    print(f"\ncold, this checkout against {rev} in turns (median of {runs}; ratio new / old)")
    for label, once in scenarios:
        times: dict[str, list[float]] = {name: [] for name in trees}
        for name in trees:
            once(name)  # warm-up: bytecode, the cache
            once(name)
        for turn in range(runs):
            # Each goes first in every other turn: a run right after the other one's is slower
            # (seen here: 10-18% for whichever tree always ran second).
            for name in list(trees)[:: 1 if turn % 2 else -1]:
                times[name].append(once(name))
        old, new = (statistics.median(times[name]) for name in trees)
        print(f"  bb generate context, {label:<36} {old * 1000:7.1f} -> {new * 1000:7.1f} ms"
              f"  {new / old:5.2f}x")  # fmt: skip
    if processes:
        against_watch(trees, roots, saves, processes, rev)


def against_watch(
    trees: dict[str, Path], roots: dict[str, Path], saves: int, processes: int, rev: str
) -> None:
    """The watch saves of both trees, in fresh processes taking turns (see bench_watch)."""
    print(
        f"\n--watch, this checkout against {rev} in turns ({processes} processes each, {saves}"
        " saves of each kind; pooled median and p95 from the save's end; ratio new / old)"
    )
    runs: dict[str, list[dict[str, dict[str, list[float]]]]] = {name: [] for name in trees}
    for turn in range(processes):
        for name in list(trees)[:: 1 if turn % 2 else -1]:
            runs[name].append(_watch_child(roots[name], saves, trees[name]))
    for label, _, _ in WATCH_KINDS:
        figures = []
        for name in trees:
            values = sorted(v for run in runs[name] for v in run[label]["after"])
            figures.append((statistics.median(values), values[round(0.95 * len(values)) - 1]))
        (old, old95), (new, new95) = figures
        print(f"  {label:<54} {old * 1000:5.1f} -> {new * 1000:5.1f} ms  {new / old:5.2f}x"
              f"  (p95 {old95 * 1000:5.1f} -> {new95 * 1000:5.1f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--tables", type=int, default=60)
    parser.add_argument(
        "--watch-processes", type=int, default=3, metavar="N",
        help="fresh processes the watch saves are made in (0: no watch figures)",
    )  # fmt: skip
    parser.add_argument(
        "--against", metavar="REV",
        help="the cold runs and the watch saves against this git revision, in turns",
    )  # fmt: skip
    parser.add_argument("--watch-child", metavar="ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watch_child:
        print(json.dumps(watch_samples(Path(args.watch_child), args.saves)))
        return
    with tempfile.TemporaryDirectory(prefix="bb-bench-context-") as tmp:
        print(
            f"project: {args.tables} tables, {args.tables} routers; load {os.getloadavg()[0]:.1f}"
        )
        if args.against:
            bench_against(
                args.against, args.runs, args.tables, Path(tmp), args.saves, args.watch_processes
            )
            return
        root = Path(tmp) / "big"
        write_sample_project(root, tables=args.tables)
        bench_cold(root, args.runs)
        bench_split(root, args.runs)
        if args.watch_processes:
            bench_watch(root, args.saves, args.watch_processes)


if __name__ == "__main__":
    main()
