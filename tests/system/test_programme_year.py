"""Issue 8, point 4: the 2019 programme year end to end.

Every service runs as its own gunicorn web and worker processes on RabbitMQ and PostgreSQL,
with e-mail to an SMTP sink (the ``programme`` fixture). The test moves the shared clock
through 2019 and drives the system only from outside, as its users would: the public API
and personal links (applicants, participants), the staff APIs with a signed session cookie
(coordinator and finance). After each step it waits until every event is consumed and
every e-mail sent, then checks what each service shows. The story and the people are in
``year_2019.py``; every count asserted below follows from it.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from shared import clock
from tests.system import year_2019 as y
from tests.system.support import Api, Bus, Mailbox, queues_declared, wait_until
from tests.unit.billing.camt053_builder import EntrySpec, Payment, camt053_xml
from tests.unit.enrolment.builders import registry_code

EDITION = "2019"

# Every e-mail of the year, by template (the X-Notify-Template header), and why so many.
EXPECTED_EMAILS = {
    "application_received": 32,            # one per valid application, to its contact
    "member_confirmation_request": 128,    # 32 teams × 4 members
    "deadline_reminder": 10,               # contact + the late member: 7 days before teams 8, 16, 32; 1 day: 16, 32
    "application_accepted": 145,           # (28 teams + 1 promoted) × (contact + 4 members)
    "application_waitlisted": 20,          # teams 8, 16, 31, 32 × (contact + 4 members)
    "esf_data_request": 116,               # every member of an accepted team: 29 × 4
    "esf_data_reminder": 3,                # the three who never gave their data
    "session_reminder": 331,               # day I 4 × 28; day II 27+28+28+27; day III 27+27+28+27
    "absence_make_up": 4,                  # A, C, D, E (B and G missed a day no session makes up: dropout only)
    "dropout_notice": 9,                   # B, C, D, G (absence), F and team 12's four (withdrawal)
    "completion": 107,                     # 112 in the final teams − F − B, C, D, G
    "invoice_issued": 4,                   # B, C, D, F's employers (G's claim was waived)
    "payment_reminder": 2,                 # F's invoice: due soon, then overdue
    "counselling_application_received": 10,  # one per counselling application, to its contact
    "counselling_selected": 8,
    "counselling_not_selected": 2,         # team 8's local government and the outsider
}


@dataclass
class Year:
    programme: object
    staff: Api    # a coordinator who is also in finance
    public: Api   # applicants and participants: no session
    mail: Mailbox
    bus: Bus
    applications: dict[int, str] = field(default_factory=dict)        # team → application id
    people: dict[tuple[int, int], str] = field(default_factory=dict)  # (team, member) → participant id
    groups: dict[str, str] = field(default_factory=dict)              # city → group id
    sessions: dict[tuple[str, int], dict] = field(default_factory=dict)  # (city, day) → session

    def at(self, moment: datetime) -> None:
        """Move every process's clock (and this one's: links and cookies are signed here)."""
        self.programme.set_now(moment)
        clock.set_now(moment)

    def pid(self, person: tuple[int, int]) -> str:
        return self.people[person]

    def team_members(self, teams) -> list[tuple[int, int]]:
        return [(team, member) for team in teams for member in range(4)]

    def claims(self) -> list[dict]:
        return self.staff.ok(self.staff.get("billing", "/api/claims"))

    def wait_for_claims(self, count: int) -> list[dict]:
        """Billing proposes a claim per dropout (attendance's tick decides when one is final)."""
        def enough():
            claims = self.claims()
            return claims if len(claims) >= count else None
        wait_until(enough, timeout=60, what=f"{count} claims in billing")
        self.bus.wait_quiet()
        claims = self.claims()
        assert len(claims) == count
        return claims


# About 75 s on a quiet 2-core machine (ten processes, ~900 e-mails), but over 4 minutes
# when other test runs share it; the suite's 300 s default would then cut it short.
@pytest.mark.timeout(600)
def test_the_2019_programme_year(programme, smtp):
    year = Year(programme, Api(programme, "coordinator", "finance"), Api(programme), Mailbox(smtp),
                Bus(programme.databases))
    try:
        publish_the_edition(year)
        teams_apply(year)
        members_confirm(year)
        coordinator_decides(year)
        a_team_withdraws_and_the_next_is_promoted(year)
        participants_give_esf_data(year)
        the_twelve_sessions(year)
        claims_invoices_and_payments(year)
        esf_export(year)
        the_counselling_programme(year)
        every_email_of_the_year(year)
    finally:
        year.bus.close()


# -- January: the edition and the applications --------------------------------------------------------

def publish_the_edition(year: Year) -> None:
    """The brochure's 2019 edition, created through the editions API (the Programme starts empty)."""
    year.at(y.tallinn(1, 15, 9))
    # An event published before the consumers declared their queues would be routed nowhere.
    wait_until(lambda: queues_declared(year.programme.bus_url), timeout=60, what="the consumers' queues")
    body = y.edition_body()
    edition = year.staff.ok(year.staff.post("enrolment", "/api/editions", body), 201)
    assert (edition["edition_id"], edition["revision"]) == (EDITION, 1)
    assert {g["city"]: g["capacity_teams"] for g in edition["groups"]} == dict.fromkeys(y.CITIES, 7)
    for group in edition["groups"]:
        year.groups[group["city"]] = group["group_id"]
        for session in group["sessions"]:
            year.sessions[(group["city"], session["day_number"])] = session
    public = year.public.ok(year.public.get("enrolment", "/api/edition"))
    assert public["open"] is True and sorted(public["cities"]) == sorted(y.CITIES)
    # Attendance schedules the twelve days from enrolment.edition.published.
    wait_until(lambda: len(year.staff.ok(year.staff.get("attendance", "/api/sessions"))) == 12, timeout=30,
               what="attendance's copy of the twelve sessions")
    year.bus.wait_quiet()


def teams_apply(year: Year) -> None:
    """32 valid applications for 28 places, and one broken application of each kind."""
    by_email = {y.member_email(*person): person for person in year.team_members(y.TEAMS)}
    for team in y.TEAMS:
        receipt = year.public.ok(year.public.post("enrolment", "/api/applications", y.application(team),
                                                  headers={"Idempotency-Key": f"system-2019-team-{team:02d}"}), 201)
        year.applications[team] = receipt["application_id"]
        for member in receipt["members"]:
            year.people[by_email[member["email"]]] = member["participant_id"]
    # A double click: the same key gives the same application, nothing new.
    again = year.public.post("enrolment", "/api/applications", y.application(1),
                             headers={"Idempotency-Key": "system-2019-team-01"})
    assert year.public.ok(again, 201)["application_id"] == year.applications[1]
    assert again.headers["Idempotent-Replayed"] == "true"

    for kind, (data, problems) in y.INVALID.items():
        response = year.public.post("enrolment", "/api/applications", data)
        body = year.public.ok(response, 422)
        assert {path: {p["code"] for p in found} for path, found in body["problems"].items()} == problems, kind

    year.bus.wait_for_emails({"application_received": 32, "member_confirmation_request": 128})
    year.bus.wait_quiet()
    listed = year.staff.ok(year.staff.get("enrolment", "/api/applications"))
    assert Counter(a["status"] for a in listed) == {"submitted": 32}
    assert len(year.people) == 128
    # The refused applications left no trace: no application, no e-mail to anyone in them.
    assert year.bus.scalar("notify", "SELECT count(*) FROM emails WHERE recipient LIKE 'vigane%'") == 0


def members_confirm(year: Year) -> None:
    """Each member confirms through the link in their e-mail; three teams are late and their
    contacts and the late members get the deadline reminders (7 days and 1 day before
    01.03 23:59:59; the member's has their personal link). A reminder
    not yet sent when the team completes is cancelled, so each is awaited at the SMTP sink."""
    year.mail.wait_for({"member_confirmation_request": 128})
    links = year.mail.links("member_confirmation_request", "enrolment")
    assert len(links) == 128

    def confirm(person: tuple[int, int]) -> dict:
        return year.public.ok(year.public.post("enrolment", f"/api/confirmations/{links[y.member_email(*person)]}"))

    year.at(y.tallinn(1, 20))
    for team, member in year.team_members(y.TEAMS):
        if y.LATE.get(team) != member:
            confirm((team, member))
    year.bus.wait_quiet()

    year.at(y.tallinn(2, 23))
    year.mail.wait_for({"deadline_reminder": 6})
    year.bus.wait_quiet()
    year.at(y.tallinn(2, 25))
    for team in y.CONFIRMS_ON_25_FEB:
        assert confirm((team, y.LATE[team]))["all_confirmed"] is True
    year.bus.wait_quiet()
    year.at(y.tallinn(3, 1))
    year.mail.wait_for({"deadline_reminder": 10})
    year.bus.wait_quiet()
    year.at(y.tallinn(3, 1, 12))
    for team, member in y.LATE.items():
        if team not in y.CONFIRMS_ON_25_FEB:
            assert confirm((team, member))["all_confirmed"] is True
    year.bus.wait_quiet()

    assert year.mail.recipients("deadline_reminder") == {
        y.contact_email(8): 1, y.contact_email(16): 2, y.contact_email(32): 2,
        y.member_email(8, y.LATE[8]): 1, y.member_email(16, y.LATE[16]): 2, y.member_email(32, y.LATE[32]): 2}
    complete = year.staff.ok(year.staff.get("enrolment", "/api/applications", params={"complete": "true"}))
    assert len(complete) == 32


# -- March: decisions, a withdrawal, ESF data ---------------------------------------------------------

def coordinator_decides(year: Year) -> None:
    """Seven teams per city, in the order they applied; the rest wait for their first choice."""
    year.at(y.tallinn(3, 5))
    late = year.public.post("enrolment", "/api/applications", y.TOO_LATE)
    assert (late.status_code, late.json()["reason"]) == (409, "applications_closed")
    for city, teams in y.ACCEPTED.items():
        for team in teams:
            accepted = year.staff.ok(year.staff.post(
                "enrolment", f"/api/applications/{year.applications[team]}/accept", {"city": city}))
            assert (accepted["status"], accepted["city"]) == ("accepted", city)
    # The eighth team does not fit: the place check is the enrolment service's, under lock.
    full = year.staff.post("enrolment", f"/api/applications/{year.applications[8]}/accept", {"city": "Pärnu"})
    assert (full.status_code, full.json()["reason"]) == (409, "group_full")
    for city, teams in y.WAITLISTED.items():
        for position, team in enumerate(teams, start=1):
            waiting = year.staff.ok(year.staff.post(
                "enrolment", f"/api/applications/{year.applications[team]}/waitlist", {"city": city}))
            assert (waiting["status"], waiting["position"]) == ("waitlisted", position)

    cities = {c["city"]: c for c in year.staff.ok(year.staff.get("enrolment", "/api/cities"))}
    assert {city: (c["accepted"], c["free"], c["waiting"]) for city, c in cities.items()} == {
        "Pärnu": (7, 0, 1), "Tartu": (7, 0, 1), "Rakvere": (7, 0, 0), "Tallinn": (7, 0, 2)}
    year.bus.wait_for_emails({"application_accepted": 140, "application_waitlisted": 20, "esf_data_request": 112})
    year.bus.wait_quiet()


def a_team_withdraws_and_the_next_is_promoted(year: Year) -> None:
    """Team 12 leaves Tartu before the first day; team 16, first on Tartu's list, gets the place."""
    year.at(y.tallinn(3, 20))
    tartu = year.groups["Tartu"]
    left = year.staff.ok(year.staff.post("enrolment", f"/api/applications/{year.applications[y.WITHDRAWN_TEAM]}/withdraw",
                                         {"reason": "Vald ei saa teenust sel aastal delegeerida"}))
    assert left["status"] == "withdrawn" and left["freed_group_id"] == tartu
    assert left["next_on_waiting_list"] == {"application_id": year.applications[y.PROMOTED_TEAM],
                                            "team_name": "Meeskond 16", "complete": True}
    promoted = year.staff.ok(year.staff.post("enrolment", f"/api/groups/{tartu}/promote"))
    assert (promoted["application_id"], promoted["status"]) == (year.applications[y.PROMOTED_TEAM], "accepted")

    for city, teams in y.FINAL_TEAMS.items():
        group = year.staff.ok(year.staff.get("enrolment", f"/api/groups/{year.groups[city]}"))
        assert sorted(a["team_name"] for a in group["accepted"]) == [f"Meeskond {t:02d}" for t in teams], city
        waiting = [(a["team_name"], a["position"]) for a in group["waiting"]]
        assert waiting == [(f"Meeskond {t:02d}", i) for i, t in enumerate(
            [t for t in y.WAITLISTED.get(city, []) if t != y.PROMOTED_TEAM], start=1)], city

    # The team's withdrawal is each member's dropout (0 days held): four claims of 0.00,
    # which billing waives itself — nothing was spent on them yet.
    claims = year.wait_for_claims(4)
    assert sorted((c["reason"], c["days_held"], c["proposed_amount"], c["status"]) for c in claims) == [
        ("withdrawal", 0, "0.00", "waived")] * 4
    year.bus.wait_for_emails({"application_accepted": 145, "esf_data_request": 116, "dropout_notice": 4})
    year.bus.wait_quiet()


def participants_give_esf_data(year: Year) -> None:
    """Everyone in the final teams fills in the ESF form on their personal link (the one in
    the ESF data request), except three; some decline the special-category questions."""
    year.at(y.tallinn(3, 25))
    # Sent first: data given before its request leaves would cancel the request.
    year.mail.wait_for({"esf_data_request": 116}, timeout=120)
    links = year.mail.links("esf_data_request", "reporting")
    assert len(links) == 116
    # One CSRF token serves the session's every form (Flask-WTF keeps one per session).
    csrf = year.public.csrf_token("reporting", f"/p/{links[y.member_email(*y.ESF_GIVEN[0])]}")
    for person in y.ESF_GIVEN:
        response = year.public.post("reporting", f"/p/{links[y.member_email(*person)]}",
                                    data={**y.esf_answers(person), "csrf_token": csrf})
        assert response.status_code == 303, (person, response.status_code, response.text[-3000:])
    year.bus.wait_quiet()

    listed = year.staff.ok(year.staff.get("reporting", f"/api/editions/{EDITION}/participants"))
    assert len(listed) == 112  # team 12 withdrew before entering: not an ESF participant
    missing = {p["participant_id"] for p in listed if not p["esf_data_complete"]}
    assert missing == {year.pid(person) for person in y.NO_ESF_DATA}


# -- April to June: the twelve sessions --------------------------------------------------------------------

def remind(year: Year, moment: datetime, session_reminders: int, esf_reminders: int) -> None:
    """Three days before a session its group is reminded; ESF data still missing is too."""
    year.at(moment)
    year.bus.wait_for_emails({"session_reminder": session_reminders, "esf_data_reminder": esf_reminders})
    year.bus.wait_quiet()


def hold(year: Year, city: str, day: int, *, lines: int, absent=(), make_ups=()) -> None:
    """The session at noon: the trainer saves the group's sheet (absent ones marked absent)
    and marks make-up guests from other groups present."""
    session = year.sessions[(city, day)]
    start = clock.local(datetime.fromisoformat(session["starts_at"]))
    year.at(start.replace(hour=12))
    path = f"/api/sessions/{session['session_id']}"
    sheet = year.staff.ok(year.staff.get("attendance", path))
    own = [line["participant_id"] for line in sheet["lines"] if not line["make_up"]]
    assert len(own) == lines, (city, day)
    away = {year.pid(person) for person in absent}
    saved = year.staff.ok(year.staff.put("attendance", f"{path}/attendance", {
        "marks": [{"participant_id": pid, "present": pid not in away} for pid in own]}))
    assert len(saved["changed"]) == lines
    for person in make_ups:
        guest = year.staff.ok(year.staff.post("attendance", f"{path}/attendance",
                                               {"participant_id": year.pid(person), "present": True}))
        assert guest["changed"] == [year.pid(person)]
    year.bus.wait_quiet()


def day_over(year: Year, city: str, day: int) -> None:
    """The session is over (17:05): attendance's tick tells the absences recorded during it."""
    ends = datetime.fromisoformat(year.sessions[(city, day)]["ends_at"])
    year.at(clock.local(ends) + timedelta(minutes=5))
    wait_until(lambda: year.bus.connections["attendance"].execute(
        "SELECT count(*) FROM participants WHERE check_at <= %s", (ends,)).fetchone()[0] == 0,
        timeout=60, what=f"attendance's tick to tell the absences of {city} day {day}")
    year.bus.wait_quiet()


def the_twelve_sessions(year: Year) -> None:
    A, B, C, D, E, F, G = y.A, y.B, y.C, y.D, y.E, y.F, y.G  # noqa: N806 - the story's names
    remind(year, y.tallinn(4, 8, 11), 56, 1)     # Pärnu and Tartu day I; (5, 3) has no ESF data
    hold(year, "Pärnu", 1, lines=28, absent=[A])
    day_over(year, "Pärnu", 1)  # A is told of the make-up sessions
    hold(year, "Tartu", 1, lines=28, make_ups=[A])
    # Rakvere and Tallinn day I; (19, 2). (27, 0)'s ESF deadline is Tallinn's day I (17.04, reporting's
    # default: by the entry day), so its reminder goes from 15.04, during Rakvere's day I below.
    remind(year, y.tallinn(4, 14, 11), 112, 2)
    hold(year, "Rakvere", 1, lines=28)
    hold(year, "Tallinn", 1, lines=28, absent=[B])
    at_risk = year.staff.ok(year.staff.get("attendance", "/api/at-risk"))
    assert [(p["participant_id"], [d["date"] for d in p["days"][0]["open_make_ups"]]) for p in at_risk] == [
        (year.pid(B), [])]  # still on the day itself; A made up day I in Tartu already

    year.at(y.tallinn(4, 17, 18))  # Tallinn day I is over: B has missed it for good
    year.wait_for_claims(5)
    year.at(y.tallinn(4, 20))
    member = year.staff.ok(year.staff.post(
        "enrolment", f"/api/applications/{year.applications[F[0]]}/members/{year.pid(F)}/withdraw",
        {"reason": "Asus tööle teise asutusse"}))
    # Never refused for the composition rule: the team of three is told what it now breaks.
    assert [w["code"] for w in member["warnings"]] == ["too_few_members", "too_few_local_government_members"]
    year.wait_for_claims(6)

    remind(year, y.tallinn(4, 29, 11), 112 + 27 + 28, 3)  # F has left Pärnu
    hold(year, "Pärnu", 2, lines=27)
    hold(year, "Tartu", 2, lines=28, absent=[C])
    day_over(year, "Tartu", 2)
    remind(year, y.tallinn(5, 6, 11), 112 + 110, 3)       # B has dropped out of Tallinn
    hold(year, "Rakvere", 2, lines=28)
    hold(year, "Tallinn", 2, lines=28, absent=[B])
    year.at(y.tallinn(5, 9, 18))  # Tallinn day II is over: C's last chance to make up Tartu's
    year.wait_for_claims(7)

    remind(year, y.tallinn(5, 20, 11), 222 + 27 + 27, 3)
    hold(year, "Pärnu", 3, lines=27, absent=[E])
    day_over(year, "Pärnu", 3)
    hold(year, "Tartu", 3, lines=28, absent=[C])
    remind(year, y.tallinn(6, 3, 11), 331, 3)
    hold(year, "Rakvere", 3, lines=28, absent=[D], make_ups=[E])
    day_over(year, "Rakvere", 3)
    hold(year, "Tallinn", 3, lines=28, absent=[B, G])
    year.at(y.tallinn(6, 6, 18))  # the last session is over: D and G can no longer make up day III
    year.wait_for_claims(9)

    outcomes = {city: Counter((p["outcome"], p["reason"]) for p in year.staff.ok(year.staff.get(
        "attendance", f"/api/groups/{year.groups[city]}/overview"))["participants"]) for city in y.CITIES}
    assert outcomes == {
        "Pärnu": {("completed", None): 27, ("dropped_out", "withdrawal"): 1},
        "Tartu": {("completed", None): 27, ("dropped_out", "absence"): 1, ("dropped_out", "withdrawal"): 4},
        "Rakvere": {("completed", None): 27, ("dropped_out", "absence"): 1},
        "Tallinn": {("completed", None): 26, ("dropped_out", "absence"): 2},
    }
    made_up = year.staff.ok(year.staff.get("attendance", f"/api/participants/{year.pid(A)}"))
    assert (made_up["outcome"], made_up["days"][0]["state"], made_up["days"][0]["made_up_at"]["city"]) == (
        "completed", "made_up", "Tartu")
    assert year.staff.ok(year.staff.get("attendance", "/api/at-risk")) == []
    year.bus.wait_for_emails({"completion": 107, "dropout_notice": 9, "absence_make_up": 4})


# -- June: claims, invoices, the bank statement ------------------------------------------------------------

def claims_invoices_and_payments(year: Year) -> None:
    B, C, D, F, G = y.B, y.C, y.D, y.F, y.G  # noqa: N806 - the story's names
    year.at(y.tallinn(6, 10))
    claims = {c["participant_id"]: c for c in year.claims()}
    # Days held by the participant's own group up to the dropout × 256.00, capped at 768.00.
    expected = {B: ("absence", 0, 1, "256.00"), C: ("absence", 1, 2, "512.00"), D: ("absence", 2, 3, "768.00"),
                G: ("absence", 2, 3, "768.00"), F: ("withdrawal", 1, 1, "256.00")}
    assert {pid: (c["reason"], c["days_attended"], c["days_held"], c["proposed_amount"])
            for pid, c in claims.items() if c["proposed_amount"] != "0.00"} == {
        year.pid(person): facts for person, facts in expected.items()}
    assert Counter(c["proposed_amount"] for c in claims.values()) == {"0.00": 4, "256.00": 2, "512.00": 1,
                                                                       "768.00": 2}

    waived = year.staff.ok(year.staff.post("billing", f"/api/claims/{claims[year.pid(G)]['claim_id']}/waive", {
        "reason": "Haigestus viimasel koolituspäeval (arstitõend)"}))
    assert (waived["status"], waived["amount"]) == ("waived", None)
    zero = next(c for c in claims.values() if c["proposed_amount"] == "0.00")
    refused = year.staff.post("billing", f"/api/claims/{zero['claim_id']}/approve", {})
    assert (zero["status"], refused.status_code) == ("waived", 409)  # decided already, by the system
    invoices = {}
    for person in (B, C, D, F):
        claim = claims[year.pid(person)]
        approved = year.staff.ok(year.staff.post("billing", f"/api/claims/{claim['claim_id']}/approve", {}))
        assert (approved["status"], approved["amount"]) == ("approved", claim["proposed_amount"])
        invoices[person] = year.staff.ok(year.staff.post("billing", "/api/invoices", {"claim_id": claim["claim_id"]}),
                                         201)
    # 2019: VAT 20 %, the gross amount split into net + VAT (rounded half up, adding up).
    splits = {person: (Decimal(i["amount_gross"]), Decimal(i["amount_net"]), Decimal(i["vat_amount"]),
                       Decimal(i["vat_rate"])) for person, i in invoices.items()}
    assert splits == {B: (Decimal("256.00"), Decimal("213.33"), Decimal("42.67"), Decimal("20")),
                      C: (Decimal("512.00"), Decimal("426.67"), Decimal("85.33"), Decimal("20")),
                      D: (Decimal("768.00"), Decimal("640.00"), Decimal("128.00"), Decimal("20")),
                      F: (Decimal("256.00"), Decimal("213.33"), Decimal("42.67"), Decimal("20"))}
    assert sorted(i["number"] for i in invoices.values()) == ["PO-00001", "PO-00002", "PO-00003", "PO-00004"]
    assert {i["due_date"] for i in invoices.values()} == {"2019-06-24"}
    assert {person: i["buyer"]["billing_email"] for person, i in invoices.items()} == {
        person: y.billing_email(person) for person in invoices}
    year.bus.wait_for_emails({"invoice_issued": 4})
    year.bus.wait_quiet()

    # The bank statement of 17.06: three invoices paid by reference, one stranger's payment.
    year.at(y.tallinn(6, 18))
    entries = [EntrySpec(invoices[p]["amount_gross"], acct_svcr_ref=f"20190617000{n}", booking_date=date(2019, 6, 17),
                         payments=[Payment(reference=invoices[p]["reference_number"],
                                           debtor_name=invoices[p]["buyer"]["name"])])
               for n, p in enumerate((B, C, D), start=1)]
    entries.append(EntrySpec("100.00", acct_svcr_ref="201906170009", booking_date=date(2019, 6, 17),
                             payments=[Payment(reference="1232", debtor_name="Keegi Teine")]))
    report = year.staff.ok(year.staff.post("billing", "/api/statements", files={
        "file": ("camt053-2019-06-17.xml", camt053_xml(entries, statement_id="STMT-2019-06-17"), "application/xml")}),
        201)
    assert sorted(e["invoice_number"] for e in report["matched"]) == sorted(
        invoices[p]["number"] for p in (B, C, D))
    assert [(e["entry_ref"], e["outcome"]) for e in report["unmatched"]] == [("201906170009", "unknown_reference")]
    assert report["partial"] == report["ignored"] == report["already_imported"] == []
    year.bus.wait_quiet()

    # F's employer has not paid: reminded three days before the due date and the day after it.
    year.at(y.tallinn(6, 21))
    year.bus.wait_for_emails({"payment_reminder": 1})
    year.at(y.tallinn(6, 25))
    year.bus.wait_for_emails({"payment_reminder": 2})
    year.bus.wait_quiet()
    unpaid = year.staff.ok(year.staff.get("billing", f"/api/invoices/{invoices[F]['invoice_id']}"))
    assert (unpaid["status"], unpaid["overdue"], unpaid["days_overdue"]) == ("issued", True, 1)
    assert sorted(r["stage"] for r in unpaid["reminders"]) == ["due_soon", "overdue"]

    listing = year.staff.ok(year.staff.get("billing", "/api/invoices"))
    assert Counter(i["status"] for i in listing["items"]) == {"paid": 3, "issued": 1}
    totals = {k: listing["totals"][k] for k in ("count", "amount_net", "vat_amount", "amount_gross", "amount_paid",
                                                 "outstanding")}
    assert totals == {"count": 4, "amount_net": "1493.33", "vat_amount": "298.67", "amount_gross": "1792.00",
                      "amount_paid": "1536.00", "outstanding": "256.00"}
    decided = Counter(c["status"] for c in year.claims())
    assert decided == {"invoiced": 4, "waived": 5}


# -- the end: the funder's export and the e-mails ---------------------------------------------------------

def esf_export(year: Year) -> None:
    year.at(y.tallinn(6, 26))
    report = year.staff.ok(year.staff.get("reporting", f"/api/editions/{EDITION}/indicators"))
    rows = {r["code"]: r for r in report["rows"]}

    def values(code: str, *columns: str) -> tuple:
        return tuple(rows[code][c] for c in columns)

    # 111 entered: the 112 of the final teams but B, who never came. Sex comes from the personal
    # code; the three without ESF data are counted apart, never guessed.
    assert report["participants_entered"] == 111
    assert values("EECO01", "total", "women", "men", "sex_unknown") == (111, 54, 54, 3)
    assert values("EECO18", "total") == (28,)  # one local government per team
    # Every row, each column, against what the story says (year_2019.expected_indicators).
    assert {code: values(code, *y.INDICATOR_COLUMNS) for code in rows} == y.expected_indicators()

    exported = year.staff.get("reporting", f"/api/editions/{EDITION}/exports/participants.csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(table) == 111
    assert Counter(r["Väljumise staatus"] for r in table) == {"lõpetas": 107, "katkestas": 4}
    codes = {r["Osaleja ID"]: r["Isikukood"] for r in table}
    # Full personal codes (Statistics Estonia links on them), as the participants typed them.
    assert codes == {year.pid(p): y.personal_code(p) if p in y.ESF_GIVEN else ""
                     for p in y.FINAL_PEOPLE if p != y.B}

    workbook = year.staff.get("reporting", f"/api/editions/{EDITION}/exports/participants.xlsx")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)["Osalejad"]
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 111
    id_at, code_at = header.index("Osaleja ID"), header.index("Isikukood")
    assert {line[id_at]: line[code_at] or "" for line in lines} == codes  # the same people, codes as text
    indicators = year.staff.get("reporting", f"/api/editions/{EDITION}/exports/indicators.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(indicators.content), read_only=True)
    eeco01 = next(r for r in book["Näitajad"].iter_rows(values_only=True) if r[0] == "EECO01")
    assert eeco01[4:9] == (111, 54, 54, 0, 3)
    logged = year.staff.ok(year.staff.get("reporting", "/api/export-log"))
    assert Counter(e["kind"] for e in logged) == {"participants_csv": 1, "participants_xlsx": 1, "indicators_xlsx": 1}


# -- July: the counselling programme ------------------------------------------------------------------------

def the_counselling_programme(year: Year) -> None:
    """After the last workshop local governments apply; after the deadline the coordinator
    selects eight and announces it (DOMAIN.md "After the programme")."""
    year.at(y.tallinn(6, 27))
    received = {}
    for team, partners, language in y.COUNSELLING:
        receipt = year.public.ok(year.public.post("enrolment", "/api/counselling/applications",
                                                  y.counselling_application(team, partners, language)), 201)
        received[team] = receipt["counselling_application_id"]
    # A local government applies once (here as team 4's partner).
    twice = year.public.post("enrolment", "/api/counselling/applications", y.counselling_application(5, (), "et"))
    assert twice.status_code == 422 and "counselling_already_applied" in twice.text
    too_soon = year.staff.post("enrolment", f"/api/editions/{EDITION}/counselling/announce")
    assert too_soon.status_code == 409 and too_soon.json()["reason"] == "counselling_still_open"
    year.bus.wait_quiet()

    # The default deadline: 28 days after the last session (06.06), 23:59 Tallinn time.
    year.at(y.tallinn(7, 5))
    late = year.public.post("enrolment", "/api/counselling/applications",
                            y.counselling_application(25, (), "et"))
    assert late.status_code == 409 and late.json()["reason"] == "counselling_closed"
    overview = year.staff.ok(year.staff.get("enrolment", f"/api/editions/{EDITION}/counselling"))
    assert (overview["min_selected"], overview["max_selected"], overview["closed"]) == (8, 12, True)
    assert clock.local(datetime.fromisoformat(overview["deadline"])).isoformat() == "2019-07-04T23:59:59+03:00"
    assert {a["counselling_application_id"]: [(lg["registry_code"], lg["took_part"]) for lg in a["local_governments"]]
            for a in overview["applications"]} == {
        received[team]: [(registry_code("7", t), y.took_part(t)) for t in (team, *partners)]
        for team, partners, _ in y.COUNSELLING}
    for team, application_id in received.items():
        year.staff.ok(year.staff.put("enrolment", f"/api/editions/{EDITION}/counselling/applications/"
                                     f"{application_id}/decision",
                                     {"selected": team not in y.COUNSELLING_NOT_SELECTED}))
    announced = year.staff.ok(year.staff.post("enrolment", f"/api/editions/{EDITION}/counselling/announce"))
    assert (announced["selected_count"], announced["published"]) == (8, 10)
    again = year.staff.post("enrolment", f"/api/editions/{EDITION}/counselling/announce")
    assert again.status_code == 409 and again.json()["reason"] == "counselling_announced"
    year.bus.wait_quiet()


def every_email_of_the_year(year: Year) -> None:
    """What the SMTP server received, by template and recipient; nothing failed, nothing dead."""
    year.bus.wait_quiet(mail=True, timeout=180)
    mail = year.mail
    assert mail.counts() == EXPECTED_EMAILS
    assert year.bus.email_statuses() == {"sent": sum(EXPECTED_EMAILS.values())}
    assert year.bus.dead_letters() == {}

    def members(*people) -> Counter:
        return Counter(y.member_email(*person) for person in people)

    assert mail.recipients("application_received") == Counter(y.contact_email(t) for t in y.TEAMS)
    accepted_teams = [t for teams in y.ACCEPTED.values() for t in teams] + [y.PROMOTED_TEAM]
    assert mail.recipients("application_accepted") == Counter(y.contact_email(t) for t in accepted_teams) + members(
        *year.team_members(accepted_teams))
    assert mail.recipients("esf_data_reminder") == members(*y.NO_ESF_DATA)
    # Three reminders each, but F left after day I, B dropped out after it and C after day II.
    assert mail.recipients("session_reminder") == members(*y.FINAL_PEOPLE * 3) - members(y.F, y.F, y.B, y.B, y.C)
    # Told after the day, with the sessions left to make it up; B (Tallinn's day I) and G (the
    # last day III) had none, so they were told only that they had dropped out.
    assert mail.recipients("absence_make_up") == members(y.A, y.C, y.D, y.E)
    assert mail.recipients("dropout_notice") == members(y.B, y.C, y.D, y.G, y.F,
                                                         *year.team_members([y.WITHDRAWN_TEAM]))
    assert mail.recipients("completion") == members(*y.FINAL_PEOPLE) - members(y.F, y.B, y.C, y.D, y.G)
    assert mail.recipients("invoice_issued") == Counter(y.billing_email(p) for p in (y.B, y.C, y.D, y.F))
    assert mail.recipients("payment_reminder") == {y.billing_email(y.F): 2}
    assert not [r for m in mail.messages() for r in m.recipients if r.startswith("vigane")]
    counselling = Counter(y.counselling_contact(team) for team, *_ in y.COUNSELLING)
    assert mail.recipients("counselling_application_received") == counselling
    not_selected = Counter(y.counselling_contact(team) for team in y.COUNSELLING_NOT_SELECTED)
    assert mail.recipients("counselling_not_selected") == not_selected
    assert mail.recipients("counselling_selected") == counselling - not_selected
    english = {y.counselling_contact(team) for team, _, language in y.COUNSELLING if language == "en"}
    assert {r for m in mail.messages() if m.message["Content-Language"] == "en" for r in m.recipients
            if r.startswith("arendus.")} == english
