"""Notify test fixtures: a real SMTP server (aiosmtpd) on loopback, and notify wired to it."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from shared.testing.harness import ServiceHarness


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def template(self) -> str:
        return self.message["X-Notify-Template"]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class RecordingHandler:
    """Keeps every accepted message; ``refuse`` queues replies (451…, 550…) for the next ones."""

    def __init__(self):
        self.received: list[Received] = []
        self.refusals: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusals:
            return self.refusals.pop(0)
        raw = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message_from_bytes(raw, policy=policy.default), raw))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    def __init__(self, controller: Controller, handler: RecordingHandler):
        self.controller = controller
        self.handler = handler
        self.port = controller.port

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse_next(self, *replies: str) -> None:
        self.handler.refusals.extend(replies)

    def of(self, template: str) -> list[Received]:
        return [m for m in self.received if m.template == template]

    def to(self, address: str, template: str | None = None) -> list[Received]:
        return [m for m in self.received if address in m.rcpt_tos and (template is None or m.template == template)]

    def clear(self) -> None:
        self.handler.received.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()


def smtp_settings(smtp: SmtpServer, **more) -> dict:
    """Notify configured as production is, by NOTIFY_*/SMTP_* settings (Settings.extra)."""
    return {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none",
            "mail_from": "programm@example.ee", "mail_from_name": "Koosloome arenguprogramm",
            "contact_name": "Kadri Kask", "contact_email": "arenguprogramm@example.ee", **more}


@pytest.fixture
def notify(stack, smtp):
    """A notify harness on the stack, sending to the test's SMTP server."""
    harnesses = []

    def make(database_url: str | None = None, **more) -> ServiceHarness:
        if database_url is None:
            h = stack.harness("notify", extra=smtp_settings(smtp, **more))
        else:  # a "restart": a new process on the same database
            h = ServiceHarness("notify", database_url, stack.bus_url, extra=smtp_settings(smtp, **more))
        harnesses.append(h)
        return h

    yield make
    for h in harnesses:
        h.close()

