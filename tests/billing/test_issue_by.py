"""VAT Act § 37: a claim's invoice is issued within 7 days of the supply (the dropout day).

Claims not invoiced yet show "issue by" (dropout + 7 days), due soon within 2 days of it and
overdue after it; the dashboard counts the overdue ones and links to the list filtered to them.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

from services.billing.config import BillingConfig, ConfigError
from services.billing.domain.claims import issue_by, issue_urgency
from shared.config import Settings
from tests.billing.helpers import TALLINN, approved_claim, issued_invoice, propose, set_day

ISSUE_BY = "09.05.2019"  # the dropout of 02.05.2019 (helpers.DROPOUT_2019) + 7 days
OVERDUE_ET, OVERDUE_EN = '<strong class="bad">tähtaeg möödas', '<strong class="bad">overdue'
SOON_ET, SOON_EN = '<strong class="warn">tähtaeg läheneb', '<strong class="warn">due soon'


def page_in(h, path: str, lang: str = "et") -> str:
    """The page in one language (the choice is remembered in a cookie, so always say which)."""
    response = h.client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def figure(h, key: str) -> dict:
    return {f["key"]: f for f in h.client.get("/api/summary").get_json()["figures"]}[key]


def test_the_issue_by_date_is_the_dropout_day_plus_seven_due_soon_two_days_before_overdue_after():
    assert issue_by(date(2019, 5, 2)) == date(2019, 5, 9)
    assert issue_by(date(2019, 5, 2), within_days=10) == date(2019, 5, 12)
    deadline = date(2019, 5, 9)
    assert [issue_urgency(deadline, date(2019, 5, day)) for day in (5, 6, 7, 9, 10)] == [
        "ok", "ok", "due_soon", "due_soon", "overdue"]


def test_a_claim_three_days_after_its_dropout_shows_its_issue_by_date_and_eight_days_after_is_overdue(billing):
    h = billing
    set_day(2019, 5, 5)  # three days after the dropout
    claim_id = propose(h)
    h.login("finance")
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["issue_by"] == "2019-05-09"
    assert [c["issue_by"] for c in h.client.get("/api/claims").get_json()] == ["2019-05-09"]
    for page in ("/claims", f"/claims/{claim_id}"):
        html = page_in(h, page)
        assert f"Väljastada hiljemalt {ISSUE_BY}" in html, page
        assert OVERDUE_ET not in html and SOON_ET not in html, page
        english = page_in(h, page, "en")
        assert "Issue by 09.05.2019" in english and OVERDUE_EN not in english and SOON_EN not in english, page
    assert figure(h, "billing.claims_past_issue_date")["value"] == 0

    set_day(2019, 5, 7)  # two days left
    assert f"Väljastada hiljemalt {ISSUE_BY}</span> {SOON_ET}" in page_in(h, f"/claims/{claim_id}")
    assert f"Issue by 09.05.2019</span> {SOON_EN}" in page_in(h, f"/claims/{claim_id}", "en")

    set_day(2019, 5, 10)  # eight days after the dropout: past the issue-by date
    for page in ("/claims", f"/claims/{claim_id}"):
        assert f"Väljastada hiljemalt {ISSUE_BY}</span> {OVERDUE_ET}" in page_in(h, page), page
        assert f"Issue by 09.05.2019</span> {OVERDUE_EN}" in page_in(h, page, "en"), page
    past = figure(h, "billing.claims_past_issue_date")
    assert (past["value"], past["tone"], past["link"]) == (1, "bad", "/billing/claims?status=issue_overdue")
    assert past["label_en"] == "Claims past the 7-day issue date"
    assert f"Väljastada hiljemalt {ISSUE_BY}" in page_in(h, "/claims?status=issue_overdue")
    assert "Claims: past the invoice issue date" in page_in(h, "/claims?status=issue_overdue", "en")


def test_invoiced_and_waived_claims_have_no_issue_by_date_and_only_late_uninvoiced_ones_are_counted(billing):
    h = billing  # 10.05.2019: the 02.05 dropouts are past their issue-by date
    undecided = propose(h, "p-1")
    approved = approved_claim(h, "p-2", application="a-2")  # approved, invoice still to issue
    invoiced = issued_invoice(h, "p-3", application="a-3")["claim_id"]
    waived = propose(h, "p-4", application="a-4")
    assert h.client.post(f"/api/claims/{waived}/waive", json={"reason": "Haigestus"}).status_code == 200
    recent = propose(h, "p-5", application="a-5", at=datetime(2019, 5, 9, 12, 0, tzinfo=TALLINN))
    h.login("finance", "coordinator")

    issue_dates = {c["claim_id"]: c["issue_by"] for c in h.client.get("/api/claims").get_json()}
    assert issue_dates == {undecided: "2019-05-09", approved: "2019-05-09", invoiced: None, waived: None,
                           recent: "2019-05-16"}
    late = {c["claim_id"] for c in h.client.get("/api/claims?status=issue_overdue").get_json()}
    assert late == {undecided, approved}
    assert figure(h, "billing.claims_past_issue_date")["value"] == 2
    assert page_in(h, "/claims?status=issue_overdue").count(">Ava<") == 2
    for claim_id in (invoiced, waived):
        html = page_in(h, f"/claims/{claim_id}")
        assert "Väljastada hiljemalt" not in html and OVERDUE_ET not in html
        assert "Issue by" not in page_in(h, f"/claims/{claim_id}", "en")

    # Credited, the claim is approved again for a new invoice; its supply was invoiced already.
    invoice_id = h.client.get(f"/api/claims/{invoiced}").get_json()["invoices"][0]["invoice_id"]
    assert h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": "Viga"}).status_code == 201
    credited = h.client.get(f"/api/claims/{invoiced}").get_json()
    assert (credited["status"], credited["issue_by"]) == ("approved", None)
    assert figure(h, "billing.claims_past_issue_date")["value"] == 2


def test_the_openapi_document_describes_issue_by_and_the_filter(billing):
    spec = billing.client.get("/openapi.json").get_json()
    issue = spec["components"]["schemas"]["Claim"]["properties"]["issue_by"]
    assert issue["format"] == "date" and "§ 37" in issue["description"]
    status = next(p for p in spec["paths"]["/api/claims"]["get"]["parameters"] if p["name"] == "status")
    assert "issue_overdue" in status["schema"]["enum"]


def test_the_seven_days_are_a_setting_refused_when_negative():
    def config(**extra):
        return BillingConfig.from_settings(Settings.from_env("billing", database_url="sqlite://", bus_url="memory://",
                                                             extra=extra))
    assert config().issue_days == 7
    assert config(issue_days="10").issue_days == 10
    with pytest.raises(ConfigError):
        config(issue_days="-1")
