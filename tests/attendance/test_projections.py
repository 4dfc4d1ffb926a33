"""Issue 4, point 1: the schedule and roster projections, whatever order and however many
times enrolment's events arrive."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from .builders import at, attend, count, edition, member, outcomes, session_id, setup_2019, team


def test_the_2019_schedule_is_projected(h):
    h.deliver("enrolment.edition.published", edition())
    h.login("coordinator")
    sessions = h.client.get("/api/sessions").get_json()
    assert len(sessions) == 12
    first = sessions[0]
    assert (first["session_id"], first["city"], first["day_number"], first["date"]) == (
        "2019-parnu-1", "Pärnu", 1, "09.04.2019")
    assert first["starts_at"] == "2019-04-09T07:00:00+00:00"  # 10:00 in Tallinn, stored in UTC
    assert [s["date"] for s in sessions if s["city"] == "Tallinn"] == ["17.04.2019", "09.05.2019", "06.06.2019"]
    page = h.client.get("/").get_data(as_text=True)
    assert "09.04.2019" in page and "10:00–17:00" in page


def test_the_newest_revision_wins_whatever_the_order(h):
    moved = edition(revision=2, moved={"2019-tallinn-1": timedelta(days=16)})  # 17.04 → 03.05
    h.deliver("enrolment.edition.published", moved)
    h.deliver("enrolment.edition.published", edition(revision=1))  # late and stale
    message = h.deliver("enrolment.edition.published", moved)  # again, a new event id
    h.deliver(body=message.body)  # and the very same message redelivered
    h.login("coordinator")
    sheet = h.client.get("/api/sessions/2019-tallinn-1").get_json()
    assert sheet["session"]["date"] == "03.05.2019"
    assert len(h.client.get("/api/sessions").get_json()) == 12


def test_a_session_a_newer_revision_no_longer_lists_is_gone(h):
    payload = edition(revision=2)
    tallinn = next(g for g in payload["groups"] if g["city"] == "Tallinn")
    tallinn["sessions"][0]["session_id"] = "2019-tallinn-1-new"
    h.deliver("enrolment.edition.published", edition(revision=1))
    h.deliver("enrolment.edition.published", payload)
    h.login("coordinator")
    assert h.client.get("/api/sessions/2019-tallinn-1").status_code == 404
    assert h.client.get("/api/sessions/2019-tallinn-1-new").get_json()["session"]["date"] == "17.04.2019"


def test_an_invalid_schedule_is_not_stored(h):
    payload = edition(revision=1)
    payload["groups"][0]["sessions"][1]["day_number"] = 1  # two day-I sessions for Pärnu
    with pytest.raises(AssertionError, match="handler failed"):
        h.deliver("enrolment.edition.published", payload)
    h.login("coordinator")
    assert h.client.get("/api/sessions").get_json() == []


def _state(h) -> dict:
    """What the outside can see: the group overview and the outcomes published."""
    h.login("coordinator")
    overview = h.client.get("/api/groups/2019-parnu/overview").get_json()
    people = sorted((p["participant_id"], p["first_name"], p["organisation"], p["status"], p["outcome"], p["reason"])
                    for p in overview["participants"])
    events = sorted(outcomes(h))
    dropped = sorted((p["participant_id"], p["reason"], p["days_held"], p["employer"]["name"])
                     for p in h.payloads("attendance.participant.dropped_out"))
    return {"people": people, "events": events, "dropped": dropped}


ROSTER_EVENTS = [
    ("enrolment.application.accepted", team("Pärnu")),
    ("enrolment.member.substituted", {"application_id": "app-parnu", "left_participant_id": "parnu-2",
                                      "member": member("parnu-3", "Liis", "Lepp", "org-parnu-x"),
                                      "organisation": {"organisation_id": "org-parnu-x", "name": "Tori Vallavalitsus",
                                                       "registry_code": "77000111", "kind": "local_government",
                                                       "billing_email": "arved@tori.ee"}}),
    ("enrolment.member.withdrawn", {"application_id": "app-parnu", "participant_id": "parnu-1",
                                    "reason": "new job"}),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_roster_events_in_any_order_and_twice_leave_the_same_state(stack, order):
    expected = None
    harness = stack.harness("attendance")
    try:
        harness.deliver("enrolment.edition.published", edition())
        harness.set_now(at("20.04", 12, 0))  # after Pärnu's day I, whose sheet was never saved
        for i in order:
            harness.deliver(*ROSTER_EVENTS[i])
        for i in reversed(order):  # every event again, as a redelivery with a new id
            harness.deliver(*ROSTER_EVENTS[i])
        state = _state(harness)
    finally:
        harness.close()
    expected = {
        "people": [("parnu-1", "Õnne", "Häädemeeste Vallavalitsus", "withdrawn", "dropped_out", "withdrawal"),
                   ("parnu-3", "Liis", "Tori Vallavalitsus", "active", "not_recorded", None)],
        "events": [("dropped_out", "parnu-1")],
        # Day I (09.04) was held when the withdrawal happened (its occurred_at, 20.04).
        "dropped": [("parnu-1", "withdrawal", 1, "Häädemeeste Vallavalitsus")],
    }
    assert state == expected


def test_a_withdrawal_before_the_acceptance_drops_out_once_the_acceptance_arrives(h):
    h.deliver("enrolment.edition.published", edition())
    h.set_now(at("01.05", 9, 0))
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-tartu", "participant_id": "tartu-2",
                                             "reason": "moved away"})
    assert h.payloads("attendance.participant.dropped_out") == []  # no group, no employer yet
    h.set_now(at("02.05", 9, 0))
    h.deliver("enrolment.application.accepted", team("Tartu"))
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert (dropped["participant_id"], dropped["reason"], dropped["days_held"]) == ("tartu-2", "withdrawal", 1)
    assert dropped["employer"]["organisation_id"] == "org-tartu-v"
    h.deliver("enrolment.application.accepted", team("Tartu"))
    assert count(h, "attendance.participant.dropped_out") == 1


def test_a_team_withdrawal_before_its_acceptance_withdraws_every_member(h):
    h.deliver("enrolment.edition.published", edition())
    h.set_now(at("01.04", 9, 0))
    h.deliver("enrolment.application.withdrawn", {"application_id": "app-tallinn", "reason": "no time"})
    h.deliver("enrolment.application.accepted", team("Tallinn"))
    dropped = sorted((p["participant_id"], p["days_held"]) for p in h.payloads("attendance.participant.dropped_out"))
    assert dropped == [("tallinn-1", 0), ("tallinn-2", 0)]


def test_accepted_before_the_schedule_is_settled_when_the_schedule_arrives(h):
    h.deliver("enrolment.application.accepted", team("Tallinn"))
    h.set_now(at("05.05", 9, 0))
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-tallinn", "participant_id": "tallinn-1",
                                             "reason": "ill"})
    assert h.payloads("attendance.participant.dropped_out") == []
    h.deliver("enrolment.edition.published", edition())
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert (dropped["participant_id"], dropped["days_held"]) == ("tallinn-1", 1)


def test_a_moved_session_reopens_a_window_and_reinstates(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "17.04", session_id("Tallinn", 1), {"tallinn-1": False, "tallinn-2": True})
    h.set_now(at("17.04", 18, 0))
    h.tick()
    assert count(h, "attendance.participant.dropped_out") == 1
    # Rakvere's day I moves from 16.04 to 25.04: a make-up for Tallinn's day I exists again.
    h.deliver("enrolment.edition.published", edition(revision=2, moved={"2019-rakvere-1": timedelta(days=9)}))
    [reinstated] = h.payloads("attendance.participant.reinstated")
    assert reinstated["participant_id"] == "tallinn-1" and reinstated["reason"] == "schedule_change"
    h.set_now(at("25.04", 17, 0))
    h.tick()
    assert count(h, "attendance.participant.dropped_out", participant_id="tallinn-1") == 2
