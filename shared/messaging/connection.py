"""kombu connections for every bus URL we run on."""
from __future__ import annotations

from kombu import Connection

from shared.messaging import sqlite_transport

sqlite_transport.register()


def is_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://"))


def connect(url: str, confirm_timeout: float = 5.0) -> Connection:
    if url.startswith("sqlite-bus://"):
        path = url.removeprefix("sqlite-bus://")
        return Connection("sqlite-bus://", transport_options={"path": path, "polling_interval": 0.05})
    if is_rabbitmq(url):
        return Connection(url, heartbeat=30, connect_timeout=confirm_timeout,
                          transport_options={"confirm_publish": True, "confirm_timeout": confirm_timeout,
                                             "read_timeout": confirm_timeout,
                                             "write_timeout": confirm_timeout})
    return Connection(url)
