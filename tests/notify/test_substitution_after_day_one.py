"""A member replaced after their group's day I (an edition may allow substitutions until day II or
III): the newcomer is asked to confirm, told at once of the day they missed with the make-up
sessions still open, reminded of the group's remaining days and, should they drop out, told so
as anyone; the member who left gets nothing more. A dropout whose claim billing waived by itself
(0.00: no day held for them) is not told of a claim that will not come."""
from __future__ import annotations

from datetime import date

from tests.notify import data
from tests.notify.data import at

NEWCOMER = {"participant_id": "tori-p5", "first_name": "Uus", "last_name": "Liige", "email": "uus@tori.ee",
            "organisation_id": "tori-ngo", "language": "et"}
LEAVER = "liige4@tori.ee"
NOTHING_TO_RECOVER = "no session day was held before the dropout: no costs to recover"  # billing's words


def _accepted_in_parnu(h, english: tuple[int, ...] = ()):
    at(2019, 3, 15, 9, 0)
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=english))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=english))
    for n in range(1, 5):  # ESF data given: only what the substitution causes is left to send
        h.deliver("reporting.esf_data.completed", {"participant_id": f"tori-p{n}"})
    h.tick()


def applied_acceptance_held_back(h):
    """The edition and team "tori" as notify heard them, and the team's acceptance not delivered yet."""
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    return h.envelope("enrolment.application.accepted", data.accepted("tori", "Pärnu"))


def _substitute(h):
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-tori", "left_participant_id": "tori-p4", "member": NEWCOMER,
        "organisation": data.organisations("tori")[1], "team_name": "Meeskond tori",
        "confirm_url": "http://127.0.0.1:8000/enrolment/p/confirm-tori-p5"})


def _absent_day_one(participant: str = "tori-p5") -> dict:
    """As attendance tells a newcomer at once: Pärnu's day I, made up before Pärnu's day II (30.04)."""
    return {"participant_id": participant, "application_id": "app-tori", "day_number": 1,
            "missed_session_id": data.session_id("Pärnu", 1),
            "make_up_sessions": [{"session_id": data.session_id(c, 1), "city": c, "date": d}
                                 for c, d in (("Rakvere", date(2019, 4, 16)), ("Tallinn", date(2019, 4, 17)))]}


def _dropped_out(participant: str, reason: str, days_held: int, days_attended: int = 0) -> dict:
    return {"participant_id": participant, "application_id": "app-tori", "group_id": data.GROUP["Pärnu"],
            "reason": reason, "days_attended": days_attended, "days_held": days_held,
            "employer": data.organisations("tori")[1 if participant == "tori-p5" else 0],
            "first_name": "Uus", "last_name": "Liige"}


def _waived(participant: str) -> dict:
    return {"claim_id": f"claim-{participant}", "participant_id": participant, "reason": NOTHING_TO_RECOVER,
            "cap": "768.00", "daily_rate": "256.00"}


def _proposed(participant: str, amount: str = "256.00", days_held: int = 1) -> dict:
    return {"claim_id": f"claim-{participant}", "participant_id": participant, "application_id": "app-tori",
            "employer": data.organisations("tori")[1], "amount_gross": amount, "days_held": days_held,
            "cap": "768.00", "daily_rate": "256.00"}


def test_a_newcomer_after_day_one_is_asked_to_confirm_and_told_of_the_missed_day_once(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    at(2019, 4, 6, 10, 0)  # Pärnu day I (09.04): the team as it was then is reminded
    h.tick()
    assert len(smtp.to(LEAVER, "session_reminder")) == 1
    smtp.clear()

    at(2019, 4, 15, 9, 0)  # after day I, before Pärnu's day II (30.04)
    _substitute(h)
    absent = _absent_day_one()
    h.deliver("attendance.participant.absent", absent)
    h.deliver("attendance.participant.absent", absent)  # the same fact again (a new event id)
    h.tick()
    h.tick()

    assert sorted(m.template for m in smtp.to("uus@tori.ee")) == [
        "absence_make_up", "application_accepted", "member_confirmation_request"]
    request, = smtp.to("uus@tori.ee", "member_confirmation_request")
    assert "Tere, Uus!" in request.text and "MTÜ Tori Selts" in request.text
    absence, = smtp.to("uus@tori.ee", "absence_make_up")
    assert absence.subject == "Puudumine I koolituspäevalt (09.04.2019)"
    for line in ("- teisipäev, 16.04.2019 – Rakvere, kell 10:00–17:00",
                 "- kolmapäev, 17.04.2019 – Tallinn, kell 10:00–17:00"):
        assert line in absence.text
    # They were not in the team on 09.04: not "according to our records you did not attend".
    assert "Liitusite meeskonnaga pärast 09.04.2019 toimunud I koolituspäeva" in absence.text
    assert "Meie andmetel ei osalenud te" not in absence.text
    assert "Liitusite meeskonnaga pärast 09.04.2019 toimunud I koolituspäeva" in absence.html
    assert "Enne teie liitumist toimunud päevade eest hüvitist ei nõuta." in absence.text
    assert "märgitud ekslikult" not in absence.text + absence.html
    assert [r for m in smtp.received for r in m.rcpt_tos if r == LEAVER] == []


def test_the_newcomer_gets_the_remaining_days_reminders_and_the_leaver_none(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()
    at(2019, 4, 15, 9, 0)
    _substitute(h)
    h.deliver("attendance.participant.absent", _absent_day_one())
    h.deliver("attendance.make_up.booked", {"participant_id": "tori-p5", "session_id": data.session_id("Rakvere", 1),
                                            "day_number": 1, "city": "Rakvere", "date": date(2019, 4, 16)})
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p5"})
    h.tick()  # the make-up in Rakvere (16.04) is less than three days ahead: reminded at once
    for moment in ((2019, 4, 27, 10, 0), (2019, 5, 19, 10, 0)):
        at(*moment)  # Pärnu day II (30.04) and day III (22.05)
        h.tick()
    assert sorted(m.subject for m in smtp.to("uus@tori.ee", "session_reminder")) == [
        "Meeldetuletus: I koolituspäev 16.04.2019 kell 10:00, Rakvere",
        "Meeldetuletus: II koolituspäev 30.04.2019 kell 10:00, Pärnu",
        "Meeldetuletus: III koolituspäev 22.05.2019 kell 10:00, Pärnu"]
    assert smtp.to(LEAVER) == []
    assert sorted(r for m in smtp.of("session_reminder") for r in m.rcpt_tos) == [
        "liige1@tori.ee", "liige1@tori.ee", "liige2@tori.ee", "liige2@tori.ee", "liige3@tori.ee",
        "liige3@tori.ee", "uus@tori.ee", "uus@tori.ee", "uus@tori.ee"]


def test_a_leavers_reminder_held_back_by_a_failure_is_not_sent_after_the_substitution(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()
    at(2019, 4, 27, 10, 0)  # Pärnu day II (30.04): the leaver's reminder fails for now
    smtp.refuse_next(*["451 4.3.0 Try again later"] * 4)  # the whole team's, the leaver's among them
    h.tick()
    assert smtp.of("session_reminder") == [] and smtp.handler.refusals == []
    at(2019, 4, 27, 10, 1)  # substituted before the retry (the edition allows it until day III)
    _substitute(h)
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p5"})
    for minute in (5, 30):
        at(2019, 4, 27, 11, minute)
        h.tick()
    assert smtp.to(LEAVER) == []
    assert sorted(r for m in smtp.of("session_reminder") for r in m.rcpt_tos) == [
        "liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee", "uus@tori.ee"]


def test_a_newcomer_who_cannot_make_up_day_one_is_told_of_the_dropout_without_a_claim(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    at(2019, 4, 15, 9, 0)
    _substitute(h)
    h.deliver("attendance.participant.absent", _absent_day_one())
    h.tick()
    smtp.clear()

    at(2019, 4, 17, 17, 0)  # Tallinn's day I was the last chance; no day held for them since they joined
    h.deliver("attendance.participant.dropped_out", _dropped_out("tori-p5", "absence", days_held=0))
    h.tick()
    assert smtp.received == []  # the notice waits for billing's claim, as for anyone
    h.deliver("billing.claim.waived", _waived("tori-p5"))
    h.tick()
    notice, = smtp.to("uus@tori.ee", "dropout_notice")
    assert notice.subject == "Teie osalemine arenguprogrammis on lõppenud"
    assert "Toimunud koolituspäevi: 0" in notice.text
    assert ("Korraldajad ei nõua teie tööandjalt (MTÜ Tori Selts) koolituskulude hüvitamist "
            "ja arvet ei esitata.") in notice.text
    for body in (notice.text, notice.html):
        assert "768" not in body and "õigus nõuda" not in body and "saadame arve" not in body
    assert smtp.to(LEAVER) == [] and len(smtp.received) == 1


def test_a_newcomer_who_drops_out_after_a_day_held_since_joining_is_told_of_the_claim_as_anyone(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    at(2019, 4, 15, 9, 0)
    _substitute(h)
    h.tick()
    smtp.clear()
    at(2019, 5, 2, 9, 0)  # withdrew after Pärnu's day II (held since they joined)
    h.deliver("attendance.participant.dropped_out", _dropped_out("tori-p5", "withdrawal", days_held=1,
                                                                 days_attended=1))
    h.deliver("billing.claim.proposed", _proposed("tori-p5"))
    h.tick()
    notice, = smtp.to("uus@tori.ee", "dropout_notice")
    assert "kuni 768,00 € ulatuses koos käibemaksuga" in notice.text and "MTÜ Tori Selts" in notice.text
    assert "ei nõua" not in notice.text
    assert smtp.to(LEAVER) == []


def test_a_dropout_whose_zero_claim_billing_waived_is_not_told_of_a_claim_in_either_language(notify, smtp):
    h = notify()
    _accepted_in_parnu(h, english=(2,))
    smtp.clear()
    at(2019, 4, 1, 9, 0)  # the team withdraws before day I: nothing was spent on them
    for n in (1, 2):
        h.deliver("attendance.participant.dropped_out", {
            **_dropped_out(f"tori-p{n}", "withdrawal", days_held=0), "first_name": f"Liige{n}", "last_name": "Tori"})
    for n in (1, 2):
        h.deliver("billing.claim.waived", _waived(f"tori-p{n}"))
    h.tick()
    et, = smtp.to("liige1@tori.ee", "dropout_notice")
    en, = smtp.to("liige2@tori.ee", "dropout_notice")
    assert "Korraldajad ei nõua teie tööandjalt (Tori Vallavalitsus) koolituskulude hüvitamist" in et.text
    assert ("The organisers will not claim any training costs from your employer (Tori Vallavalitsus), "
            "and no invoice will be sent.") in en.text
    for body in (et.text, et.html, en.text, en.html):
        assert "768" not in body
    assert "up to" not in en.text + en.html and "kuni" not in et.text + et.html


def test_a_claim_proposed_after_a_waiver_is_stated_and_an_older_waiver_arriving_late_changes_nothing(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()
    at(2019, 4, 20, 9, 0)
    h.deliver("attendance.participant.dropped_out", {**_dropped_out("tori-p1", "absence", days_held=1),
                                                     "first_name": "Liige1", "last_name": "Tori"})
    older = h.envelope("billing.claim.waived", _waived("tori-p1"))  # published before the proposal
    at(2019, 4, 20, 9, 5)
    h.deliver("billing.claim.proposed", _proposed("tori-p1"))
    h.deliver(envelope=older)  # delivered after it (no order on the bus)
    h.tick()
    notice, = smtp.to("liige1@tori.ee", "dropout_notice")
    assert "kuni 768,00 € ulatuses" in notice.text and "ei nõua" not in notice.text


def test_a_substitution_handled_before_the_teams_acceptance_still_puts_the_newcomer_in_the_group(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    accepted = applied_acceptance_held_back(h)
    at(2019, 4, 15, 9, 0)
    _substitute(h)
    h.deliver(envelope=accepted)  # the acceptance handled after it (redelivered, replayed)
    for n in range(1, 6):
        h.deliver("reporting.esf_data.completed", {"participant_id": f"tori-p{n}"})
    h.tick()
    assert len(smtp.to("uus@tori.ee", "application_accepted")) == 1
    smtp.clear()
    at(2019, 4, 27, 10, 0)  # Pärnu day II (30.04)
    h.tick()
    assert sorted(r for m in smtp.of("session_reminder") for r in m.rcpt_tos) == [
        "liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee", "uus@tori.ee"]


def _rule_changed(allowed: bool) -> dict:
    return {"edition_id": data.EDITION, "make_ups_allowed": allowed, "window": "before_own_next_day",
            "revision": 1, "changed_at": data.tallinn(2019, 4, 1, 12)}


def _newcomer_in(language: str) -> dict:
    return {**NEWCOMER, "language": language}


def test_the_newcomers_acceptance_marks_the_days_held_before_they_joined(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    team, = smtp.to("liige1@tori.ee", "application_accepted")  # at 15.03, before anything was held
    assert "liitumist" not in team.text + team.html
    smtp.clear()
    at(2019, 4, 15, 9, 0)  # after Pärnu's day I (09.04), before day II (30.04)
    _substitute(h)
    h.tick()
    accepted, = smtp.to("uus@tori.ee", "application_accepted")
    assert ("- I päev: teisipäev, 09.04.2019, kell 10:00–17:00 "
            "(toimus enne teie liitumist — tuleb järele teha)") in accepted.text
    assert "- II päev: teisipäev, 30.04.2019, kell 10:00–17:00\r\n" in accepted.text
    assert "- III päev: kolmapäev, 22.05.2019, kell 10:00–17:00\r\n" in accepted.text
    assert accepted.text.count("enne teie liitumist") == 1
    assert "(toimus enne teie liitumist — tuleb järele teha)</strong>" in accepted.html


def test_with_make_ups_off_the_newcomers_acceptance_says_the_day_before_joining_cannot_be_made_up(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    h.deliver("attendance.make_up_rule.changed", _rule_changed(False))
    smtp.clear()
    at(2019, 5, 2, 9, 0)  # after day II (30.04): two days before joining; English
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-tori", "left_participant_id": "tori-p4", "member": _newcomer_in("en"),
        "organisation": data.organisations("tori")[1], "team_name": "Meeskond tori"})
    h.tick()
    accepted, = smtp.to("uus@tori.ee", "application_accepted")
    for day, date_ in (("Day 1: Tuesday", "9 April 2019"), ("Day 2: Tuesday", "30 April 2019")):
        assert f"- {day}, {date_}, 10:00–17:00 (held before you joined — it cannot be made up)" in accepted.text
    assert "- Day 3: Wednesday, 22 May 2019, 10:00–17:00\r\n" in accepted.text
    assert accepted.html.count("held before you joined — it cannot be made up") == 2
    assert "to be made up" not in accepted.text + accepted.html


def test_an_acceptance_handled_after_the_late_substitution_marks_the_newcomers_missed_day(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    accepted = applied_acceptance_held_back(h)
    at(2019, 4, 15, 9, 0)
    _substitute(h)
    h.deliver(envelope=accepted)  # redelivered or replayed after the substitution
    h.tick()
    newcomer, = smtp.to("uus@tori.ee", "application_accepted")
    assert "(toimus enne teie liitumist — tuleb järele teha)" in newcomer.text
    member, = smtp.to("liige1@tori.ee", "application_accepted")
    assert "liitumist" not in member.text


def test_the_coordinators_esf_request_again_reaches_a_member_substituted_after_attending_a_day(notify, smtp):
    h = notify()
    at(2019, 3, 15, 9, 0)
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    for n in (1, 2):
        h.deliver("reporting.esf_data.completed", {"participant_id": f"tori-p{n}"})
    h.tick()
    at(2019, 4, 15, 9, 0)  # tori-p4 attended day I and was replaced; tori-p3 withdrew after it
    _substitute(h)
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-tori", "participant_id": "tori-p3",
                                             "reason": "left the job"})
    h.tick()
    smtp.clear()
    at(2019, 4, 20, 10, 0)  # reporting keeps their forms open and the coordinator asks again
    for participant, request in (("tori-p4", "esf-req-0004"), ("tori-p3", "esf-req-0003")):
        h.deliver("reporting.esf_data.requested_again", {"participant_id": participant, "request_id": request,
                                                         "deadline": date(2019, 5, 9)})
    h.deliver("reporting.esf_data.requested_again", {"participant_id": "tori-p4", "request_id": "esf-req-0004",
                                                     "deadline": date(2019, 5, 9)})  # a replay
    h.tick()
    again, = smtp.to(LEAVER, "esf_data_reminder")
    assert "Tere, Liige4!" in again.text and "09.05.2019" in again.text and "/reporting/p/" in again.text
    assert len(smtp.to("liige3@tori.ee", "esf_data_reminder")) == 1
    assert len(smtp.received) == 2
