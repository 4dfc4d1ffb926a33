"""Time zone handling shared by the enrolment rules: stored in UTC, shown in Tallinn."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TALLINN = ZoneInfo("Europe/Tallinn")


def require_aware(name: str, moment: datetime) -> datetime:
    """``moment`` in UTC; refuses naive datetimes, which would silently mean server-local time."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def wall_clock(naive: datetime, zone: ZoneInfo = TALLINN) -> datetime | None:
    """A local wall-clock time as an aware datetime; None for one that DST makes ambiguous
    (the autumn hour that happens twice) or nonexistent (the spring gap)."""
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    return early if early.utcoffset() == late.utcoffset() else None


def local(moment: datetime) -> datetime:
    return require_aware("moment", moment).astimezone(TALLINN)


def local_text(moment: datetime) -> str:
    """dd.mm.yyyy HH:MM in Tallinn, the way Estonians write it."""
    return local(moment).strftime("%d.%m.%Y %H:%M")
