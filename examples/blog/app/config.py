"""Settings from the environment: DATABASE_URL, else .env, else a SQLite file in the project.

bb resolves the database the same way, so `bb migrate` and the app always agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///./app.db"


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


def resolve_sqlite_url(url: str, root: Path = PROJECT_ROOT) -> str:
    """Make a relative SQLite path relative to the project root, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str((root / rest).resolve())
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str


def load_settings() -> Settings:
    dotenv = read_dotenv(PROJECT_ROOT / ".env")
    url = os.environ.get("DATABASE_URL") or dotenv.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return Settings(database_url=resolve_sqlite_url(url))


settings = load_settings()
