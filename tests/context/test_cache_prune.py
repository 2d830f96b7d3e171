"""bb's context cache is per project path: old projects' caches are removed, nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_bb

from betterbase_cli.context import cache


def test_prune_keeps_the_most_recently_written_projects(tmp_path: Path) -> None:
    stems = [f"{i:024x}" for i in range(10)]
    for age, stem in enumerate(stems):  # stems[0] is the newest
        for suffix in (".pickle", ".json"):
            path = tmp_path / f"{stem}{suffix}"
            path.write_bytes(b"x")
            os.utime(path, (1_000_000 - age, 1_000_000 - age))
    others = [tmp_path / "notes.txt", tmp_path / ("z" * 24 + ".pickle")]
    for path in others:
        path.write_text("mine")
    cache.prune(tmp_path, keep=4)
    left = sorted(p.name for p in tmp_path.iterdir())
    kept = [f"{s}{x}" for s in stems[:3] for x in (".json", ".pickle")]
    assert left == sorted(kept + [p.name for p in others])


def test_a_new_project_prunes_old_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # for cache.settle
    folder = tmp_path / "xdg" / "betterbase" / "context"
    folder.mkdir(parents=True)
    for i in range(cache.KEEP_PROJECTS + 5):
        (folder / f"{i:024x}.pickle").write_bytes(b"x")
    project = tmp_path / "shop"
    made = run_bb("init", str(project), "--yes", "--no-install", "--no-git", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (project / ".betterbase-context.json").unlink()
    result = run_bb("context", cwd=project, env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert result.returncode == 0, result.stderr
    cache.settle(project)  # the child saving the cache after bb's exit is done
    stems = {p.name.partition(".")[0] for p in folder.iterdir()}
    assert len(stems) == cache.KEEP_PROJECTS
    assert cache.cache_file(project).name.partition(".")[0] in stems
