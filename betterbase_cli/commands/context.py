"""`bb context` and `bb generate context`: write, check or watch the AI context files."""

from __future__ import annotations

from typing import Any

import click

from betterbase_cli.errors import EXIT_FAILURE, UsageError

# Output goes through click, not rich: importing rich costs more than the whole cold run.


def _note(message: str) -> None:
    click.echo(click.style("note: ", fg="yellow") + message, err=True)


def _warn(message: str) -> None:
    click.echo(click.style("warning: ", fg="yellow") + message, err=True)


def run(check: bool, watch: bool, dry_run: bool, force: bool) -> None:
    """Parse nothing here: load the project, call the library, render its answer."""
    from betterbase_cli.context import run as context_run
    from betterbase_cli.context.plan import apply_plan
    from betterbase_cli.project import load_project

    if sum((check, watch, dry_run)) > 1:
        raise UsageError("--check, --watch and --dry-run cannot be combined", hint="pick one")
    project = load_project()
    if watch:
        from betterbase_cli.context.watch import watch as watch_project

        watch_project(project, force=force)
        return
    plan = context_run.prepare(project, force=force)
    for warning in plan.warnings:
        _warn(warning)
    summary = f"{plan.tables} tables, {plan.routes} routes"
    if check:
        stale = plan.changed
        for note in plan.notes:
            _note(note)
        if not stale:
            click.echo(f"context is current ({summary})")
            return
        click.echo(f"context is stale ({summary}); run `bb context` to refresh:", err=True)
        for write in stale:
            click.echo(f"  {write.action:<9} {write.path}", err=True)
        for write in stale:
            click.echo(_clip(write.diff()), err=True, nl=False)
        raise SystemExit(EXIT_FAILURE)
    if dry_run:
        for write in plan.writes:
            click.echo(f"  {write.action:<9} {write.path}")
        for write in plan.changed:
            click.echo(write.diff(), nl=False)
        for note in plan.notes:
            _note(note)
        click.echo(f"dry run: nothing written ({summary})")
        return
    written = apply_plan(project, plan)
    for note in plan.notes:
        _note(note)
    if written:
        click.echo(click.style("✓ ", fg="green") + f"wrote {', '.join(written)} ({summary})")
    else:
        click.echo(f"context is current ({summary})")
    if plan.conflicts:
        raise SystemExit(EXIT_FAILURE)


def _clip(diff: str, limit: int = 60) -> str:
    lines = diff.splitlines(keepends=True)
    if len(lines) <= limit:
        return diff
    return "".join(lines[:limit]) + f"... ({len(lines) - limit} more diff lines)\n"


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
