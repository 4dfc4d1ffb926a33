"""Attendance JSON API (documented in /attendance/openapi.json).

Endpoints only translate: input → a use case → output. City-scoped staff see and mark only
their cities' sessions (403 otherwise); refusals come back as 422 (409/404) with the
reason in ``message``, ``errors`` per field and a stable ``reason`` code.
"""
from __future__ import annotations

import functools
from http import HTTPStatus

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.attendance.domain.makeup import WINDOWS, MakeUpRule
from services.attendance.entrypoints import common
from services.attendance.service_layer import attendance, queries, rules
from services.attendance.service_layer.common import Refused, SheetInvalid
from shared import auth, clock, i18n

blp = Blueprint("attendance_api", __name__, url_prefix="/api",
                description="Session days, attendance sheets, make-up sessions, dropouts and completion")
STAFF = ("coordinator", "trainer")
SECURITY = [{"staffSession": []}]


# -- schemas ------------------------------------------------------------------------------------

class SessionOut(Schema):
    session_id = fields.String()
    group_id = fields.String()
    city = fields.String()
    day_number = fields.Integer()
    date = fields.String(metadata={"description": "dd.mm.yyyy, Europe/Tallinn"})
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    venue = fields.String()
    seats = fields.Integer(allow_none=True)


class SheetLineOut(Schema):
    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    organisation = fields.String()
    group_id = fields.String(allow_none=True)
    city = fields.String()
    make_up = fields.Boolean()
    present = fields.Boolean(allow_none=True, metadata={"description": "null: not recorded yet"})
    source = fields.String(allow_none=True, metadata={"description": "sheet | api | self_check_in"})
    recorded_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when the mark was made "
                                                                               "(a self check-in: when they scanned)"})


class SheetOut(Schema):
    session = fields.Nested(SessionOut)
    lines = fields.List(fields.Nested(SheetLineOut))
    changed = fields.List(fields.String(), metadata={"description": "participants whose mark this request changed"})


class MarkOut(Schema):
    """The answer to one mark: the participant's line only (the whole sheet is
    ``GET /api/sessions/<id>``)."""
    session_id = fields.String()
    line = fields.Nested(SheetLineOut, metadata={"description": "the participant's line as this request "
                                                                "committed it"})
    changed = fields.List(fields.String(), metadata={"description": "[participant_id] if this request changed "
                                                                    "the mark, else []"})


class MarkIn(Schema):
    participant_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    present = fields.Boolean(required=True, truthy={True}, falsy={False})  # JSON true/false only


class SheetIn(Schema):
    marks = fields.List(fields.Nested(MarkIn), required=True, validate=validate.Length(max=500))


class MakeUpIn(Schema):
    participant_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class MakeUpOut(Schema):
    participant_id = fields.String()
    session_id = fields.String()
    day_number = fields.Integer()
    booked_by = fields.String()
    booked_at = fields.AwareDateTime()


class AuditOut(Schema):
    participant_id = fields.String()
    participant_name = fields.String()
    session_id = fields.String()
    old_present = fields.Boolean(allow_none=True)
    new_present = fields.Boolean()
    source = fields.String()
    actor = fields.String()
    actor_name = fields.String()
    at = fields.AwareDateTime()


class MakeUpOptionOut(Schema):
    session_id = fields.String()
    city = fields.String()
    date = fields.String()


class DayOut(Schema):
    day_number = fields.Integer()
    state = fields.String(metadata={"description": "attended | made_up | absent_open | missed | upcoming"})
    session_id = fields.String()
    date = fields.String()
    recorded = fields.Boolean(allow_none=True)
    before_joining = fields.Boolean(metadata={
        "description": "the own session had begun before the participant joined the team (a substitute) and "
                       "nothing is recorded for them there: a missed day, to be made up"})
    made_up_at = fields.Nested(MakeUpOptionOut, allow_none=True)
    open_make_ups = fields.List(fields.Nested(MakeUpOptionOut))
    unrecorded_make_ups = fields.List(fields.Nested(MakeUpOptionOut), metadata={
        "description": "booked make-up sessions over with nothing recorded for the participant: "
                       "the day waits for their sheet"})
    last_chance_ends_at = fields.AwareDateTime(allow_none=True)


class StandingOut(Schema):
    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    organisation = fields.String()
    group_id = fields.String()
    city = fields.String()
    status = fields.String(metadata={"description": "active | withdrawn | substituted"})
    outcome = fields.String(metadata={"description": "completed | dropped_out | at_risk | in_progress | not_recorded (a missed day nobody recorded, at home or at a booked make-up) | unknown | substituted (replaced by another member; the days as they stood then)"})
    joined_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when a substitution brought the participant into the team (null: with it from the acceptance)"})
    substituted_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when a substitution replaced the participant"})
    reason = fields.String(allow_none=True)
    days_attended = fields.Integer(allow_none=True)
    days = fields.List(fields.Nested(DayOut))


class OverviewOut(Schema):
    group_id = fields.String()
    city = fields.String()
    sessions = fields.List(fields.Nested(SessionOut))
    participants = fields.List(fields.Nested(StandingOut))


class RefusalOut(Schema):
    """The shared error body, plus a stable reason code when a rule refused the request."""
    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Dict(metadata={"description": "messages per input field"})
    reason = fields.String(metadata={"description": "e.g. session_not_started, before_own_session, "
                                                    "after_own_next_day, make_ups_not_allowed (the edition's "
                                                    "make-up rule), session_full, already_attended, "
                                                    "already_made_up, already_booked (409)"})


WINDOW_TEXT = ("before_own_next_day: a session of the same day with another group before the own group's "
               "next day (day III: any later day-III session), the brochure's rule; any_later_same_day: any "
               "later session of the same day number with another group")


class MakeUpRuleIn(Schema):
    make_ups_allowed = fields.Boolean(required=True, truthy={True}, falsy={False}, metadata={
        "description": "false: no make-ups, a missed day is lost when the own group's session ends"})
    window = fields.String(required=True, validate=validate.OneOf(WINDOWS), metadata={
        "description": f"{WINDOW_TEXT} (kept while make-ups are off)"})


class MakeUpRuleValues(Schema):
    make_ups_allowed = fields.Boolean()
    window = fields.String()


class MakeUpRuleChangeOut(Schema):
    old = fields.Nested(MakeUpRuleValues)
    new = fields.Nested(MakeUpRuleValues)
    actor = fields.String()
    actor_name = fields.String()
    at = fields.AwareDateTime()


class MakeUpRuleOut(Schema):
    edition_id = fields.String()
    year = fields.Integer()
    make_ups_allowed = fields.Boolean()
    window = fields.String(metadata={"description": WINDOW_TEXT})
    brochure_rule = fields.Boolean(metadata={"description": "true: the brochure's rule (every edition's default)"})
    description = fields.String(metadata={"description": "the rule in a sentence, in the request's language"})
    changed_by = fields.String(allow_none=True, metadata={"description": "null: never changed"})
    changed_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(MakeUpRuleChangeOut), metadata={"description": "newest first"})
    changed = fields.Boolean(metadata={"description": "PUT: whether this request changed the rule"})
    reinstated = fields.Integer(metadata={"description": "PUT: participants the change reinstated"})
    dropped_out = fields.Integer(metadata={"description": "PUT: participants the change dropped out"})


def refusals(*codes: int):
    """Document the refusal bodies an endpoint may answer with."""
    texts = {404: "No such session, group, participant or edition", 409: "Conflicts with the current state",
             422: "Invalid input, or refused by a rule (see reason)"}

    def decorate(view):
        for status in codes:
            view = blp.alt_response(status, schema=RefusalOut, description=texts[status])(view)
        return view
    return decorate


# -- helpers ------------------------------------------------------------------------------------

def refused(exc: Refused):
    """The shared error body, plus the refusal's stable ``reason`` code."""
    message = exc.message(i18n.select_locale())
    body = {"code": exc.status, "status": HTTPStatus(exc.status).phrase.lower().replace(" ", "_"),
            "message": message, "reason": exc.code, "errors": {exc.field or "_": [message]}}
    response = jsonify(body)
    response.status_code = exc.status
    return response


def sheet_invalid(exc: SheetInvalid):
    language = i18n.select_locale()
    body = {"code": 422, "status": "unprocessable_entity",
            "message": "Lehte ei salvestatud." if language == "et" else "The sheet was not saved.",
            "errors": {"marks": {pid: [r.message(language)] for pid, r in exc.errors.items()}}}
    response = jsonify(body)
    response.status_code = 422
    return response


def _session_out(s) -> dict:
    return {"session_id": s.session_id, "group_id": s.group_id, "city": s.city, "day_number": s.day_number,
            "date": common.date_text(s.starts_at), "starts_at": s.starts_at, "ends_at": s.ends_at,
            "venue": s.venue, "seats": s.seats}


def _line_out(line) -> dict:
    record = line.record
    return {"participant_id": line.participant_id, "first_name": line.participant.first_name,
            "last_name": line.participant.last_name, "organisation": line.organisation,
            "group_id": line.group_id, "city": line.city, "make_up": line.make_up,
            "present": record.present if record else None, "source": record.source if record else None,
            "recorded_at": record.recorded_at if record else None}


def _sheet_out(view, changed=()) -> dict:
    return {"session": _session_out(view.session), "changed": list(changed),
            "lines": [_line_out(line) for line in view.lines]}


def _option(s) -> dict:
    return {"session_id": s.session_id, "city": s.city, "date": s.date_text}


def standing_out(row: queries.Row) -> dict:
    p, standing = row.participant, row.standing
    days = []
    for d in standing.days if standing else ():
        days.append({"day_number": d.day_number, "state": d.state.value, "session_id": d.own_session.session_id,
                     "date": d.own_session.date_text, "recorded": d.own_record,
                     "before_joining": d.before_joining,
                     "made_up_at": _option(d.made_up_at) if d.made_up_at else None,
                     "open_make_ups": [_option(s) for s in d.open_make_ups],
                     "unrecorded_make_ups": [_option(s) for s in d.unrecorded_make_ups],
                     "last_chance_ends_at": d.last_chance_ends_at})
    return {"participant_id": p.participant_id, "first_name": p.first_name, "last_name": p.last_name,
            "organisation": row.organisation, "group_id": row.group_id, "city": row.city, "status": p.status,
            "outcome": row.outcome, "reason": row.reason, "joined_at": p.joined_at, "substituted_at": p.substituted_at,
            "days_attended": standing.days_attended if standing else None, "days": days}


def _may_change(target) -> None:
    auth.require_city(auth.current_user(), target.city, *STAFF)


def _staff_session(db, session_id):
    target = queries.session(db, session_id)
    _may_change(target)
    return target


def session_in_scope(view):
    """The city check comes before the body is read: another city's session is 403 (an
    unknown one 404), whatever was sent. The use case checks again on the row it locks (and
    is all a whole-edition user needs: no extra read for them)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if common.user_cities() is None:
            return view(*args, **kwargs)
        try:
            with common.reading() as db:
                _staff_session(db, kwargs["session_id"])
        except Refused as exc:
            return refused(exc)
        return view(*args, **kwargs)
    return wrapped


# -- routes ---------------------------------------------------------------------------------------

@blp.route("/sessions")
@auth.requires(*STAFF, scoped=True)
@blp.response(200, SessionOut(many=True))
@blp.doc(security=SECURITY)
def list_sessions():
    """Sessions in the cities the user may see."""
    with common.reading() as db:
        return [_session_out(s) for s in queries.sessions(db, common.user_cities())]


@blp.route("/sessions/<session_id>")
@auth.requires(*STAFF, scoped=True)
@blp.response(200, SheetOut)
@refusals(404)
@blp.doc(security=SECURITY)
def get_sheet(session_id: str):
    """The session's attendance sheet: its group's participants and make-ups, with their marks."""
    try:
        with common.reading() as db:
            return _sheet_out(queries.sheet(db, _staff_session(db, session_id)))
    except Refused as exc:
        return refused(exc)


@blp.route("/sessions/<session_id>/attendance", methods=["PUT"])
@auth.requires(*STAFF, scoped=True)
@session_in_scope
@blp.arguments(SheetIn)
@blp.response(200, SheetOut)
@refusals(404, 422)
@blp.doc(security=SECURITY)
def put_sheet(body: dict, session_id: str):
    """Save the whole sheet. Participants left out keep their marks; an unchanged mark
    writes nothing and publishes nothing; a changed one is audited and published."""
    marks = [(m["participant_id"], m["present"]) for m in body["marks"]]
    try:
        # The city scope is checked on the session row the use case locks (one read of it).
        saved = attendance.save_sheet(common.kit(), session_id, marks, common.actor("api"), authorize=_may_change)
        return _sheet_out(saved.sheet, saved.changed)
    except SheetInvalid as exc:
        return sheet_invalid(exc)
    except Refused as exc:
        return refused(exc)


@blp.route("/sessions/<session_id>/attendance", methods=["POST"])
@auth.requires(*STAFF, scoped=True)
@session_in_scope
@blp.arguments(MarkIn)
@blp.response(200, MarkOut)
@refusals(404, 422)
@blp.doc(security=SECURITY)
def post_mark(body: dict, session_id: str):
    """Mark one participant; the answer is their line. Someone from another group marked
    present is booked as a make-up first (the make-up rule and the seat limit apply)."""
    try:
        marked = attendance.mark(common.kit(), session_id, body["participant_id"], body["present"],
                                 common.actor("api"), authorize=_may_change)
        return {"session_id": marked.session.session_id, "line": _line_out(marked.line), "changed": marked.changed}
    except Refused as exc:
        return refused(exc)


@blp.route("/sessions/<session_id>/make-ups", methods=["POST"])
@auth.requires(*STAFF, scoped=True)
@session_in_scope
@blp.arguments(MakeUpIn)
@blp.response(201, MakeUpOut)
@blp.alt_response(200, schema=MakeUpOut, description="Booked already: nothing changed")
@refusals(404, 409, 422)
@blp.doc(security=SECURITY)
def post_make_up(body: dict, session_id: str):
    """Book a participant of another group into this session to make up a missed day."""
    try:
        with common.reading() as db:
            _staff_session(db, session_id)
        booking, created = attendance.book_make_up(common.kit(), session_id, body["participant_id"],
                                                   common.actor("api"))
    except Refused as exc:
        return refused(exc)
    out = {"participant_id": booking.participant_id, "session_id": booking.session_id,
           "day_number": booking.day_number, "booked_by": booking.booked_by, "booked_at": booking.booked_at}
    return out, 201 if created else 200


@blp.route("/sessions/<session_id>/audit")
@auth.requires(*STAFF, scoped=True)
@blp.response(200, AuditOut(many=True))
@refusals(404)
@blp.doc(security=SECURITY)
def get_audit(session_id: str):
    """Every change of this session's marks, newest first: who, when, old → new, how."""
    try:
        with common.reading() as db:
            _staff_session(db, session_id)
            return queries.audit(db, session_id=session_id)
    except Refused as exc:
        return refused(exc)


@blp.route("/participants/<participant_id>")
@auth.requires(*STAFF, scoped=True)
@blp.response(200, StandingOut)
@refusals(404)
@blp.doc(security=SECURITY)
def get_participant(participant_id: str):
    """A participant's standing per day, computed from the facts and the current time."""
    try:
        with common.reading() as db:
            row = queries.participant(db, participant_id, clock.now())
            auth.require_city(auth.current_user(), row.city, *STAFF)
            return standing_out(row)
    except Refused as exc:
        return refused(exc)


@blp.route("/groups/<group_id>/overview")
@auth.requires(*STAFF, scoped=True)
@blp.response(200, OverviewOut)
@refusals(404)
@blp.doc(security=SECURITY)
def get_overview(group_id: str):
    """Participants × days of one group, with each participant's outcome."""
    try:
        with common.reading() as db:
            g = queries.group(db, group_id)
            auth.require_city(auth.current_user(), g.city, *STAFF)
            sessions = [queries.session(db, s.session_id) for s in queries.group_sessions(db, group_id)]
            return {"group_id": group_id, "city": g.city, "sessions": [_session_out(s) for s in sessions],
                    "participants": [standing_out(r) for r in queries.group_rows(db, group_id, clock.now())]}
    except Refused as exc:
        return refused(exc)


@blp.route("/at-risk")
@auth.requires(*STAFF, scoped=True)
@blp.response(200, StandingOut(many=True))
@blp.doc(security=SECURITY)
def get_at_risk():
    """Participants with a missed day still open, and the make-up sessions left to them."""
    with common.reading() as db:
        return [standing_out(r) for r in queries.at_risk(db, common.user_cities(), clock.now())]


# -- the edition's make-up rule -------------------------------------------------------------------

def _rule_out(found: rules.RuleView, changed: rules.RuleChanged | None = None) -> dict:
    et, en = found.rule.texts()
    return {"edition_id": found.edition.edition_id, "year": found.edition.year,
            "make_ups_allowed": found.rule.allowed, "window": found.rule.window,
            "brochure_rule": found.rule.is_brochure,
            "description": en if i18n.select_locale() == "en" else et,
            "changed_by": found.changed_by, "changed_at": found.changed_at,
            "history": [{"old": {"make_ups_allowed": c.old_make_ups_allowed, "window": c.old_window},
                         "new": {"make_ups_allowed": c.new_make_ups_allowed, "window": c.new_window},
                         "actor": c.actor, "actor_name": c.actor_name, "at": c.at} for c in found.history],
            "changed": changed.changed if changed else False,
            "reinstated": changed.reinstated if changed else 0,
            "dropped_out": changed.dropped_out if changed else 0}


@blp.route("/editions/<edition_id>/make-up-rule")
@auth.requires(*STAFF, scoped=True)  # the rule and who set it: no participant's data
@blp.response(200, MakeUpRuleOut)
@refusals(404)
@blp.doc(security=SECURITY)
def get_make_up_rule(edition_id: str):
    """The edition's make-up rule (the brochure's unless a coordinator changed it) and its history."""
    try:
        with common.reading() as db:
            return _rule_out(rules.view(db, edition_id))
    except Refused as exc:
        return refused(exc)


@blp.route("/editions/<edition_id>/make-up-rule", methods=["PUT"])
@auth.requires("coordinator")  # the whole edition's: it decides dropouts in every city
@blp.arguments(MakeUpRuleIn)
@blp.response(200, MakeUpRuleOut)
@refusals(404, 422)
@blp.doc(security=SECURITY)
def put_make_up_rule(body: dict, edition_id: str):
    """Set the edition's make-up rule. Every participant of the edition is judged by it at
    once: a dropout it no longer causes is reinstated (reason policy_change), one it causes
    is published; each once. The same rule again changes nothing. Audited (who, when, old → new)."""
    try:
        changed = rules.set_make_up_rule(common.kit(), edition_id,
                                         MakeUpRule(allowed=body["make_ups_allowed"], window=body["window"]),
                                         common.actor("api"))
    except Refused as exc:
        return refused(exc)
    return _rule_out(changed.view, changed)
