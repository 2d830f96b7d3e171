"""A real round trip through the database: write rows, read them back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.schema import Base


def test_every_model_has_a_table(session: Session) -> None:
    names = set(Base.metadata.tables)
    connection = session.connection()
    assert names == {n for n in names if connection.dialect.has_table(connection, n)}


# Uses the example Note model: delete this test together with the model.
def test_round_trip(session: Session) -> None:
    from app.db.schema import Note

    note = Note(title="hello", body="first note")
    session.add(note)
    session.commit()
    found = session.scalars(select(Note).where(Note.id == note.id)).one()
    assert (found.title, found.body) == ("hello", "first note")
    assert found.created_at is not None
    session.delete(found)
    session.commit()
