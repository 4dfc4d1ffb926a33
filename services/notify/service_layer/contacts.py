"""Projections: whom to write to (participants, team contacts, employers) and the schedule.

Every function upserts by id and never loses what a later event already said, so events
may arrive in any order and twice: a confirmation before its application leaves a stub that
the application fills in; an older edition revision never overwrites a newer one.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.notify.adapters.models import (
    Application,
    CounsellingApplication,
    Edition,
    Group,
    InvoiceVat,
    MakeUpBooking,
    MakeUpRule,
    Organisation,
    Participant,
    WorkshopDay,
)
from shared.collation import name_key
from shared.messaging.tables import insert_ignoring_duplicates

# A participant's status only moves forward, except by an explicit correction (reinstated).
_RANK = {None: 0, "applicant": 1, "accepted": 2, "completed": 3, "dropped_out": 3, "withdrawn": 3,
         "substituted": 3}
# An application's decision: a late "submitted" never undoes one.
_APP_RANK = {None: 0, "submitted": 1, "waitlisted": 2, "accepted": 3, "rejected": 3, "withdrawn": 4}


def _get(session: Session, model, key: str, **defaults):
    row = session.get(model, key)
    if row is None:
        row = model(**{model.__mapper__.primary_key[0].key: key}, **defaults)
        session.add(row)
        session.flush()  # the next event of this batch about the same id must find it
    return row


def participant(session: Session, participant_id: str) -> Participant:
    return _get(session, Participant, participant_id, language="et", confirmed=False, esf_completed=False)


def application(session: Session, application_id: str) -> Application:
    return _get(session, Application, application_id, language="et", all_confirmed=False)


def advance_participant(row: Participant, status: str) -> None:
    if _RANK[status] >= _RANK.get(row.status, 0):
        row.status = status


def advance_application(row: Application, status: str) -> None:
    if _APP_RANK[status] >= _APP_RANK.get(row.status, 0):
        row.status = status


def upsert_member(session: Session, member: dict, application_id: str, *, status: str,
                  group_id: str | None = None) -> Participant:
    row = participant(session, member["participant_id"])
    row.application_id = application_id
    row.first_name, row.last_name = member["first_name"], member["last_name"]
    row.email = member["email"]
    row.language = member.get("language") or "et"
    row.organisation_id = member.get("organisation_id")
    if member.get("confirm_url"):
        row.confirm_url = member["confirm_url"]
    if group_id:
        row.group_id = group_id
    advance_participant(row, status)
    return row


def upsert_organisation(session: Session, org: dict | None) -> Organisation | None:
    if not org:
        return None
    row = session.get(Organisation, org["organisation_id"])
    if row is None:
        row = Organisation(organisation_id=org["organisation_id"])
        session.add(row)
    row.name, row.registry_code, row.kind = org["name"], org["registry_code"], org["kind"]
    row.billing_email, row.address = org["billing_email"], org.get("address") or ""
    session.flush()
    return row


# -- handlers (the consumer's transaction) ------------------------------------------------------
def on_edition_published(uow, event) -> None:
    """The whole schedule, re-published on every change: replace it, newest revision wins."""
    data, session = event.data, uow.session
    edition = session.get(Edition, data["edition_id"])
    if edition is not None and edition.revision > data["revision"]:
        return
    if edition is None:
        edition = Edition(edition_id=data["edition_id"])
        session.add(edition)
    edition.year, edition.name = data["year"], data.get("name") or ""
    edition.application_deadline, edition.revision = data["application_deadline"], data["revision"]
    edition.claim_cap = data.get("claim_cap")
    # Absent or null: the edition leaves it to billing's BILLING_VAT_APPLIES (as for claim_cap).
    edition.vat_applies = data.get("vat_applies")
    group_ids, session_ids = set(), set()
    for g in data["groups"]:
        group_ids.add(g["group_id"])
        group = session.get(Group, g["group_id"]) or Group(group_id=g["group_id"])
        group.edition_id, group.city = data["edition_id"], g["city"]
        session.add(group)
        for s in g["sessions"]:
            session_ids.add(s["session_id"])
            day = session.get(WorkshopDay, s["session_id"]) or WorkshopDay(session_id=s["session_id"])
            day.group_id, day.edition_id, day.day_number = g["group_id"], data["edition_id"], s["day_number"]
            day.starts_at, day.ends_at, day.venue = s["starts_at"], s["ends_at"], s.get("venue") or ""
            session.add(day)
    session.flush()
    session.execute(delete(WorkshopDay).where(WorkshopDay.edition_id == data["edition_id"],
                                              WorkshopDay.session_id.not_in(session_ids or {""})))
    session.execute(delete(Group).where(Group.edition_id == data["edition_id"],
                                        Group.group_id.not_in(group_ids or {""})))


def record_submitted(session: Session, data: dict, submitted_at: datetime | None = None) -> Application:
    app = application(session, data["application_id"])
    if submitted_at is not None and (app.submitted_at is None or submitted_at < app.submitted_at):
        app.submitted_at = submitted_at  # the first time it was submitted (a replay is later)
    app.edition_id, app.team_name = data["edition_id"], data["team_name"]
    app.contact_email, app.language = data["contact_email"], data.get("language") or "et"
    advance_application(app, "submitted")
    for org in data["organisations"]:
        upsert_organisation(session, org)
    for member in data["members"]:
        upsert_member(session, member, data["application_id"], status="applicant")
    _refresh_all_confirmed(session, app)
    return app


def record_confirmed(session: Session, data: dict) -> Application:
    member = participant(session, data["participant_id"])
    member.application_id = member.application_id or data["application_id"]
    member.confirmed = True
    app = application(session, data["application_id"])
    if data.get("all_confirmed"):
        app.all_confirmed = True
    _refresh_all_confirmed(session, app)
    return app


def _refresh_all_confirmed(session: Session, app: Application) -> None:
    """Complete when enrolment said so, or when every current member has confirmed."""
    if app.all_confirmed:
        return
    members = members_of(session, app.application_id, statuses=("applicant", "accepted", None))
    known = [m for m in members if m.email]
    app.all_confirmed = bool(known) and len(known) == len(members) and all(m.confirmed for m in members)


def record_accepted(session: Session, data: dict) -> Application:
    app = application(session, data["application_id"])
    if data.get("team_name"):
        app.team_name = data["team_name"]
    if data.get("contact_email"):
        app.contact_email = data["contact_email"]
    if data.get("edition_id"):
        app.edition_id = data["edition_id"]
    app.group_id, app.city = data["group_id"], data["city"]
    app.status = "accepted"  # also a promotion from the waiting list
    for org in data.get("organisations") or ():
        upsert_organisation(session, org)
    listed = set()
    for member in data["members"]:
        upsert_member(session, member, data["application_id"], status="accepted", group_id=data["group_id"])
        listed.add(member["participant_id"])
    # A newcomer substituted in whose substitution was handled first (events have no order): the
    # acceptance names the team as it was, yet they are a member of it now and join its group.
    for member in members_of(session, app.application_id, statuses=("applicant", "accepted")):
        if member.participant_id not in listed:
            member.group_id = data["group_id"]
            advance_participant(member, "accepted")
    return app


def record_decision(session: Session, data: dict, status: str) -> Application:
    app = application(session, data["application_id"])
    if data.get("team_name"):
        app.team_name = data["team_name"]
    if data.get("contact_email"):
        app.contact_email = data["contact_email"]
    if status == "waitlisted":
        app.city = data["city"]
    advance_application(app, status)
    return app


def record_substituted(session: Session, data: dict, joined_at: datetime | None = None) -> Participant:
    """The member who left is ``substituted`` (no reminder or notice any more); the newcomer joins
    the team (and its group, once accepted) at ``joined_at``, the substitution's time (the
    earliest heard of: the same fact published again is later)."""
    left = participant(session, data["left_participant_id"])
    left.application_id = left.application_id or data["application_id"]
    left.status = "substituted"
    upsert_organisation(session, data.get("organisation"))
    app = application(session, data["application_id"])
    accepted = app.status == "accepted"
    member = upsert_member(session, data["member"], data["application_id"],
                           status="accepted" if accepted else "applicant",
                           group_id=app.group_id if accepted else None)
    if data.get("confirm_url"):
        member.confirm_url = data["confirm_url"]
    if joined_at is not None and (member.joined_at is None or joined_at < member.joined_at):
        member.joined_at = joined_at
    return member


def record_withdrawn(session: Session, participant_id: str, application_id: str) -> None:
    member = participant(session, participant_id)
    member.application_id = member.application_id or application_id
    advance_participant(member, "withdrawn")


def record_application_withdrawn(session: Session, data: dict) -> None:
    app = application(session, data["application_id"])
    advance_application(app, "withdrawn")
    ids = set(data.get("participant_ids") or ()) | {m.participant_id for m in members_of(session, app.application_id)}
    for participant_id in ids:
        record_withdrawn(session, participant_id, app.application_id)


def members_of(session: Session, application_id: str, statuses: tuple | None = None) -> list[Participant]:
    """In Estonian alphabetical order (as e-mails list them), not the database's collation."""
    rows = session.scalars(select(Participant).where(Participant.application_id == application_id))
    members = [m for m in rows if statuses is None or m.status in statuses]
    return sorted(members, key=lambda m: name_key(m.last_name, m.first_name, m.participant_id))


def record_make_up(session: Session, data: dict, *, booked: bool, as_of: datetime) -> None:
    """attendance.make_up.booked / cancelled: the newest event about the booking wins."""
    row = session.get(MakeUpBooking, (data["participant_id"], data["session_id"]))
    if row is None:
        session.add(MakeUpBooking(participant_id=data["participant_id"], session_id=data["session_id"],
                                  booked=booked, as_of=as_of))
        session.flush()  # the next event of this batch about the same booking must find it
    elif as_of >= row.as_of:
        row.booked, row.as_of = booked, as_of


def record_make_up_rule(session: Session, data: dict) -> None:
    """attendance.make_up_rule.changed: the highest revision per edition wins; the same or an
    older revision (redelivered, or overtaken) changes nothing."""
    row = session.get(MakeUpRule, data["edition_id"])
    if row is None:
        row = MakeUpRule(edition_id=data["edition_id"], revision=0)
        session.add(row)
    elif data["revision"] <= row.revision:
        return
    row.make_ups_allowed, row.window = data["make_ups_allowed"], data["window"]
    row.revision, row.changed_at = data["revision"], data["changed_at"]
    session.flush()  # the next event of this batch about the same edition must find it


def record_invoice_vat(session: Session, data: dict) -> None:
    """billing.invoice.issued: how the invoice was split, which an issued invoice never changes."""
    if session.get(InvoiceVat, data["invoice_id"]) is None:
        session.add(InvoiceVat(invoice_id=data["invoice_id"], vat_rate=data["vat_rate"],
                               vat_amount=data["vat_amount"]))
        session.flush()


def record_counselling_applied(session: Session, data: dict, applied_at: datetime) -> None:
    """enrolment.counselling.applied: whom the application names (an application is published
    once and never changed, so the first row stays; a redelivered or re-published one adds nothing)."""
    table = CounsellingApplication.__table__
    session.execute(insert_ignoring_duplicates(table, session.get_bind().dialect.name).values(
        counselling_application_id=data["counselling_application_id"],
        local_governments=[{"name": o["name"], "registry_code": o["registry_code"]}
                           for o in data["local_governments"]],
        ngo_partners=[{"name": o["name"], "registry_code": o["registry_code"]} for o in data["ngo_partners"]],
        applied_at=applied_at))
