"""Billing on the real bus: redelivered dropouts through the broker, its events out through the relay."""
from __future__ import annotations

import json
import uuid

from kombu import Queue
from sqlalchemy import func, select

from services.billing.adapters.models import Claim
from shared.events.registry import encode
from shared.messaging import topology
from shared.messaging.connection import connect
from shared.messaging.relay import wait_for
from shared.testing.harness import FakeMessage
from tests.billing.helpers import dropout
from tests.bus.probe import Running
from tests.bus.test_bus import raw_publish


def count(h, table) -> int:
    with h.kit.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_dropout_delivered_many_times_by_the_broker_makes_one_claim(billing, stack):
    h = billing
    worker = h.kit.consumer()
    conn = connect(stack.bus_url)
    worker.declare(conn)  # bind billing.events before anything is published
    conn.release()
    event_type = "attendance.participant.dropped_out"
    envelope = h.envelope(event_type, dropout())
    for _ in range(3):
        raw_publish(stack.bus_url, encode(envelope), event_type, envelope.event_id)
    republished = h.envelope(event_type, dropout())  # attendance sent the same dropout again
    raw_publish(stack.bus_url, encode(republished), event_type, republished.event_id)
    reinstated = h.envelope("attendance.participant.reinstated", {"participant_id": "p-9", "application_id": "a-9"})
    raw_publish(stack.bus_url, encode(reinstated), "attendance.participant.reinstated", reinstated.event_id)

    with Running(worker.run):
        assert wait_for(lambda: count(h, h.kit.tables.inbox) == 3, timeout=30)
    assert count(h, Claim.__table__) == 1
    assert len(h.payloads("billing.claim.proposed")) == 1
    assert count(h, h.kit.tables.dead_letters) == 0


def test_billing_events_leave_through_the_outbox_to_the_exchange(billing, stack):
    h = billing
    conn = connect(stack.bus_url)
    try:
        listener = Queue(f"billing-test-{uuid.uuid4().hex[:8]}", exchange=topology.events_exchange(),
                         routing_key="billing.#", durable=False)(conn.channel())
        listener.declare()
        h.deliver("attendance.participant.dropped_out", dropout())
        assert h.relay() == 1
        received = []
        assert wait_for(lambda: _get(listener, received), timeout=10)
    finally:
        conn.release()
    [message] = received
    body = json.loads(message.body)
    assert body["event_type"] == "billing.claim.proposed"
    assert body["payload"]["amount_gross"] == "512.00"
    assert body["causation_id"] is not None  # linked to the dropout that caused it


def _get(queue, received: list) -> bool:
    message = queue.get(no_ack=True)
    if message is not None:
        received.append(message)
    return bool(received)


def test_an_invalid_dropout_is_dead_lettered_not_crashed_on(billing):
    h = billing
    envelope = h.envelope("attendance.participant.dropped_out", dropout())
    body = json.loads(encode(envelope))
    body["payload"]["days_held"] = 7
    outcomes = h.consumer.process([FakeMessage(json.dumps(body).encode())])
    assert [o.kind for o in outcomes] == ["rejected"]  # the worker sends it to billing.events.dead
    assert count(h, Claim.__table__) == 0
