"""Read models for the staff pages and the API: participant lists (masked), one participant's
detail, and the completeness check."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from services.reporting.adapters.models import AttendanceDay, Edition, ExportLog, RevealLog
from services.reporting.service_layer import records
from services.reporting.service_layer.editions import today
from services.reporting.service_layer.errors import Refused


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


def participants(kit, edition_id: str, group_id: str | None = None) -> tuple[Edition, list[records.Row]]:
    with kit.db.read_session() as db:
        edition = records.edition_of(db, edition_id)
        ensure_not_anonymised(edition)
        return edition, records.rows(db, edition, today(), group_id)


def participant(kit, participant_id: str) -> tuple[records.Row, Edition | None, list[AttendanceDay]]:
    with kit.db.read_session() as db:
        row, edition = records.one(db, participant_id, today())
        days = list(db.scalars(select(AttendanceDay).where(AttendanceDay.participant_id == participant_id)
                               .order_by(AttendanceDay.day)))
        return row, edition, days


def completeness(kit, edition_id: str, group_id: str | None = None) -> Completeness:
    on = today()
    with kit.db.read_session() as db:
        edition = records.edition_of(db, edition_id)
        ensure_not_anonymised(edition)
        lines = []
        for row in records.rows(db, edition, on, group_id):
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
