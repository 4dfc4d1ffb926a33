"""Invoices for approved claims, payments by hand, and credit notes.

Each function is one use case in one transaction: the state change and the event it
publishes commit together. Issued figures are never changed; a mistake is corrected by a
credit note with its own number.
"""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from marshmallow import ValidationError, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.models import Claim, ClaimDecision, CreditNote, Employer, Invoice, Payment
from services.billing.adapters.repository import next_number
from services.billing.config import BillingConfig, production_shape
from services.billing.domain.money import has_at_most_two_decimals
from services.billing.domain.reference import reference_number
from services.billing.domain.vat import VatError, split_gross_on
from services.billing.service_layer.common import (
    CLAIM_STATUS_ET,
    INVOICE_STATUS_ET,
    buyer_payload,
    config,
    employer_payload,
    today,
)
from services.billing.service_layer.errors import Conflict, InvalidInput, NotFound
from services.billing.service_layer.policies import vat_applies
from shared import clock, links
from shared.kit import ServiceKit
from shared.messaging.outbox import UnitOfWork

# Reference numbers come from their own counter, above this base, so they stay unique
# even if the invoice series is renamed and its numbers start again from 1.
REFERENCE_BASE = 100000


def document_number(series: str, seq: int) -> str:
    return f"{series}-{seq:05d}"


def pdf_url(kit: ServiceKit, subject: str) -> str:
    """The employer's signed download link (no login): /billing/p/<token>."""
    return links.personal_url(kit.settings.base_url, kit.settings.secret_key, "invoice", subject)


def _locked_invoice(session: Session, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
    if invoice is None:
        raise NotFound("invoice.not_found", f"no invoice {invoice_id}", f"arvet {invoice_id} ei ole")
    return invoice


def _describe(claim: Claim) -> str:
    who = f" {claim.participant_name}" if claim.participant_name else ""
    return (f"Koolituskulude hüvitis: osaleja{who} katkestas arenguprogrammi "
            f"(grupi koolituspäevi toimunud {claim.days_held}) / "
            f"Training cost recovery for a participant who dropped out")


def _check_particulars(kit: ServiceKit, cfg: BillingConfig, employer: Employer) -> None:
    """VAT Act § 37: an invoice without the seller's or the buyer's particulars is not issued
    (so no number of the unbroken series is spent on it)."""
    placeholders = cfg.placeholder_seller_settings() if production_shape(kit.settings) else []
    if placeholders:
        names = ", ".join(placeholders)
        raise Conflict("invoice.seller_placeholder",
                       f"the seller's details are placeholders; set {names} before issuing invoices",
                       f"müüja andmed on näidisväärtused; enne arvete esitamist tuleb seadistada {names}")
    missing_en = [en for value, en in ((employer.address, "address"), (employer.registry_code, "registry code"))
                  if not (value or "").strip()]
    if missing_en:
        missing_et = ["aadress" if item == "address" else "registrikood" for item in missing_en]
        raise Conflict("invoice.buyer_incomplete",
                       f"the buyer {employer.name} has no {' and no '.join(missing_en)}; "
                       f"an invoice needs them (VAT Act § 37); they come from the application in enrolment",
                       f"ostjal {employer.name} puudub {' ja '.join(missing_et)}; arvel peavad need olema "
                       f"(KMS § 37); need tulevad registreerimise avaldusest")


def issue_invoice(kit: ServiceKit, claim_id: str, actor: str) -> str:
    """Invoice an approved claim to the participant's employer; returns the invoice id."""
    cfg = config(kit)
    with kit.unit_of_work() as uow:
        session = uow.session
        # Lock order everywhere: claim, then the counters. No cycle, so no deadlock.
        claim = session.get(Claim, claim_id, with_for_update=True)
        if claim is None:
            raise NotFound("claim.not_found", f"no claim {claim_id}", f"nõuet {claim_id} ei ole")
        if claim.status != "approved":
            raise Conflict("invoice.claim_not_approved",
                           f"only an approved claim can be invoiced; this one is {claim.status}",
                           f"arve saab esitada ainult kinnitatud nõude kohta; see on olekus "
                           f"„{CLAIM_STATUS_ET.get(claim.status, claim.status)}“")
        if claim.reinstated_at is not None:
            # The participant no longer dropped out: there is nothing to claim until the
            # coordinator decides (waives) or the participant drops out again.
            raise Conflict("invoice.participant_reinstated",
                           "the participant was reinstated after the claim was decided; the coordinator "
                           "must review the claim (waive it) before anything is invoiced",
                           "osaleja ennistati pärast nõude otsustamist; enne arve esitamist peab "
                           "koordinaator nõude üle vaatama (sellest loobuma)")
        employer = session.get(Employer, claim.employer_id)
        _check_particulars(kit, cfg, employer)
        supply_date = claim.dropped_out_on  # the training was supplied up to the dropout
        # The claim's edition's vat_applies as it is now (else BILLING_VAT_APPLIES): a claim approved
        # before the edition changed it is invoiced under the new value. The invoice stores its
        # split, so a later change never alters one issued already.
        applies, _ = vat_applies(session, claim.group_id, cfg)
        try:
            split = split_gross_on(claim.amount, supply_date, vat_applies=applies, table=cfg.vat_rates)
        except VatError as exc:
            raise Conflict("invoice.no_vat_rate", str(exc), f"käibemaksumäär puudub: {exc}") from None
        issue_date = today()
        seq = next_number(session, f"invoice:{cfg.invoice_series}")
        reference = reference_number(REFERENCE_BASE + next_number(session, "reference"))
        seller = cfg.seller
        invoice = Invoice(
            invoice_id=str(uuid.uuid4()), series=cfg.invoice_series, seq=seq,
            number=document_number(cfg.invoice_series, seq), claim_id=claim.claim_id,
            participant_id=claim.participant_id, employer_id=employer.organisation_id,
            buyer_name=employer.name, buyer_registry_code=employer.registry_code,
            buyer_address=employer.address or "", buyer_email=employer.billing_email, buyer_kind=employer.kind,
            seller_name=seller.name, seller_address=seller.address, seller_registry_code=seller.registry_code,
            seller_vat_number=seller.vat_number, seller_iban=seller.iban, seller_bank=seller.bank,
            seller_email=seller.email, description=_describe(claim),
            amount_net=split.net, vat_rate=split.rate, vat_amount=split.vat, amount_gross=split.gross,
            currency=cfg.currency, issue_date=issue_date, supply_date=supply_date,
            due_date=issue_date + timedelta(days=cfg.due_days), reference_number=reference,
            status="issued", amount_paid=Decimal("0.00"), issued_by=actor, issued_at=clock.now())
        session.add(invoice)
        claim.status = "invoiced"
        session.add(ClaimDecision(claim_id=claim.claim_id, action="invoiced", amount=split.gross,
                                  reason=invoice.number, actor=actor, decided_at=clock.now()))
        session.flush()
        uow.publish("billing.invoice.issued", {
            "invoice_id": invoice.invoice_id, "invoice_number": invoice.number, "claim_id": claim.claim_id,
            "participant_id": claim.participant_id, "employer": employer_payload(employer),
            "amount_net": split.net, "vat_rate": split.rate, "vat_amount": split.vat,
            "amount_gross": split.gross, "currency": invoice.currency, "issue_date": invoice.issue_date,
            "due_date": invoice.due_date, "reference_number": reference, "supply_date": supply_date,
            "pdf_url": pdf_url(kit, invoice.invoice_id)})
        return invoice.invoice_id


def apply_payment(uow: UnitOfWork, invoice: Invoice, amount: Decimal, paid_on: date, *, source: str,
                  actor: str, note: str = "", bank_entry_id: int | None = None) -> bool:
    """Book money against a locked invoice; returns True when it became paid. A settled one (paid
    or credited: a bank payment for it anyway) keeps its status; the money is a refund due."""
    uow.session.add(Payment(payment_id=str(uuid.uuid4()), invoice_id=invoice.invoice_id, amount=amount,
                            currency=invoice.currency, paid_on=paid_on, source=source,
                            bank_entry_id=bank_entry_id, note=note, recorded_by=actor, recorded_at=clock.now()))
    invoice.amount_paid = (invoice.amount_paid or Decimal("0.00")) + amount
    if invoice.status != "issued":
        # Settled already (a second payment of the same statement, an overpayment, money for an
        # invoice paid or credited before): the money is booked, but the invoice was settled
        # once -- no second "paid" event, its date and status stay.
        return False
    if invoice.amount_paid < invoice.amount_gross:
        return False
    invoice.status, invoice.paid_on = "paid", paid_on
    # The bank's calendar day, as midnight in Tallinn: the event carries when, not who booked it.
    paid_at = datetime.combine(paid_on, time(0), clock.TALLINN).astimezone(UTC)
    uow.publish("billing.invoice.paid", {
        "invoice_id": invoice.invoice_id, "invoice_number": invoice.number, "paid_at": paid_at,
        "paid_on": paid_on, "amount": invoice.amount_paid, "currency": invoice.currency})
    return True


def mark_paid(kit: ServiceKit, invoice_id: str, actor: str, amount: Decimal | None = None,
              paid_on: date | None = None, note: str = "") -> bool:
    """Record a payment by hand (default: what is still due, today); True if now paid."""
    paid_on = paid_on or today()
    if paid_on > today():
        raise InvalidInput("payment.date_in_future", "the payment date is in the future",
                           "makse kuupäev on tulevikus", field="paid_on")
    with kit.unit_of_work() as uow:
        invoice = _locked_invoice(uow.session, invoice_id)
        if invoice.status != "issued":
            # As an overpayment by hand is refused (below), so is a payment on a settled invoice:
            # money that reached the bank for it anyway comes with the statement import, which
            # books it on the invoice and lists it as a refund due.
            raise Conflict("invoice.not_open",
                           f"the invoice is {invoice.status} already; nothing is due, so no payment is recorded "
                           "by hand. Money that reached the bank for it anyway is booked when the bank statement "
                           "is imported and is then listed as a refund due",
                           f"arve on juba olekus „{INVOICE_STATUS_ET.get(invoice.status, invoice.status)}“; "
                           "tasuda pole midagi, seega käsitsi makset ei registreerita. Sellele siiski panka "
                           "laekunud raha kirjendatakse pangaväljavõtte importimisel ja see ilmub "
                           "tagastamisele kuuluvate summade alla")
        due = invoice.amount_gross - invoice.amount_paid
        amount = due if amount is None else amount
        if not amount.is_finite() or amount <= 0 or not has_at_most_two_decimals(amount):
            raise InvalidInput("payment.amount_invalid", "the amount must be a positive sum in cents",
                               "summa peab olema positiivne ja sentides", field="amount")
        if amount > due:
            raise InvalidInput("payment.amount_above_due", f"only {due} is still due",
                               f"tasumata on ainult {due}", field="amount")
        return apply_payment(uow, invoice, amount.quantize(Decimal("0.01")), paid_on, source="manual",
                             actor=actor, note=note.strip())


EMAILED_AGAIN = "invoice_emailed_again"  # the claim history's action for finance's "send again"


def send_invoice_again(kit: ServiceKit, invoice_id: str, actor: str, request_id: str,
                       email: str | None = None) -> tuple[str, bool]:
    """Finance has the invoice e-mail sent to the employer once more (it never arrived, or went to
    the wrong address): to ``email`` if given, else the address on the invoice. Notify sends it
    with a PDF link signed then, one e-mail per ``request_id`` -- the form's, so a double submit
    publishes nothing more. Returns (the address, whether it was requested now). Only an open
    invoice: a paid or credited one is not sent again as a request to pay (409)."""
    email = (email or "").strip()
    if email:
        try:
            validate.Email()(email)
        except ValidationError:
            raise InvalidInput("invoice.email_invalid", "not an e-mail address", "see ei ole e-posti aadress",
                               field="email") from None
    with kit.unit_of_work() as uow:
        session = uow.session
        invoice = _locked_invoice(session, invoice_id)  # a double submit waits here, then sees the first
        earlier = session.scalars(select(ClaimDecision).where(
            ClaimDecision.claim_id == invoice.claim_id, ClaimDecision.action == EMAILED_AGAIN,
            ClaimDecision.reason.endswith(f"({request_id})", autoescape=True))).first()
        if earlier is not None:
            return earlier.reason.removeprefix(f"{invoice.number} → ").removesuffix(f" ({request_id})"), False
        if invoice.status == "credited":
            raise Conflict("invoice.credited_not_sent", "the invoice is credited: nothing is due, so it is not "
                           "sent again; the employer got the credit note",
                           "arve on krediteeritud: tasuda pole midagi, seega seda uuesti ei saadeta; tööandja sai "
                           "kreeditarve")
        if invoice.status == "paid":
            raise Conflict("invoice.paid_not_sent", "the invoice is paid already, so it is not sent again as a "
                           "request to pay; its PDF is on the invoice page",
                           "arve on juba tasutud, seega seda maksmiseks uuesti ei saadeta; arve PDF on arve lehel")
        recipient = email or invoice.buyer_email
        session.add(ClaimDecision(claim_id=invoice.claim_id, action=EMAILED_AGAIN,
                                  reason=f"{invoice.number} → {recipient} ({request_id})", actor=actor,
                                  decided_at=clock.now()))
        uow.publish("billing.invoice.email_requested_again", {
            "invoice_id": invoice.invoice_id, "invoice_number": invoice.number, "request_id": request_id,
            "recipient_email": recipient, "participant_id": invoice.participant_id,
            "employer": buyer_payload(invoice), "amount_gross": invoice.amount_gross, "currency": invoice.currency,
            "due_date": invoice.due_date, "reference_number": invoice.reference_number,
            "vat_rate": invoice.vat_rate, "vat_amount": invoice.vat_amount})
        return recipient, True


def credit_invoice(kit: ServiceKit, invoice_id: str, reason: str, actor: str) -> str:
    """Cancel an invoice in full with a credit note of its own series; returns its id.

    The claim goes back to "approved", so the coordinator can waive it or finance can
    issue a corrected invoice; the credited invoice stays as it was.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("credit.reason_required", "a reason is required for a credit note",
                           "kreeditarve põhjus on kohustuslik", field="reason")
    cfg = config(kit)
    with kit.unit_of_work() as uow:
        session = uow.session
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFound("invoice.not_found", f"no invoice {invoice_id}", f"arvet {invoice_id} ei ole")
        claim = session.get(Claim, invoice.claim_id, with_for_update=True)  # claim first: lock order
        invoice = _locked_invoice(session, invoice_id)
        if invoice.status == "credited":
            raise Conflict("invoice.already_credited", "the invoice is credited already",
                           "arve on juba krediteeritud")
        seq = next_number(session, f"credit:{cfg.credit_note_series}")
        note = CreditNote(
            credit_note_id=str(uuid.uuid4()), invoice_id=invoice.invoice_id, series=cfg.credit_note_series,
            seq=seq, number=document_number(cfg.credit_note_series, seq), issue_date=today(), reason=reason,
            amount_net=invoice.amount_net, vat_rate=invoice.vat_rate, vat_amount=invoice.vat_amount,
            amount_gross=invoice.amount_gross, currency=invoice.currency, created_by=actor,
            created_at=clock.now())
        session.add(note)
        invoice.status = "credited"
        if claim.status == "invoiced":
            claim.status = "approved"
        session.add(ClaimDecision(claim_id=claim.claim_id, action="credited", amount=invoice.amount_gross,
                                  reason=f"{invoice.number} → {note.number}: {reason}", actor=actor,
                                  decided_at=clock.now()))
        session.flush()
        uow.publish("billing.invoice.credited", {
            "invoice_id": invoice.invoice_id, "invoice_number": invoice.number,
            "credit_note_number": note.number, "amount_gross": note.amount_gross, "currency": note.currency,
            "reason": reason, "employer": buyer_payload(invoice),
            "pdf_url": pdf_url(kit, f"credit-note:{note.credit_note_id}"),
            "vat_rate": note.vat_rate, "vat_amount": note.vat_amount})
        return note.credit_note_id
