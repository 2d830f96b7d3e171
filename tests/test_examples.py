"""examples/ holds projects made by bb; regenerating them must reproduce the checked-in copies.

A golden test of the whole generator chain (init, migrate, crud, context).  After an intended
change to a generator, refresh the examples with:

    python tests/test_examples.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import REPO, run_bb, run_in_project

EXAMPLES = REPO / "examples"
GOLDEN = REPO / "tests" / "golden" / "examples"
IGNORED = {".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "app.db"}

# Each example: the name it is created with, then the steps a user would run in it.
RECIPES: dict[str, list[tuple[str, ...]]] = {
    "blog": [
        # Replace the example table before its migration was ever applied: start over.
        ("remove", "migrations"),
        ("copy", "blog_schema.py", "app/db/schema.py"),
        ("bb", "migrate", "generate", "--name", "init"),
        ("bb", "generate", "crud", "--all"),
        ("bb", "context"),
    ],
}


def build(name: str, where: Path) -> Path:
    init = run_bb("init", name, "--yes", "--no-install", "--no-git", cwd=where)
    assert init.returncode == 0, init.stderr
    project = where / name
    for step in RECIPES[name]:
        if step[0] == "copy":
            shutil.copyfile(GOLDEN / step[1], project / step[2])
        elif step[0] == "remove":
            shutil.rmtree(project / step[1])
        else:
            result = run_bb(*step[1:], cwd=project)
            assert result.returncode == 0, f"{step}: {result.stdout}{result.stderr}"
    return project


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not IGNORED & set(p.relative_to(root).parts)
    }


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_example_is_what_bb_makes(tmp_path: Path, name: str) -> None:
    made = tree(build(name, tmp_path))
    checked_in = tree(EXAMPLES / name)
    assert sorted(made) == sorted(checked_in), "run: python tests/test_examples.py"
    for path, content in made.items():
        assert content == checked_in[path], f"{path} differs; run: python tests/test_examples.py"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_example_passes_its_own_checks(tmp_path: Path, name: str) -> None:
    project = tmp_path / name
    shutil.copytree(EXAMPLES / name, project)
    checks = [
        ("pytest", "-q", "-p", "no:cacheprovider"),
        ("ruff", "check", "--no-cache", "."),
        ("mypy", "--no-incremental"),
    ]
    for command in checks:
        result = run_in_project(project, *command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


def regenerate() -> None:
    for name in RECIPES:
        with tempfile.TemporaryDirectory() as tmp:
            project = build(name, Path(tmp))
            shutil.rmtree(EXAMPLES / name, ignore_errors=True)
            shutil.copytree(project, EXAMPLES / name, ignore=shutil.ignore_patterns(*IGNORED))
        print(f"regenerated examples/{name}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()
