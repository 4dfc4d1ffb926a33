"""A team applies; each member confirms the conditions through a personal link.

``submit_application`` is one transaction: the deadline, every rule of the domain (all
problems at once), the rows and ``enrolment.application.submitted`` commit together or not
at all. The idempotency key makes a double submit (two clicks, a retried request) return
the application the first one created.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.enrolment.adapters.models import (
    ACTIVE,
    OPEN_STATUSES,
    Application,
    CityPreference,
    Edition,
    Member,
    Organisation,
)
from services.enrolment.domain import application as rules
from services.enrolment.domain.conditions import MakeUpRule, is_digest, stated_conditions
from services.enrolment.domain.deadline import is_open
from services.enrolment.domain.edition import amount_problems, parse_amount
from services.enrolment.domain.problems import Problem
from services.enrolment.domain.times import local_text
from services.enrolment.service_layer.editions import has_opened, public_edition
from services.enrolment.service_layer.errors import Invalid, Refused, not_found
from services.enrolment.service_layer.make_up_rules import make_up_rule
from shared import clock
from shared.kit import ServiceKit
from shared.links import personal_url

LANGUAGES = ("et", "en")


def confirm_url(kit: ServiceKit, participant_id: str) -> str:
    return personal_url(kit.settings.base_url, kit.settings.secret_key, "confirm", participant_id)


def organisation_payload(o: Organisation) -> dict:
    return {"organisation_id": o.organisation_id, "name": o.name, "registry_code": o.registry_code,
            "kind": o.kind, "billing_email": o.billing_email, "address": o.address}


def member_payload(m: Member) -> dict:
    return {"participant_id": m.participant_id, "first_name": m.first_name, "last_name": m.last_name,
            "email": m.email, "organisation_id": m.organisation_id, "language": m.language}


def request_hash(app: rules.Application, language: str, edition_id: str | None = None) -> str:
    """What the request asked for, to tell a retry from a different application reusing a key
    (an edition named is part of it; not named, the hash is what it was before one could be)."""
    asked = [dataclasses.asdict(app), language] + ([edition_id] if edition_id is not None else [])
    body = json.dumps(asked, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _closed(deadline) -> Refused:
    when = local_text(deadline)
    return Refused(Problem(
        "applications_closed",
        f"Taotluste vastuvõtt on lõppenud (tähtaeg oli {when}).",
        f"Applications are closed (the deadline was {when})."))


def not_open_yet(edition: Edition) -> Problem:
    """The edition does not take applications yet: when it will (Tallinn time)."""
    local = clock.local(edition.applications_open_at)
    day, at = local.strftime("%d.%m.%Y"), local.strftime("%H:%M")
    return Problem("applications_not_open",
                   f"{edition.name}: taotlemine avaneb {day} kell {at}.",
                   f"{edition.name}: applications open on {day} at {at} (Estonian time).")


def _key_reused() -> Refused:
    return Refused(Problem(
        "idempotency_key_reused",
        "Selle vormiga on juba üks taotlus saadetud. Uue taotluse jaoks avage uus vorm.",
        "An application was already sent with this form. Open a new form for another application."),
        field="idempotency_key")


def _by_key(db: Session, key: str) -> Application | None:
    return db.scalar(select(Application).where(Application.idempotency_key == key))


def _edition_applied_to(db: Session, edition_id: str | None) -> Edition:
    """The edition named (the public form names the one it shows), else ``public_edition``."""
    if edition_id is not None:
        edition = db.get(Edition, edition_id)
        if edition is None:
            raise Invalid({"edition_id": [Problem("unknown_edition", "Sellist lendu ei ole.",
                                                  "There is no such edition.")]})
        return edition
    edition = public_edition(db)
    if edition is None:
        raise Refused(Problem("no_edition", "Ühtegi lendu pole veel välja kuulutatud.",
                              "No edition has been announced yet."))
    return edition


def submit_application(kit: ServiceKit, app: rules.Application, *, language: str = "et",
                       idempotency_key: str | None = None, edition_id: str | None = None) -> tuple[str, bool]:
    """Returns (application_id, replayed): ``replayed`` when the key was used before.

    ``edition_id`` names the edition applied to; None: the newest taking applications now
    (``public_edition``). An edition not open yet, or past its deadline, takes none."""
    app = rules.normalised(app)
    language = language if language in LANGUAGES else "et"
    digest = request_hash(app, language, edition_id)
    try:
        with kit.unit_of_work() as uow:
            db = uow.session
            if idempotency_key:
                existing = _by_key(db, idempotency_key)
                if existing is not None:
                    if existing.request_hash != digest:
                        raise _key_reused()
                    return existing.application_id, True
            edition = _edition_applied_to(db, edition_id)
            # Before it opens and after the deadline nothing is judged, nothing is stored.
            if not has_opened(edition, clock.now()):
                raise Refused(not_open_yet(edition))
            if not is_open(edition.application_deadline, clock.now()):
                raise _closed(edition.application_deadline)
            errors = rules.validate_application(app, [g.city for g in edition.groups], edition.composition_rule,
                                                 edition.registry_code_rule)
            if errors:
                raise Invalid(errors)
            application_id = _insert(uow, edition.edition_id, app, language, idempotency_key, digest, kit)
            db.flush()  # a concurrent twin with the same key fails here, before the commit
            return application_id, False
    except IntegrityError:
        if not idempotency_key:
            raise
        # The twin request committed first: answer with its application.
        with kit.db.transaction() as db:
            existing = _by_key(db, idempotency_key)
            if existing is None:
                raise
            if existing.request_hash != digest:
                raise _key_reused() from None
            return existing.application_id, True


def _insert(uow, edition_id: str, app: rules.Application, language: str, key: str | None, digest: str,
            kit: ServiceKit) -> str:
    now = clock.now()
    row = Application(
        application_id=str(uuid.uuid4()), edition_id=edition_id, idempotency_key=key, request_hash=digest,
        team_name=app.team_name, idea_title=app.idea.title, idea_description=app.idea.description,
        idea_kind=app.idea.kind, intends_to_delegate=True, ngo_experience=app.ngo_experience,
        contact_email=app.contact_email, language=language, submitted_at=now)
    row.preferences = [CityPreference(rank=rank, city=city)
                       for rank, city in enumerate(app.preferred_cities, start=1)]
    by_key: dict[str, Organisation] = {}
    for ordinal, o in enumerate(app.organisations):
        org = Organisation(organisation_id=str(uuid.uuid4()), ordinal=ordinal, name=o.name,
                           registry_code=o.registry_code, kind=o.kind, address=o.address,
                           billing_email=o.billing_email)
        by_key[o.key] = org
        row.organisations.append(org)
    for ordinal, m in enumerate(app.members):
        org = by_key[m.organisation_key]
        row.members.append(Member(
            participant_id=str(uuid.uuid4()), ordinal=ordinal, first_name=m.first_name, last_name=m.last_name,
            email=m.email, phone=m.phone or "", job_title=m.position or "", organisation=org,
            language=language, status=ACTIVE, joined_at=now))
    uow.session.add(row)
    uow.session.flush()
    uow.publish("enrolment.application.submitted", {
        "application_id": row.application_id,
        "edition_id": edition_id,
        "team_name": row.team_name,
        "preferred_cities": row.preferred_cities,
        "organisations": [organisation_payload(o) for o in row.organisations],
        "members": [{**member_payload(m), "confirm_url": confirm_url(kit, m.participant_id)}
                    for m in row.members],
        "contact_email": row.contact_email,
        "language": language,
    })
    return row.application_id


# -- confirmations ----------------------------------------------------------------------------

def member_for_confirmation(kit: ServiceKit, participant_id: str) -> dict:
    """What the member's confirmation page shows; refuses members no longer in a team."""
    with kit.db.transaction() as db:
        member = db.get(Member, participant_id)
        if member is None:
            raise not_found("Meeskonnaliiget", "Team member")
        application = db.get(Application, member.application_id)
        return _confirmation_view(member, application, make_up_rule(db, application.edition_id))


def _confirmation_view(member: Member, application: Application, make_up: MakeUpRule | None) -> dict:
    edition = application.edition
    stated = stated_conditions(edition.claim_cap, edition.vat_applies, make_up)
    return {"participant_id": member.participant_id, "first_name": member.first_name,
            "last_name": member.last_name, "team_name": application.team_name,
            "employer": member.organisation.name, "confirmed_at": member.confirmed_at,
            "member_active": member.status == ACTIVE, "application_open": application.status in OPEN_STATUSES,
            "application_id": application.application_id, "all_confirmed": application.complete,
            "language": member.language, "claim_cap": edition.claim_cap,
            # what the conditions state (the texts are the entrypoints'), and its digest
            "stated": stated, "conditions_digest": stated.digest}


CONDITIONS_CHANGED = Problem(
    "conditions_changed", "Tingimused on vahepeal muutunud; palun lugege need uuesti läbi.",
    "The conditions have changed in the meantime; please read them again.")

DIGEST_INVALID = Problem(
    "conditions_digest_invalid",
    "Tingimuste kokkuvõte peab olema see conditions_digest, mille tingimuste päring andis (64 märki 0-9, a-f).",
    "The conditions digest must be the conditions_digest the conditions' GET returned (64 characters 0-9, a-f).")


def confirm_member(kit: ServiceKit, participant_id: str, shown_cap: str | Decimal | None = None,
                   shown_digest: object = None) -> dict:
    """Record the member's confirmation once; confirming again changes nothing.

    ``shown_cap`` is the claim cap the conditions stated when the member read them (the page's
    hidden field, the API's ``claim_cap``), ``shown_digest`` the digest of everything they
    stated (cap, VAT clause, make-up rule: the page's hidden ``conditions_digest``, the API's
    optional field): if either differs from the conditions as they are by now, nothing is
    recorded (``conditions_changed``) and the member must read the conditions again. None: not
    compared; neither given, the conditions as they are now, which the answer states (what
    clients sending nothing got before).
    """
    expected = None
    if shown_cap is not None:
        expected = parse_amount(shown_cap)
        if expected is None:
            raise Invalid({"claim_cap": amount_problems(None)})
    if shown_digest is not None and not is_digest(shown_digest):
        raise Invalid({"conditions_digest": [DIGEST_INVALID]})
    with kit.unit_of_work() as uow:
        db = uow.session
        member = db.get(Member, participant_id)
        if member is None:
            raise not_found("Meeskonnaliiget", "Team member")
        edition_id = db.scalar(select(Application.edition_id).where(
            Application.application_id == member.application_id))
        # A share lock on the edition (the order is edition, then application, as in every use
        # case): a coordinator's change of the claim policy (save_edition, which takes the row
        # for update before it asks whether anyone has confirmed) waits for this confirmation
        # to commit, and this one waits for a change under way, so the cap compared below is
        # the one the confirmation is recorded against. SQLite serialises writers anyway.
        edition = db.scalar(select(Edition).where(Edition.edition_id == edition_id)
                            .with_for_update(read=True).execution_options(populate_existing=True))
        # The application row serialises the team's confirmations, so exactly one of two
        # members confirming at the same moment sees that everybody has confirmed.
        application = db.scalar(select(Application).where(
            Application.application_id == member.application_id).with_for_update())
        # The make-up rule's row likewise (for share; its handler takes it for update).
        make_up = make_up_rule(db, edition_id, lock=True)
        db.refresh(member)
        if member.status != ACTIVE or application.status not in OPEN_STATUSES:
            raise Refused(Problem(
                "not_in_team", "Te ei ole enam selle meeskonna liige või taotlus ei ole enam menetluses.",
                "You are no longer a member of this team, or the application is no longer open."), status=410)
        if member.confirmed_at is None:
            stated = stated_conditions(edition.claim_cap, edition.vat_applies, make_up)
            if expected is not None and expected != edition.claim_cap:
                raise Refused(CONDITIONS_CHANGED)
            if shown_digest is not None and shown_digest != stated.digest:
                raise Refused(CONDITIONS_CHANGED)
            now = clock.now()
            member.confirmed_at = now
            all_confirmed = all(m.confirmed_at is not None for m in application.active_members)
            if all_confirmed:
                application.completed_at = now
            uow.publish("enrolment.member.confirmed", {
                "application_id": application.application_id, "participant_id": participant_id,
                "all_confirmed": all_confirmed})
        return _confirmation_view(member, application, make_up)


def refresh_completeness(application: Application) -> None:
    """After the team changed: complete exactly when every active member has confirmed."""
    if all(m.confirmed_at is not None for m in application.active_members):
        application.completed_at = application.completed_at or clock.now()
    else:
        application.completed_at = None
