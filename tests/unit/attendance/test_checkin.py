import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.attendance.domain.checkin import (
    INVALID_CODE,
    SESSION_ENDED,
    SESSION_NOT_STARTED,
    CheckInRefused,
    checkin_code,
    verify_checkin_code,
)

from .calendar2019 import schedule_2019, tallinn_time

SECRET = b"unit-test-check-in-secret"
SESSION = schedule_2019().get("2019-tartu-2")  # 02.05.2019 10:00–17:00


def refusal(code: str, now: datetime, **kwargs) -> CheckInRefused:
    with pytest.raises(CheckInRefused) as caught:
        verify_checkin_code(SECRET, SESSION, code, now, **kwargs)
    return caught.value


def test_the_code_is_short_and_url_safe():
    code = checkin_code(SECRET, SESSION.session_id, tallinn_time("02.05", 10, 30))
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", code)


def test_the_code_changes_every_minute_and_only_then():
    same_minute = {
        checkin_code(SECRET, SESSION.session_id, tallinn_time("02.05", 10, 30, s)) for s in (0, 29, 59)
    }
    assert len(same_minute) == 1
    minutes = {checkin_code(SECRET, SESSION.session_id, tallinn_time("02.05", 10, m)) for m in range(60)}
    assert len(minutes) == 60


def test_the_code_depends_on_session_and_secret():
    at = tallinn_time("02.05", 10, 30)
    assert checkin_code(SECRET, "2019-tartu-2", at) != checkin_code(SECRET, "2019-tartu-3", at)
    assert checkin_code(SECRET, "2019-tartu-2", at) != checkin_code(b"another secret", "2019-tartu-2", at)


def test_the_same_moment_in_any_offset_gives_the_same_code():
    in_tallinn = tallinn_time("02.05", 10, 30)
    assert checkin_code(SECRET, "s", in_tallinn) == checkin_code(SECRET, "s", in_tallinn.astimezone(UTC))


def test_current_and_previous_minute_are_accepted():
    now = tallinn_time("02.05", 10, 31, 5)
    verify_checkin_code(SECRET, SESSION, checkin_code(SECRET, SESSION.session_id, now), now)
    verify_checkin_code(
        SECRET, SESSION, checkin_code(SECRET, SESSION.session_id, now - timedelta(minutes=1)), now
    )


def test_a_code_is_good_for_two_minutes_from_the_start_of_its_minute():
    shown = checkin_code(SECRET, SESSION.session_id, tallinn_time("02.05", 10, 30, 40))
    verify_checkin_code(SECRET, SESSION, shown, tallinn_time("02.05", 10, 31, 59))
    assert refusal(shown, tallinn_time("02.05", 10, 32)).code == INVALID_CODE


def test_a_code_from_the_future_is_refused():
    now = tallinn_time("02.05", 10, 30)
    assert (
        refusal(checkin_code(SECRET, SESSION.session_id, now + timedelta(minutes=1)), now).code
        == INVALID_CODE
    )


def test_a_longer_max_age_accepts_older_codes():
    now = tallinn_time("02.05", 11, 0, 10)
    four_minutes_old = checkin_code(SECRET, SESSION.session_id, now - timedelta(minutes=4))
    verify_checkin_code(SECRET, SESSION, four_minutes_old, now, max_age=timedelta(minutes=5))
    assert refusal(four_minutes_old, now).code == INVALID_CODE


def test_codes_of_other_sessions_or_secrets_are_refused():
    now = tallinn_time("02.05", 10, 30)
    assert refusal(checkin_code(SECRET, "2019-tartu-3", now), now).code == INVALID_CODE
    assert refusal(checkin_code(b"other", SESSION.session_id, now), now).code == INVALID_CODE


@pytest.mark.parametrize("garbage", ["", "x", "ÕÄÖÜ-šž", "A" * 500])
def test_garbage_is_refused_not_crashed_on(garbage):
    assert refusal(garbage, tallinn_time("02.05", 12)).code == INVALID_CODE


def test_check_in_is_open_only_during_the_session():
    def valid_at(moment: datetime) -> str:
        return checkin_code(SECRET, SESSION.session_id, moment)

    verify_checkin_code(SECRET, SESSION, valid_at(tallinn_time("02.05", 10)), tallinn_time("02.05", 10))
    verify_checkin_code(
        SECRET, SESSION, valid_at(tallinn_time("02.05", 16, 59, 59)), tallinn_time("02.05", 16, 59, 59)
    )

    early = refusal(valid_at(tallinn_time("02.05", 9, 59)), tallinn_time("02.05", 9, 59, 59))
    assert early.code == SESSION_NOT_STARTED
    assert "10:00" in early.message_et and "10:00" in early.message_en

    late = refusal(valid_at(tallinn_time("02.05", 17)), tallinn_time("02.05", 17))
    assert late.code == SESSION_ENDED
    assert "17:00" in late.message_et
    assert late.message("en") == late.message_en and late.message() == late.message_et


def test_naive_times_and_empty_secrets_are_programming_errors():
    with pytest.raises(ValueError, match="timezone-aware"):
        checkin_code(SECRET, "s", datetime(2019, 5, 2, 10))
    with pytest.raises(ValueError, match="secret"):
        checkin_code(b"", "s", tallinn_time("02.05", 10))
    with pytest.raises(ValueError, match="max_age"):
        verify_checkin_code(SECRET, SESSION, "x", tallinn_time("02.05", 12), max_age=timedelta(seconds=30))


@given(
    now_offset=st.integers(min_value=0, max_value=7 * 3600 - 1),
    age=st.integers(min_value=0, max_value=6 * 60),
    max_age_minutes=st.integers(min_value=1, max_value=5),
)
def test_a_code_is_accepted_exactly_while_younger_than_max_age(now_offset, age, max_age_minutes):
    now = SESSION.starts_at + timedelta(seconds=now_offset)
    shown_at = now - timedelta(seconds=age)
    minute_started = shown_at.replace(second=0, microsecond=0)
    max_age = timedelta(minutes=max_age_minutes)
    code = checkin_code(SECRET, SESSION.session_id, shown_at)
    if now - minute_started < max_age:
        verify_checkin_code(SECRET, SESSION, code, now, max_age=max_age)
    else:
        assert refusal(code, now, max_age=max_age).code == INVALID_CODE
