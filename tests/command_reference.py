"""Build the README's command reference from `--help`; run this file to rewrite the README.

    python tests/command_reference.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from betterbase_cli.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- commands:begin -->", "<!-- commands:end -->"


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group, info_name="bb")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="bb", terminal_width=100)
    assert result.exit_code == 0, (path, result.output)
    return result.output.rstrip()


def reference() -> str:
    parts = [f"### `bb`\n\n```text\n{help_text(())}\n```"]
    for path in walk(cli):
        parts.append(f"### `bb {' '.join(path)}`\n\n```text\n{help_text(path)}\n```")
    return "\n\n".join(parts)


def current() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n?" + re.escape(END), text, re.S)
    assert match, "README.md lacks the command reference markers"
    return match.group(1).strip()


def update() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + reference() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    update()
