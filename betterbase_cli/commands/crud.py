"""`bb generate crud`: typed REST endpoints, Pydantic models and tests for tables."""

from __future__ import annotations

import click


@click.command("crud")
@click.argument("tables", nargs=-1)
@click.option("--all", "all_tables", is_flag=True, help="Every table in the models.")
@click.option("--dry-run", is_flag=True, help="Print the plan and the diffs; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite generated files you edited.")
@click.option(
    "--auth/--no-auth",
    default=None,
    help="Every endpoint requires a signed-in user (needs `bb auth setup`). "
    "A rerun keeps the choice made before unless given again.",
)
@click.option(
    "--owner-column",
    metavar="COLUMN",
    help="Rows belong to the user in COLUMN: reads and writes see only theirs, and create "
    "sets it (implies --auth).",
)
def crud(
    tables: tuple[str, ...],
    all_tables: bool,
    dry_run: bool,
    force: bool,
    auth: bool | None,
    owner_column: str | None,
) -> None:
    """Write REST endpoints for TABLES into app/routes, with models and tests.

    The endpoints speak the PostgREST grammar Supabase clients use (filters such as
    ?age=gte.18, or=(...), select= with embedding, order=, Range and Prefer headers) and
    the simple forms (?limit=10&offset=0, ?email=a@b.c, ?sort=created_at:desc).
    Rerunning after a model change updates the files; files you edited are left alone.

    \b
    Examples:
      bb generate crud posts comments
      bb generate crud --all --dry-run
      bb generate crud todos --auth --owner-column user_id
    """
    from betterbase_cli.codegen.crud_apply import generate

    generate(
        tables,
        all_tables=all_tables,
        dry_run=dry_run,
        force=force,
        auth=auth,
        owner_column=owner_column,
    )
