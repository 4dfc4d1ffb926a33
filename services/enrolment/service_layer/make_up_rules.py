"""The make-up rule of each edition, projected from ``attendance.make_up_rule.changed``.

Attendance owns the rule; enrolment only states it in the conditions a member confirms. One
row per edition keeps the highest revision seen: a redelivered event is skipped by the inbox,
and an older revision arriving late changes nothing. No row: the brochure's rule.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.enrolment.adapters.models import MakeUpRuleSeen
from services.enrolment.domain.conditions import MakeUpRule
from shared.events.envelope import Envelope
from shared.messaging.outbox import UnitOfWork
from shared.messaging.tables import insert_ignoring_duplicates


def on_make_up_rule_changed(uow: UnitOfWork, event: Envelope) -> None:
    data, session = event.data, uow.session
    table = MakeUpRuleSeen.__table__
    created = session.execute(insert_ignoring_duplicates(table, session.get_bind().dialect.name).values(
        edition_id=data["edition_id"], make_ups_allowed=data["make_ups_allowed"], make_up_window=data["window"],
        revision=data["revision"], changed_at=data["changed_at"]).returning(table.c.edition_id)).first()
    if created is not None:
        return
    row = session.execute(select(MakeUpRuleSeen).where(MakeUpRuleSeen.edition_id == data["edition_id"])
                          .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if data["revision"] <= row.revision:
        return  # the same revision again (another event id), or an older one overtaken
    row.make_ups_allowed, row.window, row.revision, row.changed_at = (
        data["make_ups_allowed"], data["window"], data["revision"], data["changed_at"])


def make_up_rule(session: Session, edition_id: str, *, lock: bool = False) -> MakeUpRule | None:
    """The edition's rule as attendance last said it; None where it said nothing (the brochure's).
    ``lock``: for share, so a change being handled waits for (or is waited for by) a confirmation."""
    query = select(MakeUpRuleSeen).where(MakeUpRuleSeen.edition_id == edition_id)
    if lock:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    row = session.scalar(query)
    return MakeUpRule(row.make_ups_allowed, row.window) if row is not None else None
