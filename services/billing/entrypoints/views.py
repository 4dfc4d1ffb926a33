"""Billing pages: claims to decide, invoices, payments, statement imports; the employer's PDF link.

Views only translate forms into use-case calls. A refusal is shown next to the field it
is about (the form is re-rendered with what was typed) or, if it concerns no field, as a
message at the top.
"""
from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField, ValidationError

from services.billing.domain.history import shown_reason
from services.billing.domain.money import format_money_en, format_money_et, format_rate
from services.billing.service_layer import claims, documents, invoices, payments, queries, refunds
from services.billing.service_layer.common import today
from services.billing.service_layer.errors import BillingError
from shared import auth, dates, i18n, links
from shared.web import t

blueprint = Blueprint("billing", __name__)
READERS = ("coordinator", "finance")
CLAIM_STATUS = {
    "proposed": ("ootab otsust", "to decide"), "approved": ("kinnitatud", "approved"),
    "waived": ("loobutud", "waived"), "withdrawn": ("tagasi võetud", "withdrawn"),
    "invoiced": ("arve esitatud", "invoiced"),
}
INVOICE_STATUS = {
    "issued": ("tasumata", "outstanding"), "outstanding": ("tasumata", "outstanding"),
    "overdue": ("tähtaeg ületatud", "overdue"), "paid": ("tasutud", "paid"),
    "credited": ("krediteeritud", "credited"),
}
ACTIONS = {
    "approved": ("kinnitatud", "approved"), "waived": ("loobutud", "waived"),
    "withdrawn": ("tagasi võetud (osaleja ennistati)", "withdrawn (participant reinstated)"),
    "reopened": ("uuesti esitatud (katkestas taas)", "proposed again (dropped out again)"),
    "reinstated_flagged": ("osaleja ennistati pärast otsust", "participant reinstated after the decision"),
    "dropped_out_again": ("katkestas taas", "dropped out again"),
    "invoiced": ("arve esitatud", "invoiced"), "credited": ("kreeditarve", "credit note"),
    "refunded": ("raha tagastatud", "refunded"),
    "invoice_emailed_again": ("arve saadetud uuesti", "invoice e-mailed again"),
}
REFUND_WHY = {"credited": ("krediteeritud arve oli tasutud", "credited after payment"),
              "overpaid": ("ülemakse", "overpaid")}
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
STAGES = {
    "due_soon": ("tähtaeg läheneb", "due soon"), "overdue": ("tähtaeg ületatud", "overdue"),
    "final_notice": ("viimane meeldetuletus", "final notice"),
}
OUTCOMES = {
    "paid": ("tasutud", "paid"), "underpaid": ("osaliselt tasutud", "underpaid"),
    "overpaid": ("ülemakse", "overpaid"),
    "already_paid": ("juba tasutud — tagastada", "paid already — refund due"),
    "already_credited": ("krediteeritud — tagastada", "credited already — refund due"),
    "unknown_reference": ("tundmatu viitenumber", "unknown reference"),
    "no_reference": ("viitenumber puudub", "no reference"), "wrong_currency": ("vale valuuta", "wrong currency"),
    "ignored": ("ei ole laekumine", "not a payment to us"), "already_imported": ("juba imporditud", "already imported"),
    "duplicate": ("korduv kanne failis", "duplicate in the file"),
}


def _kit():
    return current_app.extensions["kit"]


def _actor() -> str:
    user = auth.current_user()
    return user.email or user.user_id


def _english() -> bool:
    return i18n.select_locale() == "en"


# ---------------------------------------------------------------- template helpers


@blueprint.app_template_filter("money")
def money_filter(amount, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return "—"
    amount = Decimal(str(amount))
    return format_money_en(amount, currency) if _english() else format_money_et(amount, currency)


@blueprint.app_template_filter("day")
def day_filter(value) -> str:
    """dd.mm.yyyy in both languages (shared/dates.py)."""
    return dates.date_text(value, "—")


@blueprint.app_template_filter("moment")
def moment_filter(value) -> str:
    """dd.mm.yyyy HH:MM in Tallinn, in both languages (shared/dates.py)."""
    return dates.datetime_text(value, "—")


@blueprint.app_template_filter("rate")
def rate_filter(value) -> str:
    return format_rate(Decimal(str(value)))


@blueprint.app_context_processor
def labels():
    def label(table: dict, key: str) -> str:
        et, en = table.get(key, (key, key))
        return t(et, en)
    return {"claim_status": lambda key: label(CLAIM_STATUS, key),
            "invoice_status": lambda key: label(INVOICE_STATUS, key),
            "outcome_label": lambda key: label(OUTCOMES, key),
            "action_label": lambda key: label(ACTIONS, key),
            "history_reason": lambda reason: shown_reason(reason, _english()),
            "actor_label": lambda actor: t("süsteem", "system") if actor == claims.SYSTEM else actor,
            "stage_label": lambda key: label(STAGES, key),
            "refund_why": lambda key: label(REFUND_WHY, key),
            "new_request_id": lambda: str(uuid.uuid4()),
            "explanation": _explanation}


# The proposal's explanation, in the page's language. It says "(incl. VAT)" only where VAT applies
# to the claim's invoice (the queries pass vat_applies to the domain, as the API shows it).
def _explanation(claim: dict) -> str:
    return claim["explanation_en"] if _english() else claim["explanation_et"]


# ---------------------------------------------------------------- forms


class MoneyField(StringField):
    """An amount as people type it: "500", "500,50", "1 234.56 €"; cents at most."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        cleaned = self.raw.replace("€", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(t("Summa peab olema arv, näiteks 512,00.", "The amount must be a number, e.g. 512.00.")) \
                from None
        if not amount.is_finite() or abs(amount) >= Decimal("1000000000"):
            raise ValueError(t("Summa ei ole võimalik.", "That amount is not possible."))
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(t("Summa peab olema sentides (kuni 2 komakohta).", "Use whole cents (at most 2 decimals)."))
        self.data = amount

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else str(self.data))


class DayField(StringField):
    """A date as people type it: 10.05.2019 (Estonian) or 2019-05-10 (a date picker)."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        try:
            if "." in self.raw:
                day, month, year = (int(part) for part in self.raw.split("."))
                self.data = date(year, month, day)
            else:
                self.data = date.fromisoformat(self.raw)
        except ValueError:
            raise ValueError(t("Kuupäev kujul PP.KK.AAAA.", "A date as DD.MM.YYYY or YYYY-MM-DD.")) from None

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else self.data.isoformat())


def _required(field):
    if not (field.data or "").strip():
        raise ValidationError(t("Põhjus on kohustuslik.", "A reason is required."))


class ApproveForm(FlaskForm):
    amount = MoneyField()
    note = TextAreaField()


class WaiveForm(FlaskForm):
    reason = TextAreaField()

    def validate_reason(self, field):
        _required(field)


class IssueForm(FlaskForm):
    pass


class PaidForm(FlaskForm):
    amount = MoneyField()
    paid_on = DayField()
    note = StringField()


class CreditForm(FlaskForm):
    reason = TextAreaField()

    def validate_reason(self, field):
        _required(field)


class RefundForm(FlaskForm):
    refunded_on = DayField()
    note = StringField()
    request_id = HiddenField()
    back = HiddenField()


class SendAgainForm(FlaskForm):
    email = StringField()
    request_id = HiddenField()


class StatementForm(FlaskForm):
    file = FileField()

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(t("Vali camt.053 XML-fail.", "Choose a camt.053 XML file."))


def _refusal(form: FlaskForm, exc: BillingError) -> int:
    message = exc.message if _english() else exc.message_et
    message = message[:1].upper() + message[1:]
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*list(target.errors or []), message]
    else:
        flash(message, "error")
    return exc.status


# ---------------------------------------------------------------- index


@blueprint.get("/")
@auth.requires(*READERS)
def index():
    kit = _kit()
    outstanding = queries.list_invoices(kit, "outstanding")
    return render_template(
        "billing/index.html", to_decide=queries.list_claims(kit, "proposed"),
        to_invoice=queries.list_claims(kit, "approved"), attention=queries.claims_needing_attention(kit),
        outstanding=outstanding, overdue=queries.list_invoices(kit, "overdue"), summary=queries.invoice_summary(kit),
        refunds_due=queries.refunds_due(kit))


# ---------------------------------------------------------------- claims


@blueprint.get("/claims")
@auth.requires(*READERS)
def claim_list():
    status = request.args.get("status", "proposed")
    if status not in (*CLAIM_STATUS, queries.ISSUE_OVERDUE, "all"):
        status = "proposed"
    rows = queries.list_claims(_kit(), None if status == "all" else status)
    return render_template("billing/claims.html", claims=rows, status=status, statuses=CLAIM_STATUS,
                           issue_overdue=queries.ISSUE_OVERDUE)


def _claim_page(claim_id: str, approve: ApproveForm | None = None, waive: WaiveForm | None = None,
                status: int = 200):
    claim = queries.get_claim(_kit(), claim_id)
    if claim is None:
        return render_template("shared/error.html", status=404, code="not_found",
                               message=t("Sellist nõuet ei ole.", "No such claim.")), 404
    return render_template("billing/claim.html", claim=claim, approve=approve or ApproveForm(),
                           waive=waive or WaiveForm(), issue=IssueForm()), status


@blueprint.get("/claims/<claim_id>")
@auth.requires(*READERS)
def claim_detail(claim_id):
    return _claim_page(claim_id)


@blueprint.post("/claims/<claim_id>/approve")
@auth.requires("coordinator")
def claim_approve(claim_id):
    form, status = ApproveForm(), 422
    if form.validate_on_submit():
        try:
            amount = claims.approve_claim(_kit(), claim_id, _actor(), amount=form.amount.data,
                                          note=form.note.data or "")
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t(f"Nõue kinnitatud: {format_money_et(amount)}.", f"Claim approved: {format_money_en(amount)}."),
                  "success")
            return redirect(url_for("billing.claim_detail", claim_id=claim_id))
    return _claim_page(claim_id, approve=form, status=status)


@blueprint.post("/claims/<claim_id>/waive")
@auth.requires("coordinator")
def claim_waive(claim_id):
    form, status = WaiveForm(), 422
    if form.validate_on_submit():
        try:
            claims.waive_claim(_kit(), claim_id, form.reason.data, _actor())
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t("Nõudest loobuti.", "Claim waived."), "success")
            return redirect(url_for("billing.claim_detail", claim_id=claim_id))
    return _claim_page(claim_id, waive=form, status=status)


@blueprint.post("/claims/<claim_id>/invoice")
@auth.requires("finance")
def claim_invoice(claim_id):
    form, status = IssueForm(), 400
    if form.validate_on_submit():
        try:
            invoice_id = invoices.issue_invoice(_kit(), claim_id, _actor())
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t("Arve esitatud.", "Invoice issued."), "success")
            return redirect(url_for("billing.invoice_detail", invoice_id=invoice_id))
    return _claim_page(claim_id, status=status)


# ---------------------------------------------------------------- invoices


@blueprint.get("/invoices")
@auth.requires(*READERS)
def invoice_list():
    status = request.args.get("status") or None
    if status not in (None, *queries.INVOICE_FILTERS):
        status = None
    return render_template("billing/invoices.html", result=queries.list_invoices(_kit(), status), status=status,
                           filters=queries.INVOICE_FILTERS)


def _invoice_page(invoice_id: str, paid: PaidForm | None = None, credit: CreditForm | None = None,
                  status: int = 200, refund: RefundForm | None = None, again: SendAgainForm | None = None):
    invoice = queries.get_invoice(_kit(), invoice_id)
    if invoice is None:
        return render_template("shared/error.html", status=404, code="not_found",
                               message=t("Sellist arvet ei ole.", "No such invoice.")), 404
    # Issued with VAT not applied: the page says why, as the PDF does, rather than a bare "0 %".
    without_vat = documents.issued_without_vat(invoice["vat_rate"], invoice["vat_amount"])
    return render_template("billing/invoice.html", invoice=invoice, paid=paid or PaidForm(),
                           credit=credit or CreditForm(), refund=refund or RefundForm(),
                           again=again or SendAgainForm(), without_vat=without_vat,
                           vat_not_applied=t(documents.VAT_NOT_APPLIED_ET, documents.VAT_NOT_APPLIED_EN)), status


@blueprint.get("/invoices/<invoice_id>")
@auth.requires(*READERS)
def invoice_detail(invoice_id):
    return _invoice_page(invoice_id)


@blueprint.post("/invoices/<invoice_id>/paid")
@auth.requires("finance")
def invoice_paid(invoice_id):
    form, status = PaidForm(), 422
    if form.validate_on_submit():
        try:
            settled = invoices.mark_paid(_kit(), invoice_id, _actor(), amount=form.amount.data,
                                         paid_on=form.paid_on.data, note=form.note.data or "")
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t("Arve on tasutud.", "The invoice is paid.") if settled
                  else t("Osamakse registreeritud.", "Part payment recorded."), "success")
            return redirect(url_for("billing.invoice_detail", invoice_id=invoice_id))
    return _invoice_page(invoice_id, paid=form, status=status)


@blueprint.post("/invoices/<invoice_id>/credit")
@auth.requires("finance")
def invoice_credit(invoice_id):
    form, status = CreditForm(), 422
    if form.validate_on_submit():
        try:
            invoices.credit_invoice(_kit(), invoice_id, form.reason.data, _actor())
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t("Kreeditarve koostatud.", "Credit note issued."), "success")
            return redirect(url_for("billing.invoice_detail", invoice_id=invoice_id))
    return _invoice_page(invoice_id, credit=form, status=status)


@blueprint.post("/invoices/<invoice_id>/refund")
@auth.requires("finance")
def invoice_refund(invoice_id):
    """Record the refund due as paid out (from the invoice page or the refunds due list); the form's
    request id makes a double submit record it once."""
    form, status = RefundForm(), 422
    if form.validate_on_submit():
        request_id = form.request_id.data or ""
        if not REQUEST_ID.match(request_id):
            flash(t("Vormist puudus päringu tunnus: laadige leht uuesti ja proovige veel.",
                    "The form lacked its request id: reload the page and try again."), "error")
            return _invoice_page(invoice_id, refund=form, status=400)
        try:
            _, recorded = refunds.record_refund(_kit(), invoice_id, _actor(), request_id,
                                                refunded_on=form.refunded_on.data, note=form.note.data or "")
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t("Tagasimakse registreeritud.", "Refund recorded.") if recorded
                  else t("See tagasimakse oli juba registreeritud.", "This refund was recorded already."), "success")
            if form.back.data == "statements":
                return redirect(url_for("billing.statements"))
            return redirect(url_for("billing.invoice_detail", invoice_id=invoice_id))
    return _invoice_page(invoice_id, refund=form, status=status)


@blueprint.post("/invoices/<invoice_id>/send-again")
@auth.requires("finance")
def invoice_send_again(invoice_id):
    """E-mail the invoice to the employer once more (it never arrived, or went to the wrong address);
    the form's request id makes a double submit request one e-mail."""
    form, status = SendAgainForm(), 422
    if form.validate_on_submit():
        request_id = form.request_id.data or ""
        if not REQUEST_ID.match(request_id):
            flash(t("Vormist puudus päringu tunnus: laadige leht uuesti ja proovige veel.",
                    "The form lacked its request id: reload the page and try again."), "error")
            return _invoice_page(invoice_id, again=form, status=400)
        try:
            recipient, requested = invoices.send_invoice_again(_kit(), invoice_id, _actor(), request_id,
                                                               email=form.email.data)
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            flash(t(f"Arve saadetakse uuesti aadressile {recipient}, uue PDF-lingiga.",
                    f"The invoice is sent again to {recipient}, with a new PDF link.") if requested
                  else t("See arve saatmine oli juba tellitud: e-kiri läheb üks kord.",
                         "This was requested already: the e-mail goes once."), "success")
            return redirect(url_for("billing.invoice_detail", invoice_id=invoice_id))
    return _invoice_page(invoice_id, again=form, status=status)


# ---------------------------------------------------------------- bank statements


def _statements_page(form: StatementForm, status: int = 200):
    kit = _kit()
    return render_template("billing/statements.html", form=form, imports=queries.list_imports(kit),
                           open_entries=queries.open_bank_entries(kit), refunds_due=queries.refunds_due(kit),
                           refund=RefundForm()), status


@blueprint.get("/statements")
@auth.requires(*READERS)
def statements():
    return _statements_page(StatementForm())


@blueprint.post("/statements/import")
@auth.requires("finance")
def statement_import():
    form, status = StatementForm(), 422
    if form.validate_on_submit():
        upload = form.file.data
        try:
            import_id = payments.import_statement(_kit(), upload.read(), upload.filename, _actor())
        except BillingError as exc:
            status = _refusal(form, exc)
        else:
            return redirect(url_for("billing.statement_result", import_id=import_id))
    return _statements_page(form, status)


@blueprint.get("/statements/<import_id>")
@auth.requires(*READERS)
def statement_result(import_id):
    report = payments.import_report(_kit(), import_id)
    if report is None:
        return render_template("shared/error.html", status=404, code="not_found",
                               message=t("Sellist importi ei ole.", "No such import.")), 404
    return render_template("billing/statement_result.html", report=report)


# ---------------------------------------------------------------- the employer's link


@blueprint.get("/p/<token>")
def public_document(token):
    """The employer's download link from the e-mail: no login, the signed token is the key."""
    kit = _kit()
    try:
        subject = links.read_token(kit.settings.secret_key, "invoice", token, kit.settings.personal_link_max_age)
    except links.LinkInvalid as exc:
        subject = _settled_document(kit, token) if exc.expired else None
        if subject is None:
            status = 410 if exc.expired else 404
            return render_template("billing/link_invalid.html", expired=exc.expired, status=status), status
    if subject.startswith("credit-note:"):
        found = documents.credit_note_pdf(kit, subject.removeprefix("credit-note:"))
    else:
        found = documents.invoice_pdf(kit, subject)
    if found is None:
        return render_template("billing/link_invalid.html", expired=False, status=404), 404
    filename, data = found
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"',
                             "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})


def _settled_document(kit, token: str) -> str | None:
    """An expired link (older than personal_link_max_age) still opens a paid or credited invoice
    (and its credit note) until BILLING_INVOICE_LINK_DAYS after the settlement: no e-mail with a
    fresh link follows it. The signature is checked all the same; only the age is let off."""
    subject = links.read_token(kit.settings.secret_key, "invoice", token, None)
    until = documents.settled_link_open_until(kit, subject)
    return subject if until is not None and today() <= until else None
