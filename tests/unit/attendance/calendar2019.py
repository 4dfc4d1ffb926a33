"""The 2019 edition's real calendar (DOMAIN.md), for any test that needs a schedule.

Ids are readable on purpose: group "2019-parnu", session "2019-parnu-1" (day I).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from services.attendance.domain.schedule import TALLINN, Schedule, Session

CALENDAR_2019: dict[str, tuple[date, date, date]] = {
    "Pärnu": (date(2019, 4, 9), date(2019, 4, 30), date(2019, 5, 22)),
    "Tartu": (date(2019, 4, 11), date(2019, 5, 2), date(2019, 5, 23)),
    "Rakvere": (date(2019, 4, 16), date(2019, 5, 7), date(2019, 6, 4)),
    "Tallinn": (date(2019, 4, 17), date(2019, 5, 9), date(2019, 6, 6)),
}
CITIES = tuple(CALENDAR_2019)

_SLUGS = {"Pärnu": "parnu", "Tartu": "tartu", "Rakvere": "rakvere", "Tallinn": "tallinn"}


def group_id(city: str) -> str:
    return f"2019-{_SLUGS[city]}"


def session_id(city: str, day_number: int) -> str:
    return f"{group_id(city)}-{day_number}"


PARNU, TARTU, RAKVERE, TALLINN_GROUP = (group_id(c) for c in CITIES)


def tallinn_time(day: date | str, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Tallinn wall-clock time; ``day`` may be written "dd.mm" (2019) as in the brochure."""
    if isinstance(day, str):
        dd, mm = day.split(".")[:2]
        day = date(2019, int(mm), int(dd))
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TALLINN)


def sessions_2019(
    cities: Iterable[str] = CITIES,
    seats: Mapping[str, int | None] | None = None,
    venue: str = "",
) -> list[Session]:
    """Sessions 10:00–17:00 Tallinn time; ``seats`` by session id (default: unlimited)."""
    seats = seats or {}
    return [
        Session(
            session_id=session_id(city, day_number),
            group_id=group_id(city),
            city=city,
            day_number=day_number,
            starts_at=tallinn_time(day, 10),
            ends_at=tallinn_time(day, 17),
            venue=venue,
            seats=seats.get(session_id(city, day_number)),
        )
        for city in cities
        for day_number, day in enumerate(CALENDAR_2019[city], start=1)
    ]


def schedule_2019(
    cities: Iterable[str] = CITIES, seats: Mapping[str, int | None] | None = None, venue: str = ""
) -> Schedule:
    return Schedule(sessions_2019(cities, seats, venue))
