"""Delivering a built message: SMTP in production, .eml files in embedded mode.

Every failure is classified once, here, so the service only decides between "try again
later" (TemporaryDeliveryError) and "give up and tell a coordinator" (PermanentDeliveryError).
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
import threading
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

SECURITY_MODES = ("none", "starttls", "tls")

# Waits after the 1st, 2nd, … failed attempt; the last one repeats until MAX_ATTEMPTS.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
# Ten attempts span about a day and a half: an outage of the mail relay over a night or a
# weekend day loses nothing, while an e-mail nobody can deliver stops being retried.
MAX_ATTEMPTS = 10


class DeliveryError(Exception):
    def __init__(self, message: str, smtp_code: int | None = None):
        super().__init__(message)
        self.smtp_code = smtp_code


class TemporaryDeliveryError(DeliveryError):
    """Worth trying again later: the server was away, busy, or said 4xx."""


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help: the server refused this message or recipient (5xx)."""


def next_attempt_delay(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts; 0 before the first one."""
    if attempts < 0:
        raise ValueError("attempts cannot be negative")
    if attempts == 0:
        return timedelta(0)
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def should_retry(attempts: int) -> bool:
    """Whether a message that failed temporarily ``attempts`` times gets another attempt."""
    return attempts < MAX_ATTEMPTS


def _by_code(code: int | None, text: str) -> DeliveryError:
    if code is not None and 500 <= code < 600:
        return PermanentDeliveryError(text, code)
    return TemporaryDeliveryError(text, code)


def _reply(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip()


def classify(error: BaseException) -> DeliveryError:
    """Map what smtplib and the network raise while a message is sent onto temporary or permanent."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        text = "recipient refused: " + "; ".join(
            f"{address}: {_reply(code, message)}" for address, (code, message) in error.recipients.items()
        )
        # 4xx at RCPT is greylisting or a full mailbox: retry. Anything else is final.
        if codes and all(400 <= code < 500 for code in codes):
            return TemporaryDeliveryError(text, codes[0])
        return PermanentDeliveryError(text, codes[0] if codes else None)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        # While sending, this means the message needs SMTPUTF8 and the server lacks it.
        return PermanentDeliveryError(f"server cannot take this message: {error}")
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_code(error.smtp_code, _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryDeliveryError(f"server disconnected: {error}")
    if isinstance(error, TimeoutError):
        return TemporaryDeliveryError(f"timed out: {error}")
    if isinstance(error, OSError | smtplib.SMTPException):
        # Connection refused, DNS failure, TLS handshake, reset: the network, not the message.
        return TemporaryDeliveryError(f"{type(error).__name__}: {error}")
    raise TypeError(f"not a delivery failure: {error!r}") from error


class SmtpBackend:
    """SMTP delivery. Alone, each ``send`` opens and closes its own session; inside
    ``with backend.session():`` (one delivery run) sends share one session — no connect,
    EHLO, TLS handshake and login per message. A shared session is checked with NOOP
    before each reuse, renewed after ``MESSAGES_PER_SESSION`` (servers cap them), and
    dropped after any error, so a failure never leaks into the next message.
    """

    MESSAGES_PER_SESSION = 100

    def __init__(
        self,
        host: str,
        port: int,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ):
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {security!r}")
        if username and security == "none" and host not in ("localhost", "127.0.0.1", "::1"):
            # smtplib would happily send the password in clear over the network.
            raise ValueError("refusing to send SMTP credentials without TLS to a remote host")
        self.host = host
        self.port = int(port)
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self._held = threading.local()  # the session of this thread's delivery run, if any

    def __repr__(self) -> str:  # never the password
        return f"SmtpBackend({self.host}:{self.port}, security={self.security}, user={self.username!r})"

    @contextmanager
    def session(self):
        self._held.active, self._held.smtp, self._held.sent = True, None, 0
        try:
            yield self
        finally:
            self._drop()
            self._held.active = False

    def send(self, msg: EmailMessage) -> None:
        held = getattr(self._held, "active", False)
        try:
            smtp = self._reusable() if held else None
            if smtp is None:
                smtp = self._open()
                if held:
                    self._held.smtp, self._held.sent = smtp, 0
        except (smtplib.SMTPException, OSError) as error:
            # Connecting, TLS and login depend on our configuration and the server, never on
            # this message: even a 5xx here (a wrong password) must not fail it for good.
            raise TemporaryDeliveryError(
                f"could not open an SMTP session with {self.host}:{self.port}: {error}",
                getattr(error, "smtp_code", None),
            ) from error
        try:
            refused = smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as error:
            if held:
                self._drop()
            raise classify(error) from error
        finally:
            if not held:
                _close_quietly(smtp)
        if held:
            self._held.sent += 1
        if refused:
            # Only some recipients were refused; ours have one, but never report success for it.
            raise classify(smtplib.SMTPRecipientsRefused(refused))

    def _reusable(self) -> smtplib.SMTP | None:
        smtp = self._held.smtp
        if smtp is None:
            return None
        if self._held.sent < self.MESSAGES_PER_SESSION:
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
        self._drop()
        return None

    def _drop(self) -> None:
        smtp, self._held.smtp = getattr(self._held, "smtp", None), None
        if smtp is not None:
            _close_quietly(smtp)

    def _open(self) -> smtplib.SMTP:
        # Only TLS uses a context. Building the default one loads the system's CA store (tens of
        # milliseconds), which a plain session to a local relay must not pay on every message.
        context = None if self.security == "none" else self.ssl_context or ssl.create_default_context()
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, local_hostname=self.local_hostname,
                                    timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname,
                                timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _close_quietly(smtp: smtplib.SMTP) -> None:
    """The message is already accepted or already failed: a failing QUIT changes neither."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


class FileBackend:
    """Embedded mode: each message becomes ``<directory>/<message-id slug>.eml``.

    The name comes from the Message-ID, so sending the same message twice overwrites one
    file instead of showing a duplicate; the write is atomic, so a reader of the folder
    never sees half a message.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    @contextmanager
    def session(self):  # files need no session; the same interface as SmtpBackend
        yield self

    def send(self, msg: EmailMessage) -> Path:
        slug = message_id_slug(msg.get("Message-ID", ""))
        try:
            return self._write(f"{slug}.eml", msg.as_bytes())
        except OSError as error:  # a full or read-only disk: worth another attempt later
            raise TemporaryDeliveryError(f"could not write the message: {error}") from error

    def _write(self, name: str, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, self.directory / name)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return self.directory / name


def message_id_slug(message_id: str) -> str:
    """A file name from a Message-ID: no path separators, no leading dot, bounded length."""
    slug = re.sub(r"[^A-Za-z0-9._@-]+", "_", str(message_id).strip().strip("<>")).lstrip("._")[:200]
    if not slug:
        raise ValueError("the message has no Message-ID to name its file after")
    return slug
