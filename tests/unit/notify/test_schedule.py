"""Reminder rules, checked by moving ``now`` through the 2019 edition's calendar."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notify.domain.schedule import (
    DEADLINE,
    ESF_DATA,
    SESSION,
    DueReminder,
    ReminderSettings,
    application_deadline_reminders,
    days_left,
    due_reminders,
    end_of_day,
    esf_data_reminder_due,
    session_reminder_due,
)

TALLINN = ZoneInfo("Europe/Tallinn")
DEADLINE_2019 = datetime(2019, 3, 1, 23, 59, 59, tzinfo=TALLINN)

# DOMAIN.md: city → the three session days, each 10:00–17:00 Tallinn time.
SESSIONS_2019 = {
    "Pärnu": (date(2019, 4, 9), date(2019, 4, 30), date(2019, 5, 22)),
    "Tartu": (date(2019, 4, 11), date(2019, 5, 2), date(2019, 5, 23)),
    "Rakvere": (date(2019, 4, 16), date(2019, 5, 7), date(2019, 6, 4)),
    "Tallinn": (date(2019, 4, 17), date(2019, 5, 9), date(2019, 6, 6)),
}


def tallinn(*args):
    return datetime(*args, tzinfo=TALLINN)


def starts_at(day: date) -> datetime:
    return tallinn(day.year, day.month, day.day, 10)


def ticks(start: datetime, end: datetime, step: timedelta = timedelta(hours=1)):
    moment = start
    while moment <= end:
        yield moment
        moment += step


def run(rule, moments):
    """A tick that records what it sent, as the service does: each stage fires once."""
    sent = {}
    for now in moments:
        for stage in rule(now):
            sent.setdefault(stage, now)
    return sent


# --- application deadline ---------------------------------------------------------------

def test_deadline_reminders_through_february_2019():
    sent = run(lambda now: application_deadline_reminders(DEADLINE_2019, now),
               ticks(tallinn(2019, 2, 1), tallinn(2019, 3, 5)))
    assert list(sent) == ["7d", "1d"]
    # The first hourly tick after 22.02 23:59:59 and after 28.02 23:59:59.
    assert sent["7d"] == tallinn(2019, 2, 23, 0)
    assert sent["1d"] == tallinn(2019, 3, 1, 0)


@pytest.mark.parametrize(("now", "due"), [
    (tallinn(2019, 2, 1, 12), []),
    (tallinn(2019, 2, 22, 23, 59, 58), []),
    (tallinn(2019, 2, 22, 23, 59, 59), ["7d"]),  # exactly deadline − 7 days
    (tallinn(2019, 2, 26, 9), ["7d"]),
    (tallinn(2019, 2, 28, 23, 59, 59), ["1d"]),
    (tallinn(2019, 3, 1, 22, 59), ["1d"]),
    (tallinn(2019, 3, 1, 23, 59, 59), []),  # the deadline itself: too late to remind
    (tallinn(2019, 3, 2, 8), []),
])
def test_deadline_stage_at(now, due):
    assert application_deadline_reminders(DEADLINE_2019, now) == due


def test_after_downtime_only_the_latest_stage_is_due():
    # Down from 20 February until an hour before the deadline: both moments have passed,
    # but a "7 days left" e-mail now would be wrong.
    sent = run(lambda now: application_deadline_reminders(DEADLINE_2019, now),
               [tallinn(2019, 2, 20), tallinn(2019, 3, 1, 22, 59), tallinn(2019, 3, 1, 23, 30)])
    assert list(sent) == ["1d"]


def test_a_stage_whose_moment_passed_before_the_submission_is_skipped():
    # Submitted on 25.02 (less than 7 days before): no "7 days left", the 1-day one still comes.
    submitted = tallinn(2019, 2, 25, 9)
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 2, 25, 9, 1), submitted_at=submitted) == []
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 2, 28, 23, 59, 59),
                                          submitted_at=submitted) == ["1d"]
    # Submitted a second before the 7-day moment: it is still reminded of at that moment.
    early = tallinn(2019, 2, 22, 23, 59, 58)
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 2, 22, 23, 59, 59), submitted_at=early) == [
        "7d"]
    # Submitted in the last day: nothing at all.
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 3, 1, 12),
                                          submitted_at=tallinn(2019, 3, 1, 8)) == []


def test_deadline_lead_days_are_configurable():
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 2, 20), lead_days=(14, 3)) == ["14d"]
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 2, 27), lead_days=(14, 3)) == ["3d"]
    assert application_deadline_reminders(DEADLINE_2019, tallinn(2019, 2, 27), lead_days=()) == []


def test_utc_and_tallinn_now_agree():
    now = datetime(2019, 2, 22, 21, 59, 59, tzinfo=UTC)  # = 23:59:59 in Tallinn (UTC+2)
    assert application_deadline_reminders(DEADLINE_2019, now) == ["7d"]
    assert application_deadline_reminders(DEADLINE_2019, now - timedelta(seconds=1)) == []


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        application_deadline_reminders(DEADLINE_2019, datetime(2019, 2, 25))


@pytest.mark.parametrize(("now", "left"), [
    (tallinn(2019, 2, 22, 23, 59, 59), 7),
    (tallinn(2019, 2, 23, 0, 0), 6),
    (tallinn(2019, 2, 28, 23, 59, 59), 1),
    (tallinn(2019, 3, 1, 0, 30), 0),
    (datetime(2019, 2, 28, 22, 30, tzinfo=UTC), 0),  # already 1 March in Tallinn
])
def test_days_left_counts_tallinn_calendar_days(now, left):
    assert days_left(DEADLINE_2019, now) == left


# --- sessions -----------------------------------------------------------------------------

def test_every_2019_session_is_reminded_once_three_days_ahead():
    sessions = {f"{city}-{n}": starts_at(day) for city, days in SESSIONS_2019.items()
                for n, day in enumerate(days, start=1)}
    sent = run(
        lambda now: [key for key, start in sessions.items() if session_reminder_due(start, now)],
        ticks(tallinn(2019, 3, 1), tallinn(2019, 6, 30), timedelta(minutes=30)),
    )
    assert set(sent) == set(sessions)
    for key, start in sessions.items():
        assert sent[key] == start - timedelta(days=3), key
    assert sent["Pärnu-1"] == tallinn(2019, 4, 6, 10)
    assert sent["Tallinn-3"] == tallinn(2019, 6, 3, 10)


@pytest.mark.parametrize(("now", "due"), [
    (tallinn(2019, 4, 6, 9, 59), False),
    (tallinn(2019, 4, 6, 10, 0), True),
    (tallinn(2019, 4, 9, 9, 0), True),   # back from downtime on the morning: still worth it
    (tallinn(2019, 4, 9, 10, 0), False),  # the session has started
    (tallinn(2019, 4, 10, 10, 0), False),
])
def test_session_reminder_window(now, due):
    assert session_reminder_due(starts_at(date(2019, 4, 9)), now) is due


def test_session_lead_is_configurable():
    pärnu_day_two = starts_at(date(2019, 4, 30))
    assert not session_reminder_due(pärnu_day_two, tallinn(2019, 4, 28, 12), lead=timedelta(days=1))
    assert session_reminder_due(pärnu_day_two, tallinn(2019, 4, 29, 12), lead=timedelta(days=1))


def test_lead_is_counted_on_the_wall_clock_across_dst():
    # Summer time began on 31 March 2019: three days before 10:00 on 2 April is still 10:00.
    start = tallinn(2019, 4, 2, 10)
    assert not session_reminder_due(start, tallinn(2019, 3, 30, 9, 59))
    assert session_reminder_due(start, tallinn(2019, 3, 30, 10, 0))


# --- ESF data -------------------------------------------------------------------------------

ESF_DEADLINE = end_of_day(date(2019, 4, 8))  # the day before Pärnu's first session


@pytest.mark.parametrize(("now", "due"), [
    (tallinn(2019, 4, 5, 23, 59), False),
    (tallinn(2019, 4, 6, 0, 0), True),   # three days before the end of 8 April
    (tallinn(2019, 4, 8, 23, 59), True),
    (tallinn(2019, 4, 9, 0, 0), False),  # past the deadline: the coordinator follows up
])
def test_esf_reminder_before_the_deadline(now, due):
    assert esf_data_reminder_due(tallinn(2019, 3, 15, 12), ESF_DEADLINE, now) is due


def test_no_esf_reminder_right_after_the_request():
    # Accepted from the waiting list on 7 April: the request alone is enough.
    requested = tallinn(2019, 4, 7, 12)
    assert not any(esf_data_reminder_due(requested, ESF_DEADLINE, now)
                   for now in ticks(requested, ESF_DEADLINE + timedelta(days=1)))
    # Requested on 4 April: the reminder waits for the gap (7 April noon).
    requested = tallinn(2019, 4, 4, 12)
    assert not esf_data_reminder_due(requested, ESF_DEADLINE, tallinn(2019, 4, 7, 11))
    assert esf_data_reminder_due(requested, ESF_DEADLINE, tallinn(2019, 4, 7, 12))


# --- everything at once -------------------------------------------------------------------------

def test_due_reminders_collects_all_kinds():
    now = tallinn(2019, 4, 7, 12)
    due = due_reminders(
        now,
        deadlines=[("application-1", DEADLINE_2019, None)],               # long past
        sessions=[("parnu-1", starts_at(date(2019, 4, 9))),              # in 2 days
                  ("tartu-2", starts_at(date(2019, 5, 2)))],             # weeks away
        esf_requests=[("participant-7", tallinn(2019, 3, 15), ESF_DEADLINE)],
    )
    assert due == [
        DueReminder(SESSION, "parnu-1", starts_at(date(2019, 4, 9)), "before_start"),
        DueReminder(ESF_DATA, "participant-7", ESF_DEADLINE, "before_deadline"),
    ]
    later = due_reminders(tallinn(2019, 2, 25), ReminderSettings(deadline_lead_days=(3,)),
                          deadlines=[("application-1", DEADLINE_2019, None)])
    assert later == []
    assert due_reminders(tallinn(2019, 2, 27), deadlines=[("application-1", DEADLINE_2019, None)]) == [
        DueReminder(DEADLINE, "application-1", DEADLINE_2019, "7d")]
