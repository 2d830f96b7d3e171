"""Without a terminal bb prints markup as plain text without importing rich: same text as rich."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape as rich_escape

from betterbase_cli import ui

TEXT = st.text(alphabet=st.sampled_from(list("ab[]/\\ #@=x")), max_size=30)


def rich_plain(markup: str) -> str:
    console = Console(no_color=True, width=10_000, highlight=False, soft_wrap=True, emoji=False)
    with console.capture() as captured:
        console.print(markup)
    return captured.get().removesuffix("\n")


@given(TEXT)
def test_escape_matches_rich(text: str) -> None:
    assert ui.escape(text) == rich_escape(text)


@given(TEXT, TEXT)
def test_plain_matches_rich(before: str, text: str) -> None:
    for markup in (
        f"[bold red]error:[/] {ui.escape(text)}",
        f"[green]✓[/] {ui.escape(before)} [bold]{ui.escape(text)}[/] end",
    ):
        assert ui.plain(markup) == rich_plain(markup)


def test_ordinary_text_prints_as_written() -> None:
    assert ui.plain(f"[dim]hint:[/] {ui.escape('pass --rename users.name=users.full_name')}") == (
        "hint: pass --rename users.name=users.full_name"
    )
