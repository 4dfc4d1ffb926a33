"""Events enrolment publishes."""
from marshmallow import Schema, fields, validate

from shared.events.common import MemberSchema, Money, OrganisationSchema
from shared.events.registry import event


class SessionSchema(Schema):
    session_id = fields.String(required=True)
    day_number = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue = fields.String(load_default="")
    seats = fields.Integer(load_default=None, allow_none=True)


class GroupSchema(Schema):
    group_id = fields.String(required=True)
    city = fields.String(required=True)
    capacity_teams = fields.Integer(required=True, validate=validate.Range(min=1))
    sessions = fields.List(fields.Nested(SessionSchema), required=True)


@event("enrolment.edition.published")
class EditionPublished(Schema):
    """An edition's schedule, re-published in full whenever it changes."""
    edition_id = fields.String(required=True)
    year = fields.Integer(required=True)
    name = fields.String(load_default="")
    application_deadline = fields.AwareDateTime(required=True)
    groups = fields.List(fields.Nested(GroupSchema), required=True)
    revision = fields.Integer(load_default=1)
    # The edition's dropout claim policy (gross EUR). No default: an event from before they
    # existed lacks them, and its consumers then use their own settings.
    claim_cap = Money(validate=validate.Range(min=0, min_inclusive=False))
    claim_daily_rate = Money(validate=validate.Range(min=0, min_inclusive=False))
    # Whether VAT applies to the edition's invoices; absent or null = the consumer's own setting.
    vat_applies = fields.Boolean(allow_none=True)


class ApplicationMemberSchema(MemberSchema):
    confirm_url = fields.String(load_default="")


@event("enrolment.application.submitted")
class ApplicationSubmitted(Schema):
    """A team applied; every member must now confirm through their personal link."""
    application_id = fields.String(required=True)
    edition_id = fields.String(required=True)
    team_name = fields.String(required=True)
    preferred_cities = fields.List(fields.String(), required=True)
    organisations = fields.List(fields.Nested(OrganisationSchema), required=True)
    members = fields.List(fields.Nested(ApplicationMemberSchema), required=True)
    contact_email = fields.Email(required=True)
    language = fields.String(load_default="et", validate=validate.OneOf(["et", "en"]))


@event("enrolment.member.confirmed")
class MemberConfirmed(Schema):
    """A member confirmed the workload and the completion conditions."""
    application_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    all_confirmed = fields.Boolean(load_default=False)


# The coordinator's "send the confirmation request again" on the application page: notify sends
# the member the request with a link signed then, once per request_id (one click, one e-mail).
@event("enrolment.member.confirmation_requested_again")
class MemberConfirmationRequestedAgain(Schema):
    """A coordinator asked for a member who has not confirmed to get the confirmation request again, with a fresh personal link; request_id names the request (one e-mail each)."""  # noqa: E501 - one line in EVENTS.md
    application_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    request_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,80}$"))


@event("enrolment.application.accepted")
class ApplicationAccepted(Schema):
    """A team got a place in a city's group (also when promoted from a waiting list)."""
    application_id = fields.String(required=True)
    edition_id = fields.String(load_default="")
    group_id = fields.String(required=True)
    city = fields.String(required=True)
    team_name = fields.String(load_default="")
    contact_email = fields.Email(load_default=None, allow_none=True)
    organisations = fields.List(fields.Nested(OrganisationSchema), load_default=list)
    members = fields.List(fields.Nested(MemberSchema), required=True)


@event("enrolment.application.waitlisted")
class ApplicationWaitlisted(Schema):
    """A team waits for a place in a city's group."""
    application_id = fields.String(required=True)
    city = fields.String(required=True)
    position = fields.Integer(required=True, validate=validate.Range(min=1))
    team_name = fields.String(load_default="")
    contact_email = fields.Email(load_default=None, allow_none=True)
    # Set when a team ahead left or was promoted: the team moved up from this position.
    previous_position = fields.Integer(load_default=None, allow_none=True)


@event("enrolment.application.rejected")
class ApplicationRejected(Schema):
    """A team was not accepted, with the coordinator's reason."""
    application_id = fields.String(required=True)
    reason = fields.String(required=True)
    team_name = fields.String(load_default="")
    contact_email = fields.Email(load_default=None, allow_none=True)


@event("enrolment.member.substituted")
class MemberSubstituted(Schema):
    """A member was replaced by another, before the cut-off the edition sets (by default the group's first session day; occurred_at is when)."""
    application_id = fields.String(required=True)
    left_participant_id = fields.String(required=True)
    member = fields.Nested(MemberSchema, required=True)
    organisation = fields.Nested(OrganisationSchema, load_default=None, allow_none=True)
    # The newcomer's personal link to confirm the conditions, as in application.submitted.
    confirm_url = fields.String(load_default="")
    team_name = fields.String(load_default="")


@event("enrolment.member.withdrawn")
class MemberWithdrawn(Schema):
    """A member left the programme (alone or with the whole team)."""
    application_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    reason = fields.String(required=True)


@event("enrolment.application.withdrawn")
class ApplicationWithdrawn(Schema):
    """A whole team left; each member's withdrawal is published as well."""
    application_id = fields.String(required=True)
    reason = fields.String(required=True)
    participant_ids = fields.List(fields.String(), load_default=list)


class CounsellingOrganisationSchema(Schema):
    name = fields.String(required=True)
    registry_code = fields.String(required=True, validate=validate.Regexp(r"^\d{8}$"))


@event("enrolment.counselling.applied")
class CounsellingApplied(Schema):
    """After the edition's last workshop a local government, alone or leading a group of them,
    applied to the counselling programme (to provide services with an NGO)."""
    counselling_application_id = fields.String(required=True)
    edition_id = fields.String(required=True)
    year = fields.Integer(required=True)
    # The first one leads the application; the others apply with it as a group.
    local_governments = fields.List(fields.Nested(CounsellingOrganisationSchema), required=True,
                                    validate=validate.Length(min=1))
    ngo_partners = fields.List(fields.Nested(CounsellingOrganisationSchema), load_default=list)
    contact_name = fields.String(required=True)
    contact_email = fields.Email(required=True)
    language = fields.String(load_default="et", validate=validate.OneOf(["et", "en"]))
    # When the coordinator stops taking applications (the selection is announced after it).
    deadline = fields.AwareDateTime(required=True)


@event("enrolment.counselling.decided")
class CounsellingDecided(Schema):
    """The coordinator announced the counselling programme's selection: one event per application."""
    counselling_application_id = fields.String(required=True)
    edition_id = fields.String(required=True)
    year = fields.Integer(required=True)
    selected = fields.Boolean(required=True)
    applicant_name = fields.String(required=True)  # the leading local government
    contact_name = fields.String(required=True)
    contact_email = fields.Email(required=True)
    language = fields.String(load_default="et", validate=validate.OneOf(["et", "en"]))
    selected_count = fields.Integer(required=True, validate=validate.Range(min=0))
