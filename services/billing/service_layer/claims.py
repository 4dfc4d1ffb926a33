"""Dropout claims: proposed from attendance's events, decided by the coordinator.

Handlers run inside the consumer's transaction (``uow.session``); the inbox already drops
a redelivered event. They must also survive the same dropout published twice (two event
ids) and events arriving out of order, so every change is keyed by participant and
application and guarded by the time of the newest attendance event seen.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.models import Claim, ClaimDecision, Employer, Participation
from services.billing.adapters.repository import dialect
from services.billing.config import BillingConfig
from services.billing.domain.claims import ClaimError, check_approved_amount, propose_amount
from services.billing.domain.history import system_reason
from services.billing.service_layer.common import CLAIM_STATUS_ET, employer_payload
from services.billing.service_layer.common import config as billing_config
from services.billing.service_layer.errors import Conflict, InvalidInput, NotFound
from services.billing.service_layer.policies import claim_terms, vat_applies
from shared import clock
from shared.events.envelope import Envelope
from shared.kit import ServiceKit
from shared.messaging.outbox import UnitOfWork
from shared.messaging.tables import insert_ignoring_duplicates

log = logging.getLogger(__name__)
SYSTEM = "attendance"  # the actor of automatic changes caused by attendance's events
DECIDABLE = ("proposed", "approved")


# ---------------------------------------------------------------- projections


def upsert_employer(session: Session, organisation: dict, as_of: datetime) -> Employer:
    """Keep the newest version of an organisation; an older event changes nothing."""
    values = {"organisation_id": organisation["organisation_id"], "name": organisation["name"],
              "registry_code": organisation["registry_code"], "kind": organisation["kind"],
              "billing_email": organisation["billing_email"], "address": organisation.get("address") or "",
              "as_of": as_of}
    session.execute(insert_ignoring_duplicates(Employer.__table__, dialect(session)).values(**values))
    employer = session.execute(
        select(Employer).where(Employer.organisation_id == values["organisation_id"])
        .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if employer.as_of < as_of:
        address = values.pop("address")
        for key, value in values.items():
            setattr(employer, key, value)
        if address:  # an event without an address must not erase the one we know
            employer.address = address
    return employer


def on_organisations(uow: UnitOfWork, event: Envelope, config: BillingConfig) -> None:
    """enrolment's application events carry the employers (name, registry code, address)."""
    data = event.data
    organisations = list(data.get("organisations") or [])
    if data.get("organisation"):
        organisations.append(data["organisation"])
    for organisation in organisations:
        upsert_employer(uow.session, organisation, event.occurred_at)


def _participation(session: Session, participant_id: str, application_id: str, state: str,
                   event: Envelope) -> tuple[Participation, str | None]:
    """Lock the participant's row and move it to ``state`` if this event is the newest.

    Returns the row and the previous state: "new" if there was none, None if the event
    is stale (older than what we know) and must change nothing.
    """
    table = Participation.__table__
    created = session.execute(
        insert_ignoring_duplicates(table, dialect(session)).values(
            participant_id=participant_id, application_id=application_id, state=state,
            as_of=event.occurred_at, event_id=event.event_id).returning(table.c.participant_id)).first()
    row = session.execute(
        select(Participation).where(Participation.participant_id == participant_id,
                                    Participation.application_id == application_id)
        .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if created is not None:
        return row, "new"
    if event.occurred_at <= row.as_of:
        return row, None
    previous = row.state
    row.state, row.as_of, row.event_id = state, event.occurred_at, event.event_id
    return row, previous


def _claim_for(session: Session, participant_id: str, application_id: str) -> Claim | None:
    return session.execute(
        select(Claim).where(Claim.participant_id == participant_id, Claim.application_id == application_id)
        .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()


def _log(session: Session, claim: Claim, action: str, actor: str, reason: str = "",
         amount: Decimal | None = None) -> None:
    session.add(ClaimDecision(claim_id=claim.claim_id, action=action, amount=amount, reason=reason,
                              actor=actor, decided_at=clock.now()))


# ---------------------------------------------------------------- attendance's events


def on_dropped_out(uow: UnitOfWork, event: Envelope, config: BillingConfig) -> None:
    """Propose one claim per dropout to the participant's employer."""
    data, session = event.data, uow.session
    employer = upsert_employer(session, data["employer"], event.occurred_at)
    _, previous = _participation(session, data["participant_id"], data["application_id"], "dropped_out", event)
    if previous is None:
        log.info("stale dropout ignored", extra={"event_id": event.event_id})
        return
    claim = _claim_for(session, data["participant_id"], data["application_id"])
    if claim is None:
        claim = Claim(claim_id=str(uuid.uuid4()), participant_id=data["participant_id"],
                      application_id=data["application_id"], proposed_at=clock.now())
        _set_dropout_facts(session, claim, data, event, employer, config)
        session.add(claim)
        session.flush()
        _propose(uow, claim, employer)
    elif claim.status == "withdrawn" or (claim.status == "waived" and previous == "reinstated"):
        # Reinstated earlier, now dropped out again: a new dropout, so a new proposal -- also
        # when it had been waived (by the system: no day held yet; or by the coordinator, who
        # decides again). The waiver and its reason stay in the history above this line.
        reopened = (system_reason("reopened_after_waiver", earlier=claim.waive_reason)
                    if claim.status == "waived" and claim.waive_reason else system_reason("reopened"))
        _set_dropout_facts(session, claim, data, event, employer, config)
        claim.proposed_at = clock.now()
        _log(session, claim, "reopened", SYSTEM, reopened)
        _propose(uow, claim, employer)
    elif claim.reinstated_at is not None:
        # The decided claim stands again: the reinstatement it was flagged for is undone.
        claim.reinstated_at = None
        _log(session, claim, "dropped_out_again", SYSTEM, system_reason("reinstatement_undone"))
    # Otherwise this dropout is claimed already: never propose twice.


def _set_dropout_facts(session: Session, claim: Claim, data: dict, event: Envelope, employer: Employer,
                       config: BillingConfig) -> None:
    dropped_out_at = data.get("dropped_out_at") or event.occurred_at
    # The group's edition's rate and cap (the settings if enrolment did not say).
    daily_rate, cap = claim_terms(session, data["group_id"], config)
    proposal = propose_amount(data["days_held"], daily_rate, cap)
    claim.group_id = data["group_id"]
    claim.participant_name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    claim.employer_id = employer.organisation_id
    claim.reason = data["reason"]
    claim.days_attended = data["days_attended"]
    claim.days_held = data["days_held"]
    claim.dropped_out_at = dropped_out_at
    claim.dropped_out_on = clock.local(dropped_out_at).date()
    claim.dropout_event_id = event.event_id
    claim.daily_rate = proposal.daily_rate
    claim.cap = proposal.cap
    claim.proposed_amount = proposal.amount
    claim.amount = None
    claim.status = "proposed"
    claim.reinstated_at = None
    claim.decided_at = claim.decided_by = claim.waive_reason = None


NOTHING_TO_RECOVER = system_reason("nothing_to_recover")


def _propose(uow: UnitOfWork, claim: Claim, employer: Employer) -> None:
    if claim.proposed_amount == 0:
        # Nothing was spent on the participant's group yet (e.g. a team that withdrew before
        # day I): the system waives, so the coordinator is not left to waive 0.00 one by one.
        claim.status, claim.waive_reason = "waived", NOTHING_TO_RECOVER
        claim.decided_at, claim.decided_by = clock.now(), SYSTEM
        _log(uow.session, claim, "waived", SYSTEM, NOTHING_TO_RECOVER)
        uow.publish("billing.claim.waived", {"claim_id": claim.claim_id, "participant_id": claim.participant_id,
                                             "reason": NOTHING_TO_RECOVER, **_terms(claim)})
        return
    uow.publish("billing.claim.proposed", {
        "claim_id": claim.claim_id, "participant_id": claim.participant_id,
        "application_id": claim.application_id, "employer": employer_payload(employer),
        "amount_gross": claim.proposed_amount, "currency": "EUR", "days_held": claim.days_held, **_terms(claim)})


def _terms(claim: Claim) -> dict:
    """The cap and daily rate this claim was proposed under, for whoever quotes them."""
    return {"cap": claim.cap, "daily_rate": claim.daily_rate}


def on_reinstated(uow: UnitOfWork, event: Envelope, config: BillingConfig) -> None:
    """An undone dropout withdraws its undecided claim; a decided one is flagged instead.

    An approved or invoiced claim is a coordinator's (or finance's) decision with possible
    documents behind it, so the system does not undo it: the claim page shows the flag and
    the coordinator waives, or finance credits the invoice.
    """
    data, session = event.data, uow.session
    _, previous = _participation(session, data["participant_id"], data["application_id"], "reinstated", event)
    if previous is None:
        return
    claim = _claim_for(session, data["participant_id"], data["application_id"])
    if claim is None:
        return  # reinstated before its dropout reached us: the older dropout will be stale
    reason = system_reason("reinstated", why=data.get("reason") or "correction")
    if claim.status == "proposed":
        claim.status = "withdrawn"
        claim.decided_at, claim.decided_by = clock.now(), SYSTEM
        _log(session, claim, "withdrawn", SYSTEM, reason)
    elif claim.status in ("approved", "invoiced"):
        claim.reinstated_at = event.occurred_at
        _log(session, claim, "reinstated_flagged", SYSTEM, reason)


# ---------------------------------------------------------------- the coordinator's decisions


def _locked_claim(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id, with_for_update=True, populate_existing=True)
    if claim is None:
        raise NotFound("claim.not_found", f"no claim {claim_id}", f"nõuet {claim_id} ei ole")
    return claim


def approve_claim(kit: ServiceKit, claim_id: str, actor: str, amount: Decimal | None = None,
                  note: str = "") -> Decimal:
    """Approve the proposed amount, or a lower one; never above the proposal or the cap."""
    with kit.unit_of_work() as uow:
        claim = _locked_claim(uow.session, claim_id)
        if claim.status not in DECIDABLE:
            raise Conflict("claim.not_decidable", f"the claim is {claim.status} and cannot be approved",
                           f"nõue on olekus „{CLAIM_STATUS_ET.get(claim.status, claim.status)}“ "
                           "ja seda ei saa kinnitada")
        try:
            applies, _source = vat_applies(uow.session, claim.group_id, billing_config(kit))
            approved = check_approved_amount(claim.proposed_amount if amount is None else amount, claim.cap,
                                             proposed=claim.proposed_amount, vat_applies=applies)
        except ClaimError as exc:
            raise InvalidInput(exc.key, exc.message, exc.message_et, field="amount") from None
        claim.amount, claim.status = approved, "approved"
        claim.decided_at, claim.decided_by = clock.now(), actor
        _log(uow.session, claim, "approved", actor, note.strip(), approved)
        uow.publish("billing.claim.approved", {"claim_id": claim.claim_id, "participant_id": claim.participant_id,
                                               "amount_gross": approved, "currency": "EUR"})
        return approved


def waive_claim(kit: ServiceKit, claim_id: str, reason: str, actor: str) -> None:
    """Decide not to claim; a reason is required (it is a right, not an obligation)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("claim.reason_required", "a reason is required to waive a claim",
                           "nõudest loobumiseks on põhjus kohustuslik", field="reason")
    with kit.unit_of_work() as uow:
        claim = _locked_claim(uow.session, claim_id)
        if claim.status not in DECIDABLE:
            raise Conflict("claim.not_decidable", f"the claim is {claim.status} and cannot be waived",
                           f"nõue on olekus „{CLAIM_STATUS_ET.get(claim.status, claim.status)}“ "
                           "ja sellest ei saa loobuda")
        claim.status, claim.amount, claim.waive_reason = "waived", None, reason
        claim.decided_at, claim.decided_by = clock.now(), actor
        _log(uow.session, claim, "waived", actor, reason)
        uow.publish("billing.claim.waived", {"claim_id": claim.claim_id, "participant_id": claim.participant_id,
                                             "reason": reason, **_terms(claim)})
