"""Enrolment pages: the public application form and confirmation page, and the coordinator's.

Views only translate form input into a use case and its refusal back into messages next to
the inputs. Everything works without JavaScript (more rows come from an "add rows" button).
"""
from __future__ import annotations

import re
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.enrolment.config import claim_cap, claim_daily_rate
from services.enrolment.domain import application as rules
from services.enrolment.domain import composition as composition_rules
from services.enrolment.domain import counselling as counselling_rules
from services.enrolment.domain import team
from services.enrolment.domain.deadline import is_open
from services.enrolment.domain.edition import CODE_FIELDS, COMPOSITION_FIELDS, DEFAULT_CAPACITY_TEAMS
from services.enrolment.domain.problems import Errors
from services.enrolment.entrypoints import common, forms
from services.enrolment.entrypoints.api import IDEMPOTENCY_KEY, cities
from services.enrolment.entrypoints.common import actor, cap_phrase, conditions, kit, lang
from services.enrolment.service_layer import applications, counselling, decisions, editions, queries
from services.enrolment.service_layer.errors import Invalid, NotFound, Refused
from shared import auth, clock, i18n
from shared.collation import estonian_key
from shared.links import LinkInvalid
from shared.web import t

blueprint = Blueprint("enrolment", __name__)
COORDINATOR = ("coordinator",)

blueprint.add_app_template_filter(common.local_date, "local_date")
blueprint.add_app_template_filter(common.local_datetime, "local_datetime")
blueprint.add_app_template_filter(common.local_time, "local_time")
blueprint.add_app_template_filter(common.money, "money")


@blueprint.app_context_processor
def labels():
    return {"status_label": status_label, "kind_label": kind_label, "action_label": action_label,
            "history_detail": history_detail, "digits_text": digits_text, "cutoff_text": cutoff_text,
            "code_digits_sentence": code_digits_sentence}


def code_digits_sentence(edition: dict) -> str:
    """The public form's ": a local government's starts with 7, an NGO's (…) with 8 or 9" for the
    edition's digits (a kind without any: not said)."""
    kov, ngo = edition["local_government_registry_code_digits"], edition["ngo_registry_code_digits"]
    parts = []
    if kov:
        parts.append(t(f"kohalikul omavalitsusel algab see numbriga {digits_text(kov)}",
                       f"a local government's starts with {digits_text(kov)}"))
    if ngo:
        parts.append(t(f"vabaühendusel (MTÜ, SA) numbriga {digits_text(ngo)}",
                       f"an NGO's (association, foundation) with {digits_text(ngo)}") if kov else
                     t(f"vabaühendusel (MTÜ, SA) algab see numbriga {digits_text(ngo)}",
                       f"an NGO's (association, foundation) starts with {digits_text(ngo)}"))
    return ": " + ", ".join(parts) if parts else ""


def digits_text(digits: list[str]) -> str:
    """An edition's first digits of a registry code as a page names them ("8 või 9"; none: any)."""
    return rules.digits_text("".join(digits), lang()) if digits else t("mis tahes", "any digit")


def cutoff_text(view: dict) -> str:
    """The edition's substitution cut-off (an edition's or an application's view), with the date
    the team's group's cut-off day begins when it is known."""
    rule = composition_rules.SubstitutionRule(view["substitutions_allowed"], view["substitution_until_day"])
    text = composition_rules.substitution_cutoff_text(rule, lang())
    closes_at = view.get("substitution_closes_at")
    return f"{text[:-1]} ({common.local_date(closes_at)})." if closes_at and rule.allowed else text


def status_label(status: str) -> str:
    return {
        "submitted": t("Esitatud", "Submitted"), "accepted": t("Vastu võetud", "Accepted"),
        "waitlisted": t("Ootenimekirjas", "Waiting list"), "rejected": t("Tagasi lükatud", "Rejected"),
        "withdrawn": t("Tagasi võetud", "Withdrawn"), "active": t("Osaleb", "Active"),
        "substituted": t("Asendatud", "Substituted"),
    }.get(status, status)


def action_label(action: str) -> str:
    """A history row's action (``Decision.action``, a code the API keeps) in words."""
    return {
        "accepted": t("Vastu võetud", "Accepted"), "waitlisted": t("Ootenimekirja lisatud", "Put on the waiting list"),
        "rejected": t("Tagasi lükatud", "Rejected"), "withdrawn": t("Meeskond tagasi võetud", "Team withdrawn"),
        "member_withdrawn": t("Liige tagasi võetud", "Member withdrawn"),
        "member_substituted": t("Liige asendatud", "Member substituted"),
        decisions.CONFIRMATION_AGAIN: t("Kinnituspalve saadetud uuesti", "Confirmation request sent again"),
    }.get(action, action)


_REQUEST_ID = re.compile(r" \([A-Za-z0-9_.:-]{8,80}\)$")


def history_detail(action: str, detail: str) -> str:
    """A history row's detail as the page shows it: the request id a confirmation request sent
    again is recorded with (one e-mail per form) is the machine's, not the coordinator's."""
    return _REQUEST_ID.sub("", detail or "") if action == decisions.CONFIRMATION_AGAIN else detail


def kind_label(kind: str) -> str:
    return {"local_government": t("Kohalik omavalitsus", "Local government"),
            "ngo": t("Vabaühendus", "NGO")}.get(kind, kind)


# -- the public application form ------------------------------------------------------------------

def _set_choices(form: forms.ApplicationForm, cities: list[str]) -> None:
    # {value: label}: the form of choices WTForms keeps supporting.
    kinds = {"": t("— valige —", "— choose —"), "local_government": t("Kohalik omavalitsus", "Local government"),
             "ngo": t("Vabaühendus (MTÜ või SA)", "NGO (association or foundation)")}
    for entry in form.organisations:
        entry.form.kind.choices = kinds
    employers = {"": t("— valige —", "— choose —")} | {
        str(i + 1): f"{i + 1}. {(entry.form.name.data or '').strip() or t('organisatsioon', 'organisation')}"
        for i, entry in enumerate(form.organisations)}
    for entry in form.members:
        entry.form.organisation_key.choices = employers
    for entry in form.preferred_cities:
        entry.choices = {"": "—"} | {c: c for c in cities}
    form.language.choices = {"et": "eesti keel", "en": "English"}


def _render_apply(form, edition, *, general: dict | None = None, status: int = 200, notice: str | None = None):
    _set_choices(form, [g["city"] for g in edition["groups"]])
    form.edition_id.data = edition["edition_id"]
    # The other editions: those taking applications too (a link to each form), those not open yet (when).
    public = editions.public_editions(kit())
    return render_template("enrolment/apply.html", form=form, edition=edition, general=general or {},
                           notice=notice, error_count=_error_count(form, general),
                           also_open=[e for e in public["open"] if e["edition_id"] != edition["edition_id"]],
                           upcoming=[e for e in public["upcoming"] if e["edition_id"] != edition["edition_id"]]), status


def _error_count(form, general: dict | None) -> int:
    count = sum(len(v) for v in (general or {}).values())

    def walk(fields):
        nonlocal count
        for f in fields:
            if isinstance(f, forms.FormField):
                walk(f.form)
            elif isinstance(f, forms.FieldList):
                walk(f)
            else:
                count += len(f.errors or ())
    walk(form)
    return count


def _apply_edition() -> dict | None:
    """The edition of the form: on a POST the one the form was for (its hidden edition_id);
    else the one asked for (?edition=2019) if it takes applications now; else the newest
    taking applications; with none taking any, the newest (its page says when it opens)."""
    if request.method == "POST" and request.form.get("edition_id"):
        try:
            return editions.get_edition(kit(), request.form["edition_id"])
        except NotFound:
            pass  # not an edition: the submission says so, on the default edition's form
    chosen = request.args.get("edition")
    if chosen:
        found = next((e for e in editions.public_editions(kit())["open"] if e["edition_id"] == chosen), None)
        if found is not None:
            return found
    return editions.public_edition_view(kit())


@blueprint.route("/apply", methods=["GET", "POST"])
def apply():
    edition = _apply_edition()
    if edition is None:
        return render_template("enrolment/apply_closed.html", edition=None), 404
    if not editions.has_opened(edition, clock.now()) and request.method == "GET":
        # No edition takes applications now; the newest, prepared already: when it opens, and no form yet.
        return render_template("enrolment/apply_not_open.html", edition=edition), 200
    if not is_open(edition["application_deadline"], clock.now()):
        # After the deadline nothing is accepted, however the request arrives.
        return _apply_closed(edition, 409 if request.method == "POST" else 200)
    form = forms.ApplicationForm()
    if request.method == "GET":
        form.idempotency_key.data = str(uuid.uuid4())
        form.language.data = lang()
        return _render_apply(form, edition)
    form.validate()  # CSRF (the rules are the domain's)
    forms.ensure_errors_are_lists(form)
    if not IDEMPOTENCY_KEY.match(form.idempotency_key.data or ""):
        form.idempotency_key.data = str(uuid.uuid4())
    if form.add_rows.data:
        for _ in range(forms.ADD_ORGANISATIONS):
            if len(form.organisations) < forms.MAX_ORGANISATIONS:
                form.organisations.append_entry()
        for _ in range(forms.ADD_MEMBERS):
            if len(form.members) < forms.MAX_MEMBERS:
                form.members.append_entry()
        return _render_apply(form, edition)
    application, rows = forms.application_from_form(form)
    try:
        applications.submit_application(kit(), application, language=form.language.data or lang(),
                                        idempotency_key=form.idempotency_key.data,
                                        edition_id=form.edition_id.data or None)
    except Invalid as exc:
        general = forms.attach_errors(form, exc.errors, rows, lang())
        return _render_apply(form, edition, general=general, status=422)
    except Refused as exc:
        if exc.code == "applications_closed":
            return _apply_closed(edition, 409)
        notice = exc.message(lang())
        if exc.code == "applications_not_open":
            # Sent before the edition opens: refused, and everything typed stays on the form.
            notice += " " + t("Taotlust ei saadetud; kõik sisestatu on alles. Saatke see uuesti, kui taotlemine on "
                              "avanenud.", "The application was not sent; everything typed is kept. Send it again "
                              "once applications have opened.")
        return _render_apply(form, edition, status=exc.status, notice=notice)
    return redirect(url_for(".thanks", key=form.idempotency_key.data), 303)


def _apply_closed(edition: dict, status: int):
    """The closed application form; it points local governments to the counselling programme
    while that takes applications."""
    window = counselling.window(kit())
    return render_template("enrolment/apply_closed.html", edition=edition,
                           counselling_open=bool(window and window["open"])), status


@blueprint.get("/apply/thanks/<key>")
def thanks(key: str):
    receipt = queries.receipt_by_key(kit(), key) if IDEMPOTENCY_KEY.match(key) else None
    if receipt is None:
        return render_template("shared/error.html", status=404, code="not_found",
                               message=t("Taotlust ei leitud.", "Application not found.")), 404
    # Local governments first, then NGOs, by organisation and name (as notify's receipt lists them).
    return render_template("enrolment/thanks.html", receipt=receipt,
                           member_groups=team.member_groups(receipt["members"], estonian_key))


# -- a member's confirmation ------------------------------------------------------------------------

@blueprint.route("/p/<token>", methods=["GET", "POST"])
def confirm(token: str):
    try:
        participant_id = common.read_confirm_token(token)
    except LinkInvalid as exc:
        problem = common.link_problem(exc)
        return render_template("enrolment/link_invalid.html", message=problem.message(lang()),
                               expired=exc.expired), problem.status
    changed = None
    try:
        if request.method == "POST":
            try:
                # what the page stated (its hidden fields: the cap and the digest of all it
                # stated): a change since is read again first
                view = applications.confirm_member(kit(), participant_id, request.form.get("claim_cap"),
                                                   request.form.get("conditions_digest"))
            except Refused as exc:
                if exc.code != applications.CONDITIONS_CHANGED.code:
                    raise
                changed = exc
                view = applications.member_for_confirmation(kit(), participant_id)
        else:
            view = applications.member_for_confirmation(kit(), participant_id)
    except Refused as exc:
        return render_template("enrolment/link_invalid.html", message=exc.message(lang()), expired=False), exc.status
    if request.method == "GET" and view["language"] != i18n.DEFAULT and "lang" not in request.args \
            and i18n.COOKIE not in request.cookies:
        # The member chose English on the application: show it unless they chose otherwise here.
        return redirect(url_for(".confirm", token=token, lang=view["language"]))
    stated = view["stated"]  # the member's edition's terms: what they confirm
    return render_template("enrolment/confirm.html", view=view, conditions=conditions(lang(), stated),
                           cap_et=cap_phrase("et", stated), cap_en=cap_phrase("en", stated),
                           shown_cap=f"{stated.claim_cap:.2f}", shown_digest=stated.digest,
                           just_confirmed=request.method == "POST" and changed is None,
                           changed=changed and changed.message(lang())), changed.status if changed else 200


# -- staff ----------------------------------------------------------------------------------------

@blueprint.get("/")
@auth.requires("coordinator", "trainer", "finance", scoped=True)
def index():
    # The schedule for everyone; the counts only of the coordinator's own cities.
    edition = editions.working_edition_view(kit())
    upcoming = editions.current_edition_view(kit())
    user = auth.current_user()
    counts = queries.city_counts(kit(), cities=cities()) if user.has("coordinator") else []
    counselling_open = edition is not None and counselling_rules.is_window_open(
        edition["counselling_opens_at"], edition["counselling_effective_deadline"], clock.now())
    return render_template("enrolment/index.html", edition=edition, counts=counts,
                           is_coordinator=user.has("coordinator"),
                           is_whole_coordinator=user.has_whole("coordinator"), counselling_open=counselling_open,
                           open=edition is not None and editions.has_opened(edition, clock.now())
                           and is_open(edition["application_deadline"], clock.now()),
                           now=clock.now(), upcoming=upcoming if upcoming and edition and upcoming["edition_id"] != edition["edition_id"]
                           else None)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@blueprint.get("/applications")
@auth.requires(*COORDINATOR, scoped=True)
def applications_list():
    status, city, complete = (request.args.get("status") or None, request.args.get("city") or None,
                              request.args.get("complete") or None)
    # Earlier editions stay at hand beside the current one (?edition=2019); the current by default.
    years = editions.edition_years(kit())
    chosen = request.args.get("edition") or None
    edition_id = chosen if chosen in dict(years) else None
    rows = queries.list_applications(kit(), edition_id=edition_id, status=status, city=city,
                                     complete=_yes_no(complete), cities=cities())
    edition = editions.get_edition(kit(), edition_id) if edition_id else editions.working_edition_view(kit())
    return render_template("enrolment/applications.html", rows=rows, years=years,
                           counts=queries.city_counts(kit(), edition_id, cities=cities()),
                           edition=edition, filters={"status": status, "city": city, "complete": complete,
                                                     "edition": edition["edition_id"] if edition else None})


def _detail(application_id: str, *, errors: dict | None = None, status: int = 200, values: dict | None = None):
    detail = queries.application_detail(kit(), application_id, cities())
    return render_template("enrolment/application.html", app=detail, errors=errors or {},
                           values=values or {}, members=team.in_team_order(detail["members"], estonian_key),
                           counts={c["city"]: c for c in queries.city_counts(kit(), cities=cities())},
                           now=clock.now(), new_request_id=lambda: str(uuid.uuid4())), status


@blueprint.get("/applications/<application_id>")
@auth.requires(*COORDINATOR, scoped=True)
def application_detail(application_id: str):
    return _detail(application_id)


def _act(application_id: str, form_name: str, action, success: str):
    """Run a decision; on refusal show the page again with the message next to that form
    (an application of another city is refused as a whole: 403)."""
    queries.check_application(kit(), application_id, cities())
    try:
        result = action()
    except Refused as exc:
        if exc.status == 403:
            raise
        messages = [exc.message(lang())] if not exc.errors else \
            [p.text(lang()) for problems in exc.errors.values() for p in problems]
        return _detail(application_id, errors={form_name: messages}, status=exc.status,
                       values={form_name: dict(request.form)})
    flash(success, "success")
    for warning in result.get("warnings") or []:
        flash(warning.text(lang()), "error")
    nxt = result.get("next_on_waiting_list")
    if nxt:
        flash(t(f"Rühmas vabanes koht. Ootenimekirjas järgmine: {nxt['team_name']}.",
                f"A place is free in the group. Next on the waiting list: {nxt['team_name']}."), "success")
        return redirect(url_for(".group_page", group_id=result["freed_group_id"]), 303)
    return redirect(url_for(".application_detail", application_id=application_id), 303)


@blueprint.post("/applications/<application_id>/accept")
@auth.requires(*COORDINATOR, scoped=True)
def accept(application_id: str):
    city = request.form.get("city", "")
    return _act(application_id, "accept", lambda: decisions.accept(kit(), application_id, city, actor(), cities()),
                t(f"Meeskond võeti vastu rühma {city}.", f"The team was accepted into the {city} group."))


@blueprint.post("/applications/<application_id>/waitlist")
@auth.requires(*COORDINATOR, scoped=True)
def waitlist(application_id: str):
    city = request.form.get("city", "")
    return _act(application_id, "waitlist", lambda: decisions.waitlist(kit(), application_id, city, actor(), cities()),
                t(f"Meeskond lisati rühma {city} ootenimekirja.", f"The team was put on the {city} waiting list."))


@blueprint.post("/applications/<application_id>/reject")
@auth.requires(*COORDINATOR, scoped=True)
def reject(application_id: str):
    reason = request.form.get("reason", "")
    return _act(application_id, "reject", lambda: decisions.reject(kit(), application_id, reason, actor(), cities()),
                t("Taotlus lükati tagasi.", "The application was rejected."))


@blueprint.post("/applications/<application_id>/withdraw")
@auth.requires(*COORDINATOR, scoped=True)
def withdraw(application_id: str):
    reason = request.form.get("reason", "")
    return _act(application_id, "withdraw",
                lambda: decisions.withdraw_application(kit(), application_id, reason, actor(), cities()),
                t("Meeskond võeti programmist tagasi.", "The team was withdrawn from the programme."))


@blueprint.post("/applications/<application_id>/members/<participant_id>/withdraw")
@auth.requires(*COORDINATOR, scoped=True)
def withdraw_member(application_id: str, participant_id: str):
    reason = request.form.get("reason", "")
    return _act(application_id, f"withdraw-{participant_id}",
                lambda: decisions.withdraw_member(kit(), application_id, participant_id, reason, actor(),
                                                           cities()),
                t("Liige võeti meeskonnast tagasi.", "The member was withdrawn from the team."))


@blueprint.post("/applications/<application_id>/members/<participant_id>/confirmation-again")
@auth.requires(*COORDINATOR, scoped=True)
def confirmation_again(application_id: str, participant_id: str):
    """'Send the confirmation request again' (the expired-link page promises it): one e-mail per
    form shown (its request_id), with a link signed when notify sends it."""
    form_name = f"again-{participant_id}"
    queries.check_application(kit(), application_id, cities())
    request_id = request.form.get("request_id", "")
    if not IDEMPOTENCY_KEY.match(request_id):
        return _detail(application_id, status=400, errors={form_name: [t(
            "Vormist puudus päringu tunnus: laadige leht uuesti ja proovige veel.",
            "The form lacked its request id: reload the page and try again.")]})
    return _act(application_id, form_name,
                lambda: decisions.request_confirmation_again(kit(), application_id, participant_id, request_id,
                                                             actor(), cities()),
                t("Kinnituspalve saadetakse liikmele uuesti, uue isikliku lingiga.",
                  "The confirmation request is sent to the member again, with a new personal link."))


@blueprint.route("/applications/<application_id>/members/<participant_id>/substitute", methods=["GET", "POST"])
@auth.requires(*COORDINATOR, scoped=True)
def substitute(application_id: str, participant_id: str):
    detail = queries.application_detail(kit(), application_id, cities())
    leaving = next((m for m in detail["members"] if m["participant_id"] == participant_id), None)
    if leaving is None:
        return render_template("shared/error.html", status=404, code="not_found",
                               message=t("Liiget ei leitud.", "Member not found.")), 404
    form = forms.SubstituteForm()
    form.organisation_id.choices = {"": t("— valige —", "— choose —")} | {
        o["organisation_id"]: f"{o['name']} ({kind_label(o['kind'])})" for o in detail["organisations"]}
    general: list[str] = []
    status = 200
    if request.method == "POST":
        form.validate()
        forms.ensure_errors_are_lists(form)
        newcomer = rules.Member(first_name=form.first_name.data or "", last_name=form.last_name.data or "",
                                email=form.email.data or "", phone=form.phone.data or "",
                                position=form.position.data or "", organisation_key=form.organisation_id.data or "")
        try:
            result = decisions.substitute_member(kit(), application_id, participant_id, newcomer, actor(), cities())
        except Refused as exc:
            status = exc.status
            general = _attach_simple(form, exc.errors) if exc.errors else [exc.message(lang())]
        else:
            flash(t("Liige asendati. Uus liige saab kinnituslingi e-postiga.",
                    "The member was substituted. The new member gets a confirmation link by e-mail."), "success")
            if result.get("late_joining"):
                # Judged at the substitution's moment (the page may have been read before day I began).
                flash(result["late_joining"].text(lang()), "error")
            return redirect(url_for(".application_detail", application_id=application_id), 303)
    return render_template("enrolment/substitute.html", form=form, app=detail, leaving=leaving,
                           general=general), status


def _attach_simple(form, errors: Errors) -> list[str]:
    general = []
    for path, problems in errors.items():
        texts = [p.text(lang()) for p in problems]
        if path in form:
            form[path].errors = [*form[path].errors, *texts]
        else:
            general.extend(texts)
    return general


@blueprint.get("/groups/<group_id>")
@auth.requires(*COORDINATOR, scoped=True)
def group_page(group_id: str, errors: list[str] | None = None, status: int = 200):
    return render_template("enrolment/group.html", group=queries.waiting_list(kit(), group_id, cities()),
                           errors=errors or []), status


@blueprint.post("/groups/<group_id>/promote")
@auth.requires(*COORDINATOR, scoped=True)
def promote(group_id: str):
    try:
        result = decisions.promote(kit(), group_id, actor(), cities())
    except Refused as exc:
        if exc.status == 403:
            raise
        return group_page(group_id, errors=[exc.message(lang())], status=exc.status)
    flash(t("Ootenimekirja järgmine meeskond võeti vastu.", "The next team on the waiting list was accepted.")
          if result["changed"] else t("Meeskond oli juba vastu võetud.", "The team was already accepted."),
          "success")
    return redirect(url_for(".group_page", group_id=group_id), 303)


# -- editions -------------------------------------------------------------------------------------

@blueprint.get("/editions")
@auth.requires(*COORDINATOR)
def editions_list():
    return render_template("enrolment/editions.html", editions=editions.list_editions(kit()))


def _edition_form_from(edition: dict) -> forms.EditionForm:
    data = {"year": str(edition["year"]), "name": edition["name"],
            "deadline_date": clock.local(edition["application_deadline"]).strftime("%Y-%m-%d"),
            "deadline_time": clock.local(edition["application_deadline"]).strftime("%H:%M:%S"),
            **_opening_fields(edition),
            "claim_cap": str(edition["claim_cap"]), "claim_daily_rate": str(edition["claim_daily_rate"]),
            "counselling_deadline_date": clock.local(edition["counselling_deadline"]).strftime("%Y-%m-%d")
            if edition["counselling_deadline"] else "",
            "counselling_deadline_time": clock.local(edition["counselling_deadline"]).strftime("%H:%M:%S")
            if edition["counselling_deadline"] else "",
            "counselling_min_selected": str(edition["counselling_min_selected"]),
            "counselling_max_selected": str(edition["counselling_max_selected"]),
            **{name: str(edition[name]) for name in COMPOSITION_FIELDS},
            "vat_applies": {True: "yes", False: "no"}.get(edition["vat_applies"], ""),
            **{name: forms.digits_input(edition[name]) for name in CODE_FIELDS},
            "substitution_cutoff": str(edition["substitution_until_day"]) if edition["substitutions_allowed"]
            else "none",
            "groups": [{"group_id": g["group_id"], "city": g["city"], "capacity_teams": str(g["capacity_teams"]),
                        "sessions": [{"date": clock.local(s["starts_at"]).strftime("%Y-%m-%d"),
                                      "starts": common.local_time(s["starts_at"]),
                                      "ends": common.local_time(s["ends_at"]), "venue": s["venue"],
                                      "seats": "" if s["seats"] is None else str(s["seats"])}
                                     for s in g["sessions"]]} for g in edition["groups"]]}
    form = forms.EditionForm(data=data)
    _new_group_row(form)  # a blank row: a new city
    return form


def _opening_fields(edition: dict) -> dict:
    """When the edition's applications open, as the form shows it (Tallinn, to the minute)."""
    local = clock.local(edition["applications_open_at"])
    return {"opens_date": local.strftime("%Y-%m-%d"), "opens_time": local.strftime("%H:%M")}


def _new_group_row(form: forms.EditionForm, entry=None) -> None:
    """A row for a new city: the brochure's group size (``DEFAULT_CAPACITY_TEAMS``) and its days at
    the brochure's hours (10:00–17:00), as on a new edition's first row; a coordinator changes
    them where a group differs."""
    entry = entry or form.groups.append_entry()
    entry.form.capacity_teams.data = entry.form.capacity_teams.data or str(DEFAULT_CAPACITY_TEAMS)
    for s in entry.form.sessions:
        s.form.starts.data, s.form.ends.data = s.form.starts.data or "10:00", s.form.ends.data or "17:00"


def _render_edition_form(form, edition_id: str | None, general: list[str], status: int = 200):
    # The default counselling deadline as it stands (the saved schedule's), to say so on the form.
    current = editions.get_edition(kit(), edition_id) if edition_id else None
    default = counselling_rules.default_deadline(current["counselling_opens_at"]) \
        if current and current["counselling_opens_at"] else None
    form.vat_applies.choices = {"": t("teenuse seadistus", "the service's setting"), "yes": t("jah", "yes"),
                                "no": t("ei", "no")}
    form.substitution_cutoff.choices = {
        "1": t("enne rühma esimest koolituspäeva", "before the group's first session day"),
        "2": t("enne rühma teist koolituspäeva", "before the group's second session day"),
        "3": t("enne rühma kolmandat koolituspäeva", "before the group's third session day"),
        "none": t("ei saa asendada", "no substitutions")}
    return render_template("enrolment/edition_form.html", form=form, edition_id=edition_id, general=general,
                           counselling_default=default, counselling_days=counselling_rules.DEFAULT_DEADLINE_DAYS,
                           announced=current and current["counselling_announced_at"]), status


@blueprint.route("/editions/new", methods=["GET", "POST"])
@blueprint.route("/editions/<edition_id>/edit", methods=["GET", "POST"])
@auth.requires(*COORDINATOR)
def edition_form(edition_id: str | None = None):
    if request.method == "GET":
        if edition_id is None:
            form = forms.EditionForm()
            form.deadline_time.data = "23:59:59"
            # The settings are a new edition's defaults; the coordinator may set others.
            form.claim_cap.data = str(claim_cap(kit().settings))
            form.claim_daily_rate.data = str(claim_daily_rate(kit().settings))
            form.counselling_min_selected.data = str(counselling_rules.DEFAULT_MIN_SELECTED)
            form.counselling_max_selected.data = str(counselling_rules.DEFAULT_MAX_SELECTED)
            # The brochure's composition rule, and VAT as billing's setting has it, unless set otherwise.
            form.min_team_members.data = str(composition_rules.MIN_MEMBERS)
            form.min_local_government_members.data = str(composition_rules.MIN_LOCAL_GOVERNMENT_MEMBERS)
            form.min_ngo_members.data = str(composition_rules.MIN_NGO_MEMBERS)
            # The brochure's registry code digits and substitution cut-off.
            form.local_government_registry_code_digits.data = forms.digits_input(rules.DEFAULT_LOCAL_GOVERNMENT_DIGITS)
            form.ngo_registry_code_digits.data = forms.digits_input(rules.DEFAULT_NGO_DIGITS)
            form.substitution_cutoff.data = str(composition_rules.DEFAULT_SUBSTITUTION_UNTIL_DAY)
            for entry in form.groups:
                _new_group_row(form, entry)
        else:
            form = _edition_form_from(editions.get_edition(kit(), edition_id))
        return _render_edition_form(form, edition_id, [])
    form = forms.EditionForm()
    form.validate()
    forms.ensure_errors_are_lists(form)
    if form.add_group.data:
        _new_group_row(form)
        return _render_edition_form(form, edition_id, [])
    revision = editions.get_edition(kit(), edition_id)["revision"] if edition_id else None
    data, unread = forms.edition_from_form(form)
    if edition_id is not None and _opening_fields(editions.get_edition(kit(), edition_id)) == {
            "opens_date": (form.opens_date.data or "").strip(), "opens_time": (form.opens_time.data or "").strip()}:
        # The moment as the form showed it (to the minute): kept as it is.
        data.pop("applications_open_at", None)
    general: list[str] = []
    rows = [i for i, entry in enumerate(form.groups)
            if not entry.form.remove.data and ((entry.form.city.data or "").strip() or entry.form.group_id.data)]
    if unread:
        # Some inputs could not be read: the domain judges the rest too, so that every error
        # is shown now, not only once these are corrected.
        found, conflict = editions.edition_problems(kit(), data, edition_id)
        errors = {**unread}
        for path, problems in forms.judged_on_what_was_read(_remap_groups(found, rows), unread).items():
            errors.setdefault(path, []).extend(problems)
        status = 409 if conflict else 422
    else:
        try:
            spec = editions.edition_spec(kit(), data, edition_id)
            saved_id, changed = editions.save_edition(kit(), spec, actor(), edition_id=edition_id)
        except Refused as exc:
            status = exc.status
            errors = _remap_groups(exc.errors, rows)
            if not errors:
                general.append(exc.message(lang()))
        else:
            published = changed and (revision is None or editions.get_edition(kit(), saved_id)["revision"] != revision)
            flash(t("Lend salvestati ja ajakava avaldati.", "The edition was saved and its schedule published.")
                  if published else t("Lend salvestati.", "The edition was saved.") if changed
                  else t("Muudatusi ei olnud.", "Nothing changed."), "success")
            return redirect(url_for(".editions_list"), 303)
    general += forms.attach_edition_errors(form, errors, lang())
    if errors and not general:
        # The inputs at fault may be far down the form: say so at its top.
        general.append(t("Lendu ei salvestatud: vead on märgitud väljade juures, kõik sisestatu on alles.",
                         "The edition was not saved: the errors are shown next to the fields; everything typed "
                         "is kept."))
    return _render_edition_form(form, edition_id, general, status)


def _remap_groups(errors: Errors, rows: list[int]) -> Errors:
    """The service numbers the groups it was given; the form has blank and removed rows too."""
    remapped: Errors = {}
    for path, problems in errors.items():
        parts = path.split(".")
        if parts[0] == "groups" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(rows):
            parts[1] = str(rows[int(parts[1])])
        remapped.setdefault(".".join(parts), []).extend(problems)
    return remapped


# -- the counselling programme ------------------------------------------------------------------------

def _counselling_closed(window: dict | None, status: int):
    return render_template("enrolment/counselling_closed.html", window=window), status


def _render_counselling(form, window: dict, *, general: dict | None = None, status: int = 200,
                        notice: str | None = None):
    form.language.choices = {"et": "eesti keel", "en": "English"}
    count = sum(len(v) for v in (general or {}).values()) + _error_count(form, None)
    return render_template("enrolment/counselling_apply.html", form=form, window=window, general=general or {},
                           notice=notice, error_count=count), status


@blueprint.route("/counselling", methods=["GET", "POST"])
def counselling_apply():
    """The public form: open from the end of the edition's last session until its counselling deadline."""
    window = counselling.window(kit())
    if window is None:
        return _counselling_closed(None, 404)
    if not window["open"]:
        # Before it opens and after it closes nothing is accepted, however the request arrives.
        return _counselling_closed(window, 409 if request.method == "POST" else 200)
    form = forms.CounsellingForm()
    if request.method == "GET":
        form.idempotency_key.data = str(uuid.uuid4())
        form.language.data = lang()
        return _render_counselling(form, window)
    form.validate()  # CSRF (the rules are the domain's)
    forms.ensure_errors_are_lists(form)
    if not IDEMPOTENCY_KEY.match(form.idempotency_key.data or ""):
        form.idempotency_key.data = str(uuid.uuid4())
    if form.add_rows.data:
        for name, more, limit in (
                ("local_governments", forms.ADD_LOCAL_GOVERNMENTS, counselling_rules.MAX_LOCAL_GOVERNMENTS),
                ("ngo_partners", forms.ADD_NGOS, counselling_rules.MAX_NGOS)):
            for _ in range(more):
                if len(form[name]) < limit:
                    form[name].append_entry()
        return _render_counselling(form, window)
    application, rows = forms.counselling_from_form(form)
    try:
        counselling.apply(kit(), application, language=form.language.data or lang(),
                          idempotency_key=form.idempotency_key.data)
    except Invalid as exc:
        general = forms.attach_counselling_errors(form, exc.errors, rows, lang())
        return _render_counselling(form, window, general=general, status=422)
    except Refused as exc:
        if exc.code in ("counselling_closed", "counselling_not_open", "no_edition"):
            return _counselling_closed(counselling.window(kit()), 409)
        return _render_counselling(form, window, status=exc.status, notice=exc.message(lang()))
    return redirect(url_for(".counselling_thanks", key=form.idempotency_key.data), 303)


@blueprint.get("/counselling/thanks/<key>")
def counselling_thanks(key: str):
    receipt = counselling.receipt_by_key(kit(), key) if IDEMPOTENCY_KEY.match(key) else None
    if receipt is None:
        return render_template("shared/error.html", status=404, code="not_found",
                               message=t("Taotlust ei leitud.", "Application not found.")), 404
    return render_template("enrolment/counselling_thanks.html", receipt=receipt)


def _counselling_page(edition_id: str, *, errors: list[str] | None = None, status: int = 200):
    return render_template("enrolment/counselling.html", c=counselling.overview(kit(), edition_id),
                           errors=errors or []), status


@blueprint.get("/editions/<edition_id>/counselling")
@auth.requires(*COORDINATOR)
def counselling_page(edition_id: str):
    return _counselling_page(edition_id)


MARKS = {"yes": True, "no": False, "": None}


@blueprint.post("/editions/<edition_id>/counselling/<counselling_application_id>/decision")
@auth.requires(*COORDINATOR)
def counselling_mark(edition_id: str, counselling_application_id: str):
    value = request.form.get("selected", "")
    if value not in MARKS:
        return _counselling_page(edition_id, errors=[t("Valige: valitud, ei valitud või otsustamata.",
                                                       "Choose: selected, not selected or undecided.")], status=422)
    try:
        counselling.mark(kit(), edition_id, counselling_application_id, MARKS[value], actor())
    except Refused as exc:
        if exc.status == 404:
            raise
        return _counselling_page(edition_id, errors=[exc.message(lang())], status=exc.status)
    return redirect(url_for(".counselling_page", edition_id=edition_id) + f"#c-{counselling_application_id}", 303)


@blueprint.post("/editions/<edition_id>/counselling/announce")
@auth.requires(*COORDINATOR)
def counselling_announce(edition_id: str):
    try:
        result = counselling.announce(kit(), edition_id, actor())
    except Refused as exc:
        if exc.status == 404:
            raise
        return _counselling_page(edition_id, errors=[exc.message(lang())], status=exc.status)
    flash(t(f"Valik kuulutati välja: {result['selected_count']} valitud, kõik {result['published']} kandidaati "
            "saavad teate.",
            f"The selection was announced: {result['selected_count']} selected; all {result['published']} "
            "applicants are told."), "success")
    return redirect(url_for(".counselling_page", edition_id=edition_id), 303)
