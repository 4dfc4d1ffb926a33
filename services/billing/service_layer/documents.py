"""PDFs of issued documents, rendered from what was stored at issue (never from today's data).

Rendering is deterministic, so the same invoice always gives the same bytes.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.billing.adapters.models import CreditNote, Invoice
from services.billing.documents.invoice_pdf import (
    CreditNoteDocument,
    InvoiceDocument,
    Line,
    Party,
    render_credit_note_pdf,
    render_invoice_pdf,
)
from services.billing.domain.refunds import settled_link_until
from services.billing.service_layer.common import config
from shared.kit import ServiceKit

# With BILLING_VAT_APPLIES=false an invoice is stored at rate 0 (no Estonian standard rate is
# 0), and says why rather than print a bare "0 %".
# The invoice page shows the same explanation in its own language (issued_without_vat).
VAT_NOT_APPLIED_ET = "Käibemaksu ei lisata: hüvitis ei ole käibemaksuga maksustatav."
VAT_NOT_APPLIED_EN = "No VAT is added: the cost recovery is not subject to VAT."
VAT_NOT_APPLIED = f"{VAT_NOT_APPLIED_ET} / {VAT_NOT_APPLIED_EN}"
NOTES = "Arve on koostatud elektrooniliselt ja kehtib allkirjata. / Issued electronically, valid without a signature."


def _seller(invoice: Invoice) -> Party:
    return Party(name=invoice.seller_name, address=invoice.seller_address,
                 registry_code=invoice.seller_registry_code, vat_number=invoice.seller_vat_number,
                 iban=invoice.seller_iban, bank=invoice.seller_bank, email=invoice.seller_email)


def _buyer(invoice: Invoice) -> Party:
    return Party(name=invoice.buyer_name, address=invoice.buyer_address or "",
                 registry_code=invoice.buyer_registry_code, email=invoice.buyer_email)


def issued_without_vat(vat_rate, vat_amount) -> bool:
    """How an invoice issued with VAT not applied is stored: rate 0 and VAT 0.00."""
    return vat_rate == 0 and vat_amount == 0


def _vat_note(invoice: Invoice) -> str:
    return VAT_NOT_APPLIED if issued_without_vat(invoice.vat_rate, invoice.vat_amount) else ""


def _line(invoice: Invoice, description: str) -> Line:
    return Line(description=description, net=invoice.amount_net, vat_rate=invoice.vat_rate,
                vat=invoice.vat_amount, gross=invoice.amount_gross)


def invoice_pdf(kit: ServiceKit, invoice_id: str) -> tuple[str, bytes] | None:
    with kit.db.transaction() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return None
        document = InvoiceDocument(
            number=invoice.number, issue_date=invoice.issue_date, due_date=invoice.due_date,
            supply_date=invoice.supply_date, seller=_seller(invoice), buyer=_buyer(invoice),
            lines=[_line(invoice, invoice.description)], amount_net=invoice.amount_net,
            vat_rate=invoice.vat_rate, vat_amount=invoice.vat_amount, amount_gross=invoice.amount_gross,
            reference_number=invoice.reference_number, currency=invoice.currency, notes=NOTES,
            vat_note=_vat_note(invoice))
    return f"arve-{invoice.number}.pdf", render_invoice_pdf(document, deterministic=True)


def credit_note_pdf(kit: ServiceKit, credit_note_id: str) -> tuple[str, bytes] | None:
    with kit.db.transaction() as session:
        note = session.get(CreditNote, credit_note_id)
        if note is None:
            return None
        invoice = session.get(Invoice, note.invoice_id)
        document = CreditNoteDocument(
            number=note.number, issue_date=note.issue_date, original_invoice_number=invoice.number,
            original_invoice_date=invoice.issue_date, seller=_seller(invoice), buyer=_buyer(invoice),
            lines=[_line(invoice, invoice.description)], amount_net=note.amount_net, vat_rate=note.vat_rate,
            vat_amount=note.vat_amount, amount_gross=note.amount_gross, currency=note.currency,
            reason=note.reason, vat_note=_vat_note(invoice))
    return f"kreeditarve-{note.number}.pdf", render_credit_note_pdf(document, deterministic=True)


def settled_link_open_until(kit: ServiceKit, subject: str) -> date | None:
    """The last day the employer's link to this document opens however old the link is: the
    settlement day of its invoice (paid; credited: the credit note's day) + BILLING_INVOICE_LINK_DAYS.
    None while the invoice is open (its links live personal_link_max_age: reminders bring new ones)
    or for no such document."""
    with kit.db.read_session() as session:
        if subject.startswith("credit-note:"):
            note = session.get(CreditNote, subject.removeprefix("credit-note:"))
            invoice = session.get(Invoice, note.invoice_id) if note else None
        else:
            invoice = session.get(Invoice, subject)
        if invoice is None:
            return None
        if invoice.status == "credited":
            settled = session.scalar(select(CreditNote.issue_date).where(CreditNote.invoice_id == invoice.invoice_id))
        else:
            settled = invoice.paid_on if invoice.status == "paid" else None
    return settled_link_until(settled, config(kit).invoice_link_days)
