"""Events notify publishes."""
from marshmallow import Schema, fields

from shared.events.registry import event


@event("notify.email.sent")
class EmailSent(Schema):
    """The SMTP server accepted an e-mail."""
    email_id = fields.String(required=True)
    template = fields.String(required=True)
    recipient = fields.Email(required=True)
    causation_event_id = fields.String(load_default=None, allow_none=True)
    # What the e-mail was about (e.g. "invoice:<id>:issued") and how many tries it took.
    cause_key = fields.String(load_default="")
    attempts = fields.Integer(load_default=None, allow_none=True)


@event("notify.email.failed")
class EmailFailed(Schema):
    """An e-mail could not be delivered after its last attempt."""
    email_id = fields.String(required=True)
    template = fields.String(required=True)
    recipient = fields.Email(required=True)
    causation_event_id = fields.String(load_default=None, allow_none=True)
    error = fields.String(required=True)
    cause_key = fields.String(load_default="")
    attempts = fields.Integer(load_default=None, allow_none=True)
