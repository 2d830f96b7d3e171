"""The pre-commit hook: this repo's manifest is valid, and a real `pre-commit run` gates on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO, run_bb

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
    "pre-commit"
)
pytestmark = pytest.mark.skipif(
    PRE_COMMIT is None, reason="pre-commit is not installed (dev extra)"
)

CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: bb-context
        name: bb context is current
        entry: bb context --check
        language: system
        pass_filenames: false
        always_run: true
"""


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PRE_COMMIT_HOME": str(home),
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }  # fmt: skip
    return subprocess.run(
        [PRE_COMMIT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_the_hooks_manifest_is_valid_and_names_the_real_commands(tmp_path: Path) -> None:
    manifest = REPO / ".pre-commit-hooks.yaml"
    result = pre_commit("validate-manifest", str(manifest), cwd=REPO, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {h["id"]: h for h in yaml.safe_load(manifest.read_text())}
    assert hooks["bb-context"]["entry"] == "bb context --check"
    assert hooks["bb-migrate-check"]["entry"] == "bb migrate check"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False


def test_a_real_pre_commit_run_fails_on_stale_context_and_passes_when_fresh(
    sample: Path, tmp_path: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    (sample / ".pre-commit-config.yaml").write_text(CONFIG)
    assert pre_commit("validate-config", cwd=sample, home=home).returncode == 0
    git("init", "-q", cwd=sample)
    git("add", "-A", cwd=sample)

    stale = pre_commit("run", "--all-files", cwd=sample, home=home)
    assert stale.returncode == 1, stale.stdout
    assert "bb context is current" in stale.stdout and "Failed" in stale.stdout
    assert "stale" in stale.stdout

    assert run_bb("context", cwd=sample).returncode == 0
    git("add", "-A", cwd=sample)
    fresh = pre_commit("run", "--all-files", cwd=sample, home=home)
    assert fresh.returncode == 0, fresh.stdout
    assert "Passed" in fresh.stdout

    router = sample / "app/routes/posts.py"
    router.write_text(router.read_text() + '\n\n@router.get("/feed")\ndef feed() -> None: ...\n')
    git("add", "-A", cwd=sample)
    commit = pre_commit("run", cwd=sample, home=home)  # staged files only, as on `git commit`
    assert commit.returncode == 1 and "/api/posts/feed" in commit.stdout
