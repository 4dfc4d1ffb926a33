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
    edition_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40), metadata={
        "description": "the edition applied to (one of GET /api/edition's open_editions); omitted: the newest "
                       "edition taking applications now"})


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


class MakeUpSessionOut(Schema):
    session_id = fields.String()
    city = fields.String()
    day_number = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()


class MissedDayOut(Schema):
    day_number = fields.Integer(metadata={"description": "the group's day the newcomer will have missed"})
    session_id = fields.String(metadata={"description": "the group's own session of that day"})
    starts_at = fields.AwareDateTime()
    make_up_possible = fields.Boolean(metadata={
        "description": "a make-up session is still possible under the edition's make-up rule (if a seat is free: "
                       "seats are attendance's and not counted here)"})
    make_up_sessions = fields.List(fields.Nested(MakeUpSessionOut), metadata={
        "description": "other cities' sessions of the same day that can still make it up, chronologically"})


class LateJoiningOut(Schema):
    joined_at = fields.AwareDateTime(metadata={"description": "the moment judged: the substitution's, or now"})
    city = fields.String(metadata={"description": "the team's group"})
    make_ups_allowed = fields.Boolean(metadata={"description": "the edition's make-up rule as attendance set it"})
    make_up_window = fields.String(metadata={"description": "before_own_next_day | any_later_same_day"})
    drops_out_at_once = fields.Boolean(metadata={
        "description": "a missed day has no make-up session left: the newcomer drops out on joining (at no cost: "
                       "days held before joining do not count)"})
    missed_days = fields.List(fields.Nested(MissedDayOut), metadata={
        "description": "the group's days begun before the newcomer joins, in day order"})
    et = fields.String(metadata={"description": "the warning in Estonian"})
    en = fields.String(metadata={"description": "the warning in English"})


_LATE_JOINING = ("A warning, not a refusal (the edition's cut-off allows the substitution): a newcomer joining "
                 "after the group's day I has begun will have missed the group's days begun before; each must be "
                 "made up in another city's group by the edition's make-up rule, and with none left the newcomer "
                 "drops out at once. null: nothing would be missed")


class ApplicationDetailOut(ApplicationSummaryOut):
    idea = fields.Nested(IdeaOut)
    intends_to_delegate = fields.Boolean()
    ngo_experience = fields.String()
    language = fields.String()
    decision_reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    composition_problems = fields.List(fields.Nested(ProblemOut), metadata={
        "description": "how the team breaks its edition's composition rule as the rule is now (empty: it holds)"})
    min_team_members = fields.Integer(metadata={"description": "the edition's rule: the fewest members …"})
    min_local_government_members = fields.Integer(metadata={"description": "… from a local government …"})
    min_ngo_members = fields.Integer(metadata={"description": "… from an NGO"})
    substitutions_allowed = fields.Boolean(metadata={"description": "the edition's cut-off: may members be "
                                                                    "substituted at all …"})
    substitution_until_day = fields.Integer(metadata={"description": "… before the group's day 1, 2 or 3 begins"})
    substitution_closes_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "the start of the team's group's cut-off day: substitutions end when that day begins "
                       "(Tallinn midnight); null: not placed in a group yet, or substitutions not allowed"})
    substitution_open = fields.Boolean(metadata={"description": "a member may be substituted now"})
    late_joining = fields.Nested(LateJoiningOut, allow_none=True, metadata={
        "description": f"while a substitution is open, what a newcomer joining now would miss. {_LATE_JOINING}"})
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


class SubstitutionOut(ChangeOut):
    late_joining = fields.Nested(LateJoiningOut, allow_none=True, metadata={
        "description": f"what the newcomer missed by joining when they did. {_LATE_JOINING}"})


# -- editions -------------------------------------------------------------------------------------

class SessionIn(Schema):
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue = fields.String(load_default="", validate=validate.Length(max=300))
    seats = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10_000))


class GroupIn(Schema):
    group_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "an existing group's id; omit (or null) for a new group. Any other value (not one of "
                       "this edition's groups, \"\" too) is refused: 422 at groups.<i>.group_id, nothing saved"})
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    capacity_teams = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    sessions = fields.List(fields.Nested(SessionIn), required=True, validate=validate.Length(max=10))


def _amount_in(description: str) -> fields.Raw:
    # Raw: the domain judges the text (positive, cents, rate <= cap) in both languages.
    return fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "string", "example": "768.00",
        "description": f"{description}, gross EUR as a decimal string; omitted: a new edition takes the "
                       "service's setting, an edit keeps the edition's. Fixed once a member has confirmed."})


def _selected_in(description: str) -> fields.Integer:
    # Range and min <= max are the domain's (both languages); the type and a sane size are checked here.
    return fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=-1_000_000, max=1_000_000),
                          metadata={"description": f"{description}; omitted: a new edition takes the default, an "
                                                   "edit keeps the edition's. Fixed once the selection is announced."})


def _minimum_in(description: str) -> fields.Integer:
    # The rule's bounds (each at least 1, the kinds together at most the members') are the domain's, in
    # both languages; the type and a sane size are checked here.
    return fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=-1_000_000, max=1_000_000),
                          metadata={"description": f"{description}; omitted or null: a new edition takes the "
                                                   "brochure's rule (4 / 2 / 2), an edit keeps the edition's. May "
                                                   "change at any time: every team is then judged by the new rule "
                                                   "(nothing already submitted is rejected by it)."})


def _digits_in(description: str) -> fields.Raw:
    # A list, each a digit 0-9 (a one-digit string or a whole number): the domain judges it, in both languages.
    return fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "array", "items": {"type": "string", "pattern": "^[0-9]$"}, "example": ["8", "9"],
        "description": f"{description}; [] : the first digit is not checked for that kind (the check digit always "
                       "is). Omitted or null: a new edition takes the brochure's, an edit keeps the edition's. May "
                       "change at any time: applications are judged by the rule as it is when submitted."})


class EditionIn(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    application_deadline = fields.AwareDateTime(required=True)
    # No load_default: omitted keeps the edition's moment (a new edition: when it is saved).
    applications_open_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the public form starts taking applications (until application_deadline, which it "
                       "must be before); until then it shows when it opens and submissions are refused (409 "
                       "applications_not_open). null: from now (an edition open already keeps its moment); "
                       "omitted: a new edition opens when it is saved, an edit keeps the edition's."})
    groups = fields.List(fields.Nested(GroupIn), required=True, validate=validate.Length(min=1, max=30))
    claim_cap = _amount_in("the most a dropout's employer may be claimed (the conditions state it)")
    claim_daily_rate = _amount_in("the proposed claim per session day held, never above claim_cap")
    # No load_default: omitted keeps the edition's deadline, null asks for the default.
    counselling_deadline = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when applications to the counselling programme close (they open when the last session "
                       "ends); null: 28 days after the last session, 23:59 Tallinn time; omitted: a new edition "
                       "takes that default, an edit keeps the edition's. Must be after the last session."})
    counselling_min_selected = _selected_in("the fewest local governments (or groups) to select, at least 1 "
                                            "(default 8)")
    counselling_max_selected = _selected_in("the most to select, at least counselling_min_selected (default 12)")
    min_team_members = _minimum_in("the team composition rule: the fewest members a team has (1–40, at least "
                                   "min_local_government_members + min_ngo_members)")
    min_local_government_members = _minimum_in("the fewest of them from a local government (at least 1)")
    min_ngo_members = _minimum_in("the fewest of them from an NGO (at least 1)")
    local_government_registry_code_digits = _digits_in(
        "the digits a local-government organisation's registry code may start with (default [\"7\"])")
    ngo_registry_code_digits = _digits_in("the digits an NGO's registry code may start with (default [\"8\", \"9\"])")
    substitutions_allowed = fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "boolean", "description": "whether a team may substitute a member at all (default true); omitted or "
                                          "null: a new edition allows it, an edit keeps the edition's"})
    substitution_until_day = fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "integer", "enum": [1, 2, 3],
        "description": "substitutions are allowed until the team's group's day N begins (Tallinn midnight): 1 "
                       "(default: before the first session day), 2 or 3; omitted or null: a new edition takes 1, "
                       "an edit keeps the edition's. Refusals: 409 substitution_closed"})
    # No load_default: omitted keeps the edition's choice (a new edition: billing's setting).
    vat_applies = fields.Boolean(allow_none=True, metadata={
        "description": "whether VAT applies to the edition's dropout invoices (published in "
                       "enrolment.edition.published); null: billing's own setting (BILLING_VAT_APPLIES); omitted: a "
                       "new edition leaves it to billing, an edit keeps the edition's. Fixed once a member has "
                       "confirmed the conditions (409 claim_policy_confirmed)."})


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
    applications_open_at = fields.AwareDateTime(metadata={
        "description": "when applications open (the edition's saving, unless set)"})
    revision = fields.Integer()
    claim_cap = _amount_out("the dropout claim's cap, gross EUR")
    claim_daily_rate = _amount_out("the dropout claim per session day held, gross EUR")
    counselling_deadline = fields.AwareDateTime(allow_none=True, metadata={
        "description": "as set; null: the default (28 days after the last session, 23:59 Tallinn time)"})
    counselling_effective_deadline = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when applications to the counselling programme close (the default where none is set)"})
    counselling_opens_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when they open: the end of the edition's last session"})
    counselling_min_selected = fields.Integer()
    counselling_max_selected = fields.Integer()
    counselling_announced_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the coordinator announced the selection (then fixed)"})
    min_team_members = fields.Integer(metadata={"description": "the team composition rule: the fewest members"})
    min_local_government_members = fields.Integer(metadata={"description": "… of them from a local government"})
    min_ngo_members = fields.Integer(metadata={"description": "… of them from an NGO"})
    vat_applies = fields.Boolean(allow_none=True, metadata={
        "description": "whether VAT applies to the dropout invoices; null: billing's own setting"})
    local_government_registry_code_digits = fields.List(fields.String(), metadata={
        "description": "the digits a local-government organisation's registry code may start with ([]: not checked)"})
    ngo_registry_code_digits = fields.List(fields.String(), metadata={
        "description": "the digits an NGO's registry code may start with ([]: not checked)"})
    substitutions_allowed = fields.Boolean(metadata={"description": "may a team substitute a member at all"})
    substitution_until_day = fields.Integer(metadata={
        "description": "… until its group's day N begins (1: before the first session day)"})
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()
    groups = fields.List(fields.Nested(GroupOut))


class PublicEditionQuery(Schema):
    edition_id = fields.String(load_default=None, validate=validate.Length(max=40), metadata={
        "description": "an edition by its id; omitted: the newest taking applications now (with none open, the "
                       "newest)"})


class PublicEditionOut(Schema):
    edition_id = fields.String()
    year = fields.Integer()
    name = fields.String()
    application_deadline = fields.AwareDateTime()
    applications_open_at = fields.AwareDateTime(metadata={
        "description": "applications are accepted from then until application_deadline"})
    open = fields.Boolean(metadata={"description": "applications are accepted now (opened, deadline not passed)"})
    open_editions = fields.List(fields.String(), metadata={
        "description": "the ids of every edition taking applications now, the newest (the default) first"})
    claim_cap = _amount_out("the most a dropout's employer may be claimed, gross EUR (the conditions state it)")
    cities = fields.List(fields.String(), metadata={"description": "the choices for preferred_cities"})
    min_team_members = fields.Integer(metadata={"description": "a team has at least this many members …"})
    min_local_government_members = fields.Integer(metadata={"description": "… at least this many from a local "
                                                                           "government …"})
    min_ngo_members = fields.Integer(metadata={"description": "… and at least this many from an NGO"})
    local_government_registry_code_digits = fields.List(fields.String(), metadata={
        "description": "a local-government organisation's registry code starts with one of these ([]: any)"})
    ngo_registry_code_digits = fields.List(fields.String(), metadata={
        "description": "an NGO's registry code starts with one of these ([]: any)"})
    groups = fields.List(fields.Nested(GroupOut))
    counselling_opens_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "local governments may apply to the counselling programme from the end of the last session"})
    counselling_effective_deadline = fields.AwareDateTime(allow_none=True, metadata={
        "description": "… until this deadline (inclusive)"})
    counselling_open = fields.Boolean(metadata={"description": "counselling applications are accepted now"})


# -- confirmations ------------------------------------------------------------------------------------

class ConfirmationIn(Schema):
    claim_cap = fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "string", "example": "768.00",
        "description": "the claim cap of the conditions the member was shown (the GET's claim_cap): if the "
                       "edition's is another by now, nothing is recorded (409 conditions_changed, with the "
                       "current conditions). Omitted: the member confirms the conditions as they are now, "
                       "which the answer states; send it."})
    conditions_digest = fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "string", "pattern": "^[0-9a-f]{64}$",
        "description": "the conditions_digest of the conditions the member was shown (the GET's): it covers "
                       "everything they state (the claim cap, whether it is stated incl. VAT, the make-up "
                       "rule) in every language. If the conditions state anything else by now, nothing is "
                       "recorded (409 conditions_changed, with the current conditions and their digest). "
                       "Omitted: only claim_cap (if sent) is compared, as before."})


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
    conditions_digest = fields.String(metadata={
        "description": "a digest of what the conditions state (cap, VAT clause, make-up rule), the same in "
                       "every language: send it with the confirmation"})


class ConditionsChangedOut(ErrorOut):
    conditions = fields.List(fields.String(), metadata={"description": "the current conditions, to be read again"})
    claim_cap = _amount_out("the current claim cap, to send with the next confirmation")
    conditions_digest = fields.String(metadata={
        "description": "the current conditions' digest, to send with the next confirmation"})



# -- the counselling programme ----------------------------------------------------------------------

class PartyIn(Schema):
    name = _text()
    registry_code = _text("8 digits (registrikood): 7… a local government, 8… or 9… an NGO")


class CounsellingIn(Schema):
    local_governments = fields.List(fields.Nested(PartyIn), load_default=list, validate=validate.Length(max=40),
                                    metadata={"description": "the first one leads; the others apply with it as a "
                                                             "group (each a local government)"})
    ngo_partners = fields.List(fields.Nested(PartyIn), load_default=list, validate=validate.Length(max=40),
                               metadata={"description": "the NGOs they intend to work with (optional)"})
    planned_services = _text("the services they want to start providing in cooperation with an NGO (required)")
    contact_name = _text()
    contact_email = _text()
    language = fields.String(load_default="et", validate=LANGUAGE,
                             metadata={"description": "language of correspondence"})


class PartyOut(Schema):
    name = fields.String()
    registry_code = fields.String()


class CounsellingReceiptOut(Schema):
    counselling_application_id = fields.String()
    edition_id = fields.String()
    year = fields.Integer()
    local_governments = fields.List(fields.Nested(PartyOut), metadata={"description": "the first one leads"})
    ngo_partners = fields.List(fields.Nested(PartyOut))
    planned_services = fields.String()
    contact_name = fields.String()
    contact_email = fields.String()
    language = fields.String()
    submitted_at = fields.AwareDateTime()
    deadline = fields.AwareDateTime(metadata={"description": "applications close then; the selection follows"})


class CounsellingLocalGovernmentOut(PartyOut):
    took_part = fields.Boolean(metadata={"description": "among the organisations of the edition's accepted teams"})


class CounsellingApplicationOut(Schema):
    counselling_application_id = fields.String()
    submitted_at = fields.AwareDateTime()
    local_governments = fields.List(fields.Nested(CounsellingLocalGovernmentOut),
                                    metadata={"description": "the first one leads"})
    ngo_partners = fields.List(fields.Nested(PartyOut))
    planned_services = fields.String()
    contact_name = fields.String()
    contact_email = fields.String()
    language = fields.String()
    selected = fields.Boolean(allow_none=True, metadata={
        "description": "the coordinator's mark (null: not decided); a draft until the selection is announced"})
    marked_at = fields.AwareDateTime(allow_none=True)
    marked_by = fields.String(allow_none=True)
    changed = fields.Boolean(metadata={"description": "false: it was so already"})


class CounsellingOverviewOut(Schema):
    edition_id = fields.String()
    year = fields.Integer()
    name = fields.String()
    opens_at = fields.AwareDateTime(allow_none=True, metadata={"description": "the end of the last session"})
    deadline = fields.AwareDateTime(allow_none=True)
    open = fields.Boolean(metadata={"description": "applications are accepted now"})
    closed = fields.Boolean(metadata={"description": "the deadline is over: the selection can be announced"})
    min_selected = fields.Integer()
    max_selected = fields.Integer()
    announced_at = fields.AwareDateTime(allow_none=True)
    announced_by = fields.String(allow_none=True)
    selected_count = fields.Integer()
    undecided_count = fields.Integer()
    applications = fields.List(fields.Nested(CounsellingApplicationOut), metadata={"description": "in the order "
                                                                                                   "they arrived"})
    published = fields.Integer(metadata={"description": "announce: the enrolment.counselling.decided events"})


class CounsellingMarkIn(Schema):
    selected = fields.Boolean(required=True, allow_none=True,
                              metadata={"description": "true selected, false not selected, null undecided"})
