"""Events billing publishes."""
from marshmallow import Schema, fields, validate

from shared.events.common import Currency, Money, OrganisationSchema
from shared.events.registry import event


@event("billing.claim.proposed")
class ClaimProposed(Schema):
    """A dropout led to a proposed cost claim on the participant's employer."""
    claim_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    employer = fields.Nested(OrganisationSchema, required=True)
    amount_gross = Money(required=True)
    currency = Currency()
    days_held = fields.Integer(load_default=None, allow_none=True)
    application_id = fields.String(load_default="")
    # The terms billing applied (BILLING_CAP, BILLING_DAILY_RATE, gross): notify quotes these
    # to the participant instead of configuring its own copy.
    cap = Money(load_default=None, allow_none=True)
    daily_rate = Money(load_default=None, allow_none=True)


@event("billing.claim.approved")
class ClaimApproved(Schema):
    """The coordinator approved a claim (possibly lowered)."""
    claim_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    amount_gross = Money(required=True)
    currency = Currency()


@event("billing.claim.waived")
class ClaimWaived(Schema):
    """The coordinator decided not to claim, with a reason (or billing did: nothing to recover)."""
    claim_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    reason = fields.String(required=True)
    cap = Money(load_default=None, allow_none=True)  # as in billing.claim.proposed
    daily_rate = Money(load_default=None, allow_none=True)


@event("billing.invoice.issued")
class InvoiceIssued(Schema):
    """An invoice for an approved claim was issued to the employer."""
    invoice_id = fields.String(required=True)
    invoice_number = fields.String(required=True)
    claim_id = fields.String(required=True)
    participant_id = fields.String(load_default="")
    employer = fields.Nested(OrganisationSchema, required=True)
    amount_net = Money(required=True)
    vat_rate = fields.Decimal(required=True, as_string=True)
    vat_amount = Money(required=True)
    amount_gross = Money(required=True)
    currency = Currency()
    issue_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    reference_number = fields.String(required=True, validate=validate.Regexp(r"^\d{2,20}$"))
    supply_date = fields.Date(load_default=None, allow_none=True)
    # A signed personal link (purpose "invoice") to the PDF, for the e-mail to the employer.
    pdf_url = fields.String(load_default="")


@event("billing.invoice.paid")
class InvoicePaid(Schema):
    """An invoice was paid in full."""
    invoice_id = fields.String(required=True)
    paid_at = fields.AwareDateTime(required=True)
    amount = Money(required=True)
    currency = Currency()
    invoice_number = fields.String(load_default="")
    paid_on = fields.Date(load_default=None, allow_none=True)


@event("billing.invoice.credited")
class InvoiceCredited(Schema):
    """An issued invoice was cancelled by a credit note."""
    invoice_id = fields.String(required=True)
    credit_note_number = fields.String(required=True)
    amount_gross = Money(required=True)
    currency = Currency()
    invoice_number = fields.String(load_default="")
    reason = fields.String(load_default="")
    employer = fields.Nested(OrganisationSchema, load_default=None, allow_none=True)
    pdf_url = fields.String(load_default="")
    # The credit note's VAT split (the invoice's): rate 0 and VAT 0.00 = issued with VAT not
    # applied, so notify labels the amount without "including VAT". None: an older billing's.
    vat_rate = fields.Decimal(load_default=None, allow_none=True, as_string=True)
    vat_amount = Money(load_default=None, allow_none=True)


@event("billing.invoice.overdue")
class InvoiceReminderDue(Schema):
    """An invoice reached a reminder stage (due soon, overdue); published once per stage."""
    invoice_id = fields.String(required=True)
    invoice_number = fields.String(required=True)
    stage = fields.String(required=True)
    due_date = fields.Date(required=True)
    amount_gross = Money(required=True)
    currency = Currency()
    employer = fields.Nested(OrganisationSchema, required=True)
    reference_number = fields.String(required=True)
    amount_due = Money(load_default=None, allow_none=True)
    pdf_url = fields.String(load_default="")
    # As issued (rate 0 and VAT 0.00: VAT not applied); None: an older billing's.
    vat_rate = fields.Decimal(load_default=None, allow_none=True, as_string=True)
    vat_amount = Money(load_default=None, allow_none=True)


# Finance's "send the invoice again" on the invoice page (the employer says it never arrived, or
# it went to the wrong address): notify sends the invoice e-mail once more, with a PDF link
# signed then, once per request_id (one click, one e-mail). Only an open invoice is sent again.
@event("billing.invoice.email_requested_again")
class InvoiceEmailRequestedAgain(Schema):
    """Finance asked for an open invoice's e-mail to go to the employer again, to recipient_email (the invoice's address unless finance gave another), with a fresh PDF link; request_id names the request (one e-mail each)."""  # noqa: E501 - one line in EVENTS.md
    invoice_id = fields.String(required=True)
    invoice_number = fields.String(required=True)
    request_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,80}$"))
    recipient_email = fields.Email(required=True)
    participant_id = fields.String(load_default="")
    employer = fields.Nested(OrganisationSchema, required=True)  # the buyer as printed on the invoice
    amount_gross = Money(required=True)
    currency = Currency()
    due_date = fields.Date(required=True)
    reference_number = fields.String(required=True, validate=validate.Regexp(r"^\d{2,20}$"))
    # As issued (rate 0 and VAT 0.00: VAT not applied); None: an older billing's.
    vat_rate = fields.Decimal(load_default=None, allow_none=True, as_string=True)
    vat_amount = Money(load_default=None, allow_none=True)
