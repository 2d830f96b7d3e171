"""The `bb` console script: answers --version without loading the CLI, else runs it."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from betterbase_cli import __version__

        print(f"bb {__version__}")
        return
    if sys.argv[1:2] == ["context"] or sys.argv[1:3] == ["generate", "context"]:
        # The pre-commit hook's `bb context --check`: without click it takes half the time.
        from betterbase_cli.context.command import fast_main

        code = fast_main(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from betterbase_cli.cli import main as run

    run()
