"""What `bb context` does and prints, without click: the click command and a click-free fast path
(for the pre-commit hook and CI, where importing click would be most of the run) share it.
"""

from __future__ import annotations

import os
import sys

from betterbase_cli.errors import EXIT_FAILURE, UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import TextIO

FLAGS = ("--check", "--watch", "--dry-run", "--force")
COLORS = {"red": 31, "green": 32, "yellow": 33}


def _stream(err: bool) -> TextIO:
    return sys.stderr if err else sys.stdout


def style(text: str, color: str, err: bool = False) -> str:
    """ANSI colour on a terminal, never with NO_COLOR set (as click.style + click.echo do)."""
    stream = _stream(err)
    if "NO_COLOR" in os.environ or not getattr(stream, "isatty", lambda: False)():
        return text
    return f"\033[{COLORS[color]}m{text}\033[0m"


def echo(message: str, err: bool = False, nl: bool = True) -> None:
    stream = _stream(err)
    stream.write(message + ("\n" if nl else ""))
    stream.flush()


def note(message: str) -> None:
    echo(style("note: ", "yellow", err=True) + message, err=True)


def warn(message: str) -> None:
    echo(style("warning: ", "yellow", err=True) + message, err=True)


def clip(diff: str, limit: int = 60) -> str:
    lines = diff.splitlines(keepends=True)
    if len(lines) <= limit:
        return diff
    return "".join(lines[:limit]) + f"... ({len(lines) - limit} more diff lines)\n"


def execute(check: bool, watch: bool, dry_run: bool, force: bool) -> int:
    """Run `bb context` with these flags; return the exit code.  Raises BetterBaseError."""
    if sum((check, watch, dry_run)) > 1:
        raise UsageError("--check, --watch and --dry-run cannot be combined", hint="pick one")
    if watch:
        from betterbase_cli.context import run as context_run
        from betterbase_cli.context.watch import watch as watch_project

        watch_project(context_run.open_project()[0], force=force)
        return 0
    # A one-shot run makes tens of thousands of objects (bb's cache, the parsed sources) and
    # drops them all at its end: the cycle collector would only walk them again and again,
    # 10-20 ms of a run after an edit.  (The watcher, which lives on, keeps it.)
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _once(check, dry_run, force)
    finally:
        if collecting:
            gc.enable()


def _once(check: bool, dry_run: bool, force: bool) -> int:
    from betterbase_cli.context import run as context_run

    project, last = context_run.open_project()
    if not dry_run:
        # The common case (pre-commit, CI, a second run): nothing changed, nothing to load.
        known = context_run.current(project, last)
        if known is not None:
            tables, routes, warnings = known
            for warning in warnings:
                warn(warning)
            echo(f"context is current ({tables} tables, {routes} routes)")
            return 0
    plan = context_run.prepare(project, force=force, last=last)
    for warning in plan.warnings:
        warn(warning)
    summary = f"{plan.tables} tables, {plan.routes} routes"
    if check:
        stale = plan.changed
        for text in plan.notes:
            note(text)
        if not stale:
            echo(f"context is current ({summary})")
            return 0
        echo(f"context is stale ({summary}); run `bb context` to refresh:", err=True)
        for write in stale:
            echo(f"  {write.action:<9} {write.path}", err=True)
        for write in stale:
            echo(clip(write.diff()), err=True, nl=False)
        return EXIT_FAILURE
    if dry_run:
        for write in plan.writes:
            echo(f"  {write.action:<9} {write.path}")
        for write in plan.changed:
            echo(write.diff(), nl=False)
        for text in plan.notes:
            note(text)
        echo(f"dry run: nothing written ({summary})")
        return 0
    from betterbase_cli.context.plan import apply_plan

    written = apply_plan(project, plan)
    for text in plan.notes:
        note(text)
    if written:
        echo(style("✓ ", "green") + f"wrote {', '.join(written)} ({summary})")
    else:
        echo(f"context is current ({summary})")
    return EXIT_FAILURE if plan.conflicts else 0


def fast_main(argv: list[str]) -> int | None:
    """`bb context ...` / `bb generate context ...` without loading click, or None when the
    arguments need the full CLI (--help, a typo, --watch).  entry.guarded reports errors."""
    args = argv[1:] if argv[:1] == ["context"] else argv[2:]
    if argv[:1] != ["context"] and argv[:2] != ["generate", "context"]:
        return None
    if any(a not in FLAGS for a in args) or "--watch" in args or len(set(args)) != len(args):
        return None
    # Errors are reported by entry.guarded, as for every command.
    return execute("--check" in args, False, "--dry-run" in args, "--force" in args)
