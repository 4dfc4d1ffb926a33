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

    # The earlier tests' heap is left out of the collections (a full collection of a worker's
    # heap cost ~0.7 s each): only what this loop makes is collected, its classes included.
    gc.freeze()
    try:
        for n in range(40):
            kit = probe.producer(f"sqlite:///{tmp_path}/db{n}.sqlite", f"sqlite-bus:///{tmp_path}/bus.sqlite")
            probe.write_events(kit, 1)
            with kit.db.reading() as conn:
                rows = conn.execute(select(kit.tables.outbox.c.id)).all()
            assert len(rows) == 1, f"database {n}: its event was not written to the outbox"
            kit.db.engine.dispose()
            del kit, conn
            gc.collect()
    finally:
        gc.unfreeze()


def _refusing_kit(stack, database_url: str):
    """A consumer whose handler adds its effect the ORM way (written at flush) and forwards
    an event; for session "dup…" the effect reuses an existing primary key, for "orphan…" it
    adds a row whose deferred foreign key only fails at COMMIT."""
    from sqlalchemy import Column, ForeignKey, Integer, Table

    holder = {}

    def handle(uow, event):
        kit, session_id = holder["kit"], event.data["session_id"]
        uow.publish(probe.EVENT, probe.payload(f"fwd-{session_id}"))
        if session_id.startswith("orphan"):
            uow.session.execute(kit.orphans.insert().values(parent_id=-1))
        uow.session.add(kit.Effect(id=kit.taken if session_id.startswith("dup") else None,
                                   event_id=event.event_id, session_id=session_id))

    # "attendance": the service that may publish the forwarded event type
    kit = probe._kit("attendance", database_url, stack.bus_url, {probe.EVENT: handle}, handler_attempts=3)
    holder["kit"] = kit
    metadata = kit.effects.metadata
    Table("parents", metadata, Column("id", Integer, primary_key=True))
    kit.orphans = Table("orphans", metadata, Column("id", Integer, primary_key=True),
                        Column("parent_id", Integer, ForeignKey("parents.id", deferrable=True,
                                                                initially="DEFERRED")))
    metadata.create_all(kit.db.engine)
    with kit.db.transaction() as session:
        kit.taken = session.execute(kit.effects.insert().values(event_id="earlier", session_id="earlier")
                                    .returning(kit.effects.c.id)).scalar_one()
    return kit


def _forwarded(kit) -> list[str]:
    outbox = kit.tables.outbox
    with kit.db.engine.connect() as db:
        return [json.loads(body)["payload"]["session_id"]
                for body in db.execute(select(outbox.c.body).order_by(outbox.c.id)).scalars()]


@pytest.mark.parametrize("bad", ["dup-4", "orphan-4"])
def test_a_batch_whose_one_effect_the_database_refuses_commits_the_others_in_order(stack, bad):
    """Refused at flush (a primary key taken) or only at COMMIT (a deferred foreign key):
    that message fails, the others of its batch take effect and their events keep their order."""
    source = probe.producer(stack.database_url("source"), stack.bus_url)
    sink = _refusing_kit(stack, stack.database_url("sink"))
    sessions = [bad if i == 4 else str(i) for i in range(10)]
    with source.unit_of_work() as uow:
        batch = [SimpleNamespace(body=encode(uow.publish(probe.EVENT, probe.payload(s)))) for s in sessions]
    outcomes = sink.consumer().process(batch)  # raised IntegrityError before: the batch stalled
    assert [o.kind for o in outcomes] == ["ok"] * 4 + ["failed"] + ["ok"] * 5
    assert "IntegrityError" in outcomes[4].error
    assert probe.effect_counts(sink) == (1 + 9, 1 + 9)  # "earlier" and the nine
    assert _forwarded(sink) == [f"fwd-{s}" for s in sessions if s != bad]
    source.db.engine.dispose()
    sink.db.engine.dispose()


def test_a_handler_whose_effect_breaks_a_unique_key_at_flush_is_dead_lettered_and_the_queue_flows(stack):
    source = probe.producer(stack.database_url("source"), stack.bus_url)
    sink = _refusing_kit(stack, stack.database_url("sink"))
    worker = sink.consumer()
    conn = connect(stack.bus_url)
    worker.declare(conn)
    conn.release()
    relay = source.relay()
    sessions = [str(i) for i in range(10)]
    sessions[4] = "dup-4"
    probe.write_events(source, 10, sessions=sessions)
    relay.relay_once()  # all ten wait in the queue: they come in one batch
    with probe.Running(worker.run, relay.run):
        assert wait_for(lambda: probe.effect_counts(sink) == (10, 10) and len(probe.dead_letters(sink)) == 1,
                        timeout=30)
        [row] = probe.dead_letters(sink)
        assert row.reason == "handler_failed" and row.attempts == 3
        assert "IntegrityError" in row.error
        assert json.loads(row.body)["payload"]["session_id"] == "dup-4"
        probe.write_events(source, 5, start=10)  # and the queue keeps flowing
        assert wait_for(lambda: probe.effect_counts(sink) == (15, 15), timeout=30)
    assert len(probe.dead_letters(sink)) == 1
    assert sorted(_forwarded(sink)) == sorted(f"fwd-{s}" for s in sessions + [str(i) for i in range(10, 15)]
                                              if s != "dup-4")
    relay.publisher.close()
    source.db.engine.dispose()
    sink.db.engine.dispose()


def test_an_envelope_with_an_overlong_correlation_id_is_dead_lettered_not_stalled(pair, stack):
    """outbox.correlation_id is String(64): such an event would make any handler that
    publishes fail at the insert (PostgreSQL). It breaks the contract: dead letter at once."""
    source, sink, worker = pair
    envelope = json.loads(encode(_envelope(source)))
    raw_publish(stack.bus_url, json.dumps(dict(envelope, correlation_id="c" * 500)).encode(), probe.EVENT,
                "long-correlation")
    probe.write_events(source, 5)
    with probe.Running(worker.run, source.relay().run):
        assert wait_for(lambda: probe.effect_counts(sink) == (5, 5) and len(probe.dead_letters(sink)) == 1,
                        timeout=30)
    [row] = probe.dead_letters(sink)
    assert row.message_id == "long-correlation" and row.reason == "rejected"
    assert "correlation_id" in row.error


def test_a_dead_letter_with_an_overlong_message_id_is_still_recorded(pair, stack):
    """dead_letters.message_id is String(64); whatever a message says, it must be stored
    (a refused insert would stop the dead-letter queue, on PostgreSQL)."""
    source, sink, worker = pair
    conn = connect(stack.bus_url)
    try:
        Producer(conn.channel(), exchange=topology.dead_exchange()).publish(
            b"{}", routing_key=topology.dead_queue_name("probe"), message_id="m" * 200, type="t" * 200,  # AMQP: up to 255
            headers={"x-reason": "rejected", "x-error": "test"}, delivery_mode=2)
    finally:
        conn.release()
    probe.write_events(source, 3)
    with probe.Running(worker.run, source.relay().run):
        assert wait_for(lambda: len(probe.dead_letters(sink)) == 1 and probe.effect_counts(sink) == (3, 3),
                        timeout=30)
    [row] = probe.dead_letters(sink)
    assert row.message_id == "m" * 64 and row.event_type == "t" * 120
