"""Queries the use cases share: locking rows, numbering, upserts."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.billing.adapters.models import NumberCounter
from shared.messaging.tables import insert_ignoring_duplicates


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def next_number(session: Session, counter: str) -> int:
    """The next value of ``counter``, taken inside the caller's transaction.

    The counter row is locked (SELECT … FOR UPDATE) until that transaction ends, so two
    documents issued at the same moment queue for it, and a rolled-back issue gives its
    number back: numbers come out 1, 2, 3 … with no gap and no duplicate. SQLite has no
    row locks, but its BEGIN IMMEDIATE (shared.db) already serialises writers.
    """
    table = NumberCounter.__table__
    # The first document of a series creates its row; a concurrent creator waits, then skips.
    session.execute(insert_ignoring_duplicates(table, dialect(session)).values(name=counter, last_value=0))
    current = session.execute(
        select(table.c.last_value).where(table.c.name == counter).with_for_update()).scalar_one()
    session.execute(update(table).where(table.c.name == counter).values(last_value=current + 1))
    return current + 1
