"""What the use cases share: who acts, how a refusal looks, reading the projections."""
from __future__ import annotations

import hashlib
import hmac
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from services.attendance.adapters.models import (
    ACTIVE,
    Application,
    Edition,
    EditionMakeUpRule,
    Group,
    MakeUp,
    Organisation,
    Participant,
    ScheduledSession,
)
from services.attendance.domain.makeup import BROCHURE_RULE, MakeUpRule
from services.attendance.domain.schedule import DAY_NUMBERS, Schedule
from services.attendance.domain.schedule import Session as DaySession

SOURCES = ("sheet", "api", "self_check_in")


@dataclass(frozen=True)
class Actor:
    """Who changed a fact: a staff e-mail, or ``participant:<id>`` for a self check-in."""
    actor: str
    name: str
    source: str  # one of SOURCES: how the change came in, shown in the audit trail


class Refused(Exception):
    """A use case that must not happen, with the reason in both languages.

    ``field`` names the input the reason belongs to (a form field, a JSON key).
    """

    def __init__(self, code: str, message_et: str, message_en: str, *, field: str | None = None,
                 status: int = 422):
        super().__init__(message_en)
        self.code = code
        self.message_et = message_et
        self.message_en = message_en
        self.field = field
        self.status = status

    def message(self, language: str = "et") -> str:
        return self.message_en if language == "en" else self.message_et


class NotFound(Refused):
    def __init__(self, what_et: str, what_en: str):
        super().__init__("not_found", f"{what_et} ei leitud.", f"{what_en} not found.", status=404)


class SheetInvalid(Exception):
    """Some lines of a sheet cannot be saved; nothing was saved. {participant_id: Refused}."""

    def __init__(self, errors: dict[str, Refused]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def checkin_secret(secret_key: str) -> bytes:
    # Derived, so a check-in code never reveals anything about the key that signs sessions.
    return hmac.new(secret_key.encode(), b"attendance self check-in codes", hashlib.sha256).digest()


def rule_of(allowed: bool | None, window: str | None) -> MakeUpRule:
    """The domain rule from a ``make_up_rules`` row's columns (None: no row, the brochure's)."""
    if allowed is None or window is None:
        return BROCHURE_RULE
    return MakeUpRule(allowed=bool(allowed), window=window)


def make_up_rule(db: DbSession, edition_id: str | None) -> MakeUpRule:
    """The edition's make-up rule as stored now (no row: the brochure's)."""
    row = db.get(EditionMakeUpRule, edition_id) if edition_id is not None else None
    return BROCHURE_RULE if row is None else rule_of(row.make_ups_allowed, row.make_up_window)


def to_domain(row: ScheduledSession) -> DaySession:
    return DaySession(session_id=row.session_id, group_id=row.group_id, city=row.city,
                      day_number=row.day_number, starts_at=row.starts_at, ends_at=row.ends_at,
                      venue=row.venue or "", seats=row.seats)


# An edition's schedule, per database and process, with the version it was read at. The
# schedule changes only with enrolment.edition.published, which stores a new (revision,
# updated_at) on the edition row in the same transaction: a use case reads that version (one
# small row, or along with what it reads anyway) and takes the cached schedule only if it is
# the version it sees -- never a stale one, whichever process applied the change.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {edition_id: (version, Schedule)}
SCHEDULE_WRITTEN = "attendance_schedule_written"  # session.info: this transaction changed a schedule


def _shared_cache(db: DbSession) -> dict | None:
    """The process's cache for ``db``'s database; None while this transaction has changed a
    schedule (what it reads is not committed and must not be shared)."""
    if db.info.get(SCHEDULE_WRITTEN):
        return None
    bind = db.get_bind()
    return _CACHE.setdefault(getattr(bind, "engine", bind), {})


class Schedules:
    """The schedule projection as domain ``Schedule``s, one per edition, cached for one use
    case (and across use cases by the edition's version, see above); with each edition its
    make-up rule, read along with the group's edition (never cached beyond the use case)."""

    def __init__(self, db: DbSession):
        self.db = db
        self._by_edition: dict[str, Schedule] = {}
        self._by_group: dict[str, Schedule | None] = {}  # settling a sheet asks once per participant
        self._groups: dict[str, tuple[str | None, tuple | None]] = {}  # group -> (edition, version) read
        self._rules: dict[str, MakeUpRule] = {}  # edition -> its make-up rule

    def note_group(self, group_id: str | None, edition_id: str | None, revision, updated_at,
                   rule: MakeUpRule | None = None) -> None:
        """The caller read the group's edition, its version and its make-up rule already
        (saves the reads)."""
        if group_id is not None and group_id not in self._groups:
            self._groups[group_id] = (edition_id, (revision, updated_at) if revision is not None else None)
        if edition_id is not None and rule is not None:
            self._rules.setdefault(edition_id, rule)

    def rule_for_edition(self, edition_id: str | None) -> MakeUpRule:
        if edition_id is None:
            return BROCHURE_RULE
        if edition_id not in self._rules:
            self._rules[edition_id] = make_up_rule(self.db, edition_id)
        return self._rules[edition_id]

    def rule_for_group(self, group_id: str | None) -> MakeUpRule:
        """The make-up rule of the group's edition (the brochure's while none is known)."""
        if group_id is None:
            return BROCHURE_RULE
        if group_id not in self._groups:
            self._read_group(group_id)
        return self.rule_for_edition(self._groups[group_id][0])

    def for_edition(self, edition_id: str, version: tuple | None = None) -> Schedule:
        if edition_id not in self._by_edition:
            cache = _shared_cache(self.db)
            if cache is not None and version is None:
                row = self.db.execute(select(Edition.revision, Edition.updated_at).where(
                    Edition.edition_id == edition_id)).first()
                version = tuple(row) if row is not None else None
            cached = cache.get(edition_id) if cache is not None else None
            if cached is not None and version is not None and cached[0] == version:
                schedule = cached[1]
            else:
                rows = self.db.scalars(select(ScheduledSession).where(
                    ScheduledSession.edition_id == edition_id, ScheduledSession.active.is_(True))).all()
                schedule = Schedule(to_domain(r) for r in rows)
                if cache is not None and version is not None:
                    cache[edition_id] = (version, schedule)
            self._by_edition[edition_id] = schedule
        return self._by_edition[edition_id]

    def for_group(self, group_id: str | None) -> Schedule | None:
        """The group's edition schedule, or None while the group's three days are not known."""
        if group_id is None:
            return None
        if group_id not in self._by_group:
            self._by_group[group_id] = self._load_group(group_id)
        return self._by_group[group_id]

    def _read_group(self, group_id: str) -> None:
        row = self.db.execute(
            select(Group.edition_id, Edition.revision, Edition.updated_at, EditionMakeUpRule.make_ups_allowed,
                   EditionMakeUpRule.make_up_window)
            .outerjoin(Edition, Edition.edition_id == Group.edition_id)
            .outerjoin(EditionMakeUpRule, EditionMakeUpRule.edition_id == Group.edition_id)
            .where(Group.group_id == group_id)).first()
        if row is None:
            self.note_group(group_id, None, None, None)
        else:
            edition_id, revision, updated_at, allowed, window = row
            self.note_group(group_id, edition_id, revision, updated_at, rule_of(allowed, window))

    def _load_group(self, group_id: str) -> Schedule | None:
        if group_id not in self._groups:
            self._read_group(group_id)
        edition_id, version = self._groups[group_id]
        if edition_id is None:
            return None
        schedule = self.for_edition(edition_id, version)
        if any(schedule.find_session_of(group_id, day) is None for day in DAY_NUMBERS):
            return None
        return schedule


def lock_session(db: DbSession, session_id: str) -> ScheduledSession:
    """The session row, locked: seat counts and sheets of one session are changed one at a time."""
    row = db.scalar(select(ScheduledSession).where(ScheduledSession.session_id == session_id,
                                                   ScheduledSession.active.is_(True)).with_for_update())
    if row is None:
        raise NotFound("Koolituspäeva", "Session")
    return row


def lock_participants(db: DbSession, participant_ids: Iterable[str]) -> dict[str, Participant]:
    """Participant rows locked in id order (one order everywhere: no deadlocks), so two
    changes to one participant's facts and outcomes never interleave."""
    ids = sorted(set(participant_ids))
    if not ids:
        return {}
    rows = db.scalars(select(Participant).where(Participant.participant_id.in_(ids))
                      .order_by(Participant.participant_id).with_for_update()).all()
    return {p.participant_id: p for p in rows}


def taken_seats(db: DbSession, session_id: str, group_id: str, excluding: str | None = None) -> int:
    """Everyone already expected at the session: its own group's active members and its
    make-up guests (but ``excluding``)."""
    own = db.scalar(select(func.count()).select_from(Participant).join(
        Application, Application.application_id == Participant.application_id).where(
        Application.group_id == group_id, Participant.status == ACTIVE))
    # A guest who has left the programme since booking will not come: their seat is free.
    guests = select(func.count()).select_from(MakeUp).join(
        Participant, Participant.participant_id == MakeUp.participant_id).where(
        MakeUp.session_id == session_id, Participant.status == ACTIVE)
    if excluding is not None:
        guests = guests.where(MakeUp.participant_id != excluding)
    return int(own or 0) + int(db.scalar(guests) or 0)


def group_of(db: DbSession, participant: Participant) -> str | None:
    return db.scalar(select(Application.group_id).where(
        Application.application_id == participant.application_id))


def employer_of(db: DbSession, participant: Participant) -> dict | None:
    if participant.organisation_id is None:
        return None
    org = db.get(Organisation, participant.organisation_id)
    if org is None:
        return None
    return {"organisation_id": org.organisation_id, "name": org.name, "registry_code": org.registry_code,
            "kind": org.kind, "billing_email": org.billing_email, "address": org.address or ""}


def active_members(db: DbSession, group_id: str) -> list[Participant]:
    return list(db.scalars(select(Participant).join(
        Application, Application.application_id == Participant.application_id).where(
        Application.group_id == group_id, Participant.status == ACTIVE)).all())
