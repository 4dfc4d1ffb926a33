"""The counselling programme: local governments apply after the last workshop, the
coordinator marks a draft selection and announces it (domain/counselling.py has the rules).

Each use case is one transaction and publishes in it: ``enrolment.counselling.applied`` with
the application, one ``enrolment.counselling.decided`` per application with the announcement.

Locks: the edition row orders everything. Applying and marking a draft take it for share (they
may run side by side), announcing takes it for update; so an announcement counts exactly the
applications and marks committed before it, and nothing is applied or re-marked after it. A
local government in two applications at once is caught by the unique key on (edition,
registry code). SQLite serialises writers anyway.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from services.enrolment.adapters.models import (
    ACCEPTED,
    Application,
    CounsellingApplication,
    CounsellingLocalGovernment,
    CounsellingNgo,
    Edition,
    Organisation,
)
from services.enrolment.domain import counselling as rules
from services.enrolment.domain.problems import Errors, Problem
from services.enrolment.domain.times import local_text
from services.enrolment.service_layer.editions import counselling_window, working_edition
from services.enrolment.service_layer.errors import Invalid, Refused, not_found
from shared import clock
from shared.kit import ServiceKit

LANGUAGES = ("et", "en")

NO_EDITION = Problem("no_edition", "Ühtegi lendu pole veel välja kuulutatud.", "No edition has been announced yet.")


def request_hash(app: rules.CounsellingApplication, language: str) -> str:
    body = json.dumps([dataclasses.asdict(app), language], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _key_reused() -> Refused:
    return Refused(Problem(
        "idempotency_key_reused",
        "Selle vormiga on juba üks taotlus saadetud. Uue taotluse jaoks avage uus vorm.",
        "An application was already sent with this form. Open a new form for another application."),
        field="idempotency_key")


def _by_key(db: Session, key: str) -> CounsellingApplication | None:
    return db.scalar(select(CounsellingApplication).where(CounsellingApplication.idempotency_key == key))


def _lock_edition(db: Session, edition_id: str, *, share: bool) -> Edition | None:
    return db.scalar(select(Edition).where(Edition.edition_id == edition_id)
                     .with_for_update(read=share).execution_options(populate_existing=True))


def window_problem(edition: Edition, now) -> Problem | None:
    """Why the edition takes no application now (not open yet, or closed); None while open."""
    opens_at, deadline = counselling_window(edition)
    if opens_at is None or now < opens_at:
        return rules.not_open_yet(opens_at) if opens_at else NO_EDITION
    if not rules.is_window_open(opens_at, deadline, now):
        return rules.closed(deadline)
    return None


def counselling_edition(db: Session, now) -> Edition | None:
    """The edition whose counselling programme the public form and the API take applications
    for: one whose window is open now (the next year's edition, made meanwhile, does not close
    last year's window early), else the newest that has opened for applications (to say when its
    window opens or closed; next year's, not taking team applications yet, is not its turn)."""
    for edition in db.scalars(select(Edition).order_by(Edition.year.desc())):
        if window_problem(edition, now) is None:
            return edition
    return working_edition(db, now)


def _taken(db: Session, edition_id: str, app: rules.CounsellingApplication) -> Errors:
    """The application's local governments already named in another application of the edition."""
    codes = [p.registry_code for p in app.local_governments]
    taken = set(db.scalars(select(CounsellingLocalGovernment.registry_code).where(
        CounsellingLocalGovernment.edition_id == edition_id,
        CounsellingLocalGovernment.registry_code.in_(codes))).all())
    return {f"local_governments.{i}.registry_code": [rules.already_applied(p)]
            for i, p in enumerate(app.local_governments) if p.registry_code in taken}


def apply(kit: ServiceKit, app: rules.CounsellingApplication, *, language: str = "et",
          idempotency_key: str | None = None) -> tuple[str, bool]:
    """A local government (or a group led by one) applies to the counselling programme open now
    (``counselling_edition``). Returns (counselling_application_id, replayed)."""
    app = rules.normalised(app)
    language = language if language in LANGUAGES else "et"
    digest = request_hash(app, language)
    try:
        with kit.unit_of_work() as uow:
            db = uow.session
            if idempotency_key:
                existing = _by_key(db, idempotency_key)
                if existing is not None:
                    if existing.request_hash != digest:
                        raise _key_reused()
                    return existing.counselling_application_id, True
            edition = counselling_edition(db, clock.now())
            if edition is None:
                raise Refused(NO_EDITION)
            edition = _lock_edition(db, edition.edition_id, share=True)
            # Outside the window nothing is judged, nothing is stored.
            problem = window_problem(edition, clock.now())
            if problem is not None:
                raise Refused(problem)
            errors = rules.validate_counselling(app, edition.registry_code_rule)
            if errors:
                raise Invalid(errors)
            errors = _taken(db, edition.edition_id, app)
            if errors:
                raise Invalid(errors)
            application_id = _insert(uow, edition, app, language, idempotency_key, digest)
            db.flush()  # a concurrent twin (same key, or the same local government) fails here
            return application_id, False
    except IntegrityError:
        with kit.db.transaction() as db:
            if idempotency_key:
                existing = _by_key(db, idempotency_key)
                if existing is not None:
                    if existing.request_hash != digest:
                        raise _key_reused() from None
                    return existing.counselling_application_id, True
            edition = counselling_edition(db, clock.now())
            errors = _taken(db, edition.edition_id, app) if edition is not None else {}
        if errors:
            raise Invalid(errors) from None
        raise


def _insert(uow, edition: Edition, app: rules.CounsellingApplication, language: str, key: str | None,
            digest: str) -> str:
    row = CounsellingApplication(
        counselling_application_id=str(uuid.uuid4()), edition_id=edition.edition_id, idempotency_key=key,
        request_hash=digest, planned_services=app.planned_services, contact_name=app.contact_name,
        contact_email=app.contact_email, language=language, submitted_at=clock.now())
    row.local_governments = [CounsellingLocalGovernment(ordinal=i, edition_id=edition.edition_id, name=p.name,
                                                        registry_code=p.registry_code)
                             for i, p in enumerate(app.local_governments)]
    row.ngo_partners = [CounsellingNgo(ordinal=i, name=p.name, registry_code=p.registry_code)
                        for i, p in enumerate(app.ngo_partners)]
    uow.session.add(row)
    _, deadline = counselling_window(edition)
    uow.publish("enrolment.counselling.applied", {
        "counselling_application_id": row.counselling_application_id,
        "edition_id": edition.edition_id,
        "year": edition.year,
        "local_governments": [{"name": p.name, "registry_code": p.registry_code} for p in row.local_governments],
        "ngo_partners": [{"name": p.name, "registry_code": p.registry_code} for p in row.ngo_partners],
        "contact_name": row.contact_name,
        "contact_email": row.contact_email,
        "language": language,
        "deadline": deadline,
    })
    return row.counselling_application_id


# -- what the applicant and the coordinator see ------------------------------------------------------

def _parties(parties) -> list[dict]:
    return [{"name": p.name, "registry_code": p.registry_code} for p in parties]


def receipt_by_key(kit: ServiceKit, key: str) -> dict | None:
    with kit.db.read_session() as db:
        row = _by_key(db, key)
        return _receipt(db, row) if row is not None else None


def receipt(kit: ServiceKit, counselling_application_id: str) -> dict:
    with kit.db.read_session() as db:
        row = db.get(CounsellingApplication, counselling_application_id)
        if row is None:
            raise not_found("Taotlust", "Application")
        return _receipt(db, row)


def _receipt(db: Session, row: CounsellingApplication) -> dict:
    edition = db.get(Edition, row.edition_id)
    return {"counselling_application_id": row.counselling_application_id, "edition_id": row.edition_id,
            "year": edition.year, "local_governments": _parties(row.local_governments),
            "ngo_partners": _parties(row.ngo_partners), "planned_services": row.planned_services,
            "contact_name": row.contact_name, "contact_email": row.contact_email, "language": row.language,
            "submitted_at": row.submitted_at, "deadline": counselling_window(edition)[1]}


def _took_part(db: Session, edition_id: str) -> set[str]:
    """Registry codes among the organisations of the edition's accepted teams."""
    return set(db.scalars(select(Organisation.registry_code).join(
        Application, Application.application_id == Organisation.application_id).where(
        Application.edition_id == edition_id, Application.status == ACCEPTED)).all())


def _entry(row: CounsellingApplication, took_part: set[str]) -> dict:
    return {
        "counselling_application_id": row.counselling_application_id, "submitted_at": row.submitted_at,
        "local_governments": [{"name": p.name, "registry_code": p.registry_code,
                               "took_part": p.registry_code in took_part} for p in row.local_governments],
        "ngo_partners": _parties(row.ngo_partners), "planned_services": row.planned_services,
        "contact_name": row.contact_name, "contact_email": row.contact_email, "language": row.language,
        "selected": row.selected, "marked_at": row.marked_at, "marked_by": row.marked_by,
    }


def _applications(db: Session, edition_id: str) -> list[CounsellingApplication]:
    return list(db.scalars(select(CounsellingApplication).where(CounsellingApplication.edition_id == edition_id)
                           .options(selectinload(CounsellingApplication.local_governments),
                                    selectinload(CounsellingApplication.ngo_partners))
                           .order_by(CounsellingApplication.submitted_at,
                                     CounsellingApplication.counselling_application_id)).all())


def _overview(db: Session, edition: Edition) -> dict:
    opens_at, deadline = counselling_window(edition)
    now = clock.now()
    rows = _applications(db, edition.edition_id)
    took_part = _took_part(db, edition.edition_id)
    return {
        "edition_id": edition.edition_id, "year": edition.year, "name": edition.name,
        "opens_at": opens_at, "deadline": deadline,
        "open": rules.is_window_open(opens_at, deadline, now),
        # the deadline is over: the selection may be announced
        "closed": opens_at is not None and now >= opens_at and not rules.is_window_open(opens_at, deadline, now),
        "min_selected": edition.counselling_min_selected, "max_selected": edition.counselling_max_selected,
        "announced_at": edition.counselling_announced_at, "announced_by": edition.counselling_announced_by,
        "selected_count": sum(1 for r in rows if r.selected), "undecided_count": sum(1 for r in rows if r.selected is None),
        "applications": [_entry(r, took_part) for r in rows],
    }


def overview(kit: ServiceKit, edition_id: str) -> dict:
    """The edition's counselling programme for the coordinator: its window, the policy, every
    application with whether each local government took part in the edition, the draft marks."""
    with kit.db.read_session() as db:
        edition = db.get(Edition, edition_id)
        if edition is None:
            raise not_found("Lendu", "Edition")
        return _overview(db, edition)


def window(kit: ServiceKit) -> dict | None:
    """The window of ``counselling_edition``, for the public pages: None when there is no edition."""
    with kit.db.read_session() as db:
        edition = counselling_edition(db, clock.now())
        if edition is None:
            return None
        opens_at, deadline = counselling_window(edition)
        problem = window_problem(edition, clock.now())
        return {"edition_id": edition.edition_id, "year": edition.year, "name": edition.name,
                "opens_at": opens_at, "deadline": deadline, "open": problem is None,
                "reason": problem.code if problem else None,
                # The edition's registry codes' first digits ([]: not checked), as the form states them.
                "local_government_registry_code_digits": list(edition.local_government_registry_code_digits),
                "ngo_registry_code_digits": list(edition.ngo_registry_code_digits)}


# -- the coordinator's selection ------------------------------------------------------------------------

def _announced(edition: Edition) -> Refused:
    when = local_text(edition.counselling_announced_at)
    return Refused(Problem(
        "counselling_announced",
        f"Nõustamisprogrammi valik on juba välja kuulutatud ({when}) ja seda ei saa enam muuta.",
        f"The counselling programme's selection was already announced ({when}) and can no longer be changed."))


def mark(kit: ServiceKit, edition_id: str, counselling_application_id: str, selected: bool | None,
         actor: str) -> dict:
    """The coordinator's draft: selected, not selected, or (None) undecided again."""
    with kit.unit_of_work() as uow:
        db = uow.session
        edition = _lock_edition(db, edition_id, share=True)
        if edition is None:
            raise not_found("Lendu", "Edition")
        row = db.scalar(select(CounsellingApplication).where(
            CounsellingApplication.counselling_application_id == counselling_application_id,
            CounsellingApplication.edition_id == edition_id).with_for_update()
            .execution_options(populate_existing=True))
        if row is None:
            raise not_found("Taotlust", "Application")
        if edition.counselling_announced_at is not None:
            raise _announced(edition)
        changed = row.selected is not selected
        if changed:
            row.selected, row.marked_at, row.marked_by = selected, clock.now(), actor
        db.flush()
        return {**_entry(row, _took_part(db, edition_id)), "changed": changed}


def announce(kit: ServiceKit, edition_id: str, actor: str) -> dict:
    """Announce the selection as marked: one ``enrolment.counselling.decided`` per application,
    all in this transaction; then it is fixed. Refused before the deadline, with an application
    not marked, with more selected than the maximum, with fewer than the minimum (unless every
    application is selected), and once announced (a second announcement publishes nothing)."""
    with kit.unit_of_work() as uow:
        db = uow.session
        # For update: waits for applications and marks under way; a twin announcement waits
        # for this one and then finds it announced.
        edition = _lock_edition(db, edition_id, share=False)
        if edition is None:
            raise not_found("Lendu", "Edition")
        if edition.counselling_announced_at is not None:
            raise _announced(edition)
        opens_at, deadline = counselling_window(edition)
        now = clock.now()
        if opens_at is None or now < opens_at or rules.is_window_open(opens_at, deadline, now):
            when = local_text(deadline)
            raise Refused(Problem(
                "counselling_still_open",
                f"Valiku saab välja kuulutada pärast kandideerimise tähtaega ({when}).",
                f"The selection can be announced after the application deadline ({when})."))
        rows = db.scalars(select(CounsellingApplication).where(CounsellingApplication.edition_id == edition_id)
                          .options(selectinload(CounsellingApplication.local_governments))
                          .order_by(CounsellingApplication.submitted_at,
                                    CounsellingApplication.counselling_application_id)
                          .execution_options(populate_existing=True)).all()
        problem = rules.announcement_problem([r.selected for r in rows], edition.counselling_min_selected,
                                             edition.counselling_max_selected)
        if problem is not None:
            raise Refused(problem)
        selected_count = sum(1 for r in rows if r.selected)
        for row in rows:
            uow.publish("enrolment.counselling.decided", {
                "counselling_application_id": row.counselling_application_id,
                "edition_id": edition.edition_id,
                "year": edition.year,
                "selected": bool(row.selected),
                "applicant_name": row.lead.name,
                "contact_name": row.contact_name,
                "contact_email": row.contact_email,
                "language": row.language,
                "selected_count": selected_count,
            })
        edition.counselling_announced_at, edition.counselling_announced_by = now, actor
        db.flush()
        return {**_overview(db, edition), "published": len(rows)}
