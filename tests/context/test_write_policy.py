"""How `bb context` writes: files it owns whole are replaced without waiting for the disk, and
an empty one (what a crash can leave of such a write) is written again, never a conflict."""

from __future__ import annotations

import os
from pathlib import Path

from context.sample_project import write_sample_project
from helpers import run_bb

from betterbase_cli.codegen import files


def test_an_emptied_context_file_is_written_again(tmp_path: Path) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=3)
    assert run_bb("context", cwd=root).returncode == 0
    written = (root / ".betterbase-context.json").read_text(encoding="utf-8")
    (root / ".betterbase-context.json").write_text("", encoding="utf-8")
    (root / "docs/schema.md").write_text("mine\n", encoding="utf-8")  # a person's edit
    result = run_bb("context", cwd=root)
    assert result.returncode == 1, result.stdout  # the edited docs are a conflict
    assert (root / ".betterbase-context.json").read_text(encoding="utf-8") == written
    assert (root / "docs/schema.md").read_text(encoding="utf-8") == "mine\n"
    assert ".betterbase-context.json" not in result.stderr


def test_a_non_durable_write_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o640)
    files.write_atomic(target, "new", durable=False)
    assert target.read_text(encoding="utf-8") == "new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left
    files.write_atomic(tmp_path / "sub" / "new.json", "x", durable=False)
    assert (tmp_path / "sub" / "new.json").read_text(encoding="utf-8") == "x"
