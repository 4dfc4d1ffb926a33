"""The outbox relay: publishes unsent rows in order, marks them sent once confirmed."""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import BigInteger, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from shared import clock
from shared.db import Database
from shared.messaging.publishers import OutgoingMessage, publisher_for
from shared.messaging.tables import OUTBOX_CHANNEL, MessagingTables

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, db: Database, tables: MessagingTables, bus_url: str, *,
                 batch: int = 500, confirm_timeout: float = 5.0, idle_wait: float = 0.1, metrics=None):
        self.db = db
        self.outbox = tables.outbox
        self.publisher = publisher_for(bus_url, confirm_timeout)
        self.batch = batch
        self.idle_wait = idle_wait
        self.metrics = metrics
        self.wakeup = threading.Event()

    def relay_once(self) -> int:
        """Publish one batch; return how many rows the broker confirmed."""
        query = select(self.outbox.c.id, self.outbox.c.event_id, self.outbox.c.event_type,
                       self.outbox.c.correlation_id, self.outbox.c.body) \
            .where(self.outbox.c.published_at.is_(None)).order_by(self.outbox.c.id).limit(self.batch)
        if self.db.dialect == "postgresql":
            # Several relay copies share the outbox without publishing a row twice at once.
            query = query.with_for_update(skip_locked=True)
        with self.db.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return 0
            confirmed = self.publisher.publish([
                OutgoingMessage(r.id, r.event_id, r.event_type, r.correlation_id, r.body.encode())
                for r in rows])
            if confirmed:
                if self.db.dialect == "postgresql":
                    # One array parameter, not an IN list of up to 500: the statement's text
                    # stays the same, so the driver parses and prepares it once.
                    sent = self.outbox.c.id == any_(bindparam("ids", confirmed, type_=ARRAY(BigInteger)))
                else:
                    sent = self.outbox.c.id.in_(confirmed)
                conn.execute(update(self.outbox).where(sent).values(published_at=clock.now()))
        if self.metrics is not None:
            self.metrics.events_published.inc(len(confirmed))
        return len(confirmed)

    def run(self, stop: threading.Event, heartbeat: Callable[[], None] | None = None) -> None:
        """Relay until ``stop``; ``heartbeat`` is called after every outbox query that went
        through (shared/heartbeat.py), so it stops while the broker or the database is away."""
        listener = None
        if self.db.dialect == "postgresql":
            # Rows committed by other processes (the web's requests) wake the loop at once;
            # the poll below stays the fallback for whatever a notification misses.
            listener = OutboxListener(self.db, self.wakeup)
            listener.start(stop)
        backoff = 0.2
        while not stop.is_set():
            try:
                sent = self.relay_once()
                backoff = 0.2
                if heartbeat is not None:
                    heartbeat()
                if not sent:
                    self.wakeup.wait(self.idle_wait)
                    self.wakeup.clear()
            except Exception as exc:  # noqa: BLE001 - broker or database away: wait and retry
                log.warning("relay failed, retrying", extra={"error": str(exc), "retry_in": backoff})
                self.publisher.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self.publisher.close()
        if listener is not None:
            listener.join()

    def backlog(self) -> int:
        from sqlalchemy import func
        with self.db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self.outbox)
                                .where(self.outbox.c.published_at.is_(None))).scalar_one()


class OutboxListener:
    """``LISTEN outbox`` on a connection of its own: each notification sets ``wakeup``.

    The outbox's trigger (``create_outbox_notify_trigger``) notifies at the commit of any
    transaction that inserted rows. The connection is autocommit and outside the engine's
    pool; lost (a database restart, ``pg_terminate_backend``), it is opened again with a
    backoff, and on its return the relay is woken for what was committed in between. It
    never raises into the relay: one warning per outage, then the poll carries on alone.
    """

    APPLICATION_NAME = "outbox-listener"  # how to find it in pg_stat_activity

    def __init__(self, db: Database, wakeup: threading.Event, *, check_stop: float = 0.5,
                 max_backoff: float = 5.0):
        self.db = db
        self.wakeup = wakeup
        self.check_stop = check_stop  # how long a notifies() wait lasts before stop is checked
        self.max_backoff = max_backoff
        self.conn = None
        self._thread: threading.Thread | None = None

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(target=self.run, args=(stop,), name="outbox-listener", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _connect(self):
        import psycopg
        engine = self.db.engine
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs.setdefault("connect_timeout", 5)
        kwargs.setdefault("application_name", self.APPLICATION_NAME)
        conn = psycopg.connect(*args, **kwargs, autocommit=True)
        try:
            conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
        except BaseException:
            conn.close()
            raise
        return conn

    def run(self, stop: threading.Event) -> None:
        backoff, outage = 0.2, False
        while not stop.is_set():
            try:
                self.conn = self._connect()
                if outage:
                    log.info("outbox listener reconnected", extra={"service": self.db.service})
                    outage = False
                backoff = 0.2
                self.wakeup.set()  # rows committed while nobody listened
                while not stop.is_set():
                    for _notify in self.conn.notifies(timeout=self.check_stop):
                        self.wakeup.set()
            except Exception as exc:  # noqa: BLE001 - database away: the poll covers, retry
                if not outage:
                    log.warning("outbox listener has no connection; the relay polls until it is back",
                                extra={"service": self.db.service, "error": str(exc)})
                    outage = True
                else:
                    log.debug("outbox listener still down", extra={"error": str(exc), "retry_in": backoff})
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            finally:
                if self.conn is not None:
                    with contextlib.suppress(Exception):  # already broken
                        self.conn.close()
                    self.conn = None
        self.wakeup.set()  # a relay waiting out its poll sees the stop now


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
