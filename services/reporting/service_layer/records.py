"""Reading the projection and the ESF answers back as the domain's ``Participant`` records.

Who counts: everyone on an edition's groups except someone who never attended and left —
substituted out, withdrew or dropped out (not an ESF participant). A member substituted out
after attending a day (an edition may allow substitutions until day II or III) took part: they
are reported as having left (exit status dropped_out, exit date the substitution's date).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from services.reporting.adapters.models import (
    SUBSTITUTED,
    WITHDRAWN,
    Edition,
    EsfRecord,
    Group,
    Organisation,
    Participant,
)
from services.reporting.domain.participant import DECLINED, missing_esf_data
from services.reporting.domain.participant import Participant as EsfParticipant
from services.reporting.service_layer.errors import not_found
from shared import clock
from shared.collation import estonian_key, name_key

log = logging.getLogger(__name__)

ATTENDANCE_FIELDS = ("entry_date", "exit_date", "exit_status")


@dataclass(frozen=True)
class Row:
    """One participant with everything a page or an export needs about them."""

    participant: Participant
    esf: EsfRecord | None
    group: Group | None
    organisation: Organisation | None
    record: EsfParticipant
    deadline: date | None

    @property
    def form_missing(self) -> tuple[str, ...]:
        """Missing answers the participant can give on the form."""
        return tuple(name for name in self.missing if name not in ATTENDANCE_FIELDS)

    @property
    def missing(self) -> tuple[str, ...]:
        return missing_esf_data(self.record)

    @property
    def name(self) -> str:
        return f"{self.participant.first_name} {self.participant.last_name}".strip()


def isced_value(stored: str | None) -> int | str | None:
    if stored is None or stored == DECLINED:
        return stored
    return int(stored)


def deadline_for(edition: Edition | None, entry_date: date | None, first_day: date | None = None) -> date | None:
    """The ESF data deadline: the edition's fixed date, else N weeks (default 0: the data is due
    at entry) after the participant's entry — or, before they entered, after their group's first
    day, so that it is known from acceptance on. None while neither is known (no schedule yet).

    The one definition: the completeness page shows it and notify's request and reminder name
    it (``deadlines`` publishes it as ``reporting.esf_data.requested``).
    """
    if edition is None:
        return None
    if edition.deadline_date is not None:
        return edition.deadline_date
    start = entry_date or first_day
    if edition.deadline_weeks is not None and start is not None:
        return start + timedelta(weeks=edition.deadline_weeks)
    return None


def to_domain(p: Participant, esf: EsfRecord | None, group: Group | None, org: Organisation | None,
              today: date) -> EsfParticipant:
    exit_date, exit_status = p.exit_date, p.exit_status
    if p.status == SUBSTITUTED and p.entry_date is not None and exit_status is None \
            and p.status_changed_at is not None:
        # Replaced after taking part: left the programme on the day of the substitution.
        exit_status = "dropped_out"
        exit_date = max(clock.local(p.status_changed_at).date(), p.entry_date)
    elif p.entry_date is not None and p.exit_status is None and group is not None and group.last_day \
            and group.last_day < today:
        exit_date = max(group.last_day, p.entry_date)  # past the last day without an outcome
    fields = {}
    if esf is not None:
        fields = dict(
            personal_code=esf.personal_code, sex=esf.sex, birth_date=esf.birth_date,
            employment_status=esf.employment_status, isced=isced_value(esf.isced),
            disability=esf.disability, third_country_national=esf.third_country_national,
            foreign_background=esf.foreign_background, minority=esf.minority, homeless=esf.homeless,
            rural_area=esf.rural_area, county=esf.county, municipality=esf.municipality)
    base = dict(
        participant_id=p.participant_id, group_id=p.group_id, city=group.city if group else None,
        organisation_id=p.organisation_id, organisation_kind=org.kind if org else None,
        organisation_name=(org.name or None) if org else None,
        organisation_registry_code=(org.registry_code or None) if org else None,
        first_name=p.first_name or None, last_name=p.last_name or None, email=p.email or None,
        entry_date=p.entry_date, exit_date=exit_date if p.entry_date else None, exit_status=exit_status)
    try:
        return EsfParticipant(**base, **fields)
    except ValueError:
        # Only if stored answers contradict the dates (e.g. born after entering): report the
        # birth date as unknown rather than fail the whole edition's page. No code is logged.
        log.warning("ESF record inconsistent with the dates; birth date left out",
                    extra={"participant_id": p.participant_id})
        fields.update(personal_code=None, birth_date=None)
        return EsfParticipant(**base, **fields)


def in_scope(p: Participant) -> bool:
    if p.entry_date is None and (p.status in (SUBSTITUTED, WITHDRAWN) or p.exit_status is not None):
        return False
    return True


def edition_of(db: DbSession, edition_id: str) -> Edition:
    edition = db.get(Edition, edition_id)
    if edition is None:
        raise not_found("Lendu", "Edition")
    return edition


def rows(db: DbSession, edition: Edition, today: date, group_id: str | None = None,
         participant_ids: list[str] | None = None) -> list[Row]:
    """The edition's (or one group's) participants in scope, by group (city), last and first name, in
    Estonian alphabetical order (shared/collation.py)."""
    query = (select(Participant, EsfRecord, Group, Organisation)
             .join(Group, Group.group_id == Participant.group_id)
             .outerjoin(EsfRecord, EsfRecord.participant_id == Participant.participant_id)
             .outerjoin(Organisation, Organisation.organisation_id == Participant.organisation_id)
             .where(Group.edition_id == edition.edition_id))
    if group_id is not None:
        query = query.where(Group.group_id == group_id)
    if participant_ids is not None:
        query = query.where(Participant.participant_id.in_(participant_ids))
    found = []
    ordered = sorted(db.execute(query).all(), key=lambda row: (
        estonian_key(row[2].city), name_key(row[0].last_name, row[0].first_name, row[0].participant_id)))
    for p, esf, group, org in ordered:
        if not in_scope(p):
            continue
        found.append(Row(p, esf, group, org, to_domain(p, esf, group, org, today),
                         deadline_for(edition, p.entry_date, group.first_day)))
    return found


def one(db: DbSession, participant_id: str, today: date) -> tuple[Row, Edition | None]:
    p = db.get(Participant, participant_id)
    if p is None:
        raise not_found("Osalejat", "Participant")
    esf = db.get(EsfRecord, participant_id)
    group = db.get(Group, p.group_id) if p.group_id else None
    org = db.get(Organisation, p.organisation_id) if p.organisation_id else None
    edition = db.get(Edition, group.edition_id) if group and group.edition_id else None
    return Row(p, esf, group, org, to_domain(p, esf, group, org, today),
               deadline_for(edition, p.entry_date, group.first_day if group else None)), edition


def groups_of(db: DbSession, edition_id: str) -> list[Group]:
    return list(db.scalars(select(Group).where(Group.edition_id == edition_id).order_by(Group.first_day,
                                                                                        Group.city)))


def edition_of_participant(db: DbSession, p: Participant) -> Edition | None:
    group = db.get(Group, p.group_id) if p.group_id else None
    return db.get(Edition, group.edition_id) if group and group.edition_id else None
