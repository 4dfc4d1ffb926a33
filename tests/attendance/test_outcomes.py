"""Issue 4, points 4 and 5: the window rule of the 2019 calendar through the API, and each
outcome published once (absent, dropped_out, completed, reinstated)."""
from __future__ import annotations

from datetime import timedelta

from .builders import at, attend, count, day_over, edition, mark, outcomes, put_sheet, session_id, setup_2019


def test_parnu_participant_absent_on_0904_who_attends_tartu_on_1104_completes(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    day_over(h, "09.04")
    [absent] = h.payloads("attendance.participant.absent")
    assert absent["participant_id"] == "parnu-1" and absent["day_number"] == 1
    assert absent["missed_session_id"] == "2019-parnu-1"
    assert [(s["city"], s["date"]) for s in absent["make_up_sessions"]] == [
        ("Tartu", "2019-04-11"), ("Rakvere", "2019-04-16"), ("Tallinn", "2019-04-17")]

    h.set_now(at("11.04", 10, 5))
    booked = h.client.post("/api/sessions/2019-tartu-1/make-ups", json={"participant_id": "parnu-1"})
    assert booked.status_code == 201, booked.get_json()
    sheet = attend(h, "11.04", session_id("Tartu", 1), {"tartu-1": True, "tartu-2": True, "parnu-1": True})
    [guest] = [line for line in sheet["lines"] if line["participant_id"] == "parnu-1"]
    assert guest["make_up"] is True and guest["city"] == "Pärnu"
    recorded = [p for p in h.payloads("attendance.attendance.recorded") if p["participant_id"] == "parnu-1"]
    assert recorded[-1]["make_up"] is True and recorded[-1]["session_id"] == "2019-tartu-1"

    h.set_now(at("17.04", 17, 0))  # Tallinn's day I over: the last chance would have ended
    h.tick()
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": True, "parnu-2": True})
    attend(h, "22.05", session_id("Pärnu", 3), {"parnu-1": True, "parnu-2": True})
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("completed", "parnu-1")]
    assert h.payloads("attendance.participant.completed")[0]["group_id"] == "2019-parnu"

    standing = h.client.get("/api/participants/parnu-1").get_json()
    assert standing["outcome"] == "completed"
    assert [d["state"] for d in standing["days"]] == ["made_up", "attended", "attended"]
    assert standing["days"][0]["made_up_at"] == {"session_id": "2019-tartu-1", "city": "Tartu", "date": "11.04.2019"}
    h.tick()
    attend(h, "22.05", session_id("Pärnu", 3), {"parnu-1": True, "parnu-2": True})  # saved again
    assert count(h, "attendance.participant.completed", participant_id="parnu-1") == 1


def test_parnu_participant_who_never_makes_up_drops_out_when_tallinns_1704_session_ends(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})

    h.set_now(at("17.04", 16, 59))
    h.tick()
    assert h.payloads("attendance.participant.dropped_out") == []
    at_risk = h.client.get("/api/at-risk").get_json()
    [row] = [r for r in at_risk if r["participant_id"] == "parnu-1"]
    assert [s["city"] for s in row["days"][0]["open_make_ups"]] == ["Tallinn"]  # the one chance left

    h.set_now(at("17.04", 17, 0))
    h.tick()
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert dropped["participant_id"] == "parnu-1" and dropped["reason"] == "absence"
    assert dropped["application_id"] == "app-parnu" and dropped["group_id"] == "2019-parnu"
    assert dropped["days_attended"] == 0 and dropped["days_held"] == 1
    assert dropped["employer"]["name"] == "Häädemeeste Vallavalitsus"
    assert dropped["employer"]["registry_code"] == "75012345"
    assert dropped["dropped_out_at"] == "2019-04-17T14:00:00+00:00"
    assert (dropped["first_name"], dropped["last_name"]) == ("Õnne", "Šmõškina")

    h.set_now(at("17.04", 17, 1))
    h.tick()
    h.set_now(at("30.04", 12, 0))
    h.tick()
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": False, "parnu-2": True})  # no absent notice now
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("dropped_out", "parnu-1")]


def test_the_tick_catches_up_after_downtime(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False})
    h.set_now(at("25.04", 8, 0))  # the worker was down for a week
    h.tick()
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert dropped["dropped_out_at"] == "2019-04-17T14:00:00+00:00" and dropped["days_held"] == 1
    h.tick()
    assert count(h, "attendance.participant.dropped_out") == 1


def test_tallinn_participant_absent_on_1704_drops_out_that_evening(h):
    setup_2019(h)
    h.login("trainer:Tallinn")
    attend(h, "17.04", session_id("Tallinn", 1), {"tallinn-1": False, "tallinn-2": True})
    h.set_now(at("17.04", 16, 59, 59))
    h.tick()
    assert h.payloads("attendance.participant.dropped_out") == []
    h.set_now(at("17.04", 17, 0))
    h.tick()
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert dropped["participant_id"] == "tallinn-1" and dropped["days_held"] == 1
    assert dropped["employer"]["name"] == "MTÜ Äksi & Ko <filiaal>"
    h.tick()
    assert count(h, "attendance.participant.dropped_out") == 1
    # No absence notice besides: with no make-up session for Tallinn's day I, the day was lost
    # when the session ended, and the dropout notice says so.
    assert outcomes(h, "tallinn-1") == [("dropped_out", "tallinn-1")]


def test_an_absence_recorded_after_the_last_chance_drops_out_at_once(h):
    setup_2019(h)
    h.login("coordinator")
    h.set_now(at("18.04", 9, 0))  # the sheet of 17.04 is filled in the next morning
    assert put_sheet(h, session_id("Tallinn", 1), {"tallinn-1": False, "tallinn-2": True}).status_code == 200
    assert outcomes(h, "tallinn-1") == [("dropped_out", "tallinn-1")]


def test_correction_absent_to_present_after_dropout_publishes_reinstated_with_audit_trail(h):
    setup_2019(h)
    user = h.login("trainer:Pärnu", name="Tiina Treener", email="tiina@example.ee")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    day_over(h, "09.04")
    h.set_now(at("17.04", 18, 0))
    h.tick()
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("dropped_out", "parnu-1")]

    h.set_now(at("18.04", 9, 15))  # the trainer finds the signature on the paper sheet
    response = mark(h, session_id("Pärnu", 1), "parnu-1", True)
    assert response.status_code == 200 and response.get_json()["changed"] == ["parnu-1"]
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("dropped_out", "parnu-1"), ("reinstated", "parnu-1")]
    [reinstated] = h.payloads("attendance.participant.reinstated")
    assert reinstated == {"participant_id": "parnu-1", "application_id": "app-parnu", "reason": "correction",
                          "group_id": "2019-parnu"}
    corrected = h.payloads("attendance.attendance.recorded")[-1]
    assert corrected["present"] is True and corrected["corrected"] is True

    trail = h.client.get(f"/api/sessions/{session_id('Pärnu', 1)}/audit").get_json()
    latest = trail[0]
    assert (latest["participant_id"], latest["old_present"], latest["new_present"]) == ("parnu-1", False, True)
    assert latest["actor"] == user.email and latest["actor_name"] == "Tiina Treener"
    assert latest["at"] == "2019-04-18T06:15:00+00:00" and latest["source"] == "api"
    page = h.client.get(f"/sessions/{session_id('Pärnu', 1)}").get_data(as_text=True)
    assert "18.04.2019 09:15" in page and "Tiina Treener" in page and "puudus → kohal" in page

    # Corrected back: the last chance is over, so the dropout is due at once and published
    # again, once (no absent notice: there is nothing left to make up).
    h.set_now(at("18.04", 9, 20))
    mark(h, session_id("Pärnu", 1), "parnu-1", False)
    h.tick()
    assert outcomes(h, "parnu-1")[-2:] == [("reinstated", "parnu-1"), ("dropped_out", "parnu-1")]
    assert count(h, "attendance.participant.dropped_out", participant_id="parnu-1") == 2
    h.tick()
    assert count(h, "attendance.participant.dropped_out", participant_id="parnu-1") == 2


def test_a_late_make_up_record_reinstates(h):
    """The make-up happened but was recorded only after the tick dropped the participant."""
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False})
    day_over(h, "09.04")
    h.set_now(at("17.04", 17, 30))
    h.tick()
    h.set_now(at("18.04", 8, 0))
    response = mark(h, session_id("Tallinn", 1), "parnu-1", True)  # books the make-up and marks it
    assert response.status_code == 200, response.get_json()
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("dropped_out", "parnu-1"), ("reinstated", "parnu-1")]


def test_make_up_outside_the_window_is_refused_with_the_reason(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "11.04", session_id("Tartu", 1), {"tartu-1": False, "tartu-2": True})
    attend(h, "17.04", session_id("Tallinn", 1), {"tallinn-1": False, "tallinn-2": True})

    # Pärnu's day I (09.04) was over before Tallinn's own day I: not a make-up.
    before = h.client.post("/api/sessions/2019-parnu-1/make-ups", json={"participant_id": "tallinn-1"})
    assert before.status_code == 422
    body = before.get_json()
    assert body["reason"] == "before_own_session"
    assert body["errors"] == {"participant_id": [body["message"]]}
    assert "Pärnu 09.04.2019" in body["message"] and "17.04.2019" in body["message"]
    english = h.client.post("/api/sessions/2019-parnu-1/make-ups?lang=en", json={"participant_id": "tallinn-1"})
    assert "takes place before your group's day I (17.04.2019) is over" in english.get_json()["message"]

    # A day attended at home has nothing to make up (the API books by the session's day).
    attend(h, "02.05", session_id("Tartu", 2), {"tartu-1": True, "tartu-2": True})
    h.set_now(at("09.05", 10, 30))
    again = h.client.post("/api/sessions/2019-tallinn-2/make-ups", json={"participant_id": "tartu-1"})
    assert again.status_code == 422 and again.get_json()["reason"] == "already_attended"

    # Marking present directly checks the same rules; nothing is recorded on a refusal.
    recorded = len(h.payloads("attendance.attendance.recorded"))
    own = mark(h, session_id("Tallinn", 2), "tartu-2", True)
    assert own.status_code == 422 and own.get_json()["reason"] == "already_attended"
    assert len(h.payloads("attendance.attendance.recorded")) == recorded
    same_group = h.client.post("/api/sessions/2019-tartu-2/make-ups", json={"participant_id": "tartu-1"})
    assert same_group.status_code == 422 and same_group.get_json()["reason"] == "same_group"


def test_make_up_after_the_own_next_day_is_refused_after_a_schedule_change(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "11.04", session_id("Tartu", 1), {"tartu-1": False, "tartu-2": True})
    # Revision 2 moves Tallinn's day I from 17.04 to 03.05: after Tartu's day II (02.05).
    h.deliver("enrolment.edition.published", edition(revision=2, moved={"2019-tallinn-1": timedelta(days=16)}))
    h.set_now(at("12.04", 9, 0))
    refused = h.client.post("/api/sessions/2019-tallinn-1/make-ups", json={"participant_id": "tartu-1"})
    assert refused.status_code == 422 and refused.get_json()["reason"] == "after_own_next_day"
    assert "02.05.2019" in refused.get_json()["message"]
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups",
                         json={"participant_id": "tartu-1"}).status_code == 201


def test_seat_limit_refuses_a_make_up_into_a_full_session(h):
    # Rakvere's day I has two seats; its own group has one member.
    setup_2019(h, seats={"2019-rakvere-1": 2})
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": False})
    h.set_now(at("12.04", 9, 0))
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 200
    full = h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-2"})
    assert full.status_code == 422 and full.get_json()["reason"] == "session_full"
    assert "2 kohta" in full.get_json()["message"]


def test_a_make_up_guest_who_withdrew_no_longer_holds_the_last_seat(h):
    # Rakvere's day I has two seats; its own group has one member: one seat for a make-up.
    setup_2019(h, seats={"2019-rakvere-1": 2})
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": False})
    h.set_now(at("12.04", 9, 0))
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    full = h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-2"})
    assert full.status_code == 422 and full.get_json()["reason"] == "session_full"
    # parnu-1 leaves the programme: nobody will sit in the seat her booking held.
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-parnu", "participant_id": "parnu-1",
                                             "reason": "changed jobs"})
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-2"}).status_code == 201


def test_withdrawal_drops_out_once_with_days_held_by_then(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": True, "parnu-2": True})
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": True, "parnu-2": True})
    h.set_now(at("05.05", 12, 0))
    h.deliver("enrolment.application.withdrawn", {"application_id": "app-parnu", "reason": "team dissolved",
                                                  "participant_ids": ["parnu-1", "parnu-2"]})
    for pid in ("parnu-1", "parnu-2"):
        h.deliver("enrolment.member.withdrawn", {"application_id": "app-parnu", "participant_id": pid,
                                                 "reason": "team dissolved"})
    h.set_now(at("22.05", 18, 0))
    h.tick()
    dropped = sorted(h.payloads("attendance.participant.dropped_out"), key=lambda p: p["participant_id"])
    assert [(d["participant_id"], d["reason"], d["days_attended"], d["days_held"]) for d in dropped] == [
        ("parnu-1", "withdrawal", 2, 2), ("parnu-2", "withdrawal", 2, 2)]
    assert dropped[1]["employer"]["name"] == "MTÜ Rannakülad"
    # A withdrawn participant is no longer on the sheet and nobody is told they were absent.
    h.set_now(at("22.05", 10, 30))
    sheet = h.client.get(f"/api/sessions/{session_id('Pärnu', 3)}").get_json()
    assert sheet["lines"] == []
    assert put_sheet(h, session_id("Pärnu", 3), {"parnu-1": False}).status_code == 422


def test_a_make_up_is_refused_once_the_day_is_made_up_or_booked_elsewhere_and_takes_no_seat(h):
    # Rakvere's day I has two seats; its own group has one member: one seat for a make-up.
    setup_2019(h, seats={"2019-rakvere-1": 2})
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": False})
    h.set_now(at("10.04", 9, 0))
    assert h.client.post("/api/sessions/2019-tartu-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201

    booked = h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-1"})
    assert booked.status_code == 409
    body = booked.get_json()
    assert body["reason"] == "already_booked" and body["errors"] == {"participant_id": [body["message"]]}
    assert body["message"] == "Osaleja on I päeva järeletegemiseks juba kirjas: Tartu 11.04.2019."
    english = h.client.post("/api/sessions/2019-rakvere-1/make-ups?lang=en", json={"participant_id": "parnu-1"})
    assert english.get_json()["message"] == "The participant is already booked to make up day I: Tartu 11.04.2019."
    # The refusals took no seat: the one free seat is still there for parnu-2.
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-2"}).status_code == 201
    assert h.client.post("/api/sessions/2019-tartu-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 200
    rakvere = h.client.get("/api/sessions/2019-rakvere-1").get_json()
    assert sorted(line["participant_id"] for line in rakvere["lines"]) == ["parnu-2", "rakvere-1"]

    attend(h, "11.04", session_id("Tartu", 1), {"parnu-1": True})  # day I made up in Tartu
    h.set_now(at("12.04", 9, 0))
    recorded = len(h.payloads("attendance.attendance.recorded"))
    made_up = h.client.post("/api/sessions/2019-tallinn-1/make-ups?lang=et", json={"participant_id": "parnu-1"})
    assert made_up.status_code == 422 and made_up.get_json()["reason"] == "already_made_up"
    assert made_up.get_json()["message"] == "Osaleja on I päeva juba järele teinud (Tartu 11.04.2019)."
    assert "has already made up day I (Tartu 11.04.2019)" in h.client.post(
        "/api/sessions/2019-tallinn-1/make-ups?lang=en", json={"participant_id": "parnu-1"}).get_json()["message"]
    h.set_now(at("17.04", 10, 30))
    marked = mark(h, session_id("Tallinn", 1), "parnu-1", True)
    assert marked.status_code == 422 and marked.get_json()["reason"] == "already_made_up"
    assert len(h.payloads("attendance.attendance.recorded")) == recorded
    tallinn = h.client.get("/api/sessions/2019-tallinn-1").get_json()
    assert sorted(line["participant_id"] for line in tallinn["lines"]) == ["tallinn-1", "tallinn-2"]
    # Nor is she offered on the Tallinn sheet's make-up list any more.
    page = h.client.get(f"/sessions/{session_id('Tallinn', 1)}").get_data(as_text=True)
    assert "Šmõškina" not in page
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1")]


def test_a_booking_whose_session_is_over_no_longer_counts_and_a_presence_elsewhere_gives_up_an_open_one(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    h.set_now(at("10.04", 9, 0))
    assert h.client.post("/api/sessions/2019-tartu-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    attend(h, "11.04", session_id("Tartu", 1), {"parnu-1": False})  # booked, but did not come
    h.set_now(at("12.04", 9, 0))
    assert h.client.post("/api/sessions/2019-tallinn-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    # She turns up in Rakvere instead: the presence is recorded, the Tallinn seat is given up.
    h.set_now(at("16.04", 10, 30))
    marked = mark(h, session_id("Rakvere", 1), "parnu-1", True)
    assert marked.status_code == 200, marked.get_json()
    tallinn = h.client.get("/api/sessions/2019-tallinn-1").get_json()
    assert "parnu-1" not in [line["participant_id"] for line in tallinn["lines"]]
    standing = h.client.get("/api/participants/parnu-1").get_json()
    assert standing["days"][0]["state"] == "made_up" and standing["days"][0]["made_up_at"]["city"] == "Rakvere"


def test_a_correction_after_completion_revokes_it_once_and_a_later_completion_publishes_it_again(h):
    setup_2019(h)
    h.login("coordinator")
    for day, n in (("09.04", 1), ("30.04", 2), ("22.05", 3)):
        attend(h, day, session_id("Pärnu", n), {"parnu-1": True, "parnu-2": True})
    assert outcomes(h, "parnu-1") == [("completed", "parnu-1")]

    h.set_now(at("22.05", 18, 0))  # the paper sheet shows no signature for day III after all
    assert mark(h, session_id("Pärnu", 3), "parnu-1", False).status_code == 200
    [revoked] = h.payloads("attendance.participant.completion_revoked")
    assert revoked == {"participant_id": "parnu-1", "application_id": "app-parnu", "group_id": "2019-parnu",
                       "day_number": 3, "reason": "correction"}
    assert outcomes(h, "parnu-1") == [("completed", "parnu-1"), ("completion_revoked", "parnu-1"),
                                      ("absent", "parnu-1")]
    # The same mark again, the sheet again and the tick publish nothing more.
    mark(h, session_id("Pärnu", 3), "parnu-1", False)
    put_sheet(h, session_id("Pärnu", 3), {"parnu-1": False, "parnu-2": True})
    h.tick()
    assert count(h, "attendance.participant.completion_revoked") == 1
    assert h.client.get("/api/participants/parnu-1").get_json()["outcome"] == "at_risk"

    h.set_now(at("23.05", 10, 30))
    assert mark(h, session_id("Tartu", 3), "parnu-1", True).status_code == 200  # made up in Tartu
    assert outcomes(h, "parnu-1")[-1] == ("completed", "parnu-1")
    assert count(h, "attendance.participant.completed", participant_id="parnu-1") == 2

    # Corrected once more after the last chance (Tallinn, 06.06): revoked, then out for good.
    h.set_now(at("07.06", 9, 0))
    assert mark(h, session_id("Tartu", 3), "parnu-1", False).status_code == 200
    assert outcomes(h, "parnu-1")[-3:] == [("completed", "parnu-1"), ("completion_revoked", "parnu-1"),
                                           ("dropped_out", "parnu-1")]
    h.tick()
    assert count(h, "attendance.participant.completion_revoked") == 2
    assert count(h, "attendance.participant.dropped_out") == 1
    assert outcomes(h, "parnu-2") == [("completed", "parnu-2")]


# -- a booked make-up whose sheet was never saved ---------------------------------------------------

def _booked_at_tartu_on_day_two(h) -> None:
    """parnu-1 misses Pärnu's day II (30.04, recorded) and books Tartu's day II (02.05);
    parnu-2 misses it too and books nothing. Nobody ever saves Tartu's 02.05 sheet."""
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": True, "parnu-2": True})
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": False, "parnu-2": False})
    h.set_now(at("01.05", 9, 0))
    booked = h.client.post("/api/sessions/2019-tartu-2/make-ups", json={"participant_id": "parnu-1"})
    assert booked.status_code == 201, booked.get_json()
    h.set_now(at("09.05", 17, 0))  # Tallinn's day II is over: the last chance for day II
    h.tick()


def test_a_booked_make_up_whose_sheet_was_never_saved_causes_no_dropout(h):
    _booked_at_tartu_on_day_two(h)
    # parnu-2 booked nothing: out at the end of the last chance, as before.
    assert [p["participant_id"] for p in h.payloads("attendance.participant.dropped_out")] == ["parnu-2"]
    h.set_now(at("20.05", 9, 0))
    h.tick()
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1")]

    overview = h.client.get("/api/groups/2019-parnu/overview").get_json()
    [row] = [p for p in overview["participants"] if p["participant_id"] == "parnu-1"]
    assert row["outcome"] == "not_recorded" and row["days"][1]["state"] == "missed"
    assert row["days"][1]["unrecorded_make_ups"] == [
        {"session_id": "2019-tartu-2", "city": "Tartu", "date": "02.05.2019"}]
    page = h.client.get("/groups/2019-parnu").get_data(as_text=True)
    assert "järeletegemise leht salvestamata: Tartu 02.05.2019" in page
    assert "make-up sheet not saved: Tartu 02.05.2019" in h.client.get("/groups/2019-parnu?lang=en").get_data(
        as_text=True)

    # The Tartu trainer saves the sheet at last: parnu-1 did not come, and no chance is left.
    h.set_now(at("20.05", 9, 30))
    assert put_sheet(h, "2019-tartu-2", {"tartu-1": True, "tartu-2": True, "parnu-1": False}).status_code == 200
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("dropped_out", "parnu-1")]
    [dropped] = [p for p in h.payloads("attendance.participant.dropped_out") if p["participant_id"] == "parnu-1"]
    assert dropped["reason"] == "absence" and dropped["days_held"] == 2
    assert dropped["dropped_out_at"] == "2019-05-09T14:00:00+00:00"  # the last chance's end
    assert h.client.get("/api/participants/parnu-1").get_json()["outcome"] == "dropped_out"
    h.tick()
    assert count(h, "attendance.participant.dropped_out", participant_id="parnu-1") == 1


def test_a_booked_make_up_recorded_present_after_the_window_makes_the_day_up(h):
    _booked_at_tartu_on_day_two(h)
    attend(h, "22.05", session_id("Pärnu", 3), {"parnu-1": True})
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1")]
    # The Tartu sheet of 02.05 is found and saved on 23.05: she was there.
    h.set_now(at("23.05", 9, 0))
    assert put_sheet(h, "2019-tartu-2", {"parnu-1": True}).status_code == 200
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("completed", "parnu-1")]
    standing = h.client.get("/api/participants/parnu-1").get_json()
    assert standing["outcome"] == "completed"
    assert [d["state"] for d in standing["days"]] == ["attended", "made_up", "attended"]
    assert standing["days"][1]["unrecorded_make_ups"] == []


def test_a_booked_make_up_recorded_absent_while_another_remains_drops_out_when_the_last_ends(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": True})
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": False})
    h.set_now(at("01.05", 9, 0))
    assert h.client.post("/api/sessions/2019-tartu-2/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    h.set_now(at("03.05", 9, 0))  # saved the day after: absent, Rakvere and Tallinn still to come
    assert put_sheet(h, "2019-tartu-2", {"parnu-1": False}).status_code == 200
    h.tick()
    assert h.client.get("/api/participants/parnu-1").get_json()["outcome"] == "at_risk"
    h.set_now(at("09.05", 16, 59))
    h.tick()
    assert h.payloads("attendance.participant.dropped_out") == []
    h.set_now(at("09.05", 17, 0))
    h.tick()
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1"), ("dropped_out", "parnu-1")]


def test_a_dropout_dates_from_the_day_lost_on_record_not_one_waiting_for_a_make_up_sheet(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False})
    h.set_now(at("10.04", 9, 0))
    assert h.client.post("/api/sessions/2019-tartu-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    h.set_now(at("17.04", 17, 0))  # day I's last chance is over; Tartu's 11.04 sheet was never saved
    h.tick()
    assert outcomes(h, "parnu-1") == [("absent", "parnu-1")]
    attend(h, "30.04", session_id("Pärnu", 2), {"parnu-1": False})  # day II: absent, nothing booked
    h.set_now(at("09.05", 17, 0))
    h.tick()
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert dropped["dropped_out_at"] == "2019-05-09T14:00:00+00:00" and dropped["days_held"] == 2


# -- the absence notice offers only sessions with a free seat ---------------------------------------

def test_the_absence_notice_offers_only_make_up_sessions_with_a_free_seat(h):
    # Tartu's day I can be made up in Rakvere (16.04) or Tallinn (17.04). Rakvere has two
    # seats (one its own member's), Tallinn three (two its own members').
    setup_2019(h, seats={"2019-rakvere-1": 2, "2019-tallinn-1": 3})
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    day_over(h, "09.04")
    [parnu] = h.payloads("attendance.participant.absent")
    assert [s["city"] for s in parnu["make_up_sessions"]] == ["Tartu", "Rakvere", "Tallinn"]
    h.set_now(at("10.04", 9, 0))
    assert h.client.post("/api/sessions/2019-rakvere-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201

    attend(h, "11.04", session_id("Tartu", 1), {"tartu-1": False, "tartu-2": True})
    day_over(h, "11.04")
    [tartu] = [p for p in h.payloads("attendance.participant.absent") if p["participant_id"] == "tartu-1"]
    assert tartu["make_up_sessions"] == [{"session_id": "2019-tallinn-1", "city": "Tallinn", "date": "2019-04-17"}]


def test_an_absence_marked_during_the_session_is_told_only_when_the_session_has_ended(h):
    """Marked absent at 10:30, a participant may still walk in: no notice before 17:00 (the
    absence e-mail would tell them they missed the day they are attending), one at 17:00,
    and none at all for one corrected to present before then."""
    setup_2019(h)
    h.login("trainer:Pärnu")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": False})
    h.set_now(at("09.04", 11, 15))
    assert mark(h, session_id("Pärnu", 1), "parnu-2", True).get_json()["changed"] == ["parnu-2"]  # came late
    h.set_now(at("09.04", 16, 59, 59))
    h.tick()
    assert h.payloads("attendance.participant.absent") == []

    day_over(h, "09.04")
    [absent] = h.payloads("attendance.participant.absent")
    assert absent["participant_id"] == "parnu-1" and absent["missed_session_id"] == "2019-parnu-1"
    assert [s["city"] for s in absent["make_up_sessions"]] == ["Tartu", "Rakvere", "Tallinn"]
    h.set_now(at("09.04", 17, 30))
    h.tick()
    assert outcomes(h) == [("absent", "parnu-1")]


def test_an_absence_recorded_after_the_session_is_told_at_once(h):
    setup_2019(h)
    h.login("trainer:Pärnu")
    h.set_now(at("09.04", 17, 20))  # the sheet filled in after the day
    assert put_sheet(h, session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True}).status_code == 200
    assert outcomes(h) == [("absent", "parnu-1")]
