"""`bb dev`: run the app with uvicorn --reload and keep the AI context fresh beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import click

from betterbase_cli import ui
from betterbase_cli.errors import BetterBaseError
from betterbase_cli.project import Project, load_project


def project_python(project: Project) -> str:
    """The interpreter that has the project's dependencies: its .venv if there is one."""
    for candidate in (".venv/bin/python", ".venv/Scripts/python.exe", "venv/bin/python"):
        path = project.root / candidate
        if path.is_file():
            return str(path)
    return sys.executable


def _has_uvicorn(python: str) -> bool:
    probe = "import importlib.util,sys; sys.exit(importlib.util.find_spec('uvicorn') is None)"
    return subprocess.run([python, "-c", probe], capture_output=True, check=False).returncode == 0


def server_command(project: Project, python: str, host: str, port: int, reload: bool) -> list[str]:
    command = [python, "-m", "uvicorn", f"{project.package}.main:app", "--host", host]
    command += ["--port", str(port)]
    if reload:
        command += ["--reload", "--reload-dir", str(project.root / project.package)]
    return command


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--reload/--no-reload", default=True, help="Restart on code changes (default on).")
@click.option(
    "--context/--no-context",
    default=True,
    help="Keep the AI context files fresh while files change (default on).",
)
def dev(host: str, port: int, reload: bool, context: bool) -> None:
    """Run the app for development: uvicorn with reload, plus the AI context watcher.

    \b
    Examples:
      bb dev
      bb dev --port 8080 --host 0.0.0.0
    The same without bb: uvicorn app.main:app --reload
    """
    project = load_project()
    python = project_python(project)
    if not _has_uvicorn(python):
        raise BetterBaseError(
            f"uvicorn is not installed for {python}",
            hint="install the project first: python -m venv .venv && "
            ".venv/bin/pip install -e '.[dev]'",
        )
    stop_watcher = _start_context_watcher(project) if context and project.ai_targets else None
    command = server_command(project, python, host, port, reload)
    ui.info(f"[bold]bb dev[/]: http://{host}:{port}  (docs at /docs; Ctrl-C stops)")
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    process = subprocess.Popen(command, cwd=project.root, env=env)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        code = 0
    finally:
        if stop_watcher is not None:
            stop_watcher()
    if code:
        raise BetterBaseError(f"the server exited with code {code}", hint="see its output above")


def _start_context_watcher(project: Project) -> Callable[[], None]:
    """Start the context watcher in a thread; returns a function that stops it."""
    from betterbase_cli.context.watch import print_event, start_watcher

    return start_watcher(project, on_event=print_event).stop
