"""Run `bb generate crud`: read the models, plan every file, then print (--dry-run) or write."""

from __future__ import annotations

from collections.abc import Sequence

from betterbase_cli.codegen import crud, files
from betterbase_cli.codegen.files import CONFLICT, CREATE, OVERWRITE, UNCHANGED, UPDATE
from betterbase_cli.errors import BetterBaseError, UsageError
from betterbase_cli.project import Project, load_project

REGISTRY = "__init__.py"


def plan_crud(
    project: Project,
    tables: Sequence[str],
    all_tables: bool = False,
    auth: bool | None = None,
    owner_column: str | None = None,
    force: bool = False,
) -> tuple[list[files.PlannedWrite], list[str]]:
    """Every write of `bb generate crud` (router registry included) and the warnings."""
    from betterbase_cli.codegen.registry import register_routers
    from betterbase_cli.schema.python_reader import read_project_schema

    schema = read_project_schema(project, strict=True).schema
    chosen = crud.select_tables(schema, tables, all_tables, crud.auth_tables(project, schema))
    if owner_column is not None and auth is False:
        raise UsageError("--owner-column needs --auth", hint="drop --no-auth")
    routes_dir = project.routes_dir
    generated = {t.name for t in chosen} | {
        t.name for t in schema.tables if (routes_dir / f"{crud.module_name(t)}.py").is_file()
    }
    writes = crud.render_shared(project)
    warnings: list[str] = []
    if "mysql" in project.dialects:
        warnings.append(
            "the generated REST layer (app/rest) runs on SQLite and PostgreSQL; on MySQL/MariaDB "
            "its endpoints fail there (use the ORM in hand-written routes)"
        )
    modules: list[str] = []
    for table in chosen:
        before = crud.previous_options(routes_dir / f"{crud.module_name(table)}.py")
        options = crud.Options(
            auth=bool(owner_column) or (auth if auth is not None else bool(before and before.auth)),
            owner_column=owner_column
            if owner_column is not None
            else (before.owner_column if before and auth is not False else None),
        )
        plan, table_warnings = crud.plan_table(schema, table, options)
        warnings += table_warnings
        writes += crud.render_table(project, schema, plan, generated)
        modules.append(plan.module)
    if any(
        w.path.startswith(project.relative(routes_dir)) and "require_auth" in w.content
        for w in writes
    ):
        auth_module = project.root / project.package / "auth" / "dependencies.py"
        if not auth_module.is_file():
            raise BetterBaseError(
                f"--auth needs {project.relative(auth_module)}, which does not exist",
                hint="run `bb auth setup` first, then generate again",
            )
    planned = files.plan(project.root, writes, force=force)
    registry_path = routes_dir / REGISTRY
    if not registry_path.is_file():
        raise BetterBaseError(
            f"{project.relative(registry_path)} is missing",
            hint="restore the router registry (`api_router = APIRouter(prefix=...)`) from git",
        )
    old = registry_path.read_text(encoding="utf-8")
    routes_module = project.relative(routes_dir).replace("/", ".")
    new = register_routers(
        registry_path, old, project.package, modules, project.api_prefix, 100, routes_module
    )
    rel = project.relative(registry_path)
    planned.append(files.PlannedWrite(rel, new, UNCHANGED if new == old else UPDATE, old))
    return planned, warnings


def generate(
    tables: Sequence[str],
    all_tables: bool = False,
    dry_run: bool = False,
    force: bool = False,
    auth: bool | None = None,
    owner_column: str | None = None,
) -> None:
    import click

    from betterbase_cli import ui

    project = load_project()
    planned, warnings = plan_crud(project, tables, all_tables, auth, owner_column, force)
    for warning in warnings:
        ui.warn(warning)
    registry = planned[-1]
    generated = planned[:-1]
    labels = {
        CREATE: "create",
        UPDATE: "update",
        UNCHANGED: "unchanged",
        CONFLICT: "edited, left alone",
        OVERWRITE: "overwrite (--force)",
    }
    if dry_run:
        for item in planned:
            click.echo(f"{labels[item.action]:>20}  {item.path}")
        for item in planned:
            if item.action not in (UNCHANGED, CONFLICT) or (item.action == CONFLICT):
                click.echo(item.diff(), nl=False)
        conflicts = [p.path for p in generated if p.action == CONFLICT]
        if conflicts:
            ui.warn(f"{len(conflicts)} edited file(s) would be left alone; --force overwrites them")
        return
    files.apply(project.root, generated)
    if registry.action == UPDATE:
        _write_registry(project, registry)
    changed = [p for p in planned if p.action != UNCHANGED]
    for item in changed:
        click.echo(f"{labels[item.action]:>20}  {item.path}")
    if not changed:
        ui.info("nothing to do: the generated files are up to date")
    else:
        ui.success(f"{len(changed)} file(s) written; run the tests with `pytest`")


def _write_registry(project: Project, item: files.PlannedWrite) -> None:
    """The registry is the user's file: edit it in place, and keep the manifest's view of it."""
    manifest = files.read_manifest(project.root)
    bb_owned = item.old is not None and manifest.get(item.path) == files.digest(item.old)
    files.write_atomic(project.root / item.path, item.content)
    if bb_owned:
        files.record(project.root, [item.path])
