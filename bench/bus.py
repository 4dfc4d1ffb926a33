"""20,000 events through outbox → RabbitMQ → consumer with inbox on PostgreSQL, against
raw pika with the same guarantees, in the same run.

Two baselines: `bench.bus_raw` does the pipeline's durable work by hand on pika and
psycopg (outbox rows, confirmed publishing, inbox claimed and committed before the ack) —
the figure the goal (≥ 0.5) is measured against; and the broker alone (raw pika publishing
with confirms into a quorum queue while a consumer acks, no database), the ceiling.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pika

from bench import bus_raw
from shared.messaging.connection import connect
from shared.messaging.relay import wait_for
from shared.testing import services
from tests.bus import probe

N = int(os.environ.get("BENCH_EVENTS", "20000"))
PREFETCH = 200
BODY = b"x" * 300


def raw_pika(url: str) -> float:
    """Publish N with a window of confirms while a consumer acks them; return msg/s."""
    params = pika.URLParameters(url)
    setup = pika.BlockingConnection(params)
    ch = setup.channel()
    ch.queue_declare("bench.raw", durable=True, arguments={"x-queue-type": "quorum"})
    ch.queue_purge("bench.raw")
    setup.close()
    consumed = threading.Event()

    def consume():
        conn = pika.BlockingConnection(params)
        channel = conn.channel()
        channel.basic_qos(prefetch_count=PREFETCH)
        count = 0
        for method, _props, _body in channel.consume("bench.raw", inactivity_timeout=30):
            if method is None:
                break
            count += 1
            if count % 100 == 0 or count == N:
                channel.basic_ack(method.delivery_tag, multiple=True)
            if count == N:
                break
        channel.cancel()
        conn.close()
        consumed.set()

    started = time.perf_counter()
    thread = threading.Thread(target=consume)
    thread.start()
    conn = pika.BlockingConnection(params)
    channel = conn.channel()
    acked = {"n": 0}
    ready = []
    channel._impl.confirm_delivery(ack_nack_callback=lambda f: acked.__setitem__(
        "n", f.method.delivery_tag if f.method.multiple else acked["n"] + 1), callback=lambda _f: ready.append(1))
    while not ready:
        conn.process_data_events(time_limit=0.01)
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    for i in range(N):
        channel._impl.basic_publish("", "bench.raw", BODY, props)
        if i % 500 == 499:
            conn.process_data_events(time_limit=0)
    while acked["n"] < N:
        conn.process_data_events(time_limit=0.05)
    conn.close()
    consumed.wait(120)
    elapsed = time.perf_counter() - started
    thread.join()
    return N / elapsed


def _consume(database_url: str, bus_url: str, stop, state_row: bool) -> None:
    """The consumer worker in its own process, as `python -m services.<name> consume` runs it."""
    kit = probe.consumer(database_url, bus_url)
    worker = kit.consumer()
    if state_row:
        # Written as the services' handlers write a new row: added to the session, which
        # inserts the batch's rows together when it flushes.
        worker.handlers[probe.EVENT] = lambda uow, event: uow.session.add(
            kit.Effect(event_id=event.event_id, session_id=event.data["session_id"]))
    else:
        worker.handlers[probe.EVENT] = lambda uow, event: None
    worker.run(stop)


def _inbox_count(kit) -> int:
    from sqlalchemy import func, select
    with kit.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(kit.tables.inbox)).scalar_one()


def pipeline(url: str, state_row: bool) -> float:
    source = probe.producer(services.create_database("bench_source"), url)
    sink = probe.consumer(services.create_database("bench_sink"), url)
    worker = sink.consumer()
    conn = connect(url)
    worker.declare(conn)
    conn.release()
    for start in range(0, N, 1000):
        probe.write_events(source, min(1000, N - start), start=start)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    consumer = context.Process(target=_consume, args=(sink.settings.database_url, url, stop, state_row))
    consumer.start()
    time.sleep(2)  # let the consumer process start before the clock runs
    started = time.perf_counter()
    with probe.Running(source.relay().run):
        assert wait_for(lambda: _inbox_count(sink) >= N, timeout=600, interval=0.1)
    elapsed = time.perf_counter() - started
    stop.set()
    consumer.join(30)
    assert _inbox_count(sink) == N
    assert probe.effect_counts(sink) == ((N, N) if state_row else (0, 0))
    source.relay().publisher.close()
    for kit in (source, sink):
        kit.db.engine.dispose()
        services.drop_database(kit.settings.database_url)
    return N / elapsed


def raw_guaranteed(url: str, state_row: bool) -> float:
    source, sink = services.create_database("bench_raw_source"), services.create_database("bench_raw_sink")
    try:
        return bus_raw.run(source, sink, url, N, state_row)
    finally:
        services.drop_database(source)
        services.drop_database(sink)


def main() -> None:
    vhost = services.new_vhost()
    url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    try:
        broker = raw_pika(url)
        figures = [(state_row, raw_guaranteed(url, state_row), pipeline(url, state_row))
                   for state_row in (False, True)]
    finally:
        services.delete_vhost(vhost)
    print(f"bus: {N} events; the broker alone (raw pika, confirms, manual acks, prefetch {PREFETCH}, "
          f"no database): {broker:,.0f} msg/s", flush=True)
    for state_row, raw, ours in figures:
        what = "inbox + one state row per event" if state_row else "inbox only"
        print(f"  {what:32} raw pika+psycopg {raw:7,.0f} msg/s   pipeline {ours:7,.0f} msg/s   "
              f"ratio {ours / raw:.2f} (goal ≥ 0.50: {'met' if ours / raw >= 0.5 else 'NOT met'})   "
              f"of the broker alone {ours / broker:.2f}", flush=True)


if __name__ == "__main__":
    main()
