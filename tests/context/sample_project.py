"""Write a runnable sample BetterBase project: N tables with foreign keys, one router per table.

Used by the context tests (including the exactness test, which imports the app) and by
tests/benchmarks/bench_context.py (60 tables, 60 routers).  Auth is wired in every style the
route scanner must recognise: a Depends() parameter, an Annotated alias, `dependencies=[...]` on
the decorator, on APIRouter(...) and on include_router(...), and has_role("admin").
"""

from __future__ import annotations

import textwrap
from pathlib import Path

WORDS = ["posts", "comments", "tags", "orders", "invoices", "products", "teams", "projects"]


def table_names(count: int) -> list[str]:
    names = ["users"]
    for i in range(1, count):
        names.append(WORDS[i - 1] if i - 1 < len(WORDS) else f"things_{i:02d}")
    return names


def class_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def model_source(table: str, index: int, names: list[str]) -> str:
    cls = class_name(table)
    if table == "users":
        return f"""

class {cls}(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), server_default="member")
    posts: Mapped[list[Posts]] = relationship(back_populates="author")
"""
    lines = [
        "",
        "",
        f"class {cls}(TimestampMixin, Base):",
        f'    __tablename__ = "{table}"',
        "",
        "    id: Mapped[int] = mapped_column(primary_key=True)",
        "    title: Mapped[str] = mapped_column(String(200), index=True)",
        "    body: Mapped[str | None] = mapped_column(Text)",
        '    published: Mapped[bool] = mapped_column(Boolean, server_default="0")',
        "    price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(10, 2))",
        "    author_id: Mapped[int] = mapped_column(",
        '        ForeignKey("users.id", ondelete="CASCADE"), index=True',
        "    )",
    ]
    if table == "posts":
        lines.append('    author: Mapped[Users] = relationship(back_populates="posts")')
    if index % 3 == 2:
        parent = names[index - 1]
        lines += [
            f"    {parent}_id: Mapped[int | None] = mapped_column(",
            f'        ForeignKey("{parent}.id", ondelete="SET NULL")',
            "    )",
        ]
    return "\n".join(lines) + "\n"


def schema_source(names: list[str]) -> str:
    head = '''
"""The models of the sample project."""

from __future__ import annotations

import datetime
import decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, MetaData, Numeric, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
'''
    body = "".join(model_source(t, i, names) for i, t in enumerate(names))
    return textwrap.dedent(head).lstrip("\n") + body


AUTH = '''
"""Sign-in dependencies (a stand-in for what `bb auth setup` writes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException


def get_user(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any] | None:
    if not authorization:
        return None
    return {"id": 1, "roles": authorization.split(",")}


def require_auth(user: Annotated[dict[str, Any] | None, Depends(get_user)]) -> dict[str, Any]:
    if user is None:
        raise HTTPException(status_code=401)
    return user


def has_role(*roles: str) -> Callable[..., dict[str, Any]]:
    def check(user: Annotated[dict[str, Any], Depends(require_auth)]) -> dict[str, Any]:
        if not set(roles) & set(user["roles"]):
            raise HTTPException(status_code=403)
        return user

    return check


CurrentUser = Annotated[dict[str, Any], Depends(require_auth)]
'''

SESSION = '''
"""Engine and sessions."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session
'''


def pydantic_source(table: str) -> str:
    cls = class_name(table)
    return f'''
"""Request and response bodies for {table}."""

from __future__ import annotations

from pydantic import BaseModel


class {cls}Create(BaseModel):
    title: str
    body: str | None = None


class {cls}Read({cls}Create):
    id: int
'''


def router_source(table: str, index: int) -> str:
    """Five routes; the auth style rotates with the index so every style is exercised."""
    cls = class_name(table)
    style = index % 5
    router_deps = ", dependencies=[Depends(require_auth)]" if style == 1 else ""
    create_deps = ', dependencies=[Depends(has_role("admin"))]' if style == 2 else ""
    delete_user = "user: CurrentUser, " if style in (0, 3) else ""
    return f'''
"""Endpoints for {table}."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from app.auth.dependencies import CurrentUser, has_role, require_auth
from app.db.session import get_session
from app.schemas.{table} import {cls}Create, {cls}Read

router = APIRouter(prefix="/{table}", tags=["{table}"]{router_deps})


class Order(str, Enum):
    asc = "asc"
    desc = "desc"


@router.get("", response_model=list[{cls}Read])
def list_{table}(
    session: Annotated[Session, Depends(get_session)],
    limit: int = 20,
    order: Order = Order.asc,
    q: Annotated[str | None, Query(max_length=50)] = None,
) -> list[{cls}Read]:
    """List {table}."""
    return []


@router.get("/{{item_id}}")
def get_{table}(item_id: int) -> {cls}Read:
    return {cls}Read(id=item_id, title="x")


@router.post("", status_code=status.HTTP_201_CREATED{create_deps})
def create_{table}(payload: {cls}Create, user: dict = Depends(require_auth)) -> {cls}Read:
    return {cls}Read(id=1, **payload.model_dump())


@router.api_route("/{{item_id}}", methods=["PUT", "PATCH"], response_model={cls}Read)
def update_{table}(item_id: int, payload: {cls}Create) -> dict[str, object]:
    return {{"id": item_id, **payload.model_dump()}}


@router.delete("/{{item_id}}", status_code=204)
def delete_{table}({delete_user}item_id: int) -> None:
    return None
'''


def registry_source(names: list[str]) -> str:
    imports = "\n".join(f"from app.routes import {t}" for t in names)
    lines = []
    for i, table in enumerate(names):
        if i % 5 == 4:
            lines.append(
                f'api_router.include_router({table}.router, prefix="/v2", '
                "dependencies=[Depends(require_auth)])"
            )
        else:
            lines.append(f"api_router.include_router({table}.router)")
    body = "\n".join(lines)
    return (
        '"""The router registry."""\n\n'
        "from fastapi import APIRouter, Depends\n\n"
        "from app.auth.dependencies import require_auth\n\n"
        'api_router = APIRouter(prefix="/api")\n\n'
        f"{imports}  # noqa: E402\n\n{body}\n"
    )


MAIN = '''
"""The app."""

from __future__ import annotations

from fastapi import FastAPI, WebSocket

from app.routes import api_router

app = FastAPI(title="sample")
app.include_router(api_router)


@app.get("/health", tags=["health"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/internal", include_in_schema=False)
def internal() -> dict[str, str]:
    return {}


@app.websocket("/ws")
async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
'''


TOML = """
[project]
name = "sample"
package = "app"

[database]
dialects = ["sqlite"]

[schema]
paths = ["app/db/schema.py"]

[api]
prefix = "/api"
routes = "app/routes"

[ai]
targets = {targets}
"""


def write_sample_project(
    root: Path,
    tables: int = 6,
    targets: tuple[str, ...] = ("agents", "claude", "cursor", "copilot"),
) -> list[str]:
    """Write the project under ``root`` and return its table names."""
    names = table_names(tables)
    listed = "[" + ", ".join(f'"{t}"' for t in targets) + "]"
    _write(root, "betterbase.toml", TOML.format(targets=listed))
    for package in ("app", "app/db", "app/auth", "app/schemas"):
        _write(root, f"{package}/__init__.py", "")
    _write(root, "app/db/schema.py", schema_source(names))
    _write(root, "app/db/session.py", SESSION)
    _write(root, "app/auth/dependencies.py", AUTH)
    for i, table in enumerate(names):
        _write(root, f"app/schemas/{table}.py", pydantic_source(table))
        _write(root, f"app/routes/{table}.py", router_source(table, i))
    _write(root, "app/routes/__init__.py", registry_source(names))
    _write(root, "app/main.py", MAIN)
    return names
