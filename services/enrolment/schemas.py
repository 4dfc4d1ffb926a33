"""The JSON API's request and response bodies (marshmallow), documented in openapi.json.

Input schemas only check types and sizes; the rules (required fields, registry codes,
composition …) are the domain's, so the API and the form report them the same way, keyed
by the same field paths ("members.3.email").
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.enrolment.adapters.models import APPLICATION_STATUSES, MEMBER_STATUSES

LANGUAGE = validate.OneOf(["et", "en"])


def _text(description: str = "", **kwargs) -> fields.String:
    return fields.String(load_default="", validate=validate.Length(max=10_000),
                         metadata={"description": description} if description else {}, **kwargs)


# -- errors ---------------------------------------------------------------------------------------

class ProblemOut(Schema):
    code = fields.String(metadata={"description": "stable code, e.g. registry_code_checksum"})
    et = fields.String()
    en = fields.String()


class ErrorOut(Schema):
    code = fields.Integer(metadata={"description": "HTTP status"})
    status = fields.String()
    message = fields.String(metadata={"description": "in the request's language (?lang=en)"})
    reason = fields.String(metadata={"description": "stable code of the refusal"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "field path → messages, e.g. members.3.email"})
    problems = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(ProblemOut)),
                           metadata={"description": "field path → problems with codes, both languages"})


# -- the application --------------------------------------------------------------------------------

class OrganisationIn(Schema):
    key = _text("the application's own name for it; members refer to it with organisation_key")
    name = _text()
    registry_code = _text("8 digits (registrikood): 7… local government, 8… or 9… NGO")
    kind = _text("local_government | ngo")
    address = _text()
    billing_email = _text()


class MemberIn(Schema):
    first_name = _text()
    last_name = _text()
    email = _text()
    phone = _text()
    position = _text("job title")
    organisation_key = _text("the key of one of the application's organisations")


class IdeaIn(Schema):
    title = _text()
    description = _text()
    kind = _text("new | existing")


class ApplicationIn(Schema):
    team_name = _text()
    organisations = fields.List(fields.Nested(OrganisationIn), load_default=list,
                                validate=validate.Length(max=30))
    members = fields.List(fields.Nested(MemberIn), load_default=list, validate=validate.Length(max=60))
    idea = fields.Nested(IdeaIn, load_default=lambda: {"title": "", "description": "", "kind": ""})
    intends_to_delegate = fields.Boolean(load_default=False,
                                         metadata={"description": "must be true: the firm intention to delegate"})
    ngo_experience = _text("the NGO's experience in providing services to the target group")
    preferred_cities = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list,
                                   validate=validate.Length(max=10),
                                   metadata={"description": "in order of preference"})
    contact_email = _text()
    language = fields.String(load_default="et", validate=LANGUAGE,
                             metadata={"description": "language of correspondence"})


class ReceiptMemberOut(Schema):
    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()


class ReceiptOut(Schema):
    application_id = fields.String()
    edition_id = fields.String()
    status = fields.String()
    team_name = fields.String()
    contact_email = fields.String()
    submitted_at = fields.AwareDateTime()
    members = fields.List(fields.Nested(ReceiptMemberOut))


# -- staff views ------------------------------------------------------------------------------------

class ApplicationsQuery(Schema):
    edition_id = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(APPLICATION_STATUSES))
    city = fields.String(load_default=None, metadata={"description": "placed there or named among the preferences"})
    complete = fields.Boolean(load_default=None, allow_none=True,
                              metadata={"description": "every member has confirmed"})


class ApplicationSummaryOut(Schema):
    application_id = fields.String()
    edition_id = fields.String()
    team_name = fields.String()
    status = fields.String(metadata={"description": " | ".join(APPLICATION_STATUSES)})
    group_id = fields.String(allow_none=True)
    city = fields.String(allow_none=True, metadata={"description": "the group accepted into or waiting for"})
    position = fields.Integer(allow_none=True, metadata={"description": "on the waiting list"})
    preferred_cities = fields.List(fields.String())
    members_total = fields.Integer()
    members_confirmed = fields.Integer()
    complete = fields.Boolean()
    composition_ok = fields.Boolean()
    contact_email = fields.String()
    submitted_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class OrganisationOut(Schema):
    organisation_id = fields.String()
    name = fields.String()
    registry_code = fields.String()
    kind = fields.String()
    address = fields.String()
    billing_email = fields.String()


class MemberOut(Schema):
    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    phone = fields.String()
    position = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String()
    organisation_kind = fields.String()
    status = fields.String(metadata={"description": " | ".join(MEMBER_STATUSES)})
    confirmed_at = fields.AwareDateTime(allow_none=True)
    left_at = fields.AwareDateTime(allow_none=True)
    left_reason = fields.String(allow_none=True)
    replaces_participant_id = fields.String(allow_none=True)


class IdeaOut(Schema):
    title = fields.String()
    description = fields.String()
    kind = fields.String()


class DecisionOut(Schema):
    action = fields.String()
    detail = fields.String()
    actor = fields.String()
    at = fields.AwareDateTime()


class ApplicationDetailOut(ApplicationSummaryOut):
    idea = fields.Nested(IdeaOut)
    intends_to_delegate = fields.Boolean()
    ngo_experience = fields.String()
    language = fields.String()
    decision_reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    composition_problems = fields.List(fields.Nested(ProblemOut))
    organisations = fields.List(fields.Nested(OrganisationOut))
    members = fields.List(fields.Nested(MemberOut))
    decisions = fields.List(fields.Nested(DecisionOut))


class NextTeamOut(Schema):
    application_id = fields.String()
    team_name = fields.String()
    complete = fields.Boolean()


class CityCountOut(Schema):
    group_id = fields.String()
    city = fields.String()
    capacity_teams = fields.Integer()
    accepted = fields.Integer()
    free = fields.Integer()
    waiting = fields.Integer()
    undecided_first_choice = fields.Integer(metadata={"description": "undecided teams with this city first"})
    undecided_any_choice = fields.Integer(metadata={"description": "undecided teams naming this city"})
    next_on_waiting_list = fields.Nested(NextTeamOut, allow_none=True)


class WaitingTeamOut(ApplicationSummaryOut):
    waitlisted_at = fields.AwareDateTime()


class GroupTeamsOut(Schema):
    group_id = fields.String()
    city = fields.String()
    capacity_teams = fields.Integer()
    free = fields.Integer()
    accepted = fields.List(fields.Nested(ApplicationSummaryOut))
    waiting = fields.List(fields.Nested(WaitingTeamOut), metadata={"description": "in waiting order"})
    next_on_waiting_list = fields.Nested(NextTeamOut, allow_none=True, metadata={
        "description": "who a freed place goes to: the longest waiting team whose members have all "
                       "confirmed (else the first in line)"})


# -- decisions and changes --------------------------------------------------------------------------

class CityIn(Schema):
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=10_000))


class SubstituteIn(Schema):
    first_name = _text()
    last_name = _text()
    email = _text()
    phone = _text()
    position = _text("job title")
    organisation_id = _text("one of the team's organisations")


class ChangeOut(Schema):
    application_id = fields.String()
    status = fields.String()
    changed = fields.Boolean(metadata={"description": "false: it was so already, nothing published"})
    group_id = fields.String()
    city = fields.String()
    position = fields.Integer()
    participant_id = fields.String()
    left_participant_id = fields.String()
    warnings = fields.List(fields.Nested(ProblemOut), metadata={"description": "rules the team now breaks"})
    freed_group_id = fields.String(allow_none=True)
    next_on_waiting_list = fields.Nested(NextTeamOut, allow_none=True)


# -- editions -------------------------------------------------------------------------------------

class SessionIn(Schema):
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue = fields.String(load_default="", validate=validate.Length(max=300))
    seats = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10_000))


class GroupIn(Schema):
    group_id = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "an existing group's id; omit for a new group"})
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    capacity_teams = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    sessions = fields.List(fields.Nested(SessionIn), required=True, validate=validate.Length(max=10))


def _amount_in(description: str) -> fields.Raw:
    # Raw: the domain judges the text (positive, cents, rate <= cap) in both languages.
    return fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "string", "example": "768.00",
        "description": f"{description}, gross EUR as a decimal string; omitted: a new edition takes the "
                       "service's setting, an edit keeps the edition's. Fixed once a member has confirmed."})


class EditionIn(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    application_deadline = fields.AwareDateTime(required=True)
    groups = fields.List(fields.Nested(GroupIn), required=True, validate=validate.Length(min=1, max=30))
    claim_cap = _amount_in("the most a dropout's employer may be claimed (the conditions state it)")
    claim_daily_rate = _amount_in("the proposed claim per session day held, never above claim_cap")


class SessionOut(Schema):
    session_id = fields.String()
    day_number = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    venue = fields.String()
    seats = fields.Integer(allow_none=True)


class GroupOut(Schema):
    group_id = fields.String()
    key = fields.String()
    city = fields.String()
    capacity_teams = fields.Integer()
    sessions = fields.List(fields.Nested(SessionOut))


def _amount_out(description: str) -> fields.Decimal:
    return fields.Decimal(places=2, as_string=True, metadata={"type": "string", "example": "768.00",
                                                              "description": description})


class EditionOut(Schema):
    edition_id = fields.String()
    year = fields.Integer()
    name = fields.String()
    timezone = fields.String()
    application_deadline = fields.AwareDateTime()
    revision = fields.Integer()
    claim_cap = _amount_out("the dropout claim's cap, gross EUR")
    claim_daily_rate = _amount_out("the dropout claim per session day held, gross EUR")
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()
    groups = fields.List(fields.Nested(GroupOut))


class PublicEditionOut(Schema):
    edition_id = fields.String()
    year = fields.Integer()
    name = fields.String()
    application_deadline = fields.AwareDateTime()
    open = fields.Boolean(metadata={"description": "applications are accepted now"})
    claim_cap = _amount_out("the most a dropout's employer may be claimed, gross EUR (the conditions state it)")
    cities = fields.List(fields.String(), metadata={"description": "the choices for preferred_cities"})
    groups = fields.List(fields.Nested(GroupOut))


# -- confirmations ------------------------------------------------------------------------------------

class ConfirmationIn(Schema):
    claim_cap = fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "string", "example": "768.00",
        "description": "the claim cap of the conditions the member was shown (the GET's claim_cap): if the "
                       "edition's is another by now, nothing is recorded (409 conditions_changed, with the "
                       "current conditions). Omitted: the member confirms the conditions as they are now, "
                       "which the answer states; send it."})


class ConfirmationOut(Schema):
    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    team_name = fields.String()
    employer = fields.String()
    confirmed_at = fields.AwareDateTime(allow_none=True)
    all_confirmed = fields.Boolean(metadata={"description": "every member of the team has confirmed"})
    conditions = fields.List(fields.String(), metadata={"description": "what the member confirms"})
    claim_cap = _amount_out("the member's edition's claim cap, gross EUR, as the conditions state it")


class ConditionsChangedOut(ErrorOut):
    conditions = fields.List(fields.String(), metadata={"description": "the current conditions, to be read again"})
    claim_cap = _amount_out("the current claim cap, to send with the next confirmation")

