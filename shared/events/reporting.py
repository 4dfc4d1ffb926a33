"""Events reporting publishes. No personal codes or special-category data, ever."""
from marshmallow import Schema, fields

from shared.events.registry import event


@event("reporting.esf_data.completed")
class EsfDataCompleted(Schema):
    """A participant gave all required ESF participant data."""
    participant_id = fields.String(required=True)
