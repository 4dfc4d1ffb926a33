"""ESF reporting JSON API (documented in /reporting/openapi.json). Coordinators only.

A coordinator of some cities reaches the ``scoped=True`` endpoints and sees there only their
cities' groups and participants (403 ``other_city`` for another city's, 403 ``whole_edition``
for a whole-edition figure or file); settings, lock, anonymisation and the logs need a
coordinator of the whole edition.

Endpoints only translate: input → a use case → output. Errors are JSON: 401 without a
session, 403 for other roles, 404 for an unknown id, 409 for a refusal (locked, anonymised,
retention running), 415 for a state change not sent as JSON, 422 for invalid input — with
``message``, ``errors`` per field and, for refusals, a stable ``reason``.
"""
from __future__ import annotations

import functools
import io
from http import HTTPStatus

from flask import current_app, jsonify, request, send_file
from flask_smorest import Blueprint, abort

from services.reporting import schemas
from services.reporting.domain.indicator_sets import IndicatorSet
from services.reporting.domain.personal_code import mask
from services.reporting.entrypoints.views import EXPORT_KINDS, actor, cities
from services.reporting.service_layer import editions, exports, queries, records
from services.reporting.service_layer.errors import Refused
from shared import auth, i18n

blp = Blueprint("reporting_api", __name__, url_prefix="/api",
                description="ESF participant data, common indicators and funder exports")
STAFF = ("coordinator",)
SECURITY = [{"staffSession": []}]


def _kit():
    return current_app.extensions["kit"]


def refused(exc: Refused):
    message = exc.message(i18n.select_locale())
    body = {"code": exc.status, "status": HTTPStatus(exc.status).phrase.lower().replace(" ", "_"),
            "message": message, "reason": exc.code, "errors": {exc.field or "_": [message]}}
    response = jsonify(body)
    response.status_code = exc.status
    return response


def translating(view):
    """Turn a use case's refusal into its JSON error."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Refused as exc:
            return refused(exc)
    return wrapped


def participant_in_scope(view):
    """The city check comes before the body is read: another city's participant is 403,
    whatever was sent."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        queries.check_participant(_kit(), kwargs["participant_id"], cities())
        return view(*args, **kwargs)
    return wrapped


def json_only(view):
    """State changes accept JSON only: no HTML form from another site can post one (the API
    is exempt from the pages' CSRF tokens)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not request.is_json:
            abort(415, message="Send a JSON body (Content-Type: application/json).")
        return view(*args, **kwargs)
    return wrapped


# -- shaping ------------------------------------------------------------------------------------------

def edition_out(edition, groups) -> dict:
    return {
        "edition_id": edition.edition_id, "year": edition.year, "name": edition.name,
        "indicator_set": edition.indicator_set, "deadline_weeks": edition.deadline_weeks,
        "deadline_date": edition.deadline_date, "last_payment_date": edition.last_payment_date,
        "retention_years": edition.retention_years, "retention_until": editions.retention_date(edition),
        "due_for_anonymisation": editions.is_due(edition), "locked": edition.locked_at is not None,
        "locked_at": edition.locked_at, "locked_by": edition.locked_by, "anonymised_at": edition.anonymised_at,
        "groups": [{"group_id": g.group_id, "city": g.city, "first_day": g.first_day, "last_day": g.last_day,
                    "active": g.active} for g in groups],
    }


def report_out(report: editions.IndicatorReport) -> dict:
    chosen: IndicatorSet = report.indicator_set
    rows = []
    for row in report.rows:
        counts = {name: getattr(row, name) if row.collected else None for name in (
            "total", "women", "men", "non_binary", "sex_unknown", "unknown", "declined")}
        rows.append({"code": row.code, "name_et": row.name_et, "name_en": row.name_en, "unit": row.unit,
                     "collected": row.collected, "note": chosen[row.code].note, **counts})
    return {"edition_id": report.edition_id, "group_id": report.group_id,
            "indicator_set": {"name": chosen.name, "title_et": chosen.title_et, "title_en": chosen.title_en,
                              "regulation": chosen.regulation},
            "participants_entered": report.participants_entered, "anonymised": report.anonymised, "rows": rows}


def participant_out(row: records.Row) -> dict:
    p, org, record = row.participant, row.organisation, row.record
    return {"participant_id": p.participant_id, "first_name": p.first_name, "last_name": p.last_name,
            "email": p.email, "group_id": p.group_id, "city": record.city, "organisation_id": p.organisation_id,
            "organisation_name": org.name if org else None, "organisation_kind": org.kind if org else None,
            "personal_code_masked": mask(record.personal_code) or None, "entry_date": record.entry_date,
            "exit_date": record.exit_date, "exit_status": record.exit_status,
            "esf_data_complete": row.esf is not None and row.esf.completed_published_at is not None,
            "missing": list(row.missing)}


def detail_out(row: records.Row) -> dict:
    out = participant_out(row)
    esf, record = row.esf, row.record
    out.update(status=row.participant.status, deadline=row.deadline, esf=None)
    if esf is not None:
        out["esf"] = {
            "birth_date": record.birth_date, "sex": record.sex, "sex_from_personal_code": esf.sex_from_code,
            "age_at_entry": record.age_at_entry, "employment_status": esf.employment_status, "isced": esf.isced,
            **{name: getattr(esf, name) for name in ("disability", "third_country_national", "foreign_background",
                                                     "minority", "homeless", "rural_area", "county",
                                                     "municipality", "consent_at", "updated_at")}}
    return out


def _file(export: exports.Export):
    response = send_file(io.BytesIO(export.data), mimetype=export.mimetype, as_attachment=True,
                         download_name=export.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- editions -------------------------------------------------------------------------------------------

@blp.route("/editions")
@auth.requires(*STAFF, scoped=True)  # names and settings of editions: no personal data
@blp.response(200, schemas.EditionOut(many=True))
@blp.doc(security=SECURITY)
def list_editions():
    """Editions with their reporting settings."""
    return [edition_out(e, []) for e in editions.list_editions(_kit())]


@blp.route("/editions/<edition_id>")
@auth.requires(*STAFF, scoped=True)  # an edition's groups: what a coordinator of some cities picks from
@translating
@blp.response(200, schemas.EditionOut)
@blp.alt_response(404, description="No such edition")
@blp.doc(security=SECURITY)
def get_edition(edition_id: str):
    return edition_out(*editions.get(_kit(), edition_id))


@blp.route("/editions/<edition_id>/settings", methods=["PUT"])
@auth.requires(*STAFF)
@json_only
@translating
@blp.arguments(schemas.SettingsIn)
@blp.response(200, schemas.EditionOut)
@blp.doc(security=SECURITY)
def put_settings(data: dict, edition_id: str):
    """Indicator set, ESF data deadline (weeks after entry or a date), last payment, retention years."""
    try:
        editions.update_settings(_kit(), edition_id, editions.Settings(**data), actor().label)
    except editions.InvalidSettings as exc:
        language = i18n.select_locale()
        abort(422, messages={name: [en if language == "en" else et] for name, (et, en) in exc.errors.items()})
    return edition_out(*editions.get(_kit(), edition_id))


@blp.route("/editions/<edition_id>/<any(lock, unlock):action>", methods=["POST"])
@auth.requires(*STAFF)
@json_only
@translating
@blp.response(200, schemas.EditionOut)
@blp.doc(security=SECURITY)
def lock_edition(edition_id: str, action: str):
    """Lock the edition's ESF data (participants can no longer correct it) or unlock it."""
    editions.set_locked(_kit(), edition_id, action == "lock", actor().label)
    return edition_out(*editions.get(_kit(), edition_id))


@blp.route("/editions/<edition_id>/anonymise", methods=["POST"])
@auth.requires(*STAFF)
@json_only
@translating
@blp.arguments(schemas.AnonymiseIn)
@blp.response(200, schemas.AnonymisedOut)
@blp.alt_response(409, description="Retention period still running, no last payment date, or done already")
@blp.doc(security=SECURITY)
def anonymise_edition(data: dict, edition_id: str):
    """Past the retention date: keep the indicators, drop names, codes, birth dates, e-mails, residence."""
    count = editions.anonymise(_kit(), edition_id, actor().label)
    return {"edition_id": edition_id, "participants_anonymised": count}


# -- indicators, completeness, participants ----------------------------------------------------------------

@blp.route("/editions/<edition_id>/indicators")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.arguments(schemas.GroupQuery, location="query")
@blp.response(200, schemas.IndicatorReportOut)
@blp.doc(security=SECURITY)
def edition_indicators(query: dict, edition_id: str):
    """The edition's chosen indicator set, by sex, with unknown and declined counted apart."""
    queries.check_own_group(_kit(), query.get("group_id"), cities())
    return report_out(editions.indicators(_kit(), edition_id, query.get("group_id")))


@blp.route("/groups/<group_id>/indicators")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.response(200, schemas.IndicatorReportOut)
@blp.doc(security=SECURITY)
def group_indicators(group_id: str):
    queries.check_group(_kit(), group_id, cities())
    return report_out(editions.indicators_for_group(_kit(), group_id))


@blp.route("/editions/<edition_id>/completeness")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.arguments(schemas.GroupQuery, location="query")
@blp.response(200, schemas.CompletenessOut)
@blp.doc(security=SECURITY)
def completeness(query: dict, edition_id: str):
    """Who still owes which ESF answers, with each one's deadline."""
    result = queries.completeness(_kit(), edition_id, query.get("group_id"), cities())
    return {"edition_id": edition_id, "group_id": result.group_id, "today": result.today,
            "deadline_weeks": result.edition.deadline_weeks, "deadline_date": result.edition.deadline_date,
            "counts": result.counts,
            "participants": [{"participant_id": line.row.participant.participant_id,
                              "first_name": line.row.participant.first_name,
                              "last_name": line.row.participant.last_name, "group_id": line.row.participant.group_id,
                              "city": line.row.record.city, "entry_date": line.row.participant.entry_date,
                              "deadline": line.deadline, "overdue": line.overdue,
                              "form_missing": list(line.form_missing),
                              "attendance_missing": list(line.attendance_missing)} for line in result.lines]}


@blp.route("/editions/<edition_id>/participants")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.arguments(schemas.GroupQuery, location="query")
@blp.response(200, schemas.ParticipantOut(many=True))
@blp.doc(security=SECURITY)
def edition_participants(query: dict, edition_id: str):
    """Participants with masked personal codes and no special-category answers."""
    _, rows = queries.participants(_kit(), edition_id, query.get("group_id"), cities())
    return [participant_out(row) for row in rows]


@blp.route("/participants/<participant_id>")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.response(200, schemas.ParticipantDetailOut)
@blp.doc(security=SECURITY)
def participant(participant_id: str):
    row, _, _ = queries.participant(_kit(), participant_id, cities())
    return detail_out(row)


@blp.route("/participants/<participant_id>/reveal", methods=["POST"])
@auth.requires(*STAFF, scoped=True)
@json_only
@translating
@participant_in_scope
@blp.arguments(schemas.RevealIn)
@blp.response(200, schemas.RevealOut)
@blp.doc(security=SECURITY)
def reveal(data: dict, participant_id: str):
    """The full personal code, for a stated reason; every reveal is logged (who, when, whose)."""
    code = exports.reveal_personal_code(_kit(), participant_id, data["reason"], actor())
    return {"participant_id": participant_id, "personal_code": code}


@blp.route("/participants/<participant_id>/data-export")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.doc(security=SECURITY, responses={200: {"description": "The person's data as a JSON file (logged)"}})
def own_data(participant_id: str):
    """Everything held about one person, for their subject access request (logged)."""
    queries.check_participant(_kit(), participant_id, cities())
    return _file(exports.own_data(_kit(), participant_id, actor()))


@blp.route("/editions/<edition_id>/exports/<kind>")
@auth.requires(*STAFF, scoped=True)
@translating
@blp.arguments(schemas.GroupQuery, location="query")
@blp.doc(security=SECURITY, responses={200: {"description": "participants.csv | participants.xlsx | "
                                                           "indicators.xlsx | indicators.csv (logged)"}})
def export(query: dict, edition_id: str, kind: str):
    if kind not in EXPORT_KINDS:
        abort(404, message="no such export")
    what, fmt = EXPORT_KINDS[kind]
    queries.check_own_group(_kit(), query.get("group_id"), cities())
    run = exports.export_participants if what == "participants" else exports.export_indicators
    return _file(run(_kit(), edition_id, fmt, actor(), query.get("group_id")))


@blp.route("/export-log")
@auth.requires(*STAFF)
@blp.response(200, schemas.ExportLogOut(many=True))
@blp.doc(security=SECURITY)
def export_log():
    return queries.export_log(_kit())


@blp.route("/reveal-log")
@auth.requires(*STAFF)
@blp.response(200, schemas.RevealLogOut(many=True))
@blp.doc(security=SECURITY)
def reveal_log():
    return queries.reveal_log(_kit())
