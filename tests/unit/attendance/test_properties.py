"""Properties of the make-up rule and the standings over schedules derived from 2019.

Schedules are either the real calendar for some of the cities, or the real calendar with
dates moved by up to a couple of weeks (a group's days kept in order), which produces the
overlaps and late sessions that the real calendar never has.
"""

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.attendance.domain.makeup import MakeUpRefused, check_make_up, make_up_sessions
from services.attendance.domain.outcomes import DayState, Outcome, participant_standing
from services.attendance.domain.schedule import DAY_NUMBERS, Schedule

from .calendar2019 import CITIES, sessions_2019, tallinn_time

FIRST_MOMENT = tallinn_time("25.03", 0)
LAST_MOMENT = tallinn_time("15.06", 0)

city_subsets = st.lists(st.sampled_from(CITIES), min_size=1, max_size=4, unique=True)


@st.composite
def schedules(draw) -> Schedule:
    sessions = sessions_2019(draw(city_subsets))
    if draw(st.booleans()):
        return Schedule(sessions)
    moved = []
    for group_sessions in (sessions[i : i + 3] for i in range(0, len(sessions), 3)):
        shifts = sorted(
            draw(st.lists(st.integers(min_value=-14 * 24, max_value=14 * 24), min_size=3, max_size=3))
        )
        starts = sorted(s.starts_at + timedelta(hours=h) for s, h in zip(group_sessions, shifts, strict=True))
        for session, start in zip(group_sessions, starts, strict=True):
            moved.append(replace(session, starts_at=start, ends_at=start + timedelta(hours=7)))
    return Schedule(moved)


@st.composite
def situations(draw):
    """A schedule, a participant's group, their attendance facts, and a moment."""
    schedule = draw(schedules())
    group = draw(st.sampled_from(schedule.group_ids()))
    facts = {
        s.session_id: present
        for s in schedule
        if (present := draw(st.sampled_from([None, True, False]))) is not None
    }
    minutes = int((LAST_MOMENT - FIRST_MOMENT).total_seconds() // 60)
    now = FIRST_MOMENT + timedelta(minutes=draw(st.integers(min_value=0, max_value=minutes)))
    return schedule, group, facts, now


@settings(max_examples=300)
@given(situations())
def test_completed_exactly_when_every_day_is_attended_or_made_up(situation):
    schedule, group, facts, now = situation
    standing = participant_standing(schedule, group, facts, now)
    every_day_counts = all(d.state in (DayState.ATTENDED, DayState.MADE_UP) for d in standing.days)
    assert (standing.outcome is Outcome.COMPLETED) == every_day_counts
    assert standing.days_attended == sum(
        d.state in (DayState.ATTENDED, DayState.MADE_UP) for d in standing.days
    )


@settings(max_examples=300)
@given(situations())
def test_dropped_out_at_is_never_before_the_missed_session_ended(situation):
    schedule, group, facts, now = situation
    standing = participant_standing(schedule, group, facts, now)
    missed = [d for d in standing.days if d.state is DayState.MISSED]
    assert (standing.outcome is Outcome.DROPPED_OUT) == bool(missed) == (standing.dropped_out_at is not None)
    if missed:
        assert standing.dropped_out_at <= now
        assert standing.dropped_out_at >= min(d.own_session.ends_at for d in missed)
        for day in missed:
            assert day.last_chance_ends_at >= day.own_session.ends_at
        # By then at least the missed day's own session was held.
        assert 1 <= standing.days_held <= 3


@settings(max_examples=300)
@given(situations(), st.integers(min_value=0, max_value=60 * 24 * 30))
def test_time_never_undoes_a_dropout_or_a_completion(situation, later_by_minutes):
    schedule, group, facts, now = situation
    before = participant_standing(schedule, group, facts, now)
    after = participant_standing(schedule, group, facts, now + timedelta(minutes=later_by_minutes))
    if before.outcome is not Outcome.IN_PROGRESS:
        assert after.outcome is before.outcome
        assert after.dropped_out_at == before.dropped_out_at
    if before.outcome is Outcome.DROPPED_OUT:
        assert after.days_held == before.days_held  # what a claim charges must not drift


@settings(max_examples=300)
@given(situations(), st.data())
def test_correcting_an_absence_to_a_presence_never_hurts(situation, data):
    schedule, group, facts, now = situation
    absences = sorted(sid for sid, present in facts.items() if not present)
    if not absences:
        return
    corrected_id = data.draw(st.sampled_from(absences))
    before = participant_standing(schedule, group, facts, now)
    after = participant_standing(schedule, group, {**facts, corrected_id: True}, now)
    assert after.days_attended >= before.days_attended
    if before.outcome is not Outcome.DROPPED_OUT:
        assert after.outcome is not Outcome.DROPPED_OUT


@settings(max_examples=300)
@given(situations())
def test_at_risk_means_in_progress_with_a_day_still_open(situation):
    schedule, group, facts, now = situation
    standing = participant_standing(schedule, group, facts, now)
    if standing.at_risk:
        assert standing.outcome is Outcome.IN_PROGRESS
        for day in standing.open_days:
            assert now < day.last_chance_ends_at
            assert all(not s.has_ended(now) for s in day.open_make_ups)


@settings(max_examples=300)
@given(schedules(), st.data())
def test_any_make_up_check_make_up_accepts_is_among_the_candidates(schedule, data):
    group = data.draw(st.sampled_from(schedule.group_ids()))
    day = data.draw(st.sampled_from(DAY_NUMBERS))
    target = data.draw(st.sampled_from(schedule.sessions))
    seats = data.draw(st.one_of(st.none(), st.integers(min_value=0, max_value=30)))
    taken = data.draw(st.integers(min_value=0, max_value=35))
    target = replace(target, seats=seats)
    candidates = make_up_sessions(schedule, group, day)
    try:
        check_make_up(schedule, group, day, target, taken)
    except MakeUpRefused as refused:
        # Refused only by the rule, or for want of a seat.
        assert target.session_id not in {s.session_id for s in candidates} or refused.code == "session_full"
    else:
        assert target.session_id in {s.session_id for s in candidates}
        assert target.group_id != group and target.day_number == day


@settings(max_examples=200)
@given(schedules(), st.data())
def test_candidates_lie_between_the_own_session_and_the_own_next_day(schedule, data):
    group = data.draw(st.sampled_from(schedule.group_ids()))
    day = data.draw(st.sampled_from(DAY_NUMBERS))
    own = schedule.session_of(group, day)
    following = schedule.next_session_of(group, day)
    for candidate in make_up_sessions(schedule, group, day):
        assert candidate.starts_at >= own.ends_at
        assert following is None or candidate.ends_at <= following.starts_at
