"""Events reporting publishes. No personal codes or special-category data, ever."""
from marshmallow import Schema, fields

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
