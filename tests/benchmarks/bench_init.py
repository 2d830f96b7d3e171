"""Benchmark `bb --help`, `bb --version`, `bb init` and the generated app's cold start.

Each figure is a median over fresh processes, printed next to a baseline measured in the same
run (these machines are shared and noisy: read the ratios).

    python tests/benchmarks/bench_init.py [--runs 15] [--peer]

--peer also times Better-T-Stack (create-better-t-stack from the npm registry, via npx).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

PY = sys.executable
# The installed console script, as users run it.
BB = str(Path(PY).with_name("bb"))
BTS_VERSION = "3.44.1"


def run_measured(
    cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_maxrss


def series(runs: int, once: Callable[[int], tuple[float, int]]) -> tuple[float, int]:
    once(-1)  # warm the page cache
    results = [once(i) for i in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def row(label: str, wall: float, rss: int | None, base: float | None = None) -> None:
    ratio = f"{wall / base:6.2f}x" if base else "       "
    mem = f"{rss / 1024:7.1f} MiB" if rss else "           "
    print(f"  {label:<46} {wall * 1000:8.1f} ms  {ratio}  {mem}")


def bench_cli(runs: int, work: Path) -> None:
    print("\nbb --help / --version (median wall, fresh process each)")
    base, base_rss = series(runs, lambda _: run_measured([PY, "-c", "pass"], work))
    row("python -c pass (interpreter floor)", base, base_rss)
    for flag in ("--help", "--version"):
        command = [BB, flag]
        wall, rss = series(runs, lambda _, c=command: run_measured(c, work))  # type: ignore[misc]
        row(f"bb {flag}", wall, rss, base)


def bench_init(runs: int, work: Path, peer: bool) -> None:
    print("\nbb init NAME --yes --no-install --no-git (median wall, peak RSS)")
    blueprint = Path(__file__).resolve().parents[2] / "blueprints" / "project"

    def bb(i: int) -> tuple[float, int]:
        target = work / f"bb-{i}"
        cmd = [BB, "init", target.name, "--yes", "--no-install", "--no-git"]
        result = run_measured(cmd, work, {**os.environ, "NO_COLOR": "1"})
        shutil.rmtree(target)
        return result

    def copier(i: int) -> tuple[float, int]:
        target = work / f"cp-{i}"
        script = (
            "import copier; copier.run_copy("
            f"{str(blueprint)!r}, {str(target)!r}, defaults=True, quiet=True, unsafe=True, "
            "data={'project_name': 'app1', 'db': 'sqlite', 'auth': False, 'ai': True})"
        )
        result = run_measured([PY, "-c", script], work)
        shutil.rmtree(target)
        return result

    ours, ours_rss = series(runs, bb)
    row("bb init", ours, ours_rss)
    theirs, theirs_rss = series(max(3, runs // 3), copier)
    row("copier copy of the same blueprint (Copier API)", theirs, theirs_rss, ours)
    if peer:
        npx = shutil.which("npx")
        if npx is None:
            print("  (npx not found: Better-T-Stack skipped)")
            return
        cache = work / "npm-cache"
        env = {**os.environ, "npm_config_cache": str(cache), "CI": "true"}
        pkg = f"create-better-t-stack@{BTS_VERSION}"
        subprocess.run([npx, "-y", pkg, "--help"], cwd=work, env=env, capture_output=True)

        def bts_help(_: int) -> tuple[float, int]:
            return run_measured([npx, "-y", pkg, "--help"], work, env)

        def bts(i: int) -> tuple[float, int]:
            name = f"bts-{i}"
            result = run_measured(
                [npx, "-y", pkg, name, "--yes", "--no-install", "--no-git"], work, env
            )
            shutil.rmtree(work / name, ignore_errors=True)
            return result

        wall, rss = series(max(3, runs // 3), bts_help)
        row(f"create-better-t-stack {BTS_VERSION} --help", wall, rss)
        try:
            wall, rss = series(max(3, runs // 3), bts)
            row(f"create-better-t-stack {BTS_VERSION} --yes", wall, rss, ours)
        except SystemExit as exc:
            print(f"  (Better-T-Stack scaffold failed here: {str(exc)[:120]})")


HAND_WRITTEN_APP = '''
"""A minimal hand-written FastAPI + SQLAlchemy app with a /health that queries the database."""
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_engine("sqlite:///./hand.db")


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]


app = FastAPI()


@app.get("/health")
def health() -> JSONResponse:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok", "database": "ok"})
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_200(cwd: Path, module: str) -> float:
    port = free_port()
    start = time.perf_counter()
    # Bytecode caching on, as users have it (some sandboxes set PYTHONDONTWRITEBYTECODE, which
    # would charge the app with more modules for recompiling them on every start).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(
        [PY, "-m", "uvicorn", module, "--port", str(port), "--log-level", "warning"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while time.perf_counter() - start < 30:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - start
            except OSError:
                time.sleep(0.005)
        raise SystemExit(f"{module} in {cwd} did not answer 200 within 30 s")
    finally:
        proc.terminate()
        proc.wait()


def bench_startup(runs: int, work: Path) -> None:
    print("\nstart the app -> first 200 on GET /health (median wall)")
    subprocess.run(
        [PY, "-m", "betterbase_cli", "init", "startapp", "--yes", "--no-install", "--no-git"],
        cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    hand = work / "hand"
    hand.mkdir()
    (hand / "main.py").write_text(textwrap.dedent(HAND_WRITTEN_APP))
    first_200(work / "startapp", "app.main:app")
    first_200(hand, "main:app")
    theirs = statistics.median(first_200(hand, "main:app") for _ in range(runs))
    ours = statistics.median(first_200(work / "startapp", "app.main:app") for _ in range(runs))
    row("hand-written FastAPI + SQLAlchemy app", theirs, None)
    row("app made by bb init", ours, None, theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--peer", action="store_true", help="also time Better-T-Stack via npx")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cpus; runs={args.runs}")
    with tempfile.TemporaryDirectory(prefix="bb-bench-") as tmp:
        work = Path(tmp)
        bench_cli(args.runs, work)
        bench_init(args.runs, work, args.peer)
        bench_startup(max(5, args.runs // 2), work)


if __name__ == "__main__":
    main()
