"""A dropout's claim is proposed under its edition's policy (enrolment.edition.published
carries the cap and the daily rate per edition); billing's BILLING_* settings only where
no edition policy is known."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from services.billing.adapters.models import EditionGroup, EditionPolicy
from shared.clock import TALLINN
from tests.billing.helpers import billing_harness, dropout, issued_invoice, pdf_text, propose


def edition_event(revision: int = 1, groups: tuple[str, ...] = ("g-parnu", "g-tartu"), **claim) -> dict:
    """enrolment.edition.published as enrolment sends it; without ``claim``, as an older one did."""
    return {"edition_id": "2019", "year": 2019, "name": "Arenguprogramm", "revision": revision,
            "application_deadline": datetime(2019, 3, 1, 23, 59, 59, tzinfo=TALLINN),
            "groups": [{"group_id": group_id, "city": group_id[2:].title(), "capacity_teams": 7, "sessions": [
                {"session_id": f"{group_id}-{d}", "day_number": d,
                 "starts_at": datetime(2019, 4, 8 + d, 10, tzinfo=TALLINN),
                 "ends_at": datetime(2019, 4, 8 + d, 17, tzinfo=TALLINN)} for d in (1, 2, 3)]}
                for group_id in groups],
            **claim}


def policies(h) -> dict:
    with h.kit.db.engine.connect() as conn:
        rows = conn.execute(select(EditionPolicy.__table__)).mappings().all()
        groups = dict(conn.execute(select(EditionGroup.group_id, EditionGroup.edition_id)).all())
    return {"policies": [(r["edition_id"], r["revision"], r["claim_cap"], r["claim_daily_rate"]) for r in rows],
            "groups": groups}


def test_a_claim_follows_its_editions_cap_and_daily_rate(billing):
    h = billing
    h.deliver("enrolment.edition.published", edition_event(claim_cap="900.00", claim_daily_rate="300.00"))
    propose(h, "p-2", days_held=2)
    claim_id = propose(h, "p-3", days_held=3)
    two, three = h.payloads("billing.claim.proposed")
    assert (two["amount_gross"], two["cap"], two["daily_rate"]) == ("600.00", "900.00", "300.00")
    assert (three["amount_gross"], three["cap"], three["daily_rate"]) == ("900.00", "900.00", "300.00")  # not 768
    h.login("coordinator", "finance")
    claim = h.client.get(f"/api/claims/{claim_id}").get_json()
    assert (claim["cap"], claim["daily_rate"], claim["capped"]) == ("900.00", "300.00", False)
    assert claim["explanation_et"].startswith("3 päeva × 300,00 € = 900,00 €")
    page = " ".join(h.client.get(f"/claims/{claim_id}").get_data(as_text=True).split())
    assert "900,00 €" in page and "300,00 €" in page
    # Never above the edition's cap, whatever the settings say.
    r = h.client.post(f"/api/claims/{claim_id}/approve", json={"amount": "900.01"})
    assert r.status_code == 422


def test_the_invoice_splits_the_editions_900_into_750_net_and_150_vat(billing):
    h = billing
    h.deliver("enrolment.edition.published", edition_event(claim_cap="900.00", claim_daily_rate="300.00"))
    invoice = issued_invoice(h, days_held=3)
    assert (invoice["amount_net"], invoice["vat_rate"], invoice["vat_amount"], invoice["amount_gross"]) == (
        "750.00", "20.00", "150.00", "900.00")
    [issued] = h.payloads("billing.invoice.issued")
    assert (issued["amount_net"], issued["vat_amount"], issued["amount_gross"]) == ("750.00", "150.00", "900.00")
    text = " ".join(pdf_text(h.client.get(f"/api/invoices/{invoice['invoice_id']}/pdf").data).split())
    assert "750,00" in text and "150,00" in text and "900,00" in text


def test_an_old_style_edition_event_leaves_the_settings_in_force(stack):
    h = billing_harness(stack, daily_rate="300.00", cap="800.00")
    try:
        h.deliver("enrolment.edition.published", edition_event())  # no claim_cap, no claim_daily_rate
        assert policies(h)["policies"] == [("2019", 1, None, None)]
        propose(h, "p-1", days_held=3)
        [proposed] = h.payloads("billing.claim.proposed")
        assert (proposed["amount_gross"], proposed["cap"], proposed["daily_rate"]) == ("800.00", "800.00", "300.00")
    finally:
        h.close()


def test_without_an_edition_event_billing_uses_its_settings(billing):
    h = billing
    h.deliver("enrolment.edition.published", edition_event(groups=("g-tartu",), claim_cap="900.00",
                                                           claim_daily_rate="300.00"))
    propose(h, days_held=3)  # g-parnu: no edition billing knows of
    [proposed] = h.payloads("billing.claim.proposed")
    assert (proposed["amount_gross"], proposed["cap"], proposed["daily_rate"]) == ("768.00", "768.00", "256.00")


def test_a_republished_edition_updates_the_policy_and_an_older_or_replayed_one_does_not(billing):
    h = billing
    first = h.envelope("enrolment.edition.published", edition_event(1, claim_cap="900.00", claim_daily_rate="300.00"))
    h.deliver(envelope=first)
    h.deliver("enrolment.edition.published", edition_event(2, groups=("g-parnu", "g-rakvere"), claim_cap="1000.00",
                                                           claim_daily_rate="400.00"))
    h.deliver(envelope=first)  # redelivered: the inbox drops it
    h.deliver("enrolment.edition.published", edition_event(1, claim_cap="500.00", claim_daily_rate="100.00"))  # stale
    assert policies(h) == {"policies": [("2019", 2, 1000, 400)],
                           "groups": {"g-parnu": "2019", "g-rakvere": "2019"}}  # Tartu left the edition
    propose(h, "p-1", days_held=3)
    propose(h, "p-2", days_held=2)
    assert [(p["amount_gross"], p["cap"]) for p in h.payloads("billing.claim.proposed")] == [
        ("1000.00", "1000.00"), ("800.00", "1000.00")]
    # A claim keeps the terms it was proposed under when the edition changes later.
    h.deliver("enrolment.edition.published", edition_event(3))
    h.login("coordinator")
    claim = h.client.get(f"/api/claims/{h.payloads('billing.claim.proposed')[0]['claim_id']}").get_json()
    assert (claim["cap"], claim["daily_rate"], claim["proposed_amount"]) == ("1000.00", "400.00", "1000.00")
    propose(h, "p-3", days_held=1)  # revision 3 no longer states a policy: the settings
    assert h.payloads("billing.claim.proposed")[-1]["amount_gross"] == "256.00"


def test_the_edition_is_the_groups_not_the_dropouts_application(billing):
    """Two editions at once: each group's dropout is claimed under its own edition."""
    h = billing
    h.deliver("enrolment.edition.published", edition_event(claim_cap="900.00", claim_daily_rate="300.00"))
    h.deliver("enrolment.edition.published", {**edition_event(groups=("g-2020-viljandi",)), "edition_id": "2020",
                                              "year": 2020, "claim_cap": "1200.00", "claim_daily_rate": "400.00"})
    propose(h, "p-1", days_held=3)
    payload = {**dropout("p-2", "a-2", days_held=3), "group_id": "g-2020-viljandi"}
    h.deliver("attendance.participant.dropped_out", payload)
    assert [p["amount_gross"] for p in h.payloads("billing.claim.proposed")] == ["900.00", "1200.00"]
