"""bb's context cache in parts: whatever a run loads or skips, the context it writes is what an
uncached run writes, and a run saves only the parts it changed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from context.sample_project import write_sample_project
from context.test_fresh_check import change_prefix, edit, edit_helper_module, remove_router
from helpers import run_bb

from betterbase_cli.context import cache


def add_route(i: int) -> Callable[[Path], None]:
    return lambda root: edit(
        root,
        "app/routes/posts.py",
        lambda t: t + f'\n\n@router.get("/x{i}")\ndef x{i}() -> None: ...\n',
    )


def add_table(i: int) -> Callable[[Path], None]:
    return lambda root: edit(
        root,
        "app/db/schema.py",
        lambda t: (
            t + f'\n\nclass X{i}(Base):\n    __tablename__ = "x{i}"\n\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        ),
    )


def add_column(root: Path) -> None:
    edit(
        root,
        "app/db/schema.py",
        lambda t: t.replace(
            '    __tablename__ = "users"\n',
            '    __tablename__ = "users"\n    nickname: Mapped[str | None] = mapped_column()\n',
            1,
        ),
    )


def both(root: Path) -> None:
    add_route(9)(root)
    add_table(9)(root)


def comment(root: Path) -> None:
    edit(root, "app/schemas/posts.py", lambda t: t + "\n# a note\n")


def break_cache(root: Path) -> None:
    for part in cache.PARTS:
        path = cache.cache_file(root, f".{part}.pickle")
        if path.exists():
            path.write_bytes(b"not a pickle")


EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("a route", add_route(1)),
    ("another route", add_route(2)),
    ("a table", add_table(1)),
    ("a column", add_column),
    ("a route and a table", both),
    ("a helper module", edit_helper_module),
    ("nothing", lambda root: None),
    ("the settings", change_prefix),
    ("a route after the settings", add_route(3)),
    ("a broken cache", break_cache),
    ("a table after a broken cache", add_table(2)),
    ("a router removed", remove_router),
    ("a table after a router removed", add_table(3)),
]


# The reference: one process, no cache (a forked child reads the models wherever it can, and
# renders the tables when there is nothing cached; the cache is saved by a child that outlives
# the run).
SERIAL = {"BB_NO_CACHE": "1", "BB_NO_FORK": "1"}


@pytest.mark.parametrize("fork", ["", "1"], ids=["children where they help", "one process"])
def test_a_cached_run_writes_what_an_uncached_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: str
) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=5)
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "BB_NO_FORK": fork}
    monkeypatch.setenv("XDG_CACHE_HOME", home["XDG_CACHE_HOME"])  # for cache.cache_file
    assert run_bb("context", cwd=root, env=home).returncode == 0
    for name, change in EDITS:
        change(root)
        run = run_bb("context", cwd=root, env=home)
        assert run.returncode == 0, (name, run.stderr)
        check = run_bb("context", "--check", cwd=root, env=SERIAL)
        assert check.returncode == 0, (name, check.stderr)


def test_a_first_run_with_children_writes_what_one_process_writes(tmp_path: Path) -> None:
    """No cache at all: a child reads the models and renders every table."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=5)
    assert run_bb("context", cwd=root, env={"BB_NO_CACHE": "1"}).returncode == 0
    check = run_bb("context", "--check", cwd=root, env=SERIAL)
    assert check.returncode == 0, check.stderr


def test_an_error_in_the_models_is_the_one_reported_with_a_child_or_without(
    tmp_path: Path,
) -> None:
    """The child reads the models while this process reads the routes: when both are broken,
    the models' error is still the one reported, as in one process, and nothing is written."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=3)
    assert run_bb("context", cwd=root).returncode == 0
    before = (root / ".betterbase-context.json").read_text(encoding="utf-8")
    edit(root, "app/db/schema.py", lambda t: t + "\nclass Broken(Base:\n")
    edit(root, "app/routes/posts.py", lambda t: t + "\ndef broken(:\n")
    errors = []
    for fork in ("", "1"):
        result = run_bb("context", cwd=root, env={"BB_NO_FORK": fork})
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        errors.append(result.stderr)
    assert "app/db/schema.py" in errors[0] and errors[0] == errors[1]
    assert (root / ".betterbase-context.json").read_text(encoding="utf-8") == before


def stamps(root: Path) -> dict[str, int]:
    cache.settle(root)  # the child saving the cache in the background is done
    return {
        part: cache.cache_file(root, f".{part}.pickle").stat().st_mtime_ns for part in cache.PARTS
    }


@pytest.mark.parametrize(
    ("change", "saved"),
    [
        (add_route(1), {"routes"}),
        (add_column, {"schema", "parts"}),
        (add_table(1), {"schema", "parts"}),  # a class: linked again, the same routes
        (edit_helper_module, set()),  # a class added: linked again, the same routes
        (comment, set()),
    ],
    ids=["a route", "a column", "a table", "a class in a helper module", "a comment"],
)
def test_a_run_saves_only_the_parts_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None], saved: set[str]
) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=5)
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    monkeypatch.setenv("XDG_CACHE_HOME", home["XDG_CACHE_HOME"])
    assert run_bb("context", cwd=root, env=home).returncode == 0
    before = stamps(root)
    change(root)
    assert run_bb("context", cwd=root, env=home).returncode == 0
    after = stamps(root)
    assert {part for part in cache.PARTS if after[part] != before[part]} == saved


EXTRA_MODELS = """from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from app.db.schema import Base


class Extras(Base):
    __tablename__ = "extras"

    id: Mapped[int] = mapped_column(primary_key=True)
"""


def test_cache_parts_made_under_other_settings_are_not_used(tmp_path: Path) -> None:
    """The settings change while bb's cache is not looking (an uncached run, a pull), then a
    check takes the manifest's record in: the next cached run must not reuse the parts made
    under the old settings (here, a schema that read one more models file)."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=3)
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    (root / "app/db/extra.py").write_text(EXTRA_MODELS, encoding="utf-8")
    two = 'paths = ["app/db/schema.py", "app/db/extra.py"]'
    edit(root, "betterbase.toml", lambda t: t.replace('paths = ["app/db/schema.py"]', two))
    assert run_bb("context", cwd=root, env=home).returncode == 0
    edit(root, "betterbase.toml", lambda t: t.replace(two, 'paths = ["app/db/schema.py"]'))
    assert run_bb("context", cwd=root, env={"BB_NO_CACHE": "1"}).returncode == 0
    assert run_bb("context", "--check", cwd=root, env=home).returncode == 0
    add_route(1)(root)
    assert run_bb("context", cwd=root, env=home).returncode == 0
    check = run_bb("context", "--dry-run", cwd=root, env={"BB_NO_CACHE": "1"})
    assert "update" not in check.stdout, check.stdout
    assert '"extras"' not in (root / ".betterbase-context.json").read_text(encoding="utf-8")


def test_a_module_the_models_import_before_it_exists_makes_the_cache_stale(
    tmp_path: Path,
) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=3)
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    edit(
        root,
        "app/db/schema.py",
        lambda t: t.replace(
            "import datetime\n", "import datetime\n\nfrom app.db.extra import Extras\n", 1
        ),
    )
    assert run_bb("context", cwd=root, env=home).returncode == 0
    assert run_bb("context", cwd=root, env=home).returncode == 0  # from the cache
    (root / "app/db/extra.py").write_text(EXTRA_MODELS, encoding="utf-8")
    assert run_bb("context", "--check", cwd=root, env=home).returncode == 1
    assert run_bb("context", cwd=root, env=home).returncode == 0
    assert '"extras"' in (root / ".betterbase-context.json").read_text(encoding="utf-8")
    check = run_bb("context", "--check", cwd=root, env={"BB_NO_CACHE": "1"})
    assert check.returncode == 0, check.stderr


def test_a_run_reads_what_the_last_one_saved_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is saved by a child nobody waits for; a load right after waits for it (a
    slow save here), so it never reads an older part, or none."""
    from betterbase_cli import forked

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(forked, "usable", lambda: True)
    save = cache.save

    def slow_save(root: Path, part: str, state: dict[str, object]) -> None:
        time.sleep(0.3)
        save(root, part, state)

    monkeypatch.setattr(cache, "save", slow_save)
    root = tmp_path / "project"
    root.mkdir()
    cache.save_all(root, {"routes": {"n": 1}, "schema": {"n": 2}})
    assert forked._DETACHED  # saved by a child
    loaded = cache.load(root, "routes"), cache.load(root, "schema")
    assert [part and part["n"] for part in loaded] == [1, 2]


def test_without_a_fork_the_cache_is_saved_in_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from betterbase_cli import forked

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(forked, "usable", lambda: True)

    def no_fork() -> int:
        raise OSError("no more processes")

    monkeypatch.setattr(os, "fork", no_fork)
    root = tmp_path / "project"
    root.mkdir()
    cache.save_all(root, {"parts": {"n": 3}})
    assert cache.cache_file(root, ".parts.pickle").exists()
    found = cache.load(root, "parts")
    assert found is not None and found["n"] == 3


def test_a_lock_held_too_long_is_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saver that hangs (a stuck network home) must not hang every later run: loads and
    saves give up waiting after LOCK_PATIENCE and go on without the lock."""
    import fcntl

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "LOCK_PATIENCE", 0.2)
    root = tmp_path / "project"
    root.mkdir()
    cache.save(root, "routes", {"n": 1})
    lock = cache.cache_file(root, ".lock")
    held = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        found = cache.load(root, "routes")
        assert found is not None and found["n"] == 1
        cache.save_all(root, {"schema": {"n": 2}})  # without the lock: written in line
        found = cache.load(root, "schema")
        assert found is not None and found["n"] == 2
    finally:
        os.close(held)
