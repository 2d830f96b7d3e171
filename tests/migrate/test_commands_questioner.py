"""The questioner behind `bb migrate`: canned answers stand in for a person at a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from migrate.migrate_helpers import bb, make_project, set_models

from betterbase_cli.errors import Aborted, OpenQuestions, UsageError
from betterbase_cli.migrate.diff import Question
from betterbase_cli.migrate.ops import AddColumn, DropColumn, RenameColumn
from betterbase_cli.migrate.questioner import Answers, parse_renames, resolve
from betterbase_cli.schema.model import Column, ColumnType, Schema, Table

TEXT = ColumnType("string", length=100)
ID = Column("id", ColumnType("integer"), nullable=False)


def _users(*columns: Column) -> Schema:
    return Schema(tables=(Table("users", (ID, *columns), primary_key=("id",)),))


BEFORE = _users(Column("name", TEXT, nullable=False))
RENAMED = _users(Column("full_name", TEXT, nullable=False))


class Canned:
    """Answers questions from a script and remembers what was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[Question] = []

    def __call__(self, question: Question) -> str | None:
        self.asked.append(question)
        return self.answers.pop(0)


def test_rename_answered_yes_keeps_the_column() -> None:
    ask = Canned("yes")
    resolved = resolve(BEFORE, RENAMED, Answers(), ask)
    assert [q.kind for q in ask.asked] == ["rename"]
    assert ask.asked[0].key == "users.name=users.full_name"
    assert [type(op) for op in resolved.result.operations] == [RenameColumn]


def test_rename_answered_no_asks_for_a_default_and_consent_to_drop() -> None:
    ask = Canned("no", "'unknown'", "yes")
    resolved = resolve(BEFORE, RENAMED, Answers(), ask)
    assert [q.kind for q in ask.asked] == ["rename", "default", "destructive"]
    assert "drop column users.name" in ask.asked[2].text
    kinds = {type(op) for op in resolved.result.operations}
    assert DropColumn in kinds and AddColumn in kinds


def test_declining_data_loss_aborts() -> None:
    with pytest.raises(Aborted):
        resolve(BEFORE, RENAMED, Answers(), Canned("no", "''", "no"))


def test_flags_answer_without_asking() -> None:
    ask = Canned()
    answers = Answers(renames=parse_renames(["users.name=full_name"]))
    resolved = resolve(BEFORE, RENAMED, answers, ask)
    assert ask.asked == [] and isinstance(resolved.result.operations[0], RenameColumn)
    answers = Answers(
        rejected_renames=frozenset({"users.name=users.full_name"}),
        defaults={"users.full_name": "''"},
        allow_destructive=True,
    )
    assert resolve(BEFORE, RENAMED, answers, ask).result.operations
    assert ask.asked == []


def test_without_a_terminal_every_open_question_is_listed_with_its_flag() -> None:
    after = _users(
        Column("full_name", TEXT, nullable=False),
        Column("age", ColumnType("integer"), nullable=False),
    )
    with pytest.raises(OpenQuestions) as caught:
        resolve(BEFORE, after, Answers(), None)
    flags = [flag for _, flag in caught.value.questions]
    assert flags == [
        "--rename users.name=users.full_name",
        "--default users.full_name=VALUE",  # needed if it is not a rename
        "--default users.age=VALUE",
    ]


def test_default_answer_fills_existing_rows() -> None:
    after = _users(
        Column("name", TEXT, nullable=False), Column("age", ColumnType("integer"), nullable=False)
    )
    ask = Canned("18")
    resolved = resolve(BEFORE, after, Answers(), ask)
    add = resolved.result.operations[0]
    assert isinstance(add, AddColumn) and add.fill == "18"


@pytest.mark.parametrize("value", ["users", "users.name=", "users.name=people"])
def test_bad_rename_flags(value: str) -> None:
    with pytest.raises(UsageError):
        resolve(BEFORE, RENAMED, Answers(renames=parse_renames([value])), None)


# --- on a real terminal (a pseudo-terminal), through questionary --------------------------------


def _on_a_terminal(
    cwd: Path, args: list[str], script: list[tuple[bytes, bytes]]
) -> tuple[int, str]:
    """Run bb on a pseudo-terminal; for each (prompt, keys) wait for the prompt, type the keys."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL")}
    env["NO_COLOR"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "betterbase_cli", *args],
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    seen = b""

    def read_until(marker: bytes | None, timeout: float = 60) -> None:
        nonlocal seen
        end = time.monotonic() + timeout
        while time.monotonic() < end and (marker is None or marker not in seen):
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                seen += chunk
            elif marker is None and proc.poll() is not None:
                return

    try:
        for prompt, keys in script:
            read_until(prompt)
            assert prompt in seen, seen.decode(errors="replace")
            seen = seen.replace(prompt, b"", 1)  # the next prompt must be a new one
            os.write(master, keys)
        read_until(None)
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, seen.decode(errors="replace")


MODELS = """
class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
"""


def test_rename_asked_on_a_terminal(tmp_path: Path) -> None:
    root = make_project(tmp_path, MODELS)
    assert bb(root, "migrate").exit_code == 0
    set_models(root, MODELS.replace("name:", "full_name:"))
    code, screen = _on_a_terminal(root, ["migrate"], [(b"(Y/n)", b"y\r")])
    assert code == 0, screen
    assert "rename column users.name to full_name" in screen
    assert (root / "migrations/sqlite/0002_rename_users_name_to_full_name.sql").is_file()


def test_declining_data_loss_on_a_terminal_changes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path, MODELS)
    assert bb(root, "migrate").exit_code == 0
    set_models(root, MODELS.replace("    name: Mapped[str] = mapped_column(String(100))\n", ""))
    code, screen = _on_a_terminal(root, ["migrate"], [(b"(y/N)", b"n\r")])
    assert code == 1, screen
    assert "declined" in screen
    assert not (root / "migrations/sqlite/0002_drop_users_name.sql").exists()
