"""Drive one service in a test: its HTTP API, the events it receives and the ones it publishes.

    h = ServiceHarness("billing", database_url, bus_url)
    h.login("finance")                       # a signed staff session, as the gateway makes it
    h.deliver("attendance.participant.dropped_out", {...})   # through decode + inbox + handler
    h.published("billing.claim.proposed")    # what it wrote to its outbox
    h.relay()                                # publish the outbox to the bus
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field

from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from shared import auth, clock
from shared.config import Settings
from shared.events.envelope import new_envelope
from shared.events.registry import encode, prepare, spec_for
from shared.kit import ServiceKit


@dataclass
class FakeMessage:
    """Stands in for a kombu message in ``ConsumerWorker.process``."""
    body: bytes
    headers: dict = field(default_factory=dict)
    properties: dict = field(default_factory=dict)
    delivery_info: dict = field(default_factory=dict)
    content_type: str = "application/json"
    acked: bool = False
    requeued: bool = False

    def ack(self):
        self.acked = True

    def requeue(self):
        self.requeued = True


class ServiceHarness:
    def __init__(self, service: str, database_url: str, bus_url: str, *, migrate: bool = True, **settings):
        """``migrate=False`` for a database already at head (a copy of a migrated template)."""
        self.service = service
        self.module = importlib.import_module(f"services.{service}.app")
        self.settings = Settings.from_env(service, database_url=database_url, bus_url=bus_url, **settings)
        self.kit: ServiceKit = self.module.bootstrap(self.settings)
        if migrate:
            self.kit.db.migrate()
        self.app = self.module.create_app(test_config={"TESTING": True}, kit=self.kit)
        self.client = self.app.test_client()
        self.consumer = self.kit.consumer()

    # -- HTTP -----------------------------------------------------------------------------
    def login(self, *grants: str, name: str = "Test User", email: str = "staff@example.ee"):
        """Sign in with grants like "coordinator" or "trainer:Tartu" (as the gateway would)."""
        from gateway.accounts import parse_grants
        user = auth.StaffUser("u-" + email, name, email, parse_grants(list(grants)))
        cookie = session_cookie(self.app, user)
        self.client.set_cookie(auth.SESSION_COOKIE, cookie, path="/")
        return user

    def logout(self):
        self.client.delete_cookie(auth.SESSION_COOKIE, path="/")

    def csrf_token(self, path: str) -> str:
        """Fetch a form page and return its CSRF token (for form posts in tests)."""
        import re
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if not match:
            raise AssertionError(f"no csrf_token on {path}")
        return match.group(1)

    # -- events in ------------------------------------------------------------------------
    def envelope(self, event_type: str, payload: dict, **kw):
        spec = spec_for(event_type)
        wire, _ = prepare(event_type, payload)
        return new_envelope(event_type, wire, producer=spec.producer, schema_version=spec.version, **kw)

    def deliver(self, event_type: str | None = None, payload: dict | None = None, *, envelope=None,
                body: bytes | None = None) -> FakeMessage:
        """Hand one message to the service's consumer (decode, inbox, handler, commit, settle)."""
        if body is None:
            envelope = envelope or self.envelope(event_type, payload)
            body = encode(envelope)
        message = FakeMessage(body, properties={"message_id": getattr(envelope, "event_id", None)})
        outcomes = self.consumer.process([message])
        for outcome in outcomes:
            if outcome.kind == "failed":
                raise AssertionError(f"handler failed: {outcome.error}")
            if outcome.kind == "rejected":
                raise AssertionError(f"message rejected: {outcome.error}")
            outcome.message.ack()
        return message

    # -- events out -----------------------------------------------------------------------
    def published(self, event_type: str | None = None) -> list[dict]:
        """Envelopes (as dicts) this service wrote to its outbox, oldest first."""
        outbox = self.kit.tables.outbox
        query = select(outbox.c.body).order_by(outbox.c.id)
        if event_type:
            query = query.where(outbox.c.event_type == event_type)
        with self.kit.db.engine.connect() as conn:
            return [json.loads(body) for (body,) in conn.execute(query)]

    def payloads(self, event_type: str) -> list[dict]:
        return [e["payload"] for e in self.published(event_type)]

    def relay(self) -> int:
        total = 0
        while sent := self.kit.relay().relay_once():
            total += sent
        return total

    def tick(self):
        self.kit.tick()

    def set_now(self, moment):
        clock.set_now(moment)

    def close(self):
        self.kit.relay().publisher.close()
        self.kit.db.engine.dispose()


def session_cookie(app, user: auth.StaffUser, epoch: int = 0) -> str:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    grants = [[g.role, list(g.cities) if g.cities is not None else None] for g in user.grants]
    return serializer.dumps({"uid": user.user_id, "name": user.name, "email": user.email, "grants": grants,
                             "exp": int(clock.now().timestamp()) + 3600 * 24 * 365 * 20, "epoch": epoch,
                             "_permanent": True})
