"""Billing JSON API (documented in /billing/openapi.json).

Endpoints only translate HTTP into use-case calls. Roles: the coordinator decides claims,
finance issues invoices and books payments; both can read. Refusals come back as JSON:
404 unknown id, 409 the state does not allow it, 422 bad input with field errors in the
same shape as schema errors (``{"errors": {"json": {"amount": ["…"]}}}``).
"""
from __future__ import annotations

import uuid
from http import HTTPStatus

from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint, abort

from services.billing import schemas
from services.billing.service_layer import claims, documents, invoices, payments, queries, refunds
from services.billing.service_layer.errors import BillingError
from shared import auth

blp = Blueprint("billing_api", __name__, url_prefix="/api",
                description="Dropout cost claims, invoices, payments and credit notes")

READERS = ("coordinator", "finance")
SECURITY = [{"staffSession": []}]
BINARY = {"type": "string", "format": "binary"}  # documents a file response (the view returns a Response)
STATEMENT_BODY = {
    "required": True,
    "description": "A camt.053 bank statement (any version .001.02 and later), as an uploaded file "
                   "or as the raw XML body.",
    "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": {"type": "string", "format": "binary"}}}},
        "application/xml": {"schema": {"type": "string"}},
        "text/xml": {"schema": {"type": "string"}},
    },
}


def _kit():
    return current_app.extensions["kit"]


def _actor() -> str:
    user = auth.current_user()
    return user.email or user.user_id


def errors(*codes: int):
    """Document the error responses an endpoint can give (flask-smorest's shared error
    responses: ``{"code", "status", "message", "errors"}``)."""
    def decorate(view):
        for code in codes:
            view = blp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view
    return decorate


def _refuse(exc: BillingError, location: str = "json"):
    messages = {location: {exc.field: [exc.message]}} if exc.field else None
    abort(exc.status, message=exc.message, **({"messages": messages} if messages else {}))


def _not_found(what: str):
    abort(404, message=f"no such {what}")


def _invoice_links(invoice: dict) -> dict:
    invoice["pdf_url"] = url_for("billing_api.invoice_pdf", invoice_id=invoice["invoice_id"])
    if invoice.get("credit_note"):
        invoice["credit_note"]["pdf_url"] = url_for(
            "billing_api.credit_note_pdf", credit_note_id=invoice["credit_note"]["credit_note_id"])
    return invoice


# ---------------------------------------------------------------- claims


@blp.route("/claims")
@auth.requires(*READERS)
@blp.arguments(schemas.ClaimQuerySchema, location="query")
@blp.response(200, schemas.ClaimSchema(many=True))
@errors(401, 403, 422)
@blp.doc(security=SECURITY)
def list_claims(args):
    """Claims, oldest first; ``status=proposed`` gives the ones to decide, ``status=issue_overdue`` the ones
    not invoiced by their issue-by date (VAT Act § 37: 7 days from the supply)."""
    return queries.list_claims(_kit(), args.get("status"))


@blp.route("/claims/<claim_id>")
@auth.requires(*READERS)
@blp.response(200, schemas.ClaimDetailSchema)
@errors(401, 403, 404)
@blp.doc(security=SECURITY)
def get_claim(claim_id):
    """A claim with why that amount (days held × daily rate, capped), its decisions and invoices."""
    claim = queries.get_claim(_kit(), claim_id)
    if claim is None:
        _not_found("claim")
    return claim


@blp.route("/claims/<claim_id>/approve", methods=["POST"])
@auth.requires("coordinator")
@blp.arguments(schemas.ApproveSchema)
@blp.response(200, schemas.ClaimDetailSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def approve_claim(args, claim_id):
    """Approve the proposed amount or a lower one (never above the proposal or the cap); publishes
    billing.claim.approved."""
    try:
        claims.approve_claim(_kit(), claim_id, _actor(), amount=args.get("amount"), note=args.get("note", ""))
    except BillingError as exc:
        _refuse(exc)
    return queries.get_claim(_kit(), claim_id)


@blp.route("/claims/<claim_id>/waive", methods=["POST"])
@auth.requires("coordinator")
@blp.arguments(schemas.WaiveSchema)
@blp.response(200, schemas.ClaimDetailSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def waive_claim(args, claim_id):
    """Decide not to claim, with a reason; publishes billing.claim.waived."""
    try:
        claims.waive_claim(_kit(), claim_id, args["reason"], _actor())
    except BillingError as exc:
        _refuse(exc)
    return queries.get_claim(_kit(), claim_id)


# ---------------------------------------------------------------- invoices


@blp.route("/invoices")
@auth.requires(*READERS)
@blp.arguments(schemas.InvoiceQuerySchema, location="query")
@blp.response(200, schemas.InvoiceListSchema)
@errors(401, 403, 422)
@blp.doc(security=SECURITY)
def list_invoices(args):
    """Invoices by status (issued = outstanding, overdue, paid, credited) with their totals."""
    result = queries.list_invoices(_kit(), args.get("status"))
    for invoice in result["items"]:
        _invoice_links(invoice)
    return result


@blp.route("/invoices", methods=["POST"])
@auth.requires("finance")
@blp.arguments(schemas.IssueInvoiceSchema)
@blp.response(201, schemas.InvoiceDetailSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def issue_invoice(args):
    """Invoice an approved claim: next number of the series, VAT split at the rate on the date of
    supply (the dropout), reference number; publishes billing.invoice.issued."""
    try:
        invoice_id = invoices.issue_invoice(_kit(), args["claim_id"], _actor())
    except BillingError as exc:
        _refuse(exc)
    return _invoice_links(queries.get_invoice(_kit(), invoice_id))


@blp.route("/invoices/<invoice_id>")
@auth.requires(*READERS)
@blp.response(200, schemas.InvoiceDetailSchema)
@errors(401, 403, 404)
@blp.doc(security=SECURITY)
def get_invoice(invoice_id):
    """An invoice with its payments, reminders and credit note."""
    invoice = queries.get_invoice(_kit(), invoice_id)
    if invoice is None:
        _not_found("invoice")
    return _invoice_links(invoice)


@blp.route("/invoices/<invoice_id>/payments", methods=["POST"])
@auth.requires("finance")
@blp.arguments(schemas.MarkPaidSchema)
@blp.response(200, schemas.InvoiceDetailSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def mark_paid(args, invoice_id):
    """Record a payment by hand (default: all that is due, today); paid in full publishes billing.invoice.paid."""
    try:
        invoices.mark_paid(_kit(), invoice_id, _actor(), amount=args.get("amount"), paid_on=args.get("paid_on"),
                           note=args.get("note", ""))
    except BillingError as exc:
        _refuse(exc)
    return _invoice_links(queries.get_invoice(_kit(), invoice_id))


@blp.route("/invoices/<invoice_id>/credit-note", methods=["POST"])
@auth.requires("finance")
@blp.arguments(schemas.CreditSchema)
@blp.response(201, schemas.InvoiceDetailSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def credit_invoice(args, invoice_id):
    """Cancel the invoice with a credit note of its own number; publishes billing.invoice.credited.
    The invoice itself is kept unchanged; its claim is open for a decision again."""
    try:
        invoices.credit_invoice(_kit(), invoice_id, args["reason"], _actor())
    except BillingError as exc:
        _refuse(exc)
    return _invoice_links(queries.get_invoice(_kit(), invoice_id))


@blp.route("/invoices/<invoice_id>/refunds", methods=["POST"])
@auth.requires("finance")
@blp.arguments(schemas.RecordRefundSchema)
@blp.response(200, schemas.InvoiceDetailSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def record_refund(args, invoice_id):
    """Record the refund due on the invoice (``refund_due``: a credited invoice that had been paid, an
    overpayment) as paid out to the employer, all of it; the invoice leaves the refunds due. The same
    ``request_id`` again records nothing more; with nothing due it is refused (409)."""
    try:
        refunds.record_refund(_kit(), invoice_id, _actor(), args.get("request_id") or str(uuid.uuid4()),
                              refunded_on=args.get("refunded_on"), note=args.get("note", ""))
    except BillingError as exc:
        _refuse(exc)
    return _invoice_links(queries.get_invoice(_kit(), invoice_id))


@blp.route("/invoices/<invoice_id>/send-again", methods=["POST"])
@auth.requires("finance")
@blp.arguments(schemas.SendAgainSchema)
@blp.response(202, schemas.SendAgainResultSchema)
@errors(401, 403, 404, 409, 422)
@blp.doc(security=SECURITY)
def send_invoice_again(args, invoice_id):
    """E-mail an open invoice to the employer once more (it never arrived, or went to the wrong address:
    ``email``), with a fresh PDF link; publishes billing.invoice.email_requested_again, which notify sends.
    The same ``request_id`` again requests nothing more; a paid or credited invoice is refused (409)."""
    request_id = args.get("request_id") or str(uuid.uuid4())
    try:
        recipient, requested = invoices.send_invoice_again(_kit(), invoice_id, _actor(), request_id,
                                                           email=args.get("email"))
    except BillingError as exc:
        _refuse(exc)
    return {"invoice_id": invoice_id, "request_id": request_id, "recipient_email": recipient,
            "requested": requested}


@blp.route("/refunds")
@auth.requires(*READERS)
@blp.response(200, schemas.RefundDueSchema(many=True))
@errors(401, 403)
@blp.doc(security=SECURITY)
def list_refunds_due():
    """Invoices with money to pay back to the employer, until finance records the refund."""
    return queries.refunds_due(_kit())


@blp.route("/invoices/<invoice_id>/pdf")
@auth.requires(*READERS)
@blp.response(200, BINARY, content_type="application/pdf", description="The invoice as PDF")
@errors(401, 403, 404)
@blp.doc(security=SECURITY)
def invoice_pdf(invoice_id):
    """The invoice PDF (the employer gets it through a signed link: /billing/p/<token>)."""
    found = documents.invoice_pdf(_kit(), invoice_id)
    if found is None:
        _not_found("invoice")
    return _pdf(*found)


@blp.route("/credit-notes/<credit_note_id>/pdf")
@auth.requires(*READERS)
@blp.response(200, BINARY, content_type="application/pdf", description="The credit note as PDF")
@errors(401, 403, 404)
@blp.doc(security=SECURITY)
def credit_note_pdf(credit_note_id):
    """The credit note PDF."""
    found = documents.credit_note_pdf(_kit(), credit_note_id)
    if found is None:
        _not_found("credit note")
    return _pdf(*found)


def _pdf(filename: str, data: bytes, disposition: str = "inline") -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


@blp.route("/export.csv")
@auth.requires(*READERS)
@blp.arguments(schemas.ExportQuerySchema, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv",
              description="Invoices and credit notes (credit notes negative), one per row")
@errors(401, 403, 422)
@blp.doc(security=SECURITY)
def export_csv(args):
    """Invoices and credit notes for accounting, optionally by issue date (?from=&to=, ISO dates)."""
    body = queries.export_csv(_kit(), args.get("date_from"), args.get("date_to"))
    return Response("\ufeff" + body, mimetype="text/csv",  # the BOM makes Excel read UTF-8
                    headers={"Content-Disposition": 'attachment; filename="arved.csv"'})


# ---------------------------------------------------------------- bank statements


@blp.route("/statements", methods=["POST"])
@auth.requires("finance")
@blp.response(201, schemas.ImportResultSchema)
@errors(401, 403, 422)
@blp.doc(security=SECURITY, requestBody=STATEMENT_BODY)
def import_statement():
    """Import a camt.053 statement: payments matched by reference and amount mark invoices paid;
    partial and unmatched ones are listed. Importing the same statement again changes nothing."""
    upload = request.files.get("file")
    if upload is not None:
        data, filename, location = upload.read(), upload.filename or "", "files"
    elif request.mimetype in ("application/xml", "text/xml"):
        data, filename, location = request.get_data(), request.args.get("filename", ""), "body"
    else:
        abort(422, message="no statement", messages={"files": {"file": [
            "Upload a camt.053 file as the multipart field 'file', or send the XML as the body (application/xml)."]}})
    if not data:
        abort(422, message="the statement is empty", messages={location: {"file": ["The file is empty."]}})
    try:
        import_id = payments.import_statement(_kit(), data, filename, _actor())
    except BillingError as exc:
        _refuse(exc, location)
    return payments.import_report(_kit(), import_id)


@blp.route("/statements/<import_id>")
@auth.requires(*READERS)
@blp.response(200, schemas.ImportResultSchema)
@errors(401, 403, 404)
@blp.doc(security=SECURITY)
def get_import(import_id):
    """What an import did: matched, partial, unmatched, already imported, duplicate and ignored entries."""
    report = payments.import_report(_kit(), import_id)
    if report is None:
        _not_found("statement import")
    return report
