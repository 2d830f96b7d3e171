"""The README stays honest: its test command is CI's, its command reference is `--help`."""

from __future__ import annotations

import re

from command_reference import README, ROOT_HELP, current, reference, root_help_module, walk

from betterbase_cli.cli import COMMANDS, cli

REPO = README.parent


def _code_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", markdown, re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = _code_blocks(quickstart)
    assert len(blocks) == 2, "the quickstart has exactly two commands"
    test_command = blocks[1].strip()
    ci_lines = [ln for ln in (REPO / ".ci/run").read_text().splitlines() if ln and ln[0] not in "#"]
    assert test_command in ci_lines


def test_command_reference_matches_help() -> None:
    assert current() == reference(), "run: python tests/command_reference.py"


def test_every_command_is_in_the_readme_and_has_an_example() -> None:
    text = README.read_text()
    for name in COMMANDS:
        assert f"### `bb {name}`" in text
    from click.testing import CliRunner

    for path in walk(cli):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert "Example" in result.output, f"bb {' '.join(path)} --help has no example"


def test_changelog_follows_keep_a_changelog() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog")
    assert "## [Unreleased]" in text


def test_fast_root_help_is_clicks_help() -> None:
    assert ROOT_HELP.read_text() == root_help_module(), "run: python tests/command_reference.py"
