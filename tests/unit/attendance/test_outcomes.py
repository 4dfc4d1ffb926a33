import pytest

from services.attendance.domain.outcomes import DayState, Outcome, days_held_by, participant_standing
from services.attendance.domain.schedule import UnknownSession

from .calendar2019 import PARNU, RAKVERE, TALLINN_GROUP, TARTU, session_id, tallinn_time


def parnu(day: int) -> str:
    return session_id("Pärnu", day)


def states(standing) -> list[str]:
    return [d.state.value for d in standing.days]


# --- the acceptance cases ------------------------------------------------------------


def test_parnu_participant_absent_on_9_april_who_attends_tartu_on_11_april_completes(schedule):
    facts = [(parnu(1), False), (session_id("Tartu", 1), True)]

    on_the_evening = participant_standing(schedule, PARNU, facts[:1], tallinn_time("09.04", 18))
    assert states(on_the_evening) == ["absent_open", "upcoming", "upcoming"]
    assert on_the_evening.at_risk

    after_tartu = participant_standing(schedule, PARNU, facts, tallinn_time("11.04", 17))
    assert states(after_tartu) == ["made_up", "upcoming", "upcoming"]
    assert after_tartu.day(1).made_up_at == schedule.get(session_id("Tartu", 1))
    assert after_tartu.outcome is Outcome.IN_PROGRESS and not after_tartu.at_risk

    facts += [(parnu(2), True), (parnu(3), True)]
    at_the_end = participant_standing(schedule, PARNU, facts, tallinn_time("22.05", 17))
    assert states(at_the_end) == ["made_up", "attended", "attended"]
    assert at_the_end.outcome is Outcome.COMPLETED
    assert at_the_end.days_attended == 3
    assert at_the_end.dropped_out_at is None


def test_parnu_participant_absent_on_9_april_drops_out_when_tallinns_17_april_session_ends(schedule):
    facts = {parnu(1): False}

    a_minute_before = participant_standing(schedule, PARNU, facts, tallinn_time("17.04", 16, 59))
    assert a_minute_before.outcome is Outcome.IN_PROGRESS
    assert a_minute_before.day(1).state is DayState.ABSENT_OPEN
    assert [s.city for s in a_minute_before.day(1).open_make_ups] == ["Tallinn"]
    assert a_minute_before.at_risk

    at_five = participant_standing(schedule, PARNU, facts, tallinn_time("17.04", 17))
    assert at_five.outcome is Outcome.DROPPED_OUT
    assert at_five.day(1).state is DayState.MISSED
    assert at_five.dropped_out_at == tallinn_time("17.04", 17)
    assert at_five.days_attended == 0
    assert at_five.days_held == 1  # only Pärnu's own 09.04 had been held
    assert not at_five.at_risk


def test_remaining_chances_shown_to_a_participant_at_risk(schedule):
    standing = participant_standing(schedule, PARNU, {parnu(1): False}, tallinn_time("12.04", 9))
    (open_day,) = standing.open_days
    assert [s.date_text for s in open_day.open_make_ups] == ["16.04.2019", "17.04.2019"]
    assert open_day.last_chance_ends_at == tallinn_time("17.04", 17)


def test_tallinn_participant_absent_on_17_april_drops_out_that_evening(schedule):
    facts = {session_id("Tallinn", 1): False}

    during_the_day = participant_standing(schedule, TALLINN_GROUP, facts, tallinn_time("17.04", 12))
    assert during_the_day.outcome is Outcome.IN_PROGRESS
    assert during_the_day.day(1).state is DayState.ABSENT_OPEN
    assert during_the_day.day(1).open_make_ups == ()  # nothing to offer: only a late arrival helps

    evening = participant_standing(schedule, TALLINN_GROUP, facts, tallinn_time("17.04", 17))
    assert evening.outcome is Outcome.DROPPED_OUT
    assert evening.dropped_out_at == tallinn_time("17.04", 17)
    assert evening.days_held == 1


def test_a_refused_make_up_does_not_count(schedule):
    # Tartu missed day I (11.04) and turned up at Tallinn's day II (09.05): not a make-up.
    facts = {session_id("Tartu", 1): False, session_id("Tallinn", 2): True}
    standing = participant_standing(schedule, TARTU, facts, tallinn_time("09.05", 18))
    assert standing.day(1).state is DayState.MISSED
    assert standing.outcome is Outcome.DROPPED_OUT
    assert standing.dropped_out_at == tallinn_time("17.04", 17)
    # It does make up Tartu's own day II (02.05), which had nothing recorded.
    assert standing.day(2).state is DayState.MADE_UP


def test_a_presence_at_an_earlier_day_i_does_not_make_up_a_later_one(schedule):
    # Rakvere's day I is 16.04; Pärnu's (09.04) lies before it.
    facts = {session_id("Pärnu", 1): True, session_id("Rakvere", 1): False}
    standing = participant_standing(schedule, RAKVERE, facts, tallinn_time("16.04", 18))
    assert standing.day(1).state is DayState.ABSENT_OPEN
    assert [s.city for s in standing.day(1).open_make_ups] == ["Tallinn"]
    assert standing.ignored_session_ids == (session_id("Pärnu", 1),)


def test_correcting_an_absence_to_present_undoes_the_dropout(schedule):
    absent = {parnu(1): False}
    later = tallinn_time("18.04", 9)
    assert participant_standing(schedule, PARNU, absent, later).outcome is Outcome.DROPPED_OUT

    corrected = [(parnu(1), False), (parnu(1), True)]  # the history, the correction last
    reinstated = participant_standing(schedule, PARNU, corrected, later)
    assert reinstated.outcome is Outcome.IN_PROGRESS
    assert reinstated.dropped_out_at is None
    assert states(reinstated) == ["attended", "upcoming", "upcoming"]

    all_present = {parnu(1): True, parnu(2): True, parnu(3): True}
    assert (
        participant_standing(schedule, PARNU, all_present, tallinn_time("22.05", 17)).outcome
        is Outcome.COMPLETED
    )


def test_correcting_a_make_up_presence_to_absent_brings_the_dropout_back(schedule):
    made_up = {parnu(1): False, session_id("Rakvere", 1): True}
    assert (
        participant_standing(schedule, PARNU, made_up, tallinn_time("18.04", 9)).outcome
        is Outcome.IN_PROGRESS
    )
    undone = {**made_up, session_id("Rakvere", 1): False}
    standing = participant_standing(schedule, PARNU, undone, tallinn_time("18.04", 9))
    assert standing.outcome is Outcome.DROPPED_OUT
    assert standing.dropped_out_at == tallinn_time("17.04", 17)


# --- the finer points ------------------------------------------------------------------------


def test_before_anything_happened_every_day_is_upcoming(schedule):
    standing = participant_standing(schedule, TARTU, {}, tallinn_time("01.04", 9))
    assert states(standing) == ["upcoming"] * 3
    assert standing.outcome is Outcome.IN_PROGRESS
    assert standing.days_held == 0 and standing.days_attended == 0


def test_nothing_recorded_after_the_own_session_counts_as_absent(schedule):
    standing = participant_standing(schedule, TARTU, {}, tallinn_time("11.04", 17))
    day_one = standing.day(1)
    assert day_one.state is DayState.ABSENT_OPEN
    assert day_one.own_record is None  # lets the service wait for the sheet before notifying
    assert participant_standing(schedule, TARTU, {}, tallinn_time("17.04", 17)).outcome is Outcome.DROPPED_OUT


def test_presence_recorded_during_the_session_counts_at_once(schedule):
    standing = participant_standing(
        schedule, TARTU, {session_id("Tartu", 1): True}, tallinn_time("11.04", 10, 15)
    )
    assert standing.day(1).state is DayState.ATTENDED
    assert standing.day(1).own_record is True


def test_missing_a_later_day_drops_out_when_that_days_chances_are_over(schedule):
    facts = {parnu(1): True, parnu(2): False}
    assert (
        participant_standing(schedule, PARNU, facts, tallinn_time("09.05", 16)).outcome is Outcome.IN_PROGRESS
    )
    standing = participant_standing(schedule, PARNU, facts, tallinn_time("09.05", 17))
    assert standing.outcome is Outcome.DROPPED_OUT
    assert standing.dropped_out_at == tallinn_time("09.05", 17)
    assert standing.days_attended == 1
    assert standing.days_held == 2  # Pärnu held 09.04 and 30.04 by then


def test_day_three_can_be_made_up_until_the_last_day_iii(schedule):
    facts = {parnu(1): True, parnu(2): True, parnu(3): False}
    waiting = participant_standing(schedule, PARNU, facts, tallinn_time("05.06", 12))
    assert [s.city for s in waiting.day(3).open_make_ups] == ["Tallinn"]
    made_up = participant_standing(
        schedule, PARNU, {**facts, session_id("Tallinn", 3): True}, tallinn_time("06.06", 17)
    )
    assert made_up.outcome is Outcome.COMPLETED
    missed = participant_standing(schedule, PARNU, facts, tallinn_time("06.06", 17))
    assert missed.outcome is Outcome.DROPPED_OUT
    assert missed.days_held == 3


def test_the_first_day_to_become_final_dates_the_dropout(schedule):
    facts = {parnu(1): False, parnu(2): False}
    standing = participant_standing(schedule, PARNU, facts, tallinn_time("10.05", 9))
    assert [d.state for d in standing.days[:2]] == [DayState.MISSED, DayState.MISSED]
    assert standing.dropped_out_at == tallinn_time("17.04", 17)
    assert standing.days_held == 1


def test_a_second_make_up_presence_is_harmless(schedule):
    facts = {parnu(1): False, session_id("Tartu", 1): True, session_id("Tallinn", 1): True}
    standing = participant_standing(schedule, PARNU, facts, tallinn_time("18.04", 9))
    assert standing.day(1).made_up_at.city == "Tartu"
    assert standing.days_attended == 1
    assert standing.ignored_session_ids == ()


def test_a_make_up_booking_recorded_absent_leaves_the_day_open(schedule):
    facts = {parnu(1): False, session_id("Tartu", 1): False}
    standing = participant_standing(schedule, PARNU, facts, tallinn_time("12.04", 9))
    assert standing.day(1).state is DayState.ABSENT_OPEN
    assert standing.ignored_session_ids == ()


def test_unknown_sessions_are_ignored_and_listed(schedule):
    standing = participant_standing(schedule, PARNU, {"2018-parnu-1": True}, tallinn_time("01.04", 9))
    assert standing.ignored_session_ids == ("2018-parnu-1",)


def test_an_unknown_group_is_an_error(schedule):
    with pytest.raises(UnknownSession):
        participant_standing(schedule, "2019-viljandi", {}, tallinn_time("01.04", 9))


def test_days_held_by_a_withdrawal(schedule):
    assert days_held_by(schedule, RAKVERE, tallinn_time("16.04", 16, 59)) == 0
    assert days_held_by(schedule, RAKVERE, tallinn_time("16.04", 17)) == 1
    assert days_held_by(schedule, RAKVERE, tallinn_time("20.05", 12)) == 2
    assert days_held_by(schedule, RAKVERE, tallinn_time("31.12", 0)) == 3


def test_a_booked_make_up_over_with_nothing_recorded_there_is_listed(schedule):
    tartu, tallinn = session_id("Tartu", 1), session_id("Tallinn", 1)
    facts = {parnu(1): False}
    before = participant_standing(schedule, PARNU, facts, tallinn_time("11.04", 16), booked=[tartu])
    assert before.day(1).unrecorded_make_ups == ()  # still running
    after = participant_standing(schedule, PARNU, facts, tallinn_time("18.04", 9), booked=[tartu, tallinn])
    assert after.day(1).state is DayState.MISSED  # the service decides what waiting for the sheet means
    assert [s.city for s in after.day(1).unrecorded_make_ups] == ["Tartu", "Tallinn"]
    recorded = participant_standing(schedule, PARNU, {**facts, tallinn: False}, tallinn_time("18.04", 9),
                                    booked=[tartu, tallinn])
    assert [s.city for s in recorded.day(1).unrecorded_make_ups] == ["Tartu"]
    # A booking that cannot make the day up (another day's session) is not waited for.
    other_day = participant_standing(schedule, PARNU, facts, tallinn_time("18.04", 9),
                                     booked=[session_id("Tartu", 2)])
    assert other_day.day(1).unrecorded_make_ups == ()


def test_with_make_ups_off_an_absence_on_day_one_is_a_dropout_when_the_own_session_ends(schedule):
    from services.attendance.domain.makeup import MakeUpRule
    off = MakeUpRule(allowed=False)
    facts = [(parnu(1), False)]
    during = participant_standing(schedule, PARNU, facts, tallinn_time("09.04", 16, 59), rule=off)
    assert states(during) == ["absent_open", "upcoming", "upcoming"] and during.day(1).open_make_ups == ()
    evening = participant_standing(schedule, PARNU, facts, tallinn_time("09.04", 17), rule=off)
    assert evening.outcome is Outcome.DROPPED_OUT and evening.dropped_out_at == tallinn_time("09.04", 17)
    assert evening.days_held == 1
    # A presence elsewhere counts for nothing under that rule.
    elsewhere = participant_standing(schedule, PARNU, [*facts, (session_id("Tartu", 1), True)],
                                     tallinn_time("11.04", 17), rule=off)
    assert elsewhere.outcome is Outcome.DROPPED_OUT and elsewhere.ignored_session_ids == (session_id("Tartu", 1),)


# --- a substitute who joined after their group's day(s) -----------------------------------------


def test_a_substitute_misses_the_days_begun_before_joining_and_is_charged_none_of_them(schedule):
    joined = tallinn_time("15.04", 9)
    standing = participant_standing(schedule, PARNU, {}, tallinn_time("15.04", 9), joined_at=joined)
    day_one = standing.day(1)
    assert (day_one.state, day_one.own_record, day_one.before_joining) == (DayState.ABSENT_OPEN, None, True)
    assert day_one.absent_on_record and standing.at_risk
    assert [s.city for s in day_one.open_make_ups] == ["Rakvere", "Tallinn"]
    assert standing.days_held == 0

    # Nothing made up by Tallinn's 17.04: out then; day II held since joining is charged.
    out = participant_standing(schedule, PARNU, {parnu(2): True}, tallinn_time("01.05", 9), joined_at=joined)
    assert out.outcome is Outcome.DROPPED_OUT and out.dropped_out_at == tallinn_time("17.04", 17)
    assert out.days_held == 0
    assert days_held_by(schedule, PARNU, tallinn_time("01.05", 9), joined) == 1
    assert days_held_by(schedule, PARNU, tallinn_time("01.05", 9)) == 2  # everyone else: as before

    # Joined after day I's last chance: out from when they joined, at no cost.
    late = tallinn_time("01.05", 9)
    at_once = participant_standing(schedule, PARNU, {}, late, joined_at=late)
    assert at_once.outcome is Outcome.DROPPED_OUT and at_once.dropped_out_at == late and at_once.days_held == 0


def test_a_substitute_joining_during_the_session_may_still_be_recorded_there(schedule):
    joined = tallinn_time("09.04", 12)
    during = participant_standing(schedule, PARNU, {}, tallinn_time("09.04", 13), joined_at=joined)
    assert during.day(1).state is DayState.ABSENT_OPEN and during.day(1).before_joining
    came = participant_standing(schedule, PARNU, {parnu(1): True}, tallinn_time("09.04", 13), joined_at=joined)
    assert came.day(1).state is DayState.ATTENDED and not came.day(1).before_joining
    # Joined before day I: nothing changes.
    early = participant_standing(schedule, PARNU, {}, tallinn_time("09.04", 18), joined_at=tallinn_time("01.04", 9))
    assert early.day(1).own_record is None and not early.day(1).before_joining
