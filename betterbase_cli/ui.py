"""Console output and questions.  Colour only on a terminal and never with NO_COLOR set."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@cache
def console() -> Console:
    from rich.console import Console

    return Console(highlight=False, no_color="NO_COLOR" in os.environ or None, soft_wrap=True)


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(
        stderr=True, highlight=False, no_color="NO_COLOR" in os.environ or None, soft_wrap=True
    )


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def error(message: str, hint: str | None = None) -> None:
    out = err_console()
    out.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        out.print(f"[dim]hint:[/] {escape(hint)}")


def warn(message: str) -> None:
    err_console().print(f"[yellow]warning:[/] {escape(message)}")


def info(message: str) -> None:
    """Plain text (already escaped, may carry rich markup)."""
    console().print(message)


def success(message: str) -> None:
    console().print(f"[green]✓[/] {escape(message)}")


def is_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def interactive(yes: bool = False) -> bool:
    """True when bb may ask: stdin and stdout are terminals, not CI, and no --yes."""
    if yes or is_ci():
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
