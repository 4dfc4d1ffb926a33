"""The edition's make-up rule: attendance's own policy, set by a coordinator of the whole edition.

Every edition starts on the brochure's rule (no row in ``make_up_rules``). A change is one
transaction: the rule, its audit line (who, when, old → new) and the re-settling of every
participant of the edition -- as a schedule change does -- so a dropout the new rule no
longer causes is reinstated (``reason: policy_change``), a completion it no longer grants is
revoked, and a dropout it causes is published, each once. The change itself is published as
``attendance.make_up_rule.changed`` (enrolment and notify state the rule in the conditions a
member confirms), once, with the edition's count of changes as its ``revision``. Saving the
rule unchanged writes and publishes nothing.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from services.attendance.adapters.models import (
    Application,
    Edition,
    EditionMakeUpRule,
    Group,
    MakeUpRuleChange,
    Participant,
)
from services.attendance.domain.makeup import BROCHURE_RULE, MakeUpRule
from services.attendance.service_layer.common import Actor, NotFound, make_up_rule
from services.attendance.service_layer.outcomes import settle_all
from shared import clock

log = logging.getLogger(__name__)

POLICY_CHANGE = "policy_change"  # the reason of the reinstatements and revocations a change causes


@dataclass(frozen=True)
class RuleView:
    """An edition's make-up rule as pages and the API show it, with its history (newest first)."""
    edition: Edition
    rule: MakeUpRule
    changed_by: str | None  # None: never changed, the brochure's default
    changed_at: datetime | None
    history: list[MakeUpRuleChange]


@dataclass(frozen=True)
class RuleChanged:
    view: RuleView
    changed: bool
    reinstated: int  # participants reinstated by the change
    dropped_out: int  # participants dropped out by it


def editions(db: DbSession) -> list[tuple[Edition, MakeUpRule]]:
    """Every edition known (newest first) with its rule."""
    rows = db.execute(select(Edition, EditionMakeUpRule).outerjoin(
        EditionMakeUpRule, EditionMakeUpRule.edition_id == Edition.edition_id)
        .order_by(Edition.year.desc(), Edition.edition_id)).all()
    return [(e, BROCHURE_RULE if r is None else MakeUpRule(r.make_ups_allowed, r.make_up_window)) for e, r in rows]


def view(db: DbSession, edition_id: str) -> RuleView:
    edition = db.get(Edition, edition_id)
    if edition is None:
        raise NotFound("Lendu", "Edition")
    row = db.get(EditionMakeUpRule, edition_id)
    history = list(db.scalars(select(MakeUpRuleChange).where(MakeUpRuleChange.edition_id == edition_id)
                              .order_by(MakeUpRuleChange.id.desc())))
    return RuleView(edition, make_up_rule(db, edition_id), row.changed_by if row else None,
                    row.changed_at if row else None, history)


def set_make_up_rule(kit, edition_id: str, rule: MakeUpRule, actor: Actor) -> RuleChanged:
    """Set the edition's make-up rule and re-settle everyone of the edition under it."""
    now = clock.now()
    with kit.unit_of_work() as uow:
        db = uow.session
        # The edition's row, locked: two changes of its rule take turns (and the first insert
        # of a rule row cannot collide).
        edition = db.scalar(select(Edition).where(Edition.edition_id == edition_id).with_for_update())
        if edition is None:
            raise NotFound("Lendu", "Edition")
        old = make_up_rule(db, edition_id)
        if old == rule:
            return RuleChanged(view(db, edition_id), False, 0, 0)
        row = db.get(EditionMakeUpRule, edition_id)
        if row is None:
            row = EditionMakeUpRule(edition_id=edition_id)
            db.add(row)
        row.make_ups_allowed, row.make_up_window = rule.allowed, rule.window
        row.changed_by, row.changed_at = actor.actor, now
        db.add(MakeUpRuleChange(edition_id=edition_id, old_make_ups_allowed=old.allowed, old_window=old.window,
                                new_make_ups_allowed=rule.allowed, new_window=rule.window, actor=actor.actor,
                                actor_name=actor.name, at=now))
        db.flush()  # settling reads the rule with the applications; the count below sees this change
        # Counted under the edition's lock: two changes cannot get the same revision.
        revision = db.scalar(select(func.count()).select_from(MakeUpRuleChange)
                             .where(MakeUpRuleChange.edition_id == edition_id))
        uow.publish("attendance.make_up_rule.changed", {
            "edition_id": edition_id, "make_ups_allowed": rule.allowed, "window": rule.window,
            "revision": revision, "changed_at": now})
        affected = db.scalars(select(Participant.participant_id).join(
            Application, Application.application_id == Participant.application_id).join(
            Group, Group.group_id == Application.group_id).where(Group.edition_id == edition_id)).all()
        before = len(uow.published)
        settle_all(uow, affected, now, reinstated_reason=POLICY_CHANGE)
        told = Counter(e.event_type for e in uow.published[before:])
        log.info("make-up rule changed", extra={"edition_id": edition_id, "actor": actor.actor, "revision": revision,
                                                "allowed": rule.allowed, "window": rule.window})
        return RuleChanged(view(db, edition_id), True, told["attendance.participant.reinstated"],
                           told["attendance.participant.dropped_out"])
