"""The migrations folder: layout, names, headers, checksums, and SQL files split into statements.

Layout (``[migrations] path``, ``migrations/`` by default)::

    migrations/
      snapshot.json                  the schema the latest generated migration was diffed to
      checksums.json                 every migration bb wrote: kind, destructive, SHA-256 per file
      sqlite/0001_create_notes.sql   one folder per dialect in [database] dialects,
      postgresql/0001_create_notes.sql   the same name in each

A *generated* migration must not change after bb wrote it (``bb migrate check`` compares it with
its recorded checksum).  A *manual* one (``bb migrate new``) is meant to be edited until it is
applied; after that the ledger in the database holds its checksum and ``apply`` refuses a file
that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from betterbase_cli.errors import BetterBaseError, ConfigError
from betterbase_cli.records import dataclass, field

CHECKSUMS_FILE = "checksums.json"
CHECKSUMS_FORMAT = 1
GENERATED = "generated"
MANUAL = "manual"
UNKNOWN = "unknown"  # a .sql file bb has no record of

NAME_RE = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.sql$")
MAX_SLUG = 48


def write_atomic(path: Path, text: str) -> None:
    """Write via a sibling temporary file and a rename, so a crash never leaves half a file.
    (codegen.files has the same, but importing it pulls tempfile and difflib: 20 ms.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def checksum(text: str) -> str:
    """SHA-256 of a file's text with line endings normalised, so a git checkout with CRLF
    conversion does not look like an edit."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rstrip("_")
    return slug


def derive_slug(descriptions: Iterable[str]) -> str:
    """A name from the operations: the first one, plus ``_and_more`` when there are others."""
    items = [d for d in descriptions if d.strip()]
    if not items:
        return "empty"
    first = slugify(items[0]) or "change"
    if len(items) > 1:
        first = first[: MAX_SLUG - len("_and_more")].rstrip("_") + "_and_more"
    return first


@dataclass(frozen=True)
class Migration:
    """One migration: a name shared by a file per dialect, and what bb recorded about it."""

    name: str  # 0001_create_notes
    kind: str  # GENERATED, MANUAL or UNKNOWN
    destructive: bool = False
    files: Mapping[str, Path] = field(default_factory=dict)  # dialect -> file on disk
    recorded: Mapping[str, str] = field(default_factory=dict)  # dialect -> checksum at writing

    @property
    def number(self) -> int:
        return int(self.name.split("_", 1)[0])


@dataclass(frozen=True)
class Problem:
    """Something wrong with the migrations folder (an edited, missing or unknown file)."""

    path: str
    message: str
    kind: str  # "unknown", "missing" or "edited"


@dataclass(frozen=True)
class MigrationsFolder:
    """The migrations folder of a project, for the dialects it is configured with."""

    root: Path  # the project root
    path: Path  # the migrations folder
    dialects: tuple[str, ...]

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def file(self, dialect: str, name: str) -> Path:
        return self.path / dialect / f"{name}.sql"

    # -- checksums.json -------------------------------------------------------------------------

    @property
    def checksums_path(self) -> Path:
        return self.path / CHECKSUMS_FILE

    def read_records(self) -> dict[str, dict[str, Any]]:
        """name -> {"kind", "destructive", "files": {dialect: sha256}} from checksums.json."""
        path = self.checksums_path
        if not path.is_file():
            return {}
        where = self.relative(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigError(
                f"{where} is not valid JSON ({exc})",
                hint="restore it from git; bb writes it next to every migration",
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("migrations"), dict):
            raise ConfigError(
                f'{where} is corrupt: no "migrations" object',
                hint="restore it from git; bb writes it next to every migration",
            )
        fmt = data.get("format")
        if not isinstance(fmt, int) or fmt > CHECKSUMS_FORMAT:
            raise ConfigError(
                f"{where} has format {fmt!r}; this bb reads format {CHECKSUMS_FORMAT}",
                hint="it was written by a newer bb: upgrade bb (pip install -U betterbase-cli)",
            )
        records: dict[str, dict[str, Any]] = {}
        for name, record in data["migrations"].items():
            if not isinstance(record, dict) or record.get("kind") not in (GENERATED, MANUAL):
                raise ConfigError(
                    f"{where}: the record of {name!r} is corrupt",
                    hint="restore the file from git",
                )
            records[str(name)] = record
        return records

    def write_records(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        data = {
            "format": CHECKSUMS_FORMAT,
            "note": "Written by bb. Generated migrations must not change after they are "
            "written; manual ones (bb migrate new) may change until they are applied.",
            "migrations": {name: dict(records[name]) for name in sorted(records)},
        }
        write_atomic(self.checksums_path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    # -- listing -------------------------------------------------------------------------------

    def migrations(self) -> list[Migration]:
        """Every migration recorded or on disk, sorted by name."""
        records = self.read_records()
        on_disk: dict[str, dict[str, Path]] = {}
        for dialect in self.dialects:
            folder = self.path / dialect
            if not folder.is_dir():
                continue
            for file in folder.iterdir():
                if file.is_file() and NAME_RE.match(file.name):
                    on_disk.setdefault(file.stem, {})[dialect] = file
        result: list[Migration] = []
        for name in sorted(set(records) | set(on_disk)):
            record = records.get(name)
            files = on_disk.get(name, {})
            if record is None:
                result.append(Migration(name, UNKNOWN, files=files))
                continue
            result.append(
                Migration(
                    name,
                    str(record["kind"]),
                    destructive=bool(record.get("destructive", False)),
                    files=files,
                    recorded={str(k): str(v) for k, v in dict(record.get("files", {})).items()},
                )
            )
        return result

    def next_number(self) -> int:
        numbers = [m.number for m in self.migrations()]
        return max(numbers, default=0) + 1

    def problems(self) -> list[Problem]:
        """Generated files edited after bb wrote them, recorded files that are missing, and
        SQL files bb has no record of."""
        found: list[Problem] = []
        for migration in self.migrations():
            for dialect in self.dialects:
                path = self.file(dialect, migration.name)
                where = self.relative(path)
                if migration.kind == UNKNOWN:
                    if dialect in migration.files:
                        found.append(
                            Problem(
                                where, "not written by bb (no record in checksums.json)", "unknown"
                            )
                        )
                    continue
                if dialect not in migration.files:
                    found.append(Problem(where, "missing (recorded in checksums.json)", "missing"))
                    continue
                if migration.kind == GENERATED:
                    recorded = migration.recorded.get(dialect)
                    actual = checksum(path.read_text(encoding="utf-8"))
                    if recorded != actual:
                        found.append(Problem(where, "edited after bb generated it", "edited"))
        return found


# -- headers ----------------------------------------------------------------------------------


def generated_header(command: str, name: str, dialect: str, descriptions: Iterable[str]) -> str:
    lines = [
        f"-- Generated by `{command}`: migration {name} for {dialect}.",
        "-- Do not edit it: `bb migrate check` compares it with migrations/checksums.json.",
        "-- To change the schema, edit the models and run `bb migrate` again.",
        "--",
        "-- Operations:",
    ]
    lines += [f"--   {d}" for d in descriptions] or ["--   (none)"]
    return "\n".join(lines) + "\n"


def manual_template(name: str, dialect: str) -> str:
    return (
        f"-- Written by hand: made by `bb migrate new` as migration {name} for {dialect}.\n"
        "-- Put here what the models cannot say: views, triggers, functions, data backfills,\n"
        "-- row-level security policies.  Edit it freely until it is applied; after that bb\n"
        "-- keeps its checksum in the database and refuses a changed file.\n"
        "-- bb runs the whole file in one transaction where the database allows it\n"
        "-- (BEGIN/COMMIT lines are not needed).\n"
        "\n"
    )


# -- statements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration file: its 1-based number and first line."""

    number: int
    line: int
    text: str

    @property
    def summary(self) -> str:
        one = " ".join(self.text.split())
        return one if len(one) <= 200 else one[:197] + "..."


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
_COMPOUND = re.compile(
    r"^\s*CREATE\b(?:(?!\bAS\b)[\s\S])*?\b(TRIGGER|PROCEDURE|FUNCTION|EVENT)\b", re.IGNORECASE
)


class SplitError(BetterBaseError):
    pass


def split_statements(sql: str, dialect: str, path: str = "<sql>") -> list[Statement]:
    """Split SQL text into statements: quotes, comments, PostgreSQL dollar quotes, trigger
    bodies (BEGIN ... END) and MySQL ``DELIMITER`` lines are respected.  Comment-only pieces
    are dropped."""
    statements: list[Statement] = []
    n = len(sql)
    i = 0
    line = 1
    start = 0
    start_line: int | None = None  # line of the first significant character
    depth = 0
    delimiter = ";"
    at_line_start = True

    def finish(end: int) -> None:
        nonlocal start_line
        text = sql[start:end].strip()
        if start_line is not None and text:
            statements.append(Statement(len(statements) + 1, start_line, text))
        start_line = None

    while i < n:
        ch = sql[i]
        # MySQL client DELIMITER directive, at the start of a statement.
        if (
            dialect == "mysql"
            and at_line_start
            and start_line is None
            and sql[i : i + 10].upper() == "DELIMITER "
        ):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            delimiter = sql[i + 10 : end].strip() or ";"
            i = end
            start = end
            continue
        if ch == "\n":
            line += 1
            at_line_start = True
            i += 1
            continue
        if ch in " \t\r":
            i += 1
            continue
        at_line_start = False
        if sql.startswith("--", i) or (dialect == "mysql" and ch == "#"):
            end = sql.find("\n", i)
            i = n if end == -1 else end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            line += sql.count("\n", i, end)
            i = end
            continue
        if start_line is None:
            start_line = line
            start = i
        if depth == 0 and sql.startswith(delimiter, i):
            finish(i)
            i += len(delimiter)
            start = i
            continue
        if ch in "'\"`":
            j = i + 1
            backslash = dialect == "mysql" and ch != "`"
            while j < n:
                c = sql[j]
                if backslash and c == "\\":
                    j += 2
                    continue
                if c == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise SplitError(
                    f"{path}:{line}: unterminated {ch}-quoted text", hint="close the quote"
                )
            line += sql.count("\n", i, j)
            i = j + 1
            continue
        if ch == "$" and dialect == "postgresql":
            match = _DOLLAR.match(sql, i)
            if match:
                tag = match.group(0)
                end = sql.find(tag, match.end())
                if end == -1:
                    raise SplitError(
                        f"{path}:{line}: unterminated {tag} quote", hint=f"close it with {tag}"
                    )
                end += len(tag)
                line += sql.count("\n", i, end)
                i = end
                continue
        if ch.isalpha() or ch == "_":
            match = _WORD.match(sql, i)
            assert match is not None
            word = match.group(0).upper()
            i = match.end()
            if dialect != "postgresql" and word in ("BEGIN", "CASE", "END"):
                head = sql[start:i]
                if _COMPOUND.match(head):
                    if word in ("BEGIN", "CASE"):
                        depth += 1
                    else:
                        following = _WORD.match(sql, _skip_space(sql, i))
                        closes_block = following is None or following.group(0).upper() not in (
                            "IF",
                            "LOOP",
                            "WHILE",
                            "REPEAT",
                        )
                        if closes_block:
                            depth = max(0, depth - 1)
            continue
        i += 1
    if start_line is not None:
        finish(n)
    return statements


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i
