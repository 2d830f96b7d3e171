"""Checks that need a changed environment: https cookies, the dummy hash for unknown emails,
a missing secret in production, proxy headers.

Copied into a generated project's tests/ by tests/auth/test_auth_app.py and run there.
"""

# ruff: noqa: I001  (`app` is first-party in the project, third-party here)

from __future__ import annotations

import socketserver
import threading
import uuid
from collections.abc import Iterator

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from fastapi.testclient import TestClient

import app.routes.auth as auth_routes
from app.auth import passwords
from app.auth.passwords import waste_time_like_verify
from app.auth.ratelimit import MemoryStore, set_store
from app.auth.settings import get_settings
from app.main import app

API = "/api/auth"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2id parameters: these tests are about other things (tests/test_auth.py
    checks the production ones)."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    monkeypatch.setattr(passwords, "password_hash", cheap)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    set_store(MemoryStore())
    get_settings.cache_clear()
    yield
    set_store(None)
    get_settings.cache_clear()


def test_https_uses_a_secure_prefixed_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_BASE_URL", "https://api.example.com")
    monkeypatch.setenv("AUTH_SECRET", "s" * 64)
    get_settings.cache_clear()
    origin = {"Origin": "https://api.example.com"}
    with TestClient(app, base_url="https://testserver", headers=origin) as browser:
        email = f"tls-{uuid.uuid4().hex[:8]}@example.com"
        response = browser.post(f"{API}/sign-up", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Secure-bb.session_token=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert browser.get(f"{API}/session").json()["user"]["email"] == email
        assert browser.post(f"{API}/sign-out").status_code == 204
        assert browser.get(f"{API}/session").json() is None


def test_production_refuses_to_run_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_BASE_URL", "https://api.example.com")
    monkeypatch.setenv("AUTH_SECRET", "")
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="AUTH_SECRET"):
        get_settings()


def test_unknown_email_spends_a_password_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing: an unknown email still runs Argon2 (on a dummy hash), like a wrong password."""
    calls: list[str] = []

    def spy(password: str) -> None:
        calls.append(password)
        waste_time_like_verify(password)

    monkeypatch.setattr(auth_routes, "waste_time_like_verify", spy)
    with TestClient(app) as client:
        body = {"email": f"ghost-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
        assert client.post(f"{API}/sign-in", json=body).status_code == 401
    assert calls == [PASSWORD]


def test_forwarded_for_is_ignored_unless_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rotating X-Forwarded-For must not reset the limit when no proxy is trusted."""
    with TestClient(app) as client:
        body = {"email": "nobody@example.com", "password": "wrong password here"}
        statuses = [
            client.post(
                f"{API}/sign-in", json=body, headers={"X-Forwarded-For": f"10.0.0.{n}"}
            ).status_code
            for n in range(10)
        ]
        assert 429 in statuses
    monkeypatch.setenv("AUTH_TRUST_PROXY_HEADERS", "on")
    get_settings.cache_clear()
    set_store(MemoryStore())
    with TestClient(app) as client:
        statuses = [
            client.post(
                f"{API}/sign-in", json=body, headers={"X-Forwarded-For": f"10.0.0.{n}"}
            ).status_code
            for n in range(10)
        ]
        assert 429 not in statuses


def test_rate_limits_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_RATE_LIMIT", "off")
    get_settings.cache_clear()
    with TestClient(app) as client:
        body = {"email": "nobody@example.com", "password": "wrong password here"}
        statuses = {client.post(f"{API}/sign-in", json=body).status_code for _ in range(8)}
        assert statuses == {401}


def test_console_mail_hides_links_in_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.auth.email import ConsoleSender, get_email_sender

    monkeypatch.delenv("SMTP_HOST", raising=False)
    development = get_email_sender()
    assert isinstance(development, ConsoleSender) and development.show_body
    development.send("a@example.com", "Reset", "token=secret-dev")
    assert "token=secret-dev" in capsys.readouterr().err
    monkeypatch.setenv("AUTH_BASE_URL", "https://api.example.com")
    monkeypatch.setenv("AUTH_SECRET", "s" * 64)
    get_settings.cache_clear()
    production = get_email_sender()
    production.send("a@example.com", "Reset", "token=secret-prod")
    assert "token=secret-prod" not in capsys.readouterr().err


def test_smtp_sender_is_chosen_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth.email import SmtpSender, get_email_sender

    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SMTP_PORT", "2525")
    sender = get_email_sender()
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.security) == ("smtp.example.com", 2525, "starttls")


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (no TLS, no auth) to receive one message."""

    received: list[bytes] = []

    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.received.append(b"".join(lines))
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_smtp_sender_delivers(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth.email import get_email_sender

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(server.server_address[1]))
        monkeypatch.setenv("SMTP_SECURITY", "none")
        monkeypatch.setenv("SMTP_FROM", "shop@example.com")
        get_email_sender().send("a@example.com", "Reset your password", "token=abc")
        server.shutdown()
    message = _SMTPHandler.received[-1].decode()
    assert "To: a@example.com" in message and "From: shop@example.com" in message
    assert "Subject: Reset your password" in message and "token=abc" in message
