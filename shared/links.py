"""Personal links: signed, expiring tokens naming a purpose and a subject (a participant).

Any service can build a link to another's public page, because the path is part of the
contract: ``/<service>/p/<token>``. The purpose is the signing salt, so a token for one
purpose is worthless for another.
"""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from shared import clock

PURPOSE_SERVICE = {
    "confirm": "enrolment",   # a member confirms the conditions
    "esf": "reporting",       # a participant gives ESF data
    "checkin": "attendance",  # a participant checks in at a session
    "invoice": "billing",     # an employer downloads an invoice PDF
}


class LinkInvalid(Exception):
    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class _ClockSigner(TimestampSigner):
    """Signs and checks expiry on the system clock, so moving the clock ages links too."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"personal-link:{purpose}", signer=_ClockSigner)


def make_token(secret: str, purpose: str, subject: str) -> str:
    return _serializer(secret, purpose).dumps(subject)


def read_token(secret: str, purpose: str, token: str, max_age: int) -> str:
    try:
        return _serializer(secret, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkInvalid(expired=True) from None
    except BadSignature:
        raise LinkInvalid(expired=False) from None


def personal_url(base_url: str, secret: str, purpose: str, subject: str) -> str:
    service = PURPOSE_SERVICE[purpose]
    return f"{base_url}/{service}/p/{make_token(secret, purpose, subject)}"


def subject_of_url(secret: str, url: str) -> tuple[str, str] | None:
    """(purpose, subject) of a personal link this system signed, whatever its age; None for
    anything else. Lets a link quoted in an event be signed afresh for a later e-mail."""
    path = url.split("?", 1)[0].rstrip("/")
    head, sep, token = path.rpartition("/p/")
    if not sep or not token:
        return None
    service = head.rsplit("/", 1)[-1]
    for purpose, owner in PURPOSE_SERVICE.items():
        if owner == service:
            try:
                return purpose, _serializer(secret, purpose).loads(token)
            except BadSignature:
                continue  # another purpose of the same service may have signed it
    return None
