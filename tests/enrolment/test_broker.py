"""The events each action publishes, consumed from the real broker (RabbitMQ): a queue bound
to every routing key of programme.events, declared before the outbox is relayed."""
from __future__ import annotations

import json

import pika
import pytest

from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from shared.messaging.topology import EXCHANGE
from tests.enrolment.helpers import BEFORE_DEADLINE, confirm_all, set_capacity, submit, submitted


@pytest.fixture
def broker(rabbitmq_stack):
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_stack.bus_url))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key="#")
    clock.set_now(BEFORE_DEADLINE)
    h = rabbitmq_stack.harness("enrolment")
    load_edition_file(h.kit, EDITION_2019)
    h.login("coordinator")

    def received() -> list[tuple[pika.spec.BasicProperties, dict]]:
        h.relay()
        messages = []
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return messages
            assert method.routing_key == json.loads(body)["event_type"]
            messages.append((properties, json.loads(body)))
    yield h, received
    h.close()
    connection.close()


def test_every_action_publishes_its_event_to_the_broker(broker):
    h, received = broker
    set_capacity(h, "Pärnu", 1)
    first = submit(h, 1).get_json()["application_id"]
    second = submit(h, 2).get_json()["application_id"]
    third = submit(h, 3).get_json()["application_id"]
    confirm_all(h, first)
    confirm_all(h, second)
    assert h.client.post(f"/api/applications/{first}/accept", json={"city": "Pärnu"}).status_code == 200
    assert h.client.post(f"/api/applications/{second}/waitlist", json={"city": "Pärnu"}).status_code == 200
    assert h.client.post(f"/api/applications/{third}/reject", json={"reason": "Hilinenud."}).status_code == 200
    members = submitted(h, first)["members"]
    kov = submitted(h, first)["organisations"][0]["organisation_id"]
    assert h.client.post(f"/api/applications/{first}/members/{members[0]['participant_id']}/substitute",
                         json={"first_name": "Uus", "last_name": "Liige", "email": "uus@parnu.ee",
                               "organisation_id": kov}).status_code == 200
    assert h.client.post(f"/api/applications/{first}/withdraw", json={"reason": "loobus"}).status_code == 200
    assert h.client.post("/api/groups/2019-parnu/promote", json={}).status_code == 200

    messages = received()
    types = [body["event_type"] for _, body in messages]
    assert types == (
        ["enrolment.edition.published"] * 2  # the file, then the capacity change
        + ["enrolment.application.submitted"] * 3
        + ["enrolment.member.confirmed"] * 8
        + ["enrolment.application.accepted", "enrolment.application.waitlisted", "enrolment.application.rejected",
           "enrolment.member.substituted"]
        + ["enrolment.member.withdrawn"] * 4
        + ["enrolment.application.withdrawn", "enrolment.application.accepted"])
    for properties, body in messages:
        assert properties.message_id == body["event_id"] and properties.type == body["event_type"]
        assert properties.content_type == "application/json" and properties.delivery_mode == 2
        assert body["producer"] == "enrolment" and body["schema_version"] == 1
    by_type = {}
    for _, body in messages:
        by_type.setdefault(body["event_type"], []).append(body["payload"])
    assert by_type["enrolment.edition.published"][1]["revision"] == 2
    assert [m["confirm_url"].startswith("http") for m in by_type["enrolment.application.submitted"][0]["members"]] \
        == [True] * 4
    assert by_type["enrolment.member.confirmed"][3]["all_confirmed"] is True
    assert by_type["enrolment.application.accepted"][0]["group_id"] == "2019-parnu"
    assert by_type["enrolment.application.waitlisted"][0] | {} == {
        **by_type["enrolment.application.waitlisted"][0], "application_id": second, "city": "Pärnu", "position": 1}
    assert by_type["enrolment.application.rejected"][0]["reason"] == "Hilinenud."
    assert by_type["enrolment.member.substituted"][0]["left_participant_id"] == members[0]["participant_id"]
    assert by_type["enrolment.application.withdrawn"][0]["application_id"] == first
    # The promoted team, with its members and employers.
    promoted = by_type["enrolment.application.accepted"][1]
    assert promoted["application_id"] == second and len(promoted["members"]) == 4
    assert len(promoted["organisations"]) == 2 and promoted["contact_email"] == "kontakt2@parnu.ee"
    assert received() == []  # each event once
