"""Billing's tables. Nothing outside this service reads them.

Money is ``Numeric(12, 2)`` (Decimal in Python), times are aware UTC (``UtcDateTime``),
calendar days (issue, due, supply, booking) are plain dates in Europe/Tallinn.
Issued documents (invoices, credit notes) are never deleted; after issue only their
payment status changes, never their figures.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UtcDateTime, declarative_base
from shared.messaging.tables import MessagingTables

Base = declarative_base()
messaging = MessagingTables(Base.metadata)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only auto-increments INTEGER
MONEY = Numeric(12, 2)
RATE = Numeric(5, 2)

# Claim status: proposed → approved | waived | withdrawn; approved → invoiced;
# invoiced → approved again when its invoice is credited (re-invoice or waive).
CLAIM_STATUSES = ("proposed", "approved", "waived", "withdrawn", "invoiced")
INVOICE_STATUSES = ("issued", "paid", "credited")


class Employer(Base):
    """Projection of organisations from enrolment and attendance events (newest wins)."""
    __tablename__ = "employers"
    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    registry_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20))
    billing_email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(Text, default="")
    as_of: Mapped[datetime] = mapped_column(UtcDateTime())


class EditionPolicy(Base):
    """Projection of enrolment.edition.published: an edition's dropout claim policy (gross) and
    whether VAT applies to its invoices. None where the event did not carry it (an older
    enrolment, or the coordinator left it to billing): the BILLING_* setting applies."""
    __tablename__ = "edition_policies"
    edition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    claim_cap: Mapped[Decimal | None] = mapped_column(MONEY)
    claim_daily_rate: Mapped[Decimal | None] = mapped_column(MONEY)
    vat_applies: Mapped[bool | None] = mapped_column(Boolean)


class EditionGroup(Base):
    """Which edition a group belongs to (a dropout names only its group)."""
    __tablename__ = "edition_groups"
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(64), index=True)


class Participation(Base):
    """Whether attendance last said a participant dropped out or was reinstated.

    Lets handlers tolerate out-of-order delivery: an event older than ``as_of`` is stale.
    """
    __tablename__ = "participations"
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # dropped_out | reinstated
    as_of: Mapped[datetime] = mapped_column(UtcDateTime())
    event_id: Mapped[str] = mapped_column(String(36))


class Claim(Base):
    """One per participant and application: a dropout is never claimed twice."""
    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("participant_id", "application_id",
                                       name="uq_claims_participant_application"),
                      Index("ix_claims_status", "status"))
    claim_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str] = mapped_column(String(64))
    participant_name: Mapped[str] = mapped_column(String(300), default="")
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.organisation_id"))
    reason: Mapped[str] = mapped_column(String(20))  # absence | withdrawal
    days_attended: Mapped[int] = mapped_column(Integer)
    days_held: Mapped[int] = mapped_column(Integer)
    dropped_out_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dropped_out_on: Mapped[date] = mapped_column(Date)  # the date of supply on the invoice
    dropout_event_id: Mapped[str] = mapped_column(String(36))
    # The rule's inputs as they were at proposal, so the explanation never changes later.
    daily_rate: Mapped[Decimal] = mapped_column(MONEY)
    cap: Mapped[Decimal] = mapped_column(MONEY)
    proposed_amount: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)  # what the coordinator approved
    status: Mapped[str] = mapped_column(String(20))
    waive_reason: Mapped[str | None] = mapped_column(Text)
    # Set when attendance reinstated the participant after the claim was decided: the
    # coordinator must look at it (the claim is not changed by itself).
    reinstated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(254))


class ClaimDecision(Base):
    """Every decision and automatic change on a claim: who, when, what, why."""
    __tablename__ = "claim_decisions"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.claim_id"), index=True)
    action: Mapped[str] = mapped_column(String(30))  # approved | waived | withdrawn | reopened | ...
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NumberCounter(Base):
    """The last number used per series. Locked (SELECT … FOR UPDATE) by the transaction
    that issues the next document, so numbers commit or roll back with it: no gaps."""
    __tablename__ = "number_counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("series", "seq", name="uq_invoices_series_seq"),
                      Index("ix_invoices_status_due_date", "status", "due_date"))
    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    series: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.claim_id"), index=True)
    participant_id: Mapped[str] = mapped_column(String(64))
    # The buyer and seller as printed: copied at issue, never updated afterwards.
    employer_id: Mapped[str] = mapped_column(String(64))
    buyer_name: Mapped[str] = mapped_column(String(300))
    buyer_registry_code: Mapped[str] = mapped_column(String(8))
    buyer_address: Mapped[str] = mapped_column(Text)
    buyer_email: Mapped[str] = mapped_column(String(254))
    buyer_kind: Mapped[str] = mapped_column(String(20))
    seller_name: Mapped[str] = mapped_column(String(300))
    seller_address: Mapped[str] = mapped_column(Text)
    seller_registry_code: Mapped[str] = mapped_column(String(20))
    seller_vat_number: Mapped[str] = mapped_column(String(20))
    seller_iban: Mapped[str] = mapped_column(String(34))
    seller_bank: Mapped[str] = mapped_column(String(100))
    seller_email: Mapped[str] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(Text)
    amount_net: Mapped[Decimal] = mapped_column(MONEY)
    vat_rate: Mapped[Decimal] = mapped_column(RATE)
    vat_amount: Mapped[Decimal] = mapped_column(MONEY)
    amount_gross: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    supply_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    reference_number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # issued | paid | credited
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(254))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CreditNote(Base):
    """Cancels one invoice in full, with its own number from its own series."""
    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("series", "seq", name="uq_credit_notes_series_seq"),)
    credit_note_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.invoice_id"), unique=True)
    series: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    amount_net: Mapped[Decimal] = mapped_column(MONEY)
    vat_rate: Mapped[Decimal] = mapped_column(RATE)
    vat_amount: Mapped[Decimal] = mapped_column(MONEY)
    amount_gross: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatementImport(Base):
    """One upload of a camt.053 file; ``result`` keeps what the finance user was shown."""
    __tablename__ = "statement_imports"
    import_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    statement_ids: Mapped[str] = mapped_column(Text)
    account_iban: Mapped[str] = mapped_column(String(200), default="")
    matched: Mapped[int] = mapped_column(Integer, default=0)
    partial: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    # Payments for invoices paid or credited already: booked, due back to the employer.
    settled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    ignored: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(Text)  # JSON
    imported_by: Mapped[str] = mapped_column(String(254))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BankEntry(Base):
    """Every bank entry ever imported, once: (account, entry_ref) is the dedupe key, so the
    same statement imported twice books nothing twice."""
    __tablename__ = "bank_entries"
    __table_args__ = (UniqueConstraint("account_iban", "entry_ref", name="uq_bank_entries_account_entry"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    account_iban: Mapped[str] = mapped_column(String(34))  # "" when the statement names none
    entry_ref: Mapped[str] = mapped_column(String(200))
    import_id: Mapped[str] = mapped_column(ForeignKey("statement_imports.import_id"), index=True)
    statement_id: Mapped[str] = mapped_column(String(140))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    credit: Mapped[bool] = mapped_column(Boolean)
    booking_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(40))
    debtor_name: Mapped[str | None] = mapped_column(String(300))
    remittance_text: Mapped[str | None] = mapped_column(Text)
    # paid | underpaid | overpaid | already_paid | already_credited | unknown_reference | no_reference |
    # wrong_currency | ignored
    outcome: Mapped[str] = mapped_column(String(30))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.invoice_id"))
    difference: Mapped[Decimal | None] = mapped_column(MONEY)


class Payment(Base):
    """Money received for an invoice, by hand or from a bank statement."""
    __tablename__ = "payments"
    payment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.invoice_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10))  # manual | bank
    bank_entry_id: Mapped[int | None] = mapped_column(ForeignKey("bank_entries.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InvoiceReminder(Base):
    """A reminder stage reached by an invoice; the primary key makes each stage happen once.

    ``published`` is false for stages overtaken while the service was down (a "due soon"
    found after the due date is recorded, not sent).
    """
    __tablename__ = "invoice_reminders"
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.invoice_id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(30), primary_key=True)
    reached_on: Mapped[date] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Refund(Base):
    """Money paid back to the employer for an invoice: what it received beyond what it still
    owes (a credited invoice that had been paid, an overpayment). ``request_id`` is the form's
    (or the API call's) key, so a double submit records one refund."""
    __tablename__ = "refunds"
    refund_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.invoice_id"), index=True)
    request_id: Mapped[str] = mapped_column(String(80), unique=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_on: Mapped[date] = mapped_column(Date)  # the day the money went out (Tallinn)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
