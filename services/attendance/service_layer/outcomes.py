"""Outcomes: compare a participant's standing (a pure function of facts and now) with what
has been published, and publish the difference — each outcome once.

``settle`` is called by every use case that changes a participant's facts (a mark, a
make-up, a roster or schedule event) inside its transaction, and by the tick for everyone
whose open absence may have run out. It never trusts "what changed": it recomputes.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Boolean, cast, inspect, null, select, union_all
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.attributes import set_committed_value

from services.attendance.adapters.models import (
    GONE_BEFORE_DAY_ONE,
    WITHDRAWN,
    Application,
    AttendanceRecord,
    Edition,
    EditionMakeUpRule,
    Group,
    MakeUp,
    Participant,
    PublishedOutcome,
)
from services.attendance.domain.makeup import free_seats
from services.attendance.domain.outcomes import (
    DayStanding,
    DayState,
    Outcome,
    ParticipantStanding,
    days_held_by,
    participant_standing,
)
from services.attendance.domain.schedule import Session as DaySession
from services.attendance.service_layer.common import (
    Schedules,
    employer_of,
    lock_participants,
    rule_of,
    taken_seats,
)
from shared import clock
from shared.db import write_rows
from shared.messaging.outbox import UnitOfWork

log = logging.getLogger(__name__)

ABSENT, DROPPED_OUT, COMPLETED = "absent", "dropped_out", "completed"


def facts_of(db: DbSession, participant_id: str) -> dict[str, bool]:
    return {r.session_id: r.present for r in db.scalars(
        select(AttendanceRecord).where(AttendanceRecord.participant_id == participant_id))}


def bookings_of(db: DbSession, participant_id: str) -> set[str]:
    return set(db.scalars(select(MakeUp.session_id).where(MakeUp.participant_id == participant_id)))


def final_dropout(standing: ParticipantStanding) -> bool:
    """Dropped out for absence, on a recorded absence.

    The domain also counts a day nobody recorded as missed. A sheet that was never saved
    must not turn a whole group into dropouts (and their employers into debtors), so such
    a day is shown on the overview ("not recorded") and waits for the trainer's sheet. The
    same holds for a make-up the participant booked: until that sheet records them there,
    they may well have come, so the day is not lost yet.
    """
    return standing.outcome is Outcome.DROPPED_OUT and any(_lost(d) for d in standing.days)


def _lost(day: DayStanding) -> bool:
    """Missed for good on record: absent at home, and no booked make-up waits for its sheet."""
    return day.state is DayState.MISSED and day.absent_on_record and not day.unrecorded_make_ups


def _absence_is_news(day, now: datetime) -> bool:
    """A recorded absence is told (``attendance.participant.absent``) once the own session has
    ended: marked absent at 10:30, a participant may still arrive, and a notice at once
    would tell them they missed a day they are attending. A substitute who joined after their
    group's day was held is told at once, as for a sheet filled in after the session."""
    return (day.absent_on_record and day.state in (DayState.ABSENT_OPEN, DayState.MISSED)
            and day.own_session.has_ended(now))


def next_check(standing: ParticipantStanding, now: datetime) -> datetime | None:
    """When time alone may change what is to be published: the end of the own session of a
    recorded absence (its notice is due then), and the end of the last chance of a recorded
    absence that is still open."""
    ends = []
    for d in standing.days:
        if d.state is DayState.ABSENT_OPEN and d.absent_on_record:
            ends.append(d.own_session.ends_at if not d.own_session.has_ended(now) else d.last_chance_ends_at)
    ends = [end for end in ends if end is not None]
    return min(ends) if ends else None


class _Published:
    """The participant's rows of published outcomes, by (kind, day).

    A change to a stored row is kept in ``changed`` (shared by a batch) and written with the
    batch's other changes by one UPDATE (``_write_changes``); new rows are added to the session.
    """

    def __init__(self, db: DbSession, participant_id: str, rows: dict[tuple[str, int], PublishedOutcome],
                 changed: dict[int, PublishedOutcome]):
        self.db = db
        self.participant_id = participant_id
        self.rows = rows
        self.changed = changed

    def active(self, kind: str, day: int = 0) -> PublishedOutcome | None:
        row = self.rows.get((kind, day))
        return row if row is not None and row.cleared_at is None else None

    def _set(self, row: PublishedOutcome, **values) -> None:
        if row.id is None:  # new: inserted by the session's flush
            for key, value in values.items():
                setattr(row, key, value)
            return
        for key, value in values.items():  # stored: the object shows it, the UPDATE below writes it
            set_committed_value(row, key, value)
        self.changed[row.id] = row

    def record(self, kind: str, event_id: str, now: datetime, day: int = 0, reason: str | None = None) -> None:
        row = self.rows.get((kind, day))
        if row is None:
            row = PublishedOutcome(participant_id=self.participant_id, kind=kind, day_number=day)
            self.db.add(row)
            self.rows[(kind, day)] = row
        self._set(row, reason=reason, event_id=event_id, published_at=now, cleared_at=None)

    def clear(self, kind: str, now: datetime, day: int = 0) -> None:
        self._set(self.rows[(kind, day)], cleared_at=now)


_CHANGEABLE = ("reason", "event_id", "published_at", "cleared_at")


def _write_changes(db: DbSession, changed: dict[int, PublishedOutcome]) -> None:
    """One UPDATE for every stored published outcome a batch changed (a sheet: up to 30)."""
    write_rows(db, PublishedOutcome.__table__, [{"id": row_id, **{key: getattr(row, key) for key in _CHANGEABLE}}
                                                for row_id, row in changed.items()], key="id")
    # Written behind the ORM's back: a savepoint rolled back later must reload them.
    for row in changed.values():
        db.expire(row, list(_CHANGEABLE))


class _Seats:
    """Seats taken at seat-limited sessions, counted once per batch (an absence notice offers
    only sessions with a seat free)."""

    def __init__(self, db: DbSession):
        self.db = db
        self.taken: dict[str, int] = {}

    def free_for(self, session: DaySession, booked: set[str]) -> bool:
        if session.seats is None:
            return True
        if session.session_id not in self.taken:
            self.taken[session.session_id] = taken_seats(self.db, session.session_id, session.group_id)
        # The participant's own booking there is a seat already theirs.
        taken = self.taken[session.session_id] - (1 if session.session_id in booked else 0)
        return free_seats(session, taken) != 0


class _Checks:
    """New ``check_at`` times of a batch's participants, written by one UPDATE (a sheet: up to 30)."""

    def __init__(self):
        self.changed: dict[str, Participant] = {}

    def set(self, participant: Participant, when: datetime | None) -> None:
        if participant.check_at == when:
            return
        if inspect(participant).persistent:  # stored: the object shows it, ``write`` stores it
            set_committed_value(participant, "check_at", when)
            self.changed[participant.participant_id] = participant
        else:  # new: inserted by the session's flush
            participant.check_at = when

    def write(self, db: DbSession) -> None:
        write_rows(db, Participant.__table__, [{"participant_id": pid, "check_at": p.check_at}
                                               for pid, p in self.changed.items()], key="participant_id")
        if db.in_nested_transaction():  # a savepoint rolled back later must reload them
            for participant in self.changed.values():
                db.expire(participant, ["check_at"])


def settle(uow: UnitOfWork, participant: Participant, now: datetime, schedules: Schedules | None = None,
           *, reinstated_reason: str = "correction") -> ParticipantStanding | None:
    """Publish what the participant's standing at ``now`` calls for and was not yet published.

    The caller holds the participant's row lock. Returns the standing, or None while the
    participant cannot be judged yet (no acceptance or schedule for their group so far).
    ``reinstated_reason`` says why an outcome is taken back (``reinstated``,
    ``completion_revoked``): a correction, a schedule change, or a change of the edition's
    make-up rule (``policy_change``).
    """
    return settle_many(uow, [participant], now, schedules,
                       reinstated_reason=reinstated_reason)[participant.participant_id]


def settle_many(uow: UnitOfWork, participants: Iterable[Participant], now: datetime,
                schedules: Schedules | None = None, *,
                reinstated_reason: str = "correction") -> dict[str, ParticipantStanding | None]:
    """``settle`` each participant, in the order given (the order their events are published).

    What settling reads is read for all of them at once (a sheet settles up to 30 people):
    one query each for the applications (with their groups' editions), the attendance records
    and the published outcomes.
    The records are read after the caller's marks, which autoflush writes first.
    """
    db = uow.session
    schedules = schedules or Schedules(db)
    participants = list(participants)
    ids = [p.participant_id for p in participants]
    if not ids:
        return {}
    applications = {}
    # With each application its group's edition, that edition's version and its make-up rule:
    # the schedule then comes from the process's cache without another read (see ``Schedules``).
    for application, edition_id, revision, updated_at, allowed, window in db.execute(
            select(Application, Group.edition_id, Edition.revision, Edition.updated_at,
                   EditionMakeUpRule.make_ups_allowed, EditionMakeUpRule.make_up_window)
            .outerjoin(Group, Group.group_id == Application.group_id)
            .outerjoin(Edition, Edition.edition_id == Group.edition_id)
            .outerjoin(EditionMakeUpRule, EditionMakeUpRule.edition_id == Group.edition_id)
            .where(Application.application_id.in_({p.application_id for p in participants}))):
        applications[application.application_id] = application
        if edition_id is not None:
            schedules.note_group(application.group_id, edition_id, revision, updated_at, rule_of(allowed, window))
    facts: dict[str, dict[str, bool]] = {pid: {} for pid in ids}
    booked: dict[str, set[str]] = {pid: set() for pid in ids}
    # The records and the make-up bookings in one read; a booking's row has no presence.
    for participant_id, session_id, present in db.execute(union_all(
            select(AttendanceRecord.participant_id, AttendanceRecord.session_id, AttendanceRecord.present)
            .where(AttendanceRecord.participant_id.in_(ids)),
            select(MakeUp.participant_id, MakeUp.session_id, cast(null(), Boolean))
            .where(MakeUp.participant_id.in_(ids)))):
        if present is None:
            booked[participant_id].add(session_id)
        else:
            facts[participant_id][session_id] = present
    published: dict[str, dict] = {pid: {} for pid in ids}
    for row in db.scalars(select(PublishedOutcome).where(PublishedOutcome.participant_id.in_(ids))):
        published[row.participant_id][(row.kind, row.day_number)] = row
    standings = {}
    changed: dict[int, PublishedOutcome] = {}
    checks = _Checks()
    seats = _Seats(db)
    # Everything settling compares is loaded: what it writes goes out in one flush at commit
    # (and the stored published outcomes it changes in one UPDATE).
    with db.no_autoflush:
        for p in participants:
            standings[p.participant_id] = _settle(
                uow, p, applications.get(p.application_id), facts[p.participant_id], booked[p.participant_id],
                _Published(db, p.participant_id, published[p.participant_id], changed), checks, seats, now,
                schedules, reinstated_reason)
    _write_changes(db, changed)
    checks.write(db)
    return standings


def _settle(uow: UnitOfWork, participant: Participant, application: Application | None, facts: dict[str, bool],
            booked: set[str], published: _Published, checks: _Checks, seats: _Seats, now: datetime,
            schedules: Schedules, reinstated_reason: str) -> ParticipantStanding | None:
    if participant.status in GONE_BEFORE_DAY_ONE or application is None or application.group_id is None:
        checks.set(participant, None)
        return None
    group_id = application.group_id
    schedule = schedules.for_group(group_id)
    if schedule is None:
        checks.set(participant, None)  # settled again when the schedule arrives
        return None
    standing = participant_standing(schedule, group_id, facts, now, booked, schedules.rule_for_group(group_id),
                                    participant.joined_at)
    base = {"participant_id": participant.participant_id, "application_id": participant.application_id}

    if participant.status == WITHDRAWN:
        checks.set(participant, None)
        if standing.outcome is not Outcome.COMPLETED and published.active(COMPLETED):
            _revoke_completion(uow, participant, published, standing, now, group_id, reinstated_reason)
        # A withdrawal after completing or after dropping out for absence changes nothing.
        if not published.active(DROPPED_OUT) and not published.active(COMPLETED):
            withdrawn_at = participant.withdrawn_at or application.withdrawn_at or now
            _publish_dropout(uow, participant, published, standing, now, group_id, "withdrawal",
                             days_held_by(schedule, group_id, withdrawn_at, participant.joined_at), withdrawn_at)
        return standing

    dropped = final_dropout(standing)
    current = published.active(DROPPED_OUT)
    if current is not None and current.reason == "absence" and not dropped:
        # A correction (or a moved session) undid the dropout: say so, and forget it, so a
        # later final absence is published again.
        envelope = uow.publish("attendance.participant.reinstated",
                               {**base, "group_id": group_id, "reason": reinstated_reason})
        published.clear(DROPPED_OUT, now)
        log.info("participant reinstated", extra={"participant_id": participant.participant_id,
                                                  "event_id": envelope.event_id})
    if standing.outcome is not Outcome.COMPLETED and published.active(COMPLETED):
        # Before any absence or dropout it leads to, so that downstream reads them in order.
        _revoke_completion(uow, participant, published, standing, now, group_id, reinstated_reason)

    out_of_programme = dropped or published.active(DROPPED_OUT) is not None
    for day in standing.days:
        if _absence_is_news(day, now) and not out_of_programme and not published.active(ABSENT, day.day_number):
            envelope = uow.publish("attendance.participant.absent", {
                **base, "day_number": day.day_number, "missed_session_id": day.own_session.session_id,
                "make_up_sessions": [{"session_id": s.session_id, "city": s.city, "date": s.local_date}
                                     for s in day.open_make_ups if seats.free_for(s, booked)]})
            published.record(ABSENT, envelope.event_id, now, day=day.day_number)
        elif not day.absent_on_record and published.active(ABSENT, day.day_number):
            # The absence was corrected away; should it be recorded again, that is news again.
            published.clear(ABSENT, now, day=day.day_number)

    if dropped and not published.active(DROPPED_OUT):
        # Out when the first day lost on record ran out, not one still waiting for a sheet.
        # (A substitute who joined after that: from when they joined.)
        dropped_out_at = min(d.last_chance_ends_at for d in standing.days if _lost(d))
        if participant.joined_at is not None and dropped_out_at < participant.joined_at:
            dropped_out_at = participant.joined_at
        _publish_dropout(uow, participant, published, standing, now, group_id, "absence",
                         days_held_by(schedule, group_id, dropped_out_at, participant.joined_at), dropped_out_at)

    if standing.outcome is Outcome.COMPLETED and not published.active(COMPLETED):
        envelope = uow.publish("attendance.participant.completed", {**base, "group_id": group_id})
        published.record(COMPLETED, envelope.event_id, now)

    checks.set(participant, None if published.active(DROPPED_OUT) else next_check(standing, now))
    return standing


def _revoke_completion(uow: UnitOfWork, participant: Participant, published: _Published,
                       standing: ParticipantStanding, now: datetime, group_id: str, reason: str) -> None:
    """Take back a published completion that no longer holds; forgetting it lets the
    completion be published again once the days are attended after all."""
    day = next(d for d in standing.days if not d.counts_as_attended)
    envelope = uow.publish("attendance.participant.completion_revoked", {
        "participant_id": participant.participant_id, "application_id": participant.application_id,
        "group_id": group_id, "day_number": day.day_number, "reason": reason})
    published.clear(COMPLETED, now)
    log.info("completion revoked", extra={"participant_id": participant.participant_id,
                                          "event_id": envelope.event_id})


def _publish_dropout(uow: UnitOfWork, participant: Participant, published: _Published,
                     standing: ParticipantStanding, now: datetime, group_id: str, reason: str,
                     days_held: int, dropped_out_at: datetime | None) -> None:
    employer = employer_of(uow.session, participant)
    if employer is None:
        # Billing cannot claim without the employer; the acceptance that names it settles again.
        log.warning("dropout waits for the employer", extra={"participant_id": participant.participant_id})
        return
    envelope = uow.publish("attendance.participant.dropped_out", {
        "participant_id": participant.participant_id, "application_id": participant.application_id,
        "group_id": group_id, "reason": reason, "days_attended": standing.days_attended,
        "days_held": days_held, "employer": employer, "first_name": participant.first_name,
        "last_name": participant.last_name, "dropped_out_at": dropped_out_at})
    published.record(DROPPED_OUT, envelope.event_id, now, reason=reason)


def settle_all(uow: UnitOfWork, participant_ids, now: datetime, *, reinstated_reason: str = "correction") -> None:
    settle_many(uow, lock_participants(uow.session, participant_ids).values(), now,
                reinstated_reason=reinstated_reason)


def close_make_up_windows(kit) -> None:
    """Tick: settle everyone whose open absence's last chance has ended by now.

    Selects by ``check_at <= now``, never "in the last minute", so a worker that was down
    for a week catches up on its first run; each participant gets their own transaction.
    """
    now = clock.now()
    with kit.db.engine.connect() as conn:
        due = conn.execute(select(Participant.participant_id).where(
            Participant.check_at.is_not(None), Participant.check_at <= now)
            .order_by(Participant.check_at)).scalars().all()
    for participant_id in due:
        try:
            with kit.unit_of_work() as uow:
                participant = lock_participants(uow.session, [participant_id]).get(participant_id)
                if participant is not None and participant.check_at is not None and participant.check_at <= now:
                    settle(uow, participant, now)
        except Exception:  # noqa: BLE001 - one participant's problem must not hold back the others
            log.exception("settling failed", extra={"participant_id": participant_id})
