"""Dates and times on pages, the same in every service and in both languages.

Estonian writing: ``17.04.2019`` and ``17:05`` (24-hour), in Europe/Tallinn. English pages
use the same: a day-month-year with the full year is unambiguous to every reader (neither
``4/17/19, 5:05 PM`` nor Babel's two-digit ``17.04.19`` short format, nor ISO beside it on
another page). Times are stored in UTC and shown here in Tallinn time; a date is a
calendar date and stays as it is. ``None`` or ``""`` gives ``empty``.

Form inputs keep ISO (``<input type="date">`` needs it); this is for reading.
"""
from __future__ import annotations

from datetime import date, datetime

from shared import clock

DATE = "%d.%m.%Y"
TIME = "%H:%M"


def _moment(value: datetime | str) -> datetime:
    return clock.local(datetime.fromisoformat(value) if isinstance(value, str) else value)


def date_text(value: date | datetime | str | None, empty: str = "") -> str:
    """``17.04.2019``: a date as it is, a moment as the Tallinn date it falls on."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = clock.local(value)
    return value.strftime(DATE)


def datetime_text(value: datetime | str | None, empty: str = "") -> str:
    """``17.04.2019 17:05`` in Tallinn."""
    return _moment(value).strftime(f"{DATE} {TIME}") if value else empty


def time_text(value: datetime | str | None, empty: str = "") -> str:
    """``17:05`` in Tallinn."""
    return _moment(value).strftime(TIME) if value else empty
