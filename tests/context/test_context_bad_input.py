"""Bad input to `bb context`: one clear message with file:line, exit 1, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import assert_no_traceback, run_bb

OUTPUTS = (".betterbase-context.json", "AGENTS.md", "docs/schema.md", "CLAUDE.md")


def contents(root: Path) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p in OUTPUTS if (root / p).exists()}


@pytest.fixture
def written(sample: Path) -> Path:
    result = run_bb("context", cwd=sample)
    assert result.returncode == 0, result.stderr
    return sample


@pytest.mark.parametrize(
    ("rel", "broken", "where"),
    [
        (
            "app/routes/posts.py",
            "\n\n@router.get('/x')\ndef half_typed(:\n",
            "app/routes/posts.py:",
        ),
        ("app/db/schema.py", "\n\nclass Half(Base:\n", "app/db/schema.py:"),
    ],
    ids=["route", "model"],
)
def test_a_syntax_error_names_the_place_and_keeps_the_last_good_context(
    written: Path, rel: str, broken: str, where: str
) -> None:
    before = contents(written)
    path = written / rel
    lines = len(path.read_text().splitlines())
    path.write_text(path.read_text() + broken)
    for args in (["context"], ["context", "--check"]):
        result = run_bb(*args, cwd=written)
        assert result.returncode == 1
        assert_no_traceback(result)
        line = int(result.stderr.split(where, 1)[1].split(":", 1)[0])
        assert lines < line <= lines + 4
        assert contents(written) == before


def test_constructs_bb_cannot_read_are_warnings_with_file_and_line(written: Path) -> None:
    models = written / "app/db/schema.py"
    models.write_text(
        models.read_text().replace(
            'role: Mapped[str] = mapped_column(String(20), server_default="member")',
            'role: Mapped[str] = mapped_column(String(20), server_default="member")\n'
            "    shape: Mapped[str] = mapped_column(GeometryType(srid=4326))",
        )
    )
    router = written / "app/routes/posts.py"
    router.write_text(
        router.read_text() + "\n\n@router.get(make_path())\ndef dynamic() -> None: ...\n"
    )
    result = run_bb("context", cwd=written)
    assert result.returncode == 0
    data = json.loads((written / ".betterbase-context.json").read_text())
    model_warning = next(w for w in data["warnings"] if "GeometryType" in w)
    route_warning = next(w for w in data["warnings"] if "`dynamic`" in w)
    assert model_warning.startswith("app/db/schema.py:") and route_warning.startswith(
        "app/routes/posts.py:"
    )
    assert f"warning: {model_warning}" in result.stderr
    assert f"warning: {route_warning}" in result.stderr
    assert "bb could not read 2 construct(s)" in (written / "AGENTS.md").read_text()


def test_an_edited_block_is_named_regenerated_and_the_rest_kept(written: Path) -> None:
    agents = written / "AGENTS.md"
    generated = agents.read_text()
    agents.write_text("# Team rules\n\nNo force pushes.\n\n" + generated.replace(
        "### Commands", "### Commands\n- `make deploy`: my own line"
    ))  # fmt: skip
    result = run_bb("context", cwd=written)
    assert result.returncode == 0
    assert "AGENTS.md:" in result.stderr and "edited by hand" in result.stderr
    text = agents.read_text()
    assert text.startswith("# Team rules\n\nNo force pushes.\n\n# AGENTS.md")
    assert "make deploy" not in text and text.endswith(generated)


def test_missing_markers_get_a_fresh_block(written: Path) -> None:
    (written / "AGENTS.md").write_text("# Mine\n\nHand-written only.\n")
    result = run_bb("context", cwd=written)
    assert result.returncode == 0 and "had no bb block" in result.stderr
    text = (written / "AGENTS.md").read_text()
    assert text.startswith("# Mine\n\nHand-written only.\n\n<!-- bb:begin")


def test_duplicated_markers_stop_before_anything_is_written(written: Path) -> None:
    agents = written / "AGENTS.md"
    text = agents.read_text()
    agents.write_text(text + "\n<!-- bb:begin -->\nstray\n<!-- bb:end -->\n")
    router = written / "app/routes/posts.py"
    router.write_text(router.read_text() + '\n\n@router.get("/feed")\ndef feed() -> None: ...\n')
    before = contents(written)
    result = run_bb("context", cwd=written)
    assert result.returncode == 1
    assert_no_traceback(result)
    line = len(text.splitlines()) + 2
    assert f"AGENTS.md:{line}:1: a second `<!-- bb:begin -->` marker" in result.stderr
    assert "hint:" in result.stderr
    assert contents(written) == before


def test_an_unreadable_source_is_an_error_not_a_silent_gap(written: Path) -> None:
    (written / "app/routes/ghost.py").symlink_to(written / "nowhere.py")
    result = run_bb("context", cwd=written)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert "app/routes/ghost.py: cannot be read" in result.stderr and "hint:" in result.stderr


def test_not_utf8_is_an_error(written: Path) -> None:
    (written / "app/routes/latin.py").write_bytes(b"# caf\xe9\nrouter = None\n")
    result = run_bb("context", cwd=written)
    assert result.returncode == 1 and "app/routes/latin.py:1:" in result.stderr
    assert "UTF-8" in result.stderr


def test_outside_a_project_says_how_to_fix_it(tmp_path: Path) -> None:
    result = run_bb("context", "--check", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert "no BetterBase project found" in result.stderr and "bb init" in result.stderr
