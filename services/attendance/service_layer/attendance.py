"""Recording attendance: the sheet, single marks, make-up bookings, self check-in.

Every use case is one transaction: the record, its audit line, its
``attendance.attendance.recorded`` event and whatever outcome it settles commit together.
An unchanged mark writes nothing and publishes nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.attributes import set_committed_value

from services.attendance.adapters.models import (
    ACTIVE,
    Application,
    AttendanceRecord,
    AuditEntry,
    Group,
    MakeUp,
    Organisation,
    Participant,
    ScheduledSession,
)
from services.attendance.domain.checkin import CheckInRefused, verify_checkin_code
from services.attendance.domain.makeup import MakeUpRefused, check_make_up, make_up_sessions, rule_refusal
from services.attendance.domain.schedule import ROMAN_DAY, local_time_text
from services.attendance.service_layer.common import (
    Actor,
    NotFound,
    Refused,
    Schedules,
    SheetInvalid,
    checkin_secret,
    lock_participants,
    lock_session,
    taken_seats,
    to_domain,
)
from services.attendance.service_layer.outcomes import settle, settle_many
from shared import clock
from shared.collation import name_key
from shared.db import write_rows
from shared.messaging.outbox import UnitOfWork

SELF_CHECK_IN = "self_check_in"

# Checks the caller may change the (locked) session's sheet; raises if not (the API's city scope).
Authorize = Callable[[ScheduledSession], None]


# -- who is on a session's sheet ------------------------------------------------------------

@dataclass
class SheetLine:
    participant: Participant
    group_id: str | None  # the participant's own group
    make_up: bool  # from another group
    booked: bool  # a make-up booking exists
    record: AttendanceRecord | None
    organisation: str  # the employer's name, as shown on the sheet
    city: str  # the own group's city

    @property
    def participant_id(self) -> str:
        return self.participant.participant_id


def _people(db: DbSession, condition) -> dict[str, tuple]:
    """Participants matching ``condition``, each with their application's group, its city and
    their organisation's name (one query; no whole-table reads of groups or organisations)."""
    query = (select(Participant, Application.group_id, Group.city, Organisation.name)
             .outerjoin(Application, Application.application_id == Participant.application_id)
             .outerjoin(Group, Group.group_id == Application.group_id)
             .outerjoin(Organisation, Organisation.organisation_id == Participant.organisation_id)
             .where(condition))
    return {row[0].participant_id: tuple(row) for row in db.execute(query)}


def sheet_lines(db: DbSession, target: ScheduledSession) -> list[SheetLine]:
    """The session's own group's active members, its active make-up guests, and anyone already
    recorded there (so a record stays correctable after a withdrawal). Own group first, by name.
    A member who joined the team (a substitute) after the session ended is not on it: they were
    not there to be marked ("the unmarked are present" must not count them)."""
    records = {r.participant_id: r for r in db.scalars(
        select(AttendanceRecord).where(AttendanceRecord.session_id == target.session_id))}
    booked = set(db.scalars(select(MakeUp.participant_id).where(MakeUp.session_id == target.session_id)))
    people = _people(db, (Application.group_id == target.group_id) & (Participant.status == ACTIVE)
                     & (Participant.joined_at.is_(None) | (Participant.joined_at < target.ends_at)))
    others = (booked | set(records)) - set(people)
    if others:
        people.update(_people(db, Participant.participant_id.in_(others)))
    # A guest who has left the programme since booking will not come (nor hold a seat).
    for pid in booked - set(records):
        if pid in people and people[pid][0].status != ACTIVE:
            del people[pid]
    lines = [SheetLine(p, group_id, group_id != target.group_id, pid in booked, records.get(pid),
                       organisation or "", city or "")
             for pid, (p, group_id, city, organisation) in people.items()]
    lines.sort(key=lambda line: (line.make_up, name_key(line.participant.last_name, line.participant.first_name,
                                                        line.participant_id)))
    return lines


@dataclass
class SheetView:
    """A session's sheet as pages and the API show it (names come with the lines)."""
    session: ScheduledSession
    lines: list[SheetLine]

    def organisation(self, line: SheetLine) -> str:
        return line.organisation

    def city_of(self, line: SheetLine) -> str:
        return line.city


@dataclass(frozen=True)
class Saved:
    """What a write left: the ids whose mark changed, and the sheet as this transaction committed it."""
    changed: list[str]
    sheet: SheetView


# -- writing one mark -----------------------------------------------------------------------

def _not_started(target: ScheduledSession) -> Refused:
    day = to_domain(target)
    return Refused("session_not_started",
                   f"Koolituspäev ({target.city} {day.date_text}) algab kell {local_time_text(target.starts_at)}; "
                   "kohalolekut saab märkida alates algusest.",
                   f"The session ({target.city} {day.date_text}) starts at {local_time_text(target.starts_at)}; "
                   "attendance can be recorded from then on.", field="session_id")


class _Marks:
    """A use case's marks. New records go to the session (inserted at its next flush); changed
    records and every audit line are written by one statement each in ``write`` -- before
    settling reads the records -- instead of the ORM's statement per row (a sheet: 30 + 30)."""

    def __init__(self, uow, target: ScheduledSession, actor: Actor, now: datetime):
        self.uow, self.target, self.actor, self.now = uow, target, actor, now
        self.updates: list[dict] = []
        self.audit: list[dict] = []

    def mark(self, line: SheetLine, present: bool) -> bool:
        """Store one mark; False when it changes nothing (no record, no audit line, no event)."""
        target, actor, now = self.target, self.actor, self.now
        record = line.record
        if record is not None and record.present == present:
            return False
        old = record.present if record is not None else None
        changes = {"present": present, "make_up": line.make_up, "source": actor.source,
                   "recorded_by": actor.actor, "recorded_at": now}
        if record is None:
            record = line.record = AttendanceRecord(participant_id=line.participant_id,
                                                    session_id=target.session_id, **changes)
            self.uow.session.add(record)
        else:  # the object shows what ``write`` stores
            for key, value in changes.items():
                set_committed_value(record, key, value)
            self.updates.append({"id": record.id, **changes})
        self.audit.append({"participant_id": line.participant_id, "session_id": target.session_id,
                           "old_present": old, "new_present": present, "source": actor.source,
                           "actor": actor.actor, "actor_name": actor.name, "at": now})
        day = to_domain(target)
        self.uow.publish("attendance.attendance.recorded", {
            "participant_id": line.participant_id, "session_id": target.session_id, "city": target.city,
            "day_number": target.day_number, "date": day.local_date, "present": present,
            "make_up": line.make_up, "group_id": line.group_id or "", "source": actor.source,
            "corrected": old is not None})
        return True

    def write(self) -> None:
        db = self.uow.session
        write_rows(db, AttendanceRecord.__table__, self.updates, key="id")
        write_rows(db, AuditEntry.__table__, self.audit)
        if db.in_nested_transaction():  # a savepoint rolled back later must reload them
            for line_record in self.updates:
                db.expire(db.get(AttendanceRecord, line_record["id"]))
        self.updates, self.audit = [], []


def _settle_changed(uow, participants: dict[str, Participant], changed: Iterable[str], now: datetime) -> None:
    settle_many(uow, [participants[pid] for pid in sorted(set(changed))], now)


# -- the sheet and single marks ---------------------------------------------------------------

def save_sheet(kit, session_id: str, marks: list[tuple[str, bool]], actor: Actor,
               authorize: Authorize | None = None) -> Saved:
    """Store a sheet's marks (participants left out stay as they are). All or nothing: a line
    that is not on the sheet refuses the whole sheet. ``authorize`` sees the session first."""
    now = clock.now()
    with kit.unit_of_work() as uow:
        target = lock_session(uow.session, session_id)
        if authorize is not None:
            authorize(target)
        if now < target.starts_at:
            raise _not_started(target)
        sheet = sheet_lines(uow.session, target)
        lines = {line.participant_id: line for line in sheet}
        errors = {}
        seen = set()
        for participant_id, _ in marks:
            if participant_id in seen:
                errors[participant_id] = Refused("duplicate", "Osaleja on lehel kaks korda.",
                                                 "The participant is listed twice.", field="participant_id")
            elif participant_id not in lines:
                errors[participant_id] = _not_on_sheet()
            seen.add(participant_id)
        if errors:
            raise SheetInvalid(errors)
        participants = lock_participants(uow.session, seen)
        writer = _Marks(uow, target, actor, now)
        changed = [pid for pid, present in marks if writer.mark(lines[pid], present)]
        writer.write()
        _settle_changed(uow, participants, changed, now)
        # The answer shows the sheet as committed here: no second read of it after the commit.
        return Saved(changed, SheetView(target, sheet))


def _not_on_sheet() -> Refused:
    return Refused("not_on_sheet", "Osaleja ei ole selle koolituspäeva nimekirjas.",
                   "The participant is not on this session's list.", field="participant_id")


def line_of(db: DbSession, target: ScheduledSession, participant_id: str) -> tuple[Participant | None,
                                                                                SheetLine | None]:
    """One participant, their row locked, and their line on the session's sheet (None: not on
    it; the same rule as ``sheet_lines``) -- one query instead of reading the whole sheet."""
    row = db.execute(
        select(Participant, Application.group_id, Group.city, Organisation.name, AttendanceRecord,
               MakeUp.participant_id)
        .outerjoin(Application, Application.application_id == Participant.application_id)
        .outerjoin(Group, Group.group_id == Application.group_id)
        .outerjoin(Organisation, Organisation.organisation_id == Participant.organisation_id)
        .outerjoin(AttendanceRecord, (AttendanceRecord.participant_id == Participant.participant_id)
                   & (AttendanceRecord.session_id == target.session_id))
        .outerjoin(MakeUp, (MakeUp.participant_id == Participant.participant_id)
                   & (MakeUp.session_id == target.session_id))
        .where(Participant.participant_id == participant_id)
        .with_for_update(of=Participant)).first()
    if row is None:
        return None, None
    participant, group_id, city, organisation, record, booked = row
    active = participant.status == ACTIVE
    own = (group_id == target.group_id and active
           and (participant.joined_at is None or participant.joined_at < target.ends_at))
    if not (own or (booked is not None and active) or record is not None):
        return participant, None
    return participant, SheetLine(participant, group_id, group_id != target.group_id, booked is not None, record,
                                  organisation or "", city or "")


@dataclass(frozen=True)
class Marked:
    """What one mark left: whether it changed the record, and the participant's line as committed."""
    changed: list[str]
    session: ScheduledSession
    line: SheetLine


def mark(kit, session_id: str, participant_id: str, present: bool, actor: Actor,
         authorize: Authorize | None = None) -> Marked:
    """One mark. A participant of another group marked present is booked as a make-up first
    (the make-up rule and the seat limit apply; a booking for the day elsewhere that has not
    taken place yet is given up). ``authorize`` sees the session first."""
    now = clock.now()
    with kit.unit_of_work() as uow:
        target = lock_session(uow.session, session_id)
        if authorize is not None:
            authorize(target)
        if now < target.starts_at:
            raise _not_started(target)
        participant, line = line_of(uow.session, target, participant_id)  # locks the participant
        if participant is None:
            raise NotFound("Osalejat", "Participant")
        if line is None:
            if not present:
                raise _not_on_sheet()
            _book(uow, target, participant, actor, now, replace_open=True)
            _, line = line_of(uow.session, target, participant_id)
        writer = _Marks(uow, target, actor, now)
        changed = writer.mark(line, present)
        writer.write()
        if changed:
            settle_many(uow, [participant], now)
        return Marked([participant_id] if changed else [], target, line)


# -- make-up ------------------------------------------------------------------------------------

def book_make_up(kit, session_id: str, participant_id: str, actor: Actor) -> tuple[MakeUp, bool]:
    """Book a participant into another group's session to make up a missed day.
    Returns (booking, created); booking twice is a no-op."""
    now = clock.now()
    with kit.unit_of_work() as uow:
        target = lock_session(uow.session, session_id)
        participant = lock_participants(uow.session, [participant_id]).get(participant_id)
        if participant is None:
            raise NotFound("Osalejat", "Participant")
        existing = uow.session.scalar(select(MakeUp).where(MakeUp.participant_id == participant_id,
                                                           MakeUp.session_id == session_id))
        if existing is not None:
            return existing, False
        booking = _book(uow, target, participant, actor, now)
        settle(uow, participant, now)
        return booking, True


def _book(uow: UnitOfWork, target: ScheduledSession, participant: Participant, actor: Actor,
          now: datetime, *, replace_open: bool = False) -> MakeUp:
    """Check the make-up rule (domain) and the seats, then book. The caller holds the
    session's row lock, so two bookings cannot both take the last seat.

    Refused as well when the day is already made up elsewhere (``already_made_up``) or
    another booking for the day has a session not over yet (``already_booked``, 409; one
    whose session ended without a presence no longer counts). ``replace_open``: the
    participant is in this room (a presence is being recorded), so such a booking elsewhere
    is cancelled instead, freeing its seat. Both publish in the booking's transaction
    (``attendance.make_up.booked`` / ``cancelled``): notify reminds the guest of the day."""
    db = uow.session
    if participant.status != ACTIVE:
        raise Refused("not_active", "Osaleja on programmist lahkunud.", "The participant has left the programme.",
                      field="participant_id")
    schedules = Schedules(db)
    group_id = db.scalar(select(Application.group_id).where(
        Application.application_id == participant.application_id))
    schedule = schedules.for_group(group_id)
    if schedule is None or target.session_id not in schedule:
        raise Refused("unknown_group", "Osaleja grupi ajakava ei ole teada.",
                      "The participant's group has no schedule in this edition.", field="participant_id")
    rule = schedules.rule_for_group(group_id)  # the edition's, read with the group above
    own = schedule.session_of(group_id, target.day_number)
    own_record = db.scalar(select(AttendanceRecord.present).where(
        AttendanceRecord.participant_id == participant.participant_id,
        AttendanceRecord.session_id == own.session_id))
    if own_record is True and group_id != target.group_id:
        day = ROMAN_DAY[target.day_number]
        raise Refused("already_attended",
                      f"Osaleja osales oma grupi {day} päeval ({own.date_text}); järele pole midagi teha.",
                      f"The participant attended their own group's day {day} ({own.date_text}); "
                      "there is nothing to make up.", field="participant_id")
    day = ROMAN_DAY[target.day_number]
    # Once the day is made up, or a seat is held for it elsewhere, another booking would only
    # take a seat somebody else may need.
    made_up_at = db.scalar(select(ScheduledSession).join(
        AttendanceRecord, AttendanceRecord.session_id == ScheduledSession.session_id).where(
        AttendanceRecord.participant_id == participant.participant_id, AttendanceRecord.present.is_(True),
        ScheduledSession.session_id.in_([s.session_id for s in make_up_sessions(schedule, group_id,
                                                                                 target.day_number, rule)]),
        ScheduledSession.session_id != target.session_id))
    if made_up_at is not None and group_id != target.group_id:
        where = f"{made_up_at.city} {to_domain(made_up_at).date_text}"
        raise Refused("already_made_up", f"Osaleja on {day} päeva juba järele teinud ({where}).",
                      f"The participant has already made up day {day} ({where}).", field="participant_id")
    elsewhere = db.scalars(select(MakeUp).join(ScheduledSession, ScheduledSession.session_id == MakeUp.session_id).where(
        MakeUp.participant_id == participant.participant_id, MakeUp.day_number == target.day_number,
        MakeUp.session_id != target.session_id, ScheduledSession.active.is_(True),
        ScheduledSession.ends_at > now)).all()
    if elsewhere and replace_open:
        for other in elsewhere:  # present here: the seat held there is free again
            db.delete(other)
            uow.publish("attendance.make_up.cancelled", {"participant_id": other.participant_id,
                                                         "session_id": other.session_id,
                                                         "day_number": other.day_number})
    elif elsewhere:
        other = db.get(ScheduledSession, elsewhere[0].session_id)
        where = f"{other.city} {to_domain(other).date_text}"
        raise Refused("already_booked", f"Osaleja on {day} päeva järeletegemiseks juba kirjas: {where}.",
                      f"The participant is already booked to make up day {day}: {where}.",
                      field="participant_id", status=409)
    taken = taken_seats(db, target.session_id, target.group_id, excluding=participant.participant_id)
    try:
        check_make_up(schedule, group_id, target.day_number, schedule.get(target.session_id), taken, rule)
    except MakeUpRefused as refusal:
        raise Refused(refusal.code, refusal.message_et, refusal.message_en, field="participant_id") from None
    booking = MakeUp(participant_id=participant.participant_id, session_id=target.session_id,
                     day_number=target.day_number, booked_by=actor.actor, booked_at=now)
    db.add(booking)
    db.flush()
    uow.publish("attendance.make_up.booked", {
        "participant_id": participant.participant_id, "session_id": target.session_id,
        "day_number": target.day_number, "city": target.city, "date": to_domain(target).local_date})
    return booking


# -- self check-in ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckInResult:
    session: ScheduledSession
    participant: Participant
    changed: bool


def self_check_in(kit, session_id: str, code: str, participant_id: str) -> CheckInResult:
    """A participant scanned the room's QR code with their identifying cookie.

    Refused: a code older than two minutes or not of this session, outside the session's
    hours, or a participant not on this session's list (another group without a booked
    make-up, another person's link). A mark the trainer made stays: manual marking is
    the authority, a self check-in only fills in what nobody has marked yet.
    """
    now = clock.now()
    with kit.unit_of_work() as uow:
        target = lock_session(uow.session, session_id)
        try:
            verify_checkin_code(checkin_secret(kit.settings.secret_key), to_domain(target), code, now)
        except CheckInRefused as refusal:
            raise Refused(refusal.code, refusal.message_et, refusal.message_en, field="code") from None
        participants = lock_participants(uow.session, [participant_id])
        participant = participants.get(participant_id)
        line = next((x for x in sheet_lines(uow.session, target) if x.participant_id == participant_id), None)
        if participant is None or participant.status != ACTIVE or line is None:
            raise Refused("not_on_sheet",
                          "Te ei ole selle koolituspäeva nimekirjas. Kui tulite järele tegema, pöörduge koolitaja poole.",
                          "You are not on this session's list. If you came to make up a day, please see the trainer.",
                          status=403)
        if line.record is not None and line.record.source != SELF_CHECK_IN:
            if line.record.present:
                return CheckInResult(target, participant, False)
            raise Refused("marked_by_trainer",
                          "Koolitaja on teid juba puudujaks märkinud; palun pöörduge koolitaja poole.",
                          "The trainer has already marked you absent; please see the trainer.", status=409)
        if line.make_up:
            _check_guest(uow.session, target, line)
        actor = Actor(f"participant:{participant_id}", participant.name, SELF_CHECK_IN)
        writer = _Marks(uow, target, actor, now)
        changed = writer.mark(line, True)
        writer.write()
        if changed:
            _settle_changed(uow, participants, [participant_id], now)
        return CheckInResult(target, participant, changed)


def _check_guest(db: DbSession, target: ScheduledSession, line: SheetLine) -> None:
    """A guest checking in: the booking must still fit the edition's make-up rule (the
    coordinator may have changed it since the booking); refused with the rule otherwise."""
    schedules = Schedules(db)
    schedule = schedules.for_group(line.group_id)
    if schedule is None or target.session_id not in schedule:
        return  # no standing to judge by: the presence is recorded, and counts for nothing
    refusal = rule_refusal(schedule, line.group_id, target.day_number, schedule.get(target.session_id),
                           schedules.rule_for_group(line.group_id))
    if refusal is not None:
        raise Refused(refusal.code, f"{refusal.message_et} Palun pöörduge koolitaja poole.",
                      f"{refusal.message_en} Please see the trainer.", status=409)


def session_for_typed_code(kit, code: str) -> str | None:
    """For a code typed in by hand: the running session whose code it is (None: no such)."""
    now = clock.now()
    secret = checkin_secret(kit.settings.secret_key)
    with kit.db.read_sessions() as db:
        running = db.scalars(select(ScheduledSession).where(
            ScheduledSession.active.is_(True), ScheduledSession.starts_at <= now,
            ScheduledSession.ends_at > now)).all()
    for candidate in running:
        try:
            verify_checkin_code(secret, to_domain(candidate), code.strip(), now)
        except CheckInRefused:
            continue
        return candidate.session_id
    return None
