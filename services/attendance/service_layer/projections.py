"""Attendance's copy of enrolment's schedule and roster, from enrolment's events.

The inbox already drops redelivered events; these handlers must also be right when the
events come out of order:
- the schedule keeps the newest ``revision`` of an edition; an older one is ignored;
- roster rows are upserted by id; a withdrawal or substitution that arrives before the
  acceptance creates the participant's row first (a placeholder), and the acceptance then
  fills in name, employer and group without undoing it (statuses are sticky);
- member data keeps the newest event's version (by ``occurred_at``);
- a member withdrawn while the application was still pending is not named by the
  acceptance: once both are known (``withdrawn_at`` before ``accepted_at``, no member data
  from the acceptance or later) the placeholder becomes ``not_accepted`` and is never
  rostered, settled, shown or dropped out;
- a team withdrawal that names its members (``participant_ids``) withdraws only them;
- a substitution stamps the newcomer's ``joined_at`` and the leaver's ``substituted_at`` (the
  earliest, if told twice): after day I, the newcomer has days to make up.
After each change the affected participants are settled, so an outcome that became due
(a withdrawal's dropout, once group and employer are known) is published in the same
transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from services.attendance.adapters.models import (
    ACTIVE,
    NOT_ACCEPTED,
    SUBSTITUTED,
    WITHDRAWN,
    Application,
    Edition,
    Group,
    Organisation,
    Participant,
    ScheduledSession,
)
from services.attendance.domain.schedule import Schedule
from services.attendance.domain.schedule import Session as DaySession
from services.attendance.service_layer.common import SCHEDULE_WRITTEN
from services.attendance.service_layer.outcomes import settle_all
from shared import clock
from shared.events.envelope import Envelope
from shared.messaging.outbox import UnitOfWork

log = logging.getLogger(__name__)


# -- schedule -------------------------------------------------------------------------------

def on_edition_published(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    db = uow.session
    edition = db.scalar(select(Edition).where(Edition.edition_id == data["edition_id"]).with_for_update())
    revision = data["revision"]
    if edition is not None and revision < edition.revision:
        log.info("older edition revision ignored", extra={"edition_id": data["edition_id"],
                                                          "revision": revision, "have": edition.revision})
        return
    # Check the invariants the rules rely on before storing anything (raises: dead letter).
    Schedule(DaySession(session_id=s["session_id"], group_id=g["group_id"], city=g["city"],
                        day_number=s["day_number"], starts_at=s["starts_at"], ends_at=s["ends_at"],
                        venue=s.get("venue") or "", seats=s.get("seats"))
             for g in data["groups"] for s in g["sessions"])
    if edition is None:
        edition = Edition(edition_id=data["edition_id"])
        db.add(edition)
    edition.year, edition.name = data["year"], data.get("name") or ""
    # (revision, updated_at) is the version cached schedules are checked against: never the
    # same twice, even when a revision is applied again at the same (test) clock time.
    applied = clock.now()
    if edition.updated_at is not None and applied <= edition.updated_at:
        applied = edition.updated_at + timedelta(microseconds=1)
    edition.revision, edition.updated_at = revision, applied
    db.info[SCHEDULE_WRITTEN] = True  # nothing read from here on goes into the shared cache

    group_ids, session_ids = [], []
    for g in data["groups"]:
        group = db.get(Group, g["group_id"]) or Group(group_id=g["group_id"])
        group.edition_id, group.city, group.capacity_teams, group.active = (
            data["edition_id"], g["city"], g["capacity_teams"], True)
        db.add(group)
        group_ids.append(g["group_id"])
        for s in g["sessions"]:
            row = db.get(ScheduledSession, s["session_id"]) or ScheduledSession(session_id=s["session_id"])
            row.edition_id, row.group_id, row.city = data["edition_id"], g["group_id"], g["city"]
            row.day_number, row.starts_at, row.ends_at = s["day_number"], s["starts_at"], s["ends_at"]
            row.venue, row.seats, row.revision, row.active = s.get("venue") or "", s.get("seats"), revision, True
            db.add(row)
            session_ids.append(s["session_id"])
    db.flush()
    # Whatever this revision no longer lists was moved or cancelled; its records stay.
    db.execute(update(ScheduledSession).where(ScheduledSession.edition_id == data["edition_id"],
                                              ScheduledSession.session_id.not_in(session_ids))
               .values(active=False))
    db.execute(update(Group).where(Group.edition_id == data["edition_id"], Group.group_id.not_in(group_ids))
               .values(active=False))
    # A moved session can open or close someone's make-up window.
    affected = db.scalars(select(Participant.participant_id).join(
        Application, Application.application_id == Participant.application_id).join(
        Group, Group.group_id == Application.group_id).where(Group.edition_id == data["edition_id"])).all()
    settle_all(uow, affected, clock.now(), reinstated_reason="schedule_change")


# -- roster ---------------------------------------------------------------------------------

def _application(db: DbSession, application_id: str) -> Application:
    app = db.scalar(select(Application).where(Application.application_id == application_id).with_for_update())
    if app is None:
        app = Application(application_id=application_id, team_name="")
        db.add(app)
        db.flush()
    return app


def _participant(db: DbSession, app: Application, participant_id: str) -> Participant:
    """The participant's row, created if this is the first event about them."""
    p = db.scalar(select(Participant).where(Participant.participant_id == participant_id).with_for_update())
    if p is None:
        p = Participant(participant_id=participant_id, application_id=app.application_id, status=ACTIVE)
        if app.withdrawn_at is not None and not app.withdrawal_named_members:
            # The team left before we heard of this member, and did not say who went along.
            p.status, p.withdrawn_at, p.withdrawal_reason = WITHDRAWN, app.withdrawn_at, app.withdrawal_reason
        db.add(p)
        db.flush()
    return p


def _member_data(p: Participant, member: dict, as_of: datetime) -> None:
    if p.member_as_of is not None and as_of < p.member_as_of:
        return  # an older version of the member's data
    p.first_name, p.last_name, p.email = member["first_name"], member["last_name"], member["email"]
    p.organisation_id, p.language, p.member_as_of = member["organisation_id"], member.get("language", "et"), as_of


def _organisation(db: DbSession, org: dict) -> None:
    row = db.get(Organisation, org["organisation_id"]) or Organisation(organisation_id=org["organisation_id"])
    row.name, row.registry_code, row.kind = org["name"], org["registry_code"], org["kind"]
    row.billing_email, row.address = org["billing_email"], org.get("address") or ""
    db.add(row)


def _withdraw(p: Participant, at: datetime, reason: str) -> None:
    if p.status == ACTIVE:
        p.status, p.withdrawn_at, p.withdrawal_reason = WITHDRAWN, at, reason
    elif p.status == WITHDRAWN and p.withdrawn_at is not None and at < p.withdrawn_at:
        p.withdrawn_at = at  # the first withdrawal counts, whichever message came first


def _not_accepted(db: DbSession, app: Application) -> None:
    """Members withdrawn before the acceptance, which therefore did not name them (their data
    came from no acceptance and no later substitution), were never on the group's list."""
    if app.accepted_at is None:
        return
    for p in db.scalars(select(Participant).where(Participant.application_id == app.application_id,
                                                  Participant.status == WITHDRAWN)):
        if (p.withdrawn_at is not None and p.withdrawn_at < app.accepted_at
                and (p.member_as_of is None or p.member_as_of < app.accepted_at)):
            p.status = NOT_ACCEPTED


def on_application_accepted(uow: UnitOfWork, event: Envelope) -> None:
    data, db, at = event.data, uow.session, event.occurred_at
    app = _application(db, data["application_id"])
    if app.accepted_at is None or at >= app.accepted_at:  # a later acceptance (another group) wins
        app.group_id, app.city, app.accepted_at = data["group_id"], data["city"], at
        app.team_name = data.get("team_name") or app.team_name
    for org in data.get("organisations") or []:
        _organisation(db, org)
    for member in data["members"]:
        p = _participant(db, app, member["participant_id"])
        _member_data(p, member, at)
    db.flush()
    _not_accepted(db, app)
    members = db.scalars(select(Participant.participant_id).where(
        Participant.application_id == app.application_id)).all()
    settle_all(uow, members, clock.now())


def on_member_substituted(uow: UnitOfWork, event: Envelope) -> None:
    data, db, at = event.data, uow.session, event.occurred_at
    app = _application(db, data["application_id"])
    left = _participant(db, app, data["left_participant_id"])
    if left.status == ACTIVE:
        # Replaced as the edition allows (before day I, II or III): no dropout, no claim. What
        # was recorded for them stays (pages and API still show it; reporting counts it).
        left.status = SUBSTITUTED
    if left.substituted_at is None or at < left.substituted_at:
        left.substituted_at = at
    if data.get("organisation"):
        _organisation(db, data["organisation"])
    joined = _participant(db, app, data["member"]["participant_id"])
    _member_data(joined, data["member"], at)
    if joined.joined_at is None or at < joined.joined_at:
        # Their group's sessions begun before this are days they missed (see domain/outcomes).
        joined.joined_at = at
    db.flush()
    _not_accepted(db, app)
    settle_all(uow, [left.participant_id, joined.participant_id], clock.now())


def on_member_withdrawn(uow: UnitOfWork, event: Envelope) -> None:
    data, db = event.data, uow.session
    app = _application(db, data["application_id"])
    p = _participant(db, app, data["participant_id"])
    _withdraw(p, event.occurred_at, data["reason"])
    db.flush()
    _not_accepted(db, app)
    settle_all(uow, [p.participant_id], clock.now())


def on_application_withdrawn(uow: UnitOfWork, event: Envelope) -> None:
    data, db, at = event.data, uow.session, event.occurred_at
    app = _application(db, data["application_id"])
    if app.withdrawn_at is None or at < app.withdrawn_at:
        app.withdrawn_at, app.withdrawal_reason = at, data["reason"]
    named = data.get("participant_ids") or []
    if named:
        app.withdrawal_named_members = True
    for participant_id in named:
        _participant(db, app, participant_id)
    query = select(Participant).where(Participant.application_id == app.application_id)
    if app.withdrawal_named_members:  # only those still in the team when it left
        query = query.where(Participant.participant_id.in_(named))
    members = db.scalars(query).all()
    for p in members:
        _withdraw(p, app.withdrawn_at, app.withdrawal_reason or data["reason"])
    db.flush()
    _not_accepted(db, app)
    settle_all(uow, [p.participant_id for p in members], clock.now())
