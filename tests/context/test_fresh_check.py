"""`bb context --check` in a fresh process never calls stale context current.

Each scenario changes one thing after `bb context` wrote the context, then runs `--check` twice
over: with bb's cache from that run (the pre-commit case) and with no cache at all (a fresh
clone in CI).  Whenever `--check` says "current", `bb context --force` must change no file; the
scenarios that change what bb renders must be reported stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from context.sample_project import write_sample_project
from context.test_context_cli import OUTPUTS as CONTEXT_FILES
from helpers import assert_no_traceback, run_bb

from betterbase_cli import __version__

OUTPUTS = (*CONTEXT_FILES, ".betterbase/manifest.json")


def snapshot(root: Path) -> dict[str, str | None]:
    return {
        rel: (root / rel).read_text(encoding="utf-8") if (root / rel).is_file() else None
        for rel in OUTPUTS
    }


def edit(root: Path, rel: str, change: Callable[[str], str]) -> None:
    path = root / rel
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def add_route(root: Path) -> None:
    edit(
        root,
        "app/routes/posts.py",
        lambda t: t + '\n\n@router.get("/extra")\ndef extra() -> None: ...\n',
    )


def add_unregistered_router(root: Path) -> None:
    (root / "app/routes/spare.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/spare")\ndef spare() -> None: ...\n',
        encoding="utf-8",
    )


def remove_router(root: Path) -> None:
    (root / "app/routes/posts.py").unlink()


def edit_helper_module(root: Path) -> None:
    edit(root, "app/schemas/posts.py", lambda t: t + "\n\nclass Mood(str, Enum):\n    ok = 'ok'\n")


def edit_json(root: Path) -> None:
    edit(root, ".betterbase-context.json", lambda t: t.replace('"users"', '"members"', 1))


def edit_docs(root: Path) -> None:
    edit(root, "docs/schema.md", lambda t: t + "\nA note.\n")


def edit_agents_block(root: Path) -> None:
    edit(
        root,
        "AGENTS.md",
        lambda t: t.replace("<!-- bb:end -->", "- a line of mine\n<!-- bb:end -->"),
    )


def edit_agents_outside(root: Path) -> None:
    edit(root, "AGENTS.md", lambda t: t + "\nMy own notes.\n")


def remove_claude(root: Path) -> None:
    (root / "CLAUDE.md").unlink()


def change_prefix(root: Path) -> None:
    edit(root, "betterbase.toml", lambda t: t.replace('prefix = "/api"', 'prefix = "/v2"'))


def add_table(root: Path) -> None:
    edit(
        root,
        "app/db/schema.py",
        lambda t: (
            t + '\n\nclass Extra(Base):\n    __tablename__ = "extra"\n\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        ),
    )


def remove_models(root: Path) -> None:
    (root / "app/db/schema.py").unlink()


SCENARIOS: dict[str, tuple[Callable[[Path], None], bool]] = {
    # name: (the change, whether it changes what bb renders)
    "nothing": (lambda root: None, False),
    "a route added to a router": (add_route, True),
    "a router file added, not registered": (add_unregistered_router, True),
    "a registered router file removed": (remove_router, True),
    "a module that declares no routes edited": (edit_helper_module, False),
    "the JSON edited by hand": (edit_json, True),
    "docs/schema.md edited by hand": (edit_docs, True),
    "the AGENTS.md block edited by hand": (edit_agents_block, True),
    "AGENTS.md edited outside the block": (edit_agents_outside, False),
    "CLAUDE.md removed": (remove_claude, True),
    "betterbase.toml changed": (change_prefix, True),
    "a table added to the models": (add_table, True),
    "the models file removed": (remove_models, True),
}


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_check_is_never_wrongly_current(tmp_path: Path, name: str, cached: bool) -> None:
    change, stale = SCENARIOS[name]
    root = tmp_path / "sample"
    write_sample_project(root, tables=4)
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_bb("context", cwd=root, env=home).returncode == 0
    change(root)
    env = home if cached else {"XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    check = run_bb("context", "--check", cwd=root, env=env)
    assert_no_traceback(check)
    before = snapshot(root)
    regenerated = run_bb("context", "--force", cwd=root, env={"BB_NO_CACHE": "1"})
    changed = snapshot(root) != before
    if check.returncode == 0:
        assert "context is current" in check.stdout
        assert not changed, f"--check said current, but regenerating changed files ({name})"
    if stale:
        assert check.returncode != 0, check.stdout
        assert changed or regenerated.returncode != 0
    else:
        assert check.returncode == 0, check.stderr


def run_bb_as_version(version: str, *args: str, cwd: Path, env: dict[str, str]) -> str:
    """Run bb as if it were another release (the version is all that differs)."""
    code = (
        "import sys, betterbase_cli; betterbase_cli.__version__ = sys.argv[1]; "
        "from betterbase_cli.entry import main; sys.argv[1:] = sys.argv[2:]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, version, *args],
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return f"{result.returncode}:{result.stdout}"


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "no-cache"])
def test_another_bb_version_is_stale(tmp_path: Path, cached: bool) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=4)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_bb("context", cwd=root, env=env).returncode == 0
    if not cached:
        env["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")
    assert run_bb_as_version(__version__, "context", "--check", cwd=root, env=env).startswith("0:")
    assert run_bb_as_version("99.0.0", "context", "--check", cwd=root, env=env).startswith("1:")


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "no-cache"])
def test_a_models_file_added_to_a_models_folder_is_stale(tmp_path: Path, cached: bool) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=4)
    edit(root, "betterbase.toml", lambda t: t.replace('"app/db/schema.py"', '"app/db"'))
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_bb("context", cwd=root, env=home).returncode == 0
    assert run_bb("context", "--check", cwd=root, env=home).returncode == 0
    (root / "app/db/extra.py").write_text(
        "from sqlalchemy.orm import Mapped, mapped_column\n\nfrom app.db.schema import Base\n\n\n"
        'class Extra(Base):\n    __tablename__ = "extra"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n",
        encoding="utf-8",
    )
    env = home if cached else {"XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    check = run_bb("context", "--check", cwd=root, env=env)
    assert check.returncode == 1, check.stdout
    assert '"extra"' in check.stderr


def test_settings_json_cannot_hold_are_read_from_the_toml(tmp_path: Path) -> None:
    """The record keeps betterbase.toml's settings as JSON; a TOML date does not fit in it."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=2)
    edit(root, "betterbase.toml", lambda t: t + "\n[extra]\nsince = 2024-01-01\n")
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_bb("context", cwd=root, env=home).returncode == 0
    for _ in range(2):
        check = run_bb("context", "--check", cwd=root, env=home)
        assert check.returncode == 0, check.stderr
        assert "context is current" in check.stdout
    change_prefix(root)
    assert run_bb("context", "--check", cwd=root, env=home).returncode == 1


def check_noting_readers(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`bb context --check` in a fresh process that prints which source readers it loaded."""
    code = textwrap.dedent(
        """
        import sys
        from betterbase_cli.entry import main
        sys.argv = ["bb", "context", "--check"]
        try:
            main()
        finally:
            readers = (".routes", ".python_reader")
            loaded = sorted(m for m in sys.modules if m.endswith(readers))
            print("loaded:", loaded, file=sys.stderr)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, **env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
    )


def test_a_fresh_clone_checks_from_the_manifest_without_reading_code(tmp_path: Path) -> None:
    """No cache at all (CI on a fresh clone): the manifest's record answers, no parser loads."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=4)
    assert run_bb("context", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "a")}).returncode == 0
    result = check_noting_readers(root, {"XDG_CACHE_HOME": str(tmp_path / "b")})
    assert result.returncode == 0, result.stderr
    assert "context is current" in result.stdout
    assert "loaded: []" in result.stderr


def test_after_a_watch_session_the_manifest_answers_without_reading_code(tmp_path: Path) -> None:
    """bb's cache is from before the edits; the watcher (here: a run with another cache) has
    written the context and its record since: `--check` reads no code to say it is current."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=4)
    mine = {"XDG_CACHE_HOME": str(tmp_path / "mine")}
    assert run_bb("context", cwd=root, env=mine).returncode == 0
    add_route(root)
    assert run_bb("context", cwd=root, env={"BB_NO_CACHE": "1"}).returncode == 0
    result = check_noting_readers(root, mine)
    assert result.returncode == 0, result.stderr
    assert "context is current" in result.stdout
    assert "loaded: []" in result.stderr
    assert run_bb("context", "--check", cwd=root, env=mine).returncode == 0  # and again


def test_a_check_answered_by_the_manifest_leaves_bbs_own_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone's first check writes bb's quick record from the manifest's, and that
    record then tells changes apart like one bb made itself."""
    from betterbase_cli.context import cache

    root = tmp_path / "sample"
    write_sample_project(root, tables=4)
    assert run_bb("context", cwd=root, env={"BB_NO_CACHE": "1"}).returncode == 0
    clone = {"XDG_CACHE_HOME": str(tmp_path / "clone")}
    monkeypatch.setenv("XDG_CACHE_HOME", clone["XDG_CACHE_HOME"])
    assert not cache.cache_file(root, ".json").exists()
    assert run_bb("context", "--check", cwd=root, env=clone).returncode == 0
    assert cache.cache_file(root, ".json").exists()
    result = check_noting_readers(root, clone)  # now from bb's record: still current
    assert result.returncode == 0 and "loaded: []" in result.stderr, result.stderr
    add_route(root)
    assert run_bb("context", "--check", cwd=root, env=clone).returncode == 1
    assert run_bb("context", cwd=root, env=clone).returncode == 0
    uncached = run_bb("context", "--check", cwd=root, env={"BB_NO_CACHE": "1"})
    assert uncached.returncode == 0, uncached.stderr
