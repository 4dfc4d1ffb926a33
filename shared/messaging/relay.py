"""The outbox relay: publishes unsent rows in order, marks them sent once confirmed."""
from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import BigInteger, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from shared import clock
from shared.db import Database
from shared.messaging.publishers import OutgoingMessage, publisher_for
from shared.messaging.tables import MessagingTables

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

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                sent = self.relay_once()
                backoff = 0.2
                if not sent:
                    self.wakeup.wait(self.idle_wait)
                    self.wakeup.clear()
            except Exception as exc:  # noqa: BLE001 - broker or database away: wait and retry
                log.warning("relay failed, retrying", extra={"error": str(exc), "retry_in": backoff})
                self.publisher.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self.publisher.close()

    def backlog(self) -> int:
        from sqlalchemy import func
        with self.db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self.outbox)
                                .where(self.outbox.c.published_at.is_(None))).scalar_one()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
