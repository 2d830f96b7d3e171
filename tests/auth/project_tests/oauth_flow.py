"""OAuth sign-in against a local fake provider (GitHub- and Google-shaped) served by uvicorn.

Copied into a generated project's tests/ by tests/auth/test_auth_app.py and run there.
"""

# ruff: noqa: I001  (`app` is first-party in the project, third-party here)

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import passwords
from app.auth.ratelimit import MemoryStore, set_store
from app.auth.settings import get_settings
from app.db.schema import Account
from app.main import app

API = "/api/auth"
CLIENT_ID, CLIENT_SECRET = "fake-client", "fake-secret"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2id parameters: these tests are about other things (tests/test_auth.py
    checks the production ones)."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    monkeypatch.setattr(passwords, "password_hash", cheap)


class FakeProvider:
    """Issues codes for a chosen identity and checks the code exchange like a real provider."""

    def __init__(self) -> None:
        self.identity: dict[str, Any] = {}
        self.emails: list[dict[str, Any]] = []
        self.codes: dict[str, tuple[str, str, dict[str, Any]]] = {}  # code -> challenge, uri, who
        self.tokens: dict[str, dict[str, Any]] = {}
        self.app = FastAPI()
        self.app.post("/token")(self.token)
        self.app.get("/user")(self.user)
        self.app.get("/user/emails")(self.user_emails)

    def issue_code(self, authorize_url: str) -> tuple[str, str]:
        """What the provider's consent page does: (code, state) for the current identity."""
        query = parse_qs(urlsplit(authorize_url).query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["code_challenge_method"] == ["S256"]
        code = uuid.uuid4().hex
        self.codes[code] = (
            query["code_challenge"][0],
            query["redirect_uri"][0],
            dict(self.identity),
        )
        return code, query["state"][0]

    async def token(self, request: Request) -> dict[str, str]:
        # Parsed by hand: Form() would need python-multipart, which projects do not install.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        grant_type, code = form.get("grant_type"), form.get("code", "")
        redirect_uri, code_verifier = form.get("redirect_uri"), form.get("code_verifier", "")
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            raise HTTPException(401, "bad client")
        if grant_type != "authorization_code" or code not in self.codes:
            raise HTTPException(400, "bad code")
        challenge, uri, who = self.codes.pop(code)
        digest = hashlib.sha256(code_verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
            raise HTTPException(400, "PKCE verifier does not match")
        if uri != redirect_uri:
            raise HTTPException(400, "redirect_uri changed")
        access = uuid.uuid4().hex
        self.tokens[access] = who
        return {"access_token": access, "token_type": "bearer"}

    def _who(self, authorization: str | None) -> dict[str, Any]:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.tokens:
            raise HTTPException(401, "bad token")
        return self.tokens[token]

    def user(self, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        return self._who(authorization)

    def user_emails(self, authorization: str | None = Header(default=None)) -> list[Any]:
        self._who(authorization)
        return self.emails


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[FakeProvider, str]]:
    fake = FakeProvider()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def configured(
    provider: tuple[FakeProvider, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeProvider]:
    fake, url = provider
    for name in ("GITHUB", "GOOGLE"):
        monkeypatch.setenv(f"AUTH_{name}_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv(f"AUTH_{name}_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv(f"AUTH_{name}_AUTHORIZE_URL", f"{url}/authorize")
        monkeypatch.setenv(f"AUTH_{name}_TOKEN_URL", f"{url}/token")
        monkeypatch.setenv(f"AUTH_{name}_USERINFO_URL", f"{url}/user")
    set_store(MemoryStore())
    yield fake
    set_store(None)


def sign_in_with(client: TestClient, fake: FakeProvider, provider: str, **query: str) -> Any:
    start = client.get(f"{API}/oauth/{provider}", params=query, follow_redirects=False)
    assert start.status_code == 302, start.text
    code, state = fake.issue_code(start.headers["location"])
    return client.get(
        f"{API}/oauth/{provider}/callback",
        params={"code": code, "state": state},
        follow_redirects=False,
    )


def github_identity(fake: FakeProvider, email: str, verified: bool = True) -> None:
    fake.identity = {"id": abs(hash(email)), "login": "octo", "name": "Octo Cat", "email": None}
    fake.emails = [{"email": email, "primary": True, "verified": verified}]


def test_github_sign_in_creates_and_reuses_the_user(
    configured: FakeProvider, session: Session
) -> None:
    email = f"gh-{uuid.uuid4().hex[:8]}@example.com"
    github_identity(configured, email)
    with TestClient(app) as browser:
        done = sign_in_with(browser, configured, "github", redirect_to="/dashboard")
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/dashboard"
        assert get_settings().cookie_name in done.cookies
        me = browser.get(f"{API}/session").json()
        assert me["user"]["email"] == email
        assert me["user"]["email_verified"] is True
        first_id = me["user"]["id"]
    with TestClient(app) as again:
        assert sign_in_with(again, configured, "github").status_code == 303
        assert again.get(f"{API}/session").json()["user"]["id"] == first_id
    accounts = session.scalars(select(Account).where(Account.user_id == first_id)).all()
    assert [a.provider_id for a in accounts] == ["github"]


def test_google_links_a_verified_email_and_refuses_an_unverified_one(
    configured: FakeProvider, client: TestClient
) -> None:
    email = f"g-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = client.post(
        f"{API}/sign-up", json={"email": email, "password": "correct horse battery staple"}
    )
    assert signed_up.status_code == 201
    configured.identity = {"sub": uuid.uuid4().hex, "email": email, "email_verified": False}
    with TestClient(app) as attacker:
        refused = sign_in_with(attacker, configured, "google")
        assert refused.status_code == 409
        assert attacker.get(f"{API}/session").json() is None
    configured.identity = {"sub": uuid.uuid4().hex, "email": email, "email_verified": True}
    with TestClient(app) as owner:
        linked = sign_in_with(owner, configured, "google")
        assert linked.status_code == 303
        assert owner.get(f"{API}/session").json()["user"]["id"] == signed_up.json()["user"]["id"]


def test_unverified_squatter_loses_the_account_to_the_provider_verified_owner(
    configured: FakeProvider, client: TestClient
) -> None:
    """Pre-account hijacking: someone signs up first with the victim's address."""
    email = f"v-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "the attacker's passphrase"}
    squatter = client.post(f"{API}/sign-up", json=body)
    assert squatter.status_code == 201
    squatter_auth = {"Authorization": f"Bearer {squatter.json()['token']}"}
    configured.identity = {"sub": uuid.uuid4().hex, "email": email, "email_verified": True}
    with TestClient(app) as owner:
        assert sign_in_with(owner, configured, "google").status_code == 303
        assert owner.get(f"{API}/session").json()["user"]["email_verified"] is True
    client.cookies.clear()
    assert client.get(f"{API}/sessions", headers=squatter_auth).status_code == 401
    assert client.post(f"{API}/sign-in", json=body).status_code == 401


def test_state_must_match_the_browser_and_works_once(configured: FakeProvider) -> None:
    github_identity(configured, f"s-{uuid.uuid4().hex[:8]}@example.com")
    with TestClient(app) as victim, TestClient(app) as attacker:
        start = attacker.get(f"{API}/oauth/github", follow_redirects=False)
        code, state = configured.issue_code(start.headers["location"])
        # Login CSRF: the attacker's callback link opened in the victim's browser.
        forced = victim.get(
            f"{API}/oauth/github/callback",
            params={"code": code, "state": state},
            follow_redirects=False,
        )
        assert forced.status_code == 400
        ok = attacker.get(
            f"{API}/oauth/github/callback",
            params={"code": code, "state": state},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        replay = attacker.get(
            f"{API}/oauth/github/callback",
            params={"code": code, "state": state},
            follow_redirects=False,
        )
        assert replay.status_code == 400


def test_no_open_redirect(configured: FakeProvider) -> None:
    github_identity(configured, f"r-{uuid.uuid4().hex[:8]}@example.com")
    for target in ("https://evil.example/steal", "//evil.example", "/\\evil.example"):
        with TestClient(app) as browser:
            done = sign_in_with(browser, configured, "github", redirect_to=target)
            assert done.status_code == 303
            assert done.headers["location"] == "/"


def test_unconfigured_and_unknown_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_GITHUB_CLIENT_ID", raising=False)
    with TestClient(app) as browser:
        assert browser.get(f"{API}/oauth/github", follow_redirects=False).status_code == 404
        assert browser.get(f"{API}/oauth/myspace", follow_redirects=False).status_code == 404


def test_provider_errors_are_reported(configured: FakeProvider) -> None:
    with TestClient(app) as browser:
        start = browser.get(f"{API}/oauth/github", follow_redirects=False)
        _, state = configured.issue_code(start.headers["location"])
        bad_code = browser.get(
            f"{API}/oauth/github/callback",
            params={"code": "not-a-code", "state": state},
            follow_redirects=False,
        )
        assert bad_code.status_code == 502
        denied = browser.get(
            f"{API}/oauth/github/callback",
            params={"error": "access_denied"},
            follow_redirects=False,
        )
        assert denied.status_code == 400
