"""GET /health answers 200 with a working database and 503 without one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from app.db.session import get_engine
from app.main import app


def test_health_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.fixture
def unreachable_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    missing = tmp_path_factory.mktemp("gone") / "no-such-dir" / "app.db"
    broken: Engine = create_engine(f"sqlite:///{missing}")
    app.dependency_overrides[get_engine] = lambda: broken
    yield
    app.dependency_overrides.clear()
    broken.dispose()


@pytest.mark.usefixtures("unreachable_database")
def test_health_reports_unreachable_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "unreachable"
    assert body["reason"]
