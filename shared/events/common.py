"""Field types shared by several producers' payloads."""
from marshmallow import Schema, fields, validate

ORGANISATION_KINDS = ("local_government", "ngo")


class Money(fields.Decimal):
    """Two decimal places, sent as a string: never a float on the wire."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, allow_nan=False, **kwargs)


class Currency(fields.String):
    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", "EUR")
        super().__init__(validate=validate.OneOf(["EUR"]), **kwargs)


class OrganisationSchema(Schema):
    organisation_id = fields.String(required=True)
    name = fields.String(required=True)
    registry_code = fields.String(required=True, validate=validate.Regexp(r"^\d{8}$"))
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))
    billing_email = fields.Email(required=True)
    address = fields.String(load_default="")


class MemberSchema(Schema):
    participant_id = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.Email(required=True)
    organisation_id = fields.String(required=True)
    language = fields.String(load_default="et", validate=validate.OneOf(["et", "en"]))
