"""The session days of an edition, as attendance sees them.

The schedule is a projection of ``enrolment.edition.published``: enrolment owns it, attendance
keeps a copy. Times are aware datetimes held in UTC; everything shown to people is converted
to Europe/Tallinn, where the sessions take place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TALLINN = ZoneInfo("Europe/Tallinn")

#: Every group has the same three workshop days.
DAY_NUMBERS: tuple[int, ...] = (1, 2, 3)
LAST_DAY = DAY_NUMBERS[-1]
ROMAN_DAY = {1: "I", 2: "II", 3: "III"}


class ScheduleError(ValueError):
    """The schedule data breaks an invariant the rules depend on."""


class UnknownSession(LookupError):
    """No such session (or no session for that group and day) in the schedule."""


def local_date_text(moment: datetime) -> str:
    """dd.mm.yyyy in Tallinn, the way dates are written in Estonia."""
    return moment.astimezone(TALLINN).strftime("%d.%m.%Y")


def local_time_text(moment: datetime) -> str:
    return moment.astimezone(TALLINN).strftime("%H:%M")


def _require_aware(name: str, moment: datetime) -> None:
    # A naive datetime would be silently read as the server's local time.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScheduleError(f"{name} must be timezone-aware, got {moment!r}")


@dataclass(frozen=True)
class Session:
    """One workshop day of one group in one city."""

    session_id: str
    group_id: str
    city: str
    day_number: int
    starts_at: datetime
    ends_at: datetime
    venue: str = ""
    seats: int | None = None  # None: no limit

    def __post_init__(self) -> None:
        _require_aware("starts_at", self.starts_at)
        _require_aware("ends_at", self.ends_at)
        if self.ends_at <= self.starts_at:
            raise ScheduleError(f"session {self.session_id} ends before it starts")
        if self.day_number not in DAY_NUMBERS:
            raise ScheduleError(
                f"session {self.session_id}: day number {self.day_number} is not one of {DAY_NUMBERS}"
            )
        if self.seats is not None and self.seats < 0:
            raise ScheduleError(f"session {self.session_id}: negative seats")
        # Normalised so equal moments compare and hash equal whatever offset they came with.
        object.__setattr__(self, "starts_at", self.starts_at.astimezone(UTC))
        object.__setattr__(self, "ends_at", self.ends_at.astimezone(UTC))

    @property
    def local_date(self) -> date:
        return self.starts_at.astimezone(TALLINN).date()

    @property
    def date_text(self) -> str:
        return local_date_text(self.starts_at)

    @property
    def hours_text(self) -> str:
        return f"{local_time_text(self.starts_at)}–{local_time_text(self.ends_at)}"

    @property
    def roman_day(self) -> str:
        return ROMAN_DAY[self.day_number]

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_at

    def is_in_progress(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class Schedule:
    """All sessions of an edition, with the lookups the rules need.

    A group has at most one session per day number; the rules are undefined otherwise.
    """

    def __init__(self, sessions: Iterable[Session]) -> None:
        ordered = sorted(sessions, key=lambda s: (s.starts_at, s.session_id))
        self._by_id: dict[str, Session] = {}
        self._by_group_day: dict[tuple[str, int], Session] = {}
        for session in ordered:
            if session.session_id in self._by_id:
                raise ScheduleError(f"duplicate session id {session.session_id}")
            key = (session.group_id, session.day_number)
            if key in self._by_group_day:
                raise ScheduleError(f"group {session.group_id} has two day-{session.day_number} sessions")
            self._by_id[session.session_id] = session
            self._by_group_day[key] = session
        self._sessions = tuple(ordered)

    def __iter__(self) -> Iterator[Session]:
        return iter(self._sessions)

    def __len__(self) -> int:
        return len(self._sessions)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._by_id

    def __repr__(self) -> str:
        return f"Schedule({len(self._sessions)} sessions, groups={self.group_ids()})"

    @property
    def sessions(self) -> tuple[Session, ...]:
        """In chronological order."""
        return self._sessions

    def get(self, session_id: str) -> Session:
        try:
            return self._by_id[session_id]
        except KeyError:
            raise UnknownSession(f"no session {session_id!r}") from None

    def find(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    def group_ids(self) -> list[str]:
        """In the order their first session takes place."""
        return list(dict.fromkeys(s.group_id for s in self._sessions))

    def has_group(self, group_id: str) -> bool:
        return any(g == group_id for g, _ in self._by_group_day)

    def session_of(self, group_id: str, day_number: int) -> Session:
        """The group's own session for that day."""
        try:
            return self._by_group_day[(group_id, day_number)]
        except KeyError:
            raise UnknownSession(f"group {group_id!r} has no day-{day_number} session") from None

    def find_session_of(self, group_id: str, day_number: int) -> Session | None:
        return self._by_group_day.get((group_id, day_number))

    def sessions_of_group(self, group_id: str) -> list[Session]:
        """The group's sessions by day number."""
        return sorted((s for s in self._sessions if s.group_id == group_id), key=lambda s: s.day_number)

    def sessions_on_day(self, day_number: int) -> list[Session]:
        """Every group's session of that day number, chronologically."""
        return [s for s in self._sessions if s.day_number == day_number]

    def next_session_of(self, group_id: str, day_number: int) -> Session | None:
        """The group's session of the following day, None after the last day."""
        if day_number >= LAST_DAY:
            return None
        return self.session_of(group_id, day_number + 1)

    def city_of(self, group_id: str) -> str:
        for session in self._sessions:
            if session.group_id == group_id:
                return session.city
        raise UnknownSession(f"no sessions for group {group_id!r}")

    def sessions_between(self, start: datetime, end: datetime) -> list[Session]:
        """Sessions starting in [start, end), for reminders and ticks."""
        return [s for s in self._sessions if start <= s.starts_at < end]
