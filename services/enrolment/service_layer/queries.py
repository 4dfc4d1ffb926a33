"""What the coordinator pages and the staff API read: lists, counts per city, details.

Read-only; every function opens its own short transaction and returns plain data.

City scope: ``cities`` is what ``StaffUser.cities_for("coordinator")`` gives (None: every
city). A coordinator of some cities sees only the applications that concern them (see
``concerns``) and those cities' groups; anything else is refused with 403 (``other_city``).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.enrolment.adapters.models import (
    ACCEPTED,
    APPLICATION_STATUSES,
    SUBMITTED,
    WAITLISTED,
    Application,
    CityPreference,
    Decision,
    Edition,
    Group,
)
from services.enrolment.domain import composition, placement
from services.enrolment.domain.late_joining import LateJoining, ScheduledDay, late_joining
from services.enrolment.domain.problems import Problem
from services.enrolment.service_layer.editions import working_edition
from services.enrolment.service_layer.errors import Refused, not_found
from services.enrolment.service_layer.make_up_rules import make_up_rule
from shared import clock
from shared.auth import may_see
from shared.kit import ServiceKit

Cities = tuple[str, ...] | None


def concerns(app: Application, cities: Cities) -> bool:
    """An application is a city's business when it is placed in (or was rejected or
    withdrawn from) that city's group, or, never placed, names the city among its choices."""
    if cities is None:
        return True
    if app.group_id is not None:
        return app.group is not None and app.group.city in cities
    return any(city in cities for city in app.preferred_cities)


def only_theirs(app: Application, cities: Cities) -> bool:
    """Deciding about the whole team (reject, withdraw, change members) touches every city it
    is placed in or names: all of them must be the coordinator's."""
    if cities is None:
        return True
    if app.group_id is not None:
        return app.group is not None and app.group.city in cities
    return bool(app.preferred_cities) and all(city in cities for city in app.preferred_cities)


def other_city() -> Refused:
    return Refused(Problem(
        "other_city", "See puudutab teise linna rühma: teie õigused on ainult oma linna(de) jaoks.",
        "This concerns another city's group: your role covers your own cities only."), status=403)


def check_application(kit: ServiceKit, application_id: str, cities: Cities) -> None:
    """403 unless the application concerns ``cities`` (404 if there is none): the entry points
    check it before reading the input, the decisions again on the locked rows."""
    if cities is None:
        return
    with kit.db.read_session() as db:
        _visible_application(db, application_id, cities)


def _visible_application(db, application_id: str, cities: Cities) -> Application:
    """The application, 404 if there is none, 403 unless it concerns ``cities``."""
    app = db.get(Application, application_id)
    if app is None:
        raise not_found("Taotlust", "Application")
    if not concerns(app, cities):
        raise other_city()
    return app


def check_group(group: Group, cities: Cities) -> None:
    if not may_see(cities, group.city):
        raise other_city()


def _edition(db: Session, edition_id: str | None) -> Edition | None:
    return db.get(Edition, edition_id) if edition_id else working_edition(db)


def _positions(db: Session, group_ids: set[str]) -> dict[str, int]:
    if not group_ids:
        return {}
    waiting = db.scalars(select(Application).where(Application.group_id.in_(group_ids),
                                                   Application.status == WAITLISTED)).all()
    positions: dict[str, int] = {}
    for group_id in group_ids:
        positions.update(placement.waiting_positions([a for a in waiting if a.group_id == group_id]))
    return positions


def _composition_problems(app: Application) -> list:
    # The edition's rule as it is now: a team is shown by the rule its edition has today.
    return composition.check_composition((m.organisation.kind for m in app.active_members),
                                         app.edition.composition_rule)


def _summary(app: Application, positions: dict[str, int]) -> dict:
    active = app.active_members
    return {
        "application_id": app.application_id, "edition_id": app.edition_id, "team_name": app.team_name,
        "status": app.status, "group_id": app.group_id, "city": app.group.city if app.group else None,
        "position": positions.get(app.application_id), "preferred_cities": app.preferred_cities,
        "members_total": len(active), "members_confirmed": sum(1 for m in active if m.confirmed_at),
        "complete": app.complete, "composition_ok": not _composition_problems(app),
        "contact_email": app.contact_email, "submitted_at": app.submitted_at, "decided_at": app.decided_at,
    }


def list_applications(kit: ServiceKit, *, edition_id: str | None = None, status: str | None = None,
                      city: str | None = None, complete: bool | None = None, cities: Cities = None) -> list[dict]:
    """Filtered by status, city (placed there, or named among the preferences) and
    completeness; only those that concern ``cities``."""
    with kit.db.read_session() as db:
        edition = _edition(db, edition_id)
        if edition is None:
            return []
        query = (select(Application).where(Application.edition_id == edition.edition_id)
                 .options(selectinload(Application.members), selectinload(Application.preferences),
                          selectinload(Application.group))
                 .order_by(Application.submitted_at, Application.application_id))
        if status in APPLICATION_STATUSES:
            query = query.where(Application.status == status)
        if city:
            named = select(CityPreference.application_id).where(CityPreference.city == city)
            in_group = select(Group.group_id).where(Group.edition_id == edition.edition_id, Group.city == city)
            query = query.where(Application.application_id.in_(named) | Application.group_id.in_(in_group))
        if complete is True:
            query = query.where(Application.completed_at.is_not(None))
        elif complete is False:
            query = query.where(Application.completed_at.is_(None))
        apps = [a for a in db.scalars(query).all() if concerns(a, cities)]
        positions = _positions(db, {a.group_id for a in apps if a.status == WAITLISTED})
        return [_summary(a, positions) for a in apps]


def city_counts(kit: ServiceKit, edition_id: str | None = None, cities: Cities = None) -> list[dict]:
    """Per group (of ``cities``): capacity, accepted, free places, waiting, how many undecided
    teams named the city (as first choice, among any) and who is next on the waiting list."""
    with kit.db.read_session() as db:
        edition = _edition(db, edition_id)
        if edition is None:
            return []
        apps = db.scalars(select(Application).where(Application.edition_id == edition.edition_id)
                          .options(selectinload(Application.preferences))).all()
        rows = []
        for group in (g for g in edition.groups if may_see(cities, g.city)):
            accepted = [a for a in apps if a.group_id == group.group_id and a.status == ACCEPTED]
            waiting = placement.ordered_waiting_list(
                [a for a in apps if a.group_id == group.group_id and a.status == WAITLISTED])
            undecided = [a for a in apps if a.status == SUBMITTED]
            nxt = next_team(waiting)
            rows.append({
                "group_id": group.group_id, "city": group.city, "capacity_teams": group.capacity_teams,
                "accepted": len(accepted), "free": placement.free_places(len(accepted), group.capacity_teams),
                "waiting": len(waiting),
                "undecided_first_choice": sum(1 for a in undecided if a.preferred_cities[:1] == [group.city]),
                "undecided_any_choice": sum(1 for a in undecided if group.city in a.preferred_cities),
                "next_on_waiting_list": nxt,
            })
        return rows


def waiting_list(kit: ServiceKit, group_id: str, cities: Cities = None) -> dict:
    with kit.db.read_session() as db:
        group = db.get(Group, group_id)
        if group is None:
            raise not_found("Rühma", "Group")
        check_group(group, cities)
        apps = db.scalars(select(Application).where(Application.group_id == group_id)
                          .options(selectinload(Application.members), selectinload(Application.preferences),
                                   selectinload(Application.group))).all()
        accepted = sorted((a for a in apps if a.status == ACCEPTED), key=lambda a: (a.decided_at, a.team_name))
        waiting = placement.ordered_waiting_list([a for a in apps if a.status == WAITLISTED])
        positions = placement.waiting_positions(waiting)
        return {
            "group_id": group.group_id, "city": group.city, "capacity_teams": group.capacity_teams,
            "free": placement.free_places(len(accepted), group.capacity_teams),
            "accepted": [_summary(a, positions) for a in accepted],
            "waiting": [{**_summary(a, positions), "waitlisted_at": a.waitlisted_at} for a in waiting],
            "next_on_waiting_list": next_team(waiting),
        }


def next_ready(waiting: list[Application]) -> Application | None:
    """Who a freed place goes to: the longest waiting team whose members have all confirmed."""
    return placement.next_on_waiting_list(waiting, ready=lambda a: a.complete)


def next_team(waiting: list[Application]) -> dict | None:
    nxt = next_ready(waiting)
    return {"application_id": nxt.application_id, "team_name": nxt.team_name, "complete": nxt.complete} \
        if nxt else None


def edition_schedule(edition: Edition) -> list[ScheduledDay]:
    """Every group's sessions of the edition, as the late-joining judgement reads them."""
    return [ScheduledDay(s.session_id, g.group_id, g.city, s.day_number, s.starts_at, s.ends_at)
            for g in edition.groups for s in g.sessions]


def late_joining_of(db: Session, edition: Edition, group: Group | None, joined_at) -> LateJoining | None:
    """What a newcomer joining the team of ``group`` at ``joined_at`` will have missed, by the
    edition's schedule and the make-up rule attendance set for it (None: nothing, or no group)."""
    if group is None:
        return None
    return late_joining(edition_schedule(edition), group.group_id, joined_at, make_up_rule(db, edition.edition_id))


def _substitution(db: Session, edition: Edition, group) -> dict:
    rule = edition.substitution_rule
    starts = {s.day_number: s.starts_at for s in group.sessions} if group is not None else None
    now = clock.now()
    is_open = composition.substitution_open(rule, starts, now)
    return {"substitutions_allowed": rule.allowed, "substitution_until_day": rule.until_day,
            "substitution_closes_at": composition.cutoff_day_starts_at(rule, starts) if starts and rule.allowed
            else None,
            "substitution_open": is_open,
            # While a substitution is allowed after the group's day I has begun: what a newcomer
            # joining now would miss (a warning, not a refusal).
            "late_joining": late_joining_of(db, edition, group, now) if is_open else None}


def application_detail(kit: ServiceKit, application_id: str, cities: Cities = None) -> dict:
    with kit.db.read_session() as db:
        app = _visible_application(db, application_id, cities)
        positions = _positions(db, {app.group_id} if app.status == WAITLISTED else set())
        edition = db.get(Edition, app.edition_id)
        decisions = db.scalars(select(Decision).where(Decision.application_id == application_id)
                               .order_by(Decision.id)).all()
        group = app.group
        return {
            **_summary(app, positions),
            "idea": {"title": app.idea_title, "description": app.idea_description, "kind": app.idea_kind},
            "intends_to_delegate": app.intends_to_delegate, "ngo_experience": app.ngo_experience,
            "language": app.language, "decision_reason": app.decision_reason, "decided_by": app.decided_by,
            "withdrawn_at": app.withdrawn_at, "completed_at": app.completed_at,
            "composition_problems": _composition_problems(app),
            # The edition's rule the team is judged by (it may have changed since the team applied).
            "min_team_members": edition.min_team_members,
            "min_local_government_members": edition.min_local_government_members,
            "min_ngo_members": edition.min_ngo_members,
            "first_session_starts_at": group.first_session_starts_at if group else None,
            # The edition's substitution cut-off as it is now, and for this team's group when it has one.
            **_substitution(db, edition, group),
            "cities": [g.city for g in edition.groups if may_see(cities, g.city)],  # the ones to decide into
            "organisations": [{
                "organisation_id": o.organisation_id, "name": o.name, "registry_code": o.registry_code,
                "kind": o.kind, "address": o.address, "billing_email": o.billing_email,
            } for o in app.organisations],
            "members": [{
                "participant_id": m.participant_id, "first_name": m.first_name, "last_name": m.last_name,
                "email": m.email, "phone": m.phone, "position": m.job_title,
                "organisation_id": m.organisation_id, "organisation_name": m.organisation.name,
                "organisation_kind": m.organisation.kind, "status": m.status, "confirmed_at": m.confirmed_at,
                "left_at": m.left_at, "left_reason": m.left_reason,
                "replaces_participant_id": m.replaces_participant_id,
            } for m in app.members],
            "decisions": [{"action": d.action, "detail": d.detail, "actor": d.actor, "at": d.at}
                          for d in decisions],
        }


def receipt(kit: ServiceKit, application_id: str) -> dict:
    """What the applicant sees after submitting (the thank-you page, the API's 201)."""
    with kit.db.read_session() as db:
        app = db.get(Application, application_id)
        if app is None:
            raise not_found("Taotlust", "Application")
        return {"application_id": app.application_id, "edition_id": app.edition_id, "status": app.status,
                "team_name": app.team_name, "submitted_at": app.submitted_at, "contact_email": app.contact_email,
                "members": [{"participant_id": m.participant_id, "first_name": m.first_name,
                             "last_name": m.last_name, "email": m.email, "organisation_name": m.organisation.name,
                             "organisation_kind": m.organisation.kind} for m in app.active_members]}


def receipt_by_key(kit: ServiceKit, key: str) -> dict | None:
    with kit.db.read_session() as db:
        application_id = db.scalar(select(Application.application_id).where(Application.idempotency_key == key))
    return receipt(kit, application_id) if application_id else None
