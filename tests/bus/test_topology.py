"""Queues exist before the first publish: ``python -m services topology`` (issue 2, RabbitMQ)."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections import Counter

import pika

from services.__main__ import subscriptions
from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from shared.config import SERVICES, Settings
from shared.messaging import topology
from shared.messaging.connection import connect
from tests.bus.test_durability import ROOT
from tests.enrolment.helpers import BEFORE_DEADLINE


def _depth(url: str, queue: str) -> int | None:
    """Messages waiting in ``queue``; None if it does not exist."""
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return conn.channel().queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if conn.is_open:
            conn.close()


def test_after_the_topology_step_a_relayed_event_waits_in_every_subscribed_queue(rabbitmq_stack, tmp_path):
    url = rabbitmq_stack.bus_url
    assert _depth(url, "reporting.events") is None  # a fresh broker: no worker ever started
    subprocess.run([sys.executable, "-m", "services", "topology"], cwd=ROOT, check=True, timeout=60,
                   env={**os.environ, "PYTHONPATH": ROOT, "BUS_URL": url})
    clock.set_now(BEFORE_DEADLINE)
    enrolment = rabbitmq_stack.harness("enrolment")
    try:
        load_edition_file(enrolment.kit, EDITION_2019)  # publishes through the outbox
        published = Counter(e["event_type"] for e in enrolment.published())
        assert published and enrolment.relay() == sum(published.values())
    finally:
        enrolment.close()
    handled = subscriptions()
    expected = {service: sum(n for event_type, n in published.items() if event_type in handled[service])
                for service in SERVICES}
    assert sum(expected.values()) >= 3  # the edition goes to attendance, notify and reporting
    assert {service: _depth(url, topology.queue_name(service)) for service in SERVICES} == expected
    assert {service: _depth(url, topology.dead_queue_name(service)) for service in SERVICES} == dict.fromkeys(
        SERVICES, 0)
    # Each worker still declares its own queue when it starts: the same arguments, no clash.
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.app")
        kit = module.bootstrap(Settings.from_env(service, database_url=f"sqlite:///{tmp_path}/{service}.sqlite",
                                                 bus_url=url))
        conn = connect(url)
        try:
            kit.consumer().declare(conn)
        finally:
            conn.release()
            kit.db.engine.dispose()
    assert _depth(url, "reporting.events") == expected["reporting"]

