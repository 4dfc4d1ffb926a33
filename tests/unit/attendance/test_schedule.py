from datetime import UTC, datetime, timedelta

import pytest

from services.attendance.domain.schedule import Schedule, ScheduleError, Session, UnknownSession

from .calendar2019 import PARNU, RAKVERE, TALLINN_GROUP, TARTU, session_id, sessions_2019, tallinn_time


def test_the_2019_calendar_has_three_days_in_four_cities(schedule):
    assert len(schedule) == 12
    assert schedule.group_ids() == [PARNU, TARTU, RAKVERE, TALLINN_GROUP]
    assert [s.date_text for s in schedule.sessions_of_group(TARTU)] == [
        "11.04.2019",
        "02.05.2019",
        "23.05.2019",
    ]


def test_times_are_kept_in_utc_and_shown_in_tallinn(schedule):
    parnu_day_1 = schedule.session_of(PARNU, 1)
    # April is summer time in Estonia (UTC+3).
    assert parnu_day_1.starts_at == datetime(2019, 4, 9, 7, 0, tzinfo=UTC)
    assert parnu_day_1.starts_at.tzinfo is UTC
    assert parnu_day_1.hours_text == "10:00–17:00"
    assert parnu_day_1.date_text == "09.04.2019"
    assert parnu_day_1.roman_day == "I"


def test_sessions_equal_whatever_offset_they_were_given_in():
    in_tallinn = sessions_2019(["Pärnu"])[0]
    in_utc = Session(
        in_tallinn.session_id,
        in_tallinn.group_id,
        in_tallinn.city,
        1,
        datetime(2019, 4, 9, 7, tzinfo=UTC),
        datetime(2019, 4, 9, 14, tzinfo=UTC),
    )
    assert in_utc == in_tallinn
    assert hash(in_utc) == hash(in_tallinn)


def test_sessions_on_a_day_are_in_calendar_order(schedule):
    assert [s.city for s in schedule.sessions_on_day(1)] == ["Pärnu", "Tartu", "Rakvere", "Tallinn"]
    assert [s.date_text for s in schedule.sessions_on_day(3)] == [
        "22.05.2019",
        "23.05.2019",
        "04.06.2019",
        "06.06.2019",
    ]


def test_lookups(schedule):
    assert schedule.get("2019-rakvere-2").date_text == "07.05.2019"
    assert schedule.find("nope") is None
    assert "2019-tallinn-3" in schedule
    assert schedule.next_session_of(RAKVERE, 1) == schedule.session_of(RAKVERE, 2)
    assert schedule.next_session_of(RAKVERE, 3) is None
    assert schedule.city_of(TALLINN_GROUP) == "Tallinn"
    assert schedule.has_group(PARNU) and not schedule.has_group("2019-viljandi")
    with pytest.raises(UnknownSession):
        schedule.get("nope")
    with pytest.raises(UnknownSession):
        schedule.session_of("2019-viljandi", 1)


def test_sessions_between_is_half_open(schedule):
    found = schedule.sessions_between(tallinn_time("09.04", 10), tallinn_time("16.04", 10))
    assert [s.session_id for s in found] == [session_id("Pärnu", 1), session_id("Tartu", 1)]


def test_session_running_and_ended_at_17_sharp(schedule):
    session = schedule.session_of(PARNU, 1)
    assert session.is_in_progress(tallinn_time("09.04", 16, 59, 59))
    assert not session.has_ended(tallinn_time("09.04", 16, 59, 59))
    assert session.has_ended(tallinn_time("09.04", 17))
    assert not session.is_in_progress(tallinn_time("09.04", 17))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"starts_at": datetime(2019, 4, 9, 10)}, "timezone-aware"),
        ({"ends_at": tallinn_time("09.04", 9)}, "ends before it starts"),
        ({"day_number": 4}, "day number"),
        ({"seats": -1}, "negative seats"),
    ],
)
def test_invalid_sessions_are_rejected(change, message):
    fields = dict(
        session_id="s",
        group_id="g",
        city="Pärnu",
        day_number=1,
        starts_at=tallinn_time("09.04", 10),
        ends_at=tallinn_time("09.04", 17),
    )
    with pytest.raises(ScheduleError, match=message):
        Session(**(fields | change))


def test_a_schedule_rejects_duplicate_ids_and_two_sessions_of_one_group_day():
    parnu = sessions_2019(["Pärnu"])
    with pytest.raises(ScheduleError, match="duplicate"):
        Schedule([*parnu, parnu[0]])
    moved = Session(
        "another-id",
        PARNU,
        "Pärnu",
        1,
        parnu[0].starts_at + timedelta(days=1),
        parnu[0].ends_at + timedelta(days=1),
    )
    with pytest.raises(ScheduleError, match="two day-1 sessions"):
        Schedule([*parnu, moved])
