"""A member replaced after their group's first day (an edition may allow substitutions until
day II or III begins): the newcomer has the days held before they joined to make up, and a
dropout's claim counts only the days held since they joined; the member who left keeps what
they attended, with no dropout and no claim."""
from __future__ import annotations

from .builders import at, attend, count, day_over, mark, member, outcomes, put_sheet, session_id, setup_2019

NEWCOMER = member("parnu-3", "Liis", "Lepp", "org-parnu-x")
TORI = {"organisation_id": "org-parnu-x", "name": "Tori Vallavalitsus", "registry_code": "77000111",
        "kind": "local_government", "billing_email": "arved@tori.ee"}


def _substitute(h, when, left="parnu-2", newcomer=NEWCOMER):
    h.set_now(when)  # enrolment's occurred_at, and when attendance handles it
    return h.deliver("enrolment.member.substituted", {
        "application_id": "app-parnu", "left_participant_id": left, "member": newcomer, "organisation": TORI})


def _day_one_held(h):
    h.set_now(at("20.03", 9))
    setup_2019(h, cities=("Pärnu",))
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": True, "parnu-2": True})
    day_over(h, "09.04")


def test_a_newcomer_after_day_one_is_told_at_once_with_the_make_ups_still_open(h):
    _day_one_held(h)
    message = _substitute(h, at("15.04", 9))

    absent = h.payloads("attendance.participant.absent")
    assert [(a["participant_id"], a["day_number"], a["missed_session_id"]) for a in absent] == [
        ("parnu-3", 1, session_id("Pärnu", 1))]
    # Day I can still be made up before Pärnu's day II (30.04): Rakvere 16.04, Tallinn 17.04.
    assert [(s["city"], s["date"]) for s in absent[0]["make_up_sessions"]] == [
        ("Rakvere", "2019-04-16"), ("Tallinn", "2019-04-17")]
    # Told once: the same event again, the tick, the sheet page read -- nothing more.
    h.deliver(body=message.body)
    _substitute(h, at("15.04", 9))  # enrolment's event again, with a new id
    h.set_now(at("15.04", 12))
    h.tick()
    assert count(h, "attendance.participant.absent", participant_id="parnu-3") == 1
    assert outcomes(h, "parnu-2") == []  # the member who left: no absence, no dropout

    standing = h.client.get("/api/participants/parnu-3").get_json()
    assert standing["outcome"] == "at_risk" and standing["joined_at"] == "2019-04-15T06:00:00+00:00"
    day_one = standing["days"][0]
    assert (day_one["state"], day_one["recorded"], day_one["before_joining"]) == ("absent_open", None, True)
    assert [o["city"] for o in day_one["open_make_ups"]] == ["Rakvere", "Tallinn"]
    assert [r["participant_id"] for r in h.client.get("/api/at-risk").get_json()] == ["parnu-3"]
    page = h.client.get("/groups/2019-parnu").get_data(as_text=True)
    assert "enne meeskonnaga liitumist" in page  # not "sheet not saved": no sheet is missing
    # Not on the day-I sheet they were not there for: a later save cannot mark them present.
    day_one_sheet = h.client.get(f"/api/sessions/{session_id('Pärnu', 1)}").get_json()["lines"]
    assert sorted(x["participant_id"] for x in day_one_sheet) == ["parnu-1", "parnu-2"]
    refused = put_sheet(h, session_id("Pärnu", 1), {"parnu-1": True, "parnu-3": True})
    assert refused.status_code == 422 and "parnu-3" in str(refused.get_json())
    sheet_page = h.client.get(f"/sessions/{session_id('Pärnu', 1)}").get_data(as_text=True)
    assert "Lepp" not in sheet_page
    assert "before joining the team" in h.client.get("/groups/2019-parnu?lang=en").get_data(as_text=True)

    # Made up in Rakvere: no longer at risk, and nothing is published about it but the record.
    h.set_now(at("16.04", 12))
    assert mark(h, session_id("Rakvere", 1), "parnu-3", True).status_code == 200
    h.set_now(at("18.04", 12))
    h.tick()
    assert h.client.get("/api/participants/parnu-3").get_json()["days"][0]["state"] == "made_up"
    assert outcomes(h, "parnu-3") == [("absent", "parnu-3")]


def test_a_newcomer_who_never_makes_up_day_one_drops_out_with_no_day_held_for_them(h):
    _day_one_held(h)
    _substitute(h, at("15.04", 9))
    h.set_now(at("17.04", 17))  # Tallinn's day I, the last chance, is over
    h.tick()
    assert outcomes(h, "parnu-3") == [("absent", "parnu-3"), ("dropped_out", "parnu-3")]
    dropped = h.payloads("attendance.participant.dropped_out")[0]
    assert (dropped["reason"], dropped["days_attended"], dropped["days_held"]) == ("absence", 0, 0)
    assert dropped["dropped_out_at"] == "2019-04-17T14:00:00+00:00"
    assert dropped["employer"]["name"] == "Tori Vallavalitsus"


def test_a_dropout_counts_only_the_days_held_since_the_newcomer_joined(h):
    _day_one_held(h)
    _substitute(h, at("15.04", 9))
    h.set_now(at("16.04", 12))
    assert mark(h, session_id("Rakvere", 1), "parnu-3", True).status_code == 200  # day I made up
    # Both miss Pärnu's day II and every make-up of it (the last: Tallinn 09.05).
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": False, "parnu-3": False})
    day_over(h, "30.04")
    h.set_now(at("09.05", 17))
    h.tick()
    dropped = {d["participant_id"]: d for d in h.payloads("attendance.participant.dropped_out")}
    assert sorted(dropped) == ["parnu-1", "parnu-3"]
    assert (dropped["parnu-1"]["days_attended"], dropped["parnu-1"]["days_held"]) == (1, 2)  # as before
    assert (dropped["parnu-3"]["days_attended"], dropped["parnu-3"]["days_held"]) == (1, 1)  # day II only


def test_a_newcomer_after_the_last_make_up_of_day_one_drops_out_at_once_at_no_cost(h):
    """Joined before day III (the edition allows it) with days I and II held and no make-up of
    day I left: the normal rule makes it a dropout, told as the dropout alone."""
    _day_one_held(h)
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": True, "parnu-2": True})
    day_over(h, "30.04")
    _substitute(h, at("01.05", 9))
    assert outcomes(h, "parnu-3") == [("dropped_out", "parnu-3")]
    dropped = h.payloads("attendance.participant.dropped_out")[0]
    assert (dropped["days_attended"], dropped["days_held"]) == (0, 0)
    assert dropped["dropped_out_at"] == "2019-05-01T06:00:00+00:00"  # not before they joined
    assert outcomes(h, "parnu-2") == []


def test_a_withdrawing_newcomer_is_charged_only_the_days_since_joining(h):
    _day_one_held(h)
    _substitute(h, at("15.04", 9))
    h.set_now(at("16.04", 12))
    assert mark(h, session_id("Rakvere", 1), "parnu-3", True).status_code == 200  # day I made up
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": True, "parnu-3": True})
    day_over(h, "30.04")
    h.set_now(at("05.05", 9))
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-parnu", "participant_id": "parnu-3",
                                             "reason": "new job"})
    dropped = h.payloads("attendance.participant.dropped_out")[0]
    assert (dropped["participant_id"], dropped["reason"], dropped["days_held"]) == ("parnu-3", "withdrawal", 1)


def test_the_member_replaced_after_day_one_keeps_what_they_attended(h):
    _day_one_held(h)
    _substitute(h, at("15.04", 9))
    h.set_now(at("10.06", 12))  # the programme is over
    h.tick()
    assert outcomes(h, "parnu-2") == []  # no dropout, no claim
    assert count(h, "attendance.attendance.recorded", participant_id="parnu-2", present=True) == 1

    left = h.client.get("/api/participants/parnu-2")
    assert left.status_code == 200
    left = left.get_json()
    assert (left["status"], left["outcome"], left["days_attended"]) == ("substituted", "substituted", 1)
    assert left["substituted_at"] == "2019-04-15T06:00:00+00:00"
    assert [d["state"] for d in left["days"]] == ["attended", "upcoming", "upcoming"]  # as of leaving
    overview = {p["participant_id"]: p for p in h.client.get("/api/groups/2019-parnu/overview").get_json()[
        "participants"]}
    assert sorted(overview) == ["parnu-1", "parnu-2", "parnu-3"]
    assert overview["parnu-2"]["outcome"] == "substituted"
    page = h.client.get("/groups/2019-parnu").get_data(as_text=True)
    assert "asendatud 15.04.2019" in page
    assert "substituted 15.04.2019" in h.client.get("/groups/2019-parnu?lang=en").get_data(as_text=True)
    # The day-I sheet still lists them as present (correctable); later sheets do not.
    lines = {x["participant_id"]: x for x in h.client.get(f"/api/sessions/{session_id('Pärnu', 1)}").get_json()["lines"]}
    assert lines["parnu-2"]["present"] is True
    day_two = h.client.get(f"/api/sessions/{session_id('Pärnu', 2)}").get_json()["lines"]
    assert "parnu-2" not in [x["participant_id"] for x in day_two]
    # The dashboard's group figure counts the group's participants, not the one who left.
    figures = {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}
    assert figures["attendance.group.2019-parnu"].endswith("(2)")


def test_a_member_replaced_before_day_one_is_still_not_shown(h):
    h.set_now(at("20.03", 9))
    setup_2019(h, cities=("Pärnu",))
    h.login("coordinator")
    _substitute(h, at("01.04", 9))
    assert h.client.get("/api/participants/parnu-2").status_code == 404
    overview = h.client.get("/api/groups/2019-parnu/overview").get_json()["participants"]
    assert sorted(p["participant_id"] for p in overview) == ["parnu-1", "parnu-3"]
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": True, "parnu-3": True})
    day_over(h, "09.04")
    assert h.payloads("attendance.participant.absent") == []
    assert not h.client.get("/api/participants/parnu-3").get_json()["days"][0]["before_joining"]
