"""The events attendance publishes, read back from the real broker (RabbitMQ)."""
from __future__ import annotations

import json

import pika
import pytest

from shared.messaging import topology

from .builders import EDITION, at, attend, day_over, mark, session_id, setup_2019


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
        day_over(h, "09.04")  # the absence is told once the session is over
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
    # The sheet's records were one request: one correlation id, linked; so were the correction
    # and the reinstatement it caused.
    assert events[0]["correlation_id"] == events[1]["correlation_id"]
    assert events[4]["correlation_id"] == events[5]["correlation_id"] != events[0]["correlation_id"]


def test_a_completion_and_its_revocation_reach_the_broker_once(rabbitmq_stack, listener):
    h = rabbitmq_stack.harness("attendance")
    try:
        setup_2019(h, cities=["Pärnu"])
        h.login("coordinator")
        for day, n in (("09.04", 1), ("30.04", 2), ("22.05", 3)):
            attend(h, day, session_id("Pärnu", n), {"parnu-1": True, "parnu-2": True})
        h.set_now(at("22.05", 18, 0))
        mark(h, session_id("Pärnu", 3), "parnu-1", False)  # correction: the completion is revoked
        mark(h, session_id("Pärnu", 3), "parnu-1", False)  # again: nothing new
        h.tick()
        assert h.relay() == len(h.published())
        assert h.relay() == 0
        events = listener()
    finally:
        h.close()
    outcomes = [(e["event_type"], e["payload"]["participant_id"]) for e in events
                if e["event_type"].startswith("attendance.participant.")]
    assert outcomes == [
        ("attendance.participant.completed", "parnu-1"),
        ("attendance.participant.completed", "parnu-2"),
        ("attendance.participant.completion_revoked", "parnu-1"),
        ("attendance.participant.absent", "parnu-1"),
    ]
    completed = next(e for e in events if e["event_type"] == "attendance.participant.completed")
    revoked = events[-2]
    assert completed["payload"] == {"participant_id": "parnu-1", "application_id": "app-parnu",
                                    "group_id": "2019-parnu"}
    assert revoked["payload"] == {"participant_id": "parnu-1", "application_id": "app-parnu",
                                  "group_id": "2019-parnu", "day_number": 3, "reason": "correction"}
    assert revoked["producer"] == "attendance" and revoked["schema_version"] == 1
    # The correction's record, the revocation and the absence were one request: one correlation id.
    assert events[-3]["event_type"] == "attendance.attendance.recorded"
    assert events[-3]["correlation_id"] == revoked["correlation_id"] == events[-1]["correlation_id"]


def test_make_up_rule_changes_reach_the_broker_once_each(rabbitmq_stack, listener):
    h = rabbitmq_stack.harness("attendance")
    rule = f"/api/editions/{EDITION}/make-up-rule"
    try:
        setup_2019(h, cities=["Pärnu"])
        h.login("coordinator")
        h.set_now(at("01.04", 9, 0))
        for body in ({"make_ups_allowed": False, "window": "before_own_next_day"},
                     {"make_ups_allowed": False, "window": "before_own_next_day"},  # unchanged: nothing
                     {"make_ups_allowed": True, "window": "any_later_same_day"}):
            assert h.client.put(rule, json=body).status_code == 200
        h.relay()
        assert h.relay() == 0
        events = [e for e in listener() if e["event_type"] == "attendance.make_up_rule.changed"]
    finally:
        h.close()
    assert [(e["payload"]["revision"], e["payload"]["make_ups_allowed"], e["payload"]["window"]) for e in events] == [
        (1, False, "before_own_next_day"), (2, True, "any_later_same_day")]
    assert {e["payload"]["edition_id"] for e in events} == {EDITION}
    assert all(e["payload"]["changed_at"] == "2019-04-01T06:00:00+00:00" for e in events)
