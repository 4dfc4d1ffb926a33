"""What every service is made of besides its domain: database, outbox, relay, consumer, tick.

``ServiceKit`` is the composition root's shared half; a service's ``bootstrap`` builds one
with its own metadata, migrations, handlers and periodic jobs. Tests build it with their
own settings (a temporary database, the embedded bus).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import MetaData

from shared.config import Settings
from shared.db import Database
from shared.messaging.consumer import ConsumerWorker, Handler
from shared.messaging.outbox import Outbox
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables
from shared.observability import Metrics

log = logging.getLogger(__name__)

Tick = Callable[["ServiceKit"], None]


class ServiceKit:
    def __init__(self, settings: Settings, metadata: MetaData, tables: MessagingTables, migrations: Path,
                 handlers: dict[str, Handler], ticks: list[Tick] | None = None, tick_interval: float | None = None,
                 tick_on_events: bool = False):
        self.settings = settings
        self.name = settings.service
        self.db = Database(settings.database_url, metadata, migrations, settings.service)
        self.tables = tables
        self.outbox = Outbox(self.db, tables, settings.service)
        self.handlers = handlers
        self.ticks = ticks or []
        self.tick_interval = tick_interval if tick_interval is not None else settings.tick_interval
        self.metrics = Metrics(settings.service)
        self._relay: OutboxRelay | None = None
        # tick_on_events: a consumed batch runs the ticks now, not at the next interval
        # (notify: an e-mail queued by an event leaves at once, not up to a tick later).
        self.tick_on_events = tick_on_events
        self._tick_now = threading.Event()

    def unit_of_work(self, correlation_id: str | None = None):
        return self.outbox.unit_of_work(correlation_id)

    def relay(self) -> OutboxRelay:
        if self._relay is None:
            s = self.settings
            self._relay = OutboxRelay(self.db, self.tables, s.bus_url, batch=s.relay_batch,
                                      confirm_timeout=s.confirm_timeout, metrics=self.metrics)
        return self._relay

    def consumer(self) -> ConsumerWorker:
        s = self.settings
        return ConsumerWorker(self.name, self.db, self.tables, self.handlers, s.bus_url,
                              prefetch=s.prefetch, batch=s.consume_batch, handler_attempts=s.handler_attempts,
                              delivery_limit=s.broker_delivery_limit, confirm_timeout=s.confirm_timeout,
                              metrics=self.metrics, on_committed=self._events_committed)

    def _events_committed(self) -> None:
        """A consumed batch committed: what it published and queued needs no poll to be seen."""
        if self._relay is not None:
            self._relay.wakeup.set()
        if self.tick_on_events:
            self._tick_now.set()

    def tick(self) -> None:
        """Run every periodic job once. Each job is idempotent and catches up by itself."""
        for job in self.ticks:
            try:
                job(self)
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                log.exception("tick failed", extra={"service": self.name, "job": job.__name__})

    def run_ticks(self, stop: threading.Event, heartbeat: Callable[[], None] | None = None) -> None:
        """Tick every ``tick_interval`` until ``stop``; ``heartbeat`` is called while waiting
        for the next run (shared/heartbeat.py), so it stops while a run does not end."""
        beat = heartbeat or (lambda: None)
        while not stop.is_set():
            beat()
            self._tick_now.clear()
            self.tick()
            deadline = time.monotonic() + self.tick_interval
            while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                beat()
                if self._tick_now.wait(min(remaining, 0.5)):  # 0.5: how soon a stop is noticed
                    break
