"""Nothing lost, nothing twice — when processes die and the broker goes away."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from shared.messaging.connection import connect
from shared.messaging.publishers import OutgoingMessage, PikaConfirmPublisher, PublishError
from shared.messaging.relay import wait_for
from shared.testing import services
from tests.bus import probe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pair(stack, **settings):
    source = probe.producer(stack.database_url("source"), stack.bus_url)
    sink = probe.consumer(stack.database_url("sink"), stack.bus_url, **settings)
    worker = sink.consumer()
    conn = connect(stack.bus_url)
    worker.declare(conn)
    conn.release()
    return source, sink, worker


def test_killing_a_consumer_process_mid_stream_loses_and_doubles_nothing(stack):
    source, sink, worker = _pair(stack)
    probe.write_events(source, 300)
    while source.relay().relay_once():
        pass
    child = subprocess.Popen([sys.executable, "-m", "tests.bus.slow_worker", sink.settings.database_url,
                              stack.bus_url, "23"], cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
    try:
        assert child.wait(timeout=120) == -signal.SIGKILL
    finally:
        child.kill()
    # Four batches of five committed; the three handled events of the fifth batch were not.
    assert probe.effect_counts(sink) == (20, 20)
    with probe.Running(worker.run):
        assert wait_for(lambda: probe.effect_counts(sink) == (300, 300), timeout=60)
    source.relay().publisher.close()


def test_embedded_bus_survives_a_restart_of_the_whole_process(embedded_stack):
    """Events relayed but not yet consumed are still there after the process is gone."""
    source, sink, worker = _pair(embedded_stack)
    probe.write_events(source, 25)
    source.relay().relay_once()
    # A different process (pid) leased some messages and died without acking.
    import sqlite3
    bus = sqlite3.connect(embedded_stack.bus_url.removeprefix("sqlite-bus://"))
    bus.execute("UPDATE bus_message SET leased_by = 999999 WHERE id IN (SELECT id FROM bus_message LIMIT 10)")
    bus.commit()
    from shared.messaging import sqlite_transport
    sqlite_transport._recovered.clear()  # as in a freshly started process
    with probe.Running(worker.run):
        assert wait_for(lambda: probe.effect_counts(sink) == (25, 25), timeout=30)


@pytest.fixture
def rabbitmq_only(rabbitmq_stack):
    return rabbitmq_stack


def _rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


def test_broker_restart_in_the_middle_of_2000_events(rabbitmq_only):
    """Rows keep being written while the broker is down and after it is back: the relay
    must reconnect to send them, the consumer to receive them, both within 30 s."""
    source, sink, worker = _pair(rabbitmq_only)
    probe.write_events(source, 1000)
    relay = source.relay()
    with probe.Running(worker.run, relay.run):
        assert wait_for(lambda: probe.effect_counts(sink)[0] >= 200, timeout=60)
        _rabbitmqctl("stop_app")
        try:
            for start in range(1000, 1500, 50):  # committed while no broker can take them
                probe.write_events(source, 50, start=start)
            time.sleep(2)
            waiting = relay.backlog()
        finally:
            _rabbitmqctl("start_app")
        restarted = time.monotonic()
        assert waiting >= 500, "the rows written during the outage should wait in the outbox"
        for start in range(1500, 2000, 50):  # and more after it
            probe.write_events(source, 50, start=start)
        assert wait_for(lambda: relay.backlog() == 0, timeout=30 - (time.monotonic() - restarted)), \
            "the relay did not reconnect and send its backlog within 30 s"
        assert wait_for(lambda: probe.effect_counts(sink) == (2000, 2000),
                        timeout=30 - (time.monotonic() - restarted)), \
            f"consumer: {probe.effect_counts(sink)} effects 30 s after the broker came back"
    assert probe.effect_counts(sink) == (2000, 2000)  # once each: nothing lost, nothing twice
    relay.publisher.close()


class _Blackhole:
    """Accepts TCP connections and never answers: a broker that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                return

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("target", ["closed port", "hanging broker"])
def test_publish_never_blocks_past_its_confirm_timeout(target):
    if target == "closed port":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens here once closed
        hole = None
    else:
        hole = _Blackhole()
        port = hole.port
    publisher = PikaConfirmPublisher(f"amqp://guest:guest@127.0.0.1:{port}/%2F", confirm_timeout=1.0)
    started = time.monotonic()
    with pytest.raises((PublishError, Exception)):
        publisher.publish([OutgoingMessage(1, "e", probe.EVENT, "c", b"{}")])
    assert time.monotonic() - started < 5.0
    if hole:
        hole.close()


def test_unconfirmed_messages_are_not_marked_sent(rabbitmq_only):
    """A confirm that never comes leaves the row for the next round (re-sent, deduplicated)."""
    services.need(services.AMQP_HOST, 5672, "RabbitMQ")
    source, sink, worker = _pair(rabbitmq_only)
    probe.write_events(source, 5)
    relay = source.relay()
    relay.publisher.publish = lambda messages: []  # the broker confirmed nothing
    assert relay.relay_once() == 0
    assert relay.backlog() == 5
