"""The `bb` console script: a few hot commands answered without loading click, else the CLI.

Errors of every path are turned into one message and an exit code here, in ``guarded``.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable

from betterbase_cli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, BetterBaseError

# Leading arguments -> "module:function" taking argv and returning an exit code, or None when
# the full CLI must answer (--help, other options, anything to explain).  These are the commands
# pre-commit hooks and CI run on every commit: without click they take about half the time.
FAST_PATHS: dict[tuple[str, ...], str] = {
    ("context",): "betterbase_cli.context.command:fast_main",
    ("generate", "context"): "betterbase_cli.context.command:fast_main",
    ("migrate", "check"): "betterbase_cli.migrate.fastcheck:fast_main",
}


def guarded(action: Callable[[], int | None]) -> int | None:
    """Run ``action``; report a BetterBaseError, Ctrl-C or OS error as one message + exit code."""
    try:
        return action()
    except BetterBaseError as exc:
        from betterbase_cli import ui

        ui.error(exc.message, exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        from betterbase_cli import ui

        ui.error("interrupted; nothing more was changed")
        return EXIT_INTERRUPTED
    except OSError as exc:
        from betterbase_cli import ui

        where = f" ({exc.filename})" if exc.filename else ""
        ui.error(f"{exc.strerror or exc}{where}", "check the path and its permissions")
        return EXIT_FAILURE


def main() -> None:
    argv = sys.argv[1:]
    if argv in (["--version"], ["-V"]):
        from betterbase_cli import __version__

        print(f"bb {__version__}")
        return
    if argv in (["--help"], ["-h"]):
        import shutil

        from betterbase_cli.root_help import TEXT

        # click wraps help to min(terminal columns, 100); other widths go to click itself.
        text = TEXT.get(min(shutil.get_terminal_size().columns, 100))
        if text is not None:
            sys.stdout.write(text)
            return
    for prefix, target in FAST_PATHS.items():
        if tuple(argv[: len(prefix)]) == prefix:
            module, _, function = target.partition(":")
            fast: Callable[[list[str]], int | None] = getattr(
                importlib.import_module(module), function
            )
            code = guarded(functools.partial(fast, argv))
            if code is not None:
                raise _Answered(code)
            break
    from betterbase_cli.cli import main as run

    run()


class _Answered(SystemExit):
    """A fast path's exit: nothing of the process is needed after it (see `script`)."""


def script() -> None:
    """The console script, and `python -m betterbase_cli`: `main`, then the work kept for the
    end of the process (bb's cache, saved by a child: `forked.at_end`), and after a fast path an
    exit that does not free every object one by one first (as mypy's hard_exit does): a
    `bb context` that read and rendered a 60-table project spends 5-20 ms on that otherwise.
    Everything bb writes is written and closed by then; only the standard streams need
    flushing."""
    from betterbase_cli import forked

    forked.defer_to_end()
    try:
        main()
    except _Answered as answered:
        import os

        forked.flush_std()
        _at_end()
        os._exit(answered.code if isinstance(answered.code, int) else EXIT_FAILURE)
    finally:
        _at_end()  # the full CLI's commands (`bb init` writes the context too)


def _at_end() -> None:
    """The work kept for the end: best effort, after the command has said how it went (Ctrl-C
    there only skips it)."""
    from betterbase_cli import forked

    try:
        forked.run_at_end()
    except KeyboardInterrupt:
        pass
