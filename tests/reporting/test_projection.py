"""Issue 7, point 1: the projection of editions, groups, organisations, participants and their
attendance outcomes — entry = first day attended; exit = completion, dropout or the last day —
right whatever order the events come in, and unchanged by a redelivery."""
from __future__ import annotations

from datetime import date, datetime

from shared import clock
from shared.clock import TALLINN

from .builders import (
    CALENDAR,
    accept,
    at,
    attend,
    complete,
    drop_out,
    edition,
    group_id,
    member,
    organisation,
    publish_edition,
)


def detail(h, participant_id: str) -> dict:
    response = h.client.get(f"/api/participants/{participant_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_entry_is_the_first_day_attended_and_exit_the_last_day_of_a_completion(h):
    publish_edition(h)
    accept(h, "app-1", "Pärnu", [member("P1", "Mari", "Maasikas", "L1")], [organisation("L1")])
    h.login("coordinator")
    attend(h, "P1", "Pärnu", 1, present=False)
    assert detail(h, "P1")["entry_date"] is None
    attend(h, "P1", "Pärnu", 1, session_city="Tartu")  # Pärnu's day I made up in Tartu
    assert detail(h, "P1")["entry_date"] == "2019-04-11"
    attend(h, "P1", "Pärnu", 2)
    attend(h, "P1", "Pärnu", 3)
    complete(h, "P1", "Pärnu", "app-1")
    done = detail(h, "P1")
    assert (done["entry_date"], done["exit_date"], done["exit_status"]) == ("2019-04-11", "2019-05-22", "completed")
    assert (done["organisation_kind"], done["city"], done["group_id"]) == ("local_government", "Pärnu", "2019-parnu")


def test_events_out_of_order_and_twice_give_the_same_participant(h):
    # Attendance and the completion arrive before the acceptance and the schedule.
    h.login("coordinator")
    recorded_day_1 = h.envelope("attendance.attendance.recorded", {
        "participant_id": "P1", "session_id": "2019-tallinn-1", "city": "Tallinn", "day_number": 1,
        "date": date(2019, 4, 17), "present": True, "make_up": False, "group_id": "2019-tallinn"})
    clock.set_now(at(CALENDAR["Tallinn"][2]))
    h.deliver("attendance.participant.completed", {"participant_id": "P1", "application_id": "app-1",
                                                   "group_id": "2019-tallinn"})
    h.deliver(envelope=recorded_day_1)
    h.deliver(envelope=recorded_day_1)  # a redelivery is a no-op
    attend(h, "P1", "Tallinn", 3)
    publish_edition(h)
    accept(h, "app-1", "Tallinn", [member("P1", "Mari", "Maasikas", "L1")], [organisation("L1")])
    p = detail(h, "P1")
    assert (p["first_name"], p["entry_date"], p["exit_date"], p["exit_status"]) == (
        "Mari", "2019-04-17", "2019-06-06", "completed")

    # A correction of day I to "absent" that is older than the record it corrects is ignored.
    clock.set_now(datetime(2019, 4, 17, 11, tzinfo=TALLINN))
    stale = h.envelope("attendance.attendance.recorded", {
        "participant_id": "P1", "session_id": "2019-tallinn-1", "city": "Tallinn", "day_number": 1,
        "date": date(2019, 4, 17), "present": False, "make_up": False, "group_id": "2019-tallinn"})
    h.deliver(envelope=stale)
    assert detail(h, "P1")["entry_date"] == "2019-04-17"
    # An older revision of the schedule does not undo a newer one.
    h.deliver("enrolment.edition.published", edition(revision=2, cities=("Tallinn", "Tartu")))
    h.deliver("enrolment.edition.published", edition(revision=1, cities=("Tallinn",)))
    groups = {g["group_id"]: g for g in h.client.get("/api/editions/edition-2019").get_json()["groups"]}
    assert groups["2019-tartu"]["active"] is True and groups["2019-parnu"]["active"] is False


def test_a_dropout_exits_on_the_day_it_was_settled_and_a_reinstatement_undoes_it(h):
    publish_edition(h)
    employer = organisation("N1", "ngo")
    accept(h, "app-1", "Pärnu", [member("P1", "Jaan", "Tamm", "N1")], [employer])
    h.login("coordinator")
    attend(h, "P1", "Pärnu", 1)
    attend(h, "P1", "Pärnu", 2, present=False)
    drop_out(h, "P1", "Pärnu", "app-1", employer, when=datetime(2019, 5, 9, 17, 0, tzinfo=TALLINN))
    p = detail(h, "P1")
    assert (p["entry_date"], p["exit_date"], p["exit_status"]) == ("2019-04-09", "2019-05-09", "dropped_out")
    clock.set_now(datetime(2019, 5, 10, 9, tzinfo=TALLINN))
    h.deliver("attendance.participant.reinstated", {"participant_id": "P1", "application_id": "app-1",
                                                    "group_id": group_id("Pärnu")})
    p = detail(h, "P1")
    assert (p["exit_date"], p["exit_status"]) == (None, None)


def test_without_an_outcome_the_exit_is_the_groups_last_day_once_it_has_passed(h):
    publish_edition(h)
    accept(h, "app-1", "Rakvere", [member("P1", "Kadri", "Kask", "L1")], [organisation("L1")])
    h.login("coordinator")
    attend(h, "P1", "Rakvere", 1)
    clock.set_now(datetime(2019, 6, 4, 20, tzinfo=TALLINN))
    assert detail(h, "P1")["exit_date"] is None  # the last day is today: not over yet
    clock.set_now(datetime(2019, 6, 5, 9, tzinfo=TALLINN))
    p = detail(h, "P1")
    assert (p["exit_date"], p["exit_status"]) == ("2019-06-04", None)
    assert "exit_status" in p["missing"]  # so the completeness page still asks for it


def test_substituted_and_withdrawn_members_who_never_entered_are_not_reported(h):
    publish_edition(h)
    orgs = [organisation("L1"), organisation("N1", "ngo")]
    # The substitution arrives before the acceptance that names the member who left.
    clock.set_now(datetime(2019, 3, 25, 12, tzinfo=TALLINN))
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-1", "left_participant_id": "P2",
        "member": member("P3", "Uus", "Liige", "N2"), "organisation": organisation("N2", "ngo")})
    accept(h, "app-1", "Tartu", [member("P1", "Mari", "Mets", "L1"), member("P2", "Vana", "Liige", "N1"),
                                 member("P4", "Toomas", "Kuusk", "N1")], orgs)
    clock.set_now(datetime(2019, 4, 1, 12, tzinfo=TALLINN))
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-1", "participant_id": "P4", "reason": "ill"})
    h.login("coordinator")
    listed = h.client.get("/api/editions/edition-2019/participants").get_json()
    assert sorted(p["participant_id"] for p in listed) == ["P1", "P3"]
    newcomer = detail(h, "P3")
    assert (newcomer["group_id"], newcomer["organisation_kind"]) == ("2019-tartu", "ngo")
    assert detail(h, "P2")["status"] == "substituted"
    assert detail(h, "P4")["status"] == "withdrawn"


def _completed_indicator(h, group: str) -> tuple[int, int]:
    rows = {r["code"]: r for r in h.client.get(f"/api/groups/{group}/indicators").get_json()["rows"]}
    return rows["PS-COMPLETED"]["total"], rows["PS-COMPLETED"]["unknown"]


def test_a_revoked_completion_is_no_longer_counted_and_the_exit_is_recomputed(h):
    publish_edition(h)
    employer = organisation("L1")
    accept(h, "app-1", "Pärnu", [member("P1", "Mari", "Maasikas", "L1"), member("P2", "Jaan", "Tamm", "L1")],
           [employer])
    h.login("coordinator")
    for n in (1, 2, 3):
        attend(h, "P1", "Pärnu", n)
        attend(h, "P2", "Pärnu", n)
    complete(h, "P1", "Pärnu", "app-1")
    complete(h, "P2", "Pärnu", "app-1")
    clock.set_now(datetime(2019, 5, 23, 12, tzinfo=TALLINN))
    assert _completed_indicator(h, "2019-parnu") == (2, 0)

    # Attendance corrects P1's day III to absent: the record, then the revocation.
    clock.set_now(datetime(2019, 5, 22, 18, tzinfo=TALLINN))
    attend(h, "P1", "Pärnu", 3, present=False, when=datetime(2019, 5, 22, 18, tzinfo=TALLINN))
    revoked = h.envelope("attendance.participant.completion_revoked", {
        "participant_id": "P1", "application_id": "app-1", "group_id": group_id("Pärnu"),
        "day_number": 3, "reason": "correction"})
    h.deliver(envelope=revoked)
    h.deliver(envelope=revoked)  # a redelivery is a no-op
    p = detail(h, "P1")
    assert (p["exit_status"], p["exit_date"], p["entry_date"]) == (None, None, "2019-04-09")
    clock.set_now(datetime(2019, 5, 23, 12, tzinfo=TALLINN))
    assert _completed_indicator(h, "2019-parnu") == (1, 1)  # P1 has not left yet: unknown

    # A completion older than the revocation (a late delivery) does not bring it back ...
    clock.set_now(datetime(2019, 5, 22, 17, 30, tzinfo=TALLINN))
    late = h.envelope("attendance.participant.completed", {"participant_id": "P1", "application_id": "app-1",
                                                           "group_id": group_id("Pärnu")})
    h.deliver(envelope=late)
    assert detail(h, "P1")["exit_status"] is None
    # ... a dropout the correction led to stands whichever of the two arrives first ...
    when = datetime(2019, 6, 6, 17, 0, tzinfo=TALLINN)
    drop_out(h, "P1", "Pärnu", "app-1", employer, when=when, days_attended=2)
    h.deliver(envelope=h.envelope("attendance.participant.completion_revoked", {
        "participant_id": "P1", "application_id": "app-1", "group_id": group_id("Pärnu"),
        "day_number": 3, "reason": "correction"}))  # published with the dropout, delivered after it
    p = detail(h, "P1")
    assert (p["exit_status"], p["exit_date"]) == ("dropped_out", "2019-06-06")
    # ... and a later completion counts again.
    clock.set_now(datetime(2019, 6, 7, 9, tzinfo=TALLINN))
    h.deliver("attendance.participant.reinstated", {"participant_id": "P1", "application_id": "app-1",
                                                    "group_id": group_id("Pärnu")})
    attend(h, "P1", "Pärnu", 3, session_city="Tallinn", when=datetime(2019, 6, 7, 9, 1, tzinfo=TALLINN))
    complete(h, "P1", "Pärnu", "app-1", when=datetime(2019, 6, 7, 9, 2, tzinfo=TALLINN))
    p = detail(h, "P1")
    assert (p["exit_status"], p["exit_date"]) == ("completed", "2019-06-06")
    assert _completed_indicator(h, "2019-parnu") == (2, 0)
