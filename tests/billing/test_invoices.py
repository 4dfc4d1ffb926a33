"""Issue 5, points 2 and 4: invoices with every VAT Act particular, their PDF, credit notes."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from services.billing.adapters.models import Employer
from services.billing.domain.reference import is_valid_reference
from shared import clock, links
from shared.events.registry import spec_for
from tests.billing.helpers import (
    EMPLOYER,
    NGO,
    TALLINN,
    approved_claim,
    billing_harness,
    issued_invoice,
    pdf_text,
    set_day,
)


def test_an_invoice_for_a_2019_dropout_splits_768_into_640_net_and_128_vat_at_20_percent(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)

    assert invoice["number"] == "PO-00001"
    assert invoice["status"] == "issued"
    assert (invoice["amount_net"], invoice["vat_rate"], invoice["vat_amount"], invoice["amount_gross"]) == (
        "640.00", "20.00", "128.00", "768.00")
    assert invoice["supply_date"] == "2019-05-02"  # the dropout date
    assert invoice["issue_date"] == "2019-05-10"
    assert invoice["due_date"] == "2019-05-24"  # 14 days
    assert is_valid_reference(invoice["reference_number"])
    assert invoice["buyer"] == {**EMPLOYER, "billing_email": EMPLOYER["billing_email"]}
    seller = invoice["seller"]
    assert seller["registry_code"] and seller["vat_number"] and seller["iban"] and seller["address"]

    [issued] = h.payloads("billing.invoice.issued")
    schema_fields = set(spec_for("billing.invoice.issued").schema().fields)
    assert set(issued) == schema_fields  # every field of the contract is filled in
    assert all(value not in (None, "") for value in issued.values())
    assert issued["invoice_id"] == invoice["invoice_id"]
    assert issued["invoice_number"] == "PO-00001"
    assert (issued["amount_net"], issued["vat_rate"], issued["vat_amount"], issued["amount_gross"]) == (
        "640.00", "20", "128.00", "768.00")
    assert issued["employer"]["organisation_id"] == EMPLOYER["organisation_id"]
    assert (issued["issue_date"], issued["due_date"]) == ("2019-05-10", "2019-05-24")
    assert issued["reference_number"] == invoice["reference_number"]
    assert "/billing/p/" in issued["pdf_url"]
    h.login("coordinator")
    assert h.client.get(f"/api/claims/{invoice['claim_id']}").get_json()["status"] == "invoiced"


def test_a_supply_from_july_2025_is_split_at_24_percent(billing):
    h = billing
    set_day(2025, 7, 20)
    invoice = issued_invoice(h, days_held=3, at=datetime(2025, 7, 10, 17, tzinfo=TALLINN))
    assert invoice["supply_date"] == "2025-07-10"
    assert (invoice["amount_net"], invoice["vat_rate"], invoice["vat_amount"], invoice["amount_gross"]) == (
        "619.35", "24.00", "148.65", "768.00")


def test_the_rate_is_the_one_on_the_date_of_supply_not_of_issue(billing):
    h = billing
    set_day(2025, 7, 3)  # issued under 24 %, supplied under 22 %
    invoice = issued_invoice(h, days_held=2, at=datetime(2025, 6, 30, 17, tzinfo=TALLINN))
    assert (invoice["vat_rate"], invoice["vat_amount"], invoice["amount_net"]) == ("22.00", "92.33", "419.67")


def test_the_date_of_supply_is_the_tallinn_day_so_a_dropout_just_after_midnight_on_1_july_2025_is_24_percent(billing):
    h = billing
    set_day(2025, 7, 3)
    # 00:30 in Tallinn on 1 July is still 30 June (21:30) in UTC, when 22 % was in force.
    invoice = issued_invoice(h, days_held=3, reason="withdrawal", at=datetime(2025, 7, 1, 0, 30, tzinfo=TALLINN))
    assert invoice["supply_date"] == "2025-07-01"
    assert (invoice["amount_net"], invoice["vat_rate"], invoice["vat_amount"], invoice["amount_gross"]) == (
        "619.35", "24.00", "148.65", "768.00")


def test_without_vat_the_whole_amount_is_net(stack):
    h = billing_harness(stack, vat_applies="false")
    try:
        invoice = issued_invoice(h, days_held=1)
        assert (invoice["amount_net"], invoice["vat_rate"], invoice["vat_amount"]) == ("256.00", "0.00", "0.00")
        # The PDF says why there is no VAT instead of a bare "0 %" (on the credit note too).
        text = " ".join(pdf_text(h.client.get(f"/api/invoices/{invoice['invoice_id']}/pdf").data).split())
        assert "Käibemaksu ei lisata: hüvitis ei ole käibemaksuga maksustatav." in text
        assert "No VAT is added" in text and "Käibemaks (ei rakendata)" in text
        assert "0 %" not in text and "0,00 %" not in text
        credited = h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note", json={"reason": "Viga"})
        note_pdf = h.client.get(credited.get_json()["credit_note"]["pdf_url"]).data
        note_text = " ".join(pdf_text(note_pdf).split())
        assert "Käibemaksu ei lisata" in note_text and "0 %" not in note_text
    finally:
        h.close()


def test_an_employer_without_an_address_or_registry_code_is_not_invoiced_and_spends_no_number(billing):
    h = billing
    claim_id = approved_claim(h, employer={**EMPLOYER, "address": ""})  # enrolment never sent one
    refused = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert refused.status_code == 409
    assert "Pärnu Linnavalitsus has no address" in refused.get_json()["message"]
    assert "VAT Act § 37" in refused.get_json()["message"]
    assert h.client.get("/api/invoices").get_json()["items"] == []
    assert h.payloads("billing.invoice.issued") == []
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["status"] == "approved"

    with h.kit.db.transaction() as session:  # a registry code lost too (older data)
        session.execute(update(Employer).values(registry_code=""))
    refused = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert refused.status_code == 409
    assert "has no address and no registry code" in refused.get_json()["message"]

    # enrolment's next event carries the employer's particulars: now it is invoiced, as number 1
    h.deliver("enrolment.application.accepted", {
        "application_id": "a-1", "edition_id": "e-2019", "group_id": "g-parnu", "city": "Pärnu",
        "team_name": "Pärnu koosloojad", "contact_email": "x@parnu.ee", "organisations": [EMPLOYER],
        "members": [{"participant_id": "p-1", "first_name": "Mari", "last_name": "Maasikas",
                     "email": "mari@parnu.ee", "organisation_id": EMPLOYER["organisation_id"]}]})
    issued = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert issued.status_code == 201, issued.get_json()
    invoice = issued.get_json()
    assert (invoice["number"], invoice["buyer"]["address"], invoice["buyer"]["registry_code"]) == (
        "PO-00001", EMPLOYER["address"], EMPLOYER["registry_code"])


def test_placeholder_seller_details_issue_no_invoice_in_production_shape(stack):
    """Embedded (SQLite) is a trial and may print the placeholders; PostgreSQL + RabbitMQ may not."""
    h = stack.harness("billing")  # no BILLING_SELLER_* set
    try:
        claim_id = approved_claim(h)
        response = h.client.post("/api/invoices", json={"claim_id": claim_id})
        if stack.kind == "embedded":
            assert response.status_code == 201
            return
        assert response.status_code == 409
        message = response.get_json()["message"]
        assert "set BILLING_SELLER_NAME, BILLING_SELLER_REGISTRY_CODE, BILLING_SELLER_VAT_NUMBER" in message
        assert h.payloads("billing.invoice.issued") == []
        h.login("finance")
        page = f"/claims/{claim_id}"
        html = h.client.post(f"{page}/invoice", data={"csrf_token": h.csrf_token(page)}).get_data(as_text=True)
        assert "müüja andmed on näidisväärtused" in html.lower()
    finally:
        h.close()
    # Only the three still at the placeholder are named.
    h = stack.harness("billing", extra={"seller_name": "MTÜ Päris Nimi", "seller_vat_number": "EE102345678"})
    try:
        response = h.client.post("/api/invoices", json={"claim_id": approved_claim(h)})
        assert response.status_code == 409
        assert response.get_json()["message"].endswith("set BILLING_SELLER_REGISTRY_CODE before issuing invoices")
    finally:
        h.close()


def test_a_lowered_claim_is_invoiced_at_the_lowered_amount(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3, amount="500.00")
    assert (invoice["amount_gross"], invoice["vat_amount"], invoice["amount_net"]) == ("500.00", "83.33", "416.67")


def test_the_pdf_holds_number_buyer_net_vat_gross_and_reference(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)
    response = h.client.get(f"/api/invoices/{invoice['invoice_id']}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in ("PO-00001", "Pärnu Linnavalitsus", "75024260", "Suur-Sepa 16", "640,00", "128,00",
                     "768,00", "20 %", invoice["reference_number"], "02.05.2019", "24.05.2019"):
        assert expected in text, expected


def test_the_employer_downloads_the_pdf_through_the_signed_link_without_logging_in(billing):
    h = billing
    invoice = issued_invoice(h)
    url = h.payloads("billing.invoice.issued")[0]["pdf_url"]
    h.logout()
    path = url.split("/billing", 1)[1]
    response = h.client.get(path)
    assert response.status_code == 200
    assert "PO-00001" in pdf_text(response.data)

    tampered = h.client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert tampered.status_code == 404
    assert "Link ei kehti" in tampered.get_data(as_text=True)
    other_purpose = links.make_token(h.settings.secret_key, "esf", invoice["invoice_id"])
    assert h.client.get(f"/p/{other_purpose}").status_code == 404


def test_an_expired_link_says_so(billing, monkeypatch):
    h = billing
    invoice = issued_invoice(h)
    now = clock.now()
    clock.set_now(now - timedelta(days=61))  # a link made longer ago than it stays valid (60 days)
    token = links.make_token(h.settings.secret_key, "invoice", invoice["invoice_id"])
    clock.set_now(now)
    response = h.client.get(f"/p/{token}")
    assert response.status_code == 410
    assert "aegunud" in response.get_data(as_text=True)


def test_only_an_approved_claim_is_invoiced_and_only_once(billing):
    h = billing
    claim_id = approved_claim(h)
    assert h.client.post("/api/invoices", json={"claim_id": claim_id}).status_code == 201
    again = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert again.status_code == 409
    assert again.get_json()["code"] == 409
    assert h.client.post("/api/invoices", json={"claim_id": "nope"}).status_code == 404
    missing = h.client.post("/api/invoices", json={})
    assert missing.status_code == 422
    assert "claim_id" in missing.get_json()["errors"]["json"]
    assert len(h.payloads("billing.invoice.issued")) == 1


def test_a_credit_note_cancels_an_invoice_with_its_own_number_and_changes_nothing_on_it(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)
    invoice_id = invoice["invoice_id"]
    set_day(2019, 5, 15)

    blank = h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": " "})
    assert blank.status_code == 422
    response = h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": "Vale ostja aadress"})
    assert response.status_code == 201
    after = response.get_json()
    assert after["status"] == "credited"
    note = after["credit_note"]
    assert note["number"] == "KR-00001"
    assert note["invoice_number"] == "PO-00001"
    assert note["issue_date"] == "2019-05-15"
    assert (note["amount_net"], note["vat_amount"], note["amount_gross"]) == ("640.00", "128.00", "768.00")
    for key in ("number", "amount_net", "vat_amount", "amount_gross", "issue_date", "due_date", "reference_number",
                "buyer", "seller"):
        assert after[key] == invoice[key], key  # nothing issued is edited
    [credited] = h.payloads("billing.invoice.credited")
    assert credited["invoice_id"] == invoice_id
    assert credited["credit_note_number"] == "KR-00001"
    assert credited["amount_gross"] == "768.00"
    assert credited["employer"]["registry_code"] == EMPLOYER["registry_code"]

    text = pdf_text(h.client.get(note["pdf_url"].split("/billing", 1)[-1]).data)
    assert "KR-00001" in text and "PO-00001" in text and "Vale ostja aadress" in text

    assert h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": "x"}).status_code == 409
    assert h.client.post(f"/api/invoices/{invoice_id}/payments", json={}).status_code == 409
    # The claim is open again: a corrected invoice takes the next number; the old one stays.
    claim = h.client.get(f"/api/claims/{invoice['claim_id']}").get_json()
    assert claim["status"] == "approved"
    reissued = h.client.post("/api/invoices", json={"claim_id": invoice["claim_id"]}).get_json()
    assert reissued["number"] == "PO-00002"
    assert h.client.get(f"/api/invoices/{invoice_id}").get_json()["status"] == "credited"


def test_an_invoice_is_marked_paid_by_hand_in_one_or_more_payments(billing):
    h = billing
    invoice = issued_invoice(h, days_held=3)
    invoice_id = invoice["invoice_id"]

    assert h.client.post(f"/api/invoices/{invoice_id}/payments", json={"amount": "800.00"}).status_code == 422
    future = h.client.post(f"/api/invoices/{invoice_id}/payments", json={"paid_on": "2019-06-01"})
    assert future.status_code == 422 and "paid_on" in future.get_json()["errors"]["json"]
    assert h.client.post(f"/api/invoices/{invoice_id}/payments", json={"amount": "1.001"}).status_code == 422

    part = h.client.post(f"/api/invoices/{invoice_id}/payments", json={"amount": "268.00", "paid_on": "2019-05-09"})
    assert part.status_code == 200
    assert (part.get_json()["status"], part.get_json()["outstanding"]) == ("issued", "500.00")
    assert h.payloads("billing.invoice.paid") == []

    rest = h.client.post(f"/api/invoices/{invoice_id}/payments", json={"note": "kassasse"}).get_json()
    assert (rest["status"], rest["amount_paid"], rest["paid_on"]) == ("paid", "768.00", "2019-05-10")
    assert [p["amount"] for p in rest["payments"]] == ["268.00", "500.00"]
    [paid] = h.payloads("billing.invoice.paid")
    assert (paid["invoice_id"], paid["amount"], paid["paid_on"]) == (invoice_id, "768.00", "2019-05-10")
    assert datetime.fromisoformat(paid["paid_at"]).astimezone(TALLINN).date() == date(2019, 5, 10)
    assert h.client.post(f"/api/invoices/{invoice_id}/payments", json={}).status_code == 409


def test_invoices_by_status_with_totals(billing):
    h = billing
    first = issued_invoice(h, "p-1", days_held=3)
    issued_invoice(h, "p-2", application="a-2", days_held=1, employer=NGO)
    h.client.post(f"/api/invoices/{first['invoice_id']}/payments", json={})

    everything = h.client.get("/api/invoices").get_json()
    assert everything["totals"]["count"] == 2
    assert everything["totals"]["amount_gross"] == "1024.00"
    assert everything["totals"]["amount_net"] == "853.33"
    assert everything["totals"]["vat_amount"] == "170.67"
    outstanding = h.client.get("/api/invoices?status=outstanding").get_json()
    assert [i["number"] for i in outstanding["items"]] == ["PO-00002"]
    assert outstanding["totals"]["outstanding"] == "256.00"
    assert h.client.get("/api/invoices?status=paid").get_json()["totals"]["amount_gross"] == "768.00"
    assert h.client.get("/api/invoices?status=overdue").get_json()["totals"]["count"] == 0
    set_day(2019, 5, 25)
    overdue = h.client.get("/api/invoices?status=overdue").get_json()
    assert [i["number"] for i in overdue["items"]] == ["PO-00002"]
    assert overdue["items"][0]["days_overdue"] == 1
    assert h.client.get("/api/invoices?status=late").status_code == 422


def test_the_csv_export_lists_invoices_and_credit_notes_for_accounting(billing):
    h = billing
    first = issued_invoice(h, "p-1", days_held=3)
    issued_invoice(h, "p-2", application="a-2", days_held=2, employer={**NGO, "name": "=HYPERLINK(1)"})
    h.client.post(f"/api/invoices/{first['invoice_id']}/credit-note", json={"reason": "loobutud"})

    response = h.client.get("/api/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["document_type"], r["number"], r["amount_gross"]) for r in rows] == [
        ("invoice", "PO-00001", "768.00"), ("invoice", "PO-00002", "512.00"), ("credit_note", "KR-00001", "-768.00")]
    assert rows[0]["vat_amount"] == "128.00" and rows[0]["buyer_registry_code"] == "75024260"
    assert rows[2]["corrects_invoice"] == "PO-00001"
    assert rows[1]["buyer_name"] == "'=HYPERLINK(1)"  # no formula injection into the spreadsheet
    assert len(list(csv.DictReader(io.StringIO(
        h.client.get("/api/export.csv?from=2019-06-01").get_data(as_text=True).lstrip("\ufeff"))))) == 0
    assert h.client.get("/api/export.csv?from=yesterday").status_code == 422


def test_buyer_details_follow_enrolment_when_the_dropout_event_has_no_address(billing):
    h = billing
    h.deliver("enrolment.application.submitted", {
        "application_id": "a-1", "edition_id": "e-2019", "team_name": "Pärnu koosloojad",
        "preferred_cities": ["Pärnu"], "organisations": [EMPLOYER, NGO], "contact_email": "x@parnu.ee",
        "members": [{"participant_id": "p-1", "first_name": "Mari", "last_name": "Maasikas",
                     "email": "mari@parnu.ee", "organisation_id": EMPLOYER["organisation_id"]}]})
    invoice = issued_invoice(h, employer={**EMPLOYER, "address": ""})
    assert invoice["buyer"]["address"] == EMPLOYER["address"]


@pytest.mark.parametrize("path", ["/api/invoices/nope", "/api/invoices/nope/pdf", "/api/claims/nope",
                                  "/api/credit-notes/nope/pdf", "/api/statements/nope"])
def test_unknown_ids_are_404_json(billing, path):
    h = billing
    h.login("finance")
    response = h.client.get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
