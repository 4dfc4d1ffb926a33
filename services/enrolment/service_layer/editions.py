"""Editions: create and edit the schedule, and publish it in full after every change.

The domain (``EditionSpec``) checks every invariant of a schedule; this module gives its
groups and sessions stable ids, guards what other tables depend on (a group with teams is
not removed, its capacity never drops below the teams it has) and publishes
``enrolment.edition.published`` with the next ``revision`` in the same transaction.

A refusal names every problem at once: each value's, the schedule's invariants and the
conflicts with what is saved (``_state_problems``), not the next kind only once the first is
corrected. A form some of whose inputs could not be read asks ``edition_problems`` with what
it could read, and shows those problems beside its own.

The edition's dropout claim policy (``claim_cap``, ``claim_daily_rate``) travels in the same
event: billing proposes claims and notify quotes the cap by it. A new edition not given them
takes the settings (ENROLMENT_CLAIM_CAP, ENROLMENT_CLAIM_DAILY_RATE); an edit not given them
keeps the edition's. Once a member of the edition has confirmed the conditions, which state
the cap, the policy is what they agreed to and is no longer changed.

The counselling programme's policy (``counselling_deadline``, ``counselling_min_selected``,
``counselling_max_selected``; domain/counselling.py) is the edition's too, with the same rule
for values not given, but it is not part of the published schedule: nobody else needs it, so
a change of it alone is saved without a new revision. Once the selection is announced it is
fixed (409 ``counselling_announced``).

The team composition rule's minimums (``min_team_members``, ``min_local_government_members``,
``min_ngo_members``; domain/composition.py) are the edition's too, with the same rule for values
not given (a new edition: the brochure's 4 / 2 / 2), and not published: a change of them alone
is saved without a new revision. They may change at any time: applications already made are
not judged again (nothing is rejected by it), but every check from then on — a new
application, a substitution, a withdrawal's warnings, the team's standing on the pages and in
the API — judges the team by the edition's rule as it is then.

The registry codes' first digits per organisation kind (``local_government_registry_code_digits``,
``ngo_registry_code_digits``: 7; 8 or 9 for a new edition, none = not checked; domain/application.py)
and the substitution cut-off (``substitutions_allowed``, ``substitution_until_day``: before the
group's day 1, 2 or 3; domain/composition.py) are the edition's in the same way: not published,
changed at any time without a new revision, nothing already submitted judged again by them;
an application and a substitution are judged by them as they are when it is submitted.

Whether VAT applies to the edition's dropout invoices (``vat_applies``; None: billing's own
setting) belongs to the claim policy: it is published in ``enrolment.edition.published`` (left
out when not set) and, as the conditions state the cap "incl. VAT", fixed once a member has
confirmed them (409 ``claim_policy_confirmed``).

When teams may start applying (``applications_open_at``, until the deadline) is the edition's
too and not published either: a new edition not given it opens when it is saved (as every
edition did before there was a choice), an edit not given it keeps the edition's. The public
form takes applications to the editions open now (``taking_applications``: opened, deadline
not passed), the newest of them by default (``public_edition``), and says when an edition
not open yet opens, beside the open one's form: next year's edition, prepared while this
year's deadline still runs, hides nothing of this year's. With none open it names the newest
edition (``current_edition``): when it opens, or that it has closed. The coordinator's
defaults (the application list, the counts, the dashboard, the counselling programme's
fallback) stay with the newest edition that has opened (``working_edition``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
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
from services.enrolment.domain import application as application_rules
from services.enrolment.domain import composition as composition_rules
from services.enrolment.domain import counselling as counselling_rules
from services.enrolment.domain.deadline import is_open
from services.enrolment.domain.edition import (
    CLAIM_FIELDS,
    CODE_FIELDS,
    COMPOSITION_FIELDS,
    COUNSELLING_FIELDS,
    CUTOFF_FIELDS,
    NOT_GIVEN,
    EditionDraft,
    EditionError,
    EditionSpec,
    GroupSpec,
    SessionSpec,
    amount_problems,
    claim_policy_problems,
    draft_problems,
    load_edition,
    opening_problems,
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
    """The newest edition (the latest year), open or not."""
    return session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))


def taking_applications(session: Session, now: datetime | None = None) -> list[Edition]:
    """The editions taking applications now (opened, their deadline not passed), the newest first."""
    now = now or clock.now()
    opened = session.scalars(select(Edition).where(Edition.applications_open_at <= now)
                             .order_by(Edition.year.desc()))
    return [e for e in opened if is_open(e.application_deadline, now)]


def public_edition(session: Session, now: datetime | None = None) -> Edition | None:
    """The edition an application goes to unless it names one: the newest taking applications;
    with none taking any, the newest (the refusal says when it opens, or that it closed)."""
    open_now = taking_applications(session, now)
    return open_now[0] if open_now else current_edition(session)


def working_edition(session: Session, now: datetime | None = None) -> Edition | None:
    """The edition coordinators work on by default: the latest year that has opened for
    applications (next year's, prepared meanwhile, has no teams yet), else the latest."""
    now = now or clock.now()
    opened = session.scalar(select(Edition).where(Edition.applications_open_at <= now)
                            .order_by(Edition.year.desc()).limit(1))
    return opened or current_edition(session)


def has_opened(edition: Edition | dict, now: datetime) -> bool:
    """Has the edition started taking applications (it may have closed since)?"""
    opens_at = edition["applications_open_at"] if isinstance(edition, dict) else edition.applications_open_at
    return now >= opens_at


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
        # Left out when not set: billing then applies its own setting (as for an older event).
        **({"vat_applies": edition.vat_applies} if edition.vat_applies is not None else {}),
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


def last_session_ends_at(edition: Edition) -> datetime | None:
    ends = [s.ends_at for g in edition.groups for s in g.sessions]
    return max(ends) if ends else None


def counselling_window(edition: Edition) -> tuple[datetime | None, datetime | None]:
    """(opens_at, deadline) of the edition's counselling programme: from the end of its last
    session until its deadline (the default where none is set)."""
    opens_at = last_session_ends_at(edition)
    if opens_at is None:
        return None, edition.counselling_deadline
    return opens_at, counselling_rules.effective_deadline(edition.counselling_deadline, opens_at)


def _counselling_of(edition: Edition) -> tuple:
    return (edition.counselling_deadline, edition.counselling_min_selected, edition.counselling_max_selected)


def _composition_of(edition: Edition) -> dict[str, int]:
    return {name: getattr(edition, name) for name in COMPOSITION_FIELDS}


def _rules_of(edition: Edition) -> dict:
    """The registry codes' first digits ("89") and the substitution cut-off, as saved."""
    return {name: getattr(edition, name) for name in (*CODE_FIELDS, *CUTOFF_FIELDS)}


def _schedule_of(edition: Edition) -> dict:
    """The comparable part of the payload: an edit that changes none of it is no new revision."""
    payload = edition_payload(edition)
    payload.pop("revision")
    return payload


def spec_problems(exc: EditionError) -> Errors:
    """The domain's broken invariants by the field they are about, in Estonian and English
    (the form shows each next to its input); any other message at the part it names."""
    if exc.errors:
        return exc.errors
    errors: Errors = {}
    for text in exc.problems:
        head = text.split(" ", 1)[0].split(":", 1)[0].split("[", 1)[0]
        path = head if head in ("year", "name", "application_deadline", "applications_open_at", "groups",
                                "timezone", "vat_applies", *CLAIM_FIELDS, *COUNSELLING_FIELDS,
                                *COMPOSITION_FIELDS, *CODE_FIELDS, *CUTOFF_FIELDS) else "groups"
        errors.setdefault(path, []).append(Problem("edition_invalid", text, text))
    return errors


@dataclass
class _Change:
    """What a save asks for, as far as it is known, for the checks against what is saved: a
    form some of whose inputs could not be read gives None for a value it does not know (a
    group's size, the deadline) and leaves out what it could not read of the policies."""

    year: int | None
    application_deadline: datetime | None
    groups: list[tuple[str, int | None]]  # (key, capacity_teams) of each group given, in its order
    claim: dict[str, Decimal]  # the claim amounts given
    counselling: dict  # the counselling policy given (COUNSELLING_FIELDS; no key, or None for a number: not given)
    applications_open_at: datetime | None | object = NOT_GIVEN
    last_session_ends_at: datetime | None = None
    composition: dict = dataclasses.field(default_factory=dict)  # the minimums given (None: not given)
    vat_applies: bool | None | object = NOT_GIVEN


def _change_of(spec: EditionSpec) -> _Change:
    return _Change(
        year=spec.year, application_deadline=spec.application_deadline,
        groups=[(g.key, g.capacity_teams) for g in spec.groups],
        claim={name: getattr(spec, name) for name in CLAIM_FIELDS if getattr(spec, name) is not None},
        counselling={name: getattr(spec, name) for name in COUNSELLING_FIELDS},
        applications_open_at=spec.applications_open_at, last_session_ends_at=spec.last_session_ends_at,
        composition={name: getattr(spec, name) for name in COMPOSITION_FIELDS}, vat_applies=spec.vat_applies)


def _add(errors: Errors, path: str, problems: list[Problem]) -> None:
    """``problems`` at ``path``, each once (two checks may find the same one)."""
    found = errors.setdefault(path, [])
    found.extend(p for p in problems if p not in found)


def _merge(errors: Errors, more: Errors) -> Errors:
    for path, problems in more.items():
        _add(errors, path, problems)
    return errors


def _refusal(errors: Errors, conflict: Problem | None) -> Refused:
    """Every problem at once: a 409 with the conflict's reason if the saved state refuses the
    change (an edition of that year exists, a confirmed claim policy, an announced selection),
    else a 422."""
    return Refused(conflict, errors=errors) if conflict is not None else Invalid(errors)


def _state_problems(db: Session, settings, edition: Edition | None, change: _Change) -> tuple[Errors, Problem | None]:
    """Every way ``change`` conflicts with what is saved (``edition`` None: a new one), judged on
    what of it is known; and the conflict that makes the refusal a 409, if any. Nothing is changed.
    ``save_edition`` asks under its locks; a form asks beforehand, to show everything in one go."""
    errors: Errors = {}
    conflict: Problem | None = None
    now = clock.now()
    if edition is None:
        if change.year is not None and db.scalar(select(Edition.edition_id).where(
                (Edition.edition_id == str(change.year)) | (Edition.year == change.year))) is not None:
            conflict = Problem("edition_exists", f"{change.year}. aasta lend on juba olemas.",
                               f"The {change.year} edition exists already.")
            _add(errors, "year", [conflict])
    elif change.year is not None and change.year != edition.year:
        _add(errors, "year", [Problem("year_fixed", "Lennu aastat ei saa muuta.", "An edition's year cannot be changed.")])

    # The claim policy: the values given, else the edition's (a new one takes the settings),
    # checked together, since an edit may give only one of them.
    saved = {name: Decimal(getattr(edition, name)) for name in CLAIM_FIELDS} if edition is not None else \
        {"claim_cap": claim_cap(settings), "claim_daily_rate": claim_daily_rate(settings)}
    wanted = {name: change.claim.get(name, saved[name]) for name in CLAIM_FIELDS}
    _merge(errors, claim_policy_problems(wanted["claim_cap"], wanted["claim_daily_rate"]))
    changed = [name for name in CLAIM_FIELDS if saved[name] != wanted[name]]
    # Whether VAT applies: the conditions state the cap "incl. VAT", so it is fixed with the cap.
    vat_changed = change.vat_applies is not NOT_GIVEN and change.vat_applies != (
        edition.vat_applies if edition is not None else None)
    if (changed or vat_changed) and edition is not None and _confirmed_in(db, edition.edition_id):
        problem = Problem(
            "claim_policy_confirmed",
            "Nõude ülempiiri ja päevamäära ei saa enam muuta: lennu osalejad on tingimused (koos ülempiiriga) "
            "juba kinnitanud.",
            "The claim cap and daily rate can no longer be changed: members of this edition have already "
            "confirmed the conditions, which state the cap.")
        for name in changed:
            _add(errors, name, [problem])
        if vat_changed:
            problem = Problem(
                "claim_policy_confirmed",
                "Käibemaksu kohaldamist ei saa enam muuta: lennu osalejad on tingimused (ülempiir koos "
                "käibemaksuga) juba kinnitanud.",
                "Whether VAT applies can no longer be changed: members of this edition have already confirmed "
                "the conditions, which state the cap including VAT.")
            _add(errors, "vat_applies", [problem])
        conflict = conflict or problem

    # The composition rule: the minimums given, else the edition's (a new one: the brochure's),
    # judged together (an edit may give only one of them).
    saved_r = _composition_of(edition) if edition is not None else dict(zip(COMPOSITION_FIELDS, (
        composition_rules.MIN_MEMBERS, composition_rules.MIN_LOCAL_GOVERNMENT_MEMBERS,
        composition_rules.MIN_NGO_MEMBERS), strict=True))
    wanted_r = {name: saved_r[name] if change.composition.get(name) is None else change.composition[name]
                for name in COMPOSITION_FIELDS}
    _merge(errors, composition_rules.rule_problems(*wanted_r.values()))

    # The groups: one with teams is not removed, none shrinks below the teams it has accepted.
    existing = {g.key: g for g in edition.groups} if edition is not None else {}
    wanted_keys = {key for key, _capacity in change.groups}
    for key, group in existing.items():
        if key not in wanted_keys:
            teams = db.scalar(select(func.count()).select_from(Application)
                              .where(Application.group_id == group.group_id))
            if teams:
                _add(errors, "groups", [Problem(
                    "group_in_use", f"Rühma {group.city} ei saa eemaldada: sellel on {teams} meeskonda.",
                    f"The {group.city} group cannot be removed: it has {teams} team(s).")])
    for ordinal, (key, capacity) in enumerate(change.groups):
        group = existing.get(key)
        if group is None or not isinstance(capacity, int):
            continue
        accepted = db.scalar(select(func.count()).select_from(Application).where(
            Application.group_id == group.group_id, Application.status == ACCEPTED))
        if capacity < accepted:
            _add(errors, f"groups.{ordinal}.capacity_teams", [Problem(
                "capacity_below_accepted", f"{group.city}: rühma on juba vastu võetud {accepted} meeskonda.",
                f"{group.city}: {accepted} teams are already accepted into the group.")])

    # When applications open, not given: an edit keeps the edition's moment, which must still
    # come before a deadline moved ahead of it while it has not opened yet.
    if (edition is not None and change.applications_open_at is NOT_GIVEN and change.application_deadline is not None
            and change.application_deadline != edition.application_deadline and edition.applications_open_at > now):
        _add(errors, "applications_open_at", opening_problems(edition.applications_open_at, change.application_deadline))

    # The counselling policy: the values given, else the edition's (a new one: the defaults),
    # fixed once the selection is announced, and a deadline after the (new) last session.
    saved_c = dict(zip(COUNSELLING_FIELDS, _counselling_of(edition), strict=True)) if edition is not None else {
        "counselling_deadline": None, "counselling_min_selected": counselling_rules.DEFAULT_MIN_SELECTED,
        "counselling_max_selected": counselling_rules.DEFAULT_MAX_SELECTED}
    given = change.counselling
    wanted_c = {
        "counselling_deadline": given.get("counselling_deadline", NOT_GIVEN),
        "counselling_min_selected": given.get("counselling_min_selected"),
        "counselling_max_selected": given.get("counselling_max_selected")}
    wanted_c = {name: saved_c[name] if value is NOT_GIVEN or (value is None and name != "counselling_deadline")
                else value for name, value in wanted_c.items()}
    changed_c = [name for name, value in wanted_c.items() if saved_c[name] != value]
    if changed_c and edition is not None and edition.counselling_announced_at is not None:
        problem = Problem(
            "counselling_announced",
            "Nõustamisprogrammi valik on juba välja kuulutatud: selle tähtaega ja valitavate arvu ei saa enam muuta.",
            "The counselling programme's selection is already announced: its deadline and how many are "
            "selected can no longer be changed.")
        conflict = conflict or problem
        for name in changed_c:
            _add(errors, name, [problem])
    _merge(errors, counselling_rules.policy_problems(
        wanted_c["counselling_deadline"], wanted_c["counselling_min_selected"], wanted_c["counselling_max_selected"],
        change.last_session_ends_at))
    return errors, conflict


def save_edition(kit: ServiceKit, spec: EditionSpec, actor: str, edition_id: str | None = None) -> tuple[str, bool]:
    """Create (``edition_id`` None) or replace an edition's schedule with ``spec``.

    Groups are matched by ``GroupSpec.key`` (their id is "<edition>-<key>"), so renaming a
    city keeps its group, its teams and its sessions' ids. Every conflict with what is saved
    is refused at once (``_state_problems``), before anything changes. Returns (edition_id, changed).
    """
    with kit.unit_of_work() as uow:
        db = uow.session
        edition = None
        if edition_id is not None:
            # The edition row serialises edits and, taken before _confirmed_in asks, waits for a
            # first confirmation under way (it holds the row for share, confirm_member): the
            # policy never changes under a confirmation. The group rows are what placements lock.
            edition = db.scalar(select(Edition).where(Edition.edition_id == edition_id).with_for_update())
            if edition is None:
                raise not_found("Lendu", "Edition")
            db.scalars(select(Group).where(Group.edition_id == edition_id)
                       .order_by(Group.group_id).with_for_update()).all()
        errors, conflict = _state_problems(db, kit.settings, edition, _change_of(spec))
        if errors:
            raise _refusal(errors, conflict)
        if edition is None:
            edition_id = str(spec.year)
            edition = Edition(edition_id=edition_id, year=spec.year, revision=0, created_at=clock.now(),
                              updated_at=clock.now(), updated_by=actor, applications_open_at=clock.now(),
                              claim_cap=claim_cap(kit.settings), claim_daily_rate=claim_daily_rate(kit.settings),
                              counselling_min_selected=counselling_rules.DEFAULT_MIN_SELECTED,
                              counselling_max_selected=counselling_rules.DEFAULT_MAX_SELECTED,
                              min_team_members=composition_rules.MIN_MEMBERS,
                              min_local_government_members=composition_rules.MIN_LOCAL_GOVERNMENT_MEMBERS,
                              min_ngo_members=composition_rules.MIN_NGO_MEMBERS, vat_applies=None,
                              local_government_registry_code_digits=application_rules.DEFAULT_LOCAL_GOVERNMENT_DIGITS,
                              ngo_registry_code_digits=application_rules.DEFAULT_NGO_DIGITS,
                              substitutions_allowed=True,
                              substitution_until_day=composition_rules.DEFAULT_SUBSTITUTION_UNTIL_DAY)
            db.add(edition)
            before = None
        else:
            before = _schedule_of(edition)
        counselling_before = (*_counselling_of(edition), edition.applications_open_at, _composition_of(edition),
                              _rules_of(edition))
        deadline_before = None if before is None else edition.application_deadline
        for name in (*CLAIM_FIELDS, *COMPOSITION_FIELDS, *CODE_FIELDS, *CUTOFF_FIELDS):
            if getattr(spec, name) is not None:
                setattr(edition, name, getattr(spec, name))
        if spec.vat_applies is not NOT_GIVEN:
            edition.vat_applies = spec.vat_applies
        _apply(db, edition, spec)
        _apply_opening(edition, spec, deadline_before)
        _apply_counselling_policy(edition, spec)
        db.flush()
        db.expire(edition, ["groups"])
        counselling_changed = (*_counselling_of(edition), edition.applications_open_at,
                               _composition_of(edition), _rules_of(edition)) != counselling_before
        if before is not None and _schedule_of(edition) == before:
            if counselling_changed:
                edition.updated_at, edition.updated_by = clock.now(), actor
            return edition_id, counselling_changed
        edition.revision += 1
        edition.updated_at, edition.updated_by = clock.now(), actor
        uow.publish("enrolment.edition.published", edition_payload(edition))
        return edition_id, True


def _apply_opening(edition: Edition, spec: EditionSpec, deadline_before: datetime | None) -> None:
    """When applications open: the moment given (checked before the deadline); None: from now
    (an edition open already keeps the moment it opened); not given: a new edition opens now
    (set on creation), an edit keeps the edition's."""
    wanted = spec.applications_open_at
    if wanted is NOT_GIVEN:
        return
    if wanted is None:
        wanted = min(edition.applications_open_at, clock.now()) if deadline_before is not None else clock.now()
    edition.applications_open_at = wanted


def _apply_counselling_policy(edition: Edition, spec: EditionSpec) -> None:
    """The values given, else the edition's (a new one holds the defaults)."""
    if spec.counselling_deadline is not NOT_GIVEN:
        edition.counselling_deadline = spec.counselling_deadline
    for name in ("counselling_min_selected", "counselling_max_selected"):
        if getattr(spec, name) is not None:
            setattr(edition, name, getattr(spec, name))


def _confirmed_in(db: Session, edition_id: str) -> bool:
    """Has any member of any application of the edition confirmed the conditions (even one
    who has since left: they agreed to these values)?"""
    return bool(db.scalar(select(exists().where(
        Member.application_id == Application.application_id, Application.edition_id == edition_id,
        Member.confirmed_at.is_not(None)))))


def _apply(db: Session, edition: Edition, spec: EditionSpec) -> None:
    """The schedule as ``spec`` has it (``_state_problems`` has found nothing against it)."""
    edition.name, edition.timezone = spec.name, spec.timezone
    edition.application_deadline = spec.application_deadline
    existing = {g.key: g for g in edition.groups}
    wanted = {g.key for g in spec.groups}
    for key, group in existing.items():
        if key not in wanted:
            edition.groups.remove(group)
    for ordinal, g in enumerate(spec.groups):
        group = existing.get(g.key)
        if group is None:
            group = Group(group_id=group_id_for(edition.edition_id, g.key), key=g.key)
            edition.groups.append(group)
        elif group.city != g.city:
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


def _judge(kit: ServiceKit, data: dict, edition_id: str | None) -> tuple[dict, Errors]:
    """The ``EditionSpec`` arguments from the API's or the form's data, and every problem of
    them that needs no saved state: each value's, then the schedule's invariants on what could
    be read (``draft_problems``), all at once."""
    keys: dict[str, str] = {}
    if edition_id is not None:
        with kit.db.read_session() as db:
            keys = dict(db.execute(select(Group.group_id, Group.key).where(Group.edition_id == edition_id)).all())
    errors: Errors = {}
    groups = []
    for index, g in enumerate(data.get("groups") or []):
        group_id = g.get("group_id")
        # Only a group of this edition is named by its id ("" too is no id of one): anything else is
        # refused at that group, which is still judged as the new group of its city it would be.
        if group_id is not None and group_id not in keys:
            errors.setdefault(f"groups.{index}.group_id", []).append(Problem(
                "unknown_group", f"Rühma „{group_id}“ selles lennus ei ole (uue rühma puhul jätke tunnus ära).",
                f"There is no group “{group_id}” in this edition (leave the id out for a new group)."))
            group_id = None
        key = keys[group_id] if group_id else slug(g.get("city") or "")
        try:
            sessions = tuple(SessionSpec(day_number=s["day_number"], starts_at=s["starts_at"], ends_at=s["ends_at"],
                                         venue=(s.get("venue") or "").strip(), seats=s.get("seats"))
                             for s in sorted(g.get("sessions") or [], key=lambda s: s["day_number"]))
            groups.append(GroupSpec(key=key, city=(g.get("city") or "").strip(), capacity_teams=g.get("capacity_teams"),
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
    # The counselling policy: a deadline given (None: the default) and whole numbers.
    counselling: dict = {name: data[name] for name in COUNSELLING_FIELDS if name in data}
    if counselling.get("counselling_deadline", NOT_GIVEN) is NOT_GIVEN:
        counselling.pop("counselling_deadline", None)
    # When applications open: a moment given (None: from now; left out: see _state_problems).
    opening = {"applications_open_at": data["applications_open_at"]} if "applications_open_at" in data else {}
    # The composition rule's minimums given (None: not given) and whether VAT applies (None: billing's setting).
    composition = {name: data[name] for name in (*COMPOSITION_FIELDS, *CODE_FIELDS, *CUTOFF_FIELDS)
                   if data.get(name) is not None}
    for name in CODE_FIELDS:  # a list of digits (the form's too), nothing else
        if name in composition and not isinstance(composition[name], list):
            errors[name] = application_rules.code_digits_problems(composition.pop(name))
    if "vat_applies" in data and data["vat_applies"] is not NOT_GIVEN:
        composition["vat_applies"] = data["vat_applies"]
    deadline = data.get("application_deadline")
    parts = {"year": data.get("year"), "name": (data.get("name") or "").strip(),
             "application_deadline": deadline if isinstance(deadline, datetime) else None,
             "groups": tuple(groups), **claim, **counselling, **opening, **composition}
    _merge(errors, draft_problems(EditionDraft(**parts)))
    return parts, errors


def _change_of_parts(parts: dict) -> _Change:
    ends = [s.ends_at for g in parts["groups"] for s in g.sessions]
    return _Change(
        year=parts["year"] if isinstance(parts["year"], int) else None,
        application_deadline=parts["application_deadline"],
        groups=[(g.key, g.capacity_teams) for g in parts["groups"]],
        claim={name: parts[name] for name in CLAIM_FIELDS if name in parts},
        counselling={name: parts[name] for name in COUNSELLING_FIELDS if name in parts},
        applications_open_at=parts.get("applications_open_at", NOT_GIVEN),
        last_session_ends_at=max(ends) if ends else None,
        composition={name: parts[name] for name in COMPOSITION_FIELDS if name in parts},
        vat_applies=parts.get("vat_applies", NOT_GIVEN))


def edition_problems(kit: ServiceKit, data: dict, edition_id: str | None = None) -> tuple[Errors, Problem | None]:
    """Every problem of an edition as far as ``data`` is known (None for a value not known, a
    session day left out), by field path: its values', the schedule's invariants and its
    conflicts with what is saved (and the conflict that makes it a 409, if any). For a form some
    of whose inputs could not be read, to show everything else that is wrong in the same go."""
    parts, errors = _judge(kit, data, edition_id)
    state, conflict = _state_of(kit, parts, edition_id)
    return _merge(errors, state), conflict


def _state_of(kit: ServiceKit, parts: dict, edition_id: str | None) -> tuple[Errors, Problem | None]:
    with kit.db.read_session() as db:
        edition = db.get(Edition, edition_id) if edition_id is not None else None
        return _state_problems(db, kit.settings, edition, _change_of_parts(parts))


def edition_spec(kit: ServiceKit, data: dict, edition_id: str | None = None) -> EditionSpec:
    """An ``EditionSpec`` from the API's or the form's data (aware datetimes; a group names
    its ``group_id`` when it exists already). Refused with every problem at once: the values',
    the schedule's and, when any of those is found, the conflicts with what is saved as well
    (``save_edition`` judges those again, under its locks)."""
    parts, errors = _judge(kit, data, edition_id)
    if errors:
        state, conflict = _state_of(kit, parts, edition_id)
        raise _refusal(_merge(errors, state), conflict)
    try:
        return EditionSpec(**parts)
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
    payload.update(timezone=edition.timezone, updated_at=edition.updated_at, updated_by=edition.updated_by,
                   applications_open_at=edition.applications_open_at)
    opens_at, deadline = counselling_window(edition)
    payload.update(counselling_deadline=edition.counselling_deadline, counselling_opens_at=opens_at,
                   counselling_effective_deadline=deadline,
                   counselling_min_selected=edition.counselling_min_selected,
                   counselling_max_selected=edition.counselling_max_selected,
                   counselling_announced_at=edition.counselling_announced_at,
                   vat_applies=edition.vat_applies, **_composition_of(edition),
                   substitutions_allowed=edition.substitutions_allowed,
                   substitution_until_day=edition.substitution_until_day,
                   **{name: list(getattr(edition, name)) for name in CODE_FIELDS})
    for group, g in zip(payload["groups"], edition.groups, strict=True):
        group["key"] = g.key
    return payload


def list_editions(kit: ServiceKit) -> list[dict]:
    with kit.db.transaction() as db:
        return [edition_view(e) for e in db.scalars(select(Edition).order_by(Edition.year.desc()))]


def edition_years(kit: ServiceKit) -> list[tuple[str, int]]:
    """(edition_id, year) of every edition, the newest first."""
    with kit.db.transaction() as db:
        return [tuple(row) for row in db.execute(select(Edition.edition_id, Edition.year)
                                                 .order_by(Edition.year.desc())).all()]


def current_edition_view(kit: ServiceKit) -> dict | None:
    """The newest edition (``current_edition``)."""
    with kit.db.transaction() as db:
        edition = current_edition(db)
        return edition_view(edition) if edition else None


def public_edition_view(kit: ServiceKit) -> dict | None:
    """The edition the public form and the API default to (``public_edition``)."""
    with kit.db.transaction() as db:
        edition = public_edition(db)
        return edition_view(edition) if edition else None


def public_editions(kit: ServiceKit) -> dict[str, list[dict]]:
    """What the public form offers: ``open``, the editions taking applications now (the newest
    first, the default), and ``upcoming``, those not open yet (the soonest first)."""
    now = clock.now()
    with kit.db.transaction() as db:
        upcoming = db.scalars(select(Edition).where(Edition.applications_open_at > now)
                              .order_by(Edition.applications_open_at, Edition.year))
        return {"open": [edition_view(e) for e in taking_applications(db, now)],
                "upcoming": [edition_view(e) for e in upcoming]}


def working_edition_view(kit: ServiceKit) -> dict | None:
    """The edition of the coordinator's pages by default (``working_edition``)."""
    with kit.db.transaction() as db:
        edition = working_edition(db)
        return edition_view(edition) if edition else None
