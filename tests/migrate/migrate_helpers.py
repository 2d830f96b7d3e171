"""Helpers for the `bb migrate` tests: projects made by `bb init`, bb run in-process."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from betterbase_cli.cli import main

_TEMPLATE: Path | None = None

MODELS_HEAD = '''"""Test models."""

from __future__ import annotations

import datetime
import enum
from typing import Optional

from sqlalchemy import (
    CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer, MetaData, Numeric, String, Text,
    UniqueConstraint, func, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

'''


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def bb(cwd: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run `bb ARGS` in this process (no terminal), with main()'s error handling."""
    runner = CliRunner()
    environment: dict[str, str | None] = {"NO_COLOR": "1", "DATABASE_URL": None}
    environment.update(env or {})
    old = os.getcwd()
    with runner.isolation(env=environment) as (out, err, _):
        os.chdir(cwd)
        try:
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.chdir(old)
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    assert "Traceback" not in stdout + stderr, stdout + stderr
    return Result(code, stdout, stderr)


def _template() -> Path:
    """A project made by `bb init` once per test session, copied for each test."""
    global _TEMPLATE
    if _TEMPLATE is None:
        where = Path(tempfile.mkdtemp(prefix="bb-migrate-template-"))
        result = bb(where, "init", "demo", "--yes", "--no-install", "--no-git")
        assert result.exit_code == 0, result.output
        _TEMPLATE = where / "demo"
    return _TEMPLATE


def make_project(
    tmp_path: Path, models: str | None = None, dialects: tuple[str, ...] = ("sqlite",)
) -> Path:
    """A fresh project; ``models`` (class definitions) replace the example models."""
    root = tmp_path / "proj"
    # Without the first migration `bb init` wrote for its example models: these tests bring
    # their own models and start the migration history from them.
    shutil.copytree(_template(), root, ignore=shutil.ignore_patterns("migrations"))
    config = root / "betterbase.toml"
    listed = ", ".join(f'"{d}"' for d in dialects)
    text = re.sub(r"^dialects = .*$", f"dialects = [{listed}]", config.read_text(), flags=re.M)
    config.write_text(text)
    if models is not None:
        set_models(root, models)
    return root


def set_models(root: Path, models: str) -> None:
    (root / "app/db/schema.py").write_text(MODELS_HEAD + models)


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / 'app.db'}"
