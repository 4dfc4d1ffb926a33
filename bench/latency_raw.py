"""The raw baseline of ``bench.latency``: the same hops with pika and smtplib, no framework.

A publisher sends a persistent "dropped out" message with a publisher confirm onto a topic
exchange. Two consumer processes (as billing and notify are two processes), each on its own
quorum queue, manual acks:

- *claims* publishes a persistent "claim proposed" message with a confirm (the durable
  record of the proposal, as billing's commit is), notes the time, then acks;
- *mail* sends one e-mail with smtplib (one SMTP session per message, as notify does) to
  the same SMTP sink, then acks.

``chain="fanout"`` (the default) routes "dropped out" to both queues, as RabbitMQ routes
attendance.participant.dropped_out to billing and to notify; ``chain="serial"`` sends the
e-mail only after the claim (mail consumes "claim proposed"), a longer chain than ours.
Every time is ``time.monotonic()`` (CLOCK_MONOTONIC: one clock for every process).
"""
from __future__ import annotations

import json
import multiprocessing
import smtplib
import time
from email.message import EmailMessage

import pika

EXCHANGE = "latency.raw"
CLAIMS, MAIL = "latency.raw.claims", "latency.raw.mail"
DROPPED, PROPOSED = "dropped_out", "claim_proposed"
PREFETCH = 200  # as the services' consumers (BUS_PREFETCH)
PADDING = "x" * 700  # about the size of an attendance.participant.dropped_out envelope
PERSISTENT = pika.BasicProperties(delivery_mode=2, content_type="application/json")


def recipient(sample: int) -> str:
    return f"raw-{sample}@example.ee"


def _declare(url: str, chain: str) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        ch = conn.channel()
        ch.exchange_declare(EXCHANGE, "topic", durable=True)
        for queue in (CLAIMS, MAIL):
            ch.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
            ch.queue_purge(queue)
        ch.queue_bind(CLAIMS, EXCHANGE, DROPPED)
        ch.queue_bind(MAIL, EXCHANGE, DROPPED if chain == "fanout" else PROPOSED)
    finally:
        conn.close()


def _delete(url: str) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        ch = conn.channel()
        for queue in (CLAIMS, MAIL):
            ch.queue_delete(queue)
        ch.exchange_delete(EXCHANGE)
    finally:
        conn.close()


def _claims_worker(url: str, ready, stop, proposed) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    channel.basic_qos(prefetch_count=PREFETCH)
    out = conn.channel()
    out.confirm_delivery()

    def on_message(ch, method, _props, body):
        sample = json.loads(body)["sample"]
        out.basic_publish(EXCHANGE, PROPOSED, body, PERSISTENT)  # returns once confirmed
        proposed.put((sample, time.monotonic()))
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(CLAIMS, on_message)
    ready.set()
    while not stop.is_set():
        conn.process_data_events(time_limit=0.1)
    conn.close()


def _mail_worker(url: str, smtp_port: int, ready, stop) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    channel.basic_qos(prefetch_count=PREFETCH)

    def on_message(ch, method, _props, body):
        sample = json.loads(body)["sample"]
        message = EmailMessage()
        message["From"] = "programm@example.ee"
        message["To"] = recipient(sample)
        message["Subject"] = "Programmist väljalangemine"
        message["X-Bench-Sample"] = str(sample)
        message.set_content("Tere!\n\nTeie osalus programmis on lõppenud.\n" + PADDING)
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(MAIL, on_message)
    ready.set()
    while not stop.is_set():
        conn.process_data_events(time_limit=0.1)
    conn.close()


def run(url: str, sink, samples: int, interval: float, chain: str = "fanout",
        timeout: float = 60) -> list[tuple[float, float | None, float | None]]:
    """Send ``samples`` messages, one every ``interval`` s; return (t0, t1, t2) per sample:
    t0 before the publish, t1 "claim proposed" confirmed, t2 the sink's arrival time."""
    _declare(url, chain)
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    proposed = ctx.Queue()
    readies = [ctx.Event(), ctx.Event()]
    workers = [ctx.Process(target=_claims_worker, args=(url, readies[0], stop, proposed), daemon=True),
               ctx.Process(target=_mail_worker, args=(url, sink.port, readies[1], stop), daemon=True)]
    for worker in workers:
        worker.start()
    try:
        for ready in readies:
            if not ready.wait(60):
                raise RuntimeError("a raw consumer did not start")
        conn = pika.BlockingConnection(pika.URLParameters(url))
        channel = conn.channel()
        channel.confirm_delivery()
        t0: dict[int, float] = {}
        started = time.monotonic() + 0.5
        for sample in range(samples):
            time.sleep(max(0.0, started + sample * interval - time.monotonic()))
            body = json.dumps({"sample": sample, "padding": PADDING}).encode()
            t0[sample] = time.monotonic()
            channel.basic_publish(EXCHANGE, DROPPED, body, PERSISTENT)  # returns once confirmed
        conn.close()
        t1: dict[int, float] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (len(t1) < samples or not all(
                sink.arrival("raw", recipient(s)) for s in range(samples))):
            try:
                sample, moment = proposed.get(timeout=0.2)
                t1[sample] = moment
            except Exception:  # noqa: BLE001 - queue.Empty: look at the mail again
                pass
        return [(t0[s], t1.get(s), sink.arrival("raw", recipient(s))) for s in range(samples)]
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.terminate()
                worker.join(5)
        proposed.close()
        try:
            _delete(url)
        except Exception:  # noqa: BLE001 - the vhost is deleted anyway
            pass
