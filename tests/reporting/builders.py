"""The 2019 edition as enrolment's and attendance's events, and the participant's form.

Ids are readable: edition "edition-2019", group "2019-tallinn", session "2019-tallinn-1".
The clock is set to a time inside 2019 by each helper that needs one (events carry it as
``occurred_at``, and the form refuses birth dates after "today").
"""
from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime

from shared import clock, links
from shared.clock import TALLINN

EDITION = "edition-2019"
CALENDAR = {
    "Pärnu": (date(2019, 4, 9), date(2019, 4, 30), date(2019, 5, 22)),
    "Tartu": (date(2019, 4, 11), date(2019, 5, 2), date(2019, 5, 23)),
    "Rakvere": (date(2019, 4, 16), date(2019, 5, 7), date(2019, 6, 4)),
    "Tallinn": (date(2019, 4, 17), date(2019, 5, 9), date(2019, 6, 6)),
}
SLUG = {"Pärnu": "parnu", "Tartu": "tartu", "Rakvere": "rakvere", "Tallinn": "tallinn"}
BEFORE_START = datetime(2019, 3, 20, 12, 0, tzinfo=TALLINN)


def group_id(city: str) -> str:
    return f"2019-{SLUG[city]}"


def session_id(city: str, day_number: int) -> str:
    return f"{group_id(city)}-{day_number}"


def at(day: date, hour: int = 18) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TALLINN)


def edition(revision: int = 1, cities=tuple(CALENDAR), name: str = "Arenguprogramm 2019") -> dict:
    return {"edition_id": EDITION, "year": 2019, "name": name, "revision": revision,
            "application_deadline": datetime(2019, 3, 1, 23, 59, 59, tzinfo=TALLINN),
            "groups": [{"group_id": group_id(city), "city": city, "capacity_teams": 7, "sessions": [
                {"session_id": session_id(city, n), "day_number": n, "starts_at": at(day, 10),
                 "ends_at": at(day, 17), "venue": city} for n, day in enumerate(CALENDAR[city], start=1)]}
                for city in cities]}


def organisation(org_id: str, kind: str = "local_government", name: str | None = None) -> dict:
    return {"organisation_id": org_id, "name": name or f"Organisatsioon {org_id}",
            "registry_code": "75012345" if kind == "local_government" else "80012345", "kind": kind,
            "billing_email": f"arved@{re.sub('[^a-z0-9]', '', org_id.lower()) or 'org'}.ee"}


def member(participant_id: str, first_name: str, last_name: str, organisation_id: str) -> dict:
    return {"participant_id": participant_id, "first_name": first_name, "last_name": last_name,
            "email": f"{participant_id.lower()}@example.ee", "organisation_id": organisation_id}


def publish_edition(h, **kwargs) -> None:
    clock.set_now(BEFORE_START)
    h.deliver("enrolment.edition.published", edition(**kwargs))


def accept(h, application_id: str, city: str, members: list[dict], organisations: list[dict]) -> None:
    clock.set_now(BEFORE_START)
    h.deliver("enrolment.application.accepted", {
        "application_id": application_id, "edition_id": EDITION, "group_id": group_id(city), "city": city,
        "team_name": f"Meeskond {application_id}", "contact_email": "kontakt@example.ee",
        "organisations": organisations, "members": members})


def attend(h, participant_id: str, city: str, day_number: int, present: bool = True, *,
           session_city: str | None = None, when: datetime | None = None) -> None:
    """Attendance records ``participant_id`` (of ``city``'s group) at a session of ``session_city``."""
    session_city = session_city or city
    day = CALENDAR[session_city][day_number - 1]
    clock.set_now(when or at(day))
    h.deliver("attendance.attendance.recorded", {
        "participant_id": participant_id, "session_id": session_id(session_city, day_number),
        "city": session_city, "day_number": day_number, "date": day, "present": present,
        "make_up": session_city != city, "group_id": group_id(city)})


def complete(h, participant_id: str, city: str, application_id: str, *, when: datetime | None = None) -> None:
    clock.set_now(when or at(CALENDAR[city][2]))
    h.deliver("attendance.participant.completed", {
        "participant_id": participant_id, "application_id": application_id, "group_id": group_id(city)})


def drop_out(h, participant_id: str, city: str, application_id: str, employer: dict, *,
             when: datetime, days_attended: int = 1, reason: str = "absence") -> None:
    clock.set_now(when)
    h.deliver("attendance.participant.dropped_out", {
        "participant_id": participant_id, "application_id": application_id, "group_id": group_id(city),
        "reason": reason, "days_attended": days_attended, "days_held": 2, "employer": employer,
        "dropped_out_at": when})


# -- the participant's form ------------------------------------------------------------------------

NOES = {name: "no" for name in (
    "disability", "third_country_national", "foreign_background", "minority", "homeless", "rural_area")}


def answers(**overrides) -> dict:
    """A complete form: a personal code unless ``has_code="no"``; override any field."""
    data = {"has_code": "yes", "personal_code": "36805280109", "birth_date": "", "employment_status": "employed",
            "isced": "6", "county": "Harju maakond", "municipality": "Tallinn", "consent": "y", **NOES}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def token(h, participant_id: str) -> str:
    return links.make_token(h.settings.secret_key, "esf", participant_id)


def form_path(h, participant_id: str, lang: str | None = None) -> str:
    return f"/p/{token(h, participant_id)}" + (f"?lang={lang}" if lang else "")


def fill(h, participant_id: str, lang: str | None = None, **overrides):
    """Open the participant's link, then post the form with its CSRF token (as a browser would)."""
    path = form_path(h, participant_id, lang)
    data = answers(**overrides)
    data["csrf_token"] = h.csrf_token(path)
    return h.client.post(path, data=data)


def errors_on_page(html: str) -> dict[str, list[str]]:
    """Field name → the error messages shown next to it."""
    found: dict[str, list[str]] = {}
    for name, message in re.findall(r'<div class="field-error" role="alert" data-for="([a-z_]+)">(.*?)</div>', html):
        found.setdefault(name, []).append(html_lib.unescape(message))
    return found


# -- a hand-built edition: every band, edge and kind of answer ---------------------------------------

def hand_built_edition(h) -> None:
    """Tallinn's group (entry day 17.04.2019) and one Tartu participant (11.04.2019), from
    enrolment's and attendance's events and the participants' own forms.

    Tallinn, at entry: P1 F 17 (code), P2 M 18 (code), P3 non-binary 29 (no code: born 18.04.1989),
    P4 F 30 (code, born 17.04.1989), P5 M 54 (code, born 18.04.1964), P6 F 55 (code, born
    17.04.1964), P7 never filled the form, P8 filled it but never came, P9 was substituted by
    P10 F 50. Tartu: T1 F 23 (born 29.02.1996). Organisations: L1–L4 local governments, N1–N2
    NGOs; L3 only through P8.
    """
    publish_edition(h)
    accept(h, "app-T1", "Tallinn", [member("P1", "Mari", "Maasikas", "L1"), member("P2", "Jüri", "Juurikas", "N1"),
                                    member("P3", "Kai", "Kask", "N1"), member("P4", "Liis", "Lepp", "L2")],
           [organisation("L1"), organisation("L2"), organisation("N1", "ngo")])
    accept(h, "app-T2", "Tallinn", [member("P5", "Peeter", "Pihlakas", "L1"), member("P6", "Ene", "Ees", "L2"),
                                    member("P7", "Toomas", "Tamm", "N1"), member("P8", "Rein", "Raud", "L3"),
                                    member("P9", "Vello", "Vaher", "N1")],
           [organisation("L1"), organisation("L2"), organisation("L3"), organisation("N1", "ngo")])
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-T2", "left_participant_id": "P9", "member": member("P10", "Anu", "Saar", "N2"),
        "organisation": organisation("N2", "ngo")})
    accept(h, "app-R1", "Tartu", [member("T1", "Tiina", "Tõnisson", "L4")], [organisation("L4")])

    clock.set_now(BEFORE_START)
    forms = {
        "P1": answers(personal_code="60104180178", municipality="Kose vald", employment_status="inactive",
                      isced="2", disability="yes", rural_area="yes"),
        "P2": answers(personal_code="50104170126", employment_status="unemployed", isced="3",
                      third_country_national="yes", foreign_background="yes", minority="declined"),
        "P3": answers(has_code="no", personal_code="", birth_date="18.04.1989", sex="non_binary",
                      employment_status="long_term_unemployed", isced="4", disability="declined", homeless="yes"),
        "P4": answers(personal_code="48904170154", employment_status="employed", isced="8"),
        "P5": answers(personal_code="36404180217", employment_status="self_employed", isced="7",
                      homeless="declined"),
        "P6": answers(personal_code="46404170102", employment_status="declined", isced="declined", minority="yes"),
        "P8": answers(personal_code="38703120227", employment_status="employed", isced="6"),
        "P10": answers(personal_code="46805280103", employment_status="employed", isced="6"),
        "T1": answers(personal_code="49602290124", employment_status="employed", isced="6"),
    }
    for participant_id, data in forms.items():
        path = form_path(h, participant_id)
        response = h.client.post(path, data={**data, "csrf_token": h.csrf_token(path)})
        assert response.status_code == 303, errors_on_page(response.get_data(as_text=True))

    for participant_id in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P10"):
        attend(h, participant_id, "Tallinn", 1)
    attend(h, "P8", "Tallinn", 1, present=False)
    attend(h, "T1", "Tartu", 1)
    for participant_id in ("P1", "P4"):
        attend(h, participant_id, "Tallinn", 2)
        attend(h, participant_id, "Tallinn", 3)
        complete(h, participant_id, "Tallinn", "app-T1")
    drop_out(h, "P2", "Tallinn", "app-T1", organisation("N1", "ngo"),
             when=datetime(2019, 5, 9, 17, 0, tzinfo=TALLINN))
