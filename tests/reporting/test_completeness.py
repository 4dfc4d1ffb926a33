"""Issue 7, point 5: who is missing which data, against the edition's deadline, with counts."""
from __future__ import annotations

from datetime import datetime

from shared import clock
from shared.clock import TALLINN

from .builders import fill, hand_built_edition

FORM_FIELDS = ["sex", "birth_date", "employment_status", "isced", "disability", "third_country_national",
               "foreign_background", "minority", "homeless", "rural_area", "county", "municipality"]


def lines(report: dict) -> dict:
    return {line["participant_id"]: line for line in report["participants"]}


def test_missing_data_with_deadlines_weeks_after_entry_or_a_fixed_date(h):
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))
    report = h.client.get("/api/editions/edition-2019/completeness").get_json()
    assert report["deadline_weeks"] == 4 and report["deadline_date"] is None
    # P9 was substituted (not listed); P8 filled the form but never came; P7 gave nothing.
    assert report["counts"] == {"participants": 10, "complete": 9, "missing": 1, "overdue": 1, "not_entered": 1}
    by_id = lines(report)
    assert sorted(by_id) == ["P1", "P10", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "T1"]
    assert by_id["P7"]["form_missing"] == FORM_FIELDS
    assert (by_id["P7"]["deadline"], by_id["P7"]["overdue"]) == ("2019-05-15", True)  # 17.04 + 4 weeks
    assert (by_id["T1"]["deadline"], by_id["T1"]["form_missing"]) == ("2019-05-09", [])  # 11.04 + 4 weeks
    assert (by_id["P8"]["deadline"], by_id["P8"]["attendance_missing"]) == (None, ["entry_date"])

    h.client.put("/api/editions/edition-2019/settings", json={
        "indicator_set": "esf_plus_2021_2027", "deadline_weeks": None, "deadline_date": "2019-06-01"})
    report = h.client.get("/api/editions/edition-2019/completeness?group_id=2019-tallinn").get_json()
    assert report["counts"] == {"participants": 9, "complete": 8, "missing": 1, "overdue": 0, "not_entered": 1}
    assert {line["deadline"] for line in report["participants"]} == {"2019-06-01"}

    html = h.client.get("/editions/edition-2019/completeness?missing=1").get_data(as_text=True)
    assert "Toomas Tamm" in html and "Mari Maasikas" not in html and "01.06.2019" in html

    clock.set_now(datetime(2019, 5, 21, 12, tzinfo=TALLINN))
    assert fill(h, "P7", personal_code="38703120227").status_code == 303
    report = h.client.get("/api/editions/edition-2019/completeness").get_json()
    assert report["counts"]["missing"] == 0 and lines(report)["P7"]["form_missing"] == []


def test_the_deadline_setting_is_validated(h):
    hand_built_edition(h)
    h.login("coordinator")
    page = h.client.get("/editions/edition-2019")
    assert page.status_code == 200
    bad_date = h.client.post("/editions/edition-2019/settings", data={
        "csrf_token": h.csrf_token("/editions/edition-2019"), "indicator_set": "esf_plus_2021_2027",
        "deadline_weeks": "4", "deadline_date": "", "last_payment_date": "31.02.2020", "retention_years": "5"})
    assert bad_date.status_code == 422 and "Kuupäev kujul PP.KK.AAAA" in bad_date.get_data(as_text=True)
    no_deadline = h.client.post("/editions/edition-2019/settings", data={
        "csrf_token": h.csrf_token("/editions/edition-2019"), "indicator_set": "esf_plus_2021_2027",
        "deadline_weeks": "", "deadline_date": "", "last_payment_date": "", "retention_years": "5"})
    assert no_deadline.status_code == 422
    assert "Andke tähtaeg: nädalaid pärast sisenemist või kuupäev." in no_deadline.get_data(as_text=True)
    ok = h.client.post("/editions/edition-2019/settings", data={
        "csrf_token": h.csrf_token("/editions/edition-2019"), "indicator_set": "esf_2014_2020",
        "deadline_weeks": "", "deadline_date": "15.06.2019", "last_payment_date": "14.02.2020",
        "retention_years": "5"})
    assert ok.status_code == 303
    edition = h.client.get("/api/editions/edition-2019").get_json()
    assert (edition["indicator_set"], edition["deadline_date"], edition["retention_until"]) == (
        "esf_2014_2020", "2019-06-15", "2025-12-31")


def test_the_dashboard_gets_the_missing_and_overdue_counts(h):
    hand_built_edition(h)
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))
    h.login("trainer")
    assert h.client.get("/api/summary").get_json()["figures"] == []
    h.login("coordinator")
    figures = {f["key"]: f for f in h.client.get("/api/summary").get_json()["figures"]}
    assert (figures["reporting.esf_missing"]["value"], figures["reporting.esf_overdue"]["value"]) == (1, 1)
    assert figures["reporting.esf_missing"]["link"] == "/reporting/editions/edition-2019/completeness?missing=1"
    assert figures["reporting.anonymisation_due"]["value"] == 0
