"""`bb migrate` and its subcommands: parse flags, call betterbase_cli.migrate, print the result."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from betterbase_cli import ui
from betterbase_cli.errors import Aborted, BetterBaseError, ConfigError, OpenQuestions

if TYPE_CHECKING:
    from betterbase_cli.migrate.apply import MigrationFile
    from betterbase_cli.migrate.db import Database
    from betterbase_cli.migrate.questioner import Answers, Asker
    from betterbase_cli.migrate.workflow import Change, NewMigration
    from betterbase_cli.project import Project

F = TypeVar("F", bound=Callable[..., Any])

COLOURS = {"+": "green", "!": "yellow", "-": "red"}


class OutOfStep(BetterBaseError):
    """`bb migrate check` found something to fix (exit 1)."""


# -- output ------------------------------------------------------------------------------------
# click.style instead of rich: the migrate commands print a few coloured lines, and importing
# rich would cost more than `bb migrate check` spends on everything else it does.

_TAG = re.compile(r"\[(/|bold red|bold|green|yellow|red|dim)\]")
_STYLES: dict[str, dict[str, Any]] = {
    "bold red": {"fg": "red", "bold": True},
    "bold": {"bold": True},
    "green": {"fg": "green"},
    "yellow": {"fg": "yellow"},
    "red": {"fg": "red"},
    "dim": {"dim": True},
}


def _out(markup: str = "", err: bool = False) -> None:
    """Print a line with [green]...[/]-style tags (only those above); colour on terminals."""
    colour = "NO_COLOR" not in os.environ
    pieces = _TAG.split(markup)
    text, style = [], None
    for i, piece in enumerate(pieces):
        if i % 2:
            style = None if piece == "/" else piece
        elif piece:
            text.append(click.style(piece, **_STYLES[style]) if style and colour else piece)
    click.echo("".join(text), err=err)


def _ok(message: str) -> None:
    _out(f"[green]✓[/] {message}")


def _warn(message: str) -> None:
    _out(f"[yellow]warning:[/] {message}", err=True)


# -- shared options ---------------------------------------------------------------------------


def decision_options(func: F) -> F:
    """The flags that answer the questioner's questions."""
    options = [
        click.option(
            "--rename",
            "renames",
            multiple=True,
            metavar="OLD=NEW",
            help="A table (users=people) or column (users.name=users.full_name) was renamed, "
            "not dropped and added. Repeatable.",
        ),
        click.option(
            "--no-rename",
            "no_renames",
            multiple=True,
            metavar="KEY",
            help="Answer a rename question with 'no': it really is a drop and an add.",
        ),
        click.option(
            "--default",
            "defaults",
            multiple=True,
            metavar="TABLE.COL=SQL",
            help="Value for existing rows of a new NOT NULL column, as an SQL literal "
            "(--default users.status=\"'active'\"). Repeatable.",
        ),
        click.option(
            "--allow-destructive",
            is_flag=True,
            help="Consent to changes that lose data (drops, narrowing types); the database is "
            "backed up before they are applied.",
        ),
        click.option(
            "--yes",
            "-y",
            is_flag=True,
            help="Never ask: answer ordinary questions with their default. Does not consent to "
            "losing data or guess renames (use --allow-destructive and --rename).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def database_option(func: F) -> F:
    return click.option(
        "--database-url",
        metavar="URL",
        help="Database to use instead of DATABASE_URL (environment, .env, betterbase.toml).",
    )(func)


def _answers(
    renames: Sequence[str],
    no_renames: Sequence[str],
    defaults: Sequence[str],
    allow_destructive: bool,
) -> Answers:
    from betterbase_cli.migrate.questioner import Answers, parse_defaults, parse_renames

    return Answers(
        renames=parse_renames(renames),
        rejected_renames=frozenset(no_renames),
        defaults=parse_defaults(defaults),
        allow_destructive=allow_destructive,
    )


def _asker(yes: bool) -> Asker | None:
    if not ui.interactive(yes):
        return None
    from betterbase_cli.migrate.questioner import terminal_asker

    return terminal_asker


def _project() -> Project:
    from betterbase_cli.project import load_project

    return load_project()


# -- printing ---------------------------------------------------------------------------------


def show_operations(operations: Sequence[Any], title: str | None = None) -> None:
    """The coloured diff: + create/add (green), ! alter (yellow), - drop (red), and a summary."""
    if title:
        _out(title)
    counts = {"+": 0, "!": 0, "-": 0}
    for op in operations:
        symbol = op.symbol
        counts[symbol] = counts.get(symbol, 0) + 1
        colour = COLOURS.get(symbol, "white")
        _out(f"  [{colour}]{symbol} {str(op.describe())}[/]")
    _out(summary_line(counts))


def summary_line(counts: dict[str, int]) -> str:
    return (
        f"[green]{counts['+']} to create[/], [yellow]{counts['!']} to alter[/], "
        f"[red]{counts['-']} to drop[/]"
    )


def _print_sql(migration: NewMigration, project: Project) -> None:
    from betterbase_cli.migrate.workflow import folder_of

    folder = folder_of(project)
    for dialect, text in migration.files.items():
        _out(f"\n[bold]{str(project.relative(folder.file(dialect, migration.name)))}[/]")
        click.echo(text, nl=False)


# -- the database -----------------------------------------------------------------------------


def _database_url(project: Project, url: str | None) -> str:
    from betterbase_cli.project import resolve_sqlite_url

    return resolve_sqlite_url(url, project.root) if url else project.database_url()


def _check_dialect(project: Project, dialect: str, where: str) -> None:
    if dialect not in project.dialects:
        raise ConfigError(
            f"{where} is {dialect}, but betterbase.toml writes migrations only for "
            f"{', '.join(project.dialects)}",
            hint=f'add "{dialect}" to [database] dialects in betterbase.toml, or point '
            "DATABASE_URL at a database of a configured dialect",
        )


def _consent_to_pending(
    pending: Sequence[MigrationFile], allow: bool, yes: bool, already: Sequence[str] = ()
) -> None:
    risky = [m for m in pending if m.destructive and m.name not in already]
    if not risky or allow:
        return
    names = ", ".join(m.path for m in risky)
    if ui.interactive(yes):
        import questionary

        ok = questionary.confirm(
            f"These migrations lose data: {names}. Back up and apply them?", default=False
        ).unsafe_ask()
        if ok:
            return
        raise Aborted("nothing was applied", hint="review the migrations, or --allow-destructive")
    raise OpenQuestions([(f"these pending migrations lose data: {names}", "--allow-destructive")])


def _backup(
    project: Project, db: Database, label: str, tables: Sequence[str] | None = None
) -> None:
    from betterbase_cli.migrate.backup import backup

    made = backup(db, project.state_dir, label, tables)
    if made is None:
        _out("No data to back up yet.")
        return
    if made.warning:
        _warn(made.warning)
    _out(
        f"[bold]Backed up[/] {str(db.url.where)} ({made.method}) to "
        f"{str(project.relative(made.path))}"
    )
    _out(f"  restore: {str(made.restore)}")


def apply_to_database(
    project: Project,
    url: str,
    allow_destructive: bool,
    yes: bool,
    lock_timeout: float,
    consented: Sequence[str] = (),
    label: str = "migrate",
) -> list[MigrationFile]:
    """Apply pending migrations (backing up first when one loses data) and report them."""
    from betterbase_cli.migrate.apply import (
        AppliedMigrationEdited,
        apply_pending,
        plan_for,
        read_files,
        touched_tables,
    )
    from betterbase_cli.migrate.db import connect, driver_errors, parse_url
    from betterbase_cli.migrate.workflow import folder_of

    parsed = parse_url(url)
    _check_dialect(project, parsed.dialect, parsed.where)
    files = read_files(folder_of(project), parsed.dialect)
    with connect(parsed) as db, driver_errors(parsed.where):
        plan = plan_for(db, files)
        if plan.edited:
            raise AppliedMigrationEdited(plan.edited, db.url.where)
        if not plan.pending:
            _out(f"{str(db.url.where)} is up to date ({len(plan.applied)} applied).")
            return []
        _consent_to_pending(plan.pending, allow_destructive, yes, consented)
        risky = [m for m in plan.pending if m.destructive]
        if risky:
            tables = touched_tables(risky, db.dialect) or None
            _backup(project, db, f"before-{risky[0].name}", tables)
        _out(f"Applying to {str(db.url.where)}")

        def wait() -> None:
            _out("  waiting for another `bb migrate apply` to finish...")

        def applied(migration: MigrationFile, seconds: float) -> None:
            _out(f"  [green]✓[/] {str(migration.name)} ({seconds * 1000:.0f} ms)")

        done = apply_pending(db, files, lock_timeout, on_wait=wait, on_applied=applied)
    if plan.unknown_applied:
        _warn(
            "applied in the database but not in the migrations folder: "
            + ", ".join(plan.unknown_applied)
        )
    _ok(f"{len(done)} migration(s) applied.")
    return done


# -- bb migrate (the dev loop) ----------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.option("--name", help="Name of the migration (default: derived from the changes).")
@click.option("--dry-run", is_flag=True, help="Show the diff and the SQL; write and apply nothing.")
@decision_options
@click.pass_context
def migrate(
    ctx: click.Context,
    name: str | None,
    dry_run: bool,
    renames: tuple[str, ...],
    no_renames: tuple[str, ...],
    defaults: tuple[str, ...],
    allow_destructive: bool,
    yes: bool,
) -> None:
    """Diff the models against the snapshot, write the SQL migration and apply it locally.

    Shows the diff (+ create, ! alter, - drop), asks before anything that loses data, backs
    the database up, writes one SQL file per dialect under migrations/ and applies pending
    migrations to DATABASE_URL.

    \b
    Examples:
      bb migrate
      bb migrate --name add_posts --dry-run
      bb migrate --rename users.name=users.full_name --allow-destructive
      bb migrate check            # the CI gate
    """
    if ctx.invoked_subcommand is not None:
        return
    from betterbase_cli.migrate.db import parse_url
    from betterbase_cli.migrate.workflow import (
        compute_change,
        write_migration,
    )

    project = _project()
    url = project.database_url()
    parsed = parse_url(url)
    _check_dialect(project, parsed.dialect, parsed.where)  # before anything is written
    # A dry run shows a change that loses data without consent; the real run asks.
    _backfill_dialects(project, "bb migrate", dry_run)
    answers = _answers(renames, no_renames, defaults, allow_destructive or dry_run)
    change = compute_change(project, answers, _asker(yes))
    migration = _show_and_build(project, change, name, "bb migrate")
    if dry_run:
        if migration:
            _print_sql(migration, project)
            _dry_run_consent_note(change, allow_destructive)
        _out(f"\nDry run: nothing written; would apply pending migrations to {parsed.where}.")
        return
    written = write_migration(project, migration) if migration else None
    if written:
        _ok("wrote " + ", ".join(project.relative(p) for p in written.paths))
    try:
        apply_to_database(
            project,
            url,
            allow_destructive,
            yes,
            lock_timeout=60,
            consented=[migration.name] if migration else (),
            label=f"before-{migration.name}" if migration else "migrate",
        )
    except BaseException:
        if written:
            written.rollback()
            _warn("the new migration files were removed again; fix the problem and rerun")
        raise


def _backfill_dialects(project: Project, command: str, dry_run: bool) -> None:
    """A dialect added to betterbase.toml after migrations exist gets files for them."""
    from betterbase_cli.migrate.workflow import backfill_dialect, dialects_without_files

    for dialect in dialects_without_files(project):
        if dry_run:
            _out(f"Dry run: would write {dialect} files for the existing migrations (a baseline).")
            continue
        paths = backfill_dialect(project, dialect, command)
        _ok(
            f"{dialect} was added to the project: wrote its files for {len(paths)} existing "
            f"migration(s); {project.relative(paths[0])} creates the whole schema"
        )


def _dry_run_consent_note(change: Change, allow_destructive: bool) -> None:
    if change.destructive and not allow_destructive:
        _warn("this change loses data: the real run asks first (or needs --allow-destructive)")


def _show_and_build(
    project: Project, change: Change, name: str | None, command: str
) -> NewMigration | None:
    from betterbase_cli.migrate.workflow import build_migration

    if change.empty:
        _out("No changes: the models match migrations/snapshot.json.")
        return None
    show_operations(change.operations)
    return build_migration(project, change, name, command)


# -- bb migrate generate ----------------------------------------------------------------------


@migrate.command()
@click.option("--name", help="Name of the migration (default: derived from the changes).")
@click.option("--dry-run", is_flag=True, help="Show the diff and the SQL; write nothing.")
@decision_options
def generate(
    name: str | None,
    dry_run: bool,
    renames: tuple[str, ...],
    no_renames: tuple[str, ...],
    defaults: tuple[str, ...],
    allow_destructive: bool,
    yes: bool,
) -> None:
    """Write the migration for the model changes, without applying it.

    \b
    Examples:
      bb migrate generate --name add_posts
      bb migrate generate --rename users=people --dry-run
    """
    from betterbase_cli.migrate.workflow import compute_change, write_migration

    project = _project()
    _backfill_dialects(project, "bb migrate generate", dry_run)
    answers = _answers(renames, no_renames, defaults, allow_destructive or dry_run)
    change = compute_change(project, answers, _asker(yes))
    migration = _show_and_build(project, change, name, "bb migrate generate")
    if migration is None:
        return
    if dry_run:
        _print_sql(migration, project)
        _dry_run_consent_note(change, allow_destructive)
        _out("\nDry run: nothing written.")
        return
    written = write_migration(project, migration)
    _ok("wrote " + ", ".join(project.relative(p) for p in written.paths))
    _out("Apply it with `bb migrate apply`.")


# -- bb migrate apply -------------------------------------------------------------------------


@migrate.command()
@database_option
@click.option("--dry-run", is_flag=True, help="Print the SQL of pending migrations; run nothing.")
@click.option(
    "--allow-destructive", is_flag=True, help="Apply migrations that lose data (after a backup)."
)
@click.option("--yes", "-y", is_flag=True, help="Never ask (does not consent to losing data).")
@click.option(
    "--lock-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for another apply holding the migration lock.",
)
def apply(
    database_url: str | None,
    dry_run: bool,
    allow_destructive: bool,
    yes: bool,
    lock_timeout: float,
) -> None:
    """Apply pending migrations to DATABASE_URL, each in a transaction, under a lock.

    The ledger table bb_migrations records each applied file and its checksum.  A migration
    that loses data needs --allow-destructive (or a yes on a terminal) and is preceded by a
    backup in .betterbase/backups/.  On MySQL/MariaDB schema changes commit one statement at
    a time; a failure there names the statements that already ran.

    \b
    Examples:
      bb migrate apply
      DATABASE_URL=postgresql://app@db/app bb migrate apply --allow-destructive
      bb migrate apply --dry-run
    """
    project = _project()
    url = _database_url(project, database_url)
    if dry_run:
        _apply_dry_run(project, url)
        return
    apply_to_database(project, url, allow_destructive, yes, lock_timeout)


def _apply_dry_run(project: Project, url: str) -> None:
    from betterbase_cli.errors import DatabaseError
    from betterbase_cli.migrate.apply import plan_for, read_files, sql_of
    from betterbase_cli.migrate.db import connect, driver_errors, parse_url
    from betterbase_cli.migrate.workflow import folder_of

    parsed = parse_url(url)
    _check_dialect(project, parsed.dialect, parsed.where)
    files = read_files(folder_of(project), parsed.dialect)
    try:
        db = connect(parsed, create=False)
    except DatabaseError:
        if parsed.dialect != "sqlite":
            raise
        db = None  # no database file yet: everything is pending
    try:
        with driver_errors(parsed.where):
            plan = plan_for(db, files)
    finally:
        if db is not None:
            db.close()
    if not plan.pending:
        _out(f"{str(parsed.where)} is up to date; nothing to apply.")
        return
    click.echo(sql_of(plan.pending, parsed.dialect), nl=False)
    _out(f"Dry run: {len(plan.pending)} migration(s) would be applied to {str(parsed.where)}.")


# -- bb migrate status ------------------------------------------------------------------------


@migrate.command()
@database_option
def status(database_url: str | None) -> None:
    """Show applied and pending migrations, and model changes not in a migration yet.

    Lists every migration with its state on DATABASE_URL (applied with its time, pending, or
    changed since it was applied) and compares the models with the snapshot.

    \b
    Examples:
      bb migrate status
      bb migrate status --database-url postgresql://app@localhost/app
    """
    from betterbase_cli.migrate.apply import plan_for, read_files
    from betterbase_cli.migrate.db import connect, driver_errors, parse_url
    from betterbase_cli.migrate.workflow import drift, folder_of

    project = _project()
    url = _database_url(project, database_url)
    parsed = parse_url(url)
    _check_dialect(project, parsed.dialect, parsed.where)
    folder = folder_of(project)
    files = read_files(folder, parsed.dialect, strict=False)
    problems = {p.path: p.message for p in folder.problems()}
    from betterbase_cli.errors import DatabaseError

    try:
        db = connect(parsed, create=False)
    except DatabaseError as exc:
        if parsed.dialect != "sqlite" or "does not exist" not in exc.message:
            raise
        db = None
    try:
        with driver_errors(parsed.where):
            plan = plan_for(db, files)
    finally:
        if db is not None:
            db.close()
    applied = {row.name: row for row in plan.applied}
    edited = {m.name for m, _ in plan.edited}
    _out(f"[bold]{str(parsed.where)}[/]" + ("" if db else " (not created yet)"))
    for migration in files:
        row = applied.get(migration.name)
        tags = []
        if migration.kind == "manual":
            tags.append("manual")
        if migration.destructive:
            tags.append("[red]loses data[/]")
        if migration.name in edited:
            tags.append("[red]changed since it was applied[/]")
        if migration.path in problems:
            tags.append(f"[red]{problems[migration.path]}[/]")
        extra = f"  ({', '.join(tags)})" if tags else ""
        if row:
            _out(f"  [green]applied[/]  {str(migration.name)}  {row.applied_at}{extra}")
        else:
            _out(f"  [yellow]pending[/]  {str(migration.name)}{extra}")
    for name in plan.unknown_applied:
        _out(f"  [red]unknown[/]  {str(name)}  (applied, but not in the folder)")
    if not files and not plan.unknown_applied:
        _out("  no migrations yet")
    result = drift(project)
    if result is None or not (result.operations or result.questions):
        _out("Models: in step with migrations/snapshot.json.")
    else:
        show_operations(
            result.operations, "Models: changes not in a migration yet (run `bb migrate`):"
        )


# -- bb migrate new ---------------------------------------------------------------------------


@migrate.command()
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show the files it would create.")
def new(name: str, dry_run: bool) -> None:
    """Create an empty SQL migration (one file per dialect) to write by hand.

    For what models cannot say: views, triggers, functions, data backfills, row-level
    security.  It is applied, ledgered and checksummed like a generated one; edit it freely
    until it is applied.

    \b
    Examples:
      bb migrate new add_search_view
      bb migrate new backfill_slugs --dry-run
    """
    from betterbase_cli.migrate.workflow import new_manual

    project = _project()
    full, paths = new_manual(project, name, dry_run=dry_run)
    listed = ", ".join(project.relative(p) for p in paths)
    if dry_run:
        _out(f"Dry run: would create {str(listed)}")
        return
    _ok(f"created {listed}")
    _out("Write the SQL in each file, then run `bb migrate apply` (or `bb migrate`).")


# -- bb migrate check -------------------------------------------------------------------------


@migrate.command()
@click.option(
    "--no-destructive",
    is_flag=True,
    help="Also fail when a migration not yet applied to DATABASE_URL loses data.",
)
@database_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints one object for tools.",
)
def check(no_destructive: bool, database_url: str | None, fmt: str) -> None:
    """The CI gate: fail when the migrations are not in step with the models.

    Exit 1 when the models differ from the snapshot (a migration is missing), when a generated
    migration was edited after bb wrote it, or (--no-destructive) when a migration pending on
    DATABASE_URL loses data.  Exit 0 when all is in step.  Never asks, never writes; a pre-commit
    hook and CI run it as is.

    \b
    Examples:
      bb migrate check
      bb migrate check --no-destructive --format json
    """
    from betterbase_cli.migrate.workflow import drift, folder_of

    project = _project()
    folder = folder_of(project)
    result = drift(project)
    problems = folder.problems()
    risky: list[MigrationFile] = []
    if no_destructive and not problems:
        risky = _pending_destructive(project, _database_url(project, database_url))
    ops = list(result.operations) if result is not None else []
    questions = list(result.questions) if result is not None else []
    ok = not ops and not questions and not problems and not risky
    if fmt == "json":
        report = {
            "ok": ok,
            "operations": [
                {"symbol": op.symbol, "description": op.describe(), "destructive": op.destructive}
                for op in ops
            ],
            "questions": [{"text": q.text, "flag": q.flag, "kind": q.kind} for q in questions],
            "files": [{"path": p.path, "problem": p.message} for p in problems],
            "destructive_pending": [m.path for m in risky],
        }
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        _print_check(ops, problems, risky)
    if not ok:
        raise OutOfStep(
            "migrations are not in step with the models (details above)",
            hint="run `bb migrate` and commit migrations/, restore edited migration files",
        )


def _print_check(ops: Sequence[Any], problems: Sequence[Any], risky: Sequence[Any]) -> None:
    if ops:
        show_operations(ops, "[bold red]The models changed without a migration:[/]")
        _out("  run `bb migrate` (or `bb migrate generate`) and commit the result")
    if problems:
        _out("[bold red]Migration files do not match migrations/checksums.json:[/]")
        for p in problems:
            _out(f"  {str(p.path)}: {str(p.message)}")
        _out("  restore generated files from git; put new SQL in `bb migrate new NAME`")
        _out("  (a dialect added to betterbase.toml gets its files from `bb migrate generate`)")
    if risky:
        _out("[bold red]Pending migrations lose data:[/]")
        for m in risky:
            _out(f"  {str(m.path)}")
        _out("  apply them deliberately with `bb migrate apply --allow-destructive`")
    if not (ops or problems or risky):
        _ok("migrations are in step with the models")


def _pending_destructive(project: Project, url: str) -> list[MigrationFile]:
    from betterbase_cli.errors import DatabaseError
    from betterbase_cli.migrate.apply import plan_for, read_files
    from betterbase_cli.migrate.db import connect, driver_errors, parse_url
    from betterbase_cli.migrate.workflow import folder_of

    parsed = parse_url(url)
    _check_dialect(project, parsed.dialect, parsed.where)
    files = read_files(folder_of(project), parsed.dialect)
    try:
        db = connect(parsed, create=False)
    except DatabaseError:
        if parsed.dialect != "sqlite":
            raise
        db = None
    try:
        with driver_errors(parsed.where):
            plan = plan_for(db, files)
    finally:
        if db is not None:
            db.close()
    return [m for m in plan.pending if m.destructive]
