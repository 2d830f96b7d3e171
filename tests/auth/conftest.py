"""Fixtures for the auth tests: a project from the blueprint with `bb auth setup` applied."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from betterbase_cli import scaffold
from betterbase_cli.codegen.auth import setup_auth
from betterbase_cli.project import load_project

EXTRA_TESTS = Path(__file__).parent / "project_tests"


def render_project(target: Path, db: str = "sqlite") -> Path:
    """What `bb init NAME --no-install --no-git --yes` writes, without running the CLI."""
    for item in scaffold.render(scaffold.Answers(project_name=target.name, db=db)):
        path = target / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.content)
    return target


@pytest.fixture
def blank_project(tmp_path: Path) -> Path:
    return render_project(tmp_path / "shop")


@pytest.fixture
def auth_project(blank_project: Path) -> Path:
    setup_auth(load_project(blank_project))
    return blank_project


@pytest.fixture
def add_project_test() -> Callable[[Path, str], str]:
    """Copy one of project_tests/*.py into a project's tests/ and return its test path."""

    def add(project: Path, name: str) -> str:
        target = project / "tests" / f"test_{name}"
        shutil.copyfile(EXTRA_TESTS / name, target)
        return f"tests/test_{name}"

    return add
