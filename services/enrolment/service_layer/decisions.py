"""The coordinator's decisions and the changes to a team after them.

Capacity under concurrency: every use case that places a team or frees a place locks the
group row(s) first (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
serialises writers) and only then the application row, always in that order, so two
coordinators never both take the last place and never deadlock each other. The count of
accepted teams is read inside the same transaction, after the lock.

Policies (decided here; README.md, "Enrolment policies"):
- a team is accepted (or promoted) only when all its members have confirmed: the
  confirmation is what makes the dropout claim to their employer possible;
- the waiting list is first come, first served among the teams ready to be accepted: a
  waiting team gets a freed place of its own group only when it is the next one
  (``promote``), never past the others; a team whose members have not all confirmed keeps
  its position but does not hold up those behind it;
- a member's withdrawal is never refused for breaking the composition rule (nobody can
  be kept in against their will): it is recorded and the problems are returned as a warning;
- a substitution must keep the rule and happen before the edition's cut-off (the group's first
  day unless the edition sets its second or third, or allows none);
- a coordinator of some cities (``cities``, None: every city) places teams only into their
  cities' groups, and only teams that concern those cities; a decision about the whole
  team (reject, withdraw, change members) only when every city it touches is theirs
  (``queries.concerns`` / ``only_theirs``; 403 ``other_city`` otherwise). Checked on the
  locked rows, so the check and the change see the same state.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.enrolment.adapters.models import (
    ACCEPTED,
    ACTIVE,
    OPEN_STATUSES,
    REJECTED,
    SUBMITTED,
    SUBSTITUTED,
    WAITLISTED,
    WITHDRAWN,
    Application,
    Decision,
    Group,
    Member,
)
from services.enrolment.domain import application as rules
from services.enrolment.domain import composition, placement
from services.enrolment.domain.problems import Problem
from services.enrolment.service_layer.applications import (
    confirm_url,
    member_payload,
    organisation_payload,
    refresh_completeness,
)
from services.enrolment.service_layer.errors import Invalid, Refused, not_found
from services.enrolment.service_layer.queries import (
    Cities,
    check_group,
    concerns,
    late_joining_of,
    next_ready,
    next_team,
    only_theirs,
    other_city,
)
from shared import clock
from shared.kit import ServiceKit
from shared.messaging.outbox import UnitOfWork

MAX_REASON = 2000


# -- locking ------------------------------------------------------------------------------------

def _lock(db: Session, application_id: str, *group_ids: str) -> tuple[Application, dict[str, Group]]:
    """Lock the groups involved (in id order), then the application; the application's own
    group is found without a lock first and checked again once everything is locked."""
    row = db.execute(select(Application.group_id).where(Application.application_id == application_id)).first()
    if row is None:
        raise not_found("Taotlust", "Application")
    seen_group = row.group_id
    ids = sorted({g for g in (seen_group, *group_ids) if g})
    groups = {g.group_id: g for g in db.scalars(
        select(Group).where(Group.group_id.in_(ids)).order_by(Group.group_id).with_for_update()
        .execution_options(populate_existing=True))} if ids else {}
    app = db.scalar(select(Application).where(Application.application_id == application_id)
                    .with_for_update().execution_options(populate_existing=True))
    if app.group_id != seen_group:
        raise Refused(Problem("changed_meanwhile", "Taotlust muudeti samal ajal. Proovige uuesti.",
                              "The application was changed at the same moment. Please try again."))
    return app, groups


def _lock_open(db: Session, application_id: str, cities: Cities) -> tuple[Application, dict[str, Group]]:
    """``_lock``, for a change the caller's cities may make and only while the team is still in."""
    app, groups = _lock(db, application_id)
    _theirs(app, cities)
    if app.status not in OPEN_STATUSES:
        raise _final(app)
    return app, groups


def _accepted_count(db: Session, group_id: str) -> int:
    return db.scalar(select(func.count()).select_from(Application).where(
        Application.group_id == group_id, Application.status == ACCEPTED))


def _waiting(db: Session, group_id: str) -> list[Application]:
    rows = db.scalars(select(Application).where(Application.group_id == group_id,
                                                Application.status == WAITLISTED)).all()
    return placement.ordered_waiting_list(rows)


def _frozen(waiting: list[Application]) -> list[placement.WaitingEntry]:
    """The list as it is now: the rows themselves change when someone is promoted."""
    return [placement.WaitingEntry(a.application_id, a.waitlisted_at) for a in waiting]


def _group_for_city(db: Session, edition_id: str, city: str) -> Group:
    group = db.scalar(select(Group).where(Group.edition_id == edition_id, Group.city == city))
    if group is None:
        raise Invalid({"city": [Problem("unknown_city", f"Linnas „{city}“ rühma ei ole.",
                                        f"There is no group in “{city}”.")]})
    return group


def _record(db: Session, app: Application, action: str, actor: str, detail: str = "") -> None:
    db.add(Decision(application_id=app.application_id, action=action, detail=detail, actor=actor, at=clock.now()))


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [Problem("required", "Põhjus on kohustuslik.", "A reason is required.")]})
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": [Problem("too_long", f"Põhjus on liiga pikk (kuni {MAX_REASON} märki).",
                                          f"The reason is too long (at most {MAX_REASON} characters).")]})
    return reason


def _final(app: Application) -> Refused:
    state = {REJECTED: ("tagasi lükatud", "rejected"), WITHDRAWN: ("tagasi võetud", "withdrawn")}
    et, en = state.get(app.status, (app.status, app.status))
    return Refused(Problem("application_closed", f"Taotlus on juba {et}.", f"The application is already {en}."))


def _incomplete() -> Refused:
    return Refused(Problem(
        "application_incomplete",
        "Kõik meeskonnaliikmed ei ole veel osalemistingimusi kinnitanud.",
        "Not every team member has confirmed the participation conditions yet."))


# -- events -------------------------------------------------------------------------------------

def _publish_accepted(uow: UnitOfWork, app: Application, group: Group) -> None:
    uow.publish("enrolment.application.accepted", {
        "application_id": app.application_id, "edition_id": app.edition_id, "group_id": group.group_id,
        "city": group.city, "team_name": app.team_name, "contact_email": app.contact_email,
        "organisations": [organisation_payload(o) for o in app.organisations],
        "members": [member_payload(m) for m in app.active_members],
    })


def _publish_waitlisted(uow: UnitOfWork, app: Application, city: str, position: int,
                        previous: int | None = None) -> None:
    uow.publish("enrolment.application.waitlisted", {
        "application_id": app.application_id, "city": city, "position": position,
        "team_name": app.team_name, "contact_email": app.contact_email, "previous_position": previous})


def _tell_moved_up(uow: UnitOfWork, group: Group, before: list[placement.WaitingEntry],
                   after: list[Application]) -> None:
    """Teams still waiting whose position changed hear their new one."""
    old = placement.waiting_positions(before)
    by_id = {a.application_id: a for a in after}
    for application_id, position in placement.position_changes(before, after).items():
        _publish_waitlisted(uow, by_id[application_id], group.city, position, old[application_id])


# -- decisions ----------------------------------------------------------------------------------

def _into_their_city(app: Application, group: Group, cities: Cities) -> None:
    check_group(group, cities)
    if not concerns(app, cities):
        raise other_city()


def _theirs(app: Application, cities: Cities) -> None:
    if not only_theirs(app, cities):
        raise other_city()


def accept(kit: ServiceKit, application_id: str, city: str, actor: str, cities: Cities = None) -> dict:
    """Place the team in the city's group, if a place is free (``GroupFull`` otherwise)."""
    with kit.unit_of_work() as uow:
        db = uow.session
        edition_id = db.scalar(select(Application.edition_id).where(Application.application_id == application_id))
        if edition_id is None:
            raise not_found("Taotlust", "Application")
        target = _group_for_city(db, edition_id, city)
        app, groups = _lock(db, application_id, target.group_id)
        _into_their_city(app, groups[target.group_id], cities)
        return _accept_locked(uow, app, groups[target.group_id], groups, actor)


def _accept_locked(uow: UnitOfWork, app: Application, group: Group, groups: dict[str, Group], actor: str) -> dict:
    """Accept ``app`` into ``group``; the caller holds the locks on both (and on the group
    the team waits for, if another)."""
    db = uow.session
    if app.status == ACCEPTED:
        if app.group_id == group.group_id:
            return {"application_id": app.application_id, "status": app.status, "changed": False,
                    "group_id": group.group_id, "city": group.city}
        raise Refused(Problem("already_accepted", "Meeskond on juba teise rühma vastu võetud.",
                              "The team is already accepted into another group."))
    if app.status not in (SUBMITTED, WAITLISTED):
        raise _final(app)
    if not app.complete:
        raise _incomplete()
    waiting = _waiting(db, group.group_id)
    waiting_before = _frozen(waiting)
    first = next_ready(waiting)
    # Nobody is accepted past the longest-waiting complete team: not one waiting behind it, nor
    # one never put on this list (undecided, or waiting for another city's group).
    if first is not None and first.complete and first.application_id != app.application_id:
        raise Refused(Problem(
            "not_next_on_waiting_list",
            f"Ootenimekirjas on eespool meeskond „{first.team_name}“: järjekorda ei saa vahele jätta.",
            f"“{first.team_name}” is ahead on the waiting list: the order cannot be skipped."))
    _take_place(db, group)
    left_group = groups.get(app.group_id) if app.status == WAITLISTED and app.group_id != group.group_id else None
    waiting_left_before = _frozen(_waiting(db, left_group.group_id)) if left_group else []
    app.status, app.group_id, app.waitlisted_at = ACCEPTED, group.group_id, None
    app.decided_at, app.decided_by, app.decision_reason = clock.now(), actor, None
    _record(db, app, "accepted", actor, group.city)
    db.flush()
    _publish_accepted(uow, app, group)
    _tell_moved_up(uow, group, waiting_before, _waiting(db, group.group_id))
    if left_group is not None:
        _tell_moved_up(uow, left_group, waiting_left_before, _waiting(db, left_group.group_id))
    return {"application_id": app.application_id, "status": app.status, "changed": True,
            "group_id": group.group_id, "city": group.city}


def _take_place(db: Session, group: Group) -> None:
    try:
        placement.accept_check(_accepted_count(db, group.group_id), group.capacity_teams)
    except placement.GroupFull as full:
        raise Refused(Problem(full.code, f"{group.city}: {full.problem.et}", f"{group.city}: {full.problem.en}"),
                      field="city") from None


def waitlist(kit: ServiceKit, application_id: str, city: str, actor: str, cities: Cities = None) -> dict:
    """Put the team at the end of the city's waiting list."""
    with kit.unit_of_work() as uow:
        db = uow.session
        edition_id = db.scalar(select(Application.edition_id).where(Application.application_id == application_id))
        if edition_id is None:
            raise not_found("Taotlust", "Application")
        target = _group_for_city(db, edition_id, city)
        app, groups = _lock(db, application_id, target.group_id)
        group = groups[target.group_id]
        _into_their_city(app, group, cities)
        if app.status == WAITLISTED and app.group_id == group.group_id:
            position = placement.waiting_positions(_waiting(db, group.group_id))[app.application_id]
            return {"application_id": app.application_id, "status": app.status, "changed": False,
                    "position": position}
        if app.status == ACCEPTED:
            raise Refused(Problem("already_accepted", "Meeskond on juba vastu võetud.",
                                  "The team is already accepted."))
        if app.status not in (SUBMITTED, WAITLISTED):
            raise _final(app)
        left_group = groups.get(app.group_id) if app.status == WAITLISTED else None
        waiting_left_before = _frozen(_waiting(db, left_group.group_id)) if left_group else []
        waiting = _waiting(db, group.group_id)
        # FIFO by time; never equal to the last one's, so a stopped clock keeps the order too.
        at = clock.now()
        if waiting and waiting[-1].waitlisted_at >= at:
            at = waiting[-1].waitlisted_at + timedelta(microseconds=1)
        app.status, app.group_id, app.waitlisted_at = WAITLISTED, group.group_id, at
        app.decided_at, app.decided_by, app.decision_reason = clock.now(), actor, None
        _record(db, app, "waitlisted", actor, group.city)
        db.flush()
        position = placement.waiting_positions(_waiting(db, group.group_id))[app.application_id]
        _publish_waitlisted(uow, app, group.city, position)
        if left_group is not None:
            _tell_moved_up(uow, left_group, waiting_left_before, _waiting(db, left_group.group_id))
        return {"application_id": app.application_id, "status": app.status, "changed": True,
                "group_id": group.group_id, "city": group.city, "position": position}


def reject(kit: ServiceKit, application_id: str, reason: str, actor: str, cities: Cities = None) -> dict:
    reason = _reason(reason)
    with kit.unit_of_work() as uow:
        db = uow.session
        app, groups = _lock(db, application_id)
        _theirs(app, cities)
        if app.status == ACCEPTED:
            raise Refused(Problem("already_accepted",
                                  "Vastuvõetud meeskonda ei saa tagasi lükata; meeskond saab loobuda.",
                                  "An accepted team cannot be rejected; the team can withdraw."))
        if app.status not in (SUBMITTED, WAITLISTED):
            raise _final(app)
        group = groups.get(app.group_id)
        before = _frozen(_waiting(db, group.group_id)) if group else []
        app.status, app.waitlisted_at = REJECTED, None
        app.decided_at, app.decided_by, app.decision_reason = clock.now(), actor, reason
        _record(db, app, "rejected", actor, reason)
        db.flush()
        uow.publish("enrolment.application.rejected", {
            "application_id": app.application_id, "reason": reason, "team_name": app.team_name,
            "contact_email": app.contact_email})
        if group is not None:
            _tell_moved_up(uow, group, before, _waiting(db, group.group_id))
        return {"application_id": app.application_id, "status": app.status, "changed": True}


def promote(kit: ServiceKit, group_id: str, actor: str, cities: Cities = None) -> dict:
    """Give a free place to the team that has waited longest in this group (one transaction:
    nobody can join, leave or jump the list while the group row is locked)."""
    with kit.unit_of_work() as uow:
        db = uow.session
        group = db.scalar(select(Group).where(Group.group_id == group_id).with_for_update()
                          .execution_options(populate_existing=True))
        if group is None:
            raise not_found("Rühma", "Group")
        check_group(group, cities)
        waiting = _waiting(db, group_id)
        if not waiting:
            raise Refused(Problem("waiting_list_empty", f"{group.city}: ootenimekiri on tühi.",
                                  f"{group.city}: nobody is on the waiting list."))
        # Same order as everywhere: the group first, then the application.
        app = db.scalar(select(Application).where(Application.application_id == next_ready(waiting).application_id)
                        .with_for_update().execution_options(populate_existing=True))
        return _accept_locked(uow, app, group, {group_id: group}, actor)


# -- changes after acceptance -------------------------------------------------------------------

def withdraw_application(kit: ServiceKit, application_id: str, reason: str, actor: str,
                         cities: Cities = None) -> dict:
    """The whole team leaves: each member's withdrawal, then the team's, in one transaction."""
    reason = _reason(reason)
    with kit.unit_of_work() as uow:
        db = uow.session
        app, groups = _lock_open(db, application_id, cities)
        group = groups.get(app.group_id)
        was = app.status
        before = _frozen(_waiting(db, group.group_id)) if group else []
        now = clock.now()
        leaving = app.active_members
        for member in leaving:
            member.status, member.left_at, member.left_reason = WITHDRAWN, now, reason
            uow.publish("enrolment.member.withdrawn", {
                "application_id": app.application_id, "participant_id": member.participant_id, "reason": reason})
        app.status, app.withdrawn_at, app.waitlisted_at = WITHDRAWN, now, None
        app.decision_reason = reason
        _record(db, app, "withdrawn", actor, reason)
        db.flush()
        uow.publish("enrolment.application.withdrawn", {
            "application_id": app.application_id, "reason": reason,
            "participant_ids": [m.participant_id for m in leaving]})
        result = {"application_id": app.application_id, "status": app.status, "changed": True,
                  "freed_group_id": None, "next_on_waiting_list": None}
        if group is not None and was == WAITLISTED:
            _tell_moved_up(uow, group, before, _waiting(db, group.group_id))
        if group is not None and was == ACCEPTED:
            # A place is free: the coordinator sees who is next and decides to promote.
            result["freed_group_id"] = group.group_id
            result["next_on_waiting_list"] = next_team(_waiting(db, group.group_id))
        return result


def _kinds(members: list[Member]) -> dict[str, str]:
    return {m.participant_id: m.organisation.kind for m in members}


def _active_member(app: Application, participant_id: str) -> Member:
    for member in app.members:
        if member.participant_id == participant_id:
            if member.status != ACTIVE:
                raise Refused(Problem("member_not_active", f"{member.name} ei ole enam meeskonnas.",
                                      f"{member.name} is no longer in the team."))
            return member
    raise not_found("Meeskonnaliiget", "Team member")


def withdraw_member(kit: ServiceKit, application_id: str, participant_id: str, reason: str, actor: str,
                    cities: Cities = None) -> dict:
    """One member leaves. Never refused for the composition rule: the problems come back as
    ``warnings`` and the team is shown as breaking the rule until a substitute joins."""
    reason = _reason(reason)
    with kit.unit_of_work() as uow:
        db = uow.session
        app, _ = _lock_open(db, application_id, cities)
        member = _active_member(app, participant_id)
        active = app.active_members
        if len(active) == 1:
            raise Refused(Problem("last_member", "See on meeskonna viimane liige: võtke tagasi kogu meeskond.",
                                  "This is the team's last member: withdraw the whole team instead."))
        warnings = composition.composition_after_withdrawal(_kinds(active), participant_id,
                                                            app.edition.composition_rule)
        member.status, member.left_at, member.left_reason = WITHDRAWN, clock.now(), reason
        refresh_completeness(app)
        _record(db, app, "member_withdrawn", actor, f"{member.name}: {reason}")
        uow.publish("enrolment.member.withdrawn", {
            "application_id": app.application_id, "participant_id": participant_id, "reason": reason})
        return {"application_id": app.application_id, "participant_id": participant_id, "changed": True,
                "warnings": warnings}


CONFIRMATION_AGAIN = "confirmation_again"


def request_confirmation_again(kit: ServiceKit, application_id: str, participant_id: str, request_id: str,
                               actor: str, cities: Cities = None) -> dict:
    """The coordinator has the confirmation request sent again to a member who has not confirmed
    (their first link may have expired: it lives ``personal_link_max_age``). Notify sends it with
    a link signed then, one e-mail per ``request_id`` — the form's, so a double submit publishes
    and sends nothing more (``sent`` False); a later click has a new one and sends again."""
    with kit.unit_of_work() as uow:
        db = uow.session
        app, _ = _lock_open(db, application_id, cities)
        member = _active_member(app, participant_id)
        if member.confirmed_at is not None:
            raise Refused(Problem("already_confirmed", f"{member.name} on tingimused juba kinnitanud.",
                                  f"{member.name} has already confirmed the conditions."))
        detail = f"{member.name} ({request_id})"
        done = db.scalar(select(func.count()).select_from(Decision).where(
            Decision.application_id == application_id, Decision.action == CONFIRMATION_AGAIN,
            Decision.detail == detail))
        if done:
            return {"application_id": application_id, "participant_id": participant_id, "sent": False}
        _record(db, app, CONFIRMATION_AGAIN, actor, detail)
        uow.publish("enrolment.member.confirmation_requested_again", {
            "application_id": application_id, "participant_id": participant_id, "request_id": request_id})
        return {"application_id": application_id, "participant_id": participant_id, "sent": True}


def substitute_member(kit: ServiceKit, application_id: str, participant_id: str, newcomer: rules.Member,
                      actor: str, cities: Cities = None) -> dict:
    """Replace a member before the edition's cut-off (by default the group's first day);
    ``newcomer.organisation_key`` is the id of one of the team's organisations. The newcomer must
    confirm in turn. ``late_joining`` in the answer: after the group's day I has begun, the days the
    newcomer missed and the make-ups still possible (None: nothing missed)."""
    newcomer = dataclasses.replace(newcomer, **{
        f.name: getattr(newcomer, f.name).strip() for f in dataclasses.fields(newcomer)
        if isinstance(getattr(newcomer, f.name), str)})
    with kit.unit_of_work() as uow:
        db = uow.session
        app, groups = _lock_open(db, application_id, cities)
        leaving = _active_member(app, participant_id)
        organisations = [rules.Organisation(o.organisation_id, o.name, o.registry_code, o.kind, o.address,
                                            o.billing_email) for o in app.organisations]
        staying = [m for m in app.active_members if m.participant_id != participant_id]
        errors = rules.validate_new_member(newcomer, organisations, [
            rules.Member(m.first_name, m.last_name, m.email, m.phone, m.job_title, m.organisation_id)
            for m in staying])
        if "organisation_key" in errors:
            errors["organisation_id"] = errors.pop("organisation_key")
        group = groups.get(app.group_id)
        # The edition's cut-off as it is now: before the group's day N begins (a team not placed
        # yet: until it is), or never.
        cutoff = app.edition.substitution_rule
        starts = {s.day_number: s.starts_at for s in group.sessions} if group is not None else None
        in_time = composition.substitution_open(cutoff, starts, clock.now())
        closed = composition.substitution_closed(cutoff, composition.cutoff_day_starts_at(cutoff, starts or {}))
        org = next((o for o in app.organisations if o.organisation_id == newcomer.organisation_key), None)
        # The edition's rule as it is now (the coordinator may have changed it since the team applied).
        problems = composition.check_substitution(in_time, _kinds(app.active_members), participant_id,
                                                  org.kind if org is not None else None, app.edition.composition_rule,
                                                  closed)
        if not in_time:
            # Nothing typed could make it possible: said first, alone.
            raise Refused(next(p for p in problems if p.code == composition.SUBSTITUTION_CLOSED))
        if org is not None and problems:
            # The composition rule by the employer chosen, beside the newcomer's own data: all at once
            # (an employer not of the team is its own problem, and the rule cannot be judged without one).
            errors.setdefault("organisation_id", []).extend(problems)
        if errors:
            raise Invalid(errors)
        now = clock.now()
        leaving.status, leaving.left_at, leaving.left_reason = SUBSTITUTED, now, "substituted"
        joined = Member(
            participant_id=str(uuid.uuid4()), ordinal=max(m.ordinal for m in app.members) + 1,
            first_name=newcomer.first_name, last_name=newcomer.last_name, email=newcomer.email,
            phone=newcomer.phone or "", job_title=newcomer.position or "", organisation=org,
            language=app.language, status=ACTIVE, joined_at=now, replaces_participant_id=participant_id)
        app.members.append(joined)
        db.flush()
        refresh_completeness(app)
        _record(db, app, "member_substituted", actor, f"{leaving.name} → {joined.name}")
        uow.publish("enrolment.member.substituted", {
            "application_id": app.application_id, "left_participant_id": participant_id,
            "member": member_payload(joined), "organisation": organisation_payload(org),
            "confirm_url": confirm_url(kit, joined.participant_id),
            "team_name": app.team_name})
        # After the group's day I has begun (the edition's cut-off allows it): what the newcomer
        # missed and whether each day can still be made up, as attendance will judge it. A warning.
        return {"application_id": app.application_id, "left_participant_id": participant_id,
                "participant_id": joined.participant_id, "changed": True,
                "late_joining": late_joining_of(db, app.edition, group, now)}
