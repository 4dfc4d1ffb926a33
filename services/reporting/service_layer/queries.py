"""Read models for the staff pages and the API: participant lists (masked), one participant's
detail, and the completeness check.

City scope: ``cities`` is what ``StaffUser.cities_for("coordinator")`` gives (None: every
city). Lists keep only the participants of those cities' groups; asking for another
city's group or participant is refused with 403 (``other_city``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from services.reporting.adapters.models import (
    AttendanceDay,
    Edition,
    ExportLog,
    Group,
    Participant,
    RevealLog,
)
from services.reporting.service_layer import records
from services.reporting.service_layer.editions import ensure_group_of, today
from services.reporting.service_layer.errors import Refused, not_found
from shared.auth import may_see

Cities = tuple[str, ...] | None


def other_city() -> Refused:
    return Refused(403, "other_city", "See on teise linna rühma andmed: teie õigused on ainult oma linna(de) jaoks.",
                   "This is another city's group: your role covers your own cities only.")


def check_group(kit, group_id: str, cities: Cities) -> None:
    """403 unless ``group_id`` is a group of ``cities`` (404 for no such group)."""
    if cities is None:
        return
    with kit.db.read_session() as db:
        group = db.get(Group, group_id)
        if group is None:
            raise not_found("Rühma", "Group")
        if not may_see(cities, group.city):
            raise other_city()


def check_own_group(kit, group_id: str | None, cities: Cities) -> None:
    """Figures and files that are the whole edition's without a group (indicators, exports):
    a coordinator of some cities asks for one of their groups."""
    if cities is None:
        return
    if group_id is None:
        raise Refused(403, "whole_edition",
                      "Kogu lennu näitajad ja väljavõtted on kogu lennu koordinaatorile: valige oma linna rühm.",
                      "The whole edition's indicators and exports are for a coordinator of the whole edition: "
                      "choose your city's group.")
    check_group(kit, group_id, cities)


def check_participant(kit, participant_id: str, cities: Cities) -> None:
    """403 unless the participant is in a group of ``cities`` (404 for no such participant)."""
    if cities is None:
        return
    with kit.db.read_session() as db:
        p = db.get(Participant, participant_id)
        if p is None:
            raise not_found("Osalejat", "Participant")
        group = db.get(Group, p.group_id) if p.group_id else None
        if not may_see(cities, group.city if group else None):
            raise other_city()


def _theirs(rows: list[records.Row], cities: Cities) -> list[records.Row]:
    return [row for row in rows if may_see(cities, row.group.city if row.group else None)]


@dataclass(frozen=True)
class Line:
    """A participant on the completeness page."""

    row: records.Row
    form_missing: tuple[str, ...]
    attendance_missing: tuple[str, ...]
    deadline: date | None
    overdue: bool


@dataclass(frozen=True)
class Completeness:
    edition: Edition
    group_id: str | None
    lines: list[Line]
    today: date

    @property
    def counts(self) -> dict[str, int]:
        return {
            "participants": len(self.lines),
            "complete": sum(1 for line in self.lines if not line.form_missing),
            "missing": sum(1 for line in self.lines if line.form_missing),
            "overdue": sum(1 for line in self.lines if line.overdue),
            "not_entered": sum(1 for line in self.lines if line.row.participant.entry_date is None),
        }


def ensure_not_anonymised(edition: Edition) -> None:
    if edition.anonymised_at is not None:
        raise Refused(409, "anonymised", "Lend on anonüümitud: isikuandmeid enam ei ole.",
                      "The edition has been anonymised: no personal data is left.")


def participants(kit, edition_id: str, group_id: str | None = None,
                 cities: Cities = None) -> tuple[Edition, list[records.Row]]:
    if group_id is not None:
        check_group(kit, group_id, cities)
    with kit.db.read_session() as db:
        edition = records.edition_of(db, edition_id)
        ensure_group_of(db, edition_id, group_id)
        ensure_not_anonymised(edition)
        return edition, _theirs(records.rows(db, edition, today(), group_id), cities)


def participant(kit, participant_id: str,
                cities: Cities = None) -> tuple[records.Row, Edition | None, list[AttendanceDay]]:
    check_participant(kit, participant_id, cities)
    with kit.db.read_session() as db:
        row, edition = records.one(db, participant_id, today())
        days = list(db.scalars(select(AttendanceDay).where(AttendanceDay.participant_id == participant_id)
                               .order_by(AttendanceDay.day)))
        return row, edition, days


def completeness(kit, edition_id: str, group_id: str | None = None, cities: Cities = None) -> Completeness:
    if group_id is not None:
        check_group(kit, group_id, cities)
    on = today()
    with kit.db.read_session() as db:
        edition = records.edition_of(db, edition_id)
        ensure_group_of(db, edition_id, group_id)
        ensure_not_anonymised(edition)
        lines = []
        for row in _theirs(records.rows(db, edition, on, group_id), cities):
            missing = row.missing
            form_missing = row.form_missing
            if row.esf is None or not row.esf.county or not row.esf.municipality:
                # Residence is not in the domain's entry fields, but the form asks for it.
                form_missing = (*form_missing, *(name for name in ("county", "municipality")
                                                 if not (row.esf and getattr(row.esf, name))))
            attendance_missing = tuple(name for name in missing if name in records.ATTENDANCE_FIELDS)
            overdue = bool(form_missing) and row.deadline is not None and on > row.deadline
            lines.append(Line(row, form_missing, attendance_missing, row.deadline, overdue))
        return Completeness(edition, group_id, lines, on)


def export_log(kit, limit: int = 500) -> list[ExportLog]:
    with kit.db.read_session() as db:
        return list(db.scalars(select(ExportLog).order_by(ExportLog.id.desc()).limit(limit)))


def reveal_log(kit, limit: int = 500) -> list[RevealLog]:
    with kit.db.read_session() as db:
        return list(db.scalars(select(RevealLog).order_by(RevealLog.id.desc()).limit(limit)))
