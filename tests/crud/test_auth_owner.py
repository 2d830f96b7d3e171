"""`--auth` and `--owner-column` with the real auth package (`bb auth setup`): every endpoint
needs a signed-in user, and a user only ever sees and changes their own rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from crud.crud_helpers import MYPY_CACHE, create_tables, generate, make_project, serve
from helpers import run_in_project

from betterbase_cli.codegen.auth import setup_auth
from betterbase_cli.project import load_project

TODOS = """

class Todo(TimestampMixin, Base):
    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
"""


@pytest.fixture(scope="module")
def auth_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("auth") / "todo", TODOS)
    setup_auth(load_project(project))
    result = generate(project, "todos", "--owner-column", "user_id")
    assert result.exit_code == 0, result.output
    return project


def test_generated_auth_code_is_clean_and_its_tests_pass(auth_project: Path) -> None:
    router = (auth_project / "app/routes/todos.py").read_text()
    assert "Depends(require_auth)" in router and 'owner_column="user_id"' in router
    assert (
        "user_id"
        not in (auth_project / "app/schemas/todos.py").read_text().split("class TodoCreate")[1]
    )
    for command in (("ruff", "check", "."), ("mypy", "--strict", "app", "tests")):
        result = run_in_project(auth_project, *command, env=MYPY_CACHE)
        assert result.returncode == 0, result.stdout + result.stderr
    tests = run_in_project(auth_project, "pytest", "-v", "-p", "no:cacheprovider",
                           "tests/test_api_todos.py")  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert "test_rows_belong_to_their_owner PASSED" in tests.stdout


@pytest.fixture(scope="module")
def api(auth_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'todo.db'}"
    create_tables(auth_project, url)
    with serve(auth_project, url) as base:
        yield base + "/api"


def sign_up(api: str) -> dict[str, str]:
    email = f"u-{uuid.uuid4().hex[:10]}@example.com"
    response = httpx.post(
        f"{api}/auth/sign-up", json={"email": email, "password": "correct horse battery"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_owner_rows_end_to_end(api: str) -> None:
    assert httpx.get(f"{api}/todos").status_code == 401
    assert httpx.post(f"{api}/todos", json={"title": "x"}).status_code == 401
    alice, bob = sign_up(api), sign_up(api)
    with (
        httpx.Client(base_url=api, headers=alice) as a,
        httpx.Client(base_url=api, headers=bob) as b,
    ):
        me = a.get("/auth/session").json()["user"]["id"]
        mine = a.post("/todos", json={"title": "alice's"}).json()[0]
        assert mine["user_id"] == me
        forged = a.post("/todos", json={"title": "x", "user_id": "someone-else"})
        assert forged.status_code == 422  # the owner is never taken from a body
        assert a.patch(f"/todos/{mine['id']}", json={"user_id": "x"}).status_code == 422
        key = mine["id"]
        assert b.get("/todos").json() == []
        assert b.get(f"/todos/{key}").status_code == 404
        assert b.get("/todos", params={"id": f"eq.{key}"}).json() == []
        assert b.patch(f"/todos/{key}", json={"done": True}).status_code == 404
        assert b.patch("/todos", params={"id": f"eq.{key}"}, json={"done": True}).json() == []
        assert b.delete(f"/todos/{key}").status_code == 404
        assert b.delete("/todos", params={"id": "gte.0"}).json() == []
        takeover = b.post(
            "/todos", json={"id": key, "title": "mine now"},
            headers={"Prefer": "resolution=merge-duplicates"},
        )  # fmt: skip
        assert takeover.status_code == 201 and takeover.json() == []
        assert b.post("/todos", json={"title": "bob's"}).status_code == 201
        assert a.get(f"/todos/{key}").json()["title"] == "alice's"
        assert [t["title"] for t in a.get("/todos").json()] == ["alice's"]
        assert a.patch(f"/todos/{key}", json={"done": True}).json()["done"] is True
        assert a.delete(f"/todos/{key}").status_code == 200


def test_auth_tables_are_never_exposed(auth_project: Path, tmp_path: Path) -> None:
    import shutil

    project = Path(shutil.copytree(auth_project, tmp_path / "copy"))
    refused = generate(project, "account")
    assert refused.exit_code == 2
    assert "owned by `bb auth setup`" in refused.output
    assert generate(project, "--all").exit_code == 0
    routes = {p.name for p in (project / "app/routes").glob("*.py")}
    assert {"todos.py", "notes.py"} <= routes
    assert not {"user.py", "user_table.py", "account.py", "session.py"} & routes
