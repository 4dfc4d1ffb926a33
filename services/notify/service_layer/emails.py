"""E-mail rows: creating each (cause, recipient, template) once, composing, resending, reading.

A handler or a reminder job only *creates* a row, in its own transaction; the delivery job
sends it. ``params`` holds what the cause said (JSON); composing adds what the projections
know (the schedule) and the signature, renders both languages' templates and stores
subject, text and HTML. A row whose schedule data has not arrived yet waits and is
composed by a later tick — events may arrive in any order.

Personal links (confirmation, ESF data, check-in, invoice PDF) are never kept in ``params``:
the cause names each as ``personal_links`` {template variable: {purpose, subject}} and every
composition signs it afresh (``shared.links``), so an e-mail carries a link whose whole
lifetime (``personal_link_max_age``) lies ahead when it is rendered — a reminder months after
the first e-mail, a request that waited for its deadline, a failed e-mail sent again — never
the link of an earlier e-mail.
"""
from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.notify.adapters.models import (
    Application,
    CounsellingApplication,
    Edition,
    Email,
    Group,
    InvoiceVat,
    MakeUpRule,
    Participant,
    WorkshopDay,
)
from services.notify.config import NotifyConfig
from services.notify.domain import rendering, terms
from services.notify.domain.formatting import TALLINN, calendar_day
from shared import clock, links
from shared.messaging.outbox import UnitOfWork
from shared.messaging.tables import insert_ignoring_duplicates

log = logging.getLogger(__name__)

STATUSES = ("waiting", "queued", "sending", "sent", "failed", "cancelled")


class Pending(Exception):
    """The e-mail needs data that has not arrived yet (e.g. the edition's schedule)."""


class EmailNotFound(LookupError):
    pass


class NotResendable(Exception):
    """Only a failed e-mail can be sent again (anything else is on its way or done)."""


def jsonable(value):
    """Event data → JSON for ``params``: dates and moments as ISO text, money as a string.

    The e-mail filters (``|date``, ``|money``) read those strings as they are.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def personal_link(purpose: str, subject: str) -> dict:
    """A personal link for ``queue(personal_links=...)``: signed when the e-mail is composed."""
    if purpose not in links.PURPOSE_SERVICE:
        raise ValueError(f"unknown personal link purpose {purpose!r}")
    return {"purpose": purpose, "subject": str(subject)}


def link_from_url(config: NotifyConfig, url: str | None) -> dict | str | None:
    """A link a producer signed (an event's ``pdf_url``) as a personal link notify signs afresh;
    a URL that is not one of ours stays as it is."""
    if not url:
        return None
    found = links.subject_of_url(config.secret_key, url)
    return personal_link(*found) if found else url


def queue(uow: UnitOfWork, config: NotifyConfig, *, template: str, recipient: str | None, language: str | None,
          cause_key: str, params: dict, recipient_name: str = "", link: str | None = None,
          personal_links: dict[str, dict | str] | None = None) -> str | None:
    """Create the e-mail unless this (cause, recipient, template) already has one.

    INSERT … ON CONFLICT DO NOTHING against the unique key: safe inside the consumer's batch
    transaction (no exception to poison it) and against a concurrent worker. Returns the new
    row's id, or None when it existed (or there is nobody to write to).

    ``personal_links`` {template variable: ``personal_link(...)``} are signed when the e-mail is
    composed (a plain URL instead is quoted as it is); the first is the row's ``link``.
    """
    if template not in rendering.TEMPLATES:
        raise ValueError(f"unknown e-mail template {template!r}")
    if not recipient:
        log.warning("no address to send to", extra={"template": template, "cause_key": cause_key})
        return None
    now = clock.now()
    email_id = str(uuid.uuid4())
    params = jsonable(params)
    if personal_links:
        params["personal_links"] = dict(personal_links)
    row = {
        "id": email_id, "template": template, "language": language if language in ("et", "en") else "et",
        "recipient": recipient.strip().lower(), "recipient_name": recipient_name or "", "params": params,
        "link": link, "cause_key": cause_key,
        "cause_event_id": uow.cause.event_id if uow.cause else None,
        "correlation_id": uow.correlation_id, "status": "waiting", "attempts": 0, "resends": 0,
        "next_attempt_at": now, "created_at": now, "updated_at": now,
    }
    table = Email.__table__
    inserted = uow.session.execute(
        insert_ignoring_duplicates(table, uow.session.get_bind().dialect.name)
        .values(**row).returning(table.c.id)).first()
    if inserted is None:
        return None
    compose(uow, config, email_id)
    return email_id


def compose(uow: UnitOfWork, config: NotifyConfig, email_id: str) -> str:
    """Render a waiting e-mail; it stays waiting while its data is missing. Returns the status."""
    session = uow.session
    email = session.get(Email, email_id)
    if email is None or email.status != "waiting":
        return email.status if email else "missing"
    try:
        context = _context(session, config, email.template, email.params or {})
        signed = sign_links(config, email.params or {})
        context.update(signed, contact_name=config.contact_name, contact_email=config.contact_email)
        rendered = rendering.render(email.template, email.language, context)
    except Pending as missing:
        email.last_error = f"waiting for {missing}"
        return email.status
    except (rendering.RenderError, KeyError, ValueError, TypeError) as error:
        # A bug or bad data in the cause: no later attempt fixes it. Shown on the outbox page.
        email.status, email.last_error, email.updated_at = "failed", f"cannot compose: {error}", clock.now()
        uow.publish("notify.email.failed", {
            "email_id": email.id, "template": email.template, "recipient": email.recipient,
            "causation_event_id": email.cause_event_id, "cause_key": email.cause_key,
            "attempts": email.attempts, "error": email.last_error})
        log.error("e-mail cannot be composed", extra={"email_id": email.id, "template": email.template,
                                                      "error": str(error)})
        return email.status
    email.subject, email.text, email.html = rendered.subject, rendered.text, rendered.html
    if signed:
        email.link = next(iter(signed.values()))
    email.status, email.last_error = "queued", None
    email.next_attempt_at = email.updated_at = clock.now()
    return email.status


def sign_links(config: NotifyConfig, params: dict) -> dict[str, str]:
    """Each personal link the e-mail carries, signed now: {template variable: URL}."""
    signed = {}
    for name, spec in (params.get("personal_links") or {}).items():
        signed[name] = spec if isinstance(spec, str) else \
            links.personal_url(config.base_url, config.secret_key, spec["purpose"], spec["subject"])
    return signed


def _context(session: Session, config: NotifyConfig, template: str, params: dict) -> dict:
    """The template's variables: the cause's ``params`` plus what the schedule projection knows."""
    context = dict(params)
    if template == "application_received" and "member_groups" not in params:
        # Created before the members were grouped: the names as the form listed them, unlabelled.
        context["member_groups"] = [{"kind": "", "members": [{"name": name, "organisation": ""}
                                                             for name in params.get("member_names") or []]}]
    if template in ("counselling_selected", "counselling_not_selected"):
        context.update(counselling_parties(session, params.get("counselling_application_id"),
                                           params["applicant_name"]))
    if template in ("application_received", "member_confirmation_request"):
        edition = session.get(Edition, params["edition_id"]) if params.get("edition_id") else None
        if edition is None:
            raise Pending(f"the schedule of edition {params.get('edition_id')!r}")
        context["deadline"] = edition.application_deadline
        if template == "member_confirmation_request":
            context["cities"] = edition_cities(session, edition.edition_id)
            context["vat_applies"] = terms.cap_includes_vat(edition.vat_applies)
            context["make_up_rule"] = make_up_rule(session, edition.edition_id)
    if template == "application_accepted":
        days = group_sessions(session, params["group_id"])
        if not days:
            raise Pending(f"the sessions of group {params['group_id']!r}")
        # A newcomer substituted in after a day began (participants.joined_at) is told it was held
        # before they joined, and whether it can be made up (the edition's make-up rule).
        member = session.get(Participant, params["participant_id"]) if params.get("participant_id") else None
        joined_at = member.joined_at if member is not None else None
        context["sessions"] = [{"day_number": d.day_number, "starts_at": d.starts_at, "ends_at": d.ends_at,
                                "venue": d.venue,
                                "before_joining": joined_at is not None and d.starts_at < joined_at}
                               for d in days]
        context["make_up_rule"] = make_up_rule(session, days[0].edition_id)
    if template in ("esf_data_request", "esf_data_reminder") and "deadline" not in params:
        context["deadline"] = esf_deadline(session, params.get("participant_id"))
    if template == "dropout_notice" and "claim_cap" not in params:
        # The cap billing applied to this dropout's claim: notify keeps no copy of billing's setting.
        member = session.get(Participant, params.get("participant_id")) if params.get("participant_id") else None
        if member is None or member.claim_cap is None:
            raise Pending(f"billing's claim for participant {params.get('participant_id')!r} (its cap)")
        context["claim_cap"] = member.claim_cap
    if template == "dropout_notice":
        # Billing waived the claim (its own 0.00 waiver, or the coordinator's): no claim is stated.
        member = session.get(Participant, params.get("participant_id")) if params.get("participant_id") else None
        if member is not None and member.claim_waived and _earlier_dropouts_claim(member, params):
            # A dropout after a reinstatement: billing proposes its claim again (a waived claim is
            # reopened), so the waiver notify knows is the earlier dropout's, not this one's.
            raise Pending(f"billing's claim for participant {member.participant_id!r} after dropout "
                          f"{params['dropout']}")
        context["claim_waived"] = bool(member is not None and member.claim_waived)
        edition_id = participant_edition(session, params.get("participant_id"))
        edition = session.get(Edition, edition_id) if edition_id else None
        context["vat_applies"] = terms.cap_includes_vat(edition.vat_applies if edition else None)
        context["make_up_rule"] = make_up_rule(session, edition_id)
    if template == "absence_make_up" and "missed_date" not in params:
        missed = session.get(WorkshopDay, params["missed_session_id"])
        if missed is None:
            raise Pending(f"session {params['missed_session_id']!r}")
        context["missed_date"] = clock.local(missed.starts_at).date()
    if template == "absence_make_up":
        context["make_up_sessions"] = make_up_options(session, params["make_up_sessions"])
        missed = session.get(WorkshopDay, params["missed_session_id"])
        # A newcomer (substituted in after the day began) did not miss it: they were not in the team.
        member = session.get(Participant, params.get("participant_id")) if params.get("participant_id") else None
        context["joined_after"] = bool(member is not None and member.joined_at is not None and missed is not None
                                       and member.joined_at > missed.starts_at)
        context["make_up_rule"] = make_up_rule(
            session, missed.edition_id if missed else participant_edition(session, params.get("participant_id")))
    if template == "session_reminder":
        context["make_up_rule"] = make_up_rule(session, params.get("edition_id"))
    if template in ("invoice_issued", "payment_reminder", "credit_note") and "vat_applied" not in params:
        # The event did not say (an older billing's): how billing.invoice.issued split the invoice.
        split = session.get(InvoiceVat, params["invoice_id"]) if params.get("invoice_id") else None
        context["vat_applied"] = terms.invoice_carries_vat(split.vat_rate if split else None,
                                                           split.vat_amount if split else None)
    return context


def _earlier_dropouts_claim(member: Participant, params: dict) -> bool:
    """Whether billing's newest claim event known for the participant came before this dropout, so
    it was about an earlier one. Only asked of a later dropout: the first one's claim is its own."""
    if (params.get("dropout") or 1) <= 1 or not params.get("dropout_at"):
        return False
    return member.claim_as_of is None or member.claim_as_of < datetime.fromisoformat(params["dropout_at"])


def counselling_parties(session: Session, counselling_application_id: str | None, applicant_name: str) -> dict:
    """Whom a counselling application names besides its leading local government (the decided
    event's ``applicant_name``), from ``enrolment.counselling.applied``: the other local governments
    in the application's order and the NGO partners. Not heard of (the decision arrived first):
    ``application_known`` false and both lists empty, the e-mail names the applicant alone."""
    row = session.get(CounsellingApplication, counselling_application_id) if counselling_application_id else None
    if row is None:
        return {"application_known": False, "partner_local_governments": [], "ngo_partners": []}
    local_governments = list(row.local_governments or [])
    if any(lg["name"] == applicant_name for lg in local_governments):
        partners = [lg for lg in local_governments if lg["name"] != applicant_name]
    else:
        partners = local_governments[1:]
    return {"application_known": True, "partner_local_governments": partners,
            "ngo_partners": list(row.ngo_partners or [])}


def make_up_rule(session: Session, edition_id: str | None) -> str:
    """The edition's make-up rule as the e-mails word it (attendance's; none heard: the brochure's)."""
    rule = session.get(MakeUpRule, edition_id) if edition_id else None
    return terms.make_up_rule(rule.make_ups_allowed, rule.window) if rule else terms.make_up_rule()


def participant_edition(session: Session, participant_id: str | None) -> str | None:
    """The edition a participant takes part in: their group's, else their application's."""
    member = session.get(Participant, participant_id) if participant_id else None
    if member is None:
        return None
    group = session.get(Group, member.group_id) if member.group_id else None
    if group is not None:
        return group.edition_id
    app = session.get(Application, member.application_id) if member.application_id else None
    return app.edition_id if app else None


def make_up_options(session: Session, options: list[dict]) -> list[dict]:
    """Each make-up option as the schedule projection knows it: its own date, hours, city and
    venue (a coordinator may give a session other hours than the brochure's). A session notify
    has not heard of keeps attendance's date and city, with no hours rather than guessed ones."""
    ids = [o["session_id"] for o in options]
    known = {day.session_id: (day, city) for day, city in session.execute(
        select(WorkshopDay, Group.city).outerjoin(Group, Group.group_id == WorkshopDay.group_id)
        .where(WorkshopDay.session_id.in_(ids)))} if ids else {}
    result = []
    for option in options:
        day, city = known.get(option["session_id"], (None, None))
        if day is None:
            result.append({"session_id": option["session_id"], "city": option["city"],
                           "date": calendar_day(option["date"]), "starts_at": None, "ends_at": None, "venue": ""})
        else:
            result.append({"session_id": day.session_id, "city": city or option["city"],
                           "date": tallinn_date(day.starts_at), "starts_at": day.starts_at,
                           "ends_at": day.ends_at, "venue": day.venue})
    return result


def esf_deadline(session: Session, participant_id: str | None) -> date:
    """The ESF data deadline is reporting's (``reporting.esf_data.requested``), the date its
    completeness page shows; notify never derives its own. Until it has arrived, the request
    waits (the outbox page says so) rather than go out without a date or with another one."""
    member = session.get(Participant, participant_id) if participant_id else None
    if member is None or member.esf_deadline is None:
        raise Pending(f"the ESF data deadline of participant {participant_id!r} from reporting")
    return member.esf_deadline


def group_sessions(session: Session, group_id: str | None) -> list[WorkshopDay]:
    if not group_id:
        return []
    return list(session.scalars(select(WorkshopDay).where(WorkshopDay.group_id == group_id)
                                .order_by(WorkshopDay.day_number, WorkshopDay.starts_at)))


def edition_cities(session: Session, edition_id: str) -> list[str]:
    """The cities of the edition's groups, in the order of their first session day (the
    brochure's timetable); a group with no sessions yet comes last. Empty: none known."""
    first_days = session.execute(
        select(Group.city, func.min(WorkshopDay.starts_at))
        .outerjoin(WorkshopDay, WorkshopDay.group_id == Group.group_id)
        .where(Group.edition_id == edition_id).group_by(Group.group_id, Group.city)).all()
    never = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(first_days, key=lambda row: (row[1] or never, row[0]))
    return list(dict.fromkeys(city for city, _first in ordered))


def recompose(uow: UnitOfWork, config: NotifyConfig, *, cause_key: str, templates: tuple[str, ...]) -> int:
    """Compose again the e-mails of a cause not on their way yet (waiting or queued), with what
    the projections know now. One being sent is left alone: the status is changed only where it
    still is waiting or queued, so a delivery job's claim is never overwritten."""
    session = uow.session
    ids = list(session.scalars(select(Email.id).where(
        Email.cause_key == cause_key, Email.template.in_(templates), Email.status.in_(("waiting", "queued")))))
    again = 0
    for email_id in ids:
        result = session.execute(update(Email).where(Email.id == email_id, Email.status.in_(("waiting", "queued")))
                                 .values(status="waiting").execution_options(synchronize_session="fetch"))
        if result.rowcount:
            again += compose(uow, config, email_id) == "queued"
    return again


def compose_waiting(kit, limit: int = 200) -> int:
    """Tick job: compose what was waiting for data that may have arrived since."""
    with kit.unit_of_work() as uow:
        ids = list(uow.session.scalars(select(Email.id).where(Email.status == "waiting")
                                       .order_by(Email.created_at).limit(limit)))
        return sum(compose(uow, kit.config, email_id) == "queued" for email_id in ids)


def cancel(session: Session, *, cause_key: str, templates: tuple[str, ...]) -> int:
    """Drop e-mails that became pointless before they went out (never one being sent)."""
    result = session.execute(
        update(Email).where(Email.cause_key == cause_key, Email.template.in_(templates),
                            Email.status.in_(("waiting", "queued")))
        .values(status="cancelled", updated_at=clock.now(), next_attempt_at=None))
    return result.rowcount or 0


def resend(kit, email_id: str, actor: str | None) -> Email:
    """Put a failed e-mail back in the queue: the same row (same Message-ID), a fresh budget.

    One with a personal link is composed again, so the link it carries is signed now, not when
    it first failed (perhaps weeks ago)."""
    with kit.unit_of_work() as uow:
        email = uow.session.get(Email, email_id)
        if email is None:
            raise EmailNotFound(email_id)
        if email.status != "failed":
            raise NotResendable(f"the e-mail is {email.status}; only a failed e-mail can be sent again")
        now = clock.now()
        relink = bool((email.params or {}).get("personal_links"))
        email.status = "waiting" if email.subject is None or relink else "queued"
        email.attempts, email.next_attempt_at, email.updated_at = 0, now, now
        email.claim_token = email.claimed_until = None
        email.resends += 1
        email.resent_by = actor
        if email.status == "waiting":  # it failed while composing, or its links are to be signed now
            compose(uow, kit.config, email.id)
        log.info("e-mail re-queued", extra={"email_id": email.id, "actor": actor})
        return email


def get(kit, email_id: str) -> Email:
    with kit.db.read_session() as session:
        email = session.get(Email, email_id)
        if email is None:
            raise EmailNotFound(email_id)
        return email


def listing(kit, *, status: str | None = None, template: str | None = None, recipient: str | None = None,
            limit: int = 500) -> list[Email]:
    query = select(Email).order_by(Email.created_at.desc(), Email.id).limit(limit)
    if status:
        query = query.where(Email.status == status)
    if template:
        query = query.where(Email.template == template)
    if recipient:
        query = query.where(Email.recipient == recipient.strip().lower())
    with kit.db.read_session() as session:
        return list(session.scalars(query))


def counts(kit) -> dict[str, int]:
    with kit.db.read_session() as session:
        return dict(session.execute(select(Email.status, func.count()).group_by(Email.status)).all())


def tallinn_date(moment: datetime) -> date:
    return moment.astimezone(TALLINN).date()
