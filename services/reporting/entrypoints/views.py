"""ESF reporting pages: the participant's own data form (personal link, no sign-in) and the
coordinator's pages (editions, indicators, completeness, participants, exports, audit).

Views only translate forms into use-case calls. A refusal about a field is shown next to it
(the form re-rendered with what was typed); any other refusal as a message at the top.

City scope: a coordinator of some cities (``scoped=True`` routes) sees, checks and exports
only their cities' groups and participants (service_layer/queries.py); the edition's
settings, lock, anonymisation, audit log and whole-edition figures need a coordinator of
the whole edition.
"""
from __future__ import annotations

import io
import re
import uuid

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from services.reporting.domain.indicator_sets import load_indicator_set
from services.reporting.domain.personal_code import mask
from services.reporting.entrypoints import labels
from services.reporting.entrypoints.forms import (
    ActionForm,
    ConfirmForm,
    EsfForm,
    RevealForm,
    SettingsForm,
    parse_day,
)
from services.reporting.service_layer import deadlines, editions, exports, participant_data, queries
from services.reporting.service_layer.errors import Refused
from services.reporting.service_layer.participant_data import Answers, InvalidAnswers
from shared import auth, dates, i18n, links
from shared.web import t

blueprint = Blueprint("reporting", __name__)
STAFF = ("coordinator",)
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")  # a "send again" form's request id (the event's)
EXPORT_KINDS = {
    "participants.csv": ("participants", "csv"), "participants.xlsx": ("participants", "xlsx"),
    "indicators.xlsx": ("indicators", "xlsx"), "indicators.csv": ("indicators", "csv"),
}


def _kit():
    return current_app.extensions["kit"]


def _language() -> str:
    return i18n.select_locale()


def cities() -> tuple[str, ...] | None:
    """The cities the signed-in coordinator may see (None: every city)."""
    return auth.current_user().cities_for(*STAFF)


def _own_groups(found):
    """(edition, groups) with only the groups the user may open (the pages' group links)."""
    edition, groups = found
    return edition, [g for g in groups if auth.may_see(cities(), g.city)]


def actor() -> exports.Actor:
    user = auth.current_user()
    return exports.Actor(user.user_id, user.email, user.name)


def _message(exc: Refused) -> str:
    return exc.message(_language())


def _no_store(response):
    # Pages with personal data must not stay in a shared computer's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, http_status: int = 200, **context):
    return _no_store(make_response(render_template(template, **context), http_status))


@blueprint.app_template_global("label")
def label_global(kind: str, value) -> str:
    return labels.label(getattr(labels, kind), value)


@blueprint.app_template_global("masked")
def masked_global(code: str | None) -> str:
    return mask(code) or "—"


@blueprint.app_template_filter("day")
def day_filter(value) -> str:
    """dd.mm.yyyy in both languages (shared/dates.py)."""
    return dates.date_text(value, "—")


@blueprint.app_template_filter("moment")
def moment_filter(value) -> str:
    """dd.mm.yyyy HH:MM in Tallinn, in both languages (shared/dates.py)."""
    return dates.datetime_text(value, "—")


# -- the participant's form ------------------------------------------------------------------------

def _prefill(ctx: participant_data.FormContext) -> dict:
    esf = ctx.esf
    if esf is None:
        return {}
    data = {name: getattr(esf, name) for name in (
        "employment_status", "isced", "disability", "third_country_national", "foreign_background",
        "minority", "homeless", "rural_area", "county", "municipality")}
    # The stored code is never sent back to the browser: an empty field keeps it.
    data["has_code"] = "yes" if esf.personal_code else "no"
    if not esf.personal_code:
        data["birth_date"] = esf.birth_date.isoformat() if esf.birth_date else ""
    if not esf.sex_from_code:
        data["sex"] = esf.sex
    return data


def _answers(form: EsfForm) -> Answers:
    try:
        birth_date = parse_day(form.birth_date.data)
    except ValueError:
        birth_date = None
    return Answers(
        has_code=form.has_code.data == "yes", personal_code=form.personal_code.data or "",
        birth_date=birth_date, sex=form.sex.data or None,
        employment_status=form.employment_status.data or "", isced=form.isced.data or "",
        disability=form.disability.data or "", third_country_national=form.third_country_national.data or "",
        foreign_background=form.foreign_background.data or "", minority=form.minority.data or "",
        homeless=form.homeless.data or "", rural_area=form.rural_area.data or "",
        county=form.county.data or "", municipality=form.municipality.data or "", consent=bool(form.consent.data))


def _add_errors(form: EsfForm, errors: dict[str, tuple[str, str]]) -> None:
    for name, (et, en) in errors.items():
        field = getattr(form, name)
        if not field.errors:  # one message per field: the form's own comes first
            field.errors = [t(et, en)]


def _form_page(status: int, form: EsfForm, ctx, token: str, saved: bool = False):
    return _page("reporting/esf_form.html", status, form=form, ctx=ctx, token=token, saved=saved,
                 questions=list(labels.QUESTIONS.items()),
                 privacy_contact=_kit().settings.extra.get("privacy_contact"))


def _refused_link(status: int, message: str):
    return _page("reporting/link_refused.html", status, message=message)


@blueprint.route("/p/<token>", methods=["GET", "POST"])
def esf_form(token: str):
    settings = _kit().settings
    try:
        participant_id = links.read_token(settings.secret_key, "esf", token, settings.personal_link_max_age)
    except links.LinkInvalid as exc:
        return _refused_link(410 if exc.expired else 404, t(
            "Link on aegunud. Palun küsige programmi koordinaatorilt uus link." if exc.expired
            else "Link ei kehti. Kontrollige, et kopeerisite selle e-kirjast tervikuna.",
            "The link has expired. Please ask the programme coordinator for a new one." if exc.expired
            else "The link is not valid. Check that you copied all of it from the e-mail."))
    try:
        ctx = participant_data.form_context(_kit(), participant_id)
    except Refused as exc:
        return _refused_link(exc.status, _message(exc))
    language = ctx.participant.language
    if request.method == "GET" and language in i18n.LANGUAGES and language != i18n.DEFAULT \
            and "lang" not in request.args and i18n.COOKIE not in request.cookies:
        # The team chose English on its application (the e-mail with this link was in English):
        # show the form in it too, unless the participant has chosen a language here.
        return redirect(url_for("reporting.esf_form", token=token, lang=language, **request.args))
    # A post is read as sent; only a fresh page is filled in with the saved answers.
    form = EsfForm() if request.method == "POST" else EsfForm(data=_prefill(ctx))
    status = 200
    if request.method == "POST":
        if ctx.locked:
            return _form_page(409, form, ctx, token)
        if form.validate_on_submit():
            try:
                participant_data.submit(_kit(), participant_id, _answers(form), _language())
            except InvalidAnswers as exc:
                _add_errors(form, exc.errors)
                status = 422
            except Refused as exc:
                if exc.code != "locked":
                    return _refused_link(exc.status, _message(exc))
                ctx = participant_data.form_context(_kit(), participant_id)
                status = 409
            else:
                return redirect(url_for("reporting.esf_form", token=token, saved=1), code=303)
        else:
            status = 422
            if form.has_code.data in ("yes", "no"):
                # Run the rules too (the personal code above all), so every error shows at once.
                try:
                    participant_data.check(_answers(form), ctx.esf, editions.today(), ctx.earliest_day)
                except InvalidAnswers as exc:
                    _add_errors(form, exc.errors)
    return _form_page(status, form, ctx, token, saved=request.args.get("saved") == "1" and request.method == "GET")


# -- staff: editions -------------------------------------------------------------------------------

def _refused_page(exc: Refused):
    return _page("shared/error.html", exc.status, status=exc.status, code=exc.code, message=_message(exc))


def _refused_flash(exc: Refused, endpoint: str, **values):
    flash(_message(exc), "error")
    return redirect(url_for(endpoint, **values))


@blueprint.get("/")
@auth.requires(*STAFF, scoped=True)  # the list of editions: no personal data
def index():
    return _page("reporting/index.html", editions=editions.list_editions(_kit()), today=editions.today(),
                 is_due=editions.is_due, retention_date=editions.retention_date)


def _settings_form(edition) -> SettingsForm:
    return SettingsForm(data={
        "indicator_set": edition.indicator_set, "deadline_weeks": edition.deadline_weeks,
        "deadline_date": edition.deadline_date.isoformat() if edition.deadline_date else "",
        "last_payment_date": edition.last_payment_date.isoformat() if edition.last_payment_date else "",
        "retention_years": edition.retention_years})


def _edition_page(edition_id: str, form: SettingsForm | None = None, status: int = 200):
    edition, groups = editions.get(_kit(), edition_id)
    return _page("reporting/edition.html", status, edition=edition, groups=groups,
                 form=form or _settings_form(edition), action=ActionForm(),
                 indicator_set=load_indicator_set(edition.indicator_set),
                 retention_until=editions.retention_date(edition), due=editions.is_due(edition),
                 today=editions.today())


@blueprint.get("/editions/<edition_id>")
@auth.requires(*STAFF)
def edition(edition_id: str):
    try:
        return _edition_page(edition_id)
    except Refused as exc:
        return _refused_page(exc)


@blueprint.post("/editions/<edition_id>/settings")
@auth.requires(*STAFF)
def edition_settings(edition_id: str):
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            editions.update_settings(_kit(), edition_id, editions.Settings(
                indicator_set=form.indicator_set.data, deadline_weeks=form.deadline_weeks.data,
                deadline_date=parse_day(form.deadline_date.data),
                last_payment_date=parse_day(form.last_payment_date.data),
                retention_years=form.retention_years.data), actor().label)
        except editions.InvalidSettings as exc:
            for name, (et, en) in exc.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, t(et, en)]
        except Refused as exc:
            if exc.field:
                getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, _message(exc)]
            else:
                return _refused_flash(exc, "reporting.edition", edition_id=edition_id)
        else:
            flash(t("Seaded salvestatud.", "Settings saved."), "success")
            return redirect(url_for("reporting.edition", edition_id=edition_id), code=303)
    return _edition_page(edition_id, form, 422)


@blueprint.post("/editions/<edition_id>/<any(lock, unlock):action>")
@auth.requires(*STAFF)
def lock(edition_id: str, action: str):
    if not ActionForm().validate_on_submit():
        flash(t("Vormi turvatõend puudub; proovige uuesti.", "The form token is missing; try again."), "error")
        return redirect(url_for("reporting.edition", edition_id=edition_id))
    try:
        editions.set_locked(_kit(), edition_id, action == "lock", actor().label)
    except Refused as exc:
        return _refused_flash(exc, "reporting.edition", edition_id=edition_id)
    flash(t("ESF andmed lukustatud: osalejad ei saa neid enam muuta.", "ESF data locked: participants can no "
            "longer change it.") if action == "lock" else t("Lukk eemaldatud.", "Unlocked."), "success")
    return redirect(url_for("reporting.edition", edition_id=edition_id), code=303)


@blueprint.route("/editions/<edition_id>/anonymise", methods=["GET", "POST"])
@auth.requires(*STAFF)
def anonymise(edition_id: str):
    try:
        edition, groups = editions.get(_kit(), edition_id)
    except Refused as exc:
        return _refused_page(exc)
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                count = editions.anonymise(_kit(), edition_id, actor().label)
            except Refused as exc:
                return _refused_flash(exc, "reporting.edition", edition_id=edition_id)
            flash(t(f"Lend anonüümitud ({count} osaleja andmed). Näitajad on alles.",
                    f"Edition anonymised ({count} participants' data). The indicators are kept."), "success")
            return redirect(url_for("reporting.edition", edition_id=edition_id), code=303)
    return _page("reporting/anonymise.html", status, edition=edition, form=form,
                 retention_until=editions.retention_date(edition), due=editions.is_due(edition))


# -- staff: indicators, completeness, participants ----------------------------------------------------

@blueprint.get("/editions/<edition_id>/indicators")
@auth.requires(*STAFF, scoped=True)
def indicators(edition_id: str):
    group_id = request.args.get("group") or None
    try:
        if group_id is None and cities() is not None:
            # A coordinator of some cities starts at their first group, not the whole edition.
            own = _own_groups(editions.get(_kit(), edition_id))[1]
            if own:
                return redirect(url_for("reporting.indicators", edition_id=edition_id, group=own[0].group_id))
        queries.check_own_group(_kit(), group_id, cities())
        report = editions.indicators(_kit(), edition_id, group_id)
        edition, groups = _own_groups(editions.get(_kit(), edition_id))
    except Refused as exc:
        return _refused_page(exc)
    return _page("reporting/indicators.html", report=report, edition=edition, groups=groups, group_id=group_id)


@blueprint.get("/editions/<edition_id>/completeness")
@auth.requires(*STAFF, scoped=True)
def completeness(edition_id: str):
    group_id = request.args.get("group") or None
    try:
        result = queries.completeness(_kit(), edition_id, group_id, cities())
        _, groups = _own_groups(editions.get(_kit(), edition_id))
    except Refused as exc:
        return _refused_page(exc)
    only_missing = request.args.get("missing") == "1"
    lines = [line for line in result.lines if line.form_missing or not only_missing]
    return _page("reporting/completeness.html", result=result, lines=lines, groups=groups, group_id=group_id,
                 only_missing=only_missing, action=ActionForm(), new_request_id=lambda: str(uuid.uuid4()))


@blueprint.post("/editions/<edition_id>/completeness/<participant_id>/request-again")
@auth.requires(*STAFF, scoped=True)
def request_again(edition_id: str, participant_id: str):
    """'Send the ESF data request again' (the expired-link page promises it): one e-mail per form
    shown (its request_id), with a link signed when notify sends it."""
    queries.check_participant(_kit(), participant_id, cities())
    back = url_for("reporting.completeness", edition_id=edition_id, group=request.form.get("group") or None,
                   missing=request.form.get("missing") or None)
    request_id = request.form.get("request_id", "")
    if not ActionForm().validate_on_submit() or not REQUEST_ID.match(request_id):
        flash(t("Vormi turvatõend või päringu tunnus puudub; laadige leht uuesti.",
                "The form's token or request id is missing; reload the page."), "error")
        return redirect(back, code=303)
    try:
        deadlines.request_again(_kit(), edition_id, participant_id, request_id)
    except Refused as exc:
        flash(_message(exc), "error")
        return redirect(back, code=303)
    flash(t("ESF andmete palve saadetakse osalejale uuesti, uue isikliku lingiga.",
            "The ESF data request is sent to the participant again, with a new personal link."), "success")
    return redirect(back, code=303)


@blueprint.get("/editions/<edition_id>/participants")
@auth.requires(*STAFF, scoped=True)
def participants(edition_id: str):
    group_id = request.args.get("group") or None
    try:
        edition, rows = queries.participants(_kit(), edition_id, group_id, cities())
        _, groups = _own_groups(editions.get(_kit(), edition_id))
    except Refused as exc:
        return _refused_page(exc)
    return _page("reporting/participants.html", edition=edition, rows=rows, groups=groups, group_id=group_id)


def _participant_page(participant_id: str, *, reveal_form=None, revealed: str | None = None, status=200):
    row, edition, days = queries.participant(_kit(), participant_id, cities())
    return _page("reporting/participant.html", status, row=row, edition=edition, days=days,
                 reveal_form=reveal_form or RevealForm(), action=ActionForm(), revealed=revealed)


@blueprint.get("/participants/<participant_id>")
@auth.requires(*STAFF, scoped=True)
def participant(participant_id: str):
    try:
        return _participant_page(participant_id)
    except Refused as exc:
        return _refused_page(exc)


@blueprint.post("/participants/<participant_id>/reveal")
@auth.requires(*STAFF, scoped=True)
def reveal(participant_id: str):
    queries.check_participant(_kit(), participant_id, cities())  # before anything is logged
    form = RevealForm()
    if not form.validate_on_submit():
        return _participant_page(participant_id, reveal_form=form, status=422)
    try:
        code = exports.reveal_personal_code(_kit(), participant_id, form.reason.data, actor())
    except Refused as exc:
        if exc.field == "reason":
            form.reason.errors = [*form.reason.errors, _message(exc)]
            return _participant_page(participant_id, reveal_form=form, status=422)
        return _refused_flash(exc, "reporting.participant", participant_id=participant_id)
    # Shown once, in this response only (no-store); a reload asks again and is logged again.
    return _participant_page(participant_id, revealed=code)


def _download(export: exports.Export):
    response = send_file(io.BytesIO(export.data), mimetype=export.mimetype, as_attachment=True,
                         download_name=export.filename)
    return _no_store(response)


@blueprint.post("/participants/<participant_id>/data-export")
@auth.requires(*STAFF, scoped=True)
def own_data(participant_id: str):
    queries.check_participant(_kit(), participant_id, cities())
    if not ActionForm().validate_on_submit():
        return redirect(url_for("reporting.participant", participant_id=participant_id))
    try:
        return _download(exports.own_data(_kit(), participant_id, actor()))
    except Refused as exc:
        return _refused_flash(exc, "reporting.index")


@blueprint.get("/editions/<edition_id>/export/<kind>")
@auth.requires(*STAFF, scoped=True)
def export(edition_id: str, kind: str):
    if kind not in EXPORT_KINDS:
        return _refused_page(Refused(404, "not_found", "Sellist väljavõtet ei ole.", "No such export."))
    what, fmt = EXPORT_KINDS[kind]
    group_id = request.args.get("group") or None
    run = exports.export_participants if what == "participants" else exports.export_indicators
    try:
        queries.check_own_group(_kit(), group_id, cities())
        return _download(run(_kit(), edition_id, fmt, actor(), group_id))
    except Refused as exc:
        return _refused_page(exc)


@blueprint.get("/audit")
@auth.requires(*STAFF)
def audit():
    return _page("reporting/audit.html", exports=queries.export_log(_kit()), reveals=queries.reveal_log(_kit()))


@blueprint.errorhandler(Refused)
def refused_anywhere(exc: Refused):
    """A refusal no view caught (e.g. re-rendering a form for an edition that does not exist)."""
    return _refused_page(exc)
