"""Events attendance publishes."""
from marshmallow import Schema, fields, validate

from shared.events.common import OrganisationSchema
from shared.events.registry import event


@event("attendance.attendance.recorded")
class AttendanceRecorded(Schema):
    """A participant's presence or absence at a session was recorded or corrected."""
    participant_id = fields.String(required=True)
    session_id = fields.String(required=True)
    city = fields.String(required=True)
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    date = fields.Date(required=True)
    present = fields.Boolean(required=True)
    make_up = fields.Boolean(required=True)
    group_id = fields.String(load_default="")
    # How it was recorded (sheet | api | self_check_in) and whether it changed an earlier record.
    source = fields.String(load_default="")
    corrected = fields.Boolean(load_default=False)


# Published with the booking (the API, the sheet page, or a guest's presence recorded, which
# books them first); notify reminds the guest of the booked session like its own group.
@event("attendance.make_up.booked")
class MakeUpBooked(Schema):
    """A participant was booked into another group's session to make up day_number."""
    participant_id = fields.String(required=True)
    session_id = fields.String(required=True)
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    city = fields.String(required=True)
    date = fields.Date(required=True)


@event("attendance.make_up.cancelled")
class MakeUpCancelled(Schema):
    """A make-up booking was removed: the participant's presence at another session of the day replaced it."""
    participant_id = fields.String(required=True)
    session_id = fields.String(required=True)
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))


class MakeUpOption(Schema):
    session_id = fields.String(required=True)
    city = fields.String(required=True)
    date = fields.Date(required=True)


@event("attendance.participant.absent")
class ParticipantAbsent(Schema):
    """A participant missed their day (published once their own session has ended); these make-up sessions are still open to them."""
    participant_id = fields.String(required=True)
    application_id = fields.String(load_default="")
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    missed_session_id = fields.String(required=True)
    make_up_sessions = fields.List(fields.Nested(MakeUpOption), required=True)


@event("attendance.participant.dropped_out")
class ParticipantDroppedOut(Schema):
    """A missed day can no longer be made up, or the participant withdrew."""
    participant_id = fields.String(required=True)
    application_id = fields.String(required=True)
    group_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["absence", "withdrawal"]))
    days_attended = fields.Integer(required=True, validate=validate.Range(min=0, max=3))
    days_held = fields.Integer(required=True, validate=validate.Range(min=0, max=3))
    employer = fields.Nested(OrganisationSchema, required=True)
    first_name = fields.String(load_default="")
    last_name = fields.String(load_default="")
    dropped_out_at = fields.AwareDateTime(load_default=None, allow_none=True)


@event("attendance.participant.reinstated")
class ParticipantReinstated(Schema):
    """A dropout was undone: a correction (an absence corrected to present), a moved session (schedule_change) or the edition's make-up rule changed by a coordinator (policy_change)."""
    participant_id = fields.String(required=True)
    application_id = fields.String(required=True)
    # correction | schedule_change | policy_change (open: a consumer shows an unknown one as is)
    reason = fields.String(load_default="correction")
    group_id = fields.String(load_default="")


@event("attendance.participant.completed")
class ParticipantCompleted(Schema):
    """All three days attended (own group or make-up)."""
    participant_id = fields.String(required=True)
    application_id = fields.String(required=True)
    group_id = fields.String(required=True)


# Published once, in the transaction of the change that undid the completion; a later
# completion publishes ``completed`` again. Reporting stops counting the participant as
# completed; notify sends no e-mail for it (the completion's e-mail is not taken back).
@event("attendance.participant.completion_revoked")
class ParticipantCompletionRevoked(Schema):
    """A published completion no longer holds: a correction (present to absent), a moved session or a changed make-up rule (policy_change) left day_number unattended."""
    participant_id = fields.String(required=True)
    application_id = fields.String(required=True)
    group_id = fields.String(required=True)
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    reason = fields.String(required=True, validate=validate.OneOf(["correction", "schedule_change", "policy_change"]))


# Published in the transaction of the change (one per change, with its audit row). Enrolment
# and notify state the rule in the conditions a member confirms; no event = the brochure's
# rule (make-ups allowed, before the own group's next day).
@event("attendance.make_up_rule.changed")
class MakeUpRuleChanged(Schema):
    """A coordinator set an edition's make-up rule: whether a missed day can be made up, and in which sessions."""
    edition_id = fields.String(required=True)
    make_ups_allowed = fields.Boolean(required=True)
    # before_own_next_day (the brochure's) | any_later_same_day
    window = fields.String(required=True, validate=validate.OneOf(["before_own_next_day", "any_later_same_day"]))
    # The edition's count of changes, 1 for the first: a consumer keeps the highest it has seen,
    # so a redelivered or late older change changes nothing.
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    changed_at = fields.AwareDateTime(required=True)
