"""``python -m services topology``: declare every service's queues, dead letters and bindings.

Run once before any relay publishes (``make services``, the one-shot ``topology``
container in docker-compose.yml): the topic exchange drops an event that no queue is bound
for, and a service's queue would otherwise exist only once its worker has started.

A composition step, like the gateway: it may import every service (a service never
imports another); the bindings come from each one's ``entrypoints/subscriptions.py``.
"""
from __future__ import annotations

import argparse
import importlib

from shared.config import SERVICES, Settings
from shared.messaging import topology
from shared.messaging.connection import connect, is_rabbitmq
from shared.observability import configure_logging


def subscriptions() -> dict[str, list[str]]:
    """Service -> the event types it handles (its queue's routing keys)."""
    return {service: sorted(importlib.import_module(f"services.{service}.entrypoints.subscriptions").HANDLERS)
            for service in SERVICES}


def declare_topology(bus_url: str | None = None) -> dict[str, list[str]]:
    """Declare what each service's worker declares, with the same settings (BUS_URL,
    BUS_DELIVERY_LIMIT): a queue redeclared with other arguments would be refused."""
    declared = subscriptions()
    for service, routing_keys in declared.items():
        settings = Settings.from_env(service, **({"bus_url": bus_url} if bus_url else {}))
        conn = connect(settings.bus_url, settings.confirm_timeout)
        try:
            conn.ensure_connection(max_retries=10, interval_start=1, interval_step=1, interval_max=5)
            topology.declare(conn.default_channel, service, routing_keys, settings.broker_delivery_limit,
                             is_rabbitmq(settings.bus_url))
        finally:
            conn.release()
    return declared


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services")
    parser.add_argument("command", choices=["topology"])
    parser.parse_args(argv)
    configure_logging()
    for service, routing_keys in declare_topology().items():
        print(f"{topology.queue_name(service)}: {len(routing_keys)} bindings, {topology.dead_queue_name(service)}",
              flush=True)


if __name__ == "__main__":
    main()
