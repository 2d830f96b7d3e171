"""The libcst import edits produce what ruff's isort would write, whatever the file held."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from betterbase_cli.codegen.auth_edits import declarative_base, ensure_import, tablenames

CASES = {
    "merge": "from sqlalchemy import String\n\nx = 1\n",
    "merge_wrapped": "from sqlalchemy import (\n    String,\n)\n\nx = 1\n",
    "new_after_stdlib": '"""Doc."""\n\nimport os\n\nx = 1\n',
    "new_before_first_party": "import os\n\nfrom app.config import settings\n\nx = settings\n",
    "between_third_party": "import os\n\nfrom fastapi import APIRouter\nfrom zzz import z\n",
    "no_imports": '"""Doc."""\n\nx = 1\n',
    "future_only": "from __future__ import annotations\n\nx = 1\n",
    "aliased": "from sqlalchemy import String as S\n\nx = S\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_imports_are_isort_clean(name: str, tmp_path: Path) -> None:
    tree = cst.parse_module(CASES[name])
    tree = ensure_import(tree, "datetime", [], "app", 100)
    tree = ensure_import(tree, "sqlalchemy", ["func", "String", "ForeignKey", "UUID"], "app", 100)
    tree = ensure_import(tree, "app.routes", ["auth"], "app", 100)
    again = ensure_import(tree, "sqlalchemy", ["String"], "app", 100)
    assert again.code == tree.code  # nothing to add the second time
    # Inside the `app` package, as the models file is: ruff then counts `app` as first-party.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    target = tmp_path / "app" / "module.py"
    target.write_text(tree.code)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruff]\nline-length = 100\nsrc = ["."]\n[tool.ruff.lint]\nselect = ["I"]\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, tree.code + result.stdout
    for needed in ("import datetime", "UUID", "ForeignKey", "func", "from app.routes import auth"):
        assert needed in tree.code


def test_long_imports_wrap_at_the_line_length() -> None:
    tree = ensure_import(cst.parse_module("x = 1\n"), "sqlalchemy", ["A" * 30, "B" * 30], "app", 40)
    assert "from sqlalchemy import (\n" in tree.code


def test_tablenames_and_base() -> None:
    tree = cst.parse_module(
        "class Base(orm.DeclarativeBase):\n    pass\n\n"
        'class User(Base):\n    __tablename__ = "user"\n\n'
        'class Other(Base):\n    __tablename__: str = "others"\n'
    )
    assert declarative_base(tree) == "Base"
    assert tablenames(tree) == {"User": "user", "Other": "others"}
