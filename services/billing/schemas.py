"""marshmallow request and response schemas of billing's JSON API.

Money goes out and comes in as a decimal string with two places ("768.00"), never a float.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.billing.adapters.models import CLAIM_STATUSES
from services.billing.service_layer.queries import CLAIM_FILTERS, INVOICE_FILTERS


def _as_string(kwargs: dict, example: str) -> dict:
    """Decimals travel as strings; say so in the OpenAPI description (apispec says "number")."""
    kwargs["metadata"] = {"type": "string", "format": "decimal", "example": example, **kwargs.get("metadata", {})}
    return kwargs


class Money(fields.Decimal):
    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, allow_nan=False, **_as_string(kwargs, "768.00"))


class Rate(fields.Decimal):
    def __init__(self, **kwargs):
        super().__init__(as_string=True, allow_nan=False, **_as_string(kwargs, "24.00"))


class InputMoney(fields.Decimal):
    """An amount typed by a person: a string or number, at most two decimals, never rounded."""

    LIMIT = Decimal("1000000000")  # far above any claim; keeps absurd input out of Numeric(12, 2)

    def __init__(self, **kwargs):
        super().__init__(as_string=True, allow_nan=False, **_as_string(kwargs, "512.00"))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float):
            value = repr(value)  # 12.3 stays 12.3, not 12.300000000000000710…
        amount = super()._deserialize(value, attr, data, **kwargs)
        if abs(amount) >= self.LIMIT:
            raise ValidationError("The amount is too large.")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("At most two decimal places (cents).")
        return amount


class OrganisationSchema(Schema):
    organisation_id = fields.String()
    name = fields.String()
    registry_code = fields.String()
    kind = fields.String()
    billing_email = fields.String()
    address = fields.String()


# ---------------------------------------------------------------- claims


class ClaimQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(CLAIM_FILTERS), metadata={
        "description": "a claim status, or issue_overdue: not invoiced yet and past its issue-by date"})


class ClaimDecisionSchema(Schema):
    action = fields.String()
    amount = Money(allow_none=True)
    reason = fields.String()
    actor = fields.String()
    decided_at = fields.AwareDateTime()


class ClaimInvoiceSchema(Schema):
    invoice_id = fields.String()
    number = fields.String()
    status = fields.String()
    amount_gross = Money()
    vat_amount = Money(metadata={"description": "as issued: 0.00 where VAT did not apply"})
    issue_date = fields.Date()
    amount_paid = Money()
    refund_due = Money(metadata={"description": "received beyond what the invoice still owes, less refunds "
                                                "paid out (a credited invoice that had been paid, an overpayment)"})
    refunded = Money()


class ClaimSchema(Schema):
    claim_id = fields.String()
    participant_id = fields.String()
    participant_name = fields.String()
    application_id = fields.String()
    group_id = fields.String()
    employer = fields.Nested(OrganisationSchema, allow_none=True)
    reason = fields.String(metadata={"description": "absence | withdrawal"})
    days_attended = fields.Integer()
    days_held = fields.Integer(metadata={"description": "session days of the group held up to the dropout"})
    dropped_out_at = fields.AwareDateTime()
    dropped_out_on = fields.Date(metadata={"description": "the date of supply on the invoice"})
    daily_rate = Money()
    cap = Money()
    proposed_amount = Money()
    capped = fields.Boolean()
    amount = Money(allow_none=True, metadata={"description": "the approved amount"})
    status = fields.String(metadata={"description": " | ".join(CLAIM_STATUSES)})
    explanation_et = fields.String(metadata={"description": "why this amount (Estonian)"})
    explanation_en = fields.String(metadata={"description": "why this amount (English)"})
    waive_reason = fields.String(allow_none=True)
    reinstated_at = fields.AwareDateTime(allow_none=True)
    needs_attention = fields.Boolean(metadata={"description": "reinstated after the claim was decided"})
    proposed_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    issue_by = fields.Date(allow_none=True, metadata={
        "description": "the last day to issue the invoice (VAT Act § 37): the date of supply (dropped_out_on) "
                       "+ 7 days (BILLING_ISSUE_DAYS); null once invoiced, waived or withdrawn"})


class ClaimDetailSchema(ClaimSchema):
    vat_applies = fields.Boolean(metadata={
        "description": "whether an invoice of this claim issued now adds VAT: its edition's vat_applies "
                       "(enrolment.edition.published) as it is at issue time, else BILLING_VAT_APPLIES; "
                       "an invoice issued already keeps its own split (invoices[].vat_amount)"})
    vat_applies_source = fields.String(metadata={"description": "edition | setting"})
    decisions = fields.List(fields.Nested(ClaimDecisionSchema))
    invoices = fields.List(fields.Nested(ClaimInvoiceSchema))


class ApproveSchema(Schema):
    amount = InputMoney(metadata={"description": "omit to approve the proposed amount; may be lower, "
                                                 "never above the cap"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class WaiveSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @validates("reason")
    def not_blank(self, value, **_):
        if not value.strip():
            raise ValidationError("A reason is required.")


# ---------------------------------------------------------------- invoices


class InvoiceQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(INVOICE_FILTERS))


class SellerSchema(Schema):
    name = fields.String()
    address = fields.String()
    registry_code = fields.String()
    vat_number = fields.String()
    iban = fields.String()
    bank = fields.String()


class PaymentSchema(Schema):
    payment_id = fields.String()
    amount = Money()
    currency = fields.String()
    paid_on = fields.Date()
    source = fields.String(metadata={"description": "manual | bank"})
    note = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class ReminderSchema(Schema):
    stage = fields.String()
    reached_on = fields.Date()
    published = fields.Boolean()


class CreditNoteSchema(Schema):
    credit_note_id = fields.String()
    number = fields.String()
    issue_date = fields.Date()
    reason = fields.String()
    invoice_id = fields.String()
    invoice_number = fields.String()
    amount_net = Money()
    vat_rate = Rate()
    vat_amount = Money()
    amount_gross = Money()
    currency = fields.String()
    created_by = fields.String()
    pdf_url = fields.String()


class InvoiceSchema(Schema):
    invoice_id = fields.String()
    number = fields.String()
    series = fields.String()
    seq = fields.Integer()
    claim_id = fields.String()
    participant_id = fields.String()
    buyer = fields.Nested(OrganisationSchema)
    seller = fields.Nested(SellerSchema)
    description = fields.String()
    amount_net = Money()
    vat_rate = Rate()
    vat_amount = Money()
    amount_gross = Money()
    currency = fields.String()
    issue_date = fields.Date()
    supply_date = fields.Date()
    due_date = fields.Date()
    reference_number = fields.String()
    status = fields.String(metadata={"description": "issued | paid | credited"})
    amount_paid = Money()
    outstanding = Money()
    paid_on = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    days_overdue = fields.Integer()
    issued_by = fields.String()
    issued_at = fields.AwareDateTime()
    pdf_url = fields.String(metadata={"description": "staff download (API)"})


class RefundSchema(Schema):
    refund_id = fields.String()
    amount = Money()
    currency = fields.String()
    refunded_on = fields.Date()
    note = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class EmailedAgainSchema(Schema):
    recipient = fields.String()
    actor = fields.String()
    at = fields.AwareDateTime()


class InvoiceDetailSchema(InvoiceSchema):
    credit_note = fields.Nested(CreditNoteSchema, allow_none=True)
    payments = fields.List(fields.Nested(PaymentSchema))
    reminders = fields.List(fields.Nested(ReminderSchema))
    still_owed = Money(metadata={"description": "what the invoice owes after its credit note (0 once credited)"})
    refund_due = Money(metadata={"description": "received (amount_paid) minus still_owed minus refunded; never "
                                                "negative: what finance is to pay back to the employer"})
    refunded = Money()
    refunds = fields.List(fields.Nested(RefundSchema))
    emailed_again = fields.List(fields.Nested(EmailedAgainSchema), metadata={
        "description": "finance's 'send the invoice again' requests (POST /api/invoices/<id>/send-again)"})


class RefundDueSchema(Schema):
    invoice_id = fields.String()
    number = fields.String()
    claim_id = fields.String()
    status = fields.String()
    why = fields.String(metadata={"description": "credited | overpaid"})
    buyer = fields.Nested(OrganisationSchema)
    currency = fields.String()
    amount_gross = Money()
    received = Money()
    still_owed = Money()
    refunded = Money()
    refund_due = Money()


class RecordRefundSchema(Schema):
    refunded_on = fields.Date(metadata={"description": "the day the money was paid out; default today "
                                                      "(Europe/Tallinn)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    request_id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,80}$"), metadata={
        "description": "the client's key for this refund: sent again, nothing more is recorded"})


class SendAgainSchema(Schema):
    request_id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,80}$"), metadata={
        "description": "the client's key for this request: sent again, no second e-mail is requested"})
    email = fields.Email(validate=validate.Length(max=254), metadata={
        "description": "where to send it; default: the employer's address on the invoice"})


class SendAgainResultSchema(Schema):
    invoice_id = fields.String()
    request_id = fields.String()
    recipient_email = fields.String()
    requested = fields.Boolean(metadata={"description": "false: this request_id had been sent already, "
                                                        "nothing more is sent"})


class TotalsSchema(Schema):
    count = fields.Integer()
    amount_net = Money()
    vat_amount = Money()
    amount_gross = Money()
    amount_paid = Money()
    outstanding = Money()


class InvoiceListSchema(Schema):
    status = fields.String(allow_none=True)
    items = fields.List(fields.Nested(InvoiceSchema))
    totals = fields.Nested(TotalsSchema)


class IssueInvoiceSchema(Schema):
    claim_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class MarkPaidSchema(Schema):
    amount = InputMoney(metadata={"description": "default: everything still due"})
    paid_on = fields.Date(metadata={"description": "default: today (Europe/Tallinn)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CreditSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @validates("reason")
    def not_blank(self, value, **_):
        if not value.strip():
            raise ValidationError("A reason is required.")


class ExportQuerySchema(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


# ---------------------------------------------------------------- bank statements


class ImportedEntrySchema(Schema):
    entry_ref = fields.String()
    amount = fields.String()
    currency = fields.String()
    credit = fields.Boolean()
    booking_date = fields.String()
    reference = fields.String(allow_none=True)
    debtor_name = fields.String(allow_none=True)
    remittance_text = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "paid | underpaid | overpaid | already_paid | "
                                                     "already_credited | unknown_reference | "
                                                     "no_reference | wrong_currency | ignored | "
                                                     "already_imported | duplicate"})
    invoice_id = fields.String(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    invoice_status = fields.String(allow_none=True)
    amount_due = fields.String(allow_none=True)
    difference = fields.String(allow_none=True)


class ImportResultSchema(Schema):
    import_id = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    statement_ids = fields.String()
    account_iban = fields.String()
    imported_by = fields.String()
    imported_at = fields.AwareDateTime()
    matched = fields.List(fields.Nested(ImportedEntrySchema))
    partial = fields.List(fields.Nested(ImportedEntrySchema))
    unmatched = fields.List(fields.Nested(ImportedEntrySchema))
    settled = fields.List(fields.Nested(ImportedEntrySchema), metadata={
        "description": "payments for invoices paid or credited already (already_paid, already_credited): "
                       "booked on the invoice, which stays settled; all of it is a refund due (GET /api/refunds)"})
    already_imported = fields.List(fields.Nested(ImportedEntrySchema))
    duplicates = fields.List(fields.Nested(ImportedEntrySchema))
    ignored = fields.List(fields.Nested(ImportedEntrySchema))


class StatementUploadSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})
