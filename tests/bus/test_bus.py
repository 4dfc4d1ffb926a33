"""The event backbone, on the embedded bus and on RabbitMQ + PostgreSQL (issue 2, point 6)."""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from kombu import Producer
from sqlalchemy import select

from shared.events.registry import encode
from shared.messaging import topology
from shared.messaging.connection import connect
from shared.messaging.relay import wait_for
from tests.bus import probe


@pytest.fixture
def pair(stack):
    source = probe.producer(stack.database_url("source"), stack.bus_url)
    sink = probe.consumer(stack.database_url("sink"), stack.bus_url, handler_attempts=3)
    worker = sink.consumer()
    conn = connect(stack.bus_url)
    worker.declare(conn)  # bind before publishing: nothing routed to nowhere
    conn.release()
    yield source, sink, worker
    source.relay().publisher.close()
    source.db.engine.dispose()
    sink.db.engine.dispose()


def raw_publish(bus_url: str, body: bytes, routing_key: str, message_id: str = "raw") -> None:
    conn = connect(bus_url)
    try:
        producer = Producer(conn.channel(), exchange=topology.events_exchange())
        producer.publish(body, routing_key=routing_key, content_type="application/json",
                         content_encoding="utf-8", delivery_mode=2, message_id=message_id)
    finally:
        conn.release()


def test_events_flow_from_outbox_to_inbox_once(pair):
    source, sink, worker = pair
    probe.write_events(source, 50)
    with probe.Running(worker.run, source.relay().run):
        assert wait_for(lambda: probe.effect_counts(sink) == (50, 50), timeout=30)
    assert source.relay().backlog() == 0


def test_duplicate_delivery_has_one_effect(pair, stack):
    source, sink, worker = pair
    [event_id] = probe.write_events(source, 1)
    body = json.loads(source.db.engine.connect().exec_driver_sql("SELECT body FROM outbox").scalar_one())
    with probe.Running(worker.run):
        for _ in range(3):
            raw_publish(stack.bus_url, json.dumps(body).encode(), probe.EVENT, event_id)
        assert wait_for(lambda: probe.effect_counts(sink) == (1, 1), timeout=20)
        time.sleep(0.5)  # the two duplicates arrive and are skipped
    assert probe.effect_counts(sink) == (1, 1)


def test_crash_after_commit_before_publish_is_relayed_later(pair):
    source, sink, worker = pair
    probe.write_events(source, 20)  # committed; the process "dies" before any relay ran
    assert source.relay().backlog() == 20
    fresh = probe.producer(source.settings.database_url, source.settings.bus_url)  # the restart
    with probe.Running(worker.run, fresh.relay().run):
        assert wait_for(lambda: probe.effect_counts(sink) == (20, 20), timeout=30)
    fresh.relay().publisher.close()


def test_consumer_dying_before_ack_is_redelivered_and_takes_effect_once(pair):
    source, sink, worker = pair
    probe.write_events(source, 10)
    source.relay().relay_once()
    settled = []
    original = worker._settle

    def die_once_after_commit(outcomes):
        if not settled:
            settled.append(len(outcomes))
            raise ConnectionResetError("worker died after its commit, before acking")
        original(outcomes)

    worker._settle = die_once_after_commit
    with probe.Running(worker.run):
        # The first batch committed its effects, then the worker "died": the broker redelivers
        # the unacked messages and the inbox turns them into no-ops.
        assert wait_for(lambda: settled and probe.effect_counts(sink) == (10, 10), timeout=30)
        assert wait_for(lambda: _queue_empty(worker), timeout=30)
    assert probe.effect_counts(sink) == (10, 10)


def _queue_empty(worker) -> bool:
    conn = connect(worker.bus_url)
    try:
        work, _ = worker.queues()
        _, count, _ = work(conn.channel()).queue_declare(passive=True)
        return count == 0
    except Exception:  # noqa: BLE001
        return False
    finally:
        conn.release()


def test_malformed_unknown_and_invalid_messages_are_dead_lettered_and_the_queue_keeps_going(pair, stack):
    source, sink, worker = pair
    raw_publish(stack.bus_url, b"{not json", probe.EVENT, "bad-json")
    envelope = json.loads(encode(_envelope(source)))
    invalid = dict(envelope, event_id="00000000-0000-4000-8000-000000000001",
                   payload={**envelope["payload"], "day_number": 9})
    raw_publish(stack.bus_url, json.dumps(invalid).encode(), probe.EVENT, "invalid")
    unknown = dict(envelope, event_id="00000000-0000-4000-8000-000000000002", event_type="x.y.z")
    raw_publish(stack.bus_url, json.dumps(unknown).encode(), probe.EVENT, "unknown")
    future = dict(envelope, event_id="00000000-0000-4000-8000-000000000003", schema_version=99)
    raw_publish(stack.bus_url, json.dumps(future).encode(), probe.EVENT, "future")
    probe.write_events(source, 5)
    with probe.Running(worker.run, source.relay().run):
        assert wait_for(lambda: probe.effect_counts(sink) == (5, 5) and len(probe.dead_letters(sink)) == 4,
                        timeout=30)
    dead = {row.message_id: row for row in probe.dead_letters(sink)}
    assert set(dead) == {"bad-json", "invalid", "unknown", "future"}
    assert all(row.reason == "rejected" and row.status == "dead" for row in dead.values())
    assert "not JSON" in dead["bad-json"].error
    assert "day_number" in dead["invalid"].error
    assert "unknown event type" in dead["unknown"].error
    assert "v99" in dead["future"].error


def _envelope(kit):
    from shared.events.envelope import new_envelope
    from shared.events.registry import prepare
    wire, _ = prepare(probe.EVENT, probe.payload("x"))
    return new_envelope(probe.EVENT, wire, producer="attendance", schema_version=1)


def test_a_failing_handler_dead_letters_only_its_message_and_replay_works(pair):
    source, sink, worker = pair
    sessions = [str(i) for i in range(10)]
    sessions[4] = "boom-4"
    probe.write_events(source, 10, sessions=sessions)
    with probe.Running(worker.run, source.relay().run):
        assert wait_for(lambda: probe.effect_counts(sink) == (9, 9) and len(probe.dead_letters(sink)) == 1,
                        timeout=30)
        [row] = probe.dead_letters(sink)
        assert row.reason == "handler_failed" and row.attempts == 3
        assert "handler bug on boom-4" in row.error
        # After "fixing the bug" a coordinator replays it.
        worker.handlers[probe.EVENT] = _fixed_handler(sink)
        with sink.db.transaction() as session:
            session.execute(sink.tables.dead_letters.update().values(status="replay"))
        assert wait_for(lambda: probe.effect_counts(sink) == (10, 10), timeout=30)
    assert probe.dead_letters(sink)[0].status == "replayed"


def _fixed_handler(sink):
    def record(uow, event):
        uow.session.execute(sink.effects.insert().values(event_id=event.event_id,
                                                          session_id=event.data["session_id"]))
    return record


def test_events_published_by_a_failing_handler_are_dropped_and_the_others_keep_their_order(stack):
    """Outbox rows are written at commit; a handler rolled back to its savepoint takes its
    events with it, while the rest of its batch (and their events, in order) commits."""
    source = probe.producer(stack.database_url("source"), stack.bus_url)

    def forward(uow, event):
        uow.publish(probe.EVENT, probe.payload(f"fwd-{event.data['session_id']}"))
        if event.data["session_id"].startswith("boom"):
            raise RuntimeError("a bug after publishing")

    sink = probe._kit("attendance", stack.database_url("sink"), stack.bus_url, {probe.EVENT: forward})
    sessions = [str(i) for i in range(10)]
    sessions[4] = "boom-4"
    with source.unit_of_work() as uow:
        batch = [SimpleNamespace(body=encode(uow.publish(probe.EVENT, probe.payload(s)))) for s in sessions]
    outcomes = sink.consumer().process(batch)  # one batch: the fast path fails, the isolated one runs
    assert [o.kind for o in outcomes] == ["ok"] * 4 + ["failed"] + ["ok"] * 5
    outbox = sink.tables.outbox
    with sink.db.engine.connect() as db:
        forwarded = [json.loads(body)["payload"]["session_id"]
                     for body in db.execute(select(outbox.c.body).order_by(outbox.c.id)).scalars()]
    assert forwarded == [f"fwd-{s}" for s in sessions if not s.startswith("boom")]


def test_every_new_database_writes_its_outbox_rows_after_old_ones_were_collected(tmp_path):
    """Regression: the outbox hook was guarded by ``event.contains``, whose registry is keyed
    by ``id()`` — a new sessionmaker whose class reused a collected one's id was taken as
    hooked, and its events vanished (seen as a flaky enrolment test after ~1,000 tests)."""
    import gc

    for n in range(40):
        kit = probe.producer(f"sqlite:///{tmp_path}/db{n}.sqlite", f"sqlite-bus:///{tmp_path}/bus.sqlite")
        probe.write_events(kit, 1)
        with kit.db.reading() as conn:
            rows = conn.execute(select(kit.tables.outbox.c.id)).all()
        assert len(rows) == 1, f"database {n}: its event was not written to the outbox"
        kit.db.engine.dispose()
        del kit, conn
        gc.collect()
