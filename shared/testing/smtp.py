"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests."""
from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from shared.testing.processes import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part else ""


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    messages: list[Received] = field(default_factory=list)
    # Answer the next N messages with this temporary failure (e.g. "451 try later").
    fail_next: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self._lock:
            if self.fail_next:
                return self.fail_next.pop(0)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
