"""The consumer's cheap validation loads exactly what marshmallow loads, and refuses the same."""
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
