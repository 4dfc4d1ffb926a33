"""The outbox, inbox and dead-letter tables every service keeps in its own database."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects import postgresql, sqlite

from shared.db import UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class MessagingTables:
    def __init__(self, metadata: MetaData):
        self.outbox = Table(
            "outbox", metadata,
            Column("id", Id, primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False, unique=True),
            Column("event_type", String(120), nullable=False),
            Column("body", Text, nullable=False),
            Column("correlation_id", String(64), nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("published_at", UtcDateTime()),
        )
        Index("ix_outbox_unpublished", self.outbox.c.id,
              postgresql_where=self.outbox.c.published_at.is_(None),
              sqlite_where=self.outbox.c.published_at.is_(None))
        self.inbox = Table(
            "inbox", metadata,
            Column("event_id", String(36), primary_key=True),
            Column("event_type", String(120), nullable=False),
            Column("processed_at", UtcDateTime(), nullable=False),
        )
        self.dead_letters = Table(
            "dead_letters", metadata,
            Column("id", Id, primary_key=True, autoincrement=True),
            Column("message_id", String(64)),
            Column("event_type", String(120)),
            Column("body", Text, nullable=False),
            Column("error", Text, nullable=False),
            Column("reason", String(40), nullable=False),  # rejected | handler_failed | delivery_limit
            Column("attempts", Integer, nullable=False, default=0),
            Column("dead_at", UtcDateTime(), nullable=False),
            Column("status", String(20), nullable=False, default="dead"),  # dead | replay | replayed | discarded
            Column("resolved_at", UtcDateTime()),
            Column("resolved_by", String(120)),
        )


def insert_ignoring_duplicates(table: Table, dialect: str):
    """INSERT … ON CONFLICT DO NOTHING on both dialects we run on."""
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return ins.on_conflict_do_nothing()
