"""Create a project from the blueprint: validate the name, write every file or none, then the
optional steps (git, install) that leave the project in place when they fail."""

from __future__ import annotations

import keyword
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from betterbase_cli import blueprint
from betterbase_cli.errors import BetterBaseError, UsageError
from betterbase_cli.project import Project
from betterbase_cli.records import dataclass

# Distribution names a project cannot take: installing it would shadow one of its own
# dependencies (or a tool it needs), e.g. a project called "fastapi".
SHADOWED = frozenset(
    {
        "anyio", "app", "betterbase", "betterbase-cli", "click", "fastapi", "h11", "httpx",
        "idna", "mypy", "pip", "psycopg", "pydantic", "pydantic-core", "pymysql", "pytest",
        "ruff", "setuptools", "sniffio", "sqlalchemy", "starlette", "test", "tests",
        "typing-extensions", "uvicorn", "wheel",
    }
)  # fmt: skip
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Answers:
    project_name: str
    db: str = "sqlite"
    auth: bool = False
    ai: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"project_name": self.project_name, "db": self.db, "auth": self.auth, "ai": self.ai}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def validate_name(name: str) -> str:
    """Return the name if a project may be called that, else raise UsageError saying why."""
    shown = repr(name)
    if not name.strip():
        raise UsageError("the project name is empty", hint="pass a name: bb init my-app")
    if not _NAME.match(name):
        why = (
            "it starts with a digit"
            if name[0].isdigit()
            else "use letters, digits, '-' and '_', starting with a letter"
        )
        raise UsageError(
            f"{shown} is not a valid project name: {why}", hint="for example: bb init my-app"
        )
    if len(name) > 64:
        raise UsageError(f"{shown} is longer than 64 characters", hint="choose a shorter name")
    identifier = name.replace("-", "_")
    if keyword.iskeyword(identifier) or keyword.issoftkeyword(identifier):
        raise UsageError(
            f"{shown} is a Python keyword and cannot name a project",
            hint=f"for example: bb init {name}-api",
        )
    if normalise(name) in SHADOWED:
        raise UsageError(
            f"{shown} would shadow the {normalise(name)!r} package the project depends on",
            hint=f"for example: bb init my-{name}",
        )
    return name


def check_target(target: Path) -> None:
    """Refuse a target that is a file or a folder with anything in it (a bare .git is fine)."""
    if target.exists() and not target.is_dir():
        raise UsageError(
            f"{target} exists and is not a folder", hint="choose another name or location"
        )
    if target.is_dir() and any(p.name != ".git" for p in target.iterdir()):
        raise UsageError(
            f"{target} already exists and is not empty; bb never writes into it",
            hint="choose another name, or run bb init inside an empty folder",
        )


def render(answers: Answers) -> list[blueprint.RenderedFile]:
    return blueprint.render(blueprint.load("project"), answers.as_dict())


class _Undo:
    """Remembers what this run created so a failure removes exactly that and nothing else."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.dirs: list[Path] = []

    def mkdir(self, path: Path) -> None:
        missing: list[Path] = []
        for folder in (path, *path.parents):
            if folder.exists():
                break
            missing.append(folder)
        for folder in reversed(missing):
            folder.mkdir()
            self.dirs.append(folder)

    def write(self, path: Path, content: bytes, executable: bool) -> None:
        self.mkdir(path.parent)
        # O_EXCL: never replace a file that appeared meanwhile.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755 if executable else 0o644)
        self.files.append(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)

    def rollback(self) -> None:
        for path in reversed(self.files):
            path.unlink(missing_ok=True)
        # Deepest first, and only folders left empty: anything someone else put there stays.
        for folder in sorted(self.dirs, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass


def write_project(
    target: Path,
    files: Sequence[blueprint.RenderedFile],
    after: Callable[[Path], None] | None = None,
) -> None:
    """Write every file (and run ``after``, e.g. the AI context) or, on any failure or Ctrl-C,
    remove what this run created and re-raise."""
    check_target(target)
    undo = _Undo()
    try:
        undo.mkdir(target)
        for item in files:
            undo.write(target / item.path, item.content, item.executable)
        if after is not None:
            before = set(target.rglob("*"))
            try:
                after(target)
            finally:
                for path in sorted(set(target.rglob("*")) - before):
                    (undo.dirs if path.is_dir() else undo.files).append(path)
    except BaseException:
        undo.rollback()
        raise


def git_init(target: Path) -> str:
    """`git init` and a first commit; returns what happened, for the summary."""
    git = shutil.which("git")
    if git is None:
        return "git not found on PATH: skipped git init"
    if (target / ".git").exists():
        return "already a git repository: left as it is"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, *args], cwd=target, capture_output=True, text=True, check=False)

    if run("init", "-q").returncode != 0:
        return "git init failed: skipped"
    run("add", "-A")
    commit = run("commit", "-q", "-m", "Initial commit from bb init")
    if commit.returncode != 0:
        return "git repository created; nothing committed (set git user.name and user.email)"
    return "git repository created with a first commit"


@dataclass(frozen=True)
class InstallPlan:
    tool: str  # "uv" or "pip"
    commands: tuple[tuple[str, ...], ...]


def install_plan(target: Path) -> InstallPlan:
    venv = target.resolve() / ".venv"  # the commands run inside the project
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    uv = shutil.which("uv")
    if uv:
        return InstallPlan(
            "uv",
            (
                (uv, "venv", "--quiet", str(venv)),
                (uv, "pip", "install", "--quiet", "--python", str(python), "-e", ".[dev]"),
            ),
        )
    return InstallPlan(
        "pip",
        (
            (sys.executable, "-m", "venv", str(venv)),
            (str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-e", ".[dev]"),
        ),
    )  # fmt: skip


class InstallFailed(BetterBaseError):
    pass


def install(target: Path, plan: InstallPlan) -> None:
    for command in plan.commands:
        result = subprocess.run(
            list(command), cwd=target, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            lines = [ln for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
            reason = lines[-1].strip() if lines else f"exit code {result.returncode}"
            later = (
                "python -m venv .venv && .venv/bin/pip install -e '.[dev]'"
                if plan.tool == "pip"
                else "uv venv && uv pip install -e '.[dev]'"
            )
            raise InstallFailed(
                f"the project is ready in {target}, but installing its dependencies failed: "
                f"{reason}",
                hint=f"install later with: cd {target} && {later}",
            )


def finish(root: Path, answers: Answers) -> None:
    """Steps that build on the rendered files: the auth package, the first migration (so a new
    project is in step with its models and `bb migrate check` passes from the first commit),
    then the AI context."""
    from betterbase_cli.project import load_project

    project = load_project(root)
    if answers.auth:
        from betterbase_cli.codegen.auth import setup_auth

        setup_auth(project)
    write_initial_migration(project)
    if answers.ai:
        from betterbase_cli.context.build import write_context

        write_context(project)


def write_initial_migration(project: Project) -> None:
    """migrations/<dialect>/0001_... creating the tables of the blueprint's models."""
    from betterbase_cli.migrate.questioner import Answers as Decisions
    from betterbase_cli.migrate.workflow import build_migration, compute_change, write_migration

    change = compute_change(project, Decisions(), None)
    if not change.empty:
        write_migration(project, build_migration(project, change, None, "bb init"))
