"""The event contract (../shared/docs/EVENTS.md) as code: envelope, registry, payload schemas.

Importing this package registers every event type; producers and consumers both validate
against the same schemas.
"""
from shared.events import attendance, billing, enrolment, notify, reporting  # noqa: F401  (registers)
from shared.events.envelope import Envelope, new_envelope
from shared.events.registry import (
    REGISTRY,
    EventRejected,
    InvalidPayload,
    UnknownEventType,
    UnsupportedVersion,
    decode,
    encode,
    validate_payload,
)

__all__ = [
    "REGISTRY",
    "Envelope",
    "EventRejected",
    "InvalidPayload",
    "UnknownEventType",
    "UnsupportedVersion",
    "decode",
    "encode",
    "new_envelope",
    "validate_payload",
]
