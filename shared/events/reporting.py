"""Events reporting publishes. No personal codes or special-category data, ever."""
from marshmallow import Schema, fields, validate

from shared.events.registry import event


@event("reporting.esf_data.completed")
class EsfDataCompleted(Schema):
    """A participant gave all required ESF participant data."""
    participant_id = fields.String(required=True)


# Published when a participant joins an edition's groups and again whenever their deadline
# changes (their entry, the group's first day, the edition's setting); never once their data
# is complete. Notify sends the ESF data request and its reminder with this date.
@event("reporting.esf_data.requested")
class EsfDataRequested(Schema):
    """A participant owes ESF participant data by this date (inclusive, Tallinn), the deadline the completeness page shows; participant id and date only."""  # noqa: E501 - one line in EVENTS.md
    participant_id = fields.String(required=True)
    deadline = fields.Date(required=True)


# The coordinator's "send the ESF data request again" on the completeness page (also after the
# deadline, when notify reminds no more by itself): notify sends it with a link signed then, once
# per request_id (one click, one e-mail).
@event("reporting.esf_data.requested_again")
class EsfDataRequestedAgain(Schema):
    """A coordinator asked for a participant whose ESF data is missing to be asked again, with a fresh personal link; the deadline the completeness page shows (none: not set); participant id only."""  # noqa: E501 - one line in EVENTS.md
    participant_id = fields.String(required=True)
    request_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,80}$"))
    deadline = fields.Date(load_default=None, allow_none=True)
