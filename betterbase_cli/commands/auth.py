"""`bb auth`: add sign-in, sessions and roles to the project (`bb auth setup`)."""

from __future__ import annotations

import click


@click.group()
def auth() -> None:
    """Sign-in, sessions and roles, generated into the project as code it owns.

    \b
    Examples:
      bb auth setup
      bb auth setup --dry-run
      bb auth setup --migrate
    """


@auth.command()
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite generated auth files you have edited.")
@click.option("--migrate", "run_migrate", is_flag=True, help="Then write and apply the migration.")
def setup(dry_run: bool, force: bool, run_migrate: bool) -> None:
    """Add the auth tables, the app/auth package, its routes, settings and tests.

    Adds Better Auth's tables (user with a role, session, account, verification) to the
    models, app/auth/ (require_auth, get_user, has_role), the endpoints under the API prefix
    (/api/auth/sign-up, /sign-in, /sign-out, /session, /sessions, passwords, email
    verification, OAuth with GitHub and Google), [auth] in betterbase.toml, AUTH_SECRET in .env
    and tests/test_auth.py.  Safe to rerun: it adds only what is missing and never overwrites
    a file you changed (unless --force).

    \b
    Examples:
      bb auth setup --dry-run
      bb auth setup && bb migrate
    """
    from betterbase_cli import ui
    from betterbase_cli.codegen import files
    from betterbase_cli.codegen.auth import setup_auth
    from betterbase_cli.project import load_project

    project = load_project()
    planned = setup_auth(project, dry_run=dry_run, force=force, migrate=run_migrate and not dry_run)
    changed = [p for p in planned if p.action != files.UNCHANGED]
    if dry_run:
        for item in changed:
            ui.console().print(item.diff(), markup=False, highlight=False)
        listed = ", ".join(f"{p.action} {p.path}" for p in changed) or "nothing"
        ui.info(ui.escape(f"would change: {listed}"))
        return
    for item in planned:
        verb = {files.CREATE: "created", files.UPDATE: "updated", files.OVERWRITE: "overwrote"}
        if item.action in verb:
            ui.success(f"{verb[item.action]} {item.path}")
    if not changed:
        ui.info("auth is already set up; nothing to change")
    if not run_migrate:
        ui.info(
            "next: run `bb migrate` to create the auth tables, then "
            f"`pytest tests/test_auth.py`; endpoints live under {project.api_prefix}/auth"
        )
