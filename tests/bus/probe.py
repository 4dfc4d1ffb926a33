"""A minimal producer and consumer pair for testing the bus itself.

The producer writes ``attendance.attendance.recorded`` events through a real outbox; the
consumer ("probe") records one ``effects`` row per handled event — with no unique
constraint, so a duplicate effect would show up in the counts.
"""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from sqlalchemy import Column, Integer, String, Table, func, select

from shared.config import Settings
from shared.db import declarative_base
from shared.kit import ServiceKit
from shared.messaging.tables import MessagingTables

EVENT = "attendance.attendance.recorded"


def _kit(service: str, database_url: str, bus_url: str, handlers=None, **settings):
    Base = declarative_base()
    tables = MessagingTables(Base.metadata)
    effects = Table("effects", Base.metadata, Column("id", Integer, primary_key=True),
                    Column("event_id", String(36)), Column("session_id", String(64)))
    kit = ServiceKit(Settings.from_env(service, database_url=database_url, bus_url=bus_url, **settings),
                     Base.metadata, tables, Path("unused"), handlers or {})
    Base.metadata.create_all(kit.db.engine)
    kit.effects = effects
    kit.Effect = type("Effect", (Base,), {"__table__": effects})  # for handlers written the ORM way
    return kit


def producer(database_url: str, bus_url: str, **settings) -> ServiceKit:
    return _kit("attendance", database_url, bus_url, **settings)


def consumer(database_url: str, bus_url: str, **settings) -> ServiceKit:
    holder = {}

    def record(uow, event):
        if event.data["session_id"].startswith("boom"):
            raise RuntimeError(f"handler bug on {event.data['session_id']}")
        uow.session.execute(holder["kit"].effects.insert().values(
            event_id=event.event_id, session_id=event.data["session_id"]))

    kit = _kit("probe", database_url, bus_url, {EVENT: record}, **settings)
    holder["kit"] = kit
    return kit


def payload(i: int | str) -> dict:
    return {"participant_id": f"p-{i}", "session_id": str(i), "city": "Tartu", "day_number": 1,
            "date": date(2019, 4, 11), "present": True, "make_up": False}


def write_events(kit: ServiceKit, count: int, start: int = 0, sessions=None) -> list[str]:
    ids = []
    with kit.unit_of_work() as uow:
        for i in range(start, start + count):
            ids.append(uow.publish(EVENT, payload(sessions[i - start] if sessions else i)).event_id)
    return ids


def effect_counts(kit: ServiceKit) -> tuple[int, int]:
    """(effects, distinct events with an effect)."""
    with kit.db.reading() as conn:
        total = conn.execute(select(func.count()).select_from(kit.effects)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(kit.effects.c.event_id)))).scalar_one()
    return total, distinct


def dead_letters(kit: ServiceKit) -> list:
    t = kit.tables.dead_letters
    with kit.db.reading() as conn:
        return conn.execute(select(t).order_by(t.c.id)).all()


class Running:
    """Runs workers (consumer, relay) in threads for the length of a ``with`` block."""

    def __init__(self, *jobs):
        self.jobs = jobs
        self.stop = threading.Event()

    def __enter__(self):
        self.threads = [threading.Thread(target=job, args=(self.stop,), daemon=True) for job in self.jobs]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)
