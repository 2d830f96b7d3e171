"""The --watch models reader (re-parse what changed, rebuild what it touched) must give exactly
what a fresh read gives: after every edit of a random sequence, tables, columns, locations,
enums and problems are compared with `build_schema(parse_models_file(text))`."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from betterbase_cli.errors import BetterBaseError, SchemaParseError
from betterbase_cli.schema.pyincremental import IncrementalState, build_schema_incremental
from betterbase_cli.schema.pymodule import ModelsModule, reparse_models_file
from betterbase_cli.schema.python_reader import ReadResult, build_schema, parse_models_file

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(Path(__file__).parents[1]))
from context.sample_project import model_source, table_names  # noqa: E402

REL = "app/models.py"


def sample_models(tables: int) -> str:
    names = table_names(tables)
    head = (
        "from __future__ import annotations\n\nimport decimal\nimport enum\n\n"
        "from sqlalchemy import Boolean, ForeignKey, Numeric, String, Text\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class TimestampMixin:\n    created: Mapped[int] = mapped_column(default=0)\n\n\n"
        "class Status(enum.Enum):\n    draft = 'draft'\n    live = 'live'\n"
    )
    body = "".join(model_source(name, i, names) for i, name in enumerate(names))
    return head + body


TEXTS = {p.stem: p.read_text() for p in sorted(CORPUS.glob("*.py"))} | {"sample": sample_models(6)}

SNIPPETS = [
    "",
    "# a comment",
    "    extra: Mapped[int] = mapped_column()",
    "    note: Mapped[str | None] = mapped_column(String(20), index=True)",
    "    state: Mapped[Status] = mapped_column()",
    "    owner_id: Mapped[int] = mapped_column(ForeignKey('users.id'))",
    # relationships to a class that edits add, rename and remove (the reader reuses a table
    # whose relations resolve as last time)
    "    added: Mapped[list[Added]] = relationship()",
    "    owner: Mapped[Users] = relationship()",
    "class Added(Base):\n    __tablename__ = 'added'\n\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)",
    "class Added(TimestampMixin, Base):\n    __tablename__ = 'added_two'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    parent_id: Mapped[int | None] = mapped_column(ForeignKey('added_two.id'))",
    "class Status(enum.Enum):\n    draft = 'draft'\n    gone = 'gone'",
    "class Users(Base):",
    "    pass",
    "x = (",
    ")",
    "else:",
    '"""',
    "@decorator",
    # review: relationship targets that appear, vanish, get renamed or duplicated; headers
    # that change; builds that fail (SchemaError) and then recover
    "    added: Mapped[list['Added']] = relationship(back_populates='owner')",
    "    author: Mapped['Users'] = relationship('Users', back_populates='posts')",
    "    items = relationship('Added')",
    "    holder = relationship(lambda: Users, uselist=False)",
    "    users_id: Mapped[int] = mapped_column(ForeignKey('users.id'))",
    "    added_id: Mapped[int | None] = mapped_column(ForeignKey('added.id'))",
    "    added_ref: Mapped[int | None] = mapped_column(ForeignKey(Added.id))",
    "    bad_id: Mapped[int] = mapped_column(ForeignKey('nope.id'))",
    "    __tablename__ = 'added'",
    "    __tablename__ = 'users'",
    "class Users(TimestampMixin, Base):",
    "class Users(Base):\n    __tablename__ = 'users_two'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    added: Mapped[list[Added]] = relationship(back_populates='owner')",
    "class Added(Base):\n    __tablename__ = 'added'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    owner_id: Mapped[int | None] = mapped_column(ForeignKey('users.id'))\n"
    "    owner: Mapped[Users] = relationship(back_populates='added')",
    "class Added(enum.Enum):\n    a = 'a'",
    "class Added:\n    pass",
    "class Added(Base):\n    __abstract__ = True",
    "Added = Users",
    "    state: Mapped[Added] = mapped_column()",
    "if True:\n    class Hidden(Base):\n        __tablename__ = 'hidden'\n"
    "        id: Mapped[int] = mapped_column(primary_key=True)",
]


def edit(lines: list[str], kind: int, at: int, other: int, snippet: str) -> list[str]:
    if not lines:
        return [snippet]
    at %= len(lines) + 1
    out = list(lines)
    if kind == 0 and at < len(out):
        del out[at]
    elif kind == 1 and at < len(out):
        out.insert(at, out[at])
    elif kind == 2 and at + 1 < len(out):
        out[at], out[at + 1] = out[at + 1], out[at]
    elif kind == 3 and at < len(out):
        out[at] = out[other % len(out)]
    else:
        out[at:at] = snippet.split("\n")
    return out


def summary(result: ReadResult) -> Any:
    tables = [
        (
            t,
            str(t.location),
            t.class_name,
            t.relations,
            [(c.name, str(c.location), c.python_type, c.default) for c in t.columns],
        )
        for t in result.schema.tables
    ]
    enums = [(e, e.class_name, str(e.location)) for e in result.schema.enums]
    return tables, enums, [str(p) for p in result.problems]


def fresh(text: str) -> Any:
    try:
        return summary(build_schema([parse_models_file(text, REL)]))
    except BetterBaseError as exc:
        return type(exc).__name__


class Watching:
    """What the watcher keeps between saves of one file."""

    def __init__(self) -> None:
        self.module: ModelsModule | None = None
        self.state = IncrementalState()

    def save(self, text: str) -> Any:
        try:
            module = reparse_models_file(text, REL, self.module)
        except SchemaParseError:
            return "SchemaParseError"  # the last good module stays, as in the watcher
        self.module = module
        try:
            return summary(build_schema_incremental([module], self.state))
        except BetterBaseError as exc:
            return type(exc).__name__


def node_lines(module: ModelsModule) -> list[tuple[str, int, int, int, int]]:
    out = []
    for stmt in module.statements:
        for node in ast.walk(stmt):
            if isinstance(node, ast.expr | ast.stmt):
                end = node.end_lineno or node.lineno
                out.append(
                    (type(node).__name__, module.line(node.lineno), node.col_offset,
                     module.line(end), node.end_col_offset or 0)
                )  # fmt: skip
    return out


# Random edit sequences: BB_EXAMPLES=3000 runs more of them (a review's setting).
RANDOM_EDITS = settings(
    max_examples=int(os.environ.get("BB_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@RANDOM_EDITS
@given(
    name=st.sampled_from(sorted(TEXTS)),
    edits=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.integers(0, 400),
            st.integers(0, 400),
            st.sampled_from(SNIPPETS),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_every_edit_reads_as_a_fresh_read(
    name: str, edits: list[tuple[int, int, int, str]]
) -> None:
    lines = TEXTS[name].split("\n")
    watching = Watching()
    assert watching.save("\n".join(lines)) == fresh("\n".join(lines))
    for kind, at, other, snippet in edits:
        lines = edit(lines, kind, at, other, snippet)
        text = "\n".join(lines)
        assert watching.save(text) == fresh(text), text
        if _parses(text):
            whole = parse_models_file(text, REL)
            assert watching.module is not None
            assert node_lines(watching.module) == node_lines(whole)
            assert [ast.dump(s) for s in watching.module.statements] == [
                ast.dump(s) for s in whole.statements
            ]


def _parses(text: str) -> bool:
    try:
        parse_models_file(text, REL)
    except SchemaParseError:
        return False
    return True


def test_a_save_reuses_untouched_classes_and_their_nodes() -> None:
    text = sample_models(6)
    watching = Watching()
    watching.save(text)
    before = watching.module
    assert before is not None
    tables = {id(e.draft) for e in watching.state.classes.values()}
    lines = text.split("\n")
    at = lines.index("class Posts(TimestampMixin, Base):")
    lines.insert(at + 2, "    extra: Mapped[int] = mapped_column()")
    edited = "\n".join(lines)
    assert watching.save(edited) == fresh(edited)
    after = watching.module
    assert after is not None
    kept = {id(s) for s in before.statements} & {id(s) for s in after.statements}
    assert len(kept) == len(after.statements) - 1  # only the edited class was parsed again
    reused = {id(e.draft) for e in watching.state.classes.values()} & tables
    assert len(reused) == len(watching.state.classes) - 1  # and only its table rebuilt


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("class A:\n    x = 1\n", "class A:\n    x = 1\n    y = 2\n"),  # the body grows at EOF
        ("class A:\n    x = 1\n", "class A:\n    x = 1\n# c\n    y = 2\n"),  # after a comment
        ("if X:\n    a = 1\nb = 2\n", "if X:\n    a = 1\nelse:\n    b = 2\n"),  # else: joins
        ("a = 1\nb = 2\n", "a = 1\n    b = 2\n"),  # an indented line: the file does not parse
        ("a = (1,\n 2); b = 3\nc = 4\n", "a = (1,\n 2); b = 5\nc = 4\n"),
        ("x = '''\n'''\ny = 1\n", "x = '''\n\ny = 1\n"),  # a string now runs to the end
        ("a = 1", "a = 1\nb = 2"),  # no final newline
        ("a = 1\n\x0cb = 2\n", "a = 1\n\x0cb = 3\n"),  # a form feed is not a line break
    ],
)
def test_edits_at_chunk_boundaries(before: str, after: str) -> None:
    module = reparse_models_file(before, REL, None)
    try:
        whole = parse_models_file(after, REL)
    except SchemaParseError:
        with pytest.raises(SchemaParseError):
            reparse_models_file(after, REL, module)
        return
    again = reparse_models_file(after, REL, module)
    assert [ast.dump(s) for s in again.statements] == [ast.dump(s) for s in whole.statements]
    assert node_lines(again) == node_lines(whole)


@pytest.mark.parametrize("annotation", ["Kind", '"Kind"', "Kind | None"])
def test_a_class_that_names_a_model_added_later_is_rebuilt(annotation: str) -> None:
    holder = (
        "\n\nclass Holder(Base):\n    __tablename__ = 'holder'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        f"    kind: Mapped[{annotation}] = mapped_column()\n"
    )
    kind = (
        "\n\nclass Kind(Base):\n    __tablename__ = 'kind'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    kind_enum = "\n\nclass Kind(enum.Enum):\n    a = 'a'\n"
    text = sample_models(3) + holder
    watching = Watching()
    for version in (text, text + kind, text, text + kind_enum, text + kind):
        assert watching.save(version) == fresh(version)
