"""Every event type with its payload schema and version; encoding and validation."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import Schema, ValidationError

from shared.events.envelope import Envelope, EnvelopeSchema


class EventRejected(Exception):
    """A message that can never be handled: it goes to the dead-letter queue, not back."""


class UnknownEventType(EventRejected):
    pass


class UnsupportedVersion(EventRejected):
    pass


class InvalidPayload(EventRejected):
    pass


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    producer: str
    schema: type[Schema]
    version: int
    description: str


REGISTRY: dict[str, EventSpec] = {}
# (event_type, from_version) -> function turning that payload into version+1.
UPCASTERS: dict[tuple[str, int], Callable[[dict], dict]] = {}


def event(event_type: str, *, version: int = 1):
    """Class decorator registering a payload schema; its docstring documents the event."""
    def register(schema: type[Schema]) -> type[Schema]:
        if event_type in REGISTRY:
            raise ValueError(f"event type registered twice: {event_type}")
        REGISTRY[event_type] = EventSpec(
            event_type, event_type.split(".", 1)[0], schema, version, (schema.__doc__ or "").strip())
        return schema
    return register


def upcaster(event_type: str, from_version: int):
    def register(fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
        UPCASTERS[(event_type, from_version)] = fn
        return fn
    return register


_schemas: dict[str, Schema] = {}
_envelope_schema = EnvelopeSchema()


def schema_for(event_type: str) -> Schema:
    """One schema instance per type: building a marshmallow schema costs more than loading."""
    schema = _schemas.get(event_type)
    if schema is None:
        schema = _schemas[event_type] = spec_for(event_type).schema()
    return schema


def spec_for(event_type: str) -> EventSpec:
    try:
        return REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def validate_payload(event_type: str, payload: dict, version: int | None = None) -> tuple[dict, dict]:
    """Return (wire payload, loaded data); raise EventRejected when it breaks the contract."""
    spec = spec_for(event_type)
    version = spec.version if version is None else version
    upcast = None
    while version < spec.version:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnsupportedVersion(f"{event_type} v{version}: no upcaster to v{spec.version}")
        payload, version = step(payload), version + 1
        upcast = True
    if version != spec.version:
        raise UnsupportedVersion(f"{event_type} v{version}: this code knows v{spec.version}")
    schema = schema_for(event_type)
    try:
        data = schema.load(payload)
    except ValidationError as exc:
        raise InvalidPayload(f"{event_type}: {exc.messages}") from None
    # The wire form is the payload as received unless an upcaster rewrote it.
    return (payload if upcast is None else schema.dump(data)), data


def prepare(event_type: str, payload: dict) -> tuple[dict, dict]:
    """Producer side: accept Python objects, return (wire payload, loaded data)."""
    schema = schema_for(event_type)
    try:
        wire = json.loads(json.dumps(schema.dump(payload)))
        data = schema.load(wire)
    except ValidationError as exc:
        raise InvalidPayload(f"{event_type}: {exc.messages}") from None
    return schema.dump(data), data


def encode(envelope: Envelope) -> bytes:
    return json.dumps(_envelope_schema.dump({
        "event_id": envelope.event_id,
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "occurred_at": envelope.occurred_at,
        "producer": envelope.producer,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "payload": envelope.payload,
    }), separators=(",", ":")).encode()


def decode(body: bytes | str) -> Envelope:
    """Parse and validate a message body; raise EventRejected for anything off-contract."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventRejected(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise EventRejected("envelope is not a JSON object")
    try:
        env = _envelope_schema.load(raw)
    except ValidationError as exc:
        raise EventRejected(f"bad envelope: {exc.messages}") from None
    wire, data = validate_payload(env["event_type"], env["payload"], env["schema_version"])
    return Envelope(
        event_id=str(env["event_id"]), event_type=env["event_type"],
        schema_version=REGISTRY[env["event_type"]].version, occurred_at=env["occurred_at"],
        producer=env["producer"], correlation_id=env["correlation_id"],
        causation_id=env["causation_id"], payload=wire, data=data)
