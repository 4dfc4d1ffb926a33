"""Refunds due: a credited invoice that had been paid (fully or in part) and an overpayment are
listed for finance with the amount to pay back (received − still owed after the credit, never
negative) until finance records the refund as paid out — once, whatever the double submits."""
from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import func, select

from services.billing.adapters.models import Refund
from tests.billing.helpers import issued_invoice, set_day
from tests.unit.billing.camt053_builder import EntrySpec, camt053_xml
from tests.unit.billing.camt053_builder import Payment as Tx


def text(response) -> str:
    return response.get_data(as_text=True)


def refunds_recorded(h) -> int:
    with h.kit.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Refund.__table__)).scalar_one()


def request_id_on(html: str, invoice_id: str) -> str:
    form = re.search(rf'action="[^"]*/invoices/{invoice_id}/refund".*?</form>', html, re.S)
    assert form, "no refund form"
    return re.search(r'name="request_id" value="([^"]+)"', form.group(0)).group(1)


def upload(h, xml: bytes):
    response = h.client.post("/api/statements", data={"file": (io.BytesIO(xml), "s.xml")},
                             content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_credited_paid_invoice_is_a_refund_due_until_finance_records_it_once(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)  # 768.00
    invoice_id, claim_id = invoice["invoice_id"], invoice["claim_id"]
    h.login("finance")
    assert h.client.post(f"/api/invoices/{invoice_id}/payments", json={"paid_on": "2019-05-10"}).status_code == 200
    credited = h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": "Osaleja ennistati"})
    assert credited.status_code == 201
    detail = credited.get_json()
    assert (detail["amount_paid"], detail["still_owed"], detail["refund_due"]) == ("768.00", "0.00", "768.00")
    [due] = h.client.get("/api/refunds").get_json()
    assert (due["number"], due["why"], due["received"], due["refund_due"]) == (
        invoice["number"], "credited", "768.00", "768.00")
    [figure] = [f for f in h.client.get("/api/summary").get_json()["figures"] if f["key"] == "billing.refunds_due"]
    assert (figure["value"], figure["link"], figure["tone"]) == (1, "/billing/statements#refunds", "warn")

    # Finance's pages: the statements page (beside the open entries), the invoice's and the claim's own.
    statements = text(h.client.get("/statements"))
    assert "Tagastada" in statements and invoice["number"] in statements and "768,00 €" in statements
    invoice_page = text(h.client.get(f"/invoices/{invoice_id}"))
    assert "Tagastada: 768,00 €" in invoice_page
    assert "tagastada 768,00 €" in text(h.client.get(f"/claims/{claim_id}"))

    # Recorded from the statements page; the same form submitted twice records one refund.
    form = {"csrf_token": h.csrf_token("/statements"), "request_id": request_id_on(statements, invoice_id),
            "refunded_on": "10.05.2019", "note": "Swedbank maksekorraldus 42", "back": "statements"}
    events = h.published()
    first = h.client.post(f"/invoices/{invoice_id}/refund", data=form)
    assert first.status_code == 302 and first.headers["Location"].endswith("/statements")
    again = h.client.post(f"/invoices/{invoice_id}/refund", data=form)
    assert again.status_code == 302
    assert refunds_recorded(h) == 1
    assert h.published() == events  # no other service acts on a refund: no event
    after = h.client.get(f"/api/invoices/{invoice_id}").get_json()
    assert (after["refund_due"], after["refunded"]) == ("0.00", "768.00")
    [refund] = after["refunds"]
    assert (refund["amount"], refund["refunded_on"], refund["note"], refund["recorded_by"]) == (
        "768.00", "2019-05-10", "Swedbank maksekorraldus 42", "staff@example.ee")
    assert h.client.get("/api/refunds").get_json() == []
    assert {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}["billing.refunds_due"] == 0
    assert "Tagastamisele kuuluvaid summasid ei ole." in text(h.client.get("/statements"))
    # The audit trail: the claim's history names who recorded it, when, and the note.
    history = h.client.get(f"/api/claims/{claim_id}").get_json()["decisions"]
    assert [(d["action"], d["amount"], d["actor"]) for d in history if d["action"] == "refunded"] == [
        ("refunded", "768.00", "staff@example.ee")]
    assert "raha tagastatud" in text(h.client.get(f"/claims/{claim_id}"))
    # A fresh form (another request id) has nothing left to refund.
    late = h.client.post(f"/invoices/{invoice_id}/refund",
                         data={**form, "request_id": "another-request-1"})
    assert late.status_code == 409 and "ei ole midagi tagasi maksta" in text(late)
    assert refunds_recorded(h) == 1


def test_a_credited_part_paid_invoice_refunds_what_was_received(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)  # 768.00
    h.login("finance")
    h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={"amount": "300.00"})
    h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note", json={"reason": "Vale summa"})
    [due] = h.client.get("/api/refunds").get_json()
    assert (due["received"], due["still_owed"], due["refund_due"]) == ("300.00", "0.00", "300.00")
    recorded = h.client.post(f"/api/invoices/{invoice['invoice_id']}/refunds",
                             json={"request_id": "api-refund-0001", "note": ""})
    assert recorded.status_code == 200 and recorded.get_json()["refund_due"] == "0.00"
    assert recorded.get_json()["refunds"][0]["refunded_on"] == "2019-05-10"  # default: today in Tallinn
    replay = h.client.post(f"/api/invoices/{invoice['invoice_id']}/refunds", json={"request_id": "api-refund-0001"})
    assert replay.status_code == 200 and len(replay.get_json()["refunds"]) == 1
    assert refunds_recorded(h) == 1


def test_an_overpayment_follows_the_same_path_and_leaves_the_open_entries_once_refunded(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)  # 256.00
    h.login("finance")
    upload(h, camt053_xml([EntrySpec("300.00", acct_svcr_ref="OVER1", booking_date=date(2019, 5, 9),
                                     payments=[Tx(reference=invoice["reference_number"])])]))
    [due] = h.client.get("/api/refunds").get_json()
    assert (due["why"], due["received"], due["still_owed"], due["refund_due"]) == (
        "overpaid", "300.00", "256.00", "44.00")
    page = text(h.client.get("/statements"))
    assert "<small>OVER1</small>" in page and "ülemakse" in page
    refused = h.client.post(f"/api/invoices/{invoice['invoice_id']}/refunds", json={"refunded_on": "2019-06-01"})
    assert refused.status_code == 422  # not in the future
    done = h.client.post(f"/invoices/{invoice['invoice_id']}/refund",
                         data={"csrf_token": h.csrf_token(f"/invoices/{invoice['invoice_id']}"),
                               "request_id": request_id_on(text(h.client.get(f"/invoices/{invoice['invoice_id']}")),
                                                           invoice["invoice_id"])})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/invoices/{invoice['invoice_id']}")
    assert h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()["refunds"][0]["amount"] == "44.00"
    assert h.client.get("/api/refunds").get_json() == []
    assert "<small>OVER1</small>" not in text(h.client.get("/statements"))
    assert h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()["status"] == "paid"
    # Credited later, the rest of what it received (256.00) is due back in turn.
    h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note", json={"reason": "Loobuti"})
    [due] = h.client.get("/api/refunds").get_json()
    assert (due["why"], due["refunded"], due["refund_due"]) == ("credited", "44.00", "256.00")


def test_only_finance_records_a_refund_with_the_forms_csrf_token_and_an_open_invoice_has_none(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)
    invoice_id = invoice["invoice_id"]
    h.login("finance")
    assert h.client.get(f"/api/invoices/{invoice_id}").get_json()["refund_due"] == "0.00"
    nothing = h.client.post(f"/api/invoices/{invoice_id}/refunds", json={})
    assert nothing.status_code == 409
    h.client.post(f"/api/invoices/{invoice_id}/payments", json={})
    h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": "Topelt"})
    no_csrf = h.client.post(f"/invoices/{invoice_id}/refund", data={"request_id": "no-csrf-request-1"})
    assert no_csrf.status_code == 400
    no_request_id = h.client.post(f"/invoices/{invoice_id}/refund",
                                  data={"csrf_token": h.csrf_token(f"/invoices/{invoice_id}")})
    assert no_request_id.status_code == 400
    h.login("coordinator")
    assert "Tagastada: 256,00 €" in text(h.client.get(f"/invoices/{invoice_id}"))  # sees it, no form
    assert 'action="/invoices/' + invoice_id + '/refund"' not in text(h.client.get(f"/invoices/{invoice_id}"))
    assert h.client.post(f"/api/invoices/{invoice_id}/refunds", json={}).status_code == 403
    assert refunds_recorded(h) == 0
    set_day(2019, 5, 11)
    h.login("finance")
    english = text(h.client.get(f"/invoices/{invoice_id}?lang=en"))
    assert "Refund due: €256.00" in english and "Record refund paid out" in english
