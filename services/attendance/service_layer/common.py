"""What the use cases share: who acts, how a refusal looks, reading the projections."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from services.attendance.adapters.models import (
    ACTIVE,
    Application,
    Group,
    Organisation,
    Participant,
    ScheduledSession,
)
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


def to_domain(row: ScheduledSession) -> DaySession:
    return DaySession(session_id=row.session_id, group_id=row.group_id, city=row.city,
                      day_number=row.day_number, starts_at=row.starts_at, ends_at=row.ends_at,
                      venue=row.venue or "", seats=row.seats)


class Schedules:
    """The schedule projection as domain ``Schedule``s, one per edition, cached for one use case."""

    def __init__(self, db: DbSession):
        self.db = db
        self._by_edition: dict[str, Schedule] = {}
        self._by_group: dict[str, Schedule | None] = {}  # settling a sheet asks once per participant

    def for_edition(self, edition_id: str) -> Schedule:
        if edition_id not in self._by_edition:
            rows = self.db.scalars(select(ScheduledSession).where(
                ScheduledSession.edition_id == edition_id, ScheduledSession.active.is_(True))).all()
            self._by_edition[edition_id] = Schedule(to_domain(r) for r in rows)
        return self._by_edition[edition_id]

    def for_group(self, group_id: str | None) -> Schedule | None:
        """The group's edition schedule, or None while the group's three days are not known."""
        if group_id is None:
            return None
        if group_id not in self._by_group:
            self._by_group[group_id] = self._load_group(group_id)
        return self._by_group[group_id]

    def _load_group(self, group_id: str) -> Schedule | None:
        edition_id = self.db.scalar(select(Group.edition_id).where(Group.group_id == group_id))
        if edition_id is None:
            return None
        schedule = self.for_edition(edition_id)
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
