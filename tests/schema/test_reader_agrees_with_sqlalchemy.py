"""The static reader against SQLAlchemy itself: import each corpus file, compare the metadata.

This is the proof that reading models as text gets the same tables SQLAlchemy would build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from betterbase_cli.schema.python_reader import read_models

pytest.importorskip("sqlalchemy")

from schema.sqla_metadata import (  # noqa: E402
    describe_metadata,
    describe_schema,
    import_file,
    metadata_of,
)

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
REPO = HERE.parent.parent
BLUEPRINT_SCHEMA = REPO / "blueprints/project/template/app/db/schema.py"

FILES = sorted(p.name for p in CORPUS.glob("*.py"))


def _compare(path: Path, root: Path, module_name: str) -> None:
    result = read_models([path], root)
    assert result.problems == (), [str(p) for p in result.problems]
    theirs = describe_metadata(metadata_of(import_file(path, module_name)))
    ours = describe_schema(result.schema, theirs)
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        for key in theirs[name]:
            if key == "columns":
                assert [c["name"] for c in ours[name][key]] == [
                    c["name"] for c in theirs[name][key]
                ], name
                for mine, real in zip(ours[name][key], theirs[name][key], strict=True):
                    assert mine == real, f"{name}.{real['name']}"
            else:
                assert ours[name][key] == theirs[name][key], f"{name} {key}"


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_agrees(name: str, tmp_path: Path) -> None:
    target = tmp_path / name
    shutil.copy(CORPUS / name, target)
    _compare(target, tmp_path, f"bb_corpus_{name[:-3]}")


def test_blueprint_models_agree(tmp_path: Path) -> None:
    target = tmp_path / "app" / "db" / "schema.py"
    target.parent.mkdir(parents=True)
    shutil.copy(BLUEPRINT_SCHEMA, target)
    _compare(target, tmp_path, "bb_corpus_blueprint")


def test_mixins_from_another_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`from app.db.mixins import TimestampMixin` is followed to the project file."""
    pkg = tmp_path / "app" / "db"
    pkg.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    )
    (pkg / "mixins.py").write_text(
        "import datetime\n"
        "import enum\n"
        "from sqlalchemy import func\n"
        "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
        "class Kind(enum.Enum):\n    A = 1\n    B = 2\n\n\n"
        "class TimestampMixin:\n"
        "    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())\n"
        "    kind: Mapped[Kind | None]\n"
    )
    (pkg / "schema.py").write_text(
        "from sqlalchemy.orm import Mapped, mapped_column\n\n"
        "from app.db.base import Base\n"
        "from .mixins import TimestampMixin\n\n\n"
        "class Thing(TimestampMixin, Base):\n"
        '    __tablename__ = "things"\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    result = read_models([pkg / "schema.py"], tmp_path)
    assert result.problems == ()
    assert set(result.sources) == {
        "app/db/schema.py",
        "app/db/base.py",
        "app/db/mixins.py",
        "app/db/__init__.py",
        "app/__init__.py",
    } or set(result.sources) >= {"app/db/schema.py", "app/db/base.py", "app/db/mixins.py"}
    import importlib

    module = importlib.import_module("app.db.schema")
    theirs = describe_metadata(module.Base.metadata)
    assert describe_schema(result.schema, theirs) == theirs
    assert result.schema.table("things").column("kind").python_type == "Kind"
