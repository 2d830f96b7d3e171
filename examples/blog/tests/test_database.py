"""A real round trip through the database: create, write, read back."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app.db.schema import Base


def test_every_model_has_a_table(session: Session) -> None:
    existing = set(inspect(session.connection()).get_table_names())
    assert set(Base.metadata.tables) <= existing


def test_round_trip(session: Session) -> None:
    session.execute(
        text("CREATE TEMPORARY TABLE round_trip (id INTEGER PRIMARY KEY, note VARCHAR(20))")
    )
    session.execute(text("INSERT INTO round_trip (id, note) VALUES (1, 'hello')"))
    assert session.execute(text("SELECT note FROM round_trip WHERE id = 1")).scalar_one() == "hello"
    session.rollback()
