"""How long the employer's PDF link opens. An open invoice's link lives personal_link_max_age
(60 days) like every personal link — each reminder brings a fresh one. No e-mail follows a
payment or a credit note, so once the invoice is settled its links (and its credit note's) open
until BILLING_INVOICE_LINK_DAYS (365) after the settlement; a tampered link never does."""
from __future__ import annotations

from datetime import timedelta

from shared import clock, links
from tests.billing.helpers import issued_invoice, set_day


def token_from(h, subject: str, days_ago: int) -> str:
    now = clock.now()
    clock.set_now(now - timedelta(days=days_ago))
    try:
        return links.make_token(h.settings.secret_key, "invoice", subject)
    finally:
        clock.set_now(now)


def test_a_paid_invoices_link_opens_for_a_year_after_the_payment_then_expires(billing):
    h = billing
    invoice = issued_invoice(h)  # 10.05.2019
    h.login("finance")
    h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={"paid_on": "2019-05-10"})
    h.logout()
    link = token_from(h, invoice["invoice_id"], 0)  # the invoice e-mail's link, signed on issue
    set_day(2019, 9, 1)  # the employer's accountant opens the e-mail months later
    opened = h.client.get(f"/p/{link}")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf"
    set_day(2020, 5, 9)  # 10.05.2019 + 365 days
    assert h.client.get(f"/p/{link}").status_code == 200
    set_day(2020, 5, 10)
    expired = h.client.get(f"/p/{link}?lang=en")
    assert expired.status_code == 410 and "link has expired" in expired.get_data(as_text=True).lower()
    # What to do next, that the programme can do: send the invoice again (no reminder comes for a paid one).
    assert "will send you the invoice again" in expired.get_data(as_text=True)
    assert "saadab teile uuesti" in h.client.get(f"/p/{link}?lang=et").get_data(as_text=True)
    # The signature still counts: a link altered by one character is no key at all.
    set_day(2019, 9, 1)
    payload, stamp, signature = link.split(".")
    forged = f"{payload}.{stamp}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"
    assert h.client.get(f"/p/{forged}").status_code == 404


def test_an_open_invoices_link_still_expires_after_60_days(billing):
    h = billing
    invoice = issued_invoice(h)
    h.logout()
    link = token_from(h, invoice["invoice_id"], 0)
    set_day(2019, 7, 8)  # 59 days
    assert h.client.get(f"/p/{link}").status_code == 200
    set_day(2019, 7, 10)  # 61 days, unpaid: the reminders carried fresher links
    assert h.client.get(f"/p/{link}").status_code == 410


def test_a_credited_invoices_and_its_credit_notes_links_open_a_year_after_the_credit_note(billing):
    h = billing
    invoice = issued_invoice(h)
    h.login("finance")
    note = h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note",
                         json={"reason": "Osaleja ennistati"}).get_json()["credit_note"]
    h.logout()
    invoice_link = token_from(h, invoice["invoice_id"], 0)
    note_link = token_from(h, f"credit-note:{note['credit_note_id']}", 0)
    set_day(2020, 2, 1)
    for link in (invoice_link, note_link):
        response = h.client.get(f"/p/{link}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
    set_day(2020, 5, 10)  # 10.05.2019 + 366 days
    assert [h.client.get(f"/p/{link}").status_code for link in (invoice_link, note_link)] == [410, 410]


def test_the_setting_sets_how_long_a_settled_invoices_link_opens(stack):
    from tests.billing.helpers import billing_harness
    set_day(2019, 5, 10)
    h = billing_harness(stack, invoice_link_days="90")
    try:
        invoice = issued_invoice(h)
        h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={})
        h.logout()
        link = token_from(h, invoice["invoice_id"], 0)
        set_day(2019, 8, 8)  # 90 days after the payment
        assert h.client.get(f"/p/{link}").status_code == 200
        set_day(2019, 8, 9)
        assert h.client.get(f"/p/{link}").status_code == 410
    finally:
        h.close()
