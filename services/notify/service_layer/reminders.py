"""The scheduled e-mails: a tick job on ``shared.clock.now()``.

Each tick asks ``domain.schedule`` what is due *now* — not "in the last minute" — so a
tick after downtime catches up by itself, and creates each reminder under a cause key
that makes it once-only (the unique key on emails; keys already present are skipped before
trying, so a tick every few seconds costs one query per kind):

    deadline:<application>:<7d|1d>      to the contact of a team not fully confirmed and to
                                        each member not confirmed yet (with their personal
                                        link); a stage already past when the team applied
                                        is skipped (applying 3 days before: 1-day one only)
    session:<session>:<date>            to each participant of the session's group and each
                                        guest booked into it to make up a day (not cancelled);
                                        the session's own city, date and venue; withdrawn or
                                        dropped out: none (a session moved to another date
                                        reminds again)
    esf_reminder:<participant>          to an accepted participant still without ESF data (also
                                        one who left the team after attending a day),
                                        NOTIFY_ESF_LEAD_DAYS before reporting's deadline; none
                                        after it: from then on the coordinator asks again from
                                        reporting's completeness page (esf_again:…)

Every personal link in them is signed when the reminder is composed (``emails.personal_link``).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from services.notify.adapters.models import (
    Application,
    AttendanceDay,
    Edition,
    Email,
    Group,
    MakeUpBooking,
    Participant,
    WorkshopDay,
)
from services.notify.domain import schedule
from services.notify.service_layer import emails
from services.notify.service_layer.notifications import ESF_LEFT
from shared import clock
from shared.collation import name_key

log = logging.getLogger(__name__)


def send_due_reminders(kit) -> int:
    """Create every reminder due now that was not created before; returns how many."""
    config = kit.config
    now = clock.now()
    with kit.unit_of_work() as uow:
        session = uow.session
        wanted = (_deadline_reminders(session, config, now) + _session_reminders(session, config, now)
                  + _esf_reminders(session, config, now))
        existing = _existing(session, wanted)
        created = 0
        for item in wanted:
            if (item["cause_key"], item["recipient"].lower(), item["template"]) in existing:
                continue
            if emails.queue(uow, config, **item):
                created += 1
    if created:
        log.info("reminders created", extra={"count": created})
    return created


def _existing(session, wanted: list[dict]) -> set[tuple[str, str, str]]:
    causes = sorted({w["cause_key"] for w in wanted})
    found: set[tuple[str, str, str]] = set()
    for start in range(0, len(causes), 500):
        found.update(tuple(row) for row in session.execute(
            select(Email.cause_key, Email.recipient, Email.template)
            .where(Email.cause_key.in_(causes[start:start + 500]))))
    return found


def _deadline_reminders(session, config, now) -> list[dict]:
    rows = session.execute(
        select(Application, Edition.application_deadline)
        .join(Edition, Edition.edition_id == Application.edition_id)
        .where(Application.status == "submitted", Application.all_confirmed.is_(False),
               Application.contact_email.is_not(None), Edition.application_deadline > now)).all()
    deadlines = {app.application_id: (app, deadline) for app, deadline in rows}
    due = schedule.due_reminders(now, config.reminders, deadlines=[
        (key, deadline, app.submitted_at) for key, (app, deadline) in deadlines.items()])
    wanted = []
    for reminder in due:
        app, deadline = deadlines[reminder.key]
        members = session.scalars(select(Participant).where(
            Participant.application_id == app.application_id,
            Participant.status.in_(("applicant", "accepted")))).all()
        unconfirmed = sorted((m for m in members if not m.confirmed),
                             key=lambda m: name_key(m.last_name, m.first_name, m.participant_id))
        if not unconfirmed:  # everyone confirmed, though enrolment has not said so yet
            continue
        cause_key = f"deadline:{app.application_id}:{reminder.stage}"
        params = {"team_name": app.team_name or "", "deadline": deadline,
                  "days_left": schedule.days_left(deadline, now),
                  "missing_members": [m.full_name for m in unconfirmed], "first_name": "", "confirm_url": ""}
        wanted.append({"template": "deadline_reminder", "recipient": app.contact_email, "language": app.language,
                       "cause_key": cause_key, "params": params})
        # Each member who has not confirmed, with their own link: they are the ones who can act.
        # Their link is signed when the reminder is composed, not the first e-mail's (which may be
        # months old and expired: an edition opening in November with a March deadline).
        for member in unconfirmed:
            if member.email and member.email.lower() != app.contact_email.lower():
                params_for_member = {key: value for key, value in params.items() if key != "confirm_url"}
                wanted.append({
                    "template": "deadline_reminder", "recipient": member.email, "language": member.language,
                    "recipient_name": member.full_name, "cause_key": cause_key,
                    "personal_links": {"confirm_url": emails.personal_link("confirm", member.participant_id)},
                    "params": {**params_for_member, "first_name": member.first_name or member.full_name}})
    return wanted


def _session_reminders(session, config, now) -> list[dict]:
    # A day's margin around the lead: the wall-clock rule in schedule.py decides exactly.
    horizon = now + config.reminders.session_lead + timedelta(days=1)
    rows = session.execute(
        select(WorkshopDay, Group.city).join(Group, Group.group_id == WorkshopDay.group_id)
        .where(WorkshopDay.starts_at > now, WorkshopDay.starts_at <= horizon)).all()
    days = {day.session_id: (day, city) for day, city in rows}
    due = schedule.due_reminders(now, config.reminders,
                                 sessions=[(key, day.starts_at) for key, (day, _) in days.items()])
    wanted = []
    for reminder in due:
        day, city = days[reminder.key]
        guests = select(MakeUpBooking.participant_id).where(
            MakeUpBooking.session_id == day.session_id, MakeUpBooking.booked.is_(True))
        participants = session.scalars(select(Participant).where(
            or_(Participant.group_id == day.group_id, Participant.participant_id.in_(guests)),
            Participant.status == "accepted", Participant.email.is_not(None))).all()
        for member in participants:
            wanted.append({
                "template": "session_reminder", "recipient": member.email, "language": member.language,
                "recipient_name": member.full_name,
                "cause_key": f"session:{day.session_id}:{emails.tallinn_date(day.starts_at).isoformat()}",
                "params": {"first_name": member.first_name, "day_number": day.day_number, "city": city,
                           "starts_at": day.starts_at, "ends_at": day.ends_at, "venue": day.venue,
                           "edition_id": day.edition_id},  # its make-up rule
                # The personal link that identifies them at the trainer's QR code.
                "personal_links": {"checkin_url": emails.personal_link("checkin", member.participant_id)}})
    return wanted


def _esf_reminders(session, config, now) -> list[dict]:
    # Counted back from reporting's deadline (reporting.esf_data.requested); without it, none.
    # Reporting asks each member in the team, and one who left it (substituted or withdrawn)
    # after attending a day (their form stays open, 4e45b17) until its esf_data.completed; one
    # who left before attending anything is out of its report and reminded of nothing.
    attended = select(AttendanceDay.participant_id).where(AttendanceDay.present.is_(True))
    members = session.scalars(select(Participant).where(
        or_(Participant.status == "accepted",
            Participant.status.in_(ESF_LEFT) & Participant.participant_id.in_(attended)),
        Participant.esf_completed.is_(False),
        Participant.esf_requested_at.is_not(None), Participant.esf_deadline.is_not(None),
        Participant.email.is_not(None))).all()
    requests = [(m.participant_id, m.esf_requested_at, schedule.end_of_day(m.esf_deadline)) for m in members]
    due = {r.key for r in schedule.due_reminders(now, config.reminders, esf_requests=requests)}
    wanted = []
    for member in members:
        if member.participant_id not in due:
            continue
        wanted.append({
            "template": "esf_data_reminder", "recipient": member.email, "language": member.language,
            "recipient_name": member.full_name, "cause_key": f"esf_reminder:{member.participant_id}",
            "personal_links": {"esf_url": emails.personal_link("esf", member.participant_id)},
            "params": {"first_name": member.first_name, "deadline": member.esf_deadline, "overdue": False}})
    return wanted
