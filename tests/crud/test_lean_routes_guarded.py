"""The fast path of generated endpoints never bypasses a dependency the user put on the way.

Users protect routers where they include them (FastAPI's documented pattern), on the router or
on the app; a request to a protected generated endpoint must be refused in every case, while an
unprotected one is served by the lean route.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_bb

DENY = (
    "from fastapi import Depends, HTTPException\n\n\n"
    "def deny() -> None:\n"
    "    raise HTTPException(status_code=401, detail='signed in users only')\n"
)

PROBE = """
import json, os, tempfile
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/probe.db"
from fastapi.testclient import TestClient
from starlette.routing import Route
from app.db.schema import Base
from app.db.session import engine
from app.main import app
Base.metadata.create_all(engine)
with TestClient(app) as client:
    lean = [r.path for r in app.router.routes if type(r) is Route and r.path.startswith("/api/")]
    print(json.dumps({
        "get": client.get("/api/notes").status_code,
        "post": client.post("/api/notes", json={"title": "t"}).status_code,
        "delete": client.delete("/api/notes?id=gt.0").status_code,
        "lean": lean,
    }))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("lean")
    assert run_bb("init", "guarded", "--yes", "--no-install", "--no-git", cwd=where).returncode == 0
    root = where / "guarded"
    result = run_bb("generate", "crud", "notes", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def probe(project: Path, edit: tuple[str, str, str] | None, tmp_path: Path) -> dict[str, object]:
    copy = tmp_path / "p"
    subprocess.run(["cp", "-r", str(project), str(copy)], check=True)
    if edit is not None:
        path, old, new = edit
        text = (copy / path).read_text()
        assert old in text, (path, old)
        (copy / "app" / "deny.py").write_text(DENY)
        imports = "from fastapi import Depends\n\nfrom app.deny import deny\n"
        future = "from __future__ import annotations\n"
        text = text.replace(old, new)
        text = text.replace(future, future + imports) if future in text else imports + text
        (copy / path).write_text(text)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=copy, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_unguarded_endpoints_take_the_lean_path(project: Path, tmp_path: Path) -> None:
    seen = probe(project, None, tmp_path)
    assert (seen["get"], seen["post"]) == (200, 201)
    assert "/api/notes" in seen["lean"]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            ("app/routes/__init__.py", "api_router.include_router(notes.router)",
             "api_router.include_router(notes.router, dependencies=[Depends(deny)])"),
            id="include_router-dependencies",
        ),
        pytest.param(
            ("app/routes/__init__.py", 'APIRouter(prefix="/api")',
             'APIRouter(prefix="/api", dependencies=[Depends(deny)])'),
            id="router-dependencies",
        ),
        pytest.param(
            ("app/main.py", "app.include_router(api_router)",
             "app.include_router(api_router, dependencies=[Depends(deny)])"),
            id="app-include-dependencies",
        ),
        pytest.param(
            ("app/main.py", 'app = FastAPI(title="guarded")',
             'app = FastAPI(title="guarded", dependencies=[Depends(deny)])'),
            id="app-dependencies",
        ),
    ],
)  # fmt: skip
def test_guarded_endpoints_are_refused(
    project: Path, tmp_path: Path, edit: tuple[str, str, str]
) -> None:
    seen = probe(project, edit, tmp_path)
    assert (seen["get"], seen["post"], seen["delete"]) == (401, 401, 401)
    assert seen["lean"] == []
