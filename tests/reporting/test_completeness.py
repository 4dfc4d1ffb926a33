"""Issue 7, point 5: who is missing which data, against the edition's deadline, with counts."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select

from services.notify.adapters.models import Email
from shared import clock
from shared.clock import TALLINN

from .builders import (
    BEFORE_START,
    EDITION,
    accept,
    at,
    attend,
    edition,
    fill,
    group_id,
    hand_built_edition,
    member,
    organisation,
    publish_edition,
)

FORM_FIELDS = ["sex", "birth_date", "employment_status", "isced", "disability", "third_country_national",
               "foreign_background", "minority", "homeless", "rural_area", "county", "municipality"]


def lines(report: dict) -> dict:
    return {line["participant_id"]: line for line in report["participants"]}


def test_missing_data_with_deadlines_at_entry_weeks_after_it_or_a_fixed_date(h):
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))
    report = h.client.get("/api/editions/edition-2019/completeness").get_json()
    # By default the data is due at entry (DOMAIN.md): the first day attended.
    assert report["deadline_weeks"] == 0 and report["deadline_date"] is None
    # P9 was substituted (not listed); P8 filled the form but never came; P7 gave nothing.
    assert report["counts"] == {"participants": 10, "complete": 9, "missing": 1, "overdue": 1, "not_entered": 1}
    by_id = lines(report)
    assert sorted(by_id) == ["P1", "P10", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "T1"]
    assert by_id["P7"]["form_missing"] == FORM_FIELDS
    assert (by_id["P7"]["deadline"], by_id["P7"]["overdue"]) == ("2019-04-17", True)  # entered 17.04
    assert (by_id["T1"]["deadline"], by_id["T1"]["form_missing"]) == ("2019-04-11", [])  # entered 11.04
    # Not entered yet: the group's first day stands for the entry, so the date is known from acceptance.
    assert (by_id["P8"]["deadline"], by_id["P8"]["attendance_missing"]) == ("2019-04-17", ["entry_date"])

    h.client.put("/api/editions/edition-2019/settings", json={
        "indicator_set": "esf_plus_2021_2027", "deadline_weeks": 4, "deadline_date": None})
    by_id = lines(h.client.get("/api/editions/edition-2019/completeness").get_json())
    assert [by_id[p]["deadline"] for p in ("P7", "T1", "P8")] == ["2019-05-15", "2019-05-09", "2019-05-15"]
    assert by_id["P7"]["overdue"] is True

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


def deadlines(h) -> list[tuple[str, str]]:
    """What reporting told notify so far: (participant, deadline), in order."""
    found = []
    for payload in h.payloads("reporting.esf_data.requested"):
        assert set(payload) == {"participant_id", "deadline"}  # an id and a date, nothing personal
        found.append((payload["participant_id"], payload["deadline"]))
    return found


def test_each_participants_deadline_is_published_once_and_again_when_it_changes(h):
    publish_edition(h)
    team = [member(p, "Eesnimi", p, "L1") for p in ("P1", "P2", "P3", "P4")]
    accept(h, "app-T1", "Tallinn", team, [organisation("L1")])
    assert deadlines(h) == [(p, "2019-04-17") for p in ("P1", "P2", "P3", "P4")]  # Tallinn's day I
    accept(h, "app-T1", "Tallinn", team, [organisation("L1")])  # the same fact again: nothing new
    attend(h, "P2", "Tallinn", 1)  # entered on the planned day: the same deadline
    assert len(deadlines(h)) == 4

    attend(h, "P1", "Tallinn", 1, present=False)
    attend(h, "P1", "Tallinn", 2)  # entered on day II instead
    assert deadlines(h)[4:] == [("P1", "2019-05-09")]
    assert fill(h, "P3").status_code == 303  # complete: no deadline any more

    h.login("coordinator")
    changed = h.client.put("/api/editions/edition-2019/settings", json={
        "indicator_set": "esf_plus_2021_2027", "deadline_weeks": 2})
    assert changed.status_code == 200
    assert sorted(deadlines(h)[5:]) == [("P1", "2019-05-23"), ("P2", "2019-05-01"), ("P4", "2019-05-01")]
    page = lines(h.client.get("/api/editions/edition-2019/completeness").get_json())
    assert {p: page[p]["deadline"] for p in ("P1", "P2", "P4")} == dict(deadlines(h)[5:])

    h.deliver("enrolment.member.substituted", {
        "application_id": "app-T1", "left_participant_id": "P4", "member": member("P5", "Uus", "Liige", "L1")})
    assert deadlines(h)[8:] == [("P5", "2019-05-01")]
    moved = edition(revision=2)  # Tallinn's day I a day later: only who has not entered yet moves
    tallinn = next(g for g in moved["groups"] if g["city"] == "Tallinn")
    tallinn["sessions"][0].update(starts_at=at(date(2019, 4, 18), 10), ends_at=at(date(2019, 4, 18), 17))
    h.deliver("enrolment.edition.published", moved)
    assert deadlines(h)[9:] == [("P5", "2019-05-02")]


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


def test_a_tartu_coordinators_dashboard_counts_only_tartus_esf_data(h):
    """coordinator:Tartu: the ESF figures count Tartu's group only (completeness' own scope),
    and their link opens for them listing just those; the whole edition's figures are unchanged."""
    import re

    publish_edition(h)
    accept(h, "app-R1", "Tartu", [member(f"T{n}", "Tiina", f"Tartlane{n}", "L1") for n in (1, 2, 3)],
           [organisation("L1")])
    accept(h, "app-P1", "Pärnu", [member(f"R{n}", "Rein", f"Pärnakas{n}", "L2") for n in (1, 2, 3, 4)],
           [organisation("L2")])
    assert fill(h, "T1").status_code == 303  # the others never filled the form
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))  # past both groups' first day: overdue

    def figures():
        return {f["key"]: (f["value"], f["link"]) for f in h.client.get("/api/summary").get_json()["figures"]}

    def listed(link: str) -> set[str]:
        page = h.client.get(link.removeprefix("/reporting"))
        assert page.status_code == 200, link
        return set(re.findall(r'/participants/(\w+)"', page.get_data(as_text=True)))

    link = "/reporting/editions/edition-2019/completeness?missing=1"
    h.login("coordinator")
    whole = figures()
    assert whole["reporting.esf_missing"] == (6, link) and whole["reporting.esf_overdue"] == (6, link)
    assert whole["reporting.anonymisation_due"] == (0, "/reporting/")
    assert listed(link) == {"T2", "T3", "R1", "R2", "R3", "R4"}

    h.login("coordinator:Tartu", email="tiia@example.ee")
    tartu = figures()
    assert tartu == {"reporting.esf_missing": (2, link), "reporting.esf_overdue": (2, link)}
    assert listed(link) == {"T2", "T3"}
def carry(reporting, notify, done: int) -> int:
    """Hand reporting's ESF events to notify as the bus would (the wire form, in order)."""
    events = [e for e in reporting.published() if e["event_type"].startswith("reporting.esf_data.")]
    for envelope in events[done:]:
        notify.deliver(body=json.dumps(envelope).encode())
    return len(events)


def esf_emails(notify, template: str) -> dict[str, Email]:
    with notify.kit.db.transaction() as session:
        return {e.recipient: e for e in session.scalars(select(Email).where(Email.template == template))}


def shown(day: str) -> str:
    return date.fromisoformat(day).strftime("%d.%m.%Y")


def test_notifys_request_and_reminder_name_the_completeness_pages_deadline(stack, tmp_path):
    reporting = stack.harness("reporting")
    notify = stack.harness("notify", extra={"mail_dir": str(tmp_path / "mail")})
    try:
        clock.set_now(BEFORE_START)
        for service in (reporting, notify):
            service.deliver("enrolment.edition.published", edition())
        accepted = {"application_id": "app-T1", "edition_id": EDITION, "group_id": group_id("Tallinn"),
                    "city": "Tallinn", "team_name": "Meeskond T1", "contact_email": "kontakt@example.ee",
                    "organisations": [organisation("L1")],
                    "members": [member(p, "Eesnimi", p, "L1") for p in ("P1", "P2", "P3")]}
        notify.deliver("enrolment.application.accepted", accepted)  # before reporting has said anything
        notify.tick()
        assert {e.status for e in esf_emails(notify, "esf_data_request").values()} == {"waiting"}
        reporting.deliver("enrolment.application.accepted", accepted)
        done = carry(reporting, notify, 0)
        notify.tick()

        reporting.login("coordinator")
        page = lines(reporting.client.get("/api/editions/edition-2019/completeness").get_json())
        requests = esf_emails(notify, "esf_data_request")
        for p in ("P1", "P2", "P3"):
            request = requests[f"{p.lower()}@example.ee"]
            assert request.status == "sent" and shown(page[p]["deadline"]) in request.subject

        # The coordinator sets a fixed date: the page and the reminder follow it.
        assert reporting.client.put("/api/editions/edition-2019/settings", json={
            "indicator_set": "esf_plus_2021_2027", "deadline_weeks": None,
            "deadline_date": "2019-04-30"}).status_code == 200
        assert fill(reporting, "P2").status_code == 303  # P2 gives the data: never reminded
        done = carry(reporting, notify, done)
        page = lines(reporting.client.get("/api/editions/edition-2019/completeness").get_json())
        assert page["P1"]["deadline"] == "2019-04-30"

        clock.set_now(datetime(2019, 4, 16, 9, tzinfo=TALLINN))  # the old deadline's reminder moment
        notify.tick()
        assert esf_emails(notify, "esf_data_reminder") == {}
        clock.set_now(datetime(2019, 4, 28, 0, 0, tzinfo=TALLINN))  # three days before the end of 30.04
        notify.tick()
        notify.tick()
        clock.set_now(datetime(2019, 4, 29, 12, 0, tzinfo=TALLINN))
        notify.tick()
        reminders = esf_emails(notify, "esf_data_reminder")
        assert sorted(reminders) == ["p1@example.ee", "p3@example.ee"]  # once each
        assert all(shown(page["P1"]["deadline"]) in r.subject and r.status == "sent" for r in reminders.values())
    finally:
        reporting.close()
        notify.close()


def test_with_two_editions_each_has_its_own_esf_figures_named_by_year(h):
    """2020 beside 2019: the dashboard's ESF counts are per edition, named by year, each linking to
    its own edition's list (a sum of both years linked to one of them did not match what it opened);
    the newest first, an earlier one only while it misses data."""
    from datetime import timedelta

    from .builders import edition, group_id
    publish_edition(h)
    accept(h, "app-R1", "Tartu", [member(f"T{n}", "Tiina", f"Tartlane{n}", "L1") for n in (1, 2, 3)],
           [organisation("L1")])
    later = edition()
    later.update(edition_id="edition-2020", year=2020, name="Arenguprogramm 2020",
                 application_deadline=later["application_deadline"] + timedelta(weeks=52))
    for g in later["groups"]:
        g["group_id"] = g["group_id"].replace("2019", "2020")
        for s in g["sessions"]:
            s["session_id"] = s["session_id"].replace("2019", "2020")
            s["starts_at"], s["ends_at"] = s["starts_at"] + timedelta(weeks=52), s["ends_at"] + timedelta(weeks=52)
    clock.set_now(datetime(2020, 3, 20, 12, tzinfo=TALLINN))
    h.deliver("enrolment.edition.published", later)
    h.deliver("enrolment.application.accepted", {
        "application_id": "app-2020", "edition_id": "edition-2020", "group_id": group_id("Tartu").replace("2019", "2020"),
        "city": "Tartu", "team_name": "Meeskond 2020", "contact_email": "kontakt@example.ee",
        "organisations": [organisation("L9")], "members": [member(f"U{n}", "Uno", f"Uus{n}", "L9") for n in (1, 2)]})
    clock.set_now(datetime(2020, 5, 20, 9, tzinfo=TALLINN))
    h.login("coordinator")
    figures = {f["key"]: (f["label_et"], f["value"], f["link"]) for f in h.client.get("/api/summary").get_json()["figures"]}
    assert figures["reporting.esf_missing"] == (
        "ESF andmed puudu (2020)", 2, "/reporting/editions/edition-2020/completeness?missing=1")
    assert figures["reporting.esf_missing.edition-2019"] == (
        "ESF andmed puudu (2019)", 3, "/reporting/editions/edition-2019/completeness?missing=1")
    assert figures["reporting.esf_overdue.edition-2019"][:2] == ("ESF andmete tähtaeg ületatud (2019)", 3)
    keys = [f["key"] for f in h.client.get("/api/summary").get_json()["figures"]]
    assert keys.index("reporting.esf_missing") < keys.index("reporting.esf_missing.edition-2019")
