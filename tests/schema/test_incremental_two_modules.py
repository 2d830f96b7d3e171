"""The incremental reader over two models modules (the signature of model
class names and headers spans modules), random edits to either, against a fresh read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from test_incremental_reader import RANDOM_EDITS, SNIPPETS, edit, summary  # noqa: E402

from betterbase_cli.errors import BetterBaseError, SchemaParseError  # noqa: E402
from betterbase_cli.schema.pyincremental import IncrementalState, build_schema_incremental  # noqa: E402
from betterbase_cli.schema.pymodule import ModelsModule, reparse_models_file  # noqa: E402
from betterbase_cli.schema.python_reader import build_schema, parse_models_file  # noqa: E402

RELS = ("app/models/a.py", "app/models/b.py")
HEAD = (
    "from __future__ import annotations\n\nimport enum\n\n"
    "from sqlalchemy import ForeignKey, String\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship\n"
)
A = HEAD + (
    "\n\nclass Base(DeclarativeBase):\n    pass\n\n\n"
    "class TimestampMixin:\n    created: Mapped[int] = mapped_column(default=0)\n\n\n"
    "class Status(enum.Enum):\n    draft = 'draft'\n    live = 'live'\n\n\n"
    "class Users(Base):\n    __tablename__ = 'users'\n\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    posts: Mapped[list[Posts]] = relationship(back_populates='author')\n"
)
B = (
    HEAD
    + "from app.models.a import Base, Status, TimestampMixin, Users\n"
    + (
        "\n\nclass Posts(TimestampMixin, Base):\n    __tablename__ = 'posts'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    author_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n"
        "    author: Mapped[Users] = relationship(back_populates='posts')\n"
        "    state: Mapped[Status] = mapped_column()\n\n\n"
        "class Added(Base):\n    __tablename__ = 'added'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
)


def fresh(texts: list[str]) -> Any:
    try:
        modules = [parse_models_file(t, r) for t, r in zip(texts, RELS, strict=True)]
        return summary(build_schema(modules))
    except BetterBaseError as exc:
        return type(exc).__name__


@RANDOM_EDITS
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.integers(0, 4),
            st.integers(0, 60),
            st.integers(0, 60),
            st.sampled_from(SNIPPETS),
        ),
        min_size=1,
        max_size=10,
    ),
)
def test_two_modules(edits: list[tuple[int, int, int, int, str]]) -> None:
    lines = [A.split("\n"), B.split("\n")]
    state = IncrementalState()
    modules: list[ModelsModule | None] = [None, None]
    good: list[str] = ["", ""]

    def save() -> Any:
        for i in (0, 1):
            text = "\n".join(lines[i])
            try:
                modules[i] = reparse_models_file(text, RELS[i], modules[i])
                good[i] = text
            except SchemaParseError:
                pass  # the last good module stays
        try:
            return summary(build_schema_incremental([m for m in modules if m], state))
        except BetterBaseError as exc:
            return type(exc).__name__

    assert save() == fresh(good)
    for which, kind, at, other, snippet in edits:
        lines[which] = edit(lines[which], kind, at, other, snippet)
        got = save()
        assert got == fresh(good), repr(edits)
