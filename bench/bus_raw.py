"""The raw baseline with the pipeline's guarantees, hand-written on pika and psycopg.

What it does is what `shared.messaging` does, minus the framework: outbox rows on
PostgreSQL; a relay that selects unsent rows (``FOR UPDATE SKIP LOCKED``), publishes them
persistent with windowed publisher confirms and marks the confirmed ones sent in the same
transaction; a consumer (its own process, prefetch 200) that takes up to 100 messages,
claims them in the inbox with one ``INSERT … ON CONFLICT DO NOTHING RETURNING``, optionally
writes one state row per new event (one statement for the batch), commits, then acks the batch with one multiple-ack.
No schema validation, no envelope objects, no SQLAlchemy.
"""
from __future__ import annotations

import json
import multiprocessing
import time
import uuid

import pika
import psycopg

QUEUE = "bench.raw.guaranteed"
PREFETCH, BATCH, RELAY_BATCH = 200, 100, 500
QUEUE_ARGS = {"x-queue-type": "quorum", "x-delivery-limit": 20}

SCHEMA = """
CREATE TABLE outbox (id bigserial PRIMARY KEY, event_id varchar(36) UNIQUE NOT NULL,
                     event_type varchar(120) NOT NULL, body text NOT NULL,
                     created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz);
CREATE TABLE inbox (event_id varchar(36) PRIMARY KEY, event_type varchar(120) NOT NULL,
                    processed_at timestamptz NOT NULL);
CREATE TABLE effects (id serial PRIMARY KEY, event_id varchar(36), session_id varchar(64));
"""


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def prepare(source_url: str, sink_url: str, bus_url: str, count: int) -> None:
    for url in (source_url, sink_url):
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            conn.execute(SCHEMA)
    with psycopg.connect(_dsn(source_url)) as conn, conn.cursor() as cur:
        for start in range(0, count, 1000):
            rows = []
            for i in range(start, min(start + 1000, count)):
                event_id = str(uuid.uuid4())
                body = json.dumps({"event_id": event_id, "event_type": "attendance.attendance.recorded",
                                   "schema_version": 1, "data": {"session_id": f"s-{i}", "x": "y" * 150}})
                rows.append((event_id, "attendance.attendance.recorded", body))
            cur.executemany("INSERT INTO outbox (event_id, event_type, body) VALUES (%s, %s, %s)", rows)
            conn.commit()
    connection = pika.BlockingConnection(pika.URLParameters(bus_url))
    channel = connection.channel()
    channel.queue_declare(QUEUE, durable=True, arguments=QUEUE_ARGS)
    channel.queue_purge(QUEUE)
    connection.close()


def consume(sink_url: str, bus_url: str, count: int, state_row: bool, ready, done) -> None:
    """The consumer process: batches committed before they are acked."""
    db = psycopg.connect(_dsn(sink_url))
    connection = pika.BlockingConnection(pika.URLParameters(bus_url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=PREFETCH)
    buffer: list = []
    channel.basic_consume(QUEUE, lambda _ch, method, _props, body: buffer.append((method.delivery_tag, body)))
    ready.set()
    handled = 0
    while handled < count:
        deadline = time.monotonic() + 0.05
        while len(buffer) < BATCH and time.monotonic() < deadline:
            connection.process_data_events(time_limit=max(0.0, deadline - time.monotonic()))
        if not buffer:
            continue
        batch, buffer[:] = buffer[:BATCH], buffer[BATCH:]
        events = [json.loads(body) for _tag, body in batch]
        with db.cursor() as cur:
            cur.executemany("INSERT INTO inbox (event_id, event_type, processed_at) VALUES (%s, %s, now()) "
                            "ON CONFLICT DO NOTHING RETURNING event_id",
                            [(e["event_id"], e["event_type"]) for e in events], returning=True)
            fresh = set()
            while True:
                row = cur.fetchone()
                if row:
                    fresh.add(row[0])
                if not cur.nextset():
                    break
            if state_row:  # one statement for the batch's state rows, as the ORM's flush does
                cur.executemany("INSERT INTO effects (event_id, session_id) VALUES (%s, %s)",
                                [(e["event_id"], e["data"]["session_id"]) for e in events
                                 if e["event_id"] in fresh])
        db.commit()
        channel.basic_ack(batch[-1][0], multiple=True)
        handled += len(batch)
    connection.close()
    db.close()
    done.set()


def relay(source_url: str, bus_url: str) -> None:
    """Publish every unsent row in order; mark rows sent once the broker confirmed them."""
    db = psycopg.connect(_dsn(source_url))
    connection = pika.BlockingConnection(pika.URLParameters(bus_url))
    channel = connection.channel()
    confirmed: set[int] = set()
    state = {"last": 0, "ready": False}

    def on_confirm(frame):
        tag = frame.method.delivery_tag
        if isinstance(frame.method, pika.spec.Basic.Ack):
            if frame.method.multiple:
                confirmed.update(range(state["last"] + 1, tag + 1))
            else:
                confirmed.add(tag)
        state["last"] = max(state["last"], tag)

    channel._impl.confirm_delivery(ack_nack_callback=on_confirm, callback=lambda _f: state.update(ready=True))
    while not state["ready"]:
        connection.process_data_events(time_limit=0.01)
    tag = 0
    while True:
        with db.cursor() as cur:
            cur.execute("SELECT id, event_id, event_type, body FROM outbox WHERE published_at IS NULL "
                        "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED", (RELAY_BATCH,))
            rows = cur.fetchall()
            if not rows:
                db.commit()
                break
            by_tag = {}
            for row_id, event_id, event_type, body in rows:
                tag += 1
                by_tag[tag] = row_id
                channel._impl.basic_publish("", QUEUE, body.encode(), pika.BasicProperties(
                    delivery_mode=2, content_type="application/json", message_id=event_id, type=event_type))
            while not all(t in confirmed for t in by_tag):
                connection.process_data_events(time_limit=0.05)
            cur.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%s)", (list(by_tag.values()),))
        db.commit()
    connection.close()
    db.close()


def run(source_url: str, sink_url: str, bus_url: str, count: int, state_row: bool) -> float:
    """msg/s from the first relay SELECT until the consumer committed the last batch."""
    prepare(source_url, sink_url, bus_url, count)
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    consumer = context.Process(target=consume, args=(sink_url, bus_url, count, state_row, ready, done))
    consumer.start()
    ready.wait(60)
    started = time.perf_counter()
    relay(source_url, bus_url)
    done.wait(600)
    elapsed = time.perf_counter() - started
    consumer.join(30)
    with psycopg.connect(_dsn(sink_url)) as conn:
        inbox = conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
        effects = conn.execute("SELECT count(*) FROM effects").fetchone()[0]
    assert inbox == count and effects == (count if state_row else 0), (inbox, effects)
    return count / elapsed
