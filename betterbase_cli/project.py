"""Find the project root, read betterbase.toml and resolve the database URL as the app does."""

from __future__ import annotations

import os
from pathlib import Path

from betterbase_cli.errors import ConfigError, ProjectNotFound
from betterbase_cli.records import dataclass, field

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Any

CONFIG_FILE = "betterbase.toml"
DIALECTS = ("sqlite", "postgresql", "mysql")


def _read_toml(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomlkit

        try:
            return tomlkit.parse(text).unwrap()
        except Exception as exc:  # tomlkit raises its own ParseError family
            raise ConfigError(f"{path}: {exc}", hint="fix the TOML syntax") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", hint="fix the TOML syntax") from exc


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; comments, blank lines and `export ` prefixes allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(frozen=True)
class Project:
    """A BetterBase project on disk and its settings."""

    root: Path
    config: dict[str, Any] = field(repr=False)

    # -- settings, each with the default `bb init` writes -------------------------------------

    def _get(self, section: str, key: str, default: Any) -> Any:
        value = self.config.get(section, {}).get(key, default)
        if default is not None and not isinstance(value, type(default)):
            raise ConfigError(
                f"{self.root / CONFIG_FILE}: [{section}] {key} should be a "
                f"{type(default).__name__}, not {value!r}",
                hint=f"fix or remove `{key}` in [{section}]",
            )
        return value

    @property
    def name(self) -> str:
        return str(self._get("project", "name", self.root.name))

    @property
    def package(self) -> str:
        return str(self._get("project", "package", "app"))

    @property
    def dialects(self) -> list[str]:
        dialects = list(self._get("database", "dialects", ["sqlite"]))
        for dialect in dialects:
            if dialect not in DIALECTS:
                raise ConfigError(
                    f"{self.root / CONFIG_FILE}: unknown dialect {dialect!r} in [database]",
                    hint=f"use some of: {', '.join(DIALECTS)}",
                )
        if not dialects:
            raise ConfigError(
                f"{self.root / CONFIG_FILE}: [database] dialects is empty",
                hint='list at least one, e.g. dialects = ["sqlite"]',
            )
        return dialects

    @property
    def default_database_url(self) -> str:
        return str(self._get("database", "default_url", "sqlite:///./app.db"))

    @property
    def schema_paths(self) -> list[Path]:
        paths = self._get("schema", "paths", [f"{self.package}/db/schema.py"])
        return [self.root / p for p in paths]

    @property
    def migrations_dir(self) -> Path:
        return self.root / str(self._get("migrations", "path", "migrations"))

    @property
    def routes_dir(self) -> Path:
        return self.root / str(self._get("api", "routes", f"{self.package}/routes"))

    @property
    def api_prefix(self) -> str:
        return str(self._get("api", "prefix", "/api"))

    @property
    def page_size(self) -> int:
        return int(self._get("api", "page_size", 20))

    @property
    def max_page_size(self) -> int:
        return int(self._get("api", "max_page_size", 1000))

    @property
    def ai_targets(self) -> list[str]:
        return list(self._get("ai", "targets", ["agents", "claude"]))

    @property
    def state_dir(self) -> Path:
        """Where bb keeps its own state (manifest, backups); git-ignored."""
        return self.root / ".betterbase"

    # -- the database, resolved exactly as app/config.py does ---------------------------------

    def database_url(self) -> str:
        """DATABASE_URL from the environment, else from .env, else the project default.

        A relative SQLite path is taken relative to the project root, as the app does.
        """
        url = os.environ.get("DATABASE_URL") or read_dotenv(self.root / ".env").get("DATABASE_URL")
        url = url or self.default_database_url
        return resolve_sqlite_url(url, self.root)

    def relative(self, path: Path) -> str:
        """A path relative to the project root, POSIX style, for messages and records."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def resolve_sqlite_url(url: str, root: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str((root / rest).resolve())
    return url


def find_root(start: Path | None = None) -> Path:
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ProjectNotFound(start)


def load_project(start: Path | None = None) -> Project:
    root = find_root(start)
    return Project(root=root, config=_read_toml(root / CONFIG_FILE))
