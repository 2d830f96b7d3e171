"""`bb migrate check` for the pre-commit hook's usual case, answered without loading click.

When the project is unchanged since the last clean check (the cache in .betterbase/cache/) and
the migrations folder matches checksums.json, the answer is "in step"; anything else returns
None and the full command runs, so this path can only ever say what the full one would.
"""

from __future__ import annotations

import os


def fast_main(argv: list[str]) -> int | None:
    """Exit code for ``bb migrate check`` (no other options), or None to run the full CLI."""
    if argv != ["migrate", "check"]:
        return None
    try:
        from betterbase_cli.migrate.workflow import cached_in_step, folder_of
        from betterbase_cli.project import load_project

        project = load_project()
        if not cached_in_step(project) or folder_of(project).problems():
            return None
    except Exception:  # noqa: BLE001 - any doubt: let the full command answer (and explain)
        return None
    colour = os.isatty(1) and "NO_COLOR" not in os.environ
    tick = "\x1b[32m✓\x1b[0m" if colour else "✓"
    print(f"{tick} migrations are in step with the models")
    return 0
