"""ESF data is a condition of the funding: a member who left the team (substituted or withdrawn)
after attending a day is an ESF participant whose form reporting keeps open (4e45b17), so
reporting's request and notify's reminder still reach them until reporting.esf_data.completed.
One who left before attending anything is out of the report and gets nothing."""
from __future__ import annotations

from datetime import date

from tests.notify import data
from tests.notify.data import at
from tests.notify.test_reminders import esf_deadline, recipients
from tests.notify.test_substitution_after_day_one import LEAVER, NEWCOMER, applied_acceptance_held_back

DEADLINE = date(2019, 5, 9)


def _present(h, participant: str, present: bool = True, day: int = 1) -> None:
    h.deliver("attendance.attendance.recorded", {
        "participant_id": participant, "session_id": data.session_id("Pärnu", day), "city": "Pärnu",
        "day_number": day, "date": date(2019, 4, 9), "present": present, "make_up": False,
        "group_id": data.GROUP["Pärnu"]})


def _substituted(h, left: str = "tori-p4") -> None:
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-tori", "left_participant_id": left, "member": NEWCOMER,
        "organisation": data.organisations("tori")[1], "team_name": "Meeskond tori"})


def _withdrawn(h, participant: str) -> None:
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-tori", "participant_id": participant,
                                             "reason": "left the job"})


def test_the_esf_reminder_reaches_members_who_left_after_attending_a_day_not_those_who_never_did(notify, smtp):
    h = notify()
    at(2019, 3, 15, 9, 0)
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    for n in range(1, 5):  # reporting's deadline is known from the acceptance on
        esf_deadline(h, f"tori-p{n}", DEADLINE)
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p1"})
    h.tick()
    assert recipients(smtp, "esf_data_request") == [f"liige{n}@tori.ee" for n in (2, 3, 4)]
    at(2019, 4, 9, 17, 30)  # Pärnu's day I: tori-p3 and tori-p4 attend, tori-p2 does not
    _present(h, "tori-p2", present=False)
    _present(h, "tori-p3")
    _present(h, "tori-p4")
    at(2019, 4, 15, 9, 0)  # tori-p4 is replaced, tori-p3 and tori-p2 withdraw
    _substituted(h)
    _withdrawn(h, "tori-p3")
    _withdrawn(h, "tori-p2")
    h.tick()
    smtp.clear()
    at(2019, 5, 7, 9, 0)  # NOTIFY_ESF_LEAD_DAYS (3) before the end of reporting's deadline
    h.tick()
    assert recipients(smtp, "esf_data_reminder") == ["liige3@tori.ee", LEAVER]
    reminder, = smtp.to(LEAVER, "esf_data_reminder")
    assert "Liige4" in reminder.text and "09.05.2019" in reminder.text and "/reporting/p/" in reminder.text
    h.tick()
    assert len(smtp.of("esf_data_reminder")) == 2  # once


def test_the_esf_reminder_to_one_who_left_waits_for_their_attendance_and_stops_with_reportings_completed(
        notify, smtp):
    h = notify()
    at(2019, 3, 15, 9, 0)
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    for n in range(1, 5):
        esf_deadline(h, f"tori-p{n}", DEADLINE)
    for n in (1, 2):
        h.deliver("reporting.esf_data.completed", {"participant_id": f"tori-p{n}"})
    at(2019, 4, 15, 9, 0)
    _substituted(h)
    _withdrawn(h, "tori-p3")
    h.tick()
    smtp.clear()
    at(2019, 5, 7, 9, 0)
    h.tick()
    assert smtp.of("esf_data_reminder") == []  # nothing says they attended: not in the report
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p3"})
    _present(h, "tori-p3")  # attendance told late (events have no order)
    _present(h, "tori-p4")
    h.tick()
    assert recipients(smtp, "esf_data_reminder") == [LEAVER]


def test_reportings_first_request_after_the_substitution_reaches_the_member_who_left(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    accepted = applied_acceptance_held_back(h)
    at(2019, 4, 9, 17, 30)
    _present(h, "tori-p4")
    at(2019, 4, 15, 9, 0)
    _substituted(h)  # heard of before the team's acceptance (events have no order)
    h.deliver(envelope=accepted)
    for n in (1, 2, 3):
        h.deliver("reporting.esf_data.completed", {"participant_id": f"tori-p{n}"})
    h.tick()
    assert smtp.to(LEAVER, "esf_data_request") == []
    at(2019, 4, 16, 9, 0)  # reporting keeps the form open and publishes its deadline
    esf_deadline(h, "tori-p4", DEADLINE)
    esf_deadline(h, "tori-p4", DEADLINE)  # a replay
    h.tick()
    request, = smtp.to(LEAVER, "esf_data_request")
    assert "09.05.2019" in request.subject and "/reporting/p/" in request.text
    at(2019, 5, 7, 9, 0)
    h.tick()
    assert recipients(smtp, "esf_data_reminder") == [LEAVER]
