"""The events attendance publishes, read back from the real broker (RabbitMQ)."""
from __future__ import annotations

import json

import pika
import pytest

from shared.messaging import topology

from .builders import at, attend, mark, session_id, setup_2019


@pytest.fixture
def listener(rabbitmq_stack):
    """A private queue bound to every routing key, declared before anything is relayed."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_stack.bus_url))
    channel = connection.channel()
    channel.exchange_declare(topology.EXCHANGE, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, topology.EXCHANGE, routing_key="#")

    def drain() -> list[dict]:
        messages = []
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return messages
            envelope = json.loads(body)
            assert method.routing_key == envelope["event_type"] == properties.type
            assert properties.message_id == envelope["event_id"] and properties.delivery_mode == 2
            messages.append(envelope)

    yield drain
    connection.close()


def test_outcomes_reach_the_broker_once(rabbitmq_stack, listener):
    h = rabbitmq_stack.harness("attendance")
    try:
        setup_2019(h)
        h.login("coordinator")
        attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
        h.set_now(at("17.04", 17, 0))
        h.tick()
        h.tick()
        h.set_now(at("18.04", 9, 0))
        mark(h, session_id("Pärnu", 1), "parnu-1", True)  # correction: reinstated
        assert h.relay() == len(h.published())
        assert h.relay() == 0  # everything was confirmed and marked sent
        events = listener()
    finally:
        h.close()
    kinds = [(e["event_type"], e["payload"]["participant_id"]) for e in events]
    assert kinds == [
        ("attendance.attendance.recorded", "parnu-1"),
        ("attendance.attendance.recorded", "parnu-2"),
        ("attendance.participant.absent", "parnu-1"),
        ("attendance.participant.dropped_out", "parnu-1"),
        ("attendance.attendance.recorded", "parnu-1"),
        ("attendance.participant.reinstated", "parnu-1"),
    ]
    absent, dropped = events[2], events[3]
    assert [s["city"] for s in absent["payload"]["make_up_sessions"]] == ["Tartu", "Rakvere", "Tallinn"]
    assert dropped["producer"] == "attendance" and dropped["schema_version"] == 1
    assert dropped["payload"]["employer"]["billing_email"] == "arved@org-parnu-v.ee"
    assert dropped["payload"]["days_held"] == 1 and dropped["payload"]["reason"] == "absence"
    # The absence and the sheet's records were one request: one correlation id, linked.
    assert events[0]["correlation_id"] == events[2]["correlation_id"]
    assert events[4]["correlation_id"] == events[5]["correlation_id"] != events[0]["correlation_id"]
