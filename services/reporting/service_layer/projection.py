"""Reporting's copy of enrolment's and attendance's events: who is in which group, working
where, and when they entered and left.

The inbox drops redelivered events; the handlers are also right when events come out of order:
- rows are upserted by id; an event about someone not seen yet creates their row first;
- an edition keeps its newest ``revision``; member data the newest event's (``occurred_at``);
- statuses "substituted" and "withdrawn" are sticky (a late acceptance does not undo them);
- each attendance record keeps its newest version, and the newest outcome wins
  (completed / dropped out / reinstated / completion revoked); a revocation never undoes
  the dropout it led to (attendance publishes the revocation first).

Entry date = the first day attended (own group or make-up). Exit date = the last day attended
for a completion, the day attendance settled a dropout, or — read-side, see ``records`` — the
day of the substitution for a member replaced after attending (``status_changed_at``), or the
group's last day for someone still without an outcome after it.

Participants of an anonymised edition are remembered only as a digest; events about them are
ignored, so nothing personal comes back after anonymisation.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from services.reporting.adapters.models import (
    ACTIVE,
    SUBSTITUTED,
    WITHDRAWN,
    Application,
    AttendanceDay,
    Edition,
    ForgottenParticipant,
    Group,
    Organisation,
    Participant,
)
from shared import clock
from shared.events.envelope import Envelope
from shared.messaging.outbox import UnitOfWork

log = logging.getLogger(__name__)


def participant_digest(participant_id: str) -> str:
    # Participant ids are random (uuid) ids, so an unsalted digest cannot be reversed by guessing.
    return hashlib.sha256(f"reporting:participant:{participant_id}".encode()).hexdigest()


def forgotten(db: DbSession, participant_id: str) -> bool:
    return db.get(ForgottenParticipant, participant_digest(participant_id)) is not None


def edition_row(db: DbSession, edition_id: str) -> Edition:
    """The edition's row, created with the default settings the first time it is named."""
    edition = db.get(Edition, edition_id)
    if edition is None:
        edition = Edition(edition_id=edition_id, name="", revision=0)
        db.add(edition)
        db.flush()
    return edition


def _group(db: DbSession, group_id: str, *, edition_id: str | None = None, city: str | None = None) -> Group:
    group = db.get(Group, group_id)
    if group is None:
        group = Group(group_id=group_id, city=city or "", active=True)
        db.add(group)
    if edition_id and not group.edition_id:
        edition_row(db, edition_id)
        group.edition_id = edition_id
    if city and not group.city:
        group.city = city
    db.flush()
    return group


def _application(db: DbSession, application_id: str) -> Application:
    app = db.get(Application, application_id)
    if app is None:
        app = Application(application_id=application_id)
        db.add(app)
        db.flush()
    return app


def _organisation(db: DbSession, data: dict, as_of: datetime) -> None:
    org = db.get(Organisation, data["organisation_id"])
    if org is None:
        org = Organisation(organisation_id=data["organisation_id"])
        db.add(org)
    elif org.as_of is not None and as_of < org.as_of:
        return
    org.name, org.registry_code, org.kind, org.as_of = data["name"], data["registry_code"], data["kind"], as_of


def _participant(db: DbSession, participant_id: str) -> Participant | None:
    """The participant's row (created if this is the first event about them); None if forgotten."""
    if forgotten(db, participant_id):
        log.info("event about an anonymised participant ignored", extra={"participant_id": participant_id})
        return None
    p = db.scalar(select(Participant).where(Participant.participant_id == participant_id).with_for_update())
    if p is None:
        p = Participant(participant_id=participant_id, status=ACTIVE, first_name="", last_name="", email="",
                        language="et")
        db.add(p)
        db.flush()
    return p


def _member(p: Participant, member: dict, as_of: datetime) -> None:
    if p.member_as_of is not None and as_of < p.member_as_of:
        return  # an older version of the member's data
    p.first_name, p.last_name, p.email = member["first_name"], member["last_name"], member["email"]
    p.organisation_id, p.language, p.member_as_of = member["organisation_id"], member.get("language", "et"), as_of


def _set_status(p: Participant, status: str, as_of: datetime) -> None:
    p.status, p.status_changed_at = status, as_of


def settle_dates(db: DbSession, p: Participant) -> None:
    """Entry and exit dates from the attendance records and the outcome."""
    present = sorted(db.scalars(select(AttendanceDay.day).where(
        AttendanceDay.participant_id == p.participant_id, AttendanceDay.present.is_(True))).all())
    p.entry_date = present[0] if present else None
    exit_date = None
    if p.exit_status == "completed":
        exit_date = present[-1] if present else p.outcome_date
    elif p.exit_status == "dropped_out":
        exit_date = p.outcome_date
    if p.entry_date is None or exit_date is None:
        p.exit_date = None  # no entry, no exit: they never became an ESF participant
    else:
        p.exit_date = max(exit_date, p.entry_date)


# -- enrolment --------------------------------------------------------------------------------

def on_edition_published(uow: UnitOfWork, event: Envelope) -> None:
    data, db = event.data, uow.session
    edition = edition_row(db, data["edition_id"])
    if data["revision"] < edition.revision:
        log.info("older edition revision ignored", extra={"edition_id": data["edition_id"]})
        return
    edition.year, edition.name, edition.revision = data["year"], data.get("name") or "", data["revision"]
    listed = []
    for g in data["groups"]:
        group = _group(db, g["group_id"], city=g["city"])
        days = [clock.local(s["starts_at"]).date() for s in g["sessions"]]
        group.edition_id, group.city, group.active = data["edition_id"], g["city"], True
        group.first_day, group.last_day = (min(days), max(days)) if days else (None, None)
        listed.append(g["group_id"])
    db.flush()
    # A group this revision no longer lists was cancelled; its people and their data stay.
    db.execute(update(Group).where(Group.edition_id == data["edition_id"], Group.group_id.not_in(listed))
               .values(active=False))


def on_application_accepted(uow: UnitOfWork, event: Envelope) -> None:
    data, db = event.data, uow.session
    edition_id = data.get("edition_id") or None
    _group(db, data["group_id"], edition_id=edition_id, city=data["city"])
    app = _application(db, data["application_id"])
    app.group_id, app.edition_id = data["group_id"], edition_id or app.edition_id
    for org in data.get("organisations") or []:
        _organisation(db, org, event.occurred_at)
    for member in data["members"]:
        p = _participant(db, member["participant_id"])
        if p is None:
            continue
        p.application_id, p.group_id = data["application_id"], data["group_id"]
        _member(p, member, event.occurred_at)
    db.flush()
    # Members who arrived earlier by substitution now learn their group too.
    db.execute(update(Participant).where(Participant.application_id == data["application_id"])
               .values(group_id=data["group_id"]))


def on_member_substituted(uow: UnitOfWork, event: Envelope) -> None:
    data, db = event.data, uow.session
    app = _application(db, data["application_id"])
    if data.get("organisation"):
        _organisation(db, data["organisation"], event.occurred_at)
    left = _participant(db, data["left_participant_id"])
    if left is not None:
        left.application_id = left.application_id or data["application_id"]
        left.group_id = left.group_id or app.group_id
        if left.status != SUBSTITUTED or left.status_changed_at is None \
                or event.occurred_at < left.status_changed_at:
            # The substitution's date is the exit date of one replaced after attending (records).
            _set_status(left, SUBSTITUTED, event.occurred_at)
    member = data["member"]
    p = _participant(db, member["participant_id"])
    if p is not None:
        p.application_id, p.group_id = data["application_id"], app.group_id or p.group_id
        _member(p, member, event.occurred_at)


def on_member_withdrawn(uow: UnitOfWork, event: Envelope) -> None:
    data, db = event.data, uow.session
    p = _participant(db, data["participant_id"])
    if p is None:
        return
    p.application_id = p.application_id or data["application_id"]
    if p.status != SUBSTITUTED:
        _set_status(p, WITHDRAWN, event.occurred_at)


# -- attendance -------------------------------------------------------------------------------

def on_attendance_recorded(uow: UnitOfWork, event: Envelope) -> None:
    data, db = event.data, uow.session
    p = _participant(db, data["participant_id"])
    if p is None:
        return
    if data.get("group_id") and not p.group_id:
        _group(db, data["group_id"], city=None)
        p.group_id = data["group_id"]
    day = db.get(AttendanceDay, (data["participant_id"], data["session_id"]))
    if day is None:
        day = AttendanceDay(participant_id=data["participant_id"], session_id=data["session_id"])
        db.add(day)
    elif event.occurred_at < day.as_of:
        return  # a correction already superseded this record
    day.day, day.day_number, day.present = data["date"], data["day_number"], data["present"]
    day.make_up, day.as_of = data["make_up"], event.occurred_at
    db.flush()
    settle_dates(db, p)


def _outcome(uow: UnitOfWork, event: Envelope, exit_status: str | None, settled_at: datetime | None) -> None:
    data, db = event.data, uow.session
    p = _participant(db, data["participant_id"])
    if p is None:
        return
    p.application_id = p.application_id or data.get("application_id") or None
    if data.get("group_id") and not p.group_id:
        _group(db, data["group_id"])
        p.group_id = data["group_id"]
    if p.outcome_as_of is not None and event.occurred_at < p.outcome_as_of:
        return  # a newer outcome is already known
    p.exit_status, p.outcome_as_of = exit_status, event.occurred_at
    p.outcome_date = clock.local(settled_at).date() if settled_at and exit_status else None
    settle_dates(db, p)


def on_completed(uow: UnitOfWork, event: Envelope) -> None:
    _outcome(uow, event, "completed", event.occurred_at)


def on_dropped_out(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    _organisation(uow.session, data["employer"], event.occurred_at)
    _outcome(uow, event, "dropped_out", data.get("dropped_out_at") or event.occurred_at)
    p = uow.session.get(Participant, data["participant_id"])
    if p is not None:
        # The employer and names travel with the dropout: fill what an acceptance has not.
        p.organisation_id = p.organisation_id or data["employer"]["organisation_id"]
        p.first_name = p.first_name or data.get("first_name") or ""
        p.last_name = p.last_name or data.get("last_name") or ""


def on_reinstated(uow: UnitOfWork, event: Envelope) -> None:
    _outcome(uow, event, None, None)


def on_completion_revoked(uow: UnitOfWork, event: Envelope) -> None:
    """A correction took a completion back: no longer completed, no exit until a new outcome."""
    p = _participant(uow.session, event.data["participant_id"])
    if p is None:
        return
    if p.exit_status == "dropped_out" and p.outcome_as_of is not None and p.outcome_as_of >= event.occurred_at:
        # The dropout the correction led to is published after the revocation (in the same
        # transaction, so possibly at the same time): delivered the other way round, it stands.
        return
    _outcome(uow, event, None, None)
