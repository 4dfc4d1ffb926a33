"""The consumer's cheap validation loads exactly what marshmallow loads, and refuses the same."""
import datetime
import json
import uuid
from unittest import mock

import pytest
from marshmallow import Schema, ValidationError, fields, validate

import shared.events  # noqa: F401 - registers every event type
from shared.events.envelope import EnvelopeSchema
from shared.events.registry import decode, fast_load, schema_for


class Plain(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=5))
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    flag = fields.Boolean(load_default=False)
    day = fields.Date(required=True)
    at = fields.AwareDateTime(load_default=None)
    naive_ok = fields.DateTime(load_default=None)
    ref = fields.UUID(load_default=None)
    email = fields.Email(load_default="")
    extra = fields.Dict(load_default=dict)
    maybe = fields.String(allow_none=True, load_default=None)
    odd = fields.String(load_default="", validate=lambda v: v != "no")


GOOD = {"name": "abc", "count": 2, "day": "2019-04-11"}
CASES = [
    GOOD,
    {**GOOD, "flag": True, "at": "2019-04-11T10:00:00+03:00", "ref": str(uuid.uuid4()),
     "email": "a@b.ee", "extra": {"k": [1]}, "maybe": None, "naive_ok": "2019-04-11T10:00:00"},
    {**GOOD, "ref": str(uuid.uuid4()).upper().replace("-", "")},  # loaded into the same UUID
    {**GOOD, "count": "2"}, {**GOOD, "count": 2.0}, {**GOOD, "count": True}, {**GOOD, "count": 4},
    {**GOOD, "flag": "true"}, {**GOOD, "flag": 1}, {**GOOD, "flag": "maybe"},
    {**GOOD, "name": "a"}, {**GOOD, "name": 5}, {**GOOD, "name": None}, {**GOOD, "maybe": 3},
    {**GOOD, "day": "20190411"}, {**GOOD, "day": "2019-02-30"}, {**GOOD, "day": 20190411},
    {**GOOD, "at": "2019-04-11T10:00:00"}, {**GOOD, "at": "soon"}, {**GOOD, "ref": "not-a-uuid"},
    {**GOOD, "email": "nope"}, {**GOOD, "extra": []}, {**GOOD, "odd": "no"},
    {**GOOD, "unknown": 1}, {"count": 2, "day": "2019-04-11"}, [], "x", None,
]


def outcome(load, data):
    try:
        return "ok", load(data)
    except ValidationError as exc:
        return "refused", exc.messages


@pytest.mark.parametrize("data", CASES)
def test_fast_load_agrees_with_marshmallow(data):
    schema = Plain()
    assert outcome(lambda d: fast_load(schema, d), data) == outcome(Plain().load, data)


def test_plainly_valid_input_does_not_reach_marshmallow():
    schema = Plain()
    with mock.patch.object(schema, "load", side_effect=AssertionError("slow path")):
        assert fast_load(schema, dict(CASES[1]))["ref"] == uuid.UUID(CASES[1]["ref"])
        with pytest.raises(AssertionError):
            fast_load(schema, {**GOOD, "count": "2"})  # not plainly valid: marshmallow decides


def _body(**changes):
    envelope = {"event_id": str(uuid.uuid4()), "event_type": "attendance.attendance.recorded",
                "schema_version": 1, "occurred_at": "2019-04-11T07:00:00+00:00", "producer": "attendance",
                "correlation_id": "c-1", "causation_id": None,
                "payload": {"participant_id": "p-1", "session_id": "s-1", "city": "Tartu", "day_number": 1,
                            "date": "2019-04-11", "present": True, "make_up": False}}
    envelope.update(changes)
    return json.dumps(envelope).encode()


@pytest.mark.parametrize("changes", [
    {}, {"correlation_id": "x" * 65}, {"correlation_id": "bad id"}, {"occurred_at": "2019-04-11T07:00:00"},
    {"schema_version": 0}, {"event_id": "nope"}, {"causation_id": 5}, {"payload": []}, {"producer": None},
    {"payload": {"participant_id": "p-1", "session_id": "s-1", "city": "Tartu", "day_number": 4,
                 "date": "2019-04-11", "present": True, "make_up": False}},
])
def test_decode_loads_the_envelope_as_marshmallow_does(changes):
    body = _body(**changes)
    raw = json.loads(body)
    expected_env = outcome(EnvelopeSchema().load, raw)
    got_env = outcome(lambda d: fast_load(EnvelopeSchema(), d), raw)
    assert got_env == expected_env
    if expected_env[0] == "ok":
        expected_payload = outcome(schema_for(raw["event_type"]).__class__().load, raw["payload"])
        assert outcome(lambda d: fast_load(schema_for(raw["event_type"]), d), raw["payload"]) == expected_payload
        if expected_payload[0] == "ok":
            assert decode(body).data == expected_payload[1]


def _long_way(schema, payload):
    """What publishing did before ``checked_dump``: dump, through JSON, load, dump again."""
    data = schema.load(json.loads(json.dumps(schema.dump(payload))))
    return schema.dump(data), data


def _attempt(produce, payload):
    try:
        return "ok", produce(payload)
    except ValidationError as exc:
        return "refused", exc.messages
    except Exception as exc:  # noqa: BLE001 - both ways must fail alike on what they cannot dump
        return "error", type(exc)


@pytest.mark.parametrize("payload", CASES + [
    {**GOOD, "count": 2.7}, {**GOOD, "name": 123}, {**GOOD, "flag": "yes"},
    {**GOOD, "ref": uuid.uuid4()}, {**GOOD, "day": datetime.date(2019, 4, 11)},
    {**GOOD, "at": datetime.datetime(2019, 4, 11, 7, tzinfo=datetime.UTC)},
    {**GOOD, "at": datetime.datetime(2019, 4, 11, 7)},
])
def test_publishing_checks_and_dumps_a_payload_as_the_long_way_did(payload):
    from shared.events.registry import checked_dump
    assert _attempt(lambda p: checked_dump(Plain(), p), payload) == _attempt(lambda p: _long_way(Plain(), p), payload)


def test_every_event_type_publishes_the_wire_form_the_long_way_gave():
    """The catalogue's own schemas, plain and not, on one payload each built from their fields."""
    import datetime as dt
    from decimal import Decimal

    from shared.events.registry import REGISTRY, checked_dump

    def value(field):
        samples = {fields.UUID: uuid.uuid4(), fields.Integer: 2, fields.Boolean: True,
                   fields.Date: dt.date(2019, 4, 11), fields.AwareDateTime: dt.datetime(2019, 4, 11, 7, tzinfo=dt.UTC),
                   fields.DateTime: dt.datetime(2019, 4, 11, 7, tzinfo=dt.UTC), fields.Decimal: Decimal("12.50"),
                   fields.Dict: {"k": "v"}}
        if isinstance(field, fields.Email):
            return "kati@example.ee"
        if isinstance(field, fields.String):
            choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
            return next(iter(choices[0])) if choices else "Tartu"
        for base, sample in samples.items():
            if isinstance(field, base):
                return sample
        return None

    compared = 0
    for event_type in REGISTRY:
        schema = schema_for(event_type)
        payload = {name: value(field) for name, field in schema.fields.items()}
        payload = {k: v for k, v in payload.items() if v is not None}
        expected = _attempt(lambda p, s=schema: _long_way(s.__class__(), p), payload)
        assert _attempt(lambda p, s=schema: checked_dump(s, p), payload) == expected, event_type
        compared += expected[0] == "ok"
    assert compared >= 5  # some types load from these made-up payloads, not only refuse them


def test_the_envelope_is_encoded_as_its_schema_dumps_it():
    import datetime as dt

    from shared.events.envelope import Envelope
    from shared.events.registry import encode
    for occurred_at, causation in ((dt.datetime(2019, 4, 11, 7, 0, 0, 123, tzinfo=dt.UTC), None),
                                   (dt.datetime(2019, 4, 11, 10, tzinfo=dt.timezone(dt.timedelta(hours=3))), "c-0")):
        envelope = Envelope(str(uuid.uuid4()).upper(), "attendance.attendance.recorded", 1, occurred_at, "attendance",
                            "c-1", causation, {"participant_id": "p-1", "nested": {"a": [1, "ü"]}})
        expected = EnvelopeSchema().dump({k: getattr(envelope, k) for k in EnvelopeSchema().fields})
        assert json.loads(encode(envelope)) == expected
