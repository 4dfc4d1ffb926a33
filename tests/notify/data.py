"""Event payloads of the 2019 edition, as the other services publish them."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared import clock

TALLINN = ZoneInfo("Europe/Tallinn")
EDITION = "ed-2019"
DEADLINE = datetime(2019, 3, 1, 23, 59, 59, tzinfo=TALLINN)

# The brochure's calendar: three days per city, 10:00–17:00 Tallinn time.
CALENDAR = {
    "Pärnu": ((4, 9), (4, 30), (5, 22)),
    "Tartu": ((4, 11), (5, 2), (5, 23)),
    "Rakvere": ((4, 16), (5, 7), (6, 4)),
    "Tallinn": ((4, 17), (5, 9), (6, 6)),
}
GROUP = {city: f"grp-{city.lower().replace('ä', 'a')}" for city in CALENDAR}
VENUE = {"Pärnu": "Pärnu Keskraamatukogu, Akadeemia 3", "Tartu": "Tartu Loomemajanduskeskus, Kalevi 17",
         "Rakvere": "Rakvere Teatrimaja, Laada 5", "Tallinn": "Rahandusministeerium, Suur-Ameerika 1"}


def tallinn(*parts) -> datetime:
    return datetime(*parts, tzinfo=TALLINN)


def at(*parts) -> datetime:
    """Set the clock to a Tallinn wall-clock moment."""
    moment = tallinn(*parts)
    clock.set_now(moment)
    return moment


def session_id(city: str, day: int) -> str:
    return f"{GROUP[city]}-{day}"


def edition(revision: int = 1, **changes) -> dict:
    groups = []
    for city, days in CALENDAR.items():
        sessions = [{"session_id": session_id(city, n), "day_number": n,
                     "starts_at": tallinn(2019, month, day, 10), "ends_at": tallinn(2019, month, day, 17),
                     "venue": VENUE[city]}
                    for n, (month, day) in enumerate(days, start=1)]
        groups.append({"group_id": GROUP[city], "city": city, "capacity_teams": 7, "sessions": sessions})
    return {"edition_id": EDITION, "year": 2019, "name": "Arenguprogramm 2019",
            "application_deadline": DEADLINE, "groups": groups, "revision": revision, **changes}


def organisations(team: str) -> list[dict]:
    return [
        {"organisation_id": f"{team}-kov", "name": f"{team.title()} Vallavalitsus", "registry_code": "75000001",
         "kind": "local_government", "billing_email": f"arved@{team}-vald.ee", "address": "Keskväljak 1"},
        {"organisation_id": f"{team}-ngo", "name": f"MTÜ {team.title()} Selts", "registry_code": "80000001",
         "kind": "ngo", "billing_email": f"juhatus@{team}-selts.ee", "address": "Pikk 2"},
    ]


def members(team: str, english: tuple[int, ...] = (), names: dict | None = None) -> list[dict]:
    people = []
    for n in range(1, 5):
        first, last = (names or {}).get(n, (f"Liige{n}", team.title()))
        people.append({
            "participant_id": f"{team}-p{n}", "first_name": first, "last_name": last,
            "email": f"liige{n}@{team}.ee", "organisation_id": f"{team}-kov" if n <= 2 else f"{team}-ngo",
            "language": "en" if n in english else "et"})
    return people


def submitted(team: str, english: tuple[int, ...] = (), cities=("Pärnu",), names: dict | None = None,
              team_name: str | None = None) -> dict:
    return {
        "application_id": f"app-{team}", "edition_id": EDITION, "team_name": team_name or f"Meeskond {team}",
        "preferred_cities": list(cities), "organisations": organisations(team),
        "members": [{**m, "confirm_url": f"http://127.0.0.1:8000/enrolment/p/confirm-{m['participant_id']}"}
                    for m in members(team, english, names)],
        "contact_email": f"kontakt@{team}.ee", "language": "et"}


def accepted(team: str, city: str = "Pärnu", english: tuple[int, ...] = ()) -> dict:
    return {"application_id": f"app-{team}", "edition_id": EDITION, "group_id": GROUP[city], "city": city,
            "team_name": f"Meeskond {team}", "contact_email": f"kontakt@{team}.ee",
            "organisations": organisations(team), "members": members(team, english)}


def confirmed(team: str, n: int, all_confirmed: bool = False) -> dict:
    return {"application_id": f"app-{team}", "participant_id": f"{team}-p{n}", "all_confirmed": all_confirmed}


def employer(team: str) -> dict:
    return organisations(team)[0]


def invoice_issued(team: str = "tori", invoice_id: str = "inv-1", **changes) -> dict:
    return {"invoice_id": invoice_id, "invoice_number": "PO-2019-0001", "claim_id": "claim-1",
            "participant_id": f"{team}-p1", "employer": employer(team), "amount_net": "640.00",
            "vat_rate": "20", "vat_amount": "128.00", "amount_gross": "768.00", "currency": "EUR",
            "issue_date": date(2019, 6, 10), "due_date": date(2019, 6, 24), "reference_number": "20190013",
            **changes}
