"""PostgreSQL: a commit that wrote outbox rows wakes the relay (LISTEN/NOTIFY), whichever
process committed it — the web's requests no longer wait for the relay's poll."""
from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import MetaData, insert, text
from sqlalchemy.engine import make_url

from shared.config import SERVICES, Settings
from shared.db import Database
from shared.messaging.relay import OutboxListener, OutboxRelay, wait_for
from shared.messaging.tables import OUTBOX_CHANNEL
from shared.testing import services
from tests.bus import probe

# The migration of each service that adds the outbox's trigger.
TRIGGER_REVISION = {"enrolment": "fee9eebd279f", "attendance": "60e9c9494e27", "billing": "e6a92d0286ee",
                    "notify": "25646bfde217", "reporting": "fd75a703cb61"}
POLL = 30.0  # the relay's poll: far longer than the tests wait, only a notification explains a publish


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def kit_migrated(service: str, database_url: str, bus_url: str = "sqlite-bus:///unused"):
    module = importlib.import_module(f"services.{service}.app")
    kit = module.bootstrap(Settings.from_env(service, database_url=database_url, bus_url=bus_url))
    kit.db.migrate()
    return kit


def triggers(database_url: str) -> list[tuple]:
    with psycopg.connect(libpq(database_url)) as conn:
        return conn.execute(
            "SELECT t.tgname, c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal").fetchall()


def has_function(database_url: str) -> bool:
    with psycopg.connect(libpq(database_url)) as conn:
        return conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'outbox_notify'").fetchone()[0] > 0


@pytest.fixture
def pg_database():
    services.need("127.0.0.1", 5432, "PostgreSQL")
    url = services.create_database("po_test_notify")
    yield url
    services.drop_database(url)


# -- the migration ---------------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_the_migration_adds_a_statement_trigger_notifying_at_commit_and_its_downgrade_removes_it(
        service, pg_database):
    kit = kit_migrated(service, pg_database)
    try:
        [(name, table, tgtype)] = triggers(pg_database)
        assert (name, table) == ("outbox_notify", "outbox")
        assert tgtype & 1 == 0  # TRIGGER_TYPE_ROW unset: once per statement, not per row
        assert tgtype & 4  # TRIGGER_TYPE_INSERT

        with psycopg.connect(libpq(pg_database), autocommit=True) as listener:
            listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
            with kit.db.transaction() as session:  # three statements, one transaction
                for i in range(3):
                    session.execute(insert(kit.tables.outbox).values(outbox_row(i)))
                assert list(listener.notifies(timeout=0.3)) == []  # nothing before the commit
            received = list(listener.notifies(timeout=2, stop_after=1))
            assert [n.channel for n in received] == [OUTBOX_CHANNEL]
            assert list(listener.notifies(timeout=0.3)) == []  # the three folded into one
            with pytest.raises(RuntimeError), kit.db.transaction() as session:
                session.execute(insert(kit.tables.outbox).values(outbox_row(9)))
                raise RuntimeError("rolled back")
            assert list(listener.notifies(timeout=0.5)) == []  # nothing committed, nothing sent

        cfg = kit.db.alembic_config()
        command.downgrade(cfg, kit_revision_before(cfg, service))
        assert triggers(pg_database) == []
        assert not has_function(pg_database)
        command.upgrade(cfg, "head")
        assert [t[0] for t in triggers(pg_database)] == ["outbox_notify"]
    finally:
        kit.db.engine.dispose()


def outbox_row(i: int) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": probe.EVENT, "body": "{}", "correlation_id": f"c-{i}",
            "created_at": datetime.now(UTC)}


def kit_revision_before(cfg, service: str) -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(cfg).get_revision(TRIGGER_REVISION[service]).down_revision


def test_on_sqlite_the_migration_does_nothing_and_goes_both_ways(tmp_path):
    kit = kit_migrated("attendance", f"sqlite:///{tmp_path}/attendance.sqlite")
    cfg = kit.db.alembic_config()
    command.downgrade(cfg, kit_revision_before(cfg, "attendance"))
    command.upgrade(cfg, "head")
    with kit.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")).scalar_one() == 0


# -- the relay -------------------------------------------------------------------------------

@pytest.fixture
def woken(rabbitmq_stack):
    """A source service migrated with the trigger, its relay polling only every 30 s, and a
    second kit on the same database (its own engine and connections) to write the rows, as
    the web process does."""
    url = rabbitmq_stack.database_url("source")
    source = kit_migrated("attendance", url, rabbitmq_stack.bus_url)
    writer = probe.producer(url, rabbitmq_stack.bus_url)
    sink = probe.consumer(rabbitmq_stack.database_url("sink"), rabbitmq_stack.bus_url)
    from shared.messaging.connection import connect
    conn = connect(rabbitmq_stack.bus_url)
    sink.consumer().declare(conn)  # the exchange the relay publishes to
    conn.release()
    relay = OutboxRelay(source.db, source.tables, rabbitmq_stack.bus_url, idle_wait=POLL)
    yield relay, writer, url
    relay.publisher.close()
    for kit in (source, writer, sink):
        kit.db.engine.dispose()


def published_within(relay: OutboxRelay, writer, seconds: float) -> float:
    """Commit two events from the writer; how long until the relay had published them."""
    start = time.monotonic()
    probe.write_events(writer, 2)
    assert wait_for(lambda: relay.backlog() == 0, timeout=seconds, interval=0.01), \
        f"the relay did not publish within {seconds} s (its poll is {POLL} s)"
    return time.monotonic() - start


def listener_pids(url: str) -> list[int]:
    with psycopg.connect(libpq(url)) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            (OutboxListener.APPLICATION_NAME,))]


def test_rows_committed_by_another_connection_wake_the_relay_at_once(woken):
    relay, writer, _url = woken
    with probe.Running(relay.run):
        time.sleep(1.0)  # the relay's first pass is done: it now waits out its 30 s poll
        assert published_within(relay, writer, 2.0) < 2.0
        assert published_within(relay, writer, 2.0) < 2.0  # and again: every commit wakes it


def test_the_listener_reconnects_after_its_backend_is_killed_and_keeps_waking_the_relay(woken, caplog):
    relay, writer, url = woken
    caplog.set_level(logging.INFO, logger="shared.messaging.relay")
    with probe.Running(relay.run) as running:
        assert wait_for(lambda: len(listener_pids(url)) == 1, timeout=5)
        [old] = listener_pids(url)
        time.sleep(0.5)
        with psycopg.connect(libpq(url), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (old,)).fetchone()[0]
        # committed while the listener is away: its return wakes the relay for it
        assert published_within(relay, writer, 3.0) < 3.0
        assert wait_for(lambda: len(pids := listener_pids(url)) == 1 and pids[0] != old, timeout=5)
        assert published_within(relay, writer, 2.0) < 2.0  # the new connection listens
        assert all(thread.is_alive() for thread in running.threads)
    lost = [r for r in caplog.records if r.levelno == logging.WARNING and "listener" in r.getMessage()]
    assert len(lost) == 1
    assert any("reconnected" in r.getMessage() for r in caplog.records)


def test_an_unreachable_database_is_warned_about_once_per_outage_and_never_stops_the_listener(caplog):
    caplog.set_level(logging.DEBUG, logger="shared.messaging.relay")
    db = Database("postgresql://postgres@127.0.0.1:1/none", MetaData(), Path("unused"), "probe")
    wakeup, stop = threading.Event(), threading.Event()
    listener = OutboxListener(db, wakeup, max_backoff=0.02)
    listener.start(stop)
    try:
        assert wait_for(lambda: len([r for r in caplog.records if r.levelno == logging.DEBUG]) >= 5, timeout=5)
        assert listener._thread.is_alive()
        assert not wakeup.is_set()  # no connection, no wake-up: the relay just polls
    finally:
        stop.set()
        listener.join()
    assert not listener._thread.is_alive()
    assert [r.levelno for r in caplog.records].count(logging.WARNING) == 1
    assert wakeup.is_set()  # stopping, it ends the relay's wait too
