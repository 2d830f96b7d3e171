"""Issue 6's "done when": `bb init shop --auth`, `bb migrate`, `bb generate crud orders --auth
--owner-column user_id`, then a real uvicorn server: sign up, sign in with the cookie and with a
Bearer token, see only your own orders, sign out, and be refused afterwards.  SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.helpers import assert_no_traceback, run_bb

PASSWORD = "correct horse battery staple"
ORDER_MODEL = """

class Order(TimestampMixin, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(default=1)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(project: Path, env: dict[str, str]) -> Iterator[str]:
    """The generated app under uvicorn on a free port; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
        cwd=project,
        env={**os.environ, **env, "AUTH_BASE_URL": base},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "exited")
            time.sleep(0.05)
        else:
            raise AssertionError("the app did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_shop(tmp_path: Path, db: str, env: dict[str, str]) -> Path:
    init = run_bb("init", "shop", "--db", db, "--auth", "--yes", "--no-install", "--no-git",
                  cwd=tmp_path, env=env)  # fmt: skip
    assert init.returncode == 0, init.stderr
    project = tmp_path / "shop"
    schema = project / "app/db/schema.py"
    schema.write_text(schema.read_text() + ORDER_MODEL)
    crud = ("generate", "crud", "orders", "--auth", "--owner-column", "user_id")
    for command in (("migrate", "--yes"), crud):
        result = run_bb(*command, cwd=project, env=env)
        assert result.returncode == 0, f"bb {' '.join(command)}:\n{result.stdout}\n{result.stderr}"
        assert_no_traceback(result)
    return project


def shop_flow(base: str) -> None:
    origin = {"Origin": base}
    with (
        httpx.Client(base_url=base, headers=origin) as browser,
        httpx.Client(base_url=base) as api,
    ):
        # Sign up: the cookie session of a browser; `role` in the body is ignored.
        alice = browser.post(
            "/api/auth/sign-up",
            json={"email": "Alice@Example.com ", "password": PASSWORD, "role": "admin"},
        )
        assert alice.status_code == 201, alice.text
        alice_id = alice.json()["user"]["id"]
        assert alice.json()["user"]["role"] == "user"
        bob = api.post("/api/auth/sign-up", json={"email": "bob@example.com", "password": PASSWORD})
        bob_token = bob.json()["token"]
        bob_auth = {"Authorization": f"Bearer {bob_token}"}

        # Sign in again with the cookie, and with a Bearer token for a non-browser client.
        signed_in = browser.post(
            "/api/auth/sign-in", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        token = api.post(
            "/api/auth/sign-in", json={"email": "alice@example.com", "password": PASSWORD}
        ).json()["token"]
        alice_auth = {"Authorization": f"Bearer {token}"}
        api.cookies.clear()  # a non-browser client: the token is all it sends
        assert "bb.session_token" in browser.cookies

        assert browser.post("/api/orders", json={"item": "book"}).status_code == 201
        assert api.post("/api/orders", json={"item": "pen"}, headers=alice_auth).status_code == 201
        lamp = api.post("/api/orders", json={"item": "lamp"}, headers=bob_auth)
        assert lamp.status_code == 201
        lamp_id = lamp.json()[0]["id"]
        assert lamp.json()[0]["user_id"] == bob.json()["user"]["id"]

        # Only her own orders, by cookie and by token; Bob's row does not exist for her.
        for client, headers in ((browser, {}), (api, alice_auth)):
            listed = client.get("/api/orders", headers=headers).json()
            assert sorted(o["item"] for o in listed) == ["book", "pen"]
            assert {o["user_id"] for o in listed} == {alice_id}
        assert browser.get(f"/api/orders/{lamp_id}").status_code == 404
        taken = browser.patch(f"/api/orders/{lamp_id}", json={"item": "mine"})
        assert taken.status_code == 404
        assert browser.delete(f"/api/orders/{lamp_id}").status_code == 404
        # Owner escalation through the body is refused.
        bob_id = bob.json()["user"]["id"]
        stolen = browser.post("/api/orders", json={"item": "x", "user_id": bob_id})
        assert stolen.status_code == 422
        assert [o["item"] for o in api.get("/api/orders", headers=bob_auth).json()] == ["lamp"]

        # CSRF: the cookie alone, from another origin, cannot write.
        forged = browser.post(
            "/api/orders", json={"item": "csrf"}, headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 403
        assert api.get("/api/orders").status_code == 401

        # Sign out: the cookie session is refused at once; so is a revoked token.
        assert browser.post("/api/auth/sign-out").status_code == 204
        browser.cookies.set("bb.session_token", signed_in.json()["token"])
        assert browser.get("/api/orders").status_code == 401
        assert api.post("/api/auth/sign-out", headers=alice_auth).status_code == 204
        assert api.get("/api/orders", headers=alice_auth).status_code == 401
        assert api.get("/api/orders", headers=bob_auth).status_code == 200


def test_shop_on_sqlite(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    project = make_shop(tmp_path, "sqlite", env)
    with serve(project, env) as base:
        shop_flow(base)


@pytest.mark.postgres
def test_shop_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project = make_shop(tmp_path, "postgresql", env)
    assert '"user"' in (project / "migrations/postgresql").glob("0001_*.sql").__next__().read_text()
    with serve(project, env) as base:
        shop_flow(base)
