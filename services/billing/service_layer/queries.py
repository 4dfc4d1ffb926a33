"""Read side for pages, the API and the CSV export: plain dicts, no ORM objects leak out."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, select

from services.billing.adapters.models import (
    CLAIM_STATUSES,
    BankEntry,
    Claim,
    ClaimDecision,
    CreditNote,
    Employer,
    Invoice,
    InvoiceReminder,
    Payment,
    Refund,
    StatementImport,
)
from services.billing.domain.claims import issue_by, issue_urgency, propose_amount
from services.billing.service_layer.common import config, today
from services.billing.service_layer.invoices import EMAILED_AGAIN
from services.billing.service_layer.policies import vat_applies, vat_applies_by_group
from services.billing.service_layer.refunds import refund_states
from shared.kit import ServiceKit

ZERO = Decimal("0.00")
INVOICE_FILTERS = ("outstanding", "overdue", "paid", "credited", "issued")
# Claims whose invoice is still to be issued, so the § 37 issue-by date concerns them.
AWAITING_INVOICE = ("proposed", "approved")
# Bank entries booked with money beyond what was due: a to-do while their invoice has a refund due.
REFUNDING_OUTCOMES = ("overpaid", "already_paid", "already_credited")
ISSUE_OVERDUE = "issue_overdue"  # list filter: awaiting an invoice past the issue-by date
CLAIM_FILTERS = (*CLAIM_STATUSES, ISSUE_OVERDUE)


def _invoiced_since_proposed():
    # A credited claim is "approved" again for re-invoicing, but its supply has been invoiced
    # once already: the § 37 deadline is behind it. Only invoices of this dropout count: one
    # issued before the claim was proposed again (a new dropout after a reinstatement) does not.
    return exists().where(Invoice.claim_id == Claim.claim_id, Invoice.issued_at >= Claim.proposed_at)


def _claim(claim: Claim, employer: Employer | None, invoiced: bool, day: date, issue_days: int,
           applies: bool = True) -> dict:
    # The explanation says "(incl. VAT)" only where VAT applies to the claim's invoice (``applies``).
    proposal = propose_amount(claim.days_held, claim.daily_rate, claim.cap, vat_applies=applies)
    # A reinstated participant's claim waits for the coordinator, not for an invoice.
    awaiting = claim.status in AWAITING_INVOICE and not invoiced and claim.reinstated_at is None
    deadline = issue_by(claim.dropped_out_on, issue_days) if awaiting else None
    return {
        "claim_id": claim.claim_id, "participant_id": claim.participant_id,
        "participant_name": claim.participant_name, "application_id": claim.application_id,
        "group_id": claim.group_id, "reason": claim.reason, "days_attended": claim.days_attended,
        "days_held": claim.days_held, "dropped_out_at": claim.dropped_out_at,
        "dropped_out_on": claim.dropped_out_on, "daily_rate": claim.daily_rate, "cap": claim.cap,
        "proposed_amount": claim.proposed_amount, "amount": claim.amount, "status": claim.status,
        "capped": proposal.capped, "explanation_et": proposal.explanation_et,
        "explanation_en": proposal.explanation_en, "waive_reason": claim.waive_reason,
        "reinstated_at": claim.reinstated_at, "needs_attention": claim.reinstated_at is not None,
        "proposed_at": claim.proposed_at, "decided_at": claim.decided_at, "decided_by": claim.decided_by,
        "issue_by": deadline, "issue_urgency": issue_urgency(deadline, day) if deadline else None,
        "employer": {"organisation_id": employer.organisation_id, "name": employer.name,
                     "registry_code": employer.registry_code, "kind": employer.kind,
                     "billing_email": employer.billing_email, "address": employer.address} if employer else None,
    }


def _claims(kit: ServiceKit, where, order_by) -> list[dict]:
    day, issue_days = today(), config(kit).issue_days
    query = (select(Claim, Employer, _invoiced_since_proposed().label("invoiced"))
             .join(Employer, Employer.organisation_id == Claim.employer_id))
    if where is not None:
        query = query.where(where)
    with kit.db.read_session() as session:
        rows = session.execute(query.order_by(*order_by)).all()
        applies = vat_applies_by_group(session, (claim.group_id for claim, _e, _i in rows), config(kit))
        return [_claim(claim, employer, invoiced, day, issue_days, applies[claim.group_id])
                for claim, employer, invoiced in rows]


def list_claims(kit: ServiceKit, status: str | None = None) -> list[dict]:
    """Claims, oldest first; ``status`` is a claim status or ``issue_overdue``."""
    where = None
    if status == ISSUE_OVERDUE:
        # Past the issue-by date: dropped out more than issue_days days before today.
        where = (Claim.status.in_(AWAITING_INVOICE) & ~_invoiced_since_proposed() & Claim.reinstated_at.is_(None)
                 & (Claim.dropped_out_on < today() - timedelta(days=config(kit).issue_days)))
    elif status:
        where = Claim.status == status
    return _claims(kit, where, (Claim.proposed_at, Claim.claim_id))


def claims_needing_attention(kit: ServiceKit) -> list[dict]:
    return _claims(kit, Claim.reinstated_at.is_not(None), (Claim.proposed_at,))


def get_claim(kit: ServiceKit, claim_id: str) -> dict | None:
    with kit.db.read_session() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            return None
        invoices = list(session.scalars(select(Invoice).where(Invoice.claim_id == claim_id).order_by(Invoice.seq)))
        invoiced = any(invoice.issued_at >= claim.proposed_at for invoice in invoices)  # as _invoiced_since_proposed
        cfg = config(kit)
        # What an invoice issued now would apply (the edition's value at issue time, else the setting).
        applies, source = vat_applies(session, claim.group_id, cfg)
        result = _claim(claim, session.get(Employer, claim.employer_id), invoiced, today(), cfg.issue_days, applies)
        result["vat_applies"], result["vat_applies_source"] = applies, source
        result["decisions"] = [
            {"action": d.action, "amount": d.amount, "reason": d.reason, "actor": d.actor, "decided_at": d.decided_at}
            for d in session.scalars(select(ClaimDecision).where(ClaimDecision.claim_id == claim_id)
                                     .order_by(ClaimDecision.id))]
        states = refund_states(session, invoices)
        result["invoices"] = [
            {"invoice_id": i.invoice_id, "number": i.number, "status": i.status, "amount_gross": i.amount_gross,
             "vat_amount": i.vat_amount, "issue_date": i.issue_date, "amount_paid": i.amount_paid, "refund_due": states[i.invoice_id].due,
             "refunded": states[i.invoice_id].refunded}
            for i in invoices]
        return result


def _invoice(invoice: Invoice, day: date) -> dict:
    outstanding = invoice.amount_gross - invoice.amount_paid if invoice.status == "issued" else ZERO
    overdue = invoice.status == "issued" and invoice.due_date < day
    return {
        "invoice_id": invoice.invoice_id, "number": invoice.number, "series": invoice.series, "seq": invoice.seq,
        "claim_id": invoice.claim_id, "participant_id": invoice.participant_id,
        "buyer": {"organisation_id": invoice.employer_id, "name": invoice.buyer_name,
                  "registry_code": invoice.buyer_registry_code, "address": invoice.buyer_address,
                  "billing_email": invoice.buyer_email, "kind": invoice.buyer_kind},
        "seller": {"name": invoice.seller_name, "address": invoice.seller_address,
                   "registry_code": invoice.seller_registry_code, "vat_number": invoice.seller_vat_number,
                   "iban": invoice.seller_iban, "bank": invoice.seller_bank},
        "description": invoice.description, "amount_net": invoice.amount_net, "vat_rate": invoice.vat_rate,
        "vat_amount": invoice.vat_amount, "amount_gross": invoice.amount_gross, "currency": invoice.currency,
        "issue_date": invoice.issue_date, "supply_date": invoice.supply_date, "due_date": invoice.due_date,
        "reference_number": invoice.reference_number, "status": invoice.status,
        "amount_paid": invoice.amount_paid, "outstanding": outstanding, "paid_on": invoice.paid_on,
        "overdue": overdue, "days_overdue": (day - invoice.due_date).days if overdue else 0,
        "issued_by": invoice.issued_by, "issued_at": invoice.issued_at,
    }


def _filtered(query, status: str | None, day: date):
    if status in ("issued", "outstanding"):
        return query.where(Invoice.status == "issued")
    if status == "overdue":
        return query.where(Invoice.status == "issued", Invoice.due_date < day)
    if status:
        return query.where(Invoice.status == status)
    return query


def list_invoices(kit: ServiceKit, status: str | None = None) -> dict:
    """Invoices with totals; ``status`` is issued/outstanding, overdue, paid or credited."""
    day = today()
    with kit.db.read_session() as session:
        invoices = [_invoice(i, day) for i in session.scalars(
            _filtered(select(Invoice), status, day).order_by(Invoice.series, Invoice.seq))]
    # Summed in Python: Decimal stays exact (SQLite would sum floats).
    totals = {"count": len(invoices)}
    for key in ("amount_net", "vat_amount", "amount_gross", "amount_paid", "outstanding"):
        totals[key] = sum((i[key] for i in invoices), ZERO)
    return {"status": status, "items": invoices, "totals": totals}


def invoice_summary(kit: ServiceKit) -> dict:
    """Counts and sums per status, for the index page."""
    day = today()
    summary = {}
    with kit.db.read_session() as session:
        invoices = [_invoice(i, day) for i in session.scalars(select(Invoice))]
    for name in INVOICE_FILTERS:
        chosen = [i for i in invoices if _matches(i, name)]
        summary[name] = {"count": len(chosen), "amount_gross": sum((i["amount_gross"] for i in chosen), ZERO),
                         "outstanding": sum((i["outstanding"] for i in chosen), ZERO)}
    return summary


def _matches(invoice: dict, name: str) -> bool:
    if name in ("issued", "outstanding"):
        return invoice["status"] == "issued"
    if name == "overdue":
        return invoice["overdue"]
    return invoice["status"] == name


def get_invoice(kit: ServiceKit, invoice_id: str) -> dict | None:
    with kit.db.read_session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return None
        result = _invoice(invoice, today())
        note = session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice_id)).first()
        result["credit_note"] = _credit_note(note, invoice) if note else None
        result["payments"] = [
            {"payment_id": p.payment_id, "amount": p.amount, "currency": p.currency, "paid_on": p.paid_on,
             "source": p.source, "note": p.note, "recorded_by": p.recorded_by, "recorded_at": p.recorded_at}
            for p in session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)
                                     .order_by(Payment.recorded_at))]
        result["reminders"] = [
            {"stage": r.stage, "reached_on": r.reached_on, "published": r.published}
            for r in session.scalars(select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice_id)
                                     .order_by(InvoiceReminder.reached_on, InvoiceReminder.stage))]
        state = refund_states(session, [invoice])[invoice_id]
        result["still_owed"], result["refund_due"], result["refunded"] = state.still_owed, state.due, state.refunded
        result["emailed_again"] = [
            {"recipient": d.reason.removeprefix(f"{invoice.number} → ").rsplit(" (", 1)[0], "actor": d.actor,
             "at": d.decided_at}
            for d in session.scalars(select(ClaimDecision).where(
                ClaimDecision.claim_id == invoice.claim_id, ClaimDecision.action == EMAILED_AGAIN,
                ClaimDecision.reason.startswith(f"{invoice.number} → ", autoescape=True))
                .order_by(ClaimDecision.id))]
        result["refunds"] = [_refund(r) for r in session.scalars(
            select(Refund).where(Refund.invoice_id == invoice_id).order_by(Refund.recorded_at, Refund.refund_id))]
        return result


def _refund(refund: Refund) -> dict:
    return {"refund_id": refund.refund_id, "amount": refund.amount, "currency": refund.currency,
            "refunded_on": refund.refunded_on, "note": refund.note, "recorded_by": refund.recorded_by,
            "recorded_at": refund.recorded_at}


def refunds_due(kit: ServiceKit) -> list[dict]:
    """Invoices that received more than they still owe, less what was paid back: finance's to-do.
    ``why``: credited (the credit note cancelled an invoice that had been paid) or overpaid."""
    with kit.db.read_session() as session:
        invoices = list(session.scalars(select(Invoice).where(Invoice.amount_paid > 0)
                                        .order_by(Invoice.series, Invoice.seq)))
        states = refund_states(session, invoices)
        return [{"invoice_id": i.invoice_id, "number": i.number, "claim_id": i.claim_id, "status": i.status,
                 "why": "credited" if i.status == "credited" else "overpaid",
                 "buyer": {"organisation_id": i.employer_id, "name": i.buyer_name,
                           "registry_code": i.buyer_registry_code, "billing_email": i.buyer_email},
                 "currency": i.currency, "amount_gross": i.amount_gross, "received": states[i.invoice_id].received,
                 "still_owed": states[i.invoice_id].still_owed, "refunded": states[i.invoice_id].refunded,
                 "refund_due": states[i.invoice_id].due}
                for i in invoices if states[i.invoice_id].due > 0]


def _credit_note(note: CreditNote, invoice: Invoice) -> dict:
    return {"credit_note_id": note.credit_note_id, "number": note.number, "issue_date": note.issue_date,
            "reason": note.reason, "invoice_id": note.invoice_id, "invoice_number": invoice.number,
            "amount_net": note.amount_net, "vat_rate": note.vat_rate, "vat_amount": note.vat_amount,
            "amount_gross": note.amount_gross, "currency": note.currency, "created_by": note.created_by}


def get_credit_note(kit: ServiceKit, credit_note_id: str) -> dict | None:
    with kit.db.read_session() as session:
        note = session.get(CreditNote, credit_note_id)
        return _credit_note(note, session.get(Invoice, note.invoice_id)) if note else None


def list_imports(kit: ServiceKit, limit: int = 50) -> list[dict]:
    with kit.db.read_session() as session:
        return [{"import_id": r.import_id, "filename": r.filename, "statement_ids": r.statement_ids,
                 "account_iban": r.account_iban, "matched": r.matched, "partial": r.partial,
                 "unmatched": r.unmatched, "settled": r.settled, "duplicates": r.duplicates, "ignored": r.ignored,
                 "imported_by": r.imported_by, "imported_at": r.imported_at}
                for r in session.scalars(select(StatementImport).order_by(StatementImport.imported_at.desc())
                                         .limit(limit))]


def open_bank_entries(kit: ServiceKit) -> list[dict]:
    """Incoming money not (fully) matched to an invoice, across all imports: finance's to-do.
    An overpayment, and a payment for an invoice paid or credited already, stays until its
    invoice has nothing left to refund (the refund recorded)."""
    with kit.db.read_session() as session:
        rows = session.execute(
            select(BankEntry, Invoice.number).outerjoin(Invoice, Invoice.invoice_id == BankEntry.invoice_id)
            .where(BankEntry.outcome.not_in(("paid", "ignored")),
                   # An instalment of an invoice that later payments settled is nothing to do.
                   ~((BankEntry.outcome == "underpaid") & (Invoice.status == "paid")))
            .order_by(BankEntry.booking_date.desc(), BankEntry.id.desc())).all()
        overpaid = [e.invoice_id for e, _ in rows if e.outcome in REFUNDING_OUTCOMES and e.invoice_id]
        refunding = {invoice_id for invoice_id, state in refund_states(
            session, list(session.scalars(select(Invoice).where(Invoice.invoice_id.in_(overpaid))))
            if overpaid else []).items() if state.due > 0}
        rows = [(e, number) for e, number in rows if e.outcome not in REFUNDING_OUTCOMES or e.invoice_id in refunding]
        return [{"entry_ref": e.entry_ref, "account_iban": e.account_iban, "amount": e.amount,
                 "currency": e.currency, "booking_date": e.booking_date, "reference": e.reference,
                 "debtor_name": e.debtor_name, "remittance_text": e.remittance_text, "outcome": e.outcome,
                 "invoice_id": e.invoice_id, "invoice_number": number, "difference": e.difference}
                for e, number in rows]


CSV_COLUMNS = ("document_type", "number", "issue_date", "supply_date", "due_date", "corrects_invoice",
               "buyer_name", "buyer_registry_code", "buyer_address", "description", "amount_net", "vat_rate",
               "vat_amount", "amount_gross", "currency", "reference_number", "status", "amount_paid", "paid_on")


def export_csv(kit: ServiceKit, date_from: date | None = None, date_to: date | None = None) -> str:
    """Invoices and credit notes for the accounting system, one row per document.

    Credit notes carry negative amounts, so the column sums are the net turnover.
    Comma-separated, decimal point, ISO dates: what accounting imports read unambiguously.
    """
    rows = []
    with kit.db.read_session() as session:
        invoices = {i.invoice_id: i for i in session.scalars(select(Invoice))}
        notes = list(session.scalars(select(CreditNote)))
    for i in invoices.values():
        rows.append({"document_type": "invoice", "number": i.number, "issue_date": i.issue_date,
                     "supply_date": i.supply_date, "due_date": i.due_date, "corrects_invoice": "",
                     "buyer_name": i.buyer_name, "buyer_registry_code": i.buyer_registry_code,
                     "buyer_address": i.buyer_address, "description": i.description, "amount_net": i.amount_net,
                     "vat_rate": i.vat_rate, "vat_amount": i.vat_amount, "amount_gross": i.amount_gross,
                     "currency": i.currency, "reference_number": i.reference_number, "status": i.status,
                     "amount_paid": i.amount_paid, "paid_on": i.paid_on or "", "_key": (i.issue_date, 0, i.seq)})
    for n in notes:
        i = invoices[n.invoice_id]
        rows.append({"document_type": "credit_note", "number": n.number, "issue_date": n.issue_date,
                     "supply_date": i.supply_date, "due_date": "", "corrects_invoice": i.number,
                     "buyer_name": i.buyer_name, "buyer_registry_code": i.buyer_registry_code,
                     "buyer_address": i.buyer_address, "description": n.reason, "amount_net": -n.amount_net,
                     "vat_rate": n.vat_rate, "vat_amount": -n.vat_amount, "amount_gross": -n.amount_gross,
                     "currency": n.currency, "reference_number": i.reference_number, "status": "issued",
                     "amount_paid": "", "paid_on": "", "_key": (n.issue_date, 1, n.seq)})
    rows = [r for r in rows if (date_from is None or r["issue_date"] >= date_from)
            and (date_to is None or r["issue_date"] <= date_to)]
    rows.sort(key=lambda r: r["_key"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(value) for key, value in row.items()})
    return out.getvalue()


def _csv_value(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a name like "=HYPERLINK(…)" must stay text in a spreadsheet
    return value
