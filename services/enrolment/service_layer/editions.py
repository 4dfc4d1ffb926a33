"""Editions: create and edit the schedule, and publish it in full after every change.

The domain (``EditionSpec``) checks every invariant of a schedule; this module gives its
groups and sessions stable ids, guards what other tables depend on (a group with teams is
not removed, its capacity never drops below the teams it has) and publishes
``enrolment.edition.published`` with the next ``revision`` in the same transaction.

The edition's dropout claim policy (``claim_cap``, ``claim_daily_rate``) travels in the same
event: billing proposes claims and notify quotes the cap by it. A new edition not given them
takes the settings (ENROLMENT_CLAIM_CAP, ENROLMENT_CLAIM_DAILY_RATE); an edit not given them
keeps the edition's. Once a member of the edition has confirmed the conditions, which state
the cap, the policy is what they agreed to and is no longer changed.
"""
from __future__ import annotations

from decimal import Decimal
from os import PathLike

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from services.enrolment.adapters.models import (
    ACCEPTED,
    Application,
    CityPreference,
    Edition,
    Group,
    Member,
    ScheduledSession,
)
from services.enrolment.config import claim_cap, claim_daily_rate
from services.enrolment.domain.edition import (
    CLAIM_FIELDS,
    EditionError,
    EditionSpec,
    GroupSpec,
    SessionSpec,
    amount_problems,
    claim_policy_problems,
    load_edition,
    parse_amount,
    slug,
)
from services.enrolment.domain.problems import Errors, Problem
from services.enrolment.service_layer.errors import Invalid, Refused, not_found
from shared import clock
from shared.kit import ServiceKit


def group_id_for(edition_id: str, key: str) -> str:
    return f"{edition_id}-{key}"


def session_id_for(group_id: str, day_number: int) -> str:
    return f"{group_id}-{day_number}"


def current_edition(session: Session) -> Edition | None:
    """The edition applicants apply to: the latest year."""
    return session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))


def edition_payload(edition: Edition) -> dict:
    """The full schedule as ``enrolment.edition.published`` carries it (and the API shows it)."""
    return {
        "edition_id": edition.edition_id,
        "year": edition.year,
        "name": edition.name,
        "application_deadline": edition.application_deadline,
        "revision": edition.revision,
        "claim_cap": edition.claim_cap,
        "claim_daily_rate": edition.claim_daily_rate,
        "groups": [{
            "group_id": g.group_id,
            "city": g.city,
            "capacity_teams": g.capacity_teams,
            "sessions": [{
                "session_id": s.session_id, "day_number": s.day_number, "starts_at": s.starts_at,
                "ends_at": s.ends_at, "venue": s.venue, "seats": s.seats,
            } for s in g.sessions],
        } for g in edition.groups],
    }


def _schedule_of(edition: Edition) -> dict:
    """The comparable part of the payload: an edit that changes none of it is no new revision."""
    payload = edition_payload(edition)
    payload.pop("revision")
    return payload


def spec_problems(exc: EditionError) -> Errors:
    """The domain's invariant messages by the field they are about (they are English only:
    the edition is the coordinator's technical data, checked rarely)."""
    errors: Errors = {}
    for text in exc.problems:
        head = text.split(" ", 1)[0].split(":", 1)[0].split("[", 1)[0]
        path = head if head in ("year", "name", "application_deadline", "groups", "timezone", *CLAIM_FIELDS) \
            else "groups"
        errors.setdefault(path, []).append(Problem("edition_invalid", text, text))
    return errors


def save_edition(kit: ServiceKit, spec: EditionSpec, actor: str, edition_id: str | None = None) -> tuple[str, bool]:
    """Create (``edition_id`` None) or replace an edition's schedule with ``spec``.

    Groups are matched by ``GroupSpec.key`` (their id is "<edition>-<key>"), so renaming a
    city keeps its group, its teams and its sessions' ids. Returns (edition_id, changed).
    """
    with kit.unit_of_work() as uow:
        db = uow.session
        if edition_id is None:
            edition_id = str(spec.year)
            if db.get(Edition, edition_id) is not None or db.scalar(
                    select(Edition).where(Edition.year == spec.year)) is not None:
                raise Refused(Problem("edition_exists", f"{spec.year}. aasta lend on juba olemas.",
                                      f"The {spec.year} edition exists already."), field="year")
            edition = Edition(edition_id=edition_id, year=spec.year, revision=0, created_at=clock.now(),
                              updated_at=clock.now(), updated_by=actor,
                              claim_cap=claim_cap(kit.settings), claim_daily_rate=claim_daily_rate(kit.settings))
            db.add(edition)
            before = None
        else:
            # The edition row serialises edits and, taken before _confirmed_in asks, waits for a
            # first confirmation under way (it holds the row for share, confirm_member): the
            # policy never changes under a confirmation. The group rows are what placements lock.
            edition = db.scalar(select(Edition).where(Edition.edition_id == edition_id).with_for_update())
            if edition is None:
                raise not_found("Lendu", "Edition")
            if spec.year != edition.year:
                raise Invalid({"year": [Problem("year_fixed", "Lennu aastat ei saa muuta.",
                                                "An edition's year cannot be changed.")]})
            db.scalars(select(Group).where(Group.edition_id == edition_id)
                       .order_by(Group.group_id).with_for_update()).all()
            before = _schedule_of(edition)
        _apply_claim_policy(db, edition, spec, is_new=before is None)
        _apply(db, edition, spec)
        db.flush()
        db.expire(edition, ["groups"])
        if before is not None and _schedule_of(edition) == before:
            return edition_id, False
        edition.revision += 1
        edition.updated_at, edition.updated_by = clock.now(), actor
        uow.publish("enrolment.edition.published", edition_payload(edition))
        return edition_id, True


def _apply_claim_policy(db: Session, edition: Edition, spec: EditionSpec, is_new: bool) -> None:
    """The values given, else the edition's (a new one holds the settings); checked together,
    since an edit may give only one of them."""
    wanted = {name: getattr(spec, name) if getattr(spec, name) is not None else getattr(edition, name)
              for name in CLAIM_FIELDS}
    errors = claim_policy_problems(wanted["claim_cap"], wanted["claim_daily_rate"])
    if errors:
        raise Invalid(errors)
    changed = [name for name in CLAIM_FIELDS if Decimal(getattr(edition, name)) != wanted[name]]
    if changed and not is_new and _confirmed_in(db, edition.edition_id):
        problem = Problem(
            "claim_policy_confirmed",
            "Nõude ülempiiri ja päevamäära ei saa enam muuta: lennu osalejad on tingimused (koos ülempiiriga) "
            "juba kinnitanud.",
            "The claim cap and daily rate can no longer be changed: members of this edition have already "
            "confirmed the conditions, which state the cap.")
        raise Refused(problem, errors={name: [problem] for name in changed})
    for name, value in wanted.items():
        setattr(edition, name, value)


def _confirmed_in(db: Session, edition_id: str) -> bool:
    """Has any member of any application of the edition confirmed the conditions (even one
    who has since left: they agreed to these values)?"""
    return bool(db.scalar(select(exists().where(
        Member.application_id == Application.application_id, Application.edition_id == edition_id,
        Member.confirmed_at.is_not(None)))))


def _apply(db: Session, edition: Edition, spec: EditionSpec) -> None:
    edition.name, edition.timezone = spec.name, spec.timezone
    edition.application_deadline = spec.application_deadline
    existing = {g.key: g for g in edition.groups}
    wanted = {g.key for g in spec.groups}
    errors: Errors = {}
    for key, group in existing.items():
        if key not in wanted:
            teams = db.scalar(select(func.count()).select_from(Application)
                              .where(Application.group_id == group.group_id))
            if teams:
                errors.setdefault("groups", []).append(Problem(
                    "group_in_use", f"Rühma {group.city} ei saa eemaldada: sellel on {teams} meeskonda.",
                    f"The {group.city} group cannot be removed: it has {teams} team(s)."))
            else:
                edition.groups.remove(group)
    for ordinal, g in enumerate(spec.groups):
        group = existing.get(g.key)
        if group is None:
            group = Group(group_id=group_id_for(edition.edition_id, g.key), key=g.key)
            edition.groups.append(group)
        else:
            accepted = db.scalar(select(func.count()).select_from(Application).where(
                Application.group_id == group.group_id, Application.status == ACCEPTED))
            if g.capacity_teams < accepted:
                errors.setdefault(f"groups.{ordinal}.capacity_teams", []).append(Problem(
                    "capacity_below_accepted",
                    f"{g.city}: rühma on juba vastu võetud {accepted} meeskonda.",
                    f"{g.city}: {accepted} teams are already accepted into the group."))
            if group.city != g.city:
                # Teams named the city, not the group: follow the rename.
                db.execute(update(CityPreference).where(
                    CityPreference.city == group.city,
                    CityPreference.application_id.in_(select(Application.application_id).where(
                        Application.edition_id == edition.edition_id))).values(city=g.city))
        group.city, group.capacity_teams, group.ordinal = g.city, g.capacity_teams, ordinal
        sessions = {s.day_number: s for s in group.sessions}
        for s in g.sessions:
            row = sessions.get(s.day_number)
            if row is None:
                row = ScheduledSession(session_id=session_id_for(group.group_id, s.day_number),
                                       day_number=s.day_number)
                group.sessions.append(row)
            row.starts_at, row.ends_at, row.venue, row.seats = s.starts_at, s.ends_at, s.venue, s.seats
    if errors:
        raise Invalid(errors)


def edition_spec(kit: ServiceKit, data: dict, edition_id: str | None = None) -> EditionSpec:
    """An ``EditionSpec`` from the API's or the form's data (aware datetimes; a group names
    its ``group_id`` when it exists already). ``Invalid`` lists every problem."""
    keys: dict[str, str] = {}
    if edition_id is not None:
        with kit.db.transaction() as db:
            keys = dict(db.execute(select(Group.group_id, Group.key).where(Group.edition_id == edition_id)).all())
    errors: Errors = {}
    groups = []
    for index, g in enumerate(data.get("groups") or []):
        group_id = g.get("group_id")
        if group_id and group_id not in keys:
            errors.setdefault(f"groups.{index}.group_id", []).append(Problem(
                "unknown_group", "Sellist rühma selles lennus ei ole.", "There is no such group in this edition."))
            continue
        key = keys[group_id] if group_id else slug(g["city"])
        try:
            sessions = tuple(SessionSpec(day_number=s["day_number"], starts_at=s["starts_at"], ends_at=s["ends_at"],
                                         venue=(s.get("venue") or "").strip(), seats=s.get("seats"))
                             for s in sorted(g.get("sessions") or [], key=lambda s: s["day_number"]))
            groups.append(GroupSpec(key=key, city=g["city"].strip(), capacity_teams=g["capacity_teams"],
                                    sessions=sessions))
        except EditionError as exc:
            errors.setdefault(f"groups.{index}", []).extend(
                Problem("edition_invalid", text, text) for text in exc.problems)
    claim: dict[str, Decimal] = {}
    for name in CLAIM_FIELDS:
        text = data.get(name)
        if text is None or (isinstance(text, str) and not text.strip()):
            continue  # not given: the setting for a new edition, the edition's own on an edit
        amount = parse_amount(text)
        problems = amount_problems(amount)
        if problems:
            errors[name] = problems
        else:
            claim[name] = amount.quantize(Decimal("0.01"))
    errors.update({path: found for path, found in claim_policy_problems(
        claim.get("claim_cap"), claim.get("claim_daily_rate")).items() if path not in errors})
    if errors:
        raise Invalid(errors)
    try:
        return EditionSpec(year=data["year"], name=(data.get("name") or "").strip(),
                           application_deadline=data["application_deadline"], groups=tuple(groups), **claim)
    except EditionError as exc:
        raise Invalid(spec_problems(exc)) from None


def load_edition_file(kit: ServiceKit, path: str | PathLike[str], actor: str = "data file") -> tuple[str, bool]:
    """Create or update the edition a YAML file describes; running it again changes nothing."""
    spec = load_edition(path)
    with kit.db.transaction() as db:
        existing = db.scalar(select(Edition.edition_id).where(Edition.year == spec.year))
    return save_edition(kit, spec, actor, edition_id=existing)


def get_edition(kit: ServiceKit, edition_id: str) -> dict:
    with kit.db.transaction() as db:
        edition = db.get(Edition, edition_id)
        if edition is None:
            raise not_found("Lendu", "Edition")
        return edition_view(edition)


def edition_view(edition: Edition) -> dict:
    payload = edition_payload(edition)
    payload.update(timezone=edition.timezone, updated_at=edition.updated_at, updated_by=edition.updated_by)
    for group, g in zip(payload["groups"], edition.groups, strict=True):
        group["key"] = g.key
    return payload


def list_editions(kit: ServiceKit) -> list[dict]:
    with kit.db.transaction() as db:
        return [edition_view(e) for e in db.scalars(select(Edition).order_by(Edition.year.desc()))]


def current_edition_view(kit: ServiceKit) -> dict | None:
    with kit.db.transaction() as db:
        edition = current_edition(db)
        return edition_view(edition) if edition else None
