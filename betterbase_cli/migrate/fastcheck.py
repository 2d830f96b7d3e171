"""`bb migrate check` for the usual case (all in step), answered without loading click.

When the models match the snapshot (answered from .betterbase/cache/ when the project is
unchanged since the last clean check) and the migrations folder matches checksums.json, the
answer is "in step"; anything else returns None and the full command runs and explains, so this
path can only ever say what the full one would.
"""

from __future__ import annotations

import os


def fast_main(argv: list[str]) -> int | None:
    """Exit code for ``bb migrate check`` (no other options), or None to run the full CLI."""
    if argv != ["migrate", "check"]:
        return None
    try:
        from betterbase_cli.migrate.workflow import drift, folder_of
        from betterbase_cli.project import load_project

        project = load_project()
        # drift() answers from the cache when it can, and remembers a clean answer.
        if folder_of(project).problems() or drift(project) is not None:
            return None
    except Exception:  # noqa: BLE001 - any doubt: let the full command answer (and explain)
        return None
    colour = os.isatty(1) and "NO_COLOR" not in os.environ
    tick = "\x1b[32m✓\x1b[0m" if colour else "✓"
    print(f"{tick} migrations are in step with the models")
    return 0
