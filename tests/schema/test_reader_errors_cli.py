"""Bad models through the CLI: one message with file:line:col and a hint, exit 1, no traceback.

`bb migrate generate` is the command that reads the models strictly; what is checked here is the
reader's side of the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_no_traceback, run_bb

HEAD = """\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


"""

CASES = {
    "syntax error": (
        "class A(Base):\n    __tablename__ = 'a'\n    id: Mapped[int] = mapped_column(\n",
        "app/db/schema.py:11:",
        "do not parse",
    ),
    "unknown column type": (
        "from sqlalchemy.dialects.postgresql import TSVECTOR\n\n\n"
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    doc: Mapped[str] = mapped_column(TSVECTOR)\n",
        "app/db/schema.py:15:",
        "unknown column type TSVECTOR",
    ),
    "foreign key to a missing table": (
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    b_id: Mapped[int] = mapped_column(ForeignKey('b.id'))\n",
        "app/db/schema.py:12:",
        "missing table 'b'",
    ),
    "foreign key to a missing column": (
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    up_id: Mapped[int] = mapped_column(ForeignKey('a.uid'))\n",
        "app/db/schema.py:12:",
        "missing column a.uid",
    ),
    "two models with one table name": (
        "class A(Base):\n    __tablename__ = 't'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n\n\n"
        "class B(Base):\n    __tablename__ = 't'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n",
        "app/db/schema.py:9:",
        "two models use the table name 't'",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_models_fail_cleanly(name: str, tmp_path: Path) -> None:
    body, where, what = CASES[name]
    (tmp_path / "app" / "db").mkdir(parents=True)
    (tmp_path / "app" / "db" / "schema.py").write_text(HEAD + body)
    (tmp_path / "betterbase.toml").write_text('[project]\nname = "x"\n')
    result = run_bb("migrate", "generate", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert where in result.stderr, result.stderr
    assert what in result.stderr, result.stderr
    assert "hint:" in result.stderr
    assert not (tmp_path / "migrations").exists()
