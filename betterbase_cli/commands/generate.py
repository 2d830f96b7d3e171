"""`bb generate`: the group holding the code generators (crud, context)."""

from __future__ import annotations

import click

from betterbase_cli.cli import LazyGroup

GENERATORS: dict[str, tuple[str, str]] = {
    "crud": (
        "betterbase_cli.commands.crud:crud",
        "Typed REST endpoints, schemas and tests for tables.",
    ),
    "context": (
        "betterbase_cli.commands.context:generate_context",
        "The AI context: .betterbase-context.json and the AGENTS.md block.",
    ),
}


@click.group(cls=LazyGroup, lazy=GENERATORS)
def generate() -> None:
    """Generate code from the models.

    \b
    Examples:
      bb generate crud posts comments
      bb generate crud --all
      bb generate context --check
    """
