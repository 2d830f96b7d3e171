"""The `bb` console script: answers --version without loading the CLI, else runs it."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from betterbase_cli import __version__

        print(f"bb {__version__}")
        return
    from betterbase_cli.cli import main as run

    run()
