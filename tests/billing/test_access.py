"""Who may do what, and bad input: JSON errors with field messages, nothing changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.billing.helpers import approved_claim, issued_invoice, propose

READS = ["/api/claims", "/api/invoices", "/api/export.csv", "/"]


def outbox_size(h) -> int:
    with h.kit.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(h.kit.tables.outbox)).scalar_one()


def test_without_a_session_the_api_answers_401_json_and_pages_redirect_to_sign_in(billing):
    h = billing
    claim_id = propose(h)
    for method, path in [("get", "/api/claims"), ("get", f"/api/claims/{claim_id}"), ("get", "/api/invoices"),
                         ("post", f"/api/claims/{claim_id}/approve"), ("post", "/api/invoices"),
                         ("post", "/api/statements"), ("get", "/api/export.csv")]:
        response = getattr(h.client, method)(path, json={})
        assert response.status_code == 401, path
        assert response.get_json()["code"] == 401
    page = h.client.get("/claims")
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]
    assert h.client.get(f"/api/claims/{claim_id}").status_code == 401


def test_a_trainer_is_refused_everywhere(billing):
    h = billing
    claim_id = propose(h)
    h.login("trainer:Pärnu")
    for path in [*READS, f"/api/claims/{claim_id}", f"/claims/{claim_id}", "/invoices", "/statements"]:
        assert h.client.get(path).status_code == 403, path
    response = h.client.post(f"/api/claims/{claim_id}/approve", json={})
    assert response.status_code == 403
    assert response.get_json()["code"] == 403


def test_the_coordinator_decides_claims_finance_handles_invoices_and_both_read(billing):
    h = billing
    claim_id = propose(h)
    h.login("finance")
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).status_code == 403
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "x"}).status_code == 403
    for path in READS:
        assert h.client.get(path).status_code == 200, path
    h.login("coordinator")
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).status_code == 200
    assert h.client.post("/api/invoices", json={"claim_id": claim_id}).status_code == 403
    for path in READS:
        assert h.client.get(path).status_code == 200, path
    h.login("finance")
    invoice = h.client.post("/api/invoices", json={"claim_id": claim_id}).get_json()
    h.login("coordinator")
    assert h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={}).status_code == 403
    assert h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note", json={"reason": "x"}).status_code == 403
    assert h.client.post("/api/statements", data=b"<x/>", content_type="application/xml").status_code == 403
    assert h.client.get(f"/api/invoices/{invoice['invoice_id']}/pdf").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "abc"}, "amount"),
    ({"amount": "12.345"}, "amount"),
    ({"amount": 12.345}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "1e30"}, "amount"),
    ({"amount": True}, "amount"),
    ({"amount": "100", "colour": "red"}, "colour"),
    ({"note": 5}, "note"),
])
def test_bad_approvals_are_422_with_field_errors_and_change_nothing(billing, body, field):
    h = billing
    claim_id = propose(h)
    h.login("coordinator")
    before = outbox_size(h)
    response = h.client.post(f"/api/claims/{claim_id}/approve", json=body)
    assert response.status_code == 422
    error = response.get_json()
    assert error["code"] == 422
    assert field in error["errors"]["json"]
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["status"] == "proposed"
    assert outbox_size(h) == before


def test_malformed_json_is_refused(billing):
    h = billing
    claim_id = propose(h)
    h.login("coordinator")
    response = h.client.post(f"/api/claims/{claim_id}/approve", data="{nope", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.get_json()["code"] == response.status_code


def test_bad_payments_are_422_and_change_nothing(billing):
    h = billing
    invoice = issued_invoice(h)
    before = outbox_size(h)
    for body in ({"amount": "ten"}, {"paid_on": "10.05.2019"}, {"amount": "0"}, {"amount": "9999"}):
        response = h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json=body)
        assert response.status_code == 422, body
        assert set(response.get_json()["errors"]["json"]) <= {"amount", "paid_on"}
    assert h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()["amount_paid"] == "0.00"
    assert outbox_size(h) == before


def test_the_openapi_document_lists_every_endpoint_with_its_errors(billing):
    h = billing
    spec = h.client.get("/openapi.json").get_json()
    paths = spec["paths"]
    for path, method in [("/api/claims", "get"), ("/api/claims/{claim_id}", "get"),
                         ("/api/claims/{claim_id}/approve", "post"), ("/api/claims/{claim_id}/waive", "post"),
                         ("/api/invoices", "get"), ("/api/invoices", "post"), ("/api/invoices/{invoice_id}", "get"),
                         ("/api/invoices/{invoice_id}/payments", "post"),
                         ("/api/invoices/{invoice_id}/credit-note", "post"), ("/api/invoices/{invoice_id}/pdf", "get"),
                         ("/api/statements", "post"), ("/api/export.csv", "get")]:
        operation = paths[path][method]
        assert "401" in operation["responses"] and "403" in operation["responses"], (path, method)
        assert operation["security"] == [{"staffSession": []}]
    assert {"404", "409", "422"} <= set(paths["/api/claims/{claim_id}/approve"]["post"]["responses"])
    assert "requestBody" in paths["/api/claims/{claim_id}/approve"]["post"]
    content = paths["/api/statements"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/xml"} <= set(content)
    assert "application/pdf" in paths["/api/invoices/{invoice_id}/pdf"]["get"]["responses"]["200"]["content"]


def test_an_approved_claim_cannot_be_approved_after_it_is_invoiced(billing):
    h = billing
    claim_id = approved_claim(h)
    h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={"amount": "1"}).status_code == 409
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "x"}).status_code == 409
