"""When reminders are due: pure functions of the target moment, ``now`` and the lead times.

They only say what is due. The service records each (kind, key, stage, recipient) it sent
and skips what is recorded, which makes a tick idempotent; a tick after downtime simply
sees more time passed and catches up. Lead times are wall-clock days in Europe/Tallinn,
so "3 days before 10:00" is 10:00 three days before even across a DST change.

Invoice reminders are not scheduled here: billing owns due dates and payments, and its
tick publishes ``billing.invoice.overdue`` once per stage (lead times in
``BILLING_REMINDER_STAGES``, default ``due_soon:-3,overdue:1,final_notice:14`` days from
the due date); notify only turns each into a ``payment_reminder`` e-mail.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.notify.domain.formatting import TALLINN

DEADLINE = "application_deadline"
SESSION = "session"
ESF_DATA = "esf_data"


@dataclass(frozen=True)
class DueReminder:
    """A reminder the tick should send (to each of its recipients, once)."""
    kind: str               # DEADLINE | SESSION | ESF_DATA
    key: str                # what it is about: an application, session or participant id
    target_time: datetime   # the moment it reminds of: deadline, session start, ESF deadline
    stage: str = ""         # which of several reminders about the same target


@dataclass(frozen=True)
class ReminderSettings:
    """Lead times a coordinator may change per edition; the defaults are our policy."""
    deadline_lead_days: tuple[int, ...] = (7, 1)
    session_lead: timedelta = timedelta(days=3)
    esf_lead: timedelta = timedelta(days=3)
    esf_min_gap: timedelta = timedelta(days=3)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in this system carries its zone")
    return moment


def _before(moment: datetime, lead: timedelta) -> datetime:
    """``moment - lead`` on the Tallinn wall clock."""
    return _aware(moment).astimezone(TALLINN) - lead


def deadline_stage(lead_days: int) -> str:
    return f"{lead_days}d"


def application_deadline_reminders(
    deadline: datetime, now: datetime, lead_days: Iterable[int] = (7, 1), submitted_at: datetime | None = None
) -> list[str]:
    """The deadline reminder stage due now: ``["7d"]``, ``["1d"]`` or ``[]``.

    Only the most recent stage whose moment (deadline − lead) has passed is returned: after
    downtime that skipped both, a team gets "1 day left", not also a stale "7 days left".
    A stage whose moment had already passed when the application was submitted is not a
    reminder of anything (the team applied after it): a team applying 3 days before the
    deadline gets the 1-day reminder only. Nothing is due once the deadline has passed.
    """
    _aware(now)
    if now >= _aware(deadline):
        return []
    passed = [days for days in lead_days if now >= _before(deadline, timedelta(days=days))
              and (submitted_at is None or _aware(submitted_at) < _before(deadline, timedelta(days=days)))]
    return [deadline_stage(min(passed))] if passed else []


def days_left(deadline: datetime, now: datetime) -> int:
    """Calendar days from today to the deadline's day in Tallinn: 1 means "tomorrow"."""
    return (_aware(deadline).astimezone(TALLINN).date() - _aware(now).astimezone(TALLINN).date()).days


def session_reminder_due(
    session_starts_at: datetime, now: datetime, lead: timedelta = timedelta(days=3)
) -> bool:
    """Due from ``starts_at − lead`` until the session starts; a late reminder still helps."""
    return _before(session_starts_at, lead) <= _aware(now) < session_starts_at


def esf_data_reminder_due(
    requested_at: datetime,
    deadline: datetime,
    now: datetime,
    lead: timedelta = timedelta(days=3),
    min_gap: timedelta = timedelta(days=3),
) -> bool:
    """Due ``lead`` before the ESF data deadline while the data is still missing.

    Never sooner than ``min_gap`` after the request itself: someone accepted a day before
    the deadline should not get the request and the reminder in the same hour.
    """
    start = max(_before(deadline, lead), _aware(requested_at) + min_gap)
    return start <= _aware(now) < deadline


def end_of_day(day: date) -> datetime:
    """The moment a date-only deadline (a due date, an ESF data date) runs out in Tallinn."""
    return datetime(day.year, day.month, day.day, tzinfo=TALLINN) + timedelta(days=1)


def due_reminders(
    now: datetime,
    settings: ReminderSettings | None = None,
    *,
    deadlines: Iterable[tuple[str, datetime, datetime | None]] = (),
    sessions: Iterable[tuple[str, datetime]] = (),
    esf_requests: Iterable[tuple[str, datetime, datetime]] = (),
) -> list[DueReminder]:
    """Everything due at ``now``, for the tick to fan out to recipients.

    Callers pass only what still needs a reminder: incomplete applications (key, deadline,
    submitted_at or None), upcoming sessions (key, starts_at), participants without ESF data
    (key, requested_at, deadline).
    """
    settings = settings or ReminderSettings()
    due: list[DueReminder] = []
    for key, deadline, submitted_at in deadlines:
        for stage in application_deadline_reminders(deadline, now, settings.deadline_lead_days, submitted_at):
            due.append(DueReminder(DEADLINE, key, deadline, stage))
    for key, starts_at in sessions:
        if session_reminder_due(starts_at, now, settings.session_lead):
            due.append(DueReminder(SESSION, key, starts_at, "before_start"))
    for key, requested_at, deadline in esf_requests:
        if esf_data_reminder_due(requested_at, deadline, now, settings.esf_lead, settings.esf_min_gap):
            due.append(DueReminder(ESF_DATA, key, deadline, "before_deadline"))
    return due
