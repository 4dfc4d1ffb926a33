"""Publishing outbox rows with broker confirms.

On RabbitMQ the relay uses pika with a window of outstanding confirms: waiting for each
confirm (kombu's ``confirm_publish``) caps a publisher at ~1,400 msg/s, a window gives
tens of thousands (ARCHITECTURE.md, broker facts). Elsewhere (embedded mode) kombu
publishes into the transport, which stores the message before returning.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pika
from kombu import Producer

from shared.messaging import topology
from shared.messaging.connection import connect, is_rabbitmq

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    row_id: int
    event_id: str
    event_type: str
    correlation_id: str
    body: bytes


class PublishError(Exception):
    pass


class PikaConfirmPublisher:
    def __init__(self, url: str, confirm_timeout: float = 5.0):
        self.url = url
        self.confirm_timeout = confirm_timeout
        self._conn: pika.BlockingConnection | None = None
        self._channel = None
        self._next_tag = 1
        self._pending: dict[int, int] = {}  # delivery tag -> row id
        self._confirmed: list[int] = []
        self._nacked: list[int] = []

    def _connect(self) -> None:
        params = pika.URLParameters(self.url)
        params.socket_timeout = self.confirm_timeout
        params.stack_timeout = self.confirm_timeout
        params.blocked_connection_timeout = self.confirm_timeout
        params.connection_attempts = 1
        params.heartbeat = 30
        self._conn = pika.BlockingConnection(params)
        channel = self._conn.channel()
        channel.exchange_declare(topology.EXCHANGE, "topic", durable=True)
        # BlockingChannel.confirm_delivery() would wait for every single confirm; its
        # underlying channel takes a callback instead, so confirms are collected in a window.
        ready = []
        channel._impl.confirm_delivery(ack_nack_callback=self._on_confirm, callback=lambda _f: ready.append(1))
        deadline = time.monotonic() + self.confirm_timeout
        while not ready:
            self._conn.process_data_events(time_limit=0.05)
            if time.monotonic() > deadline:
                raise PublishError("confirm.select not answered")
        self._channel = channel
        self._next_tag = 1

    def _on_confirm(self, frame) -> None:
        method = frame.method
        tags = [t for t in self._pending if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        target = self._confirmed if isinstance(method, pika.spec.Basic.Ack) else self._nacked
        for tag in tags:
            row = self._pending.pop(tag, None)
            if row is not None:
                target.append(row)

    def publish(self, messages: list[OutgoingMessage]) -> list[int]:
        """Publish and return the row ids the broker confirmed; never blocks past the timeout."""
        if self._conn is None or not self._conn.is_open:
            self._connect()
        self._confirmed, self._nacked, self._pending = [], [], {}
        impl = self._channel._impl
        try:
            for m in messages:
                impl.basic_publish(
                    exchange=topology.EXCHANGE, routing_key=m.event_type, body=m.body,
                    properties=pika.BasicProperties(
                        content_type="application/json", delivery_mode=2, message_id=m.event_id,
                        type=m.event_type, correlation_id=m.correlation_id))
                self._pending[self._next_tag] = m.row_id
                self._next_tag += 1
            deadline = time.monotonic() + self.confirm_timeout
            while self._pending and time.monotonic() < deadline:
                self._conn.process_data_events(time_limit=0.05)
        except Exception as exc:
            self.close()
            if not self._confirmed:
                raise PublishError(str(exc)) from exc
            log.warning("publisher lost the broker mid-batch", extra={"error": str(exc)})
        if self._pending:
            # Unconfirmed in flight: start a fresh channel; these rows are re-sent next round.
            log.warning("confirms timed out", extra={"unconfirmed": len(self._pending)})
            self.close()
        return list(self._confirmed)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001  # nosec B110 # the connection may already be gone
                pass


class KombuPublisher:
    def __init__(self, url: str, confirm_timeout: float = 5.0):
        self.url = url
        self.confirm_timeout = confirm_timeout
        self._conn = None
        self._producer = None

    def publish(self, messages: list[OutgoingMessage]) -> list[int]:
        if self._conn is None:
            self._conn = connect(self.url, self.confirm_timeout)
            self._producer = Producer(self._conn.channel(), exchange=topology.events_exchange())
            self._producer.declare()
        done = []
        try:
            for m in messages:
                self._producer.publish(
                    m.body, routing_key=m.event_type, content_type="application/json",
                    content_encoding="utf-8", delivery_mode=2, message_id=m.event_id,
                    type=m.event_type, correlation_id=m.correlation_id)
                done.append(m.row_id)
        except Exception as exc:
            self.close()
            if not done:
                raise PublishError(str(exc)) from exc
        return done

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # noqa: BLE001  # nosec B110 # the connection may already be gone
                pass


def publisher_for(url: str, confirm_timeout: float = 5.0):
    return PikaConfirmPublisher(url, confirm_timeout) if is_rabbitmq(url) else KombuPublisher(url, confirm_timeout)
