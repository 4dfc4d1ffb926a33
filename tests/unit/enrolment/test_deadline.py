"""The inclusive application deadline at the Tallinn day boundary (1 March 2019 is winter
time, UTC+2)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.enrolment.data import EDITION_2019
from services.enrolment.domain.deadline import is_open
from services.enrolment.domain.edition import load_edition

from .builders import tallinn

DEADLINE = tallinn(2019, 3, 1, 23, 59, 59)


@pytest.mark.parametrize(
    "now, expected",
    [
        (tallinn(2019, 2, 1, 12), True),
        (tallinn(2019, 3, 1, 0), True),
        (tallinn(2019, 3, 1, 23, 59, 58), True),
        (tallinn(2019, 3, 1, 23, 59, 59), True),
        (tallinn(2019, 3, 1, 23, 59, 59, 999999), True),  # the whole last second counts
        (tallinn(2019, 3, 2, 0, 0, 0), False),
        (tallinn(2019, 3, 2, 0, 0, 1), False),
        (tallinn(2019, 4, 9, 10), False),
    ],
)
def test_deadline_in_tallinn_time(now, expected):
    assert is_open(DEADLINE, now) is expected


def test_the_boundary_in_utc_is_22_00_because_march_is_winter_time():
    assert is_open(DEADLINE, datetime(2019, 3, 1, 21, 59, 59, tzinfo=UTC))
    assert not is_open(DEADLINE, datetime(2019, 3, 1, 22, 0, 0, tzinfo=UTC))
    # A server thinking in UTC+3 (summer time) would close an hour early; we do not.
    assert is_open(DEADLINE, datetime(2019, 3, 1, 21, 30, tzinfo=UTC))


def test_a_deadline_stored_in_utc_behaves_the_same():
    stored = DEADLINE.astimezone(UTC)
    assert is_open(stored, tallinn(2019, 3, 1, 23, 59, 59))
    assert not is_open(stored, tallinn(2019, 3, 2))


def test_the_2019_edition_deadline():
    deadline = load_edition(EDITION_2019).application_deadline
    assert is_open(deadline, tallinn(2019, 3, 1, 23, 59, 59))
    assert not is_open(deadline, tallinn(2019, 3, 2, 0, 0, 0))


def test_clocks_in_other_offsets_compare_by_the_instant():
    # Already 2 March on a UTC+3 clock, but still 23:30 on 1 March in Tallinn.
    assert is_open(DEADLINE, datetime(2019, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=3))))
    assert not is_open(DEADLINE, datetime(2019, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-1))))


@pytest.mark.parametrize("naive", ["deadline", "now"])
def test_naive_datetimes_are_refused(naive):
    deadline = DEADLINE.replace(tzinfo=None) if naive == "deadline" else DEADLINE
    now = datetime(2019, 3, 1, 12) if naive == "now" else tallinn(2019, 3, 1, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(deadline, now)
