"""The exception tree of bb; `cli.main` turns these into a message and an exit code in one place."""

from __future__ import annotations

from collections.abc import Sequence

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1  # a failure, or a check that found differences
EXIT_USAGE = 2  # bad flags or arguments
EXIT_INTERRUPTED = 130


class BetterBaseError(Exception):
    """An error meant for people: a message, a hint for the fix, and an exit code."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(BetterBaseError):
    """A flag or argument that cannot be used as given."""

    exit_code = EXIT_USAGE


class ProjectNotFound(BetterBaseError):
    def __init__(self, start: Path) -> None:
        super().__init__(
            f"no BetterBase project found in {start} or any parent directory",
            hint="run bb inside a project (a folder with betterbase.toml), "
            "or create one with `bb init NAME`",
        )


class ConfigError(BetterBaseError):
    """betterbase.toml (or .env) cannot be read or holds a value bb cannot use."""


class SourceError(BetterBaseError):
    """Something wrong at a place in a file: the message starts with path:line:col."""

    def __init__(
        self, path: str | Path, line: int, col: int, message: str, hint: str | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.col = col
        self.reason = message
        super().__init__(f"{self.path}:{line}:{col}: {message}", hint)


class SchemaParseError(SourceError):
    """The models (or SQL) could not be read: a syntax error or a construct bb does not know."""


class SchemaError(BetterBaseError):
    """The models read fine but do not make a valid schema (duplicate tables, dangling keys)."""


class FileConflict(BetterBaseError):
    """bb would overwrite files that a person changed since bb wrote them."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        listed = "\n".join(f"  {p}" for p in self.paths)
        super().__init__(
            f"these files were edited since bb wrote them and were left alone:\n{listed}",
            hint="see the change with --dry-run, or overwrite them with --force",
        )


class OpenQuestions(BetterBaseError):
    """A non-interactive run met decisions only a person (or a flag) can make."""

    def __init__(self, questions: Sequence[tuple[str, str]]) -> None:
        self.questions = list(questions)
        listed = "\n".join(f"  - {q}\n    answer with: {flag}" for q, flag in self.questions)
        super().__init__(
            f"{len(self.questions)} question(s) need an answer and nothing was changed:\n{listed}",
            hint="run in a terminal to be asked, or pass the flags above",
        )


class DatabaseError(BetterBaseError):
    """The database could not be reached or refused a statement."""


class Aborted(BetterBaseError):
    """The user said no; nothing was changed."""
