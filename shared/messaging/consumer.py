"""The consumer worker: batches of messages, one transaction per batch, inbox dedupe.

Per batch: every message gets a savepoint; its inbox row (INSERT … ON CONFLICT DO NOTHING)
and its handler's effects commit together with the batch; a duplicate inserts nothing and
is skipped. Messages are acked only after the commit. A message that breaks the contract
is dead-lettered at once; one whose handler raises — or whose effects or events the
database refuses (a unique key, a value too long) — is retried and dead-lettered after
``handler_attempts``, without disturbing the other messages of its batch. Only the
database being away (a connection error) holds the whole batch back, retried until it is
back.

A worker process that crashes hands every message it had in flight back to the broker,
which counts a delivery for each (x-delivery-limit): a message that crashes the worker
every time would take its prefetched neighbours to the limit with it. So on RabbitMQ each
(re)connection starts cautiously, one message in flight at a time, while the broker hands
back redeliveries; the first fresh message restores the full prefetch.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from amqp.transport import TCPTransport
from kombu import Consumer, Exchange, Producer
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update

from shared import clock
from shared.db import Database
from shared.events.envelope import Envelope
from shared.events.registry import EventRejected, decode
from shared.messaging import topology
from shared.messaging.connection import connect, is_rabbitmq
from shared.messaging.outbox import UnitOfWork, attach, discard_pending, pending_mark, write_pending
from shared.messaging.tables import MessagingTables, claim_inbox, insert_ignoring_duplicates
from shared.observability import correlation

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope], None]


@dataclass
class _Outcome:
    message: object
    kind: str  # ok | duplicate | rejected | failed
    error: str = ""
    event_type: str | None = None


def _no_heartbeat() -> None:
    pass


def _cut(value, length: int):
    return None if value is None else str(value)[:length]


def _redelivered(message) -> bool:
    """Handed back by the broker: maybe by a worker that crashed on it."""
    return bool(message.delivery_info.get("redelivered") or (message.headers or {}).get("x-delivery-count"))


def read_ahead(conn) -> None:
    """Let py-amqp's socket reads take what has arrived, up to 4 KiB, not one piece at a time.

    py-amqp asks the socket for exactly each frame's 7-byte header, its body and its end
    byte: nine ``recv`` calls a message, a sixth of a consumer's CPU. Its transport keeps
    whatever a read brings beyond the asked size in its buffer for the next frame, so a
    bigger read changes nothing but the number of system calls. (Only the plain TCP
    transport: TLS reads go through their own path.)
    """
    transport = getattr(conn.connection, "_transport", None)
    if type(transport) is TCPTransport and getattr(transport, "_quick_recv", None) is not None:
        recv = transport.sock.recv
        transport._quick_recv = lambda n: recv(n if n > 4096 else 4096)


def database_away(exc: BaseException) -> bool:
    """A connection-type error: retry the batch later. Anything else is the message's fault.

    (On SQLite "database is locked" is an OperationalError too: waiting is right for it.)
    """
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                            sa_exc.TimeoutError))


class ConsumerWorker:
    def __init__(self, service: str, db: Database, tables: MessagingTables, handlers: dict[str, Handler],
                 bus_url: str, *, prefetch: int = 200, batch: int = 100, handler_attempts: int = 5,
                 delivery_limit: int = 20, confirm_timeout: float = 5.0, metrics=None,
                 on_committed: Callable[[], None] | None = None):
        self.service = service
        self.db = db
        attach(db)  # handlers publish through the outbox of this database
        self.tables = tables
        self.handlers = handlers
        self.bus_url = bus_url
        self.prefetch = prefetch
        self.batch = batch
        self.handler_attempts = handler_attempts
        self.delivery_limit = delivery_limit
        self.confirm_timeout = confirm_timeout
        self.metrics = metrics
        self.on_committed = on_committed  # e.g. wake this process's relay: the batch may have published
        self.on_rabbitmq = is_rabbitmq(bus_url)
        self._attempts: dict[tuple, int] = {}  # where the broker does not count deliveries
        self.ready = threading.Event()
        self._heartbeat: Callable[[], None] = _no_heartbeat

    # -- topology -------------------------------------------------------------------------
    def queues(self):
        return topology.service_queues(self.service, sorted(self.handlers), self.delivery_limit,
                                       self.on_rabbitmq)

    def declare(self, conn) -> None:
        topology.declare(conn.default_channel, self.service, sorted(self.handlers), self.delivery_limit,
                         self.on_rabbitmq)

    # -- the loop -------------------------------------------------------------------------
    def run(self, stop: threading.Event, heartbeat: Callable[[], None] | None = None) -> None:
        """Consume until ``stop``; ``heartbeat`` is called on every turn of the receive loop
        (shared/heartbeat.py), so it stops while the bus is lost or a batch hangs."""
        self._heartbeat = heartbeat or _no_heartbeat
        backoff = 0.2
        while not stop.is_set():
            conn = connect(self.bus_url, self.confirm_timeout)
            try:
                conn.ensure_connection(max_retries=1)
                self._consume(conn, stop)
                backoff = 0.2
            except Exception as exc:  # noqa: BLE001 - broker away: reconnect with backoff
                if self.ready.is_set():  # it was consuming: a new outage starts at the short wait
                    backoff = 0.2
                self.ready.clear()
                log.warning("consumer lost the bus, reconnecting",
                            extra={"service": self.service, "error": repr(exc), "retry_in": backoff})
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                try:
                    conn.release()
                except Exception:  # noqa: BLE001  # nosec B110 # releasing a lost connection is best effort
                    pass

    def _consume(self, conn, stop: threading.Event) -> None:
        self.declare(conn)
        if self.on_rabbitmq:
            read_ahead(conn)
        work, dead = self.queues()
        work_channel, dead_channel = conn.channel(), conn.channel()
        cautious = self.on_rabbitmq  # quorum queues deliver returned messages first
        work_channel.basic_qos(0, 1 if cautious else self.prefetch, False)
        dead_channel.basic_qos(0, 50, False)
        buffer: list = []
        dead_buffer: list = []
        self._dead_producer = Producer(conn.channel(), exchange=topology.dead_exchange())
        self._replay_producer = Producer(conn.channel(), exchange=Exchange(""))
        with Consumer(work_channel, [work], on_message=buffer.append, no_ack=False) as work_consumer, \
                Consumer(dead_channel, [dead], on_message=dead_buffer.append, no_ack=False):
            self.ready.set()
            last_replay_check = 0.0
            while not stop.is_set():
                self._heartbeat()
                self._fill(conn, buffer, stop)
                if cautious and buffer and not _redelivered(buffer[0]):
                    # Past what a crash left behind. The prefetch is fixed at basic.consume:
                    # consume anew (the message in hand stays ours, unacked, meanwhile).
                    work_consumer.cancel()
                    work_channel.basic_qos(0, self.prefetch, False)
                    work_consumer.consume()
                    cautious = False
                    self._fill(conn, buffer, stop, held=len(buffer))  # its batch forms as without the caution
                if buffer:  # one drain can bring more than a batch: the rest waits its turn
                    batch, buffer[:] = buffer[:self.batch], buffer[self.batch:]
                    self._process_until_committed(batch, stop)
                if dead_buffer:
                    batch, dead_buffer[:] = list(dead_buffer), []
                    self._record_dead(batch)
                if time.monotonic() - last_replay_check > 1.0:
                    self._replay_requested()
                    last_replay_check = time.monotonic()
                if self.on_rabbitmq:
                    conn.heartbeat_check()

    def _fill(self, conn, buffer: list, stop: threading.Event, held: int = 0) -> None:
        deadline = time.monotonic() + 0.05
        while len(buffer) < self.batch and not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                # Wait for a first message; after it, only take what has arrived already: a
                # batch forms under load, and a lone event is not held back for the window.
                conn.drain_events(timeout=min(remaining, 0.002) if len(buffer) > held else remaining)
            except TimeoutError:
                return

    # -- a batch --------------------------------------------------------------------------
    def _process_until_committed(self, batch: list, stop: threading.Event) -> None:
        """Retry the batch while the database is away; the messages stay unacked meanwhile."""
        backoff = 0.2
        while True:
            try:
                outcomes = self.process(batch)
                break
            except Exception as exc:  # noqa: BLE001 - only database_away gets here (see process)
                if stop.is_set():
                    raise
                log.warning("batch not committed, retrying", extra={"service": self.service, "error": repr(exc)})
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        self._settle(outcomes)
        if self.on_committed is not None and any(o.kind == "ok" for o in outcomes):
            self.on_committed()

    def process(self, batch: list) -> list[_Outcome]:
        """Handle a batch in one transaction; return what to do with each message."""
        rejected, decoded = [], []
        for message in batch:
            try:
                envelope = decode(message.body)
                if envelope.event_type not in self.handlers:
                    raise EventRejected(f"{self.service} has no handler for {envelope.event_type}")
                decoded.append((message, envelope))
            except EventRejected as exc:
                rejected.append(_Outcome(message, "rejected", str(exc)))
        if not decoded:
            return rejected
        try:
            return rejected + self._process_fast(decoded)
        except Exception as exc:  # noqa: BLE001
            if database_away(exc):
                raise
            # A handler raised, or the database refused the batch's writes at its commit:
            # redo the batch with a savepoint per message, so only the failing one is held
            # back. Failures are rare; the fast path has no savepoints.
        try:
            return rejected + self._process_isolated(decoded)
        except Exception as exc:  # noqa: BLE001
            if database_away(exc):
                raise
            # Refused only at COMMIT (a deferred constraint), past every savepoint: last
            # resort, a transaction per message.
            log.warning("batch refused at commit, one message at a time",
                        extra={"service": self.service, "error": repr(exc)})
        return rejected + self._process_one_by_one(decoded)

    def _process_fast(self, decoded: list) -> list[_Outcome]:
        outcomes = []
        inbox = self.tables.inbox
        now = clock.now()
        with self.db.transaction() as session:
            # One statement claims the whole batch in the inbox; RETURNING says which are new.
            fresh = claim_inbox(session, inbox, self.db.dialect,
                                [(e.event_id, e.event_type) for _, e in decoded], now)
            for message, envelope in decoded:
                if envelope.event_id not in fresh:
                    outcomes.append(_Outcome(message, "duplicate", event_type=envelope.event_type))
                    continue
                fresh.discard(envelope.event_id)  # the same event twice in one batch
                token = correlation.set(envelope.correlation_id)
                try:  # an error here or at the commit (outbox rows, flush) rolls the batch back
                    self.handlers[envelope.event_type](
                        UnitOfWork(session, self.tables, self.service, cause=envelope), envelope)
                finally:
                    correlation.reset(token)
                outcomes.append(_Outcome(message, "ok", event_type=envelope.event_type))
        return outcomes

    def _process_isolated(self, decoded: list) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        inbox = self.tables.inbox
        with self.db.transaction() as session:
            for message, envelope in decoded:
                token = correlation.set(envelope.correlation_id)
                mark = pending_mark(session)
                savepoint = session.begin_nested()
                try:
                    # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT inserts.
                    inserted = session.execute(insert_ignoring_duplicates(inbox, self.db.dialect).values(
                        event_id=envelope.event_id, event_type=envelope.event_type,
                        processed_at=clock.now()).returning(inbox.c.event_id)).first()
                    if inserted is None:
                        savepoint.commit()
                        outcomes.append(_Outcome(message, "duplicate", event_type=envelope.event_type))
                        continue
                    self.handlers[envelope.event_type](
                        UnitOfWork(session, self.tables, self.service, cause=envelope), envelope)
                    # Flush the effects and insert the events inside the savepoint, not at the
                    # batch's commit: what the database refuses is this message's failure.
                    # Each message writes its own rows, so the outbox keeps publish order.
                    session.flush()
                    write_pending(session)
                    savepoint.commit()
                    outcomes.append(_Outcome(message, "ok", event_type=envelope.event_type))
                except Exception as exc:  # noqa: BLE001 - a handler's bug must not stop the queue
                    if database_away(exc):
                        raise  # not this message's fault: the whole batch waits
                    savepoint.rollback()
                    discard_pending(session, mark)
                    log.exception("handler failed", extra={"service": self.service,
                                                           "event_type": envelope.event_type,
                                                           "event_id": envelope.event_id})
                    outcomes.append(_Outcome(message, "failed", f"{exc!r}\n{traceback.format_exc(limit=5)}",
                                             envelope.event_type))
                finally:
                    correlation.reset(token)
        return outcomes

    def _process_one_by_one(self, decoded: list) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        for message, envelope in decoded:
            try:
                outcomes += self._process_isolated([(message, envelope)])
            except Exception as exc:  # noqa: BLE001
                if database_away(exc):
                    raise  # those committed already are duplicates when the batch is retried
                log.exception("commit refused", extra={"service": self.service, "event_type": envelope.event_type,
                                                       "event_id": envelope.event_id})
                outcomes.append(_Outcome(message, "failed", f"{exc!r}\n{traceback.format_exc(limit=5)}",
                                         envelope.event_type))
        return outcomes

    def _settle(self, outcomes: list[_Outcome]) -> None:
        if self.on_rabbitmq and outcomes and all(o.kind in ("ok", "duplicate") for o in outcomes):
            # The common case: one frame acks the whole batch (all earlier tags are settled).
            if self.metrics is not None:
                self.metrics.events_consumed.labels("ok").inc(len(outcomes))
            outcomes[-1].message.ack(multiple=True)
            return
        for o in outcomes:
            if self.metrics is not None:
                self.metrics.events_consumed.labels(o.kind).inc()
            if o.kind in ("ok", "duplicate"):
                o.message.ack()
            elif o.kind == "rejected":
                self._dead_letter(o.message, o.error, "rejected", 1)
                o.message.ack()
            else:
                attempts = self._attempt(o.message)
                if attempts >= self.handler_attempts:
                    self._dead_letter(o.message, o.error, "handler_failed", attempts)
                    o.message.ack()
                else:
                    o.message.requeue()

    def _attempt(self, message) -> int:
        count = (message.headers or {}).get("x-delivery-count")
        if count is not None:  # quorum queues count redeliveries
            return int(count) + 1
        key = (message.properties.get("message_id"), (message.headers or {}).get("x-replay", 0))
        self._attempts[key] = self._attempts.get(key, 0) + 1
        return self._attempts[key]

    def _dead_letter(self, message, error: str, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update({"x-error": error[:4000], "x-reason": reason, "x-attempts": attempts,
                        "x-original-routing-key": message.delivery_info.get("routing_key", "")})
        self._dead_producer.publish(
            message.body, routing_key=topology.dead_queue_name(self.service), headers=headers,
            content_type=message.content_type or "application/json", content_encoding="utf-8",
            delivery_mode=2, message_id=message.properties.get("message_id"),
            type=message.properties.get("type"))
        log.error("message dead-lettered", extra={"service": self.service, "reason": reason,
                                                  "error": error.splitlines()[0] if error else ""})

    # -- dead letters ---------------------------------------------------------------------
    def _record_dead(self, batch: list) -> None:
        table = self.tables.dead_letters
        with self.db.transaction() as session:
            for message in batch:
                headers = message.headers or {}
                reason = headers.get("x-reason")
                error = headers.get("x-error")
                if reason is None:  # dead-lettered by the broker itself
                    deaths = headers.get("x-death") or [{}]
                    reason = str(deaths[0].get("reason", "delivery_limit"))
                    error = f"dead-lettered by the broker ({reason})"
                body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
                session.execute(table.insert().values(  # cut to the columns: a dead letter is stored whatever it says
                    message_id=_cut(message.properties.get("message_id"), 64),
                    event_type=_cut(message.properties.get("type"), 120),
                    body=body.decode("utf-8", errors="replace"), error=error or "", reason=reason,
                    attempts=int(headers.get("x-attempts", 0) or 0), dead_at=clock.now(), status="dead"))
        for message in batch:
            message.ack()

    def _replay_requested(self) -> None:
        table = self.tables.dead_letters
        with self.db.transaction() as session:
            rows = session.execute(select(table).where(table.c.status == "replay").limit(100)).all()
            for row in rows:
                self._replay_producer.publish(
                    row.body.encode(), routing_key=topology.queue_name(self.service),
                    content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                    message_id=row.message_id, type=row.event_type, headers={"x-replay": row.id})
                session.execute(update(table).where(table.c.id == row.id)
                                .values(status="replayed", resolved_at=clock.now()))
