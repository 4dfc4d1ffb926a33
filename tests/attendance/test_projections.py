"""Issue 4, point 1: the schedule and roster projections, whatever order and however many
times enrolment's events arrive."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from .builders import (
    at,
    attend,
    count,
    day_over,
    edition,
    mark,
    member,
    outcomes,
    session_id,
    setup_2019,
    team,
)


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


# Enrolment's story of one Pärnu team, each event at the time enrolment published it:
# parnu-4 leaves while the application is still pending (so the acceptance does not name
# them), parnu-2 is replaced by parnu-3 before day I, parnu-1 leaves after day I and the
# rest of the team after day II.
SUBSTITUTE = member("parnu-3", "Liis", "Lepp", "org-parnu-x")
ROSTER_EVENTS = [
    (at("01.03", 9), "enrolment.edition.published", edition()),
    (at("10.03", 9), "enrolment.member.withdrawn", {"application_id": "app-parnu", "participant_id": "parnu-4",
                                                   "reason": "changed her mind"}),
    (at("20.03", 9), "enrolment.application.accepted", team("Pärnu")),
    (at("25.03", 9), "enrolment.member.substituted", {
        "application_id": "app-parnu", "left_participant_id": "parnu-2", "member": SUBSTITUTE,
        "organisation": {"organisation_id": "org-parnu-x", "name": "Tori Vallavalitsus",
                         "registry_code": "77000111", "kind": "local_government", "billing_email": "arved@tori.ee"}}),
    (at("20.04", 9), "enrolment.member.withdrawn", {"application_id": "app-parnu", "participant_id": "parnu-1",
                                                   "reason": "new job"}),
    (at("05.05", 9), "enrolment.application.withdrawn", {"application_id": "app-parnu", "reason": "team dissolved",
                                                        "participant_ids": ["parnu-3"]}),
]


def _covering_orders(n: int) -> list[tuple[int, ...]]:
    """Orders of n events in which every three of them meet in each of their six relative
    orders (all n! orders would take minutes on PostgreSQL): greedy, so deterministic."""
    wanted = set(itertools.permutations(range(n), 3))
    chosen = [tuple(range(n)), tuple(reversed(range(n)))]
    for order in chosen:
        wanted -= set(itertools.combinations(order, 3))
    candidates = list(itertools.permutations(range(n)))
    while wanted:
        best = max(candidates, key=lambda o: len(wanted & set(itertools.combinations(o, 3))))
        wanted -= set(itertools.combinations(best, 3))
        chosen.append(best)
    return chosen


@pytest.mark.parametrize("order", _covering_orders(len(ROSTER_EVENTS)), ids=lambda o: "".join(map(str, o)))
def test_roster_events_in_any_order_and_twice_leave_the_same_state(stack, order, caplog):
    harness = stack.harness("attendance")
    try:
        envelopes = []
        for moment, event_type, payload in ROSTER_EVENTS:
            harness.set_now(moment)  # occurred_at, as enrolment stamped it
            envelopes.append((harness.envelope(event_type, payload), event_type, payload, moment))
        harness.set_now(at("06.05", 12, 0))  # after Pärnu's day II, whose sheets were never saved
        messages = [harness.deliver(envelope=envelopes[i][0]) for i in order]
        harness.deliver(body=messages[0].body)  # the very same message redelivered
        for i in reversed(order):  # every event again, as a redelivery with a new id
            _, event_type, payload, moment = envelopes[i]
            harness.set_now(moment)
            again = harness.envelope(event_type, payload)
            harness.set_now(at("06.05", 12, 0))
            harness.deliver(envelope=again)
        h = harness
        state = _state(h)
        # parnu-4 was never on the group's list: no row, no standing, no sheet line, no outcome.
        assert h.client.get("/api/participants/parnu-4").status_code == 404
        assert h.client.get(f"/api/sessions/{session_id('Pärnu', 1)}").get_json()["lines"] == []
        assert "parnu-4" not in h.client.get("/groups/2019-parnu").get_data(as_text=True)
        assert outcomes(h, "parnu-4") == []
        waiting = [r for r in caplog.records if r.getMessage() == "dropout waits for the employer"]
        assert not [r for r in waiting if r.participant_id == "parnu-4"]
        caplog.clear()
        h.deliver("enrolment.edition.published", edition())  # settles the whole edition again
        h.tick()
        assert "dropout waits for the employer" not in caplog.text
    finally:
        harness.close()
    assert state == {
        "people": [("parnu-1", "Õnne", "Häädemeeste Vallavalitsus", "withdrawn", "dropped_out", "withdrawal"),
                   ("parnu-3", "Liis", "Tori Vallavalitsus", "withdrawn", "dropped_out", "withdrawal")],
        "events": [("dropped_out", "parnu-1"), ("dropped_out", "parnu-3")],
        # Days held by each withdrawal: day I (09.04) by 20.04, days I and II (30.04) by 05.05.
        "dropped": [("parnu-1", "withdrawal", 1, "Häädemeeste Vallavalitsus"),
                    ("parnu-3", "withdrawal", 2, "Tori Vallavalitsus")],
    }


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


def test_a_moved_session_that_no_longer_makes_up_a_day_revokes_the_completion(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    day_over(h, "09.04")
    h.set_now(at("11.04", 10, 30))
    assert mark(h, session_id("Tartu", 1), "parnu-1", True).status_code == 200  # made up in Tartu
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": True, "parnu-2": True})
    attend(h, "22.05", session_id("Pärnu", 3), {"parnu-1": True, "parnu-2": True})
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("completed", "parnu-1")]
    # Revision 2 has Tartu's day I on 08.04, before Pärnu's: it no longer makes up Pärnu's day I.
    h.set_now(at("23.05", 9, 0))
    h.deliver("enrolment.edition.published", edition(revision=2, moved={"2019-tartu-1": -timedelta(days=3)}))
    assert outcomes(h, "parnu-1")[-2:] == [("completion_revoked", "parnu-1"), ("dropped_out", "parnu-1")]
    [revoked] = h.payloads("attendance.participant.completion_revoked")
    assert (revoked["day_number"], revoked["reason"]) == (1, "schedule_change")
    h.deliver("enrolment.edition.published", edition(revision=2, moved={"2019-tartu-1": -timedelta(days=3)}))
    assert count(h, "attendance.participant.completion_revoked") == 1
    assert outcomes(h, "parnu-2") == [("completed", "parnu-2")]
