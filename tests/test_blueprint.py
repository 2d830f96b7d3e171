"""bb's built-in renderer produces exactly what `copier copy` produces from the same blueprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from betterbase_cli import blueprint


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _without_source_lines(text: bytes) -> bytes:
    # Copier records where it copied from; bb records its own blueprint release instead.
    keep = [
        ln for ln in text.splitlines(keepends=True) if not ln.startswith((b"_src_path", b"_commit"))
    ]
    return b"".join(keep)


@pytest.mark.parametrize(
    "answers",
    [
        {"project_name": "my-app", "db": "sqlite", "auth": False, "ai": True},
        {"project_name": "shop", "db": "postgresql", "auth": False, "ai": False},
        {"project_name": "legacy_api", "db": "mysql", "auth": False, "ai": True},
    ],
)
def test_same_output_as_copier(tmp_path: Path, answers: dict[str, object]) -> None:
    copier = pytest.importorskip("copier")
    project = blueprint.load("project")
    copier.run_copy(
        str(project.root), str(tmp_path), data=answers, defaults=True, quiet=True, unsafe=True
    )
    expected = _tree(tmp_path)
    ours = {f.path: f.content for f in blueprint.render(project, answers)}
    assert sorted(ours) == sorted(expected)
    for path, content in expected.items():
        if path == project.answers_file:
            assert _without_source_lines(ours[path]) == _without_source_lines(content)
        else:
            assert ours[path] == content, path


def test_answers_file_names_the_blueprint_release() -> None:
    from betterbase_cli import __version__

    project = blueprint.load("project")
    files = blueprint.render(
        project, {"project_name": "x", "db": "sqlite", "auth": False, "ai": True}
    )
    answers = next(f for f in files if f.path == ".copier-answers.yml").content.decode()
    assert "_src_path: bb:project" in answers
    assert f"_commit: v{__version__}" in answers
