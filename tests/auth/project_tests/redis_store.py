"""The Redis rate-limit store against a real Redis (REDIS_URL), shared by two "instances".

Copied into a generated project's tests/ by tests/auth/test_auth_app.py and run there.
"""

# ruff: noqa: I001  (`app` is first-party in the project, third-party here)

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
import redis
from fastapi.testclient import TestClient

from app.auth import passwords
from app.auth.ratelimit import RateLimitStore, RedisStore, set_store
from app.auth.settings import RATE_LIMITS
from app.main import app

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2id parameters: these tests are about other things (tests/test_auth.py
    checks the production ones)."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    monkeypatch.setattr(passwords, "password_hash", cheap)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    name = f"bbtest:{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(URL)
    keys = list(client.scan_iter(match=f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_counts_and_window(prefix: str) -> None:
    store: RateLimitStore = RedisStore(URL, prefix=prefix)
    assert [store.hit("k", 30)[0] for _ in range(3)] == [1, 2, 3]
    count, left = store.hit("other", 30)
    assert count == 1
    assert 29 < left <= 30
    ttl = redis.Redis.from_url(URL).pttl(f"{prefix}k")
    assert 0 < int(ttl) <= 30_000


def test_two_instances_share_the_limit(prefix: str) -> None:
    """Counters live in Redis: a second app instance sees the first one's requests."""
    limit, window = RATE_LIMITS["sign-in"]
    first, second = RedisStore(URL, prefix=prefix), RedisStore(URL, prefix=prefix)
    body = {"email": "nobody@example.com", "password": "wrong password here"}
    try:
        with TestClient(app) as client:
            for n in range(limit):
                set_store(first if n % 2 else second)
                assert client.post("/api/auth/sign-in", json=body).status_code == 401
            set_store(second)
            blocked = client.post("/api/auth/sign-in", json=body)
            assert blocked.status_code == 429
            assert 1 <= int(blocked.headers["retry-after"]) <= window
    finally:
        set_store(None)


def test_store_is_chosen_by_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth import ratelimit
    from app.auth.settings import get_settings

    monkeypatch.setenv("AUTH_RATE_LIMIT_STORE", URL)
    get_settings.cache_clear()
    set_store(None)
    try:
        assert isinstance(ratelimit.get_store(), RedisStore)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        set_store(None)
