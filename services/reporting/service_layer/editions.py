"""An edition's reporting: its settings, locking its data, its indicators and, after the
retention period, anonymising it.

Anonymisation keeps what the indicators need (the domain's ``AnonymisedRecord``: sex, age band,
entry/exit month, statuses, answers, organisation kind and a batch-local alias) plus a snapshot
of each group's indicator table, and deletes names, e-mails, personal codes, birth dates,
residence and attendance, and the dead letters and published events that name the edition's
participants. It refuses to commit if the edition's indicators would change.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import and_, delete, or_, select

from services.reporting.adapters.models import (
    AnonymisedRecord,
    AttendanceDay,
    Edition,
    EsfDeadline,
    EsfRecord,
    ForgottenParticipant,
    Group,
    IndicatorSnapshot,
    Participant,
)
from services.reporting.domain import retention
from services.reporting.domain.indicator_sets import IndicatorSet, available_sets, load_indicator_set
from services.reporting.domain.indicators import IndicatorRow, compute_indicators
from services.reporting.service_layer import deadlines, records
from services.reporting.service_layer.errors import Refused, not_found
from services.reporting.service_layer.projection import participant_digest
from shared import clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    indicator_set: str
    deadline_weeks: int | None
    deadline_date: date | None
    last_payment_date: date | None
    retention_years: int


@dataclass(frozen=True)
class IndicatorReport:
    edition_id: str
    group_id: str | None
    indicator_set: IndicatorSet
    rows: list[IndicatorRow]
    participants_entered: int
    anonymised: bool


def today() -> date:
    return clock.local(clock.now()).date()


def retention_date(edition: Edition) -> date | None:
    if edition.last_payment_date is None:
        return None
    return retention.retention_until(edition.last_payment_date, edition.retention_years)


def is_due(edition: Edition, on: date | None = None) -> bool:
    until = retention_date(edition)
    return until is not None and edition.anonymised_at is None and (on or today()) > until


def list_editions(kit) -> list[Edition]:
    with kit.db.transaction() as db:
        return list(db.scalars(select(Edition).order_by(Edition.year.desc(), Edition.edition_id)))


def get(kit, edition_id: str) -> tuple[Edition, list[Group]]:
    with kit.db.transaction() as db:
        edition = records.edition_of(db, edition_id)
        return edition, records.groups_of(db, edition_id)


def _settings_errors(s: Settings) -> dict[str, tuple[str, str]]:
    errors = {}
    if s.indicator_set not in available_sets():
        errors["indicator_set"] = ("Tundmatu näitajate komplekt.", "Unknown indicator set.")
    if s.deadline_date is None and s.deadline_weeks is None:
        errors["deadline_weeks"] = ("Andke tähtaeg: nädalaid pärast sisenemist või kuupäev.",
                                    "Give a deadline: weeks after entry or a date.")
    if s.deadline_weeks is not None and not 0 <= s.deadline_weeks <= 52:
        errors["deadline_weeks"] = ("Nädalaid 0–52.", "Weeks must be 0–52.")
    if not 0 <= s.retention_years <= 30:
        errors["retention_years"] = ("Säilitamise aastaid 0–30.", "Retention years must be 0–30.")
    return errors


class InvalidSettings(Exception):
    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__(", ".join(errors))
        self.errors = errors


def update_settings(kit, edition_id: str, settings: Settings, actor: str) -> Edition:
    errors = _settings_errors(settings)
    if errors:
        raise InvalidSettings(errors)
    with kit.unit_of_work() as uow:
        db = uow.session
        edition = records.edition_of(db, edition_id)
        if edition.anonymised_at is not None:
            raise Refused(409, "anonymised", "Lend on anonüümitud.", "The edition has been anonymised.")
        paid = settings.last_payment_date
        if paid is not None and edition.year is not None and paid.year < edition.year:
            # The retention date follows from it: a mistyped year could make the personal data
            # due for (irreversible) anonymisation at once.
            raise InvalidSettings({"last_payment_date": (
                f"Viimane makse ei saa olla enne lennu aastat {edition.year}: kontrollige kuupäeva "
                "(selle järgi anonüümitakse isikuandmed).",
                f"The last payment cannot be before the edition's year {edition.year}: check the date "
                "(the personal data are anonymised by it).")})
        if edition.locked_at is not None and settings.indicator_set != edition.indicator_set:
            raise Refused(409, "locked", "Andmed on lukus: näitajate komplekti ei saa muuta.",
                          "The data is locked: the indicator set cannot change.", field="indicator_set")
        for name, value in asdict(settings).items():
            setattr(edition, name, value)
        edition.settings_changed_at, edition.settings_changed_by = clock.now(), actor
        # A new deadline setting moves the deadlines notify reminds of: told in this transaction.
        deadlines.sync(uow, edition_id=edition_id)
        log.info("edition settings changed", extra={"edition_id": edition_id, "actor": actor})
        return edition


def set_locked(kit, edition_id: str, locked: bool, actor: str) -> Edition:
    """Lock (no more corrections through the form) or unlock an edition's ESF data."""
    with kit.db.transaction() as db:
        edition = db.scalar(select(Edition).where(Edition.edition_id == edition_id).with_for_update())
        if edition is None:
            raise not_found("Lendu", "Edition")
        if edition.anonymised_at is not None:
            raise Refused(409, "anonymised", "Lend on anonüümitud.", "The edition has been anonymised.")
        if locked and edition.locked_at is None:
            edition.locked_at, edition.locked_by = clock.now(), actor
        elif not locked:
            edition.locked_at, edition.locked_by = None, None
        log.info("edition data locked" if locked else "edition data unlocked",
                 extra={"edition_id": edition_id, "actor": actor})
        return edition


# -- indicators --------------------------------------------------------------------------------

def _to_domain_anonymised(row: AnonymisedRecord) -> retention.AnonymisedRecord:
    return retention.AnonymisedRecord(
        sex=row.sex, age_band=None if row.age_low is None else (row.age_low, row.age_high),
        entry_date=row.entry_month, exit_date=row.exit_month, exit_status=row.exit_status,
        employment_status=row.employment_status, isced=records.isced_value(row.isced),
        disability=row.disability, third_country_national=row.third_country_national,
        foreign_background=row.foreign_background, minority=row.minority, homeless=row.homeless,
        rural_area=row.rural_area, organisation_kind=row.organisation_kind,
        organisation_id=row.organisation_alias)


def _row_from_json(data: dict) -> IndicatorRow:
    return IndicatorRow(**data)


def indicators(kit, edition_id: str, group_id: str | None = None) -> IndicatorReport:
    with kit.db.transaction() as db:
        return indicators_in(db, edition_id, group_id)


def indicators_for_group(kit, group_id: str) -> IndicatorReport:
    with kit.db.transaction() as db:
        group = db.get(Group, group_id)
        if group is None or not group.edition_id:
            raise not_found("Gruppi", "Group")
        return indicators_in(db, group.edition_id, group_id)


def ensure_group_of(db, edition_id: str, group_id: str | None) -> None:
    """404 unless ``group_id`` (if given) is one of the edition's groups."""
    if group_id is not None:
        group = db.get(Group, group_id)
        if group is None or group.edition_id != edition_id:
            raise not_found("Gruppi", "Group")


def indicators_in(db, edition_id: str, group_id: str | None = None) -> IndicatorReport:
    edition = records.edition_of(db, edition_id)
    ensure_group_of(db, edition_id, group_id)
    indicator_set = load_indicator_set(edition.indicator_set)
    if edition.anonymised_at is None:
        found = [row.record for row in records.rows(db, edition, today(), group_id)]
        rows = compute_indicators(indicator_set, found)
        entered = sum(1 for r in found if r.entry_date is not None)
        return IndicatorReport(edition_id, group_id, indicator_set, rows, entered, False)
    if group_id is None:
        kept = [_to_domain_anonymised(r) for r in db.scalars(
            select(AnonymisedRecord).where(AnonymisedRecord.edition_id == edition_id))]
        return IndicatorReport(edition_id, None, indicator_set, compute_indicators(indicator_set, kept),
                               sum(1 for r in kept if r.entry_date is not None), True)
    snapshot = db.scalar(select(IndicatorSnapshot).where(
        IndicatorSnapshot.edition_id == edition_id, IndicatorSnapshot.group_id == group_id,
        IndicatorSnapshot.indicator_set == edition.indicator_set))
    if snapshot is None:
        raise Refused(409, "anonymised", "Lend on anonüümitud; grupi näitajad on säilinud ainult "
                      "anonüümimise ajal valitud komplektiga.",
                      "The edition has been anonymised; a group's indicators were kept only for the "
                      "set chosen at that time.")
    return IndicatorReport(edition_id, group_id, indicator_set,
                           [_row_from_json(r) for r in snapshot.rows], snapshot.participants_entered, True)


# -- anonymisation ------------------------------------------------------------------------------

def _totals(rows: list[IndicatorRow]) -> list[tuple]:
    return [(r.code, r.total, r.women, r.men, r.non_binary, r.sex_unknown, r.unknown, r.declined) for r in rows]


def anonymise(kit, edition_id: str, actor: str, on: date | None = None) -> int:
    """Anonymise an edition past its retention date; returns how many participants it held."""
    on = on or today()
    with kit.db.transaction() as db:
        edition = db.scalar(select(Edition).where(Edition.edition_id == edition_id).with_for_update())
        if edition is None:
            raise not_found("Lendu", "Edition")
        if edition.anonymised_at is not None:
            raise Refused(409, "already_anonymised", "Lend on juba anonüümitud.",
                          "The edition has already been anonymised.")
        until = retention_date(edition)
        if until is None:
            raise Refused(409, "no_last_payment", "Sisestage esmalt viimase makse kuupäev.",
                          "Enter the date of the last payment first.", field="last_payment_date")
        if on <= until:
            raise Refused(409, "retention_running",
                          f"Andmeid tuleb säilitada kuni {until:%d.%m.%Y}.",
                          f"The data must be kept until {until:%d.%m.%Y}.")
        indicator_set = load_indicator_set(edition.indicator_set)
        kept_rows = records.rows(db, edition, on)
        before = compute_indicators(indicator_set, [r.record for r in kept_rows])
        anonymised = retention.anonymise_all([r.record for r in kept_rows])
        after = compute_indicators(indicator_set, anonymised)
        if _totals(before) != _totals(after):  # the domain promises this; never lose figures silently
            raise RuntimeError(f"anonymising {edition_id} would change its indicators")
        for group in records.groups_of(db, edition_id):
            group_records = [r.record for r in kept_rows if r.participant.group_id == group.group_id]
            rows = compute_indicators(indicator_set, group_records)
            db.add(IndicatorSnapshot(edition_id=edition_id, group_id=group.group_id,
                                     indicator_set=indicator_set.name, rows=[asdict(r) for r in rows],
                                     participants_entered=sum(1 for r in group_records if r.entry_date),
                                     taken_at=clock.now()))
        for record in anonymised:
            low, high = record.age_band if record.age_band else (None, None)
            db.add(AnonymisedRecord(
                edition_id=edition_id, sex=record.sex, age_low=low, age_high=high,
                entry_month=record.entry_date, exit_month=record.exit_date, exit_status=record.exit_status,
                employment_status=record.employment_status,
                isced=None if record.isced is None else str(record.isced),
                disability=record.disability, third_country_national=record.third_country_national,
                foreign_background=record.foreign_background, minority=record.minority,
                homeless=record.homeless, rural_area=record.rural_area,
                organisation_kind=record.organisation_kind, organisation_alias=record.organisation_id))
        # Everyone the edition ever named goes, in scope or not (substituted, withdrawn…).
        ids = list(db.scalars(select(Participant.participant_id).join(
            Group, Group.group_id == Participant.group_id).where(Group.edition_id == edition_id)))
        now = clock.now()
        for participant_id in ids:
            db.merge(ForgottenParticipant(digest=participant_digest(participant_id), at=now))
        for table in (EsfRecord, EsfDeadline, AttendanceDay, Participant):
            db.execute(delete(table).where(table.participant_id.in_(ids)))
        _purge_messages(kit, db, ids)
        edition.anonymised_at, edition.anonymised_by = now, actor
        log.info("edition anonymised", extra={"edition_id": edition_id, "actor": actor,
                                              "participants": len(ids)})
        return len(ids)


def _purge_messages(kit, db, ids: list[str]) -> None:
    """Event bodies that name the edition's participants go too: dead letters (names, e-mails)
    and published outbox rows (ids). The inbox keeps only event ids and types."""
    tables = kit.tables
    for start in range(0, len(ids), 200):
        chunk = ids[start:start + 200]
        for table, only in ((tables.dead_letters, None), (tables.outbox, tables.outbox.c.published_at.is_not(None))):
            # Ids are quoted JSON strings in a body: '"P1"' does not match "P10".
            named = or_(*(table.c.body.contains(json.dumps(pid), autoescape=True) for pid in chunk))
            db.execute(delete(table).where(named if only is None else and_(named, only)))


def due(kit, on: date | None = None) -> list[Edition]:
    """The editions past their retention date, not anonymised yet."""
    return [edition for edition in list_editions(kit) if is_due(edition, on)]


def anonymise_due(kit, actor: str = "retention", on: date | None = None) -> list[str]:
    """Anonymise every edition past its retention date, one transaction each
    (``python -m services.reporting anonymise-due``)."""
    done = []
    for edition in due(kit, on):
        anonymise(kit, edition.edition_id, actor, on)
        done.append(edition.edition_id)
    return done
