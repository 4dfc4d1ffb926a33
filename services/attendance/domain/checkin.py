"""Self check-in: the room screen shows a QR code whose code changes every minute.

A code is an HMAC of the session and the minute, so the server needs no table of issued
codes, and a photo of the screen sent to someone at home stops working within minutes.
A code stays valid for ``max_age`` from the start of its minute: with two minutes, the
current and the previous minute's codes are accepted, which covers a scan made just
before the code changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from datetime import datetime, timedelta

from .schedule import Session, local_time_text

CODE_PERIOD = timedelta(minutes=1)
DEFAULT_MAX_AGE = timedelta(minutes=2)
_CODE_BYTES = 9  # 72 bits, 12 URL-safe characters: unguessable within a couple of minutes


class CheckInRefused(Exception):
    """A check-in that must not be recorded, with texts to show to the participant."""

    def __init__(self, code: str, message_et: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_et = message_et
        self.message_en = message_en

    def message(self, language: str = "et") -> str:
        return self.message_en if language == "en" else self.message_et


INVALID_CODE = "invalid_code"
SESSION_NOT_STARTED = "session_not_started"
SESSION_ENDED = "session_ended"


def _minute_index(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive time would be read as the server's local time and shift every code.
        raise ValueError(f"check-in times must be timezone-aware, got {at!r}")
    return math.floor(at.timestamp() / CODE_PERIOD.total_seconds())


def _code_for_minute(secret: bytes, session_id: str, minute: int) -> str:
    if not secret:
        raise ValueError("a check-in secret is required")
    # Fixed-width minute first, so no (session id, minute) pair can spell another's message.
    message = minute.to_bytes(8, "big", signed=True) + session_id.encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:_CODE_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def checkin_code(secret: bytes, session_id: str, at: datetime) -> str:
    """The code to show for ``session_id`` during the minute containing ``at``."""
    return _code_for_minute(secret, session_id, _minute_index(at))


def verify_checkin_code(
    secret: bytes,
    session: Session,
    code: str,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> None:
    """Raise ``CheckInRefused`` unless ``code`` is a code of ``session`` from the last
    ``max_age`` and ``now`` lies within the session's hours [starts_at, ends_at)."""
    if max_age < CODE_PERIOD:
        raise ValueError("max_age must be at least one code period")
    if now < session.starts_at:
        raise CheckInRefused(
            SESSION_NOT_STARTED,
            f"Registreerimine algab koolituspäeva algusega kell {local_time_text(session.starts_at)}.",
            f"Check-in opens when the session starts at {local_time_text(session.starts_at)}.",
        )
    if session.has_ended(now):
        raise CheckInRefused(
            SESSION_ENDED,
            f"Koolituspäev lõppes kell {local_time_text(session.ends_at)}; registreerimine on suletud.",
            f"The session ended at {local_time_text(session.ends_at)}; check-in is closed.",
        )
    # A code is good for max_age from the start of its minute.
    oldest_accepted = _minute_index(now - max_age) + 1
    offered = code.encode("utf-8")
    matched = False
    # No early exit: every candidate is compared, so timing says nothing about which one matched.
    for minute in range(oldest_accepted, _minute_index(now) + 1):
        expected = _code_for_minute(secret, session.session_id, minute).encode("ascii")
        matched |= hmac.compare_digest(expected, offered)
    if not matched:
        raise CheckInRefused(
            INVALID_CODE,
            "Kood on vale või aegunud. Skaneerige ekraanil olev QR-kood uuesti.",
            "The code is wrong or has expired. Scan the QR code on the screen again.",
        )
