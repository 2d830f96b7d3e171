"""Console output and questions.  Colour only on a terminal and never with NO_COLOR set.

Messages are written in rich markup.  Without a terminal (CI, pre-commit, pipes) rich is not
even imported: the markup is stripped with rich's own tag grammar, which keeps commands fast.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

# rich's markup tag grammar (rich.markup.RE_TAGS and rich.markup.escape).
_TAGS = re.compile(r"(\\*)\[([a-z#/@][^[]*?)]")
_ESCAPE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def _colour(stream: TextIO) -> bool:
    if "NO_COLOR" in os.environ:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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
    """Escape text so that it prints literally inside markup (same result as rich's escape)."""

    def double(match: re.Match[str]) -> str:
        backslashes, tag = match.groups()
        return f"{backslashes}{backslashes}\\{tag}"

    text = _ESCAPE.sub(double, text)
    if text.endswith("\\") and not text.endswith("\\\\"):
        return text + "\\"
    return text


def plain(markup: str) -> str:
    """Markup as the text rich would print without colour (rich.markup.render's algorithm)."""
    out: list[str] = []
    position = 0
    for match in _TAGS.finditer(markup):
        start, end = match.span()
        if start > position:
            out.append(markup[position:start].replace("\\[", "["))
        pairs, escaped = divmod(len(match.group(1)), 2)
        out.append("\\" * pairs)
        if escaped:
            out.append(f"[{match.group(2)}]")
        position = end
    out.append(markup[position:].replace("\\[", "["))
    return "".join(out)


def _emit(markup: str, stream: TextIO, rich_console: Console | None) -> None:
    if rich_console is not None:
        rich_console.print(markup)
    else:
        print(plain(markup), file=stream, flush=True)


def _out(markup: str) -> None:
    _emit(markup, sys.stdout, console() if _colour(sys.stdout) else None)


def _err(markup: str) -> None:
    _emit(markup, sys.stderr, err_console() if _colour(sys.stderr) else None)


def error(message: str, hint: str | None = None) -> None:
    _err(f"[bold red]error:[/] {escape(message)}")
    if hint:
        _err(f"[dim]hint:[/] {escape(hint)}")


def warn(message: str) -> None:
    _err(f"[yellow]warning:[/] {escape(message)}")


def info(message: str) -> None:
    """Print markup (escape any user text in it with ``escape``)."""
    _out(message)


def success(message: str) -> None:
    _out(f"[green]✓[/] {escape(message)}")


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on a terminal; one plain line otherwise."""
    if _colour(sys.stdout):
        with console().status(message):
            yield
    else:
        print(plain(message), flush=True)
        yield


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
