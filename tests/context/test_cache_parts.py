"""bb's context cache in parts: whatever a run loads or skips, the context it writes is what an
uncached run writes, and a run saves only the parts it changed."""

from __future__ import annotations

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


def test_a_cached_run_writes_what_an_uncached_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "sample"
    write_sample_project(root, tables=5)
    home = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    monkeypatch.setenv("XDG_CACHE_HOME", home["XDG_CACHE_HOME"])  # for cache.cache_file
    assert run_bb("context", cwd=root, env=home).returncode == 0
    for name, change in EDITS:
        change(root)
        run = run_bb("context", cwd=root, env=home)
        assert run.returncode == 0, (name, run.stderr)
        check = run_bb("context", "--check", cwd=root, env={"BB_NO_CACHE": "1"})
        assert check.returncode == 0, (name, check.stderr)


def stamps(root: Path) -> dict[str, int]:
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
