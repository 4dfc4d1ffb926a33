"""The one place that names exchanges and queues (EVENTS.md, Transport)."""
from __future__ import annotations

from kombu import Exchange, Queue

EXCHANGE = "programme.events"
DEAD_EXCHANGE = "programme.events.dead"


def queue_name(service: str) -> str:
    return f"{service}.events"


def dead_queue_name(service: str) -> str:
    return f"{service}.events.dead"


def events_exchange() -> Exchange:
    return Exchange(EXCHANGE, type="topic", durable=True)


def dead_exchange() -> Exchange:
    return Exchange(DEAD_EXCHANGE, type="direct", durable=True)


def queue_arguments(service: str, delivery_limit: int, on_rabbitmq: bool) -> dict:
    if not on_rabbitmq:
        return {}
    # Set explicitly: RabbitMQ 4 would default the limit to 20 and drop without a DLX.
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_EXCHANGE,
        "x-dead-letter-routing-key": dead_queue_name(service),
    }


def service_queues(service: str, routing_keys: list[str], delivery_limit: int,
                   on_rabbitmq: bool) -> tuple[Queue, Queue]:
    """The service's work queue bound to the event types it handles, and its dead letters."""
    exchange = events_exchange()
    args = queue_arguments(service, delivery_limit, on_rabbitmq)
    bindings = [_binding(exchange, key) for key in routing_keys]
    work = Queue(queue_name(service), bindings=bindings, durable=True, queue_arguments=args)
    dead = Queue(dead_queue_name(service), exchange=dead_exchange(), routing_key=dead_queue_name(service),
                 durable=True, queue_arguments={"x-queue-type": "quorum"} if on_rabbitmq else {})
    return work, dead


def declare(channel, service: str, routing_keys: list[str], delivery_limit: int, on_rabbitmq: bool) -> None:
    """Declare the exchanges and ``service``'s work queue (with its bindings) and dead letters.

    Idempotent. The worker does it when it starts; ``python -m services topology`` does it
    for every service before anything publishes (a topic exchange drops what no queue is
    bound for).
    """
    work, dead = service_queues(service, routing_keys, delivery_limit, on_rabbitmq)
    events_exchange()(channel).declare()
    dead_exchange()(channel).declare()
    work(channel).declare()
    dead(channel).declare()


def _binding(exchange: Exchange, key: str):
    from kombu import binding
    return binding(exchange, routing_key=key)
