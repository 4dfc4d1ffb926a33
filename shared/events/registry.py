"""Every event type with its payload schema and version; encoding and validation."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import RAISE, Schema, ValidationError, fields, missing
from marshmallow.validate import Validator

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


# -- validation on the consumer's hot path ---------------------------------------------------
# marshmallow's load costs ~60 µs a message (envelope + payload), a third of a consumer's CPU.
# A schema made only of plain fields is "compiled" into a loader that does what marshmallow
# does for input that is plainly valid (the same conversions, the fields' own validators)
# and hands everything else — a missing field, a wrong type, a failing validator, an unknown
# key — to marshmallow itself, which then accepts or rejects it with its own messages. So
# the fast path never accepts what marshmallow would refuse, nor loads it differently
# (tests/unit/events/test_fast_load.py compares the two).

class _Slow(Exception):
    """Not plainly valid: let marshmallow decide."""


def _str(value):
    if type(value) is str:
        return value
    raise _Slow


def _int(value):
    if type(value) is int:  # marshmallow also takes "3" and 3.0: those go the slow way
        return value
    raise _Slow


def _bool(value):
    if value is True or value is False:
        return value
    raise _Slow


def _from_iso(parse):
    def convert(value):
        if type(value) is not str:
            raise _Slow
        try:
            return parse(value)
        except ValueError:
            raise _Slow from None
    return convert


def _aware(value):
    parsed = _iso_datetime(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _Slow  # AwareDateTime: naive is refused (or given a default zone) by marshmallow
    return parsed


def _uuid(value):
    if type(value) is not str:
        raise _Slow
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _Slow from None


def _dict(value):
    if type(value) is dict:
        return dict(value)
    raise _Slow


_iso_datetime = _from_iso(dt.datetime.fromisoformat)
_iso_date = _from_iso(dt.date.fromisoformat)
_ISO = (None, "iso", "iso8601")


def _converter(field: fields.Field):
    """The fast conversion for a field marshmallow loads the plain way, else None."""
    kind = type(field)
    if kind.deserialize is not fields.Field.deserialize or kind._validate is not fields.Field._validate \
            or field.data_key is not None or field.attribute is not None or "." in (field.name or ".") \
            or field.pre_load or field.post_load:
        return None
    impl = kind._deserialize
    if impl is fields.String._deserialize:  # also Email, Currency: their checks are validators
        return _str
    if impl is fields.Number._deserialize and kind._validated is fields.Integer._validated \
            and kind._format_num is fields.Number._format_num and kind.num_type is int:
        return _int
    if impl is fields.Boolean._deserialize and field.truthy is fields.Boolean.truthy \
            and field.falsy is fields.Boolean.falsy:  # the defaults hold True and False
        return _bool
    if kind in (fields.Date, fields.DateTime) and field.format in _ISO:
        return _iso_date if kind is fields.Date else _iso_datetime
    if kind is fields.AwareDateTime and field.format in _ISO:
        return _aware
    if impl is fields.UUID._deserialize and kind._validated is fields.UUID._validated:
        return _uuid
    if kind is fields.Dict and field.key_field is None and field.value_field is None:
        return _dict
    return None  # Decimal, Nested, List, custom fields: marshmallow does the whole schema


def _compile(schema: Schema):
    """A loader equivalent to ``schema.load`` for plainly valid input, or None."""
    if any(schema._hooks.values()) or schema.unknown != RAISE or schema.many or schema.partial:
        return None
    steps = []
    for name, field in schema.load_fields.items():
        convert = _converter(field)
        if convert is None:
            return None
        steps.append((name, convert, tuple(field.validators), field.required, field.load_default,
                      field.allow_none))
    names = frozenset(schema.load_fields)

    def load(data):
        if type(data) is not dict or not names.issuperset(data):
            raise _Slow  # unknown keys are refused by marshmallow, with its message
        out = {}
        for name, convert, validators, required, default, allow_none in steps:
            value = data.get(name, missing)
            if value is missing:
                if required:
                    raise _Slow
                if default is not missing:
                    out[name] = default() if callable(default) else default
                continue
            if value is None:
                if not allow_none:
                    raise _Slow
                out[name] = None
                continue
            value = convert(value)
            for check in validators:
                try:
                    if check(value) is False and not isinstance(check, Validator):
                        raise _Slow
                except ValidationError:
                    raise _Slow from None
            out[name] = value
        return out
    return load


def _loader_of(schema: Schema):
    loader = schema.__dict__.get("_fast_loader", missing)
    if loader is missing:  # compiled once per schema instance (they are cached: schema_for)
        loader = schema._fast_loader = _compile(schema)
    return loader


def fast_load(schema: Schema, data) -> dict:
    """``schema.load(data)``, cheaper for plainly valid input; raises ValidationError."""
    loader = _loader_of(schema)
    if loader is not None:
        try:
            return loader(data)
        except _Slow:
            pass
    return schema.load(data)


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
        data = fast_load(schema, payload)
    except ValidationError as exc:
        raise InvalidPayload(f"{event_type}: {exc.messages}") from None
    # The wire form is the payload as received unless an upcaster rewrote it.
    return (payload if upcast is None else schema.dump(data)), data


def prepare(event_type: str, payload: dict) -> tuple[dict, dict]:
    """Producer side: accept Python objects, return (wire payload, loaded data)."""
    try:
        return checked_dump(schema_for(event_type), payload)
    except ValidationError as exc:
        raise InvalidPayload(f"{event_type}: {exc.messages}") from None


def checked_dump(schema: Schema, payload: dict) -> tuple[dict, dict]:
    """(wire form, loaded data) of ``payload``: what a consumer will load, checked as it will be.

    A schema of plain fields loads its own dump back to the same values and dumps those to
    the same wire form, so one dump and the cheap load do (a sheet publishes 45 events);
    any other schema goes the long way: dump, through JSON, load, dump again.
    """
    wire = schema.dump(payload)
    if _loader_of(schema) is not None:
        data = fast_load(schema, wire)
        # Load defaults travel too, as the long way's second dump wrote them.
        return (wire if len(data) == len(wire) else schema.dump(data)), data
    data = schema.load(json.loads(json.dumps(wire)))
    return schema.dump(data), data


def encode(envelope: Envelope) -> bytes:
    """The message body: ``EnvelopeSchema``'s dump, written directly (every publish pays it)."""
    return json.dumps({
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "schema_version": int(envelope.schema_version),
        "occurred_at": envelope.occurred_at.isoformat(),
        "producer": envelope.producer,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "payload": envelope.payload,
    }, separators=(",", ":")).encode()


def decode(body: bytes | str) -> Envelope:
    """Parse and validate a message body; raise EventRejected for anything off-contract."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventRejected(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise EventRejected("envelope is not a JSON object")
    try:
        env = fast_load(_envelope_schema, raw)
    except ValidationError as exc:
        raise EventRejected(f"bad envelope: {exc.messages}") from None
    wire, data = validate_payload(env["event_type"], env["payload"], env["schema_version"])
    return Envelope(
        event_id=str(env["event_id"]), event_type=env["event_type"],
        schema_version=REGISTRY[env["event_type"]].version, occurred_at=env["occurred_at"],
        producer=env["producer"], correlation_id=env["correlation_id"],
        causation_id=env["causation_id"], payload=wire, data=data)
