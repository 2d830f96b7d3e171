"""The `bb` root group.  Subcommands are imported only when they run, so `bb --help` stays fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from betterbase_cli import __version__

# name -> (module:attribute, one-line help).  The help is here so listing commands imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("betterbase_cli.commands.init:init", "Create a new project from the blueprint."),
    "dev": (
        "betterbase_cli.commands.dev:dev",
        "Run the app with reload and keep the AI context fresh.",
    ),
    "migrate": (
        "betterbase_cli.commands.migrate:migrate",
        "Diff the models, write SQL migrations and apply them.",
    ),
    "import": (
        "betterbase_cli.commands.importing:import_",
        "Turn an existing SQL schema into models.",
    ),
    "generate": (
        "betterbase_cli.commands.generate:generate",
        "Generate CRUD endpoints or the AI context from the models.",
    ),
    "context": (
        "betterbase_cli.commands.context:context",
        "Write the AI context files (same as `bb generate context`).",
    ),
    "auth": (
        "betterbase_cli.commands.auth:auth",
        "Add sign-in, sessions and roles to the project.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands live in their own modules, imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | {n for n, (t, _) in self.lazy.items()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, _, attribute = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in sorted(self.lazy.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Start with `bb init my-app`; every command has --help with an example.",
)
@click.version_option(
    __version__, "-V", "--version", prog_name="bb", message="%(prog)s %(version)s"
)
def cli() -> None:
    """bb: backends you own as code.

    Scaffold a FastAPI + SQLAlchemy project, diff its models into plain SQL migrations,
    generate typed CRUD endpoints and keep AI assistants' context exact.
    """


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error becomes one message and an exit code (see entry.guarded)."""
    from betterbase_cli.entry import guarded

    def invoke() -> int:
        try:
            # Without standalone mode click returns the code of ctx.exit() instead of raising.
            result = cli.main(args=argv, prog_name="bb", standalone_mode=False)
        except click.exceptions.Abort:
            raise KeyboardInterrupt from None
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        return result if isinstance(result, int) else 0

    sys.exit(guarded(invoke))
