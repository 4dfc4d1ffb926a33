"""Finance's "send the invoice again": the employer says the invoice never arrived, or it went to the
wrong address. One billing.invoice.email_requested_again per form (its request id: a double submit
requests one e-mail), which notify turns into the invoice e-mail once more; never for a paid or
credited invoice."""
from __future__ import annotations

import re

from tests.billing.helpers import issued_invoice

AGAIN = "billing.invoice.email_requested_again"


def text(response) -> str:
    return response.get_data(as_text=True)


def send_again_form(h, invoice_id: str, lang: str = "et") -> dict:
    html = text(h.client.get(f"/invoices/{invoice_id}?lang={lang}"))
    form = re.search(rf'action="[^"]*/invoices/{invoice_id}/send-again".*?</form>', html, re.S)
    assert form, "no send-again form"
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form.group(0)).group(1),
            "request_id": re.search(r'name="request_id" value="([^"]+)"', form.group(0)).group(1)}


def test_finance_sends_an_open_invoice_again_once_per_form_from_its_page(billing):
    h = billing
    invoice = issued_invoice(h, days_held=2)
    invoice_id = invoice["invoice_id"]
    h.login("finance")
    form = send_again_form(h, invoice_id)
    sent = h.client.post(f"/invoices/{invoice_id}/send-again", data={**form, "email": ""})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/invoices/{invoice_id}")
    page = text(h.client.get(f"/invoices/{invoice_id}"))
    assert "Arve saadetakse uuesti aadressile arved@parnu.ee" in page
    [event] = h.payloads(AGAIN)
    assert (event["invoice_id"], event["invoice_number"], event["request_id"], event["recipient_email"]) == (
        invoice_id, invoice["number"], form["request_id"], "arved@parnu.ee")
    assert (event["amount_gross"], event["due_date"], event["reference_number"], event["participant_id"]) == (
        "512.00", invoice["due_date"], invoice["reference_number"], "p-1")
    assert event["employer"]["billing_email"] == "arved@parnu.ee"

    # The same form submitted twice requests one e-mail.
    double = h.client.post(f"/invoices/{invoice_id}/send-again", data={**form, "email": ""})
    assert double.status_code == 302
    assert "oli juba tellitud" in text(h.client.get(f"/invoices/{invoice_id}"))
    assert len(h.payloads(AGAIN)) == 1

    # A new click, to the address the employer gave on the phone, in English.
    other = send_again_form(h, invoice_id, "en")
    assert other["request_id"] != form["request_id"]
    h.client.post(f"/invoices/{invoice_id}/send-again?lang=en", data={**other, "email": " raamat@parnu.ee "})
    assert "The invoice is sent again to raamat@parnu.ee" in text(h.client.get(f"/invoices/{invoice_id}?lang=en"))
    assert [e["recipient_email"] for e in h.payloads(AGAIN)] == ["arved@parnu.ee", "raamat@parnu.ee"]
    # Who sent it again, when and where: the invoice page and the claim's history.
    page = text(h.client.get(f"/invoices/{invoice_id}?lang=et"))
    assert page.count("Saadetud uuesti") == 2 and "raamat@parnu.ee" in page
    history = h.client.get(f"/api/claims/{invoice['claim_id']}").get_json()["decisions"]
    assert [(d["action"], d["actor"]) for d in history if d["action"] == "invoice_emailed_again"] == [
        ("invoice_emailed_again", "staff@example.ee")] * 2
    assert "arve saadetud uuesti" in text(h.client.get(f"/claims/{invoice['claim_id']}"))
    assert h.client.get(f"/api/invoices/{invoice_id}").get_json()["emailed_again"][1]["recipient"] == \
        "raamat@parnu.ee"


def test_a_bad_address_is_a_field_error_in_the_users_language_and_sends_nothing(billing):
    h = billing
    invoice_id = issued_invoice(h)["invoice_id"]
    h.login("finance")
    et = h.client.post(f"/invoices/{invoice_id}/send-again", data={**send_again_form(h, invoice_id),
                                                                    "email": "arved.parnu.ee"})
    assert et.status_code == 422
    assert re.search(r'field-error[^>]*>See ei ole e-posti aadress', text(et))
    assert 'value="arved.parnu.ee"' in text(et)  # what was typed is kept
    en = h.client.post(f"/invoices/{invoice_id}/send-again?lang=en",
                       data={**send_again_form(h, invoice_id, "en"), "email": "nobody@"})
    assert en.status_code == 422 and "Not an e-mail address" in text(en)
    no_csrf = h.client.post(f"/invoices/{invoice_id}/send-again", data={"request_id": "no-csrf-request-1"})
    assert no_csrf.status_code == 400
    no_request_id = h.client.post(f"/invoices/{invoice_id}/send-again",
                                  data={"csrf_token": send_again_form(h, invoice_id)["csrf_token"]})
    assert no_request_id.status_code == 400
    assert h.payloads(AGAIN) == []


def test_the_api_sends_again_once_per_request_id_and_only_finance_may(billing):
    h = billing
    invoice_id = issued_invoice(h)["invoice_id"]
    h.login("finance")
    first = h.client.post(f"/api/invoices/{invoice_id}/send-again", json={"request_id": "api-again-0001"})
    assert first.status_code == 202
    assert first.get_json() == {"invoice_id": invoice_id, "request_id": "api-again-0001",
                                "recipient_email": "arved@parnu.ee", "requested": True}
    replay = h.client.post(f"/api/invoices/{invoice_id}/send-again", json={"request_id": "api-again-0001"})
    assert replay.status_code == 202 and replay.get_json()["requested"] is False
    assert replay.get_json()["recipient_email"] == "arved@parnu.ee"
    assert h.client.post(f"/api/invoices/{invoice_id}/send-again", json={}).get_json()["requested"] is True
    bad = h.client.post(f"/api/invoices/{invoice_id}/send-again", json={"email": "x"})
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]["json"]
    assert h.client.post("/api/invoices/no-such/send-again", json={}).status_code == 404
    assert len(h.payloads(AGAIN)) == 2
    h.login("coordinator")
    assert h.client.post(f"/api/invoices/{invoice_id}/send-again", json={}).status_code == 403
    page = text(h.client.get(f"/invoices/{invoice_id}"))
    assert "/send-again" not in page  # sees the invoice, no form
    assert len(h.payloads(AGAIN)) == 2


def test_a_paid_or_credited_invoice_is_not_sent_again_as_if_due(billing):
    h = billing
    paid = issued_invoice(h, "p-1")["invoice_id"]
    credited = issued_invoice(h, "p-2", application="a-2")["invoice_id"]
    h.login("finance")
    form = send_again_form(h, paid)  # shown while open, submitted after the payment
    h.client.post(f"/api/invoices/{paid}/payments", json={})
    h.client.post(f"/api/invoices/{credited}/credit-note", json={"reason": "Osaleja ennistati"})
    refused = h.client.post(f"/api/invoices/{paid}/send-again", json={})
    assert refused.status_code == 409 and "paid already" in refused.get_json()["message"]
    refused = h.client.post(f"/api/invoices/{credited}/send-again", json={})
    assert refused.status_code == 409 and "credited" in refused.get_json()["message"]
    page = h.client.post(f"/invoices/{paid}/send-again", data={**form, "email": ""})
    assert page.status_code == 409 and "Arve on juba tasutud" in text(page)
    for invoice_id in (paid, credited):
        assert "/send-again" not in text(h.client.get(f"/invoices/{invoice_id}"))
    assert h.payloads(AGAIN) == []
