"""`bb init` as a user runs it: the project it makes works, and bad input loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import assert_no_traceback, run_bb, run_in_project

from betterbase_cli import scaffold
from betterbase_cli.cli import cli

INIT = ("init", "--yes", "--no-install", "--no-git")


def make(tmp_path: Path, name: str = "my-app", *extra: str) -> Path:
    result = run_bb(*INIT, name, *extra, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / name


# --- the CLI shell -------------------------------------------------------------------------


def test_version_and_module_entry_point(tmp_path: Path) -> None:
    from betterbase_cli import __version__

    result = run_bb("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"bb {__version__}"


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    heavy = ("libcst", "sqlglot", "copier", "questionary", "jinja2", "rich", "sqlalchemy")
    probe = (
        "import sys\n"
        "from betterbase_cli.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "Commands:" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_every_command_has_help_with_an_example(tmp_path: Path) -> None:
    result = run_bb("init", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Examples:" in result.stdout and "bb init my-app" in result.stdout


def test_usage_error_exit_code_is_2(tmp_path: Path) -> None:
    result = run_bb("init", "x", "--db", "oracle", cwd=tmp_path)
    assert result.returncode == 2
    assert "oracle" in result.stderr
    assert_no_traceback(result)


def test_no_color_and_no_terminal_means_plain_text(tmp_path: Path) -> None:
    result = run_bb(*INIT, "plain", cwd=tmp_path)
    assert "\x1b[" not in result.stdout + result.stderr


# --- the project it makes --------------------------------------------------------------------


def test_init_writes_the_layout_and_records_answers(tmp_path: Path) -> None:
    project = make(tmp_path)
    for path in (
        "pyproject.toml", "betterbase.toml", "README.md", ".env.example", ".gitignore",
        ".pre-commit-config.yaml", ".copier-answers.yml", "app/main.py", "app/config.py",
        "app/db/schema.py", "app/db/session.py", "app/routes/__init__.py",
        "app/schemas/__init__.py", "tests/conftest.py", "tests/test_health.py",
    ):  # fmt: skip
        assert (project / path).is_file(), path
    answers = (project / ".copier-answers.yml").read_text()
    assert "project_name: my-app" in answers and "db: sqlite" in answers


def test_a_new_project_is_in_step_from_the_first_commit(tmp_path: Path) -> None:
    project = make(tmp_path)
    assert sorted(p.name for p in (project / "migrations" / "sqlite").iterdir()) == [
        "0001_create_notes.sql"
    ]
    for check in (("migrate", "check"), ("context", "--check")):
        result = run_bb(*check, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr


def test_non_interactive_prints_the_choices(tmp_path: Path) -> None:
    result = run_bb("init", "quiet-app", "--no-install", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "db=sqlite" in result.stdout and "ai=on" in result.stdout


def test_ci_without_a_name_fails_saying_which_argument(tmp_path: Path) -> None:
    result = run_bb("init", cwd=tmp_path, env={"CI": "true"})
    assert result.returncode == 2
    assert "bb init NAME --yes" in result.stderr
    assert_no_traceback(result)


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = make(tmp_path / "a"), make(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_dry_run_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    result = run_bb(*INIT, "dry", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0
    assert "app/main.py" in result.stdout
    assert not (tmp_path / "dry").exists()


def test_init_dot_uses_the_current_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "here-app"
    (folder / ".git").mkdir(parents=True)
    result = run_bb(*INIT, ".", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "app/main.py").is_file()
    assert 'name = "here-app"' in (folder / "pyproject.toml").read_text()


@pytest.mark.slow
def test_generated_project_passes_its_tests_ruff_and_mypy(tmp_path: Path) -> None:
    project = make(tmp_path)
    tests = run_in_project(project, "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    lint = run_in_project(project, "ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout
    types = run_in_project(project, "mypy", "--no-incremental")
    assert types.returncode == 0, types.stdout


@pytest.mark.parametrize("db", ["postgresql", "mysql"])
def test_server_database_projects_pass_their_tests_on_the_real_server(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url" if db == "postgresql" else "mysql_url")
    project = make(tmp_path, "shop", "--db", db)
    toml = (project / "betterbase.toml").read_text()
    assert f'dialects = ["{db}"]' in toml
    tests = run_in_project(
        project, "pytest", "-q", "-p", "no:cacheprovider", env={"TEST_DATABASE_URL": url}
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_app_and_bb_resolve_the_database_the_same_way(tmp_path: Path) -> None:
    from betterbase_cli.project import load_project

    project = make(tmp_path)
    probe = "from app.config import settings; print(settings.database_url)"
    cases: list[tuple[dict[str, str], str | None]] = [
        ({}, None),  # the default from betterbase.toml
        ({}, "DATABASE_URL=sqlite:///./from-dotenv.db\n"),
        ({"DATABASE_URL": "postgresql+psycopg://u@h/db"}, "DATABASE_URL=sqlite:///./x.db\n"),
    ]
    for env, dotenv in cases:
        (project / ".env").unlink(missing_ok=True)
        if dotenv:
            (project / ".env").write_text(dotenv)
        app_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
        seen_by_app = subprocess.run(
            [sys.executable, "-c", probe], cwd=tmp_path, env=app_env | {"PYTHONPATH": str(project)},
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        old = os.environ.pop("DATABASE_URL", None)
        os.environ.update(env)
        try:
            seen_by_bb = load_project(project).database_url()
        finally:
            for key in env:
                os.environ.pop(key, None)
            if old is not None:
                os.environ["DATABASE_URL"] = old
        assert seen_by_app == seen_by_bb


# --- bad input: a clear error and nothing lost ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("my app!", "not a valid project name"),
        ("", "empty"),
        ("123abc", "starts with a digit"),
        ("class", "Python keyword"),
        ("fastapi", "shadow"),
        ("SQLAlchemy", "shadow"),
    ],
)
def test_bad_names_are_refused(tmp_path: Path, name: str, said: str) -> None:
    result = run_bb(*INIT, name, cwd=tmp_path)
    assert result.returncode == 2
    assert said in result.stderr and "hint:" in result.stderr
    assert_no_traceback(result)
    assert list(tmp_path.iterdir()) == []


def test_existing_non_empty_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = run_bb(*INIT, "taken", cwd=tmp_path)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_unwritable_location_is_a_clear_error(tmp_path: Path, where: str) -> None:
    if where == "under-a-file":
        (tmp_path / "afile").write_text("x")
        target = str(tmp_path / "afile" / "my-app")
    else:
        if not Path("/proc/self").exists():
            pytest.skip("no /proc on this system")
        target = "/proc/my-app"
    result = run_bb(*INIT, target, cwd=tmp_path)
    assert result.returncode != 0
    assert "error:" in result.stderr
    assert_no_traceback(result)
    assert (tmp_path / "afile").read_text() == "x" if where == "under-a-file" else True


def test_interrupt_half_way_removes_only_what_this_run_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "half"
    target.mkdir()
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    written = 0
    real_write = scaffold._Undo.write

    def flaky_write(self: scaffold._Undo, path: Path, content: bytes, executable: bool) -> None:
        nonlocal written
        written += 1
        if written == 6:
            raise KeyboardInterrupt
        real_write(self, path, content, executable)

    monkeypatch.setattr(scaffold._Undo, "write", flaky_write)
    monkeypatch.chdir(target)
    result = CliRunner().invoke(cli, [*INIT, "."])
    assert result.exit_code != 0
    assert sorted(p.name for p in target.iterdir()) == [".git"]
    assert (target / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_failure_in_a_new_folder_removes_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_finish(root: Path, answers: scaffold.Answers) -> None:
        (root / ".betterbase").mkdir()
        (root / ".betterbase" / "partial").write_text("x")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scaffold, "finish", broken_finish)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("keep")
    result = CliRunner().invoke(cli, [*INIT, "newdir"])
    assert result.exit_code != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


@pytest.mark.slow
def test_install_without_a_reachable_index_keeps_the_project(tmp_path: Path) -> None:
    unreachable = {
        "PIP_CONFIG_FILE": os.devnull,  # ignore machine-wide mirrors and extra indexes
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_NO_INDEX": "",
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "2",
        "UV_INDEX_URL": "http://127.0.0.1:9/simple",
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
    }
    result = run_bb("init", "offline", "--yes", "--no-git", "--install", cwd=tmp_path,
                    env=unreachable)  # fmt: skip
    assert result.returncode == 1
    assert_no_traceback(result)
    assert "install later with" in result.stderr
    assert (tmp_path / "offline" / "app" / "main.py").is_file()


def test_shell_completion_is_clicks(tmp_path: Path) -> None:
    env = {"_BB_COMPLETE": "bash_complete", "COMP_WORDS": "bb mig", "COMP_CWORD": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "betterbase_cli"], cwd=tmp_path, env={**os.environ, **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "plain,migrate" in result.stdout


def test_exit_codes_of_ctx_exit_reach_the_shell(tmp_path: Path) -> None:
    probe = (
        "import click, sys\n"
        "from betterbase_cli import cli as c\n"
        "@click.command()\n"
        "def boom() -> None:\n"
        "    click.get_current_context().exit(3)\n"
        "c.cli.add_command(boom, 'boom')\n"
        "sys.argv = ['bb', 'boom']\n"
        "c.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, check=False)
    assert result.returncode == 3


@pytest.mark.parametrize("columns", ["80", "100", "132", "90"])
def test_fast_help_equals_clicks_help(tmp_path: Path, columns: str) -> None:
    env = {**os.environ, "COLUMNS": columns}
    fast = subprocess.run(
        [sys.executable, "-m", "betterbase_cli", "--help"], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    slow = subprocess.run(
        [sys.executable, "-c", "from betterbase_cli.cli import main; main(['--help'])"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    assert fast == slow


def test_models_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    project = make(tmp_path)
    (project / "app/db/schema.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    for command in (("migrate", "check"), ("context", "--check")):
        result = run_bb(*command, cwd=project)
        assert result.returncode == 1, command
        assert "not UTF-8" in result.stderr
        assert_no_traceback(result)
