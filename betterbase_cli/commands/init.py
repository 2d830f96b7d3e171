"""`bb init`: ask (or take flags), render the blueprint, then git and install."""

from __future__ import annotations

from pathlib import Path

import click

from betterbase_cli import scaffold, ui
from betterbase_cli.errors import UsageError
from betterbase_cli.project import DIALECTS


def _ask(answers: dict[str, object], name: str | None, flags: dict[str, object | None]) -> None:
    """Fill missing answers with questionary prompts (only ever called on a terminal)."""
    import questionary

    from betterbase_cli import blueprint

    questions = blueprint.load("project")

    if name is None:
        answer = questionary.text(
            "Project name", default="my-app", validate=_questionary_name_check
        ).unsafe_ask()
        answers["name"] = answer
    if flags["db"] is None:
        db = questions.question("db")
        answers["db"] = questionary.select(
            db.help,
            choices=[questionary.Choice(label, value) for label, value in db.choices.items()],
            default=db.default,
        ).unsafe_ask()
    if flags["auth"] is None and _auth_available():
        answers["auth"] = questionary.confirm(
            questions.question("auth").help, default=False
        ).unsafe_ask()
    if flags["ai"] is None:
        answers["ai"] = questionary.confirm(
            questions.question("ai").help, default=True
        ).unsafe_ask()
    if flags["install"] is None:
        answers["install"] = questionary.confirm(
            "Install dependencies now (.venv)", default=True
        ).unsafe_ask()
    if flags["git"] is None:
        answers["git"] = questionary.confirm(
            "Initialise a git repository", default=True
        ).unsafe_ask()


def _questionary_name_check(text: str) -> bool | str:
    try:
        scaffold.validate_name(text)
    except UsageError as exc:
        return exc.message
    return True


def _auth_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("betterbase_cli.codegen.auth") is not None


@click.command()
@click.argument("name", required=False)
@click.option(
    "--db",
    type=click.Choice(DIALECTS),
    help="Database: sqlite (default, embedded), postgresql or mysql (MySQL/MariaDB).",
)
@click.option("--auth/--no-auth", default=None, help="Add sign-in, sessions and roles.")
@click.option(
    "--ai/--no-ai",
    default=None,
    help="Write AGENTS.md, CLAUDE.md and the context JSON (default on).",
)
@click.option("--install/--no-install", default=None, help="Create .venv and install (default on).")
@click.option("--git/--no-git", default=None, help="git init with a first commit (default on).")
@click.option("-y", "--yes", is_flag=True, help="Never ask: defaults for everything not given.")
@click.option("--dry-run", is_flag=True, help="List the files that would be written, write none.")
def init(
    name: str | None,
    db: str | None,
    auth: bool | None,
    ai: bool | None,
    install: bool | None,
    git: bool | None,
    yes: bool,
    dry_run: bool,
) -> None:
    """Create a new FastAPI + SQLAlchemy project in NAME (a new or empty folder).

    \b
    Examples:
      bb init my-app                      ask the questions
      bb init my-app --yes                SQLite, AI context, install, git
      bb init shop --db postgresql --auth --no-install --yes
    """
    flags: dict[str, object | None] = {"db": db, "auth": auth, "ai": ai, "install": install,
                                       "git": git}  # fmt: skip
    answers: dict[str, object] = {}
    asking = ui.interactive(yes)
    if name is not None:
        _target_and_name(name)  # fail on a bad name before asking anything
    if asking:
        _ask(answers, name, flags)
    elif name is None:
        raise UsageError(
            "no project name given and no terminal to ask for one", hint="bb init NAME --yes"
        )
    chosen_name = str(answers.get("name") or name)
    target, project_name = _target_and_name(chosen_name)
    scaffold.check_target(target)

    def pick(key: str, default: object) -> object:
        value = flags[key]
        return answers.get(key, default) if value is None else value

    choices = scaffold.Answers(
        project_name=project_name,
        db=str(pick("db", "sqlite")),
        auth=bool(pick("auth", False)),
        ai=bool(pick("ai", True)),
    )
    if choices.auth and not _auth_available():
        raise UsageError("--auth is not available in this version of bb", hint="drop --auth")
    do_install = bool(pick("install", True))
    do_git = bool(pick("git", True))
    if not asking:
        ui.info(
            f"Creating [bold]{ui.escape(project_name)}[/]: db={choices.db}, "
            f"auth={'on' if choices.auth else 'off'}, ai={'on' if choices.ai else 'off'}, "
            f"install={'on' if do_install else 'off'}, git={'on' if do_git else 'off'}"
        )

    files = scaffold.render(choices)
    if dry_run:
        ui.info(f"Would create {ui.escape(str(target))} with {len(files)} files:")
        for item in files:
            ui.info(f"  [green]+[/] {ui.escape(item.path)}")
        steps = [s for s, on in (("git init", do_git), ("install into .venv", do_install)) if on]
        if steps:
            ui.info(f"Then: {', '.join(steps)}.")
        return

    scaffold.write_project(target, files, after=lambda root: scaffold.finish(root, choices))
    ui.success(f"created {target} ({len(files)} files)")
    if do_git:
        ui.info(f"  {scaffold.git_init(target)}")
    if do_install:
        plan = scaffold.install_plan(target)
        with ui.status(f"Installing dependencies into .venv with {plan.tool}..."):
            scaffold.install(target, plan)
        ui.success("dependencies installed in .venv")
    _next_steps(target, do_install)


def _target_and_name(name: str) -> tuple[Path, str]:
    here = name in (".", "./")
    target = Path.cwd().resolve() if here else Path(name).expanduser()
    scaffold.validate_name(target.name)
    return target, target.name


def _next_steps(target: Path, installed: bool) -> None:
    lines = [f"cd {target}"]
    if installed:
        lines.append(". .venv/bin/activate")
    else:
        lines.append("python -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]'")
    lines += ["bb migrate        # create the tables", "bb dev            # http://127.0.0.1:8000/docs",
              "pytest            # the generated tests"]  # fmt: skip
    ui.info("\nNext steps:\n" + "\n".join(f"  {ui.escape(line)}" for line in lines))
