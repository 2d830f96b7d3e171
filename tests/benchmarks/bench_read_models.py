"""Benchmark the static models reader on a generated 60-table / 519-column models file.

    python tests/benchmarks/bench_read_models.py [--runs 30] [--fresh 10]

Compared in the same run, on the same file:
  * bb's `read_models` (ast): in-process median (parse cache cleared each run) and the median
    wall of a fresh process that imports bb's reader and reads the file;
  * SQLAlchemy itself: executing the file (the classes build their Table metadata) in-process,
    and a fresh process that imports SQLAlchemy and the file, which is what a reader that
    imports user code pays;
  * libcst: `parse_module` of the file in-process, and a fresh process importing libcst and
    parsing it (the cost that made the reader use ast);
  * `python -c pass` as the floor of a fresh process.
Medians and ratios are printed; nothing is asserted (these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import types
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

PYTHON = sys.executable
TABLES = 60
COLUMNS = 519

HEAD = '''"""Generated benchmark models: {tables} tables, {columns} columns."""

from __future__ import annotations

import datetime
import decimal
import enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey, MetaData, Numeric, String, Text, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {{
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Status(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"
    GONE = "gone"


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
'''

FIELDS = [
    "name_{i}: Mapped[str] = mapped_column(String(100), index=True)",
    "title_{i}: Mapped[Optional[str]] = mapped_column(String(200))",
    "body_{i}: Mapped[str | None] = mapped_column(Text)",
    "active_{i}: Mapped[bool] = mapped_column(server_default=sa.true())",
    "price_{i}: Mapped[Optional[decimal.Decimal]] = mapped_column(Numeric(10, 2))",
    'status_{i}: Mapped[Status] = mapped_column(server_default="DRAFT")',
    'count_{i}: Mapped[int] = mapped_column(server_default=text("0"))',
    "code_{i}: Mapped[Optional[str]] = mapped_column(String(20), unique=True)",
]


def models() -> str:
    """60 tables: id + created_at (mixin) + 5 or 6 fields + a foreign key = 519 columns."""
    out = [HEAD.format(tables=TABLES, columns=COLUMNS)]
    for t in range(TABLES):
        width = 6 if t < 39 else 5  # 39 * 9 + 21 * 8 = 519
        lines = [
            f"class Table{t:02d}(TimestampMixin, Base):",
            f'    __tablename__ = "table_{t:02d}"',
            "",
            "    id: Mapped[int] = mapped_column(primary_key=True)",
        ]
        lines.extend("    " + f.format(i=t) for f in FIELDS[:width])
        if t == 0:
            lines.append("    extra_0: Mapped[Optional[int]]")
        else:
            lines.append(
                "    parent_id: Mapped[Optional[int]] = mapped_column("
                f'ForeignKey("table_{t - 1:02d}.id", ondelete="CASCADE"))'
            )
            lines.append(f'    parent: Mapped[Optional["Table{t - 1:02d}"]] = relationship()')
        lines.append(
            f'    __table_args__ = (sa.CheckConstraint("count_{t} >= 0", name="count_{t}"),)'
        )
        out.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(out)


def median_ms(runs: int, work: Callable[[], object]) -> float:
    work()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def fresh_ms(runs: int, code: str, cwd: Path) -> float:
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [PYTHON, "-c", code]
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="in-process runs per figure")
    parser.add_argument("--fresh", type=int, default=10, help="fresh processes per figure")
    args = parser.parse_args()

    from betterbase_cli.schema import pymodule
    from betterbase_cli.schema.python_reader import build_schema, read_models

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        target = root / "app" / "db" / "schema.py"
        target.parent.mkdir(parents=True)
        text = models()
        target.write_text(text)

        result = read_models([target], root)
        columns = sum(len(t.columns) for t in result.schema.tables)
        assert not result.problems, result.problems
        assert (len(result.schema.tables), columns) == (TABLES, COLUMNS), (
            len(result.schema.tables),
            columns,
        )
        print(
            f"models file: {len(result.schema.tables)} tables, {columns} columns, "
            f"{len(text.splitlines())} lines, {len(text) / 1024:.0f} KiB"
        )

        def bb_read() -> object:
            pymodule._parse.cache_clear()
            return read_models([target], root)

        def bb_parse() -> object:
            pymodule._parse.cache_clear()
            return pymodule.parse_models_file(text, "app/db/schema.py")

        parsed = pymodule.parse_models_file(text, "app/db/schema.py")

        import sqlalchemy  # noqa: F401  (imported once; each run builds fresh metadata)

        code = compile(text, str(target), "exec")
        counter = iter(range(10**9))

        def sqlalchemy_build() -> object:
            # a real module: SQLAlchemy resolves the annotations in sys.modules[__module__]
            module = types.ModuleType(f"bench_models_{next(counter)}")
            sys.modules[module.__name__] = module
            try:
                exec(code, module.__dict__)
                return module.Base.metadata.sorted_tables
            finally:
                del sys.modules[module.__name__]

        import libcst

        def libcst_parse() -> object:
            return libcst.parse_module(text)

        runs = args.runs
        inproc = {
            "bb read_models (parse + build)": median_ms(runs, bb_read),
            "  of which ast parse": median_ms(runs, bb_parse),
            "  of which build_schema": median_ms(runs, lambda: build_schema([parsed])),
            "SQLAlchemy: exec the models (metadata)": median_ms(runs, sqlalchemy_build),
            "libcst parse_module": median_ms(max(5, runs // 3), libcst_parse),
        }
        read_code = textwrap.dedent(
            f"""
            from pathlib import Path
            from betterbase_cli.schema.python_reader import read_models
            read_models([Path({str(target)!r})], Path({str(root)!r}))
            """
        )
        sa_code = textwrap.dedent(
            f"""
            import importlib.util, sys
            spec = importlib.util.spec_from_file_location("bench_models", {str(target)!r})
            module = importlib.util.module_from_spec(spec)
            sys.modules["bench_models"] = module
            spec.loader.exec_module(module)
            module.Base.metadata.sorted_tables
            """
        )
        cst_code = f"import libcst; libcst.parse_module(open({str(target)!r}).read())"
        fresh = {
            "python -c pass (floor)": fresh_ms(args.fresh, "pass", root),
            "bb read_models": fresh_ms(args.fresh, read_code, REPO),
            "import SQLAlchemy + the models": fresh_ms(args.fresh, sa_code, root),
            "import libcst + parse": fresh_ms(args.fresh, cst_code, root),
        }

    print(f"\nin-process, median of {runs} runs (ms)")
    for name, value in inproc.items():
        print(f"  {name:<42} {value:8.2f}")
    bb = inproc["bb read_models (parse + build)"]
    print(
        f"  SQLAlchemy / bb: {inproc['SQLAlchemy: exec the models (metadata)'] / bb:.1f}x   "
        f"libcst parse / bb read: {inproc['libcst parse_module'] / bb:.1f}x"
    )
    print(f"\nfresh process, median wall of {args.fresh} runs (ms)")
    for name, value in fresh.items():
        print(f"  {name:<42} {value:8.1f}")
    floor = fresh["python -c pass (floor)"]
    bb_fresh = fresh["bb read_models"] - floor
    print(
        f"  above the floor: bb {bb_fresh:.0f} ms, SQLAlchemy "
        f"{fresh['import SQLAlchemy + the models'] - floor:.0f} ms "
        f"({(fresh['import SQLAlchemy + the models'] - floor) / bb_fresh:.1f}x), libcst "
        f"{fresh['import libcst + parse'] - floor:.0f} ms "
        f"({(fresh['import libcst + parse'] - floor) / bb_fresh:.1f}x)"
    )


if __name__ == "__main__":
    main()
