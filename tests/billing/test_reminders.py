"""Issue 5, point 5: the periodic tick publishes billing.invoice.overdue once per invoice and stage."""
from __future__ import annotations

from tests.billing.helpers import EMPLOYER, billing_harness, issued_invoice, set_day


def stages(h) -> list[str]:
    return [p["stage"] for p in h.payloads("billing.invoice.overdue")]


def test_each_stage_is_published_once_as_the_clock_moves(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)  # issued 10.05.2019, due 24.05.2019
    h.tick()
    set_day(2019, 5, 20)
    h.tick()
    assert stages(h) == []

    set_day(2019, 5, 21)  # three days before the due date
    h.tick()
    h.tick()
    assert stages(h) == ["due_soon"]
    set_day(2019, 5, 24, hour=23)  # the due date itself is not overdue yet
    h.tick()
    assert stages(h) == ["due_soon"]
    set_day(2019, 5, 25, hour=0)
    h.tick()
    set_day(2019, 5, 30)
    h.tick()
    assert stages(h) == ["due_soon", "overdue"]
    set_day(2019, 6, 7)  # due + 14 days
    h.tick()
    set_day(2019, 7, 1)
    h.tick()
    h.tick()
    assert stages(h) == ["due_soon", "overdue", "final_notice"]

    last = h.payloads("billing.invoice.overdue")[-1]
    assert last["invoice_id"] == invoice["invoice_id"]
    assert last["invoice_number"] == "PO-00001"
    assert (last["due_date"], last["amount_gross"], last["amount_due"]) == ("2019-05-24", "768.00", "768.00")
    assert last["employer"]["billing_email"] == EMPLOYER["billing_email"]
    assert last["reference_number"] == invoice["reference_number"]
    assert "/billing/p/" in last["pdf_url"]
    h.login("finance")
    detail = h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()
    assert [(r["stage"], r["published"]) for r in detail["reminders"]] == [
        ("due_soon", True), ("overdue", True), ("final_notice", True)]


def test_after_downtime_the_tick_catches_up_with_the_stage_of_today_only(billing):
    h = billing
    invoice = issued_invoice(h, days_held=2)
    set_day(2019, 6, 10)  # the worker was down since before the invoice fell due
    h.tick()
    assert stages(h) == ["final_notice"]
    h.tick()
    assert stages(h) == ["final_notice"]
    h.login("finance")
    reminders = h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()["reminders"]
    assert {r["stage"]: r["published"] for r in reminders} == {
        "due_soon": False, "overdue": False, "final_notice": True}


def test_paid_and_credited_invoices_get_no_reminder(billing):
    h = billing
    paid = issued_invoice(h, "p-1")
    credited = issued_invoice(h, "p-2", application="a-2")
    part_paid = issued_invoice(h, "p-3", application="a-3", days_held=2)
    h.client.post(f"/api/invoices/{paid['invoice_id']}/payments", json={})
    h.client.post(f"/api/invoices/{credited['invoice_id']}/credit-note", json={"reason": "loobutud"})
    h.client.post(f"/api/invoices/{part_paid['invoice_id']}/payments", json={"amount": "500.00"})
    set_day(2019, 5, 27)
    h.tick()
    [reminder] = h.payloads("billing.invoice.overdue")
    assert (reminder["invoice_id"], reminder["stage"], reminder["amount_due"]) == (
        part_paid["invoice_id"], "overdue", "12.00")


def test_reminder_stages_are_configurable(stack):
    set_day(2019, 5, 10)
    h = billing_harness(stack, reminder_stages="overdue:1,collection:30", due_days="7")
    try:
        invoice = issued_invoice(h)
        assert invoice["due_date"] == "2019-05-17"
        set_day(2019, 5, 18)
        h.tick()
        set_day(2019, 6, 16)
        h.tick()
        assert stages(h) == ["overdue", "collection"]
    finally:
        h.close()
