"""The JSON API's request and response schemas (marshmallow; documented in /reporting/openapi.json).

Lists never carry special-category answers and show personal codes masked; one participant's
detail carries their answers (still with the code masked: revealing it is a logged POST).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.reporting.domain.indicator_sets import available_sets
from services.reporting.domain.participant import ANSWERS, EMPLOYMENT_STATUSES, EXIT_STATUSES, SEXES


class GroupQuery(Schema):
    group_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class GroupOut(Schema):
    group_id = fields.String()
    city = fields.String()
    first_day = fields.Date(allow_none=True)
    last_day = fields.Date(allow_none=True)
    active = fields.Boolean()


class EditionOut(Schema):
    edition_id = fields.String()
    year = fields.Integer(allow_none=True)
    name = fields.String()
    indicator_set = fields.String()
    deadline_weeks = fields.Integer(allow_none=True, metadata={"description": "weeks after each entry"})
    deadline_date = fields.Date(allow_none=True, metadata={"description": "a fixed deadline; wins over weeks"})
    last_payment_date = fields.Date(allow_none=True)
    retention_years = fields.Integer()
    retention_until = fields.Date(allow_none=True)
    due_for_anonymisation = fields.Boolean()
    locked = fields.Boolean()
    locked_at = fields.AwareDateTime(allow_none=True)
    locked_by = fields.String(allow_none=True)
    anonymised_at = fields.AwareDateTime(allow_none=True)
    groups = fields.List(fields.Nested(GroupOut))


class SettingsIn(Schema):
    indicator_set = fields.String(required=True, validate=validate.OneOf(available_sets()))
    deadline_weeks = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=52))
    deadline_date = fields.Date(load_default=None, allow_none=True)
    last_payment_date = fields.Date(load_default=None, allow_none=True)
    retention_years = fields.Integer(load_default=5, validate=validate.Range(min=0, max=30))


class AnonymiseIn(Schema):
    confirm = fields.Boolean(required=True, validate=validate.Equal(True),
                             metadata={"description": "true: I understand this cannot be undone"})


class AnonymisedOut(Schema):
    edition_id = fields.String()
    participants_anonymised = fields.Integer()


class IndicatorRowOut(Schema):
    code = fields.String()
    name_et = fields.String()
    name_en = fields.String()
    unit = fields.String(metadata={"description": "participants | entities"})
    collected = fields.Boolean(metadata={"description": "false: our data cannot answer it; counts are null"})
    total = fields.Integer(allow_none=True)
    women = fields.Integer(allow_none=True)
    men = fields.Integer(allow_none=True)
    non_binary = fields.Integer(allow_none=True)
    sex_unknown = fields.Integer(allow_none=True)
    unknown = fields.Integer(allow_none=True, metadata={"description": "data missing: not counted, not guessed"})
    declined = fields.Integer(allow_none=True, metadata={"description": "the participant chose not to say"})
    note = fields.String(allow_none=True)


class IndicatorSetOut(Schema):
    name = fields.String()
    title_et = fields.String()
    title_en = fields.String()
    regulation = fields.String()


class IndicatorReportOut(Schema):
    edition_id = fields.String()
    group_id = fields.String(allow_none=True)
    indicator_set = fields.Nested(IndicatorSetOut)
    participants_entered = fields.Integer()
    anonymised = fields.Boolean()
    rows = fields.List(fields.Nested(IndicatorRowOut))


class ParticipantOut(Schema):
    """A list line: no special-category answers, the personal code masked."""

    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    group_id = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    organisation_id = fields.String(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    organisation_kind = fields.String(allow_none=True)
    personal_code_masked = fields.String(allow_none=True)
    entry_date = fields.Date(allow_none=True)
    exit_date = fields.Date(allow_none=True)
    exit_status = fields.String(allow_none=True, validate=validate.OneOf(EXIT_STATUSES))
    esf_data_complete = fields.Boolean()
    missing = fields.List(fields.String())


class EsfAnswersOut(Schema):
    birth_date = fields.Date(allow_none=True)
    sex = fields.String(allow_none=True, validate=validate.OneOf(SEXES))
    sex_from_personal_code = fields.Boolean()
    age_at_entry = fields.Integer(allow_none=True)
    employment_status = fields.String(allow_none=True, validate=validate.OneOf(EMPLOYMENT_STATUSES))
    isced = fields.String(allow_none=True, metadata={"description": "0–8 or declined"})
    disability = fields.String(allow_none=True, validate=validate.OneOf(ANSWERS))
    third_country_national = fields.String(allow_none=True, validate=validate.OneOf(ANSWERS))
    foreign_background = fields.String(allow_none=True, validate=validate.OneOf(ANSWERS))
    minority = fields.String(allow_none=True, validate=validate.OneOf(ANSWERS))
    homeless = fields.String(allow_none=True, validate=validate.OneOf(ANSWERS))
    rural_area = fields.String(allow_none=True, validate=validate.OneOf(ANSWERS))
    county = fields.String(allow_none=True)
    municipality = fields.String(allow_none=True)
    consent_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)


class ParticipantDetailOut(ParticipantOut):
    """One person's detail: their answers too (the code stays masked)."""

    status = fields.String()
    deadline = fields.Date(allow_none=True)
    esf = fields.Nested(EsfAnswersOut, allow_none=True)


class CompletenessLineOut(Schema):
    participant_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    group_id = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    entry_date = fields.Date(allow_none=True)
    deadline = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    form_missing = fields.List(fields.String(), metadata={"description": "answers the participant still owes"})
    attendance_missing = fields.List(fields.String(), metadata={"description": "dates attendance has not settled"})


class CompletenessCountsOut(Schema):
    participants = fields.Integer()
    complete = fields.Integer()
    missing = fields.Integer()
    overdue = fields.Integer()
    not_entered = fields.Integer()


class CompletenessOut(Schema):
    edition_id = fields.String()
    group_id = fields.String(allow_none=True)
    today = fields.Date()
    deadline_weeks = fields.Integer(allow_none=True)
    deadline_date = fields.Date(allow_none=True)
    counts = fields.Nested(CompletenessCountsOut)
    participants = fields.List(fields.Nested(CompletenessLineOut))


class RevealIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=5, max=2000))


class RevealOut(Schema):
    participant_id = fields.String()
    personal_code = fields.String()


class ExportLogOut(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.String()
    actor_email = fields.String()
    actor_name = fields.String()
    kind = fields.String()
    edition_id = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    participant_id = fields.String(allow_none=True)
    row_count = fields.Integer()
    filename = fields.String()


class RevealLogOut(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.String()
    actor_email = fields.String()
    actor_name = fields.String()
    participant_id = fields.String()
    reason = fields.String()
