"""Refunds: money an employer paid that billing no longer claims, paid back by finance.

A credited invoice that had received money (in full or in part) owes nothing any more, and an
overpaid invoice received more than it owes: both leave a refund due, listed for finance until
finance records the refund as paid out. Recording it is one transaction that writes the refund
and a line in the claim's history; the form's request id makes a double submit record once.
No event: no other service acts on a refund (notify sends nothing for it).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.models import ClaimDecision, CreditNote, Invoice, Refund
from services.billing.domain.refunds import ZERO, refund_due, still_owed
from services.billing.service_layer.common import today
from services.billing.service_layer.errors import Conflict, InvalidInput, NotFound
from shared import clock
from shared.kit import ServiceKit


@dataclass(frozen=True)
class RefundState:
    received: Decimal
    still_owed: Decimal
    refunded: Decimal
    due: Decimal


def refund_states(session: Session, invoices: list[Invoice]) -> dict[str, RefundState]:
    """Each invoice's received / still owed / refunded / due (summed in Python: SQLite sums floats)."""
    ids = [invoice.invoice_id for invoice in invoices]
    credited: dict[str, Decimal] = {}
    refunded: dict[str, list[Decimal]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for invoice_id, amount in session.execute(
                select(CreditNote.invoice_id, CreditNote.amount_gross).where(CreditNote.invoice_id.in_(chunk))):
            credited[invoice_id] = credited.get(invoice_id, ZERO) + amount
        for invoice_id, amount in session.execute(
                select(Refund.invoice_id, Refund.amount).where(Refund.invoice_id.in_(chunk))):
            refunded.setdefault(invoice_id, []).append(amount)
    states = {}
    for invoice in invoices:
        received = invoice.amount_paid or ZERO
        back = refunded.get(invoice.invoice_id, [])
        states[invoice.invoice_id] = RefundState(
            received=received, still_owed=still_owed(invoice.amount_gross, credited.get(invoice.invoice_id, ZERO)),
            refunded=sum(back, ZERO),
            due=refund_due(received, invoice.amount_gross, credited.get(invoice.invoice_id, ZERO), back))
    return states


def record_refund(kit: ServiceKit, invoice_id: str, actor: str, request_id: str,
                  refunded_on: date | None = None, note: str = "") -> tuple[str, bool]:
    """Record that the refund due on an invoice was paid out (all of it, on ``refunded_on``,
    default today). Returns (refund id, recorded): a request id seen before records nothing
    and returns that refund."""
    refunded_on = refunded_on or today()
    if refunded_on > today():
        raise InvalidInput("refund.date_in_future", "the refund date is in the future",
                           "tagasimakse kuupäev on tulevikus", field="refunded_on")
    note = (note or "").strip()
    with kit.unit_of_work() as uow:
        session = uow.session
        invoice = session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
        if invoice is None:
            raise NotFound("invoice.not_found", f"no invoice {invoice_id}", f"arvet {invoice_id} ei ole")
        # After the lock: a double submit that waited for the first one sees its refund.
        earlier = session.scalars(select(Refund).where(Refund.request_id == request_id)).first()
        if earlier is not None:
            if earlier.invoice_id != invoice_id:
                raise Conflict("refund.request_reused", "this request id was used for another invoice",
                               "see päringu tunnus on juba teise arve juures kasutatud")
            return earlier.refund_id, False
        state = refund_states(session, [invoice])[invoice_id]
        if state.due <= 0:
            raise Conflict("refund.nothing_due", "nothing is due for a refund on this invoice",
                           "selle arve eest ei ole midagi tagasi maksta")
        refund = Refund(refund_id=str(uuid.uuid4()), invoice_id=invoice_id, request_id=request_id,
                        amount=state.due, currency=invoice.currency, refunded_on=refunded_on, note=note,
                        recorded_by=actor, recorded_at=clock.now())
        session.add(refund)
        reason = f"{invoice.number}, {refunded_on.strftime('%d.%m.%Y')}" + (f": {note}" if note else "")
        session.add(ClaimDecision(claim_id=invoice.claim_id, action="refunded", amount=state.due, reason=reason,
                                  actor=actor, decided_at=clock.now()))
        return refund.refund_id, True
