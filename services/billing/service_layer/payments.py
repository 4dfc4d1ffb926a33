"""Importing a bank statement (camt.053): incoming payments matched to open invoices.

A payment whose reference is an invoice of ours that was paid or credited already is the
employer's money all the same: it is booked on that invoice (which stays settled: no
reminders, no second ``billing.invoice.paid``) and so becomes a refund due (refunds.py).

Every entry is stored once under (account IBAN, entry_ref), the key banks keep stable
across exports, so a statement imported twice (or two overlapping statements) books
nothing twice: the second time its entries are listed as already imported.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from services.billing.adapters.models import BankEntry, Invoice, StatementImport
from services.billing.adapters.repository import next_number
from services.billing.domain.camt053 import (
    Entry,
    OpenInvoice,
    PaymentMatch,
    SettledInvoice,
    StatementError,
    match_payments,
    parse_statements,
)
from services.billing.service_layer.errors import InvalidInput
from services.billing.service_layer.invoices import apply_payment
from shared import clock
from shared.kit import ServiceKit

MAX_AMOUNT = Decimal("10000000000")  # Numeric(12, 2)
# "settled": payments for invoices paid or credited already, booked and due back to the employer.
SECTIONS = ("matched", "partial", "settled", "unmatched", "already_imported", "duplicates", "ignored")
SETTLED_STATUSES = ("paid", "credited")


@dataclass
class ImportReport:
    import_id: str
    sections: dict[str, list[dict]] = field(default_factory=lambda: {name: [] for name in SECTIONS})

    def add(self, section: str, entry: Entry, outcome: str, invoice: Invoice | None = None,
            match: PaymentMatch | None = None) -> None:
        self.sections[section].append({
            "entry_ref": entry.entry_ref, "amount": str(entry.amount), "currency": entry.currency,
            "credit": entry.credit, "booking_date": entry.booking_date.isoformat(),
            "reference": entry.reference, "debtor_name": entry.debtor_name,
            "remittance_text": entry.remittance_text, "outcome": outcome,
            "invoice_id": invoice.invoice_id if invoice else None,
            "invoice_number": invoice.number if invoice else None,
            "invoice_status": invoice.status if invoice else None,
            "amount_due": str(match.amount_due) if match and match.amount_due is not None else None,
            "difference": str(match.difference) if match and match.difference is not None else None,
        })


def import_statement(kit: ServiceKit, data: bytes, filename: str, actor: str) -> str:
    """Parse, match and book a camt.053 file in one transaction; returns the import id."""
    try:
        statements = parse_statements(data)
    except StatementError as exc:
        raise InvalidInput("statement.unreadable", f"not a readable camt.053 statement: {exc}",
                           f"fail ei ole loetav camt.053 pangaväljavõte: {exc}", field="file") from None
    _check_fits(statements)
    report = ImportReport(str(uuid.uuid4()))
    with kit.unit_of_work() as uow:
        session = uow.session
        # One import at a time (imports are rare): two uploads of the same file must not both
        # see its entries as new. The counter row is the lock; its value numbers the imports.
        next_number(session, "statement-imports")
        # Locked too, so a payment recorded by hand meanwhile cannot be booked twice.
        open_invoices = {invoice.invoice_id: invoice for invoice in session.scalars(
            select(Invoice).where(Invoice.status == "issued").with_for_update()
            .execution_options(populate_existing=True))}
        record = StatementImport(
            import_id=report.import_id, filename=(filename or "")[:255], sha256=hashlib.sha256(data).hexdigest(),
            statement_ids=", ".join(s.statement_id for s in statements),
            account_iban=", ".join(sorted({s.account_iban or "" for s in statements})),
            result="{}", imported_by=actor, imported_at=clock.now())
        session.add(record)
        session.flush()
        for statement in statements:
            account = statement.account_iban or ""
            known = _known_entry_refs(session, account, [e.entry_ref for e in statement.entries])
            fresh = []
            for entry in statement.entries:
                (report.add("already_imported", entry, "already_imported") if entry.entry_ref in known
                 else fresh.append(entry))
            # Rebuilt per statement: a payment booked from the previous one changed what is due.
            due = {invoice.reference_number: OpenInvoice(invoice.invoice_id, invoice.reference_number,
                                                         invoice.amount_gross - invoice.amount_paid,
                                                         invoice.currency)
                   for invoice in open_invoices.values() if invoice.status == "issued"}
            # Invoices of ours paid or credited already (before this import or by its previous
            # statement) that a fresh entry names; locked like the open ones.
            settled = _settled_invoices(session, {entry.reference.replace(" ", "") for entry in fresh
                                                  if entry.reference} - set(due))
            result = match_payments(fresh, due, {invoice.reference_number: SettledInvoice(
                invoice.invoice_id, invoice.reference_number, invoice.status == "credited", invoice.currency)
                for invoice in settled.values()})
            for entry in result.duplicates:
                report.add("duplicates", entry, "duplicate")
            for entry in result.ignored:
                _store(session, record, statement.statement_id, account, entry, "ignored")
                report.add("ignored", entry, "ignored")
            for match in result.unmatched:
                invoice = None
                if match.invoice:
                    invoice = open_invoices.get(match.invoice.invoice_id) or settled.get(match.invoice.reference)
                _store(session, record, statement.statement_id, account, match.entry, str(match.kind), invoice)
                report.add("unmatched", match.entry, str(match.kind), invoice, match)

            def book(section: str, match, invoice: Invoice, statement=statement, account=account) -> None:
                # Under- and overpayments are booked too: what arrived is the employer's money.
                # An overpaid invoice is settled (no reminders); the surplus is listed to refund.
                stored = _store(session, record, statement.statement_id, account, match.entry,
                                str(match.kind), invoice, match.difference)
                apply_payment(uow, invoice, match.entry.amount, match.entry.booking_date, source="bank",
                              actor=actor, note=f"{statement.statement_id} {match.entry.entry_ref}",
                              bank_entry_id=stored.id)
                report.add(section, match.entry, str(match.kind), invoice, match)

            for match in result.settled:
                # Nothing was due: all of it is surplus, a refund due until finance pays it back.
                book("settled", match, settled[match.invoice.reference])
            # Booked in the statement's order, as the money arrived: the instalment that
            # settles an invoice is the one that marks it paid, and the report shows each
            # invoice as that payment left it.
            position: dict[str, int] = {}
            for n, entry in enumerate(fresh):
                position.setdefault(entry.entry_ref, n)
            booked = sorted([("matched", m) for m in result.matched] + [("partial", m) for m in result.partial],
                            key=lambda item: position[item[1].entry.entry_ref])
            for section, match in booked:
                book(section, match, open_invoices[match.invoice.invoice_id])
        counts = {name: len(items) for name, items in report.sections.items()}
        record.matched, record.partial, record.unmatched = counts["matched"], counts["partial"], counts["unmatched"]
        record.settled = counts["settled"]
        record.duplicates = counts["already_imported"] + counts["duplicates"]
        record.ignored = counts["ignored"]
        record.result = json.dumps(report.sections)
    return report.import_id


def _check_fits(statements) -> None:
    """Refuse, with a clear message, what a bank never sends and our columns cannot hold."""
    for statement in statements:
        problems = []
        if len(statement.statement_id) > 140 or len(statement.account_iban or "") > 34:
            problems.append("statement id or account too long")
        for entry in statement.entries:
            if len(entry.entry_ref) > 200:
                problems.append(f"entry reference {entry.entry_ref[:40]}… too long")
            if entry.amount >= MAX_AMOUNT or entry.amount != entry.amount.quantize(Decimal("0.01")):
                problems.append(f"entry {entry.entry_ref[:40]}: amount {entry.amount} is not a sum in cents")
        if problems:
            detail = "; ".join(problems[:3])
            raise InvalidInput("statement.out_of_range", f"statement {statement.statement_id[:40]}: {detail}",
                               f"väljavõte {statement.statement_id[:40]}: {detail}", field="file")


def _settled_invoices(session, references: set[str]) -> dict[str, Invoice]:
    """The paid or credited invoices with these reference numbers, locked, by reference."""
    found: dict[str, Invoice] = {}
    refs = sorted(references)
    for start in range(0, len(refs), 500):
        found.update((invoice.reference_number, invoice) for invoice in session.scalars(
            select(Invoice).where(Invoice.reference_number.in_(refs[start:start + 500]),
                                  Invoice.status.in_(SETTLED_STATUSES))
            .with_for_update().execution_options(populate_existing=True)))
    return found


def _known_entry_refs(session, account: str, refs: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        known.update(session.scalars(select(BankEntry.entry_ref).where(
            BankEntry.account_iban == account, BankEntry.entry_ref.in_(chunk))))
    return known


def _store(session, record: StatementImport, statement_id: str, account: str, entry: Entry, outcome: str,
           invoice: Invoice | None = None, difference: Decimal | None = None) -> BankEntry:
    stored = BankEntry(
        account_iban=account, entry_ref=entry.entry_ref, import_id=record.import_id, statement_id=statement_id,
        amount=entry.amount, currency=entry.currency[:3], credit=entry.credit, booking_date=entry.booking_date,
        reference=(entry.reference or None) and entry.reference[:40],
        debtor_name=(entry.debtor_name or None) and entry.debtor_name[:300],
        remittance_text=entry.remittance_text, outcome=outcome,
        invoice_id=invoice.invoice_id if invoice else None, difference=difference)
    session.add(stored)
    session.flush()
    return stored


def import_report(kit: ServiceKit, import_id: str) -> dict | None:
    with kit.db.transaction() as session:
        record = session.get(StatementImport, import_id)
        if record is None:
            return None
        return {"import_id": record.import_id, "filename": record.filename, "sha256": record.sha256,
                "statement_ids": record.statement_ids, "account_iban": record.account_iban,
                "imported_by": record.imported_by, "imported_at": record.imported_at,
                **{name: [] for name in SECTIONS}, **json.loads(record.result or "{}")}

