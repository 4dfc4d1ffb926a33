"""The 2019 edition and its teams as enrolment's events, and shortcuts for the API.

The calendar is the real one (tests/unit/attendance/calendar2019.py); ids are readable:
group "2019-parnu", session "2019-parnu-1" (day I).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.clock import TALLINN
from tests.unit.attendance.calendar2019 import CITIES, group_id, session_id, sessions_2019, tallinn_time

__all__ = ["CITIES", "group_id", "session_id", "tallinn_time"]

EDITION = "edition-2019"


def edition(revision: int = 1, seats: dict | None = None, moved: dict | None = None,
            venue: str = "Keskväljak 1") -> dict:
    """enrolment.edition.published for 2019; ``moved`` shifts sessions: {session_id: timedelta}."""
    moved = moved or {}
    groups = []
    for city in CITIES:
        sessions = []
        for s in sessions_2019([city], seats, venue):
            shift = moved.get(s.session_id, timedelta(0))
            sessions.append({"session_id": s.session_id, "day_number": s.day_number,
                             "starts_at": s.starts_at + shift, "ends_at": s.ends_at + shift,
                             "venue": f"{city}, {venue}", "seats": s.seats})
        groups.append({"group_id": group_id(city), "city": city, "capacity_teams": 4, "sessions": sessions})
    return {"edition_id": EDITION, "year": 2019, "name": "Arenguprogramm 2019",
            "application_deadline": datetime(2019, 3, 15, 16, 0, tzinfo=TALLINN), "groups": groups,
            "revision": revision}


def organisation(org_id: str, name: str, registry_code: str = "75012345", kind: str = "local_government") -> dict:
    return {"organisation_id": org_id, "name": name, "registry_code": registry_code, "kind": kind,
            "billing_email": f"arved@{org_id}.ee"}


def member(participant_id: str, first_name: str, last_name: str, organisation_id: str) -> dict:
    return {"participant_id": participant_id, "first_name": first_name, "last_name": last_name,
            "email": f"{participant_id}@example.ee", "organisation_id": organisation_id}


def accepted(application_id: str, city: str, members: list[dict], organisations: list[dict]) -> dict:
    return {"application_id": application_id, "edition_id": EDITION, "group_id": group_id(city), "city": city,
            "team_name": f"Meeskond {application_id}", "contact_email": "kontakt@example.ee",
            "organisations": organisations, "members": members}


# One team per city: a local government and an NGO, two members each.
TEAMS = {
    "Pärnu": ("app-parnu", [("parnu-1", "Õnne", "Šmõškina", "org-parnu-v"), ("parnu-2", "Jaan", "Tamm", "org-parnu-m")],
              [organisation("org-parnu-v", "Häädemeeste Vallavalitsus", "75012345"),
               organisation("org-parnu-m", "MTÜ Rannakülad", "80012345", "ngo")]),
    "Tartu": ("app-tartu", [("tartu-1", "Mari", "Mets", "org-tartu-v"), ("tartu-2", "Peeter", "Põld", "org-tartu-v")],
              [organisation("org-tartu-v", "Tartu Linnavalitsus", "75006546")]),
    "Rakvere": ("app-rakvere", [("rakvere-1", "Kadri", "Kask", "org-rakvere-v")],
                [organisation("org-rakvere-v", "Rakvere Linnavalitsus", "75023456")]),
    "Tallinn": ("app-tallinn", [("tallinn-1", "Ülle", "Öövel", "org-tallinn-m"), ("tallinn-2", "Toomas", "Kuusk", "org-tallinn-m")],
                [organisation("org-tallinn-m", "MTÜ Äksi & Ko <filiaal>", "80054321", "ngo")]),
}


def team(city: str) -> dict:
    application_id, members, orgs = TEAMS[city]
    return accepted(application_id, city, [member(*m) for m in members], orgs)


def setup_2019(h, cities=CITIES, **edition_kwargs) -> None:
    """Publish the 2019 schedule and accept one team per city, as enrolment would."""
    h.deliver("enrolment.edition.published", edition(**edition_kwargs))
    for city in cities:
        h.deliver("enrolment.application.accepted", team(city))


def at(day: str, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return tallinn_time(day, hour, minute, second)


def put_sheet(h, sid: str, marks: dict[str, bool]):
    return h.client.put(f"/api/sessions/{sid}/attendance",
                        json={"marks": [{"participant_id": p, "present": v} for p, v in marks.items()]})


def mark(h, sid: str, pid: str, present: bool):
    return h.client.post(f"/api/sessions/{sid}/attendance", json={"participant_id": pid, "present": present})


def attend(h, day: str, sid: str, marks: dict[str, bool]):
    """Record a sheet during the session (at 10:30 on that day)."""
    h.set_now(at(day, 10, 30))
    response = put_sheet(h, sid, marks)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def day_over(h, day: str) -> None:
    """The session days of ``day`` have ended (17:00) and the worker's tick has run: an
    absence recorded during the session is told now (``attendance.participant.absent``)."""
    h.set_now(at(day, 17, 0))
    h.tick()


def outcomes(h, pid: str | None = None) -> list[tuple[str, str]]:
    """(event type, participant) of every outcome event published, in order."""
    found = []
    for envelope in h.published():
        if envelope["event_type"].startswith("attendance.participant."):
            if pid is None or envelope["payload"]["participant_id"] == pid:
                found.append((envelope["event_type"].rsplit(".", 1)[1], envelope["payload"]["participant_id"]))
    return found


def count(h, event_type: str, **payload_match) -> int:
    return sum(1 for p in h.payloads(event_type) if all(p.get(k) == v for k, v in payload_match.items()))
