"""The envelope every event travels in."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from shared import clock

# A correlation id travels in every log line and outbox row (String(64)): a uuid, or an id
# from outside (X-Correlation-ID) of the same sane shape — never anything longer.
# \A…\Z: marshmallow's Regexp uses match(), which alone would let a long id's sane start pass.
CORRELATION_ID = re.compile(r"\A[A-Za-z0-9._:-]{1,64}\Z")


def sane_correlation_id(value: str | None) -> str | None:
    """``value`` if it has the shape of a correlation id, else None."""
    return value if value and CORRELATION_ID.fullmatch(value) else None


@dataclass(frozen=True)
class Envelope:
    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime
    producer: str
    correlation_id: str
    causation_id: str | None
    # Wire form (JSON-ready) of the payload; ``data`` holds it loaded by the schema.
    payload: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def new_envelope(event_type: str, payload: dict, *, producer: str, schema_version: int,
                 correlation_id: str | None = None, causation_id: str | None = None) -> Envelope:
    event_id = str(uuid.uuid4())
    return Envelope(
        event_id=event_id,
        event_type=event_type,
        schema_version=schema_version,
        occurred_at=clock.now(),
        producer=producer,
        # Never publish what every consumer would refuse (see EnvelopeSchema).
        correlation_id=sane_correlation_id(correlation_id) or event_id,
        causation_id=causation_id,
        payload=payload,
    )


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=3, max=120))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True, validate=validate.Regexp(
        CORRELATION_ID, error="not a correlation id: 1-64 of A-Z a-z 0-9 . _ : -"))
    causation_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)
