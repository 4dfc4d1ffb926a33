"""Money to pay back to an employer: what was received beyond what is still owed.

An invoice owes its gross amount until a credit note cancels it; what arrived beyond what it
still owes (a credited invoice that had been paid, fully or in part, or an overpayment) is due
back, less the refunds already paid out. Never negative.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

ZERO = Decimal("0.00")


def still_owed(amount_gross: Decimal, credited: Decimal = ZERO) -> Decimal:
    """What the invoice still owes after its credit note (a full one leaves nothing)."""
    return max(amount_gross - credited, ZERO)


def refund_due(received: Decimal, amount_gross: Decimal, credited: Decimal = ZERO,
               refunded: Iterable[Decimal] = ()) -> Decimal:
    """Received minus still owed minus refunds paid out already; never below zero."""
    paid_back = sum(refunded, ZERO)
    return max(received - still_owed(amount_gross, credited) - paid_back, ZERO)


def settled_link_until(settled_on: date | None, days: int) -> date | None:
    """The last day an employer's link to a settled invoice (paid or credited) opens:
    ``days`` after the settlement. None while the invoice is open."""
    return settled_on + timedelta(days=days) if settled_on is not None else None
