"""The ESF data deadline is reporting's (``records.deadline_for``); notify sends the request and
the reminder with it. Reporting tells it on the bus as ``reporting.esf_data.requested``
{participant_id, deadline} — an id and a date, nothing personal.

The deadline follows from the projection (the participant's group and its first day, their
entry) and the edition's setting, so it is re-derived in the same transaction as every change
to either: after each handled event (``publishing``) and after a settings change. Only a new
or changed deadline is published (``esf_deadlines`` holds the last one sent), and none once
the participant's form is complete or for anyone out of scope (substituted, withdrawn before
entering).
"""
from __future__ import annotations

import functools

from sqlalchemy import select

from services.reporting.adapters.models import Edition, EsfDeadline, Group, Participant
from services.reporting.service_layer import records
from services.reporting.service_layer.errors import Refused, not_found
from shared import clock
from shared.messaging.outbox import UnitOfWork

EVENT = "reporting.esf_data.requested"
AGAIN = "reporting.esf_data.requested_again"


def sync(uow: UnitOfWork, *, participant_ids: list[str] | None = None, edition_id: str | None = None) -> int:
    """Publish the deadline of each participant named (or of the whole edition) if it is new or
    changed; returns how many were published."""
    db = uow.session
    db.flush()
    if edition_id is not None:
        edition_ids = [edition_id]
    elif participant_ids:
        edition_ids = list(db.scalars(
            select(Group.edition_id).distinct().join(Participant, Participant.group_id == Group.group_id)
            .where(Participant.participant_id.in_(participant_ids), Group.edition_id.is_not(None))))
    else:
        return 0
    today = clock.local(clock.now()).date()
    now = clock.now()
    published = 0
    for eid in edition_ids:
        edition = db.get(Edition, eid)
        if edition is None or edition.anonymised_at is not None:
            continue
        wanted = {row.participant.participant_id: row.deadline
                  for row in records.rows(db, edition, today, participant_ids=participant_ids)
                  if row.deadline is not None and row.form_missing}
        if not wanted:
            continue
        sent = {d.participant_id: d for d in db.scalars(
            select(EsfDeadline).where(EsfDeadline.participant_id.in_(list(wanted))))}
        for participant_id, deadline in wanted.items():
            last = sent.get(participant_id)
            if last is not None and last.deadline == deadline:
                continue
            if last is None:
                db.add(EsfDeadline(participant_id=participant_id, deadline=deadline, published_at=now))
            else:
                last.deadline, last.published_at = deadline, now
            uow.publish(EVENT, {"participant_id": participant_id, "deadline": deadline})
            published += 1
    return published


def _concerned(db, data: dict) -> list[str]:
    """The participants an event is about: those it names, and its application's members (an
    acceptance also gives the group to members who arrived earlier by substitution)."""
    ids = {data[key] for key in ("participant_id", "left_participant_id") if data.get(key)}
    ids.update(m["participant_id"] for m in data.get("members") or [])
    if data.get("member"):
        ids.add(data["member"]["participant_id"])
    if data.get("application_id"):
        ids.update(db.scalars(select(Participant.participant_id).where(
            Participant.application_id == data["application_id"])))
    return sorted(ids)


def after(handler):
    """``handler``, then the deadlines it may have changed, in its transaction."""
    @functools.wraps(handler)
    def handle(uow: UnitOfWork, event) -> None:
        handler(uow, event)
        if event.event_type == "enrolment.edition.published":  # the groups' first days
            sync(uow, edition_id=event.data["edition_id"])
        else:
            sync(uow, participant_ids=_concerned(uow.session, event.data))
    return handle


def publishing(handlers: dict) -> dict:
    """Every projection handler followed by the deadline sync (see the module docstring)."""
    return {event_type: after(handler) for event_type, handler in handlers.items()}


def request_again(kit, edition_id: str, participant_id: str, request_id: str) -> dict:
    """The coordinator's "send the ESF data request again" for a participant whose data is
    missing — also after the deadline, when notify reminds no more by itself. Notify sends it
    with a link signed then (the first one lives ``personal_link_max_age``, often less than the
    way to the deadline), one e-mail per ``request_id``: the form's, so a double submit or a
    replayed event sends nothing more, and a later click (a new form) sends again. The caller
    checks the coordinator's cities (``queries.check_participant``)."""
    with kit.unit_of_work() as uow:
        row, edition = records.one(uow.session, participant_id, clock.local(clock.now()).date())
        if edition is not None and edition.edition_id != edition_id:
            raise not_found("Osalejat", "Participant")  # not of the edition whose page asked
        if edition is None or not records.in_scope(row.participant):
            raise Refused(409, "not_in_programme", "Osaleja ei ole programmis: andmeid temalt ei küsita.",
                          "The participant is not in the programme: no data is asked of them.")
        if edition.anonymised_at is not None:
            raise Refused(409, "anonymised", "Lend on anonüümitud.", "The edition has been anonymised.")
        if edition.locked_at is not None:
            raise Refused(409, "locked", "Lennu ESF andmed on lukustatud: osaleja ei saa neid enam esitada.",
                          "The edition's ESF data is locked: the participant can no longer give it.")
        if not row.form_missing:
            raise Refused(409, "complete", f"{row.name} on andmed juba esitanud.",
                          f"{row.name} has already given the data.")
        uow.publish(AGAIN, {"participant_id": participant_id, "request_id": request_id, "deadline": row.deadline})
        return {"participant_id": participant_id, "deadline": row.deadline}
