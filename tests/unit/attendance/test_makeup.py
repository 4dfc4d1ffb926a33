from dataclasses import replace
from datetime import timedelta

import pytest

from services.attendance.domain.makeup import (
    AFTER_OWN_NEXT_DAY,
    ANY_LATER_SAME_DAY,
    BEFORE_OWN_NEXT_DAY,
    BEFORE_OWN_SESSION,
    BROCHURE_RULE,
    DIFFERENT_DAY,
    MAKE_UPS_NOT_ALLOWED,
    SAME_GROUP,
    SESSION_FULL,
    MakeUpRefused,
    MakeUpRule,
    check_make_up,
    free_seats,
    last_chance_ends_at,
    make_up_sessions,
    make_up_window,
    open_make_up_sessions,
)
from services.attendance.domain.schedule import Schedule, Session

from .calendar2019 import (
    PARNU,
    RAKVERE,
    TALLINN_GROUP,
    TARTU,
    group_id,
    schedule_2019,
    session_id,
    sessions_2019,
    tallinn_time,
)


def cities(sessions: list[Session]) -> list[str]:
    return [s.city for s in sessions]


# Every candidate in the 2019 calendar, worked out by hand from the DOMAIN.md table.
EXPECTED_2019 = {
    ("Pärnu", 1): ["Tartu", "Rakvere", "Tallinn"],
    ("Tartu", 1): ["Rakvere", "Tallinn"],
    ("Rakvere", 1): ["Tallinn"],
    ("Tallinn", 1): [],  # the last day I: no make-up
    ("Pärnu", 2): ["Tartu", "Rakvere", "Tallinn"],
    ("Tartu", 2): ["Rakvere", "Tallinn"],
    ("Rakvere", 2): ["Tallinn"],
    ("Tallinn", 2): [],
    ("Pärnu", 3): ["Tartu", "Rakvere", "Tallinn"],
    ("Tartu", 3): ["Rakvere", "Tallinn"],
    ("Rakvere", 3): ["Tallinn"],
    ("Tallinn", 3): [],  # the last day III: no make-up
}


@pytest.mark.parametrize("city, day", EXPECTED_2019)
def test_make_up_sessions_of_the_2019_calendar(schedule, city, day):
    found = make_up_sessions(schedule, group_id(city), day)
    assert cities(found) == EXPECTED_2019[(city, day)]
    assert all(s.day_number == day for s in found)


def test_parnu_day_one_can_be_made_up_in_tartu_rakvere_or_tallinn(schedule):
    assert [s.date_text for s in make_up_sessions(schedule, PARNU, 1)] == [
        "11.04.2019",
        "16.04.2019",
        "17.04.2019",
    ]
    assert last_chance_ends_at(schedule, PARNU, 1) == tallinn_time("17.04", 17)


def test_without_make_up_the_last_chance_is_the_own_session(schedule):
    assert last_chance_ends_at(schedule, TALLINN_GROUP, 1) == tallinn_time("17.04", 17)
    assert last_chance_ends_at(schedule, TALLINN_GROUP, 3) == tallinn_time("06.06", 17)


def test_open_make_up_sessions_shrink_as_they_end(schedule):
    assert cities(open_make_up_sessions(schedule, PARNU, 1, tallinn_time("09.04", 17))) == [
        "Tartu",
        "Rakvere",
        "Tallinn",
    ]
    assert cities(open_make_up_sessions(schedule, PARNU, 1, tallinn_time("11.04", 16, 59))) == [
        "Tartu",
        "Rakvere",
        "Tallinn",
    ]
    assert cities(open_make_up_sessions(schedule, PARNU, 1, tallinn_time("11.04", 17))) == [
        "Rakvere",
        "Tallinn",
    ]
    assert cities(open_make_up_sessions(schedule, PARNU, 1, tallinn_time("17.04", 16, 59))) == ["Tallinn"]
    assert open_make_up_sessions(schedule, PARNU, 1, tallinn_time("17.04", 17)) == []


def test_candidates_do_not_depend_on_seats():
    full_everywhere = schedule_2019(seats={session_id(c, 1): 0 for c in ("Tartu", "Rakvere", "Tallinn")})
    assert cities(make_up_sessions(full_everywhere, PARNU, 1)) == ["Tartu", "Rakvere", "Tallinn"]


def test_accepted_make_ups(schedule):
    check_make_up(schedule, PARNU, 1, schedule.get(session_id("Tallinn", 1)), taken_seats=30)
    check_make_up(schedule, PARNU, 2, schedule.get(session_id("Tallinn", 2)), taken_seats=0)
    check_make_up(schedule, TARTU, 3, schedule.get(session_id("Tallinn", 3)), taken_seats=0)


def refusal(schedule, group, day, target_id, taken_seats=0) -> MakeUpRefused:
    with pytest.raises(MakeUpRefused) as caught:
        check_make_up(schedule, group, day, schedule.get(target_id), taken_seats)
    return caught.value


def test_own_group_session_is_not_a_make_up(schedule):
    refused = refusal(schedule, PARNU, 1, session_id("Pärnu", 1))
    assert refused.code == SAME_GROUP
    assert "oma grupi" in refused.message_et and "own group" in refused.message_en


def test_a_tartu_participant_who_missed_day_one_cannot_use_tallinns_day_two(schedule):
    refused = refusal(schedule, TARTU, 1, session_id("Tallinn", 2))
    assert refused.code == DIFFERENT_DAY
    assert refused.message_en == (
        "A missed day I can only be made up at another group's day I; Tallinn 09.05.2019 is day II."
    )


def test_an_earlier_day_i_cannot_make_up_a_later_one(schedule):
    # Tartu's day I was on 11.04; Pärnu's on 09.04 was already over.
    refused = refusal(schedule, TARTU, 1, session_id("Pärnu", 1))
    assert refused.code == BEFORE_OWN_SESSION
    assert "11.04.2019" in refused.message_et and "09.04.2019" in refused.message_et


@pytest.mark.parametrize(
    "city, day, target_city",
    [
        ("Tallinn", 1, "Rakvere"),
        ("Tallinn", 1, "Pärnu"),
        ("Rakvere", 2, "Tartu"),
        ("Tallinn", 3, "Rakvere"),  # for day III only a later session counts
        ("Tartu", 3, "Pärnu"),
    ],
)
def test_day_n_sessions_before_the_own_missed_one_are_refused(schedule, city, day, target_city):
    assert refusal(schedule, group_id(city), day, session_id(target_city, day)).code == BEFORE_OWN_SESSION


def rescheduled(city: str, day: int, shift: timedelta) -> Schedule:
    """2019 with one session moved, as a coordinator might after a venue falls through."""
    moved_id = session_id(city, day)
    return Schedule(
        replace(s, starts_at=s.starts_at + shift, ends_at=s.ends_at + shift)
        if s.session_id == moved_id
        else s
        for s in sessions_2019()
    )


def test_a_make_up_after_the_own_next_day_is_refused():
    # Tallinn's day I moved from 17.04 to 03.05, after Tartu's day II on 02.05.
    schedule = rescheduled("Tallinn", 1, timedelta(days=16))
    refused = refusal(schedule, TARTU, 1, session_id("Tallinn", 1))
    assert refused.code == AFTER_OWN_NEXT_DAY
    assert "02.05.2019" in refused.message_et and "03.05.2019" in refused.message_en
    # Pärnu's day II is on 30.04, so Pärnu loses it too; Rakvere (day II on 07.05) keeps it.
    assert cities(make_up_sessions(schedule, PARNU, 1)) == ["Tartu", "Rakvere"]
    assert cities(make_up_sessions(schedule, TARTU, 1)) == ["Rakvere"]
    assert cities(make_up_sessions(schedule, RAKVERE, 1)) == ["Tallinn"]
    assert last_chance_ends_at(schedule, PARNU, 1) == tallinn_time("16.04", 17)


def test_a_make_up_must_be_over_before_the_own_next_day_starts():
    # Moved so that it would still be running when Tartu's day II starts.
    schedule = rescheduled("Tallinn", 1, timedelta(days=15, minutes=-30))  # 02.05 09:30–16:30
    target = schedule.get(session_id("Tallinn", 1))
    assert target.starts_at < schedule.session_of(TARTU, 2).starts_at < target.ends_at
    assert refusal(schedule, TARTU, 1, target.session_id).code == AFTER_OWN_NEXT_DAY


def test_a_session_in_parallel_with_the_own_one_is_not_a_make_up():
    # Rakvere's day I moved onto Tartu's date: a change of city that day, not a make-up.
    schedule = rescheduled("Rakvere", 1, timedelta(days=-5))
    assert schedule.session_of(RAKVERE, 1).starts_at == schedule.session_of(TARTU, 1).starts_at
    assert refusal(schedule, TARTU, 1, session_id("Rakvere", 1)).code == BEFORE_OWN_SESSION


def test_a_session_starting_as_the_own_one_ends_is_a_make_up():
    schedule = rescheduled("Rakvere", 1, timedelta(days=-5, hours=7))
    assert schedule.get(session_id("Rakvere", 1)).starts_at == schedule.session_of(TARTU, 1).ends_at
    check_make_up(schedule, TARTU, 1, schedule.get(session_id("Rakvere", 1)), taken_seats=0)


def test_a_full_session_refuses_make_ups():
    schedule = schedule_2019(seats={session_id("Tallinn", 1): 30})
    target = schedule.get(session_id("Tallinn", 1))
    check_make_up(schedule, PARNU, 1, target, taken_seats=29)
    refused = refusal(schedule, PARNU, 1, target.session_id, taken_seats=30)
    assert refused.code == SESSION_FULL
    assert "30" in refused.message_et and "full" in refused.message_en
    assert refusal(schedule, PARNU, 1, target.session_id, taken_seats=31).code == SESSION_FULL


def test_the_rule_is_checked_before_the_seats():
    schedule = schedule_2019(seats={session_id("Pärnu", 1): 0})
    assert refusal(schedule, TARTU, 1, session_id("Pärnu", 1), taken_seats=99).code == BEFORE_OWN_SESSION


def test_free_seats():
    unlimited, thirty = sessions_2019(["Pärnu"])[0], replace(sessions_2019(["Pärnu"])[0], seats=30)
    assert free_seats(unlimited, 500) is None
    assert free_seats(thirty, 28) == 2
    assert free_seats(thirty, 35) == 0


def test_the_window_of_a_missed_day(schedule):
    window = make_up_window(schedule, PARNU, 1)
    assert window.opens_at == tallinn_time("09.04", 17)
    assert window.closes_at == tallinn_time("30.04", 10)
    assert make_up_window(schedule, PARNU, 3).closes_at is None


def test_refusals_speak_estonian_by_default(schedule):
    refused = refusal(schedule, PARNU, 1, session_id("Pärnu", 1))
    assert refused.message() == refused.message_et
    assert refused.message("en") == refused.message_en
    assert str(refused) == refused.message_en


# -- the edition's rule (a coordinator's setting; the brochure's by default) ------------------

def test_the_default_rule_is_the_brochures():
    assert BROCHURE_RULE == MakeUpRule(allowed=True, window=BEFORE_OWN_NEXT_DAY) and BROCHURE_RULE.is_brochure
    with pytest.raises(ValueError):
        MakeUpRule(window="whenever")


def test_with_make_ups_off_no_session_makes_up_a_day_and_the_last_chance_is_the_own_session(schedule):
    off = MakeUpRule(allowed=False)
    for city, day in EXPECTED_2019:
        assert make_up_sessions(schedule, group_id(city), day, off) == []
    assert last_chance_ends_at(schedule, PARNU, 1, off) == tallinn_time("09.04", 17)
    with pytest.raises(MakeUpRefused) as caught:
        check_make_up(schedule, PARNU, 1, schedule.get(session_id("Tartu", 1)), 0, off)
    assert caught.value.code == MAKE_UPS_NOT_ALLOWED
    assert "Selle lennu reegel: järeletegemine ei ole lubatud" in caught.value.message_et
    assert "This edition's rule: no make-ups" in caught.value.message_en


def test_the_looser_window_reaches_past_the_own_next_day():
    # Tallinn's day I moved to 03.05: after Tartu's day II (02.05).
    moved = Schedule(replace(s, starts_at=s.starts_at + timedelta(days=16), ends_at=s.ends_at + timedelta(days=16))
                     if s.session_id == session_id("Tallinn", 1) else s for s in sessions_2019())
    looser = MakeUpRule(window=ANY_LATER_SAME_DAY)
    assert cities(make_up_sessions(moved, TARTU, 1)) == ["Rakvere"]
    assert cities(make_up_sessions(moved, TARTU, 1, looser)) == ["Rakvere", "Tallinn"]
    assert make_up_window(moved, TARTU, 1, looser).closes_at is None
    assert last_chance_ends_at(moved, TARTU, 1, looser) == tallinn_time("03.05", 17)
    check_make_up(moved, TARTU, 1, moved.get(session_id("Tallinn", 1)), 0, looser)
    with pytest.raises(MakeUpRefused) as caught:
        check_make_up(moved, TARTU, 1, moved.get(session_id("Tallinn", 1)), 0)
    assert caught.value.code == AFTER_OWN_NEXT_DAY and "enne oma grupi järgmist päeva" in caught.value.message_et
    # Still the same day number, and still after the own session.
    with pytest.raises(MakeUpRefused) as caught:
        check_make_up(moved, TARTU, 1, moved.get(session_id("Rakvere", 2)), 0, looser)
    assert caught.value.code == DIFFERENT_DAY
