"""What the system tests drive and watch from outside the running Programme.

- ``Api``: the services' HTTP APIs and pages, as a signed-in member of staff (a session
  cookie signed with the Programme's SECRET_KEY, as the gateway signs it) or as the public;
- ``Mailbox``: what the SMTP sink received, by the ``X-Notify-Template`` header, and the
  personal links in it;
- ``Bus``: whether every event published so far has been consumed and every e-mail sent, read
  from each service's own database (outbox, inbox, dead letters, notify's e-mails), so a
  test moves the shared clock on only once the effects of the last step are in;
- ``wait_until``: polling with a bounded timeout.
"""
from __future__ import annotations

import importlib
import re
import time
from collections import Counter

import pika
import psycopg
import requests
from flask import Flask

from services.__main__ import subscriptions
from shared import auth
from shared.config import SERVICES
from shared.messaging import topology
from shared.testing.harness import session_cookie

# Every service that handles some event (enrolment too, since it hears attendance's make-up rule).
CONSUMERS = tuple(service for service, keys in subscriptions().items() if keys)
PERSONAL_LINK = re.compile(r"/(enrolment|reporting|attendance|billing)/p/([A-Za-z0-9_.\-]+)")


def wait_until(predicate, *, timeout: float = 30, what, interval: float = 0.2):
    """Poll until ``predicate()`` is truthy and return its value; fail naming ``what`` (a text,
    or a function giving one, so the message shows the state at the time of failing)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {described} (last: {value!r})")
        time.sleep(interval)


# -- HTTP -----------------------------------------------------------------------------------------

def staff_cookie(secret_key: str, *roles: str) -> str:
    """A session cookie for a member of staff with these roles for every city."""
    app = Flask("system-test")
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_NAME=auth.SESSION_COOKIE)
    user = auth.StaffUser("u-system", "Süsteemi Test", "koordinaator@example.ee",
                          tuple(auth.Grant(role, None) for role in roles))
    return session_cookie(app, user)


class Api:
    """One browser-like client of every service (each on its own port, under /<service>)."""

    def __init__(self, programme, *roles: str, timeout: float = 30):
        self.programme = programme
        self.timeout = timeout
        self.http = requests.Session()
        if roles:
            self.http.cookies.set(auth.SESSION_COOKIE, staff_cookie(programme.secret_key, *roles),
                                  domain="127.0.0.1", path="/")

    def url(self, service: str, path: str) -> str:
        return self.programme.url(service, path)

    def get(self, service: str, path: str, **kw) -> requests.Response:
        return self.http.get(self.url(service, path), timeout=self.timeout, **kw)

    def post(self, service: str, path: str, json: dict | None = None, **kw) -> requests.Response:
        if "data" not in kw and "files" not in kw:
            kw["json"] = {} if json is None else json
        return self.http.post(self.url(service, path), timeout=self.timeout, allow_redirects=False, **kw)

    def put(self, service: str, path: str, json: dict) -> requests.Response:
        return self.http.put(self.url(service, path), json=json, timeout=self.timeout)

    def ok(self, response: requests.Response, status: int = 200):
        """The JSON body of a response that must have this status."""
        assert response.status_code == status, (response.status_code, response.request.method,
                                                response.url, response.text[:2000])
        return response.json()

    def csrf_token(self, service: str, path: str) -> str:
        html = self.get(service, path).text
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert found, f"no csrf_token on /{service}{path}"
        return found.group(1)


# -- e-mail ---------------------------------------------------------------------------------------

class Mailbox:
    """The SMTP sink's messages, counted by notify's template header."""

    def __init__(self, smtp):
        self.smtp = smtp

    def messages(self, template: str | None = None) -> list:
        found = list(self.smtp.messages)
        return [m for m in found if template is None or m.message["X-Notify-Template"] == template]

    def counts(self) -> Counter:
        return Counter(str(m.message["X-Notify-Template"]) for m in list(self.smtp.messages))

    def recipients(self, template: str) -> Counter:
        return Counter(r for m in self.messages(template) for r in m.recipients)

    def wait_for(self, expected: dict[str, int], timeout: float = 60) -> Counter:
        """Until each template has reached its count (more is caught by the exact checks)."""
        def reached():
            counts = self.counts()
            return counts if all(counts[t] >= n for t, n in expected.items()) else None
        return wait_until(reached, timeout=timeout, what=lambda: f"e-mails {expected}; have {dict(self.counts())}")

    def links(self, template: str, service: str) -> dict[str, str]:
        """Recipient → the token of the personal link to ``service`` in their e-mail."""
        tokens = {}
        for message in self.messages(template):
            found = [token for svc, token in PERSONAL_LINK.findall(message.text()) if svc == service]
            assert found, f"no /{service}/p/ link in a {template} e-mail"
            for recipient in message.recipients:
                tokens[recipient] = found[0]
        return tokens


# -- the bus --------------------------------------------------------------------------------------

def queues_declared(bus_url: str) -> bool:
    """True once every consuming worker has declared its queue: an event published before
    that would be routed nowhere (the Programme starts from deleted queues)."""
    conn = pika.BlockingConnection(pika.URLParameters(bus_url))
    try:
        for service in CONSUMERS:
            try:
                conn.channel().queue_declare(topology.queue_name(service), passive=True)
            except pika.exceptions.ChannelClosedByBroker:
                return False
        return True
    finally:
        conn.close()


class Bus:
    """Read-only counts in each service's database: is everything published consumed?"""

    def __init__(self, databases: dict[str, str]):
        self.connections = {name: psycopg.connect(url, autocommit=True) for name, url in databases.items()}
        self.handled = {name: set(importlib.import_module(f"services.{name}.entrypoints.subscriptions").HANDLERS)
                        for name in SERVICES}

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()

    def scalar(self, service: str, sql: str):
        return self.connections[service].execute(sql).fetchone()[0]

    def backlog(self, mail: bool = False) -> dict[str, int]:
        """What is still on its way: unpublished outbox rows per producer, events not yet
        consumed per consumer and, with ``mail``, e-mails not yet sent. Empty when quiet."""
        produced: Counter = Counter()
        pending: dict[str, int] = {}
        for service, conn in self.connections.items():
            for event_type, total, unpublished in conn.execute(
                    "SELECT event_type, count(*), count(*) FILTER (WHERE published_at IS NULL) "
                    "FROM outbox GROUP BY event_type"):
                produced[event_type] += total
                if unpublished:
                    pending[f"{service} outbox"] = pending.get(f"{service} outbox", 0) + unpublished
        for service in CONSUMERS:
            routed = sum(n for event_type, n in produced.items() if event_type in self.handled[service])
            consumed = self.scalar(service, "SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM dead_letters)")
            if consumed != routed:
                pending[f"{service} inbox"] = routed - consumed
        if mail:
            unsent = self.scalar("notify", "SELECT count(*) FROM emails WHERE status IN ('waiting', 'queued', 'sending')")
            if unsent:
                pending["notify e-mails"] = unsent
        return pending

    def wait_quiet(self, timeout: float = 60, mail: bool = False) -> None:
        """Until every event is consumed (and, with ``mail``, every e-mail sent). Sending
        otherwise goes on in the background: when an e-mail leaves changes nothing else."""
        wait_until(lambda: not self.backlog(mail), timeout=timeout, interval=0.15,
                   what=lambda: f"the Programme to go quiet (backlog {self.backlog(mail)})")

    def emails(self) -> Counter:
        """The e-mails notify has created so far (sent or not), by template."""
        return Counter(dict(self.connections["notify"].execute(
            "SELECT template, count(*) FROM emails GROUP BY template")))

    def wait_for_emails(self, expected: dict[str, int], timeout: float = 60) -> None:
        """Until notify has created at least these e-mails (a reminder is created by its tick)."""
        wait_until(lambda: all(self.emails()[t] >= n for t, n in expected.items()), timeout=timeout,
                   what=lambda: f"notify to create {expected}; has {dict(self.emails())}")

    def dead_letters(self) -> dict[str, list]:
        return {s: rows for s in CONSUMERS if (rows := self.connections[s].execute(
            "SELECT event_type, reason, left(error, 300) FROM dead_letters").fetchall())}

    def email_statuses(self) -> dict[str, int]:
        return dict(self.connections["notify"].execute("SELECT status, count(*) FROM emails GROUP BY status"))
