"""The envelope every event travels in."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from shared import clock


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
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
        payload=payload,
    )


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=3, max=120))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)
