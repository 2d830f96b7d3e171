"""Helpers for the `bb generate crud` tests: projects from the blueprint with extra models, bb
run in-process, and the generated app served by uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from migrate.migrate_helpers import Result, bb

from betterbase_cli import scaffold

# One mypy cache for every generated project in a run: they share most of their imports.
MYPY_CACHE = {"MYPY_CACHE_DIR": os.path.join(tempfile.gettempdir(), f"bb-crud-mypy-{os.getuid()}")}

# Appended to the blueprint's app/db/schema.py (which has Base, the mixins and Note).
MODELS = """

class Status(enum.Enum):
    draft = "draft"
    published = "published"


class Author(TimestampMixin, Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), unique=True)


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    isbn: Mapped[str | None] = mapped_column(String(20), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"))
    pages: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    in_print: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[Status] = mapped_column(SAEnum(Status), default=Status.draft)
    extra: Mapped[dict[str, object] | None] = mapped_column(JSON)
    published_on: Mapped[datetime.date | None] = mapped_column(Date)


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id"))
    stars: Mapped[int] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)


class Tag(UUIDPrimaryKey, Base):
    __tablename__ = "tags"

    label: Mapped[str] = mapped_column(String(50), unique=True)
"""

IMPORTS = (
    "import enum\nfrom decimal import Decimal\n\n"
    "from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric\n"
    "from sqlalchemy import Enum as SAEnum\n"
)


def add_models(project: Path, models: str = MODELS) -> None:
    schema = project / "app" / "db" / "schema.py"
    text = schema.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\nimport uuid\n")
    schema.write_text(head + sep + IMPORTS + rest + models, encoding="utf-8")
    # Sorted the way ruff sorts imports, so the project's own lint stays clean.
    subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--fix", "--select", "I,F401", "-q", str(schema)],
        check=False,
    )


def make_project(target: Path, models: str = MODELS) -> Path:
    """What `bb init NAME --no-install --no-git --yes` writes, plus the test models."""
    for item in scaffold.render(scaffold.Answers(project_name=target.name, db="sqlite")):
        path = target / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.content)
    add_models(target, models)
    return target


def generate(project: Path, *args: str) -> Result:
    return bb(project, "generate", "crud", *args)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_tables(project: Path, url: str) -> None:
    code = (
        "from sqlalchemy import create_engine\n"
        "from app.db.schema import Base\n"
        f"Base.metadata.create_all(create_engine({url!r}))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=project, check=True, timeout=120)


@contextmanager
def serve(project: Path, url: str) -> Iterator[str]:
    """The generated app under uvicorn on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
         "--no-access-log", "--host", "127.0.0.1"],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"uvicorn exited: {err[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("uvicorn did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
