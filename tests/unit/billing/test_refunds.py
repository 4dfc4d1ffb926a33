"""The refund due: received − still owed after the credit − refunded, never negative."""
from datetime import date
from decimal import Decimal as D

from services.billing.domain.refunds import refund_due, settled_link_until, still_owed


def test_a_credited_invoice_owes_nothing_and_what_it_received_is_due_back():
    assert still_owed(D("768.00"), D("768.00")) == D("0.00")
    assert refund_due(D("768.00"), D("768.00"), D("768.00")) == D("768.00")
    assert refund_due(D("300.00"), D("768.00"), D("768.00")) == D("300.00")
    assert refund_due(D("0.00"), D("768.00"), D("768.00")) == D("0.00")


def test_an_overpayment_is_due_back_and_an_underpaid_invoice_never_gives_a_negative_refund():
    assert refund_due(D("300.00"), D("256.00")) == D("44.00")
    assert refund_due(D("100.00"), D("256.00")) == D("0.00")
    assert refund_due(D("300.00"), D("256.00"), refunded=[D("44.00")]) == D("0.00")
    assert refund_due(D("300.00"), D("256.00"), D("256.00"), [D("44.00")]) == D("256.00")


def test_a_settled_invoices_link_opens_until_the_settlement_plus_the_days():
    assert settled_link_until(None, 365) is None
    assert settled_link_until(date(2019, 5, 10), 365) == date(2020, 5, 9)
