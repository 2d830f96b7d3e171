"""The plan of `bb auth setup`: the auth package, the four Better Auth tables in the models, the
router registration, the [auth] settings and the new dependencies, computed as file writes.

Generated files go through the manifest (user edits are conflicts unless ``force``); user files
(models, router registry, betterbase.toml, pyproject.toml, .env.example) are edited in place
with libcst and tomlkit so their formatting and comments survive, and only ever gain lines.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from betterbase_cli.codegen import auth_edits, files
from betterbase_cli.codegen.files import CREATE, UNCHANGED, UPDATE, FileWrite, PlannedWrite
from betterbase_cli.errors import ConfigError, FileConflict, SchemaError, SourceError, UsageError
from betterbase_cli.project import CONFIG_FILE, Project
from betterbase_cli.records import dataclass

COMMAND = "bb auth setup"

# table name -> class name, in the order they are written.
AUTH_MODELS = {
    "user": "User",
    "session": "AuthSession",
    "account": "Account",
    "verification": "Verification",
}

# [auth] in betterbase.toml: what `bb auth setup` writes when a key is missing.
DEFAULTS: dict[str, Any] = {
    "base_url": "http://localhost:8000",
    "trusted_origins": ["http://localhost:3000", "http://localhost:5173"],
    "cookie_name": "bb.session_token",
    "session_expires_days": 7,
    "session_update_age_hours": 24,
    "min_password_length": 8,
    "require_email_verification": False,
}
# [auth.rate_limits]: requests per window in seconds, per client address.
RATE_LIMIT_DEFAULTS: dict[str, list[int]] = {
    "sign_in": [5, 60],
    "sign_up": [5, 60],
    "password": [5, 300],
    "verification": [5, 300],
}
_TOML_COMMENT = (
    "Sign-in, sessions and roles (bb auth setup writes these into app/auth/settings.py; rerun it "
    "after a change).  Secrets live in .env (AUTH_SECRET), never here."
)

# Added to the generated project's pyproject.toml.
RUNTIME_DEPENDENCIES = ("pwdlib[argon2]>=0.2", "authlib>=1.3", "httpx>=0.27")
OPTIONAL_DEPENDENCIES = {"redis": ("redis>=5",)}
DEV_DEPENDENCIES = ("redis>=5",)

ENV_EXAMPLE_BLOCK = """\

# Auth (bb auth setup).  AUTH_SECRET keys the stored token hashes: make one with
# `openssl rand -hex 32` and keep it secret; without it, sessions end on every restart.
AUTH_SECRET=
# Defaults come from betterbase.toml [auth]; set these to override them per environment.
# AUTH_BASE_URL=https://api.example.com
# AUTH_TRUSTED_ORIGINS=https://example.com,https://www.example.com
# AUTH_COOKIE_SECURE=auto
# AUTH_RATE_LIMIT=on
# AUTH_RATE_LIMIT_STORE=redis://127.0.0.1:6379/0
# AUTH_TRUST_PROXY_HEADERS=off
# AUTH_REQUIRE_EMAIL_VERIFICATION=off
# AUTH_VERIFY_EMAIL_URL=https://example.com/verify-email
# AUTH_RESET_PASSWORD_URL=https://example.com/reset-password
# Mail: printed to the console unless SMTP_HOST is set.
# SMTP_HOST=smtp.example.com
# SMTP_PORT=587
# SMTP_USERNAME=
# SMTP_PASSWORD=
# SMTP_FROM=no-reply@example.com
# SMTP_SECURITY=starttls
# OAuth sign-in: a provider is on when both of its values are set.
# AUTH_GITHUB_CLIENT_ID=
# AUTH_GITHUB_CLIENT_SECRET=
# AUTH_GOOGLE_CLIENT_ID=
# AUTH_GOOGLE_CLIENT_SECRET=
"""

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")
_COOKIE = re.compile(r"[A-Za-z0-9._\-]{1,64}")


@dataclass(frozen=True)
class AuthConfig:
    """[auth] of betterbase.toml, checked."""

    base_url: str
    trusted_origins: tuple[str, ...]
    cookie_name: str
    session_expires_days: int
    session_update_age_hours: int
    min_password_length: int
    require_email_verification: bool
    rate_limits: dict[str, tuple[int, int]]


# -- betterbase.toml ------------------------------------------------------------------------


def merge_toml(text: str) -> tuple[str, dict[str, Any]]:
    """betterbase.toml with every missing [auth] key added (comments kept), and [auth]."""
    import tomlkit
    from tomlkit.items import Table

    doc = tomlkit.parse(text)
    auth = doc.get("auth")
    if auth is None:
        auth = tomlkit.table()
        for line in _wrap(_TOML_COMMENT, 98):
            auth.add(tomlkit.comment(line))
        doc.add("auth", auth)
    if not isinstance(auth, Table):
        raise ConfigError(f"{CONFIG_FILE}: [auth] is not a table", hint="make it an [auth] section")
    for key, value in DEFAULTS.items():
        if key not in auth:
            auth.add(key, value)
    limits = auth.get("rate_limits")
    if limits is None:
        limits = tomlkit.table()
        limits.add(tomlkit.comment("[requests, seconds] per client address"))
        auth.add("rate_limits", limits)
    if not isinstance(limits, Table):
        raise ConfigError(
            f"{CONFIG_FILE}: [auth] rate_limits is not a table", hint="make it [auth.rate_limits]"
        )
    for key, pair in RATE_LIMIT_DEFAULTS.items():
        if key not in limits:
            limits.add(key, pair)
    return tomlkit.dumps(doc), doc.unwrap()["auth"]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) > width and current:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def check_config(raw: dict[str, Any]) -> AuthConfig:
    """The [auth] values, refusing any that could not go safely into generated code."""
    where = f"{CONFIG_FILE}: [auth]"

    def bad(key: str, why: str, hint: str) -> ConfigError:
        return ConfigError(f"{where} {key} {why}", hint=hint)

    base_url = raw.get("base_url")
    if not isinstance(base_url, str) or not _ORIGIN.fullmatch(base_url.rstrip("/")):
        raise bad(
            "base_url",
            f"is not an http(s) origin: {base_url!r}",
            'e.g. base_url = "https://api.example.com" (no path)',
        )
    origins = raw.get("trusted_origins")
    if not isinstance(origins, list) or not all(
        isinstance(o, str) and _ORIGIN.fullmatch(o.rstrip("/")) for o in origins
    ):
        raise bad(
            "trusted_origins",
            f"must be a list of http(s) origins, not {origins!r}",
            'e.g. trusted_origins = ["https://example.com"]',
        )
    cookie = raw.get("cookie_name")
    if not isinstance(cookie, str) or not _COOKIE.fullmatch(cookie):
        raise bad(
            "cookie_name",
            f"is not a valid cookie name: {cookie!r}",
            "use letters, digits, '.', '_' and '-'",
        )
    numbers: dict[str, int] = {}
    for key in ("session_expires_days", "session_update_age_hours", "min_password_length"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad(
                key,
                f"must be a positive whole number, not {value!r}",
                f"e.g. {key} = {DEFAULTS[key]}",
            )
        numbers[key] = value
    if numbers["min_password_length"] > 128:
        raise bad("min_password_length", "is above the maximum of 128", "use 8 to 128")
    verify = raw.get("require_email_verification")
    if not isinstance(verify, bool):
        raise bad(
            "require_email_verification",
            f"must be true or false, not {verify!r}",
            "require_email_verification = false",
        )
    limits: dict[str, tuple[int, int]] = {}
    raw_limits = raw.get("rate_limits", {})
    for key in RATE_LIMIT_DEFAULTS:
        pair = raw_limits.get(key) if isinstance(raw_limits, dict) else None
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in pair)
        ):
            raise bad(
                f"rate_limits.{key}",
                f"must be [requests, seconds], not {pair!r}",
                f"e.g. {key} = {RATE_LIMIT_DEFAULTS[key]}",
            )
        limits[key.replace("_", "-")] = (pair[0], pair[1])
    return AuthConfig(
        base_url=base_url.rstrip("/"),
        trusted_origins=tuple(o.rstrip("/") for o in origins),
        cookie_name=cookie,
        session_expires_days=numbers["session_expires_days"],
        session_update_age_hours=numbers["session_update_age_hours"],
        min_password_length=numbers["min_password_length"],
        require_email_verification=verify,
        rate_limits=limits,
    )


# -- generated files ------------------------------------------------------------------------


def _templates() -> Path:
    from betterbase_cli.blueprint import blueprints_root

    return blueprints_root() / "auth"


def _render(template: str, context: dict[str, Any]) -> str:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        keep_trailing_newline=True, autoescape=False, undefined=StrictUndefined
    )
    return env.from_string(template).render(context)


def render_files(project: Project, config: AuthConfig) -> list[FileWrite]:
    """The files of the auth package, its routes and its tests, rendered for this project."""
    package = project.package
    context = {
        "package": package,
        "api_prefix": project.api_prefix.rstrip("/"),
        "base_url": config.base_url,
        "trusted_origins": config.trusted_origins,
        "cookie_name": config.cookie_name,
        "session_expires_days": config.session_expires_days,
        "session_update_age_hours": config.session_update_age_hours,
        "min_password_length": config.min_password_length,
        "require_email_verification": config.require_email_verification,
        "rate_limits": config.rate_limits,
    }
    routes = project.relative(project.routes_dir)
    folder = _templates() / "files"
    writes: list[FileWrite] = []
    for source in sorted(folder.rglob("*.jinja")):
        relative = source.relative_to(folder).as_posix()[: -len(".jinja")]
        if relative.startswith("app/routes/"):
            target = f"{routes}/{relative[len('app/routes/') :]}"
        elif relative.startswith("app/"):
            target = f"{package}/{relative[len('app/') :]}"
        else:
            target = relative
        writes.append(FileWrite(target, _render(source.read_text(encoding="utf-8"), context)))
    return writes


# -- edits of user files --------------------------------------------------------------------


def _line_length(root: Path) -> int:
    path = root / "pyproject.toml"
    if path.is_file():
        import tomlkit

        try:
            data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
        except Exception:  # a broken pyproject is reported by edit_pyproject
            return 88
        value = data.get("tool", {}).get("ruff", {}).get("line-length", 88)
        return value if isinstance(value, int) else 88
    return 88


def _parse(path: Path, text: str) -> Any:
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise SourceError(
            path,
            exc.raw_line,
            exc.raw_column + 1,
            exc.message,
            hint="fix the syntax error, then run bb auth setup again",
        ) from exc


def edit_models(path: Path, text: str, package: str, line_length: int) -> str:
    """The models file with whichever of the four auth models it lacks (nothing if none)."""
    import libcst as cst

    tree = _parse(path, text)
    existing = auth_edits.tablenames(tree)
    classes = auth_edits.class_names(tree)
    by_table = {table: name for name, table in existing.items()}
    missing = []
    for table, name in AUTH_MODELS.items():
        if table in by_table:
            if by_table[table] != name:
                raise SchemaError(
                    f"{path}: the table {table!r} is the model {by_table[table]}, but the auth "
                    f"code expects it to be called {name}",
                    hint=f"rename the class to {name}, or remove it and run bb auth setup again",
                )
            continue
        if name in classes:
            raise SchemaError(
                f"{path}: a class {name} already exists and is not the {table!r} table",
                hint=f"rename your {name} class; the auth tables need the name",
            )
        missing.append(table)
    if not missing:
        return text
    base = auth_edits.declarative_base(tree)
    if base is None:
        raise SchemaError(
            f"{path}: no class subclasses sqlalchemy.orm.DeclarativeBase",
            hint="keep the Base class of the blueprint (class Base(DeclarativeBase))",
        )
    snippet = _render(
        (_templates() / "models.py.jinja").read_text(encoding="utf-8"), {"base": base}
    )
    # A leading `pass` makes the comment block belong to the first class, not the module header.
    parsed = cst.parse_module("pass\n\n\n" + snippet)
    new_classes = [
        s
        for s in parsed.body[1:]
        if isinstance(s, cst.ClassDef)
        and auth_edits.tablenames(cst.Module(body=[s])).get(s.name.value) in missing
    ]
    first = new_classes[0]
    if first.name.value != "User":
        first = first.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        new_classes[0] = first
    tree = tree.with_changes(body=[*tree.body, *new_classes])
    needed = {
        "sqlalchemy": ["DateTime", "ForeignKey", "String", "Text", "false", "func"],
        "sqlalchemy.orm": ["Mapped", "mapped_column"],
    }
    if "account" in missing:
        needed["sqlalchemy"].append("UniqueConstraint")
    tree = auth_edits.ensure_import(tree, "datetime", [], package, line_length)
    for module, names in needed.items():
        tree = auth_edits.ensure_import(tree, module, names, package, line_length)
    code: str = tree.code
    return code


def edit_router_registry(path: Path, text: str, package: str, line_length: int) -> str:
    """The router registry with `from <package>.routes import auth` and its include_router."""
    import libcst as cst

    tree = _parse(path, text)
    router_name = None
    last_include = None
    for index, statement in enumerate(tree.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and isinstance(small.value, cst.Call)
                and auth_edits.dotted(small.value.func).split(".")[-1] == "APIRouter"
                and isinstance(small.targets[0].target, cst.Name)
            ):
                router_name = small.targets[0].target.value
                last_include = last_include if last_include is not None else index
            if (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and auth_edits.dotted(small.value.func).endswith(".include_router")
            ):
                last_include = index
                if small.value.args and auth_edits.dotted(small.value.args[0].value) == (
                    "auth.router"
                ):
                    return text
    if router_name is None:
        raise SourceError(
            path,
            1,
            1,
            "no `api_router = APIRouter(...)` found",
            hint="keep the router registry of the blueprint, or add "
            "`api_router.include_router(auth.router)` yourself",
        )
    assert last_include is not None
    include = cst.parse_statement(f"{router_name}.include_router(auth.router)\n")
    body = list(tree.body)
    body.insert(last_include + 1, include)
    tree = tree.with_changes(body=body)
    tree = auth_edits.ensure_import(tree, f"{package}.routes", ["auth"], package, line_length)
    code: str = tree.code
    return code


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else requirement


def edit_pyproject(path: Path, text: str) -> str:
    """pyproject.toml with the auth dependencies added (never changing ones already there)."""
    import tomlkit
    from tomlkit.items import Array, Table

    try:
        doc = tomlkit.parse(text)
    except Exception as exc:  # tomlkit raises its own ParseError family
        raise ConfigError(f"{path}: {exc}", hint="fix the TOML syntax") from exc
    project = doc.get("project")
    if not isinstance(project, Table):
        raise ConfigError(f"{path}: no [project] table", hint="add [project] with dependencies")

    def add_all(array: Array, requirements: Iterable[str]) -> None:
        have = {_requirement_name(str(r)) for r in array}
        for requirement in requirements:
            if _requirement_name(requirement) not in have:
                array.append(requirement)

    dependencies = project.get("dependencies")
    if dependencies is None:
        dependencies = tomlkit.array()
        dependencies.multiline(True)
        project.add("dependencies", dependencies)
    add_all(dependencies, RUNTIME_DEPENDENCIES)
    optional = project.get("optional-dependencies")
    if optional is None:
        optional = tomlkit.table()
        project.add("optional-dependencies", optional)
    for extra, requirements in [*OPTIONAL_DEPENDENCIES.items(), ("dev", DEV_DEPENDENCIES)]:
        array = optional.get(extra)
        if array is None:
            array = tomlkit.array()
            array.multiline(True)
            optional.add(extra, array)
        add_all(array, requirements)
    result: str = tomlkit.dumps(doc)
    return result


ANSWERS_FILE = ".copier-answers.yml"  # bb init's answers (the project blueprint's copier.yml)


def edit_answers(text: str) -> str:
    """The blueprint's answers with ``auth: true``, as `bb init --auth` records them (one line
    changed; a file without a top-level ``auth:`` answer is left as it is)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("auth:"):
            ending = line[len(line.rstrip("\r\n")) :]
            lines[i] = "auth: true" + ending
            return "".join(lines)
    return text


def edit_env_example(text: str) -> str:
    if re.search(r"^\s*#?\s*AUTH_SECRET=", text, re.MULTILINE):
        return text
    return (text if text.endswith("\n") or not text else text + "\n") + ENV_EXAMPLE_BLOCK


def edit_dotenv(root: Path, text: str | None, secret: str) -> str | None:
    """.env with AUTH_SECRET=secret added, when the project keeps .env out of git; else None."""
    gitignore = root / ".gitignore"
    ignored = gitignore.is_file() and any(
        line.strip() in (".env", "/.env", ".env*", "*.env")
        for line in gitignore.read_text(encoding="utf-8").splitlines()
    )
    if not ignored:
        return None
    text = text or ""
    if re.search(r"^\s*(export\s+)?AUTH_SECRET=\S", text, re.MULTILINE):
        return text
    prefix = text if text.endswith("\n") or not text else text + "\n"
    return f"{prefix}AUTH_SECRET={secret}\n"


# -- the plan -------------------------------------------------------------------------------


def _edit(root: Path, path: str, new: str, old: str | None) -> PlannedWrite:
    action = CREATE if old is None else (UNCHANGED if old == new else UPDATE)
    return PlannedWrite(path, new, action, old)


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def plan_auth(
    project: Project, force: bool = False, secret: str | None = None
) -> tuple[list[PlannedWrite], list[PlannedWrite]]:
    """(generated files, edits of user files) that `bb auth setup` would write; ``secret`` is
    the AUTH_SECRET for .env (a fresh random one by default)."""
    root = project.root
    config_text = _read(root / CONFIG_FILE) or ""
    new_config, raw = merge_toml(config_text)
    config = check_config(raw)
    line_length = _line_length(root)

    generated = files.plan(root, render_files(project, config), force=force)

    edits: list[PlannedWrite] = [_edit(root, CONFIG_FILE, new_config, config_text)]
    models_path = project.schema_paths[0]
    if models_path.is_dir():
        raise ConfigError(
            f"{project.relative(models_path)} is a package; bb auth setup adds the auth models "
            "to one file",
            hint="list that file first in [schema] paths, e.g. paths = "
            f'["{project.relative(models_path)}/models.py"]',
        )
    models_text = _read(models_path)
    if models_text is None:
        raise ConfigError(
            f"{project.relative(models_path)} does not exist",
            hint="[schema] paths in betterbase.toml must name the models file",
        )
    edits.append(
        _edit(
            root,
            project.relative(models_path),
            edit_models(models_path, models_text, project.package, line_length),
            models_text,
        )
    )
    registry = project.routes_dir / "__init__.py"
    registry_text = _read(registry)
    if registry_text is None:
        raise ConfigError(
            f"{project.relative(registry)} does not exist",
            hint="[api] routes in betterbase.toml must name the router package",
        )
    edits.append(
        _edit(
            root,
            project.relative(registry),
            edit_router_registry(registry, registry_text, project.package, line_length),
            registry_text,
        )
    )
    pyproject = _read(root / "pyproject.toml")
    if pyproject is not None:
        edits.append(
            _edit(
                root,
                "pyproject.toml",
                edit_pyproject(root / "pyproject.toml", pyproject),
                pyproject,
            )
        )
    example = _read(root / ".env.example")
    edits.append(_edit(root, ".env.example", edit_env_example(example or ""), example))
    answers = _read(root / ANSWERS_FILE)
    if answers is not None:
        edits.append(_edit(root, ANSWERS_FILE, edit_answers(answers), answers))
    dotenv = _read(root / ".env")
    new_dotenv = edit_dotenv(root, dotenv, secret or secrets.token_hex(32))
    if new_dotenv is not None:
        edits.append(_edit(root, ".env", new_dotenv, dotenv))
    return generated, edits


def setup_auth(
    project: Project, *, dry_run: bool = False, force: bool = False, migrate: bool = False
) -> list[PlannedWrite]:
    """Add auth to the project (see the module docstring); returns every planned write, sorted
    by path.  ``dry_run`` writes nothing.  Conflicts raise FileConflict before anything is
    written.  ``migrate`` then writes and applies the migration with `bb migrate`'s library."""
    # A dry run shows where the secret goes, never a value that the real run would not use.
    secret = "<64 random hex digits, made when applied>" if dry_run else None
    generated, edits = plan_auth(project, force=force, secret=secret)
    planned = sorted([*generated, *edits], key=lambda p: p.path)
    if dry_run:
        return planned
    conflicts = [p.path for p in generated if p.action == files.CONFLICT]
    if conflicts:
        raise FileConflict(conflicts)
    files.apply(project.root, generated)
    for edit in edits:
        if edit.action != UNCHANGED:
            files.write_atomic(project.root / edit.path, edit.content)
            if edit.path == ".env" and edit.action == CREATE:
                (project.root / ".env").chmod(0o600)  # it holds a secret
    if migrate:
        run_migration(project)
    return planned


def run_migration(project: Project) -> None:
    """Write and apply the migration for the new tables: `bb migrate --yes` in the project."""
    import os

    try:
        from betterbase_cli.commands.migrate import migrate as migrate_command
    except ImportError as exc:  # a build of bb without the migrate commands
        raise UsageError(
            "bb migrate is not available in this version of bb",
            hint="create the tables with your own migration tool",
        ) from exc
    previous = os.getcwd()
    os.chdir(project.root)  # bb migrate finds the project from the working directory
    try:
        migrate_command.main(
            args=["--yes", "--name", "add_auth"], prog_name="bb migrate", standalone_mode=False
        )
    finally:
        os.chdir(previous)
