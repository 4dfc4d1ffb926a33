"""The outbox, inbox and dead-letter tables every service keeps in its own database."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite

from shared.db import UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")
# The largest such id: BIGINT, and SQLite's INTEGER, are 64-bit signed. A larger number names no row.
MAX_ID = 2**63 - 1


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


# PostgreSQL: a commit that wrote outbox rows wakes the relays LISTENing on this channel
# (OutboxRelay), whichever process committed it. One per database, and each service has its
# own database, so a fixed name. A statement-level trigger costs the request no round trip;
# the server sends the notification at commit and folds identical ones of one transaction.
OUTBOX_CHANNEL = "outbox"


def create_outbox_notify_trigger(op) -> None:
    """In a migration: every statement inserting into the outbox notifies OUTBOX_CHANNEL.

    PostgreSQL only: on SQLite (embedded mode) the web and the worker are one process."""
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$")
    op.execute("CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
               "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()")


def drop_outbox_notify_trigger(op) -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")


def insert_ignoring_duplicates(table: Table, dialect: str):
    """INSERT … ON CONFLICT DO NOTHING on both dialects we run on."""
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return ins.on_conflict_do_nothing()


def claim_inbox(session, inbox: Table, dialect: str, events: list[tuple[str, str]], now) -> set[str]:
    """Insert (event_id, event_type) rows into the inbox, skipping those there; return the new ids.

    On PostgreSQL the batch travels as two arrays in one short statement (``unnest``): a
    multi-row VALUES of 100 rows is a new 300-parameter text for the driver to parse each
    time, ~1 ms a batch; this one is parsed and planned once (a prepared statement).
    """
    if dialect == "postgresql":
        statement = text(
            f"INSERT INTO {inbox.name} (event_id, event_type, processed_at) "  # nosec B608 # our table's name
            "SELECT e, t, :now FROM unnest(CAST(:ids AS varchar[]), CAST(:types AS varchar[])) AS u(e, t) "
            "ON CONFLICT DO NOTHING RETURNING event_id").bindparams(
                bindparam("now", type_=inbox.c.processed_at.type))
        rows = session.execute(statement, {"now": now, "ids": [e for e, _t in events],
                                           "types": [t for _e, t in events]})
    else:
        rows = session.execute(insert_ignoring_duplicates(inbox, dialect).returning(inbox.c.event_id),
                               [{"event_id": e, "event_type": t, "processed_at": now} for e, t in events])
    return {row[0] for row in rows}
