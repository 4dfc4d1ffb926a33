"""Read models for pages and the API: sessions, sheets, audit trails, standings, overviews.

Reads only; standings are recomputed from facts and now, the same way ``settle`` does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from services.attendance.adapters.models import (
    ACTIVE,
    GONE_BEFORE_DAY_ONE,
    SUBSTITUTED,
    WITHDRAWN,
    Application,
    AttendanceRecord,
    AuditEntry,
    Group,
    MakeUp,
    Organisation,
    Participant,
    PublishedOutcome,
    ScheduledSession,
)
from services.attendance.domain.makeup import make_up_sessions
from services.attendance.domain.outcomes import DayState, Outcome, ParticipantStanding, participant_standing
from services.attendance.domain.schedule import Session as DaySession
from services.attendance.service_layer.attendance import SheetView, sheet_lines
from services.attendance.service_layer.common import NotFound, Schedules, to_domain
from services.attendance.service_layer.outcomes import DROPPED_OUT, bookings_of, facts_of, final_dropout
from shared import clock
from shared.collation import estonian_key, name_key


def _by_name(p: Participant) -> tuple:
    """People as lists show them: last, then first name, in Estonian alphabetical order."""
    return name_key(p.last_name, p.first_name, p.participant_id)


def in_cities(query, column, cities: tuple[str, ...] | None):
    return query if cities is None else query.where(column.in_(cities))


def sessions(db: DbSession, cities: tuple[str, ...] | None) -> list[ScheduledSession]:
    query = select(ScheduledSession).where(ScheduledSession.active.is_(True)).order_by(
        ScheduledSession.starts_at, ScheduledSession.city)
    return list(db.scalars(in_cities(query, ScheduledSession.city, cities)))


def present_counts(db: DbSession) -> dict[str, int]:
    return dict(db.execute(select(AttendanceRecord.session_id, func.count()).where(
        AttendanceRecord.present.is_(True)).group_by(AttendanceRecord.session_id)).all())


def session(db: DbSession, session_id: str) -> ScheduledSession:
    row = db.scalar(select(ScheduledSession).where(ScheduledSession.session_id == session_id,
                                                   ScheduledSession.active.is_(True)))
    if row is None:
        raise NotFound("Koolituspäeva", "Session")
    return row


def group(db: DbSession, group_id: str) -> Group:
    row = db.scalar(select(Group).where(Group.group_id == group_id, Group.active.is_(True)))
    if row is None:
        raise NotFound("Gruppi", "Group")
    return row


def organisation_names(db: DbSession) -> dict[str, str]:
    return dict(db.execute(select(Organisation.organisation_id, Organisation.name)).all())


def sheet(db: DbSession, target: ScheduledSession) -> SheetView:
    """The session's sheet (``target`` as ``session`` returned it: the row is read once)."""
    return SheetView(target, sheet_lines(db, target))


def dropped_out_of(db: DbSession, participant_ids: list[str]) -> set[str]:
    """Those of ``participant_ids`` whose dropout was told and not taken back (they stay on
    their group's later sheets: one who comes anyway is recorded, but nobody is assumed present)."""
    if not participant_ids:
        return set()
    return set(db.scalars(select(PublishedOutcome.participant_id).where(
        PublishedOutcome.participant_id.in_(participant_ids), PublishedOutcome.kind == DROPPED_OUT,
        PublishedOutcome.cleared_at.is_(None))))


def audit(db: DbSession, session_id: str | None = None, participant_id: str | None = None) -> list[dict]:
    query = select(AuditEntry, Participant).join(
        Participant, Participant.participant_id == AuditEntry.participant_id).order_by(AuditEntry.id.desc())
    if session_id:
        query = query.where(AuditEntry.session_id == session_id)
    if participant_id:
        query = query.where(AuditEntry.participant_id == participant_id)
    return [{"participant_id": a.participant_id, "participant_name": p.name, "session_id": a.session_id,
             "old_present": a.old_present, "new_present": a.new_present, "source": a.source,
             "actor": a.actor, "actor_name": a.actor_name, "at": a.at}
            for a, p in db.execute(query).all()]


# -- standings ------------------------------------------------------------------------------------

@dataclass
class Row:
    """A participant's line in an overview: their standing and what it means."""
    participant: Participant
    group_id: str
    city: str
    organisation: str
    standing: ParticipantStanding | None
    outcome: str  # completed | dropped_out | at_risk | in_progress | not_recorded | unknown | substituted
    reason: str | None = None  # absence | withdrawal, for dropped_out
    unrecorded_days: list[int] = field(default_factory=list)  # own day or booked make-up over, sheet never saved


def _row(db: DbSession, schedules: Schedules, p: Participant, group_id: str, city: str, orgs: dict,
         now: datetime) -> Row:
    schedule = schedules.for_group(group_id)
    org = orgs.get(p.organisation_id or "", "")
    if schedule is None:
        return Row(p, group_id, city, org, None, "unknown")
    if p.status == SUBSTITUTED:
        # Replaced: what they attended stays, judged as it stood when they left the team.
        as_of = min(now, p.substituted_at) if p.substituted_at is not None else now
        standing = participant_standing(schedule, group_id, facts_of(db, p.participant_id), as_of,
                                        bookings_of(db, p.participant_id), schedules.rule_for_group(group_id),
                                        p.joined_at)
        return Row(p, group_id, city, org, standing, "substituted")
    standing = participant_standing(schedule, group_id, facts_of(db, p.participant_id), now,
                                    bookings_of(db, p.participant_id), schedules.rule_for_group(group_id),
                                    p.joined_at)
    unrecorded = [d.day_number for d in standing.days
                  if ((d.own_record is None and not d.before_joining) or d.unrecorded_make_ups)
                  and d.state in (DayState.ABSENT_OPEN, DayState.MISSED)]
    if p.status == WITHDRAWN and standing.outcome is not Outcome.COMPLETED:
        return Row(p, group_id, city, org, standing, "dropped_out", "withdrawal", unrecorded)
    if final_dropout(standing):
        return Row(p, group_id, city, org, standing, "dropped_out", "absence", unrecorded)
    if standing.outcome is Outcome.COMPLETED:
        return Row(p, group_id, city, org, standing, "completed", None, unrecorded)
    if standing.outcome is Outcome.DROPPED_OUT:
        # Missed for good on paper, but nobody recorded the absence (at home or at a booked
        # make-up): a sheet is missing.
        return Row(p, group_id, city, org, standing, "not_recorded", None, unrecorded)
    outcome = "at_risk" if standing.open_days else "in_progress"
    return Row(p, group_id, city, org, standing, outcome, None, unrecorded)


def _recorded(participant_id=None):
    """Whether something is recorded for the participant (a substituted member with a record
    is still shown: what they attended stays)."""
    return select(AttendanceRecord.id).where(AttendanceRecord.participant_id == (
        participant_id if participant_id is not None else Participant.participant_id)).exists()


def group_rows(db: DbSession, group_id: str, now: datetime) -> list[Row]:
    g = group(db, group_id)
    schedules, orgs = Schedules(db), organisation_names(db)
    members = db.scalars(select(Participant).join(
        Application, Application.application_id == Participant.application_id).where(
        Application.group_id == group_id,
        Participant.status.not_in(GONE_BEFORE_DAY_ONE) | ((Participant.status == SUBSTITUTED) & _recorded()))).all()
    members = sorted(members, key=_by_name)
    return [_row(db, schedules, p, group_id, g.city, orgs, now) for p in members]


def group_sessions(db: DbSession, group_id: str) -> list[DaySession]:
    schedule = Schedules(db).for_group(group_id)
    return schedule.sessions_of_group(group_id) if schedule else []


def at_risk(db: DbSession, cities: tuple[str, ...] | None, now: datetime) -> list[Row]:
    """Active participants with a missed day they can still make up (or whose sheet is missing)."""
    schedules, orgs = Schedules(db), organisation_names(db)
    query = select(Participant, Application.group_id, Group.city).join(
        Application, Application.application_id == Participant.application_id).join(
        Group, Group.group_id == Application.group_id).where(Participant.status == ACTIVE, Group.active.is_(True))
    found = sorted(db.execute(in_cities(query, Group.city, cities)).all(),
                   key=lambda row: (estonian_key(row[2]), _by_name(row[0])))
    rows = [_row(db, schedules, p, gid, city, orgs, now) for p, gid, city in found]
    return [r for r in rows if r.outcome == "at_risk"]


def participant(db: DbSession, participant_id: str, now: datetime) -> Row:
    p = db.get(Participant, participant_id)
    if p is None or (p.status in GONE_BEFORE_DAY_ONE
                     and not (p.status == SUBSTITUTED and db.scalar(select(_recorded(participant_id))))):
        raise NotFound("Osalejat", "Participant")
    app = db.get(Application, p.application_id)
    if app is None or app.group_id is None:
        raise NotFound("Osaleja gruppi", "The participant's group")
    city = db.scalar(select(Group.city).where(Group.group_id == app.group_id)) or app.city or ""
    return _row(db, Schedules(db), p, app.group_id, city, organisation_names(db), now)


def make_up_candidates(db: DbSession, target: ScheduledSession,
                       now: datetime | None = None) -> list[tuple[Participant, str]]:
    """Who could be booked here: active participants of other groups whose make-up window for
    this day contains the session, who have not attended the day (at home or as a make-up)
    and hold no seat for it at another session not over yet.
    (Booking checks the rule again, with the seats, and says why when it refuses.)"""
    schedules = Schedules(db)
    now = now or clock.now()
    booked = set(db.scalars(select(MakeUp.participant_id).where(MakeUp.session_id == target.session_id)))
    booked |= set(db.scalars(select(MakeUp.participant_id).join(
        ScheduledSession, ScheduledSession.session_id == MakeUp.session_id).where(
        MakeUp.day_number == target.day_number, ScheduledSession.active.is_(True), ScheduledSession.ends_at > now)))
    present = set(db.execute(select(AttendanceRecord.participant_id, AttendanceRecord.session_id).where(
        AttendanceRecord.present.is_(True))).all())
    query = select(Participant, Application.group_id, Group.city).join(
        Application, Application.application_id == Participant.application_id).join(
        Group, Group.group_id == Application.group_id).where(
        Group.edition_id == target.edition_id, Group.group_id != target.group_id,
        Participant.status == ACTIVE)
    fitting: dict[str, tuple[set[str], str | None]] = {}  # group -> (sessions that fit, own session)
    found = []
    for p, group_id, city in sorted(db.execute(query).all(),
                                    key=lambda row: (estonian_key(row[2]), _by_name(row[0]))):
        if group_id not in fitting:
            schedule = schedules.for_group(group_id)
            fitting[group_id] = (
                {s.session_id for s in make_up_sessions(schedule, group_id, target.day_number,
                                                        schedules.rule_for_group(group_id))}
                if schedule else set(),
                schedule.session_of(group_id, target.day_number).session_id if schedule else None)
        sessions, own = fitting[group_id]
        if (target.session_id in sessions and p.participant_id not in booked
                and not any((p.participant_id, s) in present for s in (own, *sessions))):
            found.append((p, city))
    return found


def participant_for_checkin(db: DbSession, participant_id: str) -> tuple[Participant, list[DaySession]] | None:
    """A participant opening their personal check-in link, with their own group's sessions."""
    p = db.get(Participant, participant_id)
    if p is None or p.status in GONE_BEFORE_DAY_ONE:
        return None
    group_id = db.scalar(select(Application.group_id).where(Application.application_id == p.application_id))
    schedule = Schedules(db).for_group(group_id)
    own = schedule.sessions_of_group(group_id) if schedule else []
    booked = db.scalars(select(ScheduledSession).join(MakeUp, MakeUp.session_id == ScheduledSession.session_id)
                        .where(MakeUp.participant_id == participant_id)).all()
    return p, sorted(own + [to_domain(b) for b in booked], key=lambda s: s.starts_at)
