"""Issue 5, point 1: one claim per dropout, the amount and why, the coordinator's decision."""
from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from services.billing.adapters.models import Claim
from tests.billing.helpers import (
    DROPOUT_2019,
    EMPLOYER,
    approved_claim,
    billing_harness,
    deliver_at,
    dropout,
    later,
    propose,
)


def claim_count(h) -> int:
    with h.kit.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Claim.__table__)).scalar_one()


@pytest.mark.parametrize(("days_held", "amount", "explained"), [
    (1, "256.00", "1 päev × 256,00 € = 256,00 €"),
    (2, "512.00", "2 päeva × 256,00 € = 512,00 €"),
    (3, "768.00", "3 päeva × 256,00 € = 768,00 €"),
])
def test_a_dropout_after_day_n_proposes_the_days_held_at_the_daily_rate(billing, days_held, amount, explained):
    h = billing
    h.deliver("attendance.participant.dropped_out", dropout(days_held=days_held))

    [proposed] = h.payloads("billing.claim.proposed")
    assert proposed["amount_gross"] == amount
    assert proposed["currency"] == "EUR"
    assert proposed["days_held"] == days_held
    assert (proposed["cap"], proposed["daily_rate"]) == ("768.00", "256.00")  # the terms notify quotes
    assert proposed["employer"]["registry_code"] == EMPLOYER["registry_code"]
    h.login("coordinator")
    claim = h.client.get(f"/api/claims/{proposed['claim_id']}").get_json()
    assert claim["status"] == "proposed"
    assert claim["proposed_amount"] == amount
    assert claim["explanation_et"].startswith(explained)
    assert "incl. VAT" in claim["explanation_en"]
    assert claim["dropped_out_on"] == "2019-05-02"
    assert claim["employer"]["name"] == "Pärnu Linnavalitsus"


def test_the_proposal_never_exceeds_the_cap(stack):
    h = billing_harness(stack, daily_rate="300.00")
    try:
        claim_id = propose(h, days_held=3)
        [proposed] = h.payloads("billing.claim.proposed")
        assert proposed["amount_gross"] == "768.00"  # not 900.00
        assert (proposed["cap"], proposed["daily_rate"]) == ("768.00", "300.00")
        h.login("coordinator")
        claim = h.client.get(f"/api/claims/{claim_id}").get_json()
        assert claim["capped"] is True
        assert "capped at €768.00" in claim["explanation_en"]
        assert "piiratud ülempiiriga 768,00 €" in claim["explanation_et"]
    finally:
        h.close()


def test_the_coordinator_may_lower_the_amount_but_never_raise_it_above_the_cap(billing):
    h = billing
    claim_id = propose(h, days_held=3)
    h.login("coordinator")

    above = h.client.post(f"/api/claims/{claim_id}/approve", json={"amount": "768.01"})
    assert above.status_code == 422
    assert "cap" in above.get_json()["errors"]["json"]["amount"][0]
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["status"] == "proposed"
    assert h.payloads("billing.claim.approved") == []

    lowered = h.client.post(f"/api/claims/{claim_id}/approve", json={"amount": "500", "note": "partly held"})
    assert lowered.status_code == 200
    body = lowered.get_json()
    assert (body["status"], body["amount"], body["proposed_amount"]) == ("approved", "500.00", "768.00")
    assert body["decisions"][-1]["action"] == "approved"
    assert body["decisions"][-1]["actor"] == "staff@example.ee"
    assert body["decisions"][-1]["reason"] == "partly held"
    [approved] = h.payloads("billing.claim.approved")
    assert approved == {"claim_id": claim_id, "participant_id": "p-1", "amount_gross": "500.00", "currency": "EUR"}


def test_the_coordinator_may_not_raise_a_claim_above_its_proposal_even_below_the_cap(billing):
    h = billing
    claim_id = propose(h, days_held=1)  # one day held: 256.00 proposed, the cap is 768.00
    h.login("coordinator")

    for amount in ("768.00", "256.01"):
        above = h.client.post(f"/api/claims/{claim_id}/approve", json={"amount": amount})
        assert above.status_code == 422, amount
        message = above.get_json()["errors"]["json"]["amount"][0]
        assert "above the proposed €256.00" in message
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert (claim["status"], claim["amount"]) == ("proposed", None)
    assert [d["action"] for d in claim["decisions"]] == []
    assert h.payloads("billing.claim.approved") == []

    exact = h.client.post(f"/api/claims/{claim_id}/approve", json={"amount": "256.00"})
    assert exact.status_code == 200 and exact.get_json()["amount"] == "256.00"


def test_approving_without_an_amount_takes_the_proposal(billing):
    h = billing
    claim_id = approved_claim(h, days_held=2)
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["amount"] == "512.00"


def test_a_dropout_before_any_session_day_is_waived_by_the_system_and_reopened_later(billing):
    h = billing
    early = DROPOUT_2019 - timedelta(days=60)
    deliver_at(h, "attendance.participant.dropped_out", dropout("p-0", days_held=0, at=early), early)
    assert h.payloads("billing.claim.proposed") == []
    [waived] = h.payloads("billing.claim.waived")
    assert waived["participant_id"] == "p-0" and "no session day" in waived["reason"]
    assert waived["cap"] == "768.00"
    h.login("coordinator")
    claim = h.client.get(f"/api/claims/{waived['claim_id']}").get_json()
    assert (claim["status"], claim["amount"]) == ("waived", None)
    response = h.client.post(f"/api/claims/{waived['claim_id']}/approve", json={"amount": "100.00"})
    assert response.status_code == 409
    # The same dropout again (another event id) changes nothing and publishes nothing.
    deliver_at(h, "attendance.participant.dropped_out", dropout("p-0", days_held=0, at=early), early)
    assert len(h.payloads("billing.claim.waived")) == 1
    # Reinstated, then dropping out after two days held: a real proposal on the same claim.
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-0", "application_id": "a-1"},
               early + timedelta(days=1))
    propose(h, "p-0", days_held=2)
    [proposed] = h.payloads("billing.claim.proposed")
    assert (proposed["claim_id"], proposed["amount_gross"]) == (waived["claim_id"], "512.00")


def test_waiving_needs_a_reason_and_is_final(billing):
    h = billing
    claim_id = propose(h)
    h.login("coordinator")
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = h.client.post(f"/api/claims/{claim_id}/waive", json=body)
        assert response.status_code == 422
        assert "reason" in response.get_json()["errors"]["json"]
    assert h.payloads("billing.claim.waived") == []

    response = h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "Haigestus, tõendiga"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "waived"
    assert response.get_json()["waive_reason"] == "Haigestus, tõendiga"
    assert h.payloads("billing.claim.waived") == [
        {"claim_id": claim_id, "participant_id": "p-1", "reason": "Haigestus, tõendiga", "cap": "768.00",
         "daily_rate": "256.00"}]

    again = h.client.post(f"/api/claims/{claim_id}/approve", json={})
    assert again.status_code == 409
    h.login("finance")
    assert h.client.post("/api/invoices", json={"claim_id": claim_id}).status_code == 409


def test_redelivered_dropout_events_make_one_claim(billing):
    h = billing
    envelope = h.envelope("attendance.participant.dropped_out", dropout())
    for _ in range(3):  # the broker redelivers the same message
        h.deliver(envelope=envelope)
    # attendance publishes the same dropout again (a new event id, e.g. after a retry)
    h.deliver("attendance.participant.dropped_out", dropout())
    h.deliver("attendance.participant.dropped_out", dropout(reason="withdrawal"))

    assert claim_count(h) == 1
    assert len(h.payloads("billing.claim.proposed")) == 1
    h.login("coordinator")
    assert len(h.client.get("/api/claims").get_json()) == 1


def test_reinstatement_withdraws_an_undecided_claim(billing):
    h = billing
    claim_id = propose(h)
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-1", "application_id": "a-1"},
               DROPOUT_2019 + timedelta(days=1))
    h.login("coordinator")
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert claim["status"] == "withdrawn"
    assert claim["decisions"][-1]["action"] == "withdrawn"
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).status_code == 409
    assert h.client.get("/api/claims?status=proposed").get_json() == []


def test_reinstatement_after_approval_leaves_the_claim_for_the_coordinator_and_flags_it(billing):
    h = billing
    claim_id = approved_claim(h)
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-1", "application_id": "a-1"},
               DROPOUT_2019 + timedelta(days=1))
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert claim["status"] == "approved"
    assert claim["needs_attention"] is True
    page = h.client.get("/").get_data(as_text=True)
    assert "ennistati" in page
    # The coordinator resolves it by waiving.
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "reinstated"}).status_code == 200


def test_events_out_of_order_a_stale_dropout_after_its_reinstatement_proposes_nothing(billing):
    h = billing
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-1", "application_id": "a-1"},
               DROPOUT_2019 + timedelta(hours=2))
    deliver_at(h, "attendance.participant.dropped_out", dropout(), DROPOUT_2019)
    assert claim_count(h) == 0
    assert h.payloads("billing.claim.proposed") == []


def test_dropping_out_again_after_a_reinstatement_proposes_the_claim_again(billing):
    h = billing
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=1), DROPOUT_2019)
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-1", "application_id": "a-1"},
               DROPOUT_2019 + timedelta(days=1))
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=2), DROPOUT_2019 + timedelta(days=20))
    assert claim_count(h) == 1
    first, second = h.payloads("billing.claim.proposed")
    assert first["claim_id"] == second["claim_id"]
    assert (first["amount_gross"], second["amount_gross"]) == ("256.00", "512.00")


def test_claims_filter_by_status_and_reject_an_unknown_status(billing):
    h = billing
    approved_claim(h, "p-1")
    propose(h, "p-2", application="a-2")
    assert [c["participant_id"] for c in h.client.get("/api/claims?status=proposed").get_json()] == ["p-2"]
    assert [c["participant_id"] for c in h.client.get("/api/claims?status=approved").get_json()] == ["p-1"]
    bad = h.client.get("/api/claims?status=nonsense")
    assert bad.status_code == 422
    assert "status" in bad.get_json()["errors"]["query"]


def test_a_claim_flagged_by_a_reinstatement_is_not_invoiced_until_the_coordinator_decides(billing):
    """The participant no longer dropped out: finance cannot invoice the employer (API and page),
    and the claim is neither 'to issue by' nor past its issue date."""
    h = billing
    claim_id = approved_claim(h)
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-1", "application_id": "a-1"},
               DROPOUT_2019 + timedelta(days=1))
    h.login("finance")
    refused = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert refused.status_code == 409, refused.get_json()
    assert "reinstated" in refused.get_json()["message"]
    assert h.payloads("billing.invoice.issued") == []
    page = h.client.get(f"/claims/{claim_id}")
    assert f"/claims/{claim_id}/invoice" not in page.get_data(as_text=True)
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert claim["issue_by"] is None
    later(30)
    assert h.client.get("/api/claims?status=issue_overdue").get_json() == []
    # Dropping out again makes the decided claim stand again: now it is invoiced.
    deliver_at(h, "attendance.participant.dropped_out", dropout(), DROPOUT_2019 + timedelta(days=5))
    assert h.client.post("/api/invoices", json={"claim_id": claim_id}).status_code == 201


def test_a_refused_decision_names_the_claim_state_in_estonian(billing):
    h = billing
    claim_id = propose(h)
    h.login("coordinator")
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "Haigus"}).status_code == 200
    page = h.client.get(f"/claims/{claim_id}")
    response = h.client.post(f"/claims/{claim_id}/approve", data={"csrf_token": h.csrf_token(f"/claims/{claim_id}")})
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and page.status_code == 200
    assert "olekus „loobutud“" in text and "waived" not in text


REINSTATED = {"participant_id": "p-1", "application_id": "a-1"}


def test_a_claim_the_coordinator_waived_is_proposed_again_when_the_participant_drops_out_again(billing):
    """Waived, then reinstated, then dropping out again: a new dropout the coordinator decides again;
    the history says it reopened and keeps the earlier waiver and its reason."""
    h = billing
    claim_id = propose(h, days_held=1)
    h.login("coordinator")
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "Haigestus, tõendiga"}).status_code == 200
    deliver_at(h, "attendance.participant.reinstated", REINSTATED, DROPOUT_2019 + timedelta(days=1))
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["status"] == "waived"  # nothing to withdraw
    again_at = DROPOUT_2019 + timedelta(days=20)
    second = dataclasses.replace(h.envelope("attendance.participant.dropped_out", dropout(days_held=2, at=again_at)),
                                 occurred_at=again_at.astimezone(UTC))
    h.deliver(envelope=second)

    assert claim_count(h) == 1
    first, reopened = h.payloads("billing.claim.proposed")
    assert reopened["claim_id"] == first["claim_id"] == claim_id
    assert (first["amount_gross"], reopened["amount_gross"]) == ("256.00", "512.00")
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert (claim["status"], claim["waive_reason"], claim["decided_by"], claim["dropped_out_on"]) == (
        "proposed", None, None, "2019-05-22")
    history = [(d["action"], d["reason"]) for d in claim["decisions"]]
    assert history[0] == ("waived", "Haigestus, tõendiga")
    action, reason = history[-1]
    assert action == "reopened" and "after reinstatement" in reason and "Haigestus, tõendiga" in reason
    page = h.client.get(f"/claims/{claim_id}?lang=et").get_data(as_text=True)
    assert "uuesti esitatud (katkestas taas)" in page and "Haigestus, tõendiga" in page
    assert f"/claims/{claim_id}/approve" in page  # the coordinator decides again
    assert [c["claim_id"] for c in h.client.get("/api/claims?status=proposed").get_json()] == [claim_id]

    # The same dropout again -- redelivered, or republished with a new event id -- changes nothing.
    h.deliver(envelope=second)
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=2, at=again_at), again_at)
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=1), DROPOUT_2019)  # stale
    assert len(h.payloads("billing.claim.proposed")) == 2
    assert len(h.client.get(f"/api/claims/{claim_id}").get_json()["decisions"]) == len(claim["decisions"])
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).get_json()["amount"] == "512.00"


def test_a_waived_claim_stays_waived_without_a_reinstatement_in_between(billing):
    """A dropout event published again later (no reinstatement between) is the same dropout."""
    h = billing
    claim_id = propose(h)
    h.login("coordinator")
    h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "Haigus"})
    deliver_at(h, "attendance.participant.dropped_out", dropout(), DROPOUT_2019 + timedelta(hours=3))
    # A reinstatement older than the dropout we know is stale: dropping out after it is no new dropout.
    deliver_at(h, "attendance.participant.reinstated", REINSTATED, DROPOUT_2019 - timedelta(hours=1))
    deliver_at(h, "attendance.participant.dropped_out", dropout(), DROPOUT_2019 + timedelta(hours=4))
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert (claim["status"], claim["waive_reason"]) == ("waived", "Haigus")
    assert len(h.payloads("billing.claim.proposed")) == 1
    assert [d["action"] for d in claim["decisions"]] == ["waived"]


def test_a_claim_waived_after_its_reinstatement_flag_is_proposed_again_on_a_new_dropout(billing):
    h = billing
    claim_id = approved_claim(h, days_held=1)
    deliver_at(h, "attendance.participant.reinstated", REINSTATED, DROPOUT_2019 + timedelta(days=1))
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "Ennistati"}).status_code == 200
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=3, at=DROPOUT_2019 + timedelta(days=20)),
               DROPOUT_2019 + timedelta(days=20))
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert (claim["status"], claim["proposed_amount"], claim["needs_attention"]) == ("proposed", "768.00", False)
    assert claim["decisions"][-1]["action"] == "reopened" and "Ennistati" in claim["decisions"][-1]["reason"]


def test_an_invoiced_claim_is_not_reopened_and_a_credited_then_waived_one_is_with_its_invoice_kept(billing):
    """Invoiced: dropping out again only lifts the reinstatement flag. Credited and waived: a new
    dropout is proposed again; the credited invoice stays as it was, and the new dropout has its own
    issue-by date (VAT Act § 37)."""
    h = billing
    invoiced_id = approved_claim(h, "p-2", application="a-2", days_held=1)
    h.login("coordinator", "finance")
    assert h.client.post("/api/invoices", json={"claim_id": invoiced_id}).status_code == 201
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-2", "application_id": "a-2"},
               DROPOUT_2019 + timedelta(days=1))
    deliver_at(h, "attendance.participant.dropped_out", dropout("p-2", application="a-2"),
               DROPOUT_2019 + timedelta(days=2))
    invoiced = h.client.get(f"/api/claims/{invoiced_id}").get_json()
    assert (invoiced["status"], invoiced["needs_attention"]) == ("invoiced", False)
    assert invoiced["decisions"][-1]["action"] == "dropped_out_again"

    claim_id = approved_claim(h, days_held=1)
    h.login("coordinator", "finance")
    invoice = h.client.post("/api/invoices", json={"claim_id": claim_id}).get_json()
    deliver_at(h, "attendance.participant.reinstated", REINSTATED, DROPOUT_2019 + timedelta(days=1))
    assert h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note",
                         json={"reason": "Osaleja ennistati"}).status_code == 201
    assert h.client.post(f"/api/claims/{claim_id}/waive", json={"reason": "Ennistati"}).status_code == 200
    proposals = len(h.payloads("billing.claim.proposed"))
    later(1)
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=2, at=DROPOUT_2019 + timedelta(days=20)),
               DROPOUT_2019 + timedelta(days=20))
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert (claim["status"], claim["proposed_amount"], claim["dropped_out_on"]) == ("proposed", "512.00", "2019-05-22")
    assert len(h.payloads("billing.claim.proposed")) == proposals + 1
    assert claim["issue_by"] == "2019-05-29"
    assert [(i["number"], i["status"]) for i in claim["invoices"]] == [(invoice["number"], "credited")]
    assert h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()["status"] == "credited"
    # Approved again, finance invoices the new dropout.
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).status_code == 200
    again = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert again.status_code == 201 and again.get_json()["amount_gross"] == "512.00"
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["issue_by"] is None
