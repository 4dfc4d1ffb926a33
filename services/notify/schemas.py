"""Marshmallow schemas of notify's JSON API (documented in /notify/openapi.json)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notify.domain.rendering import TEMPLATES
from services.notify.service_layer.emails import STATUSES


class EmailQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    template = fields.String(validate=validate.OneOf(TEMPLATES))
    recipient = fields.Email()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class EmailSchema(Schema):
    """One e-mail as the outbox lists it (without its body)."""
    id = fields.String()
    template = fields.String()
    language = fields.String()
    recipient = fields.String()
    recipient_name = fields.String()
    subject = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    cause_key = fields.String()
    cause_event_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    resends = fields.Integer()
    resent_by = fields.String(allow_none=True)


class EmailDetailSchema(EmailSchema):
    """One e-mail with both of its parts, as the recipient reads them."""
    text = fields.String(allow_none=True)
    html = fields.String(allow_none=True)


class TemplatePreviewSchema(Schema):
    template = fields.String()
    language = fields.String()
    subject = fields.String()
    text = fields.String()
    html = fields.String()
