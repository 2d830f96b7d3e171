"""`bb context` and `bb generate context`: write, check or watch the AI context files."""

from __future__ import annotations

from typing import Any

import click


def run(check: bool, watch: bool, dry_run: bool, force: bool) -> None:
    """The work and its output live in context/command.py, shared with the click-free path."""
    from betterbase_cli.context.command import execute

    code = execute(check, watch, dry_run, force)
    if code:
        raise SystemExit(code)


OPTIONS = [
    ("--check", "Exit 1 and show the difference when the files are stale."),
    ("--watch", "Keep the files current while sources change (Ctrl-C stops)."),
    ("--dry-run", "Show what would be written, and the diff; write nothing."),
    ("--force", "Replace bb's whole files (docs/schema.md, ...) even if a person edited them."),
]


def _options(function: Any) -> Any:
    for flag, help_ in reversed(OPTIONS):
        function = click.option(flag, is_flag=True, help=help_)(function)
    return function


HELP = """Write the AI context: .betterbase-context.json, docs/schema.md and the bb block in
AGENTS.md (plus CLAUDE.md, Cursor and Copilot files, per [ai] targets in betterbase.toml).

The models and routes are read as text; nothing is imported.

\b
Examples:
  bb context              write the files that changed
  bb context --check      exit 1 when they are stale (pre-commit, CI)
  bb context --watch      rewrite them on every save
  bb context --dry-run    show the plan and the diff
"""


@click.command("context", help=HELP)
@_options
def context(check: bool, watch: bool, dry_run: bool, force: bool) -> None:
    run(check, watch, dry_run, force)


@click.command("context", help=HELP)
@_options
def generate_context(check: bool, watch: bool, dry_run: bool, force: bool) -> None:
    run(check, watch, dry_run, force)
