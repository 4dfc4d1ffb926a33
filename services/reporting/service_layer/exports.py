"""Exports and other look-ups of personal data, each logged in the same transaction that read
the data: participant-level CSV/XLSX, the indicator table, a participant's own data (a
subject access request), and revealing one personal code."""
from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from services.reporting.adapters.models import AttendanceDay, ExportLog, RevealLog
from services.reporting.exports import indicators_csv, indicators_xlsx, participants_csv, participants_xlsx
from services.reporting.service_layer import editions, records
from services.reporting.service_layer.errors import Refused
from services.reporting.service_layer.participant_data import PRIVACY_VERSION
from services.reporting.service_layer.queries import ensure_not_anonymised
from shared import clock

log = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Werkzeug adds "; charset=utf-8" to a text/ type itself (naming it here sent it twice).
CSV = "text/csv"
JSON = "application/json"
PARTICIPANT_FORMATS = {"csv": (participants_csv, CSV), "xlsx": (participants_xlsx, XLSX)}
INDICATOR_FORMATS = {"csv": (indicators_csv, CSV), "xlsx": (indicators_xlsx, XLSX)}
MIN_REASON = 5


@dataclass(frozen=True)
class Actor:
    """The staff member doing it, as the audit logs record them."""

    user_id: str
    email: str
    name: str

    @property
    def label(self) -> str:
        return self.email or self.user_id


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    data: bytes
    row_count: int


def _log(db, actor: Actor, kind: str, filename: str, row_count: int, *, edition_id: str | None = None,
         group_id: str | None = None, participant_id: str | None = None) -> None:
    db.add(ExportLog(at=clock.now(), actor_id=actor.user_id, actor_email=actor.email, actor_name=actor.name,
                     kind=kind, edition_id=edition_id, group_id=group_id, participant_id=participant_id,
                     row_count=row_count, filename=filename))
    log.info("export", extra={"kind": kind, "edition_id": edition_id, "group_id": group_id,
                              "participant_id": participant_id, "rows": row_count, "actor": actor.label})


def _stem(kind: str, edition_id: str, group_id: str | None) -> str:
    day = editions.today().isoformat()
    return f"esf-{kind}-{edition_id}{'-' + group_id if group_id else ''}-{day}"


def export_participants(kit, edition_id: str, fmt: str, actor: Actor, group_id: str | None = None) -> Export:
    """The funder's participant-level file (full personal codes: Statistics Estonia links on them)."""
    write, mimetype = PARTICIPANT_FORMATS[fmt]
    with kit.db.transaction() as db:
        edition = records.edition_of(db, edition_id)
        ensure_not_anonymised(edition)
        editions.ensure_group_of(db, edition_id, group_id)  # not an empty file named after any text
        rows = [row.record for row in records.rows(db, edition, editions.today(), group_id)]
        out = io.BytesIO()
        write(rows, out)
        filename = f"{_stem('osalejad', edition_id, group_id)}.{fmt}"
        _log(db, actor, f"participants_{fmt}", filename, len(rows), edition_id=edition_id, group_id=group_id)
    return Export(filename, mimetype, out.getvalue(), len(rows))


def export_indicators(kit, edition_id: str, fmt: str, actor: Actor, group_id: str | None = None) -> Export:
    write, mimetype = INDICATOR_FORMATS[fmt]
    with kit.db.transaction() as db:
        report = editions.indicators_in(db, edition_id, group_id)
        out = io.BytesIO()
        write(report.rows, out)
        filename = f"{_stem('naitajad', edition_id, group_id)}.{fmt}"
        _log(db, actor, f"indicators_{fmt}", filename, len(report.rows), edition_id=edition_id, group_id=group_id)
    return Export(filename, mimetype, out.getvalue(), len(report.rows))


def _iso(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def own_data(kit, participant_id: str, actor: Actor) -> Export:
    """Everything this service holds about one person, as JSON, for their access request."""
    with kit.db.transaction() as db:
        row, edition = records.one(db, participant_id, editions.today())
        p, esf = row.participant, row.esf
        days = db.scalars(select(AttendanceDay).where(AttendanceDay.participant_id == participant_id)
                          .order_by(AttendanceDay.day)).all()
        reveals = db.scalars(select(RevealLog).where(RevealLog.participant_id == participant_id)
                             .order_by(RevealLog.id)).all()
        esf_data = None
        if esf is not None:
            esf_data = {name: _iso(getattr(esf, name)) for name in (
                "personal_code", "birth_date", "sex", "sex_from_code", "employment_status", "isced", "disability",
                "third_country_national", "foreign_background", "minority", "homeless", "rural_area", "county",
                "municipality", "consent_at", "privacy_version", "first_submitted_at", "updated_at")}
        body = {
            "participant_id": p.participant_id,
            "exported_at": clock.now().isoformat(),
            "controller_note": "ESF participant data held by the programme's reporting service",
            "first_name": p.first_name, "last_name": p.last_name, "email": p.email, "language": p.language,
            "status": p.status,
            "group": {"group_id": p.group_id, "city": row.group.city if row.group else None},
            "organisation": None if row.organisation is None else {
                "organisation_id": row.organisation.organisation_id, "name": row.organisation.name,
                "kind": row.organisation.kind},
            "esf_data": esf_data,
            "entry_date": _iso(row.record.entry_date), "exit_date": _iso(row.record.exit_date),
            "exit_status": row.record.exit_status,
            "age_at_entry": row.record.age_at_entry,
            "attendance": [{"session_id": d.session_id, "date": d.day.isoformat(), "day_number": d.day_number,
                            "present": d.present, "make_up": d.make_up} for d in days],
            "personal_code_viewed_by_staff": [{"at": r.at.isoformat(), "by": r.actor_name or r.actor_email,
                                               "reason": r.reason} for r in reveals],
            "processing": {
                "purpose": "European Social Fund participant reporting (Regulation (EU) 2021/1057 and 2021/1060)",
                "privacy_notice_version": PRIVACY_VERSION,
                "retention_until": _iso(editions.retention_date(edition)) if edition else None,
                "recipients": ["Riigi Tugiteenuste Keskus (ESF implementing body)",
                               "Statistikaamet (Statistics Estonia)"],
            },
        }
        data = json.dumps(body, ensure_ascii=False, indent=2).encode()
        filename = f"esf-minu-andmed-{participant_id}-{editions.today().isoformat()}.json"
        _log(db, actor, "own_data_json", filename, 1, edition_id=edition.edition_id if edition else None,
             group_id=p.group_id, participant_id=participant_id)
    return Export(filename, JSON, data, 1)


def reveal_personal_code(kit, participant_id: str, reason: str, actor: Actor) -> str:
    """One participant's full personal code for a coordinator who states why; logged."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise Refused(422, "reason_required", "Kirjutage, miks isikukoodi vaja on.",
                      "Write why you need the personal code.", field="reason")
    with kit.db.transaction() as db:
        row, _ = records.one(db, participant_id, editions.today())
        if row.esf is None or not row.esf.personal_code:
            raise Refused(404, "no_personal_code", "Osaleja ei ole isikukoodi esitanud.",
                          "The participant has not given a personal code.")
        db.add(RevealLog(at=clock.now(), actor_id=actor.user_id, actor_email=actor.email, actor_name=actor.name,
                         participant_id=participant_id, reason=reason[:2000]))
        log.info("personal code revealed", extra={"participant_id": participant_id, "actor": actor.label})
        return row.esf.personal_code
