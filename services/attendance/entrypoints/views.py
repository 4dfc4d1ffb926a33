"""Attendance pages: sessions, the sheet, make-ups, sign-in PDF, check-in, overviews.

Staff pages are guarded by role and by the session's (or group's) city. The participant's
pages (personal link, QR check-in) are public: the personal link identifies the phone with
a signed cookie, and the check-in code proves presence in the room.
"""
from __future__ import annotations

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from services.attendance.documents.signin_sheet import SheetRow, render_signin_sheet
from services.attendance.domain.checkin import checkin_code
from services.attendance.domain.makeup import ANY_LATER_SAME_DAY, BEFORE_OWN_NEXT_DAY, WINDOWS, MakeUpRule
from services.attendance.entrypoints import common
from services.attendance.service_layer import attendance, queries, rules
from services.attendance.service_layer.common import Refused, SheetInvalid, checkin_secret, to_domain
from shared import auth, clock, i18n, links
from shared.web import t

blueprint = Blueprint("attendance", __name__)
STAFF = common.STAFF
DEVICE_COOKIE = "po_checkin"
QR_REFRESH_SECONDS = 20  # the code changes every minute and stays valid for two
SHEET_POLL_SECONDS = 20  # how soon a self check-in shows on an open sheet page


@blueprint.app_template_filter("date")
def _date(moment):
    return common.date_text(moment)


@blueprint.app_template_filter("datetime")
def _datetime(moment):
    return common.datetime_text(moment)


@blueprint.app_template_filter("time")
def _time(moment):
    return common.time_text(moment)


class CsrfForm(FlaskForm):
    """The sheet's radios are read from the request (one per participant); this holds CSRF."""


class MakeUpForm(FlaskForm):
    participant_id = SelectField("Osaleja", validators=[DataRequired()], validate_choice=False)


class MakeUpRuleForm(FlaskForm):
    # Choices are checked by the view, so that the error is in the page's language.
    make_ups_allowed = SelectField("Järeletegemine", validate_choice=False)
    window = SelectField("Järeletegemise aeg", validate_choice=False)


def _rule_form(rule: MakeUpRule | None = None) -> MakeUpRuleForm:
    form = MakeUpRuleForm() if rule is None else MakeUpRuleForm(
        formdata=None, data={"make_ups_allowed": "yes" if rule.allowed else "no", "window": rule.window})
    form.make_ups_allowed.choices = [("yes", t("lubatud", "allowed")), ("no", t("ei ole lubatud", "not allowed"))]
    form.window.choices = [
        (BEFORE_OWN_NEXT_DAY, t("enne oma grupi järgmist päeva (III päev: igal hilisemal III päeval) – "
                                "programmi tutvustuse reegel",
                                "before the own group's next day (day III: any later day-III session) – "
                                "the brochure's rule")),
        (ANY_LATER_SAME_DAY, t("igal hilisemal sama päeva koolitusel", "any later session of the same day"))]
    return form


class CodeForm(FlaskForm):
    code = StringField("Kood", validators=[DataRequired(), Length(max=40)])


def _language() -> str:
    return i18n.select_locale()


def _staff_session(db, session_id):
    try:
        target = queries.session(db, session_id)
    except Refused:
        abort(404)
    auth.require_city(auth.current_user(), target.city, *STAFF)
    return target


# -- index ------------------------------------------------------------------------------------

@blueprint.get("/")
@auth.requires("coordinator", "trainer", "finance", scoped=True)
def index():
    user = auth.current_user()
    now = clock.now()
    with common.reading() as db:
        sessions = queries.sessions(db, user.cities_for(*STAFF))
        counts = queries.present_counts(db)
        editions = rules.editions(db)
    return render_template("attendance/index.html", sessions=sessions, counts=counts, now=now,
                           days={s.session_id: to_domain(s) for s in sessions}, editions=editions)


# -- the edition's make-up rule ------------------------------------------------------------------

def _rule_page(edition_id: str, form: MakeUpRuleForm | None = None, status: int = 200):
    with common.reading() as db:
        try:
            found = rules.view(db, edition_id)
        except Refused:
            abort(404)
    user = auth.current_user()
    return render_template("attendance/make_up_rule.html", found=found, form=form or _rule_form(found.rule),
                           may_change=user.has_whole("coordinator")), status


@blueprint.get("/editions/<edition_id>/make-up-rule")
@auth.requires(*STAFF, scoped=True)  # the rule and who set it: no participant's data
def make_up_rule(edition_id: str):
    return _rule_page(edition_id)


@blueprint.post("/editions/<edition_id>/make-up-rule")
@auth.requires("coordinator")  # the whole edition's: it decides dropouts in every city
def set_make_up_rule(edition_id: str):
    form = _rule_form()
    if form.validate_on_submit():
        if form.make_ups_allowed.data not in ("yes", "no"):
            form.make_ups_allowed.errors = [*form.make_ups_allowed.errors, t(
                "Valige, kas järeletegemine on lubatud.", "Choose whether make-ups are allowed.")]
        if form.window.data not in WINDOWS:
            form.window.errors = [*form.window.errors, t(
                "Valige, millal puudutud päeva saab järele teha.", "Choose when a missed day can be made up.")]
        if not form.make_ups_allowed.errors and not form.window.errors:
            rule = MakeUpRule(allowed=form.make_ups_allowed.data == "yes", window=form.window.data)
            try:
                changed = rules.set_make_up_rule(common.kit(), edition_id, rule, common.actor("page"))
            except Refused as exc:
                if exc.status == 404:
                    abort(404)
                flash(exc.message(_language()), "error")
                return _rule_page(edition_id, form, exc.status)
            if changed.changed:
                flash(t(f"Reegel salvestatud; kõigi osalejate seis arvutati ümber (ennistatud: {changed.reinstated}, "
                        f"katkestanud: {changed.dropped_out}).",
                        f"Rule saved; every participant's standing was recomputed (reinstated: {changed.reinstated}, "
                        f"dropped out: {changed.dropped_out})."), "success")
            else:
                flash(t("Reegel oli juba selline; midagi ei muutunud.", "The rule was so already; nothing changed."),
                      "success")
            return redirect(url_for("attendance.make_up_rule", edition_id=edition_id), code=303)
    return _rule_page(edition_id, form, 422)


# -- the sheet ----------------------------------------------------------------------------------

def _render_sheet(session_id: str, *, typed=None, errors=None, make_up_form=None, status=200):
    now = clock.now()
    with common.reading() as db:
        target = _staff_session(db, session_id)
        view = queries.sheet(db, target)
        dropped_out = queries.dropped_out_of(db, [line.participant_id for line in view.lines])
        trail = queries.audit(db, session_id=session_id)
        candidates = queries.make_up_candidates(db, target, now)
    make_up_form = make_up_form or MakeUpForm()
    make_up_form.participant_id.choices = [("", t("— vali osaleja —", "— choose a participant —"))] + [
        (p.participant_id, f"{p.name} ({city})") for p, city in candidates]
    day = to_domain(target)
    # During the session the page polls the sheet's JSON and updates only the "Now" column, so
    # self check-ins show up without a reload that would lose the trainer's unsaved marks.
    live = None
    if day.is_in_progress(now):
        live = {"url": url_for("attendance_api.get_sheet", session_id=session_id),
                "every_ms": SHEET_POLL_SECONDS * 1000,
                "until_ms": int((target.ends_at - now).total_seconds() * 1000)}
    return render_template("attendance/sheet.html", view=view, day=day, trail=trail,
                           typed=typed or {}, errors=errors or {}, dropped_out=dropped_out, form=CsrfForm(),
                           make_up_form=make_up_form,
                           started=now >= target.starts_at, live=live), status


@blueprint.get("/sessions/<session_id>")
@auth.requires(*STAFF, scoped=True)
def sheet(session_id: str):
    return _render_sheet(session_id)


@blueprint.post("/sessions/<session_id>")
@auth.requires(*STAFF, scoped=True)
def save_sheet(session_id: str):
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    with common.reading() as db:
        lines = queries.sheet(db, _staff_session(db, session_id)).lines
        dropped_out = queries.dropped_out_of(db, [line.participant_id for line in lines])
    typed = {line.participant_id: request.form.get(f"mark-{line.participant_id}", "") for line in lines}
    # What the page showed for each line when it was loaded: a line the trainer left as it was
    # is not written back, so a page open since the morning does not undo a correction or a
    # self check-in recorded meanwhile (a form without them saves every line, as before).
    shown = {line.participant_id: request.form.get(f"shown-{line.participant_id}") for line in lines}
    recorded = {line.participant_id for line in lines if line.record is not None}
    untouched = {pid for pid, value in typed.items() if shown[pid] is not None and value == shown[pid]}
    if request.form.get("unmarked") == "present":
        # "Everyone else was here": the trainer marks the absent and saves the rest as present --
        # the rest still unrecorded, not someone recorded since the page was loaded, nor one
        # who has dropped out (present only if the trainer marks them so).
        unmarked = {pid for pid, value in typed.items()
                    if not value and not (pid in untouched and pid in recorded) and pid not in dropped_out}
        typed = {pid: "present" if pid in unmarked else value for pid, value in typed.items()}
        untouched -= unmarked
    marks = [(pid, value == "present") for pid, value in typed.items()
             if value in ("present", "absent") and pid not in untouched]
    language = _language()
    try:
        changed = attendance.save_sheet(common.kit(), session_id, marks, common.actor("sheet")).changed
    except SheetInvalid as exc:
        errors = {pid: r.message(language) for pid, r in exc.errors.items()}
        return _render_sheet(session_id, typed=typed, errors=errors, status=422)
    except Refused as exc:
        flash(exc.message(language), "error")
        return _render_sheet(session_id, typed=typed, status=422)
    flash(t(f"Salvestatud. Muudetud märkeid: {len(changed)}.", f"Saved. Marks changed: {len(changed)}."),
          "success")
    return redirect(url_for("attendance.sheet", session_id=session_id))


@blueprint.post("/sessions/<session_id>/make-ups")
@auth.requires(*STAFF, scoped=True)
def book_make_up(session_id: str):
    form = MakeUpForm()
    with common.reading() as db:
        _staff_session(db, session_id)
    if form.validate_on_submit():
        try:
            _, created = attendance.book_make_up(common.kit(), session_id, form.participant_id.data,
                                                 common.actor("sheet"))
        except Refused as exc:
            form.participant_id.errors = [exc.message(_language())]
            return _render_sheet(session_id, make_up_form=form, status=422)
        flash(t("Järeletegija lisatud lehele.", "Make-up participant added to the sheet.") if created
              else t("Osaleja on juba lehel.", "The participant is on the sheet already."), "success")
        return redirect(url_for("attendance.sheet", session_id=session_id))
    return _render_sheet(session_id, make_up_form=form, status=422)


@blueprint.get("/sessions/<session_id>/signin.pdf")
@auth.requires(*STAFF, scoped=True)
def signin_pdf(session_id: str):
    with common.reading() as db:
        target = _staff_session(db, session_id)
        view = queries.sheet(db, target)
    # Who is expected: the group and the booked make-ups (not people recorded absent as guests).
    rows = [SheetRow(line.participant.name, view.organisation(line),
                     make_up_from=view.city_of(line) if line.make_up else None)
            for line in view.lines if not line.make_up or line.booked]
    pdf = render_signin_sheet(to_domain(target), rows, language=_language())
    filename = f"allkirjaleht-{target.session_id}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


# -- check-in: the trainer's screen ------------------------------------------------------------------

@blueprint.get("/sessions/<session_id>/checkin")
@auth.requires(*STAFF, scoped=True)
def checkin_screen(session_id: str):
    now = clock.now()
    with common.reading() as db:
        target = _staff_session(db, session_id)
        view = queries.sheet(db, target)
    day = to_domain(target)
    qr_svg = url = code = None
    if day.is_in_progress(now):
        code = checkin_code(checkin_secret(common.kit().settings.secret_key), session_id, now)
        url = f"{common.kit().settings.base_url}/attendance/checkin/{session_id}/{code}"
        # Rendered here as inline SVG: no JavaScript, no image requests, works offline on a projector.
        qr_svg = segno.make(url, error="m").svg_inline(scale=8, title=t("Registreerimise QR-kood",
                                                                          "Check-in QR code"))
    return render_template("attendance/checkin_screen.html", view=view, day=day, qr_svg=qr_svg, url=url,
                           code=code, refresh=QR_REFRESH_SECONDS, now=now)


# -- check-in: the participant's phone ----------------------------------------------------------------

def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(common.kit().settings.secret_key, salt="attendance-checkin-device")


def _device_participant() -> str | None:
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        return _device_serializer().loads(value, max_age=common.kit().settings.personal_link_max_age)
    except BadSignature:
        return None


def _public(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/p/<token>")
def personal_link(token: str):
    settings = common.kit().settings
    try:
        participant_id = links.read_token(settings.secret_key, "checkin", token, settings.personal_link_max_age)
    except links.LinkInvalid as exc:
        return _public("attendance/refused.html", 410 if exc.expired else 404, message=t(
            "Link on aegunud." if exc.expired else "Link ei kehti.",
            "The link has expired." if exc.expired else "The link is not valid."))
    with common.reading() as db:
        found = queries.participant_for_checkin(db, participant_id)
    if found is None:
        return _public("attendance/refused.html", 404, message=t(
            "Te ei ole veel ühegi grupi nimekirjas.", "You are not on any group's list yet."))
    participant, sessions = found
    response = _public("attendance/participant.html", participant=participant, sessions=sessions,
                       form=CodeForm(), now=clock.now())
    # The phone now identifies the participant: scanning the room's QR code is all it takes.
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(participant_id),
                        max_age=settings.personal_link_max_age, path=(request.script_root or "") + "/",
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _check_in(session_id: str, code: str):
    participant_id = _device_participant()
    if participant_id is None:
        return _public("attendance/refused.html", 403, message=t(
            "Telefon ei tea, kes te olete. Avage kõigepealt oma isiklik registreerimislink (e-kirjast) "
            "ja skaneerige siis QR-kood uuesti.",
            "This phone does not know who you are. Open your personal check-in link (from the e-mail) "
            "first, then scan the QR code again."))
    try:
        result = attendance.self_check_in(common.kit(), session_id, code, participant_id)
    except Refused as exc:
        return _public("attendance/refused.html", exc.status, message=exc.message(_language()), reason=exc.code)
    return _public("attendance/checked_in.html", participant=result.participant, day=to_domain(result.session))


@blueprint.get("/checkin/<session_id>/<code>")
def scan(session_id: str, code: str):
    """The URL in the QR code. Marking on GET is safe here: it takes the current code of a
    running session and the participant's own signed cookie, and repeating it changes nothing."""
    return _check_in(session_id, code)


@blueprint.post("/checkin")
def typed_code():
    form = CodeForm()
    if not form.validate_on_submit():
        return _public("attendance/refused.html", 422, message=t("Sisestage ekraanil olev kood.",
                                                                 "Enter the code shown on the screen."))
    session_id = attendance.session_for_typed_code(common.kit(), form.code.data)
    if session_id is None:
        return _public("attendance/refused.html", 422, reason="invalid_code", message=t(
            "Kood on vale või aegunud, või ükski koolituspäev ei toimu praegu.",
            "The code is wrong or has expired, or no session is taking place now."))
    return _check_in(session_id, form.code.data.strip())


# -- overviews ------------------------------------------------------------------------------------

@blueprint.get("/groups/<group_id>")
@auth.requires(*STAFF, scoped=True)
def group_overview(group_id: str):
    now = clock.now()
    with common.reading() as db:
        try:
            group = queries.group(db, group_id)
        except Refused:
            abort(404)
        auth.require_city(auth.current_user(), group.city, *STAFF)
        rows = queries.group_rows(db, group_id, now)
        sessions = queries.group_sessions(db, group_id)
    return render_template("attendance/group.html", group=group, rows=rows, sessions=sessions, now=now,
                           at_risk=[r for r in rows if r.outcome == "at_risk"])


@blueprint.get("/at-risk")
@auth.requires(*STAFF, scoped=True)
def at_risk():
    now = clock.now()
    with common.reading() as db:
        rows = queries.at_risk(db, auth.current_user().cities_for(*STAFF), now)
    return render_template("attendance/at_risk.html", at_risk=rows, now=now)
