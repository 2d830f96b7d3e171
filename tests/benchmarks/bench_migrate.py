"""Benchmark `bb migrate` on a generated 60-table / 519-column models file, against Alembic.

Run:  /work/venv/bin/python tests/benchmarks/bench_migrate.py [--runs 7]

Every measurement is a fresh process (wall time, median of --runs).  Peak memory is the maximum
resident set of that process (getrusage of a child).  Measured:

* ``bb migrate check`` with nothing to do              (goal < 0.25 s), fresh (as in CI) and
  with the in-step cache of .betterbase/cache/ (as in a pre-commit hook)
* ``bb migrate generate`` for the initial schema        (goal < 0.35 s)
* ``bb migrate generate`` after a 10-table change       (goal < 0.35 s)
* Alembic ``revision --autogenerate`` on the same models (initial: against an empty SQLite
  database; change: against a database built from the old models), the peer in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

PYTHON = sys.executable
TABLES = 60
COLUMNS = 519
CHANGED = 10

HEAD = '''"""Generated benchmark models: {tables} tables, {columns} columns."""

from __future__ import annotations

import datetime
import decimal
from typing import Optional

from sqlalchemy import (
    Boolean, DateTime, ForeignKey, Integer, MetaData, Numeric, String, Text, func, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {{
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
'''

FIELDS = [
    "name_{i}: Mapped[str] = mapped_column(String(100), index=True)",
    "title_{i}: Mapped[Optional[str]] = mapped_column(String(200))",
    "body_{i}: Mapped[Optional[str]] = mapped_column(Text)",
    'active_{i}: Mapped[bool] = mapped_column(Boolean, server_default=text("1"))',
    "price_{i}: Mapped[Optional[decimal.Decimal]] = mapped_column(Numeric(10, 2))",
    "created_{i}: Mapped[datetime.datetime] = mapped_column("
    "DateTime(timezone=True), server_default=func.now())",
    'count_{i}: Mapped[int] = mapped_column(Integer, server_default=text("0"))',
    "code_{i}: Mapped[Optional[str]] = mapped_column(String(20), unique=True)",
]


def models(change: bool = False) -> str:
    """The models file; ``change`` adds a column to each of the first 10 tables."""
    out = [HEAD.format(tables=TABLES, columns=COLUMNS)]
    # 39 tables with 9 columns and 21 with 8: 519 columns in all.
    for t in range(TABLES):
        width = 9 if t < 39 else 8
        lines = [f"class Table{t:02d}(Base):", f'    __tablename__ = "table_{t:02d}"', ""]
        lines.append("    id: Mapped[int] = mapped_column(primary_key=True)")
        fields = FIELDS[: width - 2]
        for f in fields:
            lines.append("    " + f.format(i=t))
        if t == 0:
            lines.append(f"    extra_{t}: Mapped[Optional[int]] = mapped_column(Integer)")
        else:
            lines.append(
                f"    parent_id: Mapped[Optional[int]] = mapped_column("
                f'ForeignKey("table_{t - 1:02d}.id", ondelete="CASCADE"))'
            )
        if change and t < CHANGED:
            lines.append(f"    added_{t}: Mapped[Optional[str]] = mapped_column(String(50))")
        out.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(out)


def count_columns(text: str) -> int:
    return text.count("mapped_column(")


# --- measuring -------------------------------------------------------------------------------

PROBE = textwrap.dedent(
    """
    import resource, subprocess, sys, time
    start = time.perf_counter()
    rc = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE).returncode
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(rc, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
    """
)


def measure(cwd: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one fresh process."""
    result = subprocess.run(
        [PYTHON, "-c", PROBE, str(cwd), *argv], capture_output=True, text=True, env=env
    )
    rc, wall, cpu, peak = result.stdout.split()
    if rc not in ("0", "1"):
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{result.stderr}")
    return float(wall), float(cpu), int(peak) / 1024


def series(
    runs: int, prepare: Callable[[], tuple[Path, list[str]]], env: dict[str, str]
) -> tuple[float, float, float]:
    """Median wall seconds, median CPU seconds and peak MiB over ``runs`` after a warm-up."""
    cwd, argv = prepare()
    measure(cwd, argv, env)
    walls, cpus, peaks = [], [], []
    for _ in range(runs):
        cwd, argv = prepare()
        wall, cpu, peak = measure(cwd, argv, env)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
    return statistics.median(walls), statistics.median(cpus), max(peaks)


# --- bb ----------------------------------------------------------------------------------------

BB = [PYTHON, "-m", "betterbase_cli"]


def bb_project(base: Path, name: str) -> Path:
    root = base / name
    if root.exists():
        shutil.rmtree(root)
    (root / "app/db").mkdir(parents=True)
    (root / "betterbase.toml").write_text(
        '[project]\nname = "bench"\npackage = "app"\n\n[database]\ndialects = ["sqlite"]\n'
        'default_url = "sqlite:///./app.db"\n\n[schema]\npaths = ["app/db/schema.py"]\n'
    )
    (root / "app/__init__.py").write_text("")
    (root / "app/db/__init__.py").write_text("")
    (root / "app/db/schema.py").write_text(models())
    return root


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)


# --- Alembic -----------------------------------------------------------------------------------

ALEMBIC_ENV = """
import sys
from alembic import context
from sqlalchemy import create_engine

sys.path.insert(0, ".")
from app.db.schema import Base

url = context.config.get_main_option("sqlalchemy.url")
with create_engine(url).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
"""


def alembic_project(base: Path, name: str, built_from: str | None) -> Path:
    """An Alembic setup over the same models; ``built_from`` models are created in its db."""
    root = base / name
    if root.exists():
        shutil.rmtree(root)
    (root / "app/db").mkdir(parents=True)
    (root / "app/__init__.py").write_text("")
    (root / "app/db/__init__.py").write_text("")
    (root / "alembic/versions").mkdir(parents=True)
    (root / "alembic/env.py").write_text(ALEMBIC_ENV)
    (root / "alembic/script.py.mako").write_text(
        '"""${message}"""\nrevision = ${repr(up_revision)}\ndown_revision = '
        "${repr(down_revision)}\n\n\ndef upgrade():\n    ${upgrades if upgrades else 'pass'}\n"
        "\n\ndef downgrade():\n    ${downgrades if downgrades else 'pass'}\n"
    )
    (root / "alembic.ini").write_text(
        "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///app.db\n"
    )
    if built_from is not None:
        (root / "app/db/schema.py").write_text(built_from)
        script = (
            "import sys; sys.path.insert(0, '.');"
            "from sqlalchemy import create_engine;"
            "from app.db.schema import Base;"
            "Base.metadata.create_all(create_engine('sqlite:///app.db'))"
        )
        subprocess.run([PYTHON, "-c", script], cwd=root, check=True)
    else:
        sqlite3.connect(root / "app.db").close()
    return root


ALEMBIC = [PYTHON, "-m", "alembic", "revision", "--autogenerate", "-m", "bench"]


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    text = models()
    assert count_columns(text) == COLUMNS, count_columns(text)
    base = Path(tempfile.mkdtemp(prefix="bb-bench-"))
    env = {**os.environ, "NO_COLOR": "1", "CI": "true"}
    env.pop("DATABASE_URL", None)
    # As installed tools run: with bytecode caches (kept out of the source tree), warmed up by
    # the first run of each series.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
    rows: list[tuple[str, float, float, float]] = []

    # bb migrate check, nothing to do
    checked = bb_project(base, "check")
    run([*BB, "migrate", "generate"], checked, env)

    def cold() -> tuple[Path, list[str]]:
        shutil.rmtree(checked / ".betterbase", ignore_errors=True)  # as in a fresh CI checkout
        return checked, [*BB, "migrate", "check"]

    rows.append(("bb migrate check (no changes, fresh)", *series(args.runs, cold, env)))
    rows.append(
        (
            "bb migrate check (no changes, cached)",
            *series(args.runs, lambda: (checked, [*BB, "migrate", "check"]), env),
        )
    )

    # bb migrate generate, initial
    def initial() -> tuple[Path, list[str]]:
        return bb_project(base, "initial"), [*BB, "migrate", "generate"]

    rows.append(("bb migrate generate (initial)", *series(args.runs, initial, env)))

    # bb migrate generate, 10-table change
    def changed() -> tuple[Path, list[str]]:
        root = bb_project(base, "change")
        run([*BB, "migrate", "generate"], root, env)
        (root / "app/db/schema.py").write_text(models(change=True))
        return root, [*BB, "migrate", "generate"]

    rows.append((f"bb migrate generate ({CHANGED}-table change)", *series(args.runs, changed, env)))

    # Alembic, same models
    try:
        import alembic  # noqa: F401

        have_alembic = True
    except ImportError:
        have_alembic = False
    if have_alembic:

        def a_initial() -> tuple[Path, list[str]]:
            root = alembic_project(base, "a_initial", None)
            (root / "app/db/schema.py").write_text(text)
            return root, ALEMBIC

        def a_changed() -> tuple[Path, list[str]]:
            root = alembic_project(base, "a_change", text)
            (root / "app/db/schema.py").write_text(models(change=True))
            return root, ALEMBIC

        rows.append(("alembic autogenerate (initial)", *series(args.runs, a_initial, env)))
        rows.append(
            (f"alembic autogenerate ({CHANGED}-table change)", *series(args.runs, a_changed, env))
        )

    print(f"\n{TABLES} tables, {COLUMNS} columns; median of {args.runs} fresh processes")
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'command':<44} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    for name, wall, cpu, peak in rows:
        print(f"{name:<44} {wall:>8.3f} {cpu:>8.3f} {peak:>9.1f}")
    if have_alembic:
        by = {name: wall for name, wall, _, _ in rows}
        key = f"({CHANGED}-table change)"
        first = by["alembic autogenerate (initial)"] / by["bb migrate generate (initial)"]
        second = by["alembic autogenerate " + key] / by["bb migrate generate " + key]
        print("\nratios (alembic / bb):")
        print(f"  initial: {first:.1f}x")
        print(f"  change:  {second:.1f}x")
    print("\ngoals: check < 0.25 s, generate < 0.35 s, peak < 60 MiB")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
