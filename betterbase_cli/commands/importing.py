"""`bb import`: turn an existing schema into the project's models (`bb import sql FILE`)."""

from __future__ import annotations

from pathlib import Path

import click

from betterbase_cli import ui
from betterbase_cli.errors import Aborted, OpenQuestions


@click.group(name="import")
def import_() -> None:
    """Turn an existing schema into models.

    \b
    Example:
      bb import sql schema.sql
    """


@import_.command(name="sql")
@click.argument("sql_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dialect",
    type=click.Choice(["postgresql", "sqlite", "mysql"]),
    help="The SQL dialect of the file (default: guessed from it, else postgresql).",
)
@click.option("--yes", "-y", is_flag=True, help="Replace models that already define tables.")
@click.option("--force", is_flag=True, help="Also replace a models file edited since bb wrote it.")
@click.option("--dry-run", is_flag=True, help="Print the models file; write nothing.")
def sql(sql_file: Path, dialect: str | None, yes: bool, force: bool, dry_run: bool) -> None:
    """Write the models file from the CREATE TABLE statements in SQL_FILE.

    Types, NOT NULL, defaults (now(), gen_random_uuid(), literals), keys, indexes, CHECK
    constraints and enums are kept. The replaced models file is copied to
    .betterbase/backups/ first. Then `bb migrate` writes the first migration.

    \b
    Examples:
      pg_dump --schema-only mydb > schema.sql && bb import sql schema.sql
      bb import sql dump.sql --dialect mysql --yes
      bb import sql schema.sql --dry-run
    """
    from betterbase_cli.project import load_project
    from betterbase_cli.schema.sql_import import apply_import, plan_import

    project = load_project()
    planned = plan_import(project, sql_file, dialect)
    for warning in planned.warnings:
        ui.warn(warning)
    target = planned.write.path
    tables, enums = len(planned.schema.tables), len(planned.schema.enums)
    summary = f"{tables} table(s), {enums} enum(s) from {planned.source} ({planned.dialect})"
    if dry_run:
        # the file on stdout (so `--dry-run > models.py` works), the note on stderr
        ui.console().print(planned.write.content, markup=False, highlight=False, end="")
        ui.err_console().print(
            f"Dry run: {target} would get {summary}; nothing written.", markup=False
        )
        return
    questions: list[tuple[str, str]] = []
    if planned.needs_consent and not yes:
        what = (
            f"defines {len(planned.replaced_tables)} table(s) "
            f"({', '.join(planned.replaced_tables)})"
            if planned.replaced_tables
            else "does not parse"
        )
        questions.append((f"{target} {what}; replace it?", "--yes"))
    if planned.edited and not force:
        questions.append((f"{target} was edited since bb wrote it; overwrite it?", "--force"))
    if questions:
        if not ui.interactive(yes):
            raise OpenQuestions(questions)
        import questionary

        for question, _flag in questions:
            if not questionary.confirm(
                f"{question} (a backup is kept)", default=False
            ).unsafe_ask():
                raise Aborted(f"{target} was left as it was")
    backup = apply_import(project, planned)
    ui.success(f"wrote {target}: {summary}")
    if backup is not None:
        ui.info(f"The previous file is in {project.relative(backup)}.")
    ui.info("Next: `bb migrate` writes and applies the first migration.")
