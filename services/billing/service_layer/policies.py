"""Each edition's dropout claim policy, projected from ``enrolment.edition.published``.

The coordinator sets the cap, the daily rate and whether VAT applies per edition in enrolment;
a dropout names only its group, so the projection also keeps which edition each group belongs
to. A claim is proposed under its edition's cap and rate; where none are known (an event from
an enrolment that did not send them yet, or the edition not seen) billing's own
BILLING_DAILY_RATE and BILLING_CAP apply, as before. Its invoice is split into net + VAT by the
edition's vat_applies as it is when the invoice is issued (null or unknown: BILLING_VAT_APPLIES);
an invoice issued already keeps what it was issued with. Newest revision wins; a replayed or
older one changes nothing.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.billing.adapters.models import EditionGroup, EditionPolicy
from services.billing.adapters.repository import dialect
from services.billing.config import BillingConfig
from shared.events.envelope import Envelope
from shared.messaging.outbox import UnitOfWork
from shared.messaging.tables import insert_ignoring_duplicates


def on_edition_published(uow: UnitOfWork, event: Envelope, config: BillingConfig) -> None:
    data, session = event.data, uow.session
    values = {"edition_id": data["edition_id"], "revision": data["revision"],
              "claim_cap": data.get("claim_cap"), "claim_daily_rate": data.get("claim_daily_rate"),
              "vat_applies": data.get("vat_applies")}
    table = EditionPolicy.__table__
    created = session.execute(insert_ignoring_duplicates(table, dialect(session)).values(**values)
                              .returning(table.c.edition_id)).first()
    policy = session.execute(select(EditionPolicy).where(EditionPolicy.edition_id == data["edition_id"])
                             .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if created is None:
        if data["revision"] <= policy.revision:
            return  # the same revision again, or an older one overtaken
        # An event without the fields means an enrolment that does not set them: the settings.
        policy.revision, policy.claim_cap, policy.claim_daily_rate, policy.vat_applies = (
            values["revision"], values["claim_cap"], values["claim_daily_rate"], values["vat_applies"])
    group_ids = [g["group_id"] for g in data["groups"]]
    session.execute(delete(EditionGroup).where(EditionGroup.edition_id == data["edition_id"],
                                               EditionGroup.group_id.not_in(group_ids)))
    groups = EditionGroup.__table__
    for group_id in group_ids:
        session.execute(insert_ignoring_duplicates(groups, dialect(session)).values(
            group_id=group_id, edition_id=data["edition_id"]))
        session.execute(update(EditionGroup).where(EditionGroup.group_id == group_id)
                        .values(edition_id=data["edition_id"]))


def claim_terms(session: Session, group_id: str, config: BillingConfig) -> tuple[Decimal, Decimal]:
    """(daily rate, cap) for a dropout of ``group_id``: its edition's, else the settings."""
    policy = session.scalar(select(EditionPolicy).join(
        EditionGroup, EditionGroup.edition_id == EditionPolicy.edition_id).where(EditionGroup.group_id == group_id))
    rate = policy.claim_daily_rate if policy is not None and policy.claim_daily_rate is not None \
        else config.daily_rate
    cap = policy.claim_cap if policy is not None and policy.claim_cap is not None else config.cap
    return Decimal(rate).quantize(Decimal("0.01")), Decimal(cap).quantize(Decimal("0.01"))


def vat_applies(session: Session, group_id: str, config: BillingConfig) -> tuple[bool, str]:
    """Whether VAT applies to an invoice for a dropout of ``group_id`` issued now, and whose value
    it is: ``"edition"`` (enrolment's edition says so) or ``"setting"`` (BILLING_VAT_APPLIES)."""
    stated = session.scalar(select(EditionPolicy.vat_applies).join(
        EditionGroup, EditionGroup.edition_id == EditionPolicy.edition_id).where(EditionGroup.group_id == group_id))
    return (stated, "edition") if stated is not None else (config.vat_applies, "setting")


def vat_applies_by_group(session: Session, group_ids, config: BillingConfig) -> dict[str, bool]:
    """``vat_applies`` for many groups at once (a claim list): {group_id: applies}."""
    ids = sorted(set(group_ids))
    stated = dict(session.execute(select(EditionGroup.group_id, EditionPolicy.vat_applies).join(
        EditionPolicy, EditionPolicy.edition_id == EditionGroup.edition_id)
        .where(EditionGroup.group_id.in_(ids))).all()) if ids else {}
    return {group_id: config.vat_applies if stated.get(group_id) is None else stated[group_id] for group_id in ids}
