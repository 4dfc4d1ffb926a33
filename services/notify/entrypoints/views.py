"""Notify pages for coordinators: the outbox, one e-mail, and the template previews."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from services.notify.domain.rendering import SAMPLE_CONTEXTS, TEMPLATES, render
from services.notify.service_layer import emails
from shared import auth, clock
from shared.web import t

blueprint = Blueprint("notify", __name__)


def _kit():
    return current_app.extensions["kit"]


@blueprint.app_template_filter("tallinn")
def tallinn(moment) -> str:
    """Stored in UTC, shown on the Tallinn wall clock."""
    return clock.local(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


@blueprint.get("/")
@auth.requires("coordinator")
def index():
    status = request.args.get("status") or None
    template = request.args.get("template") or None
    if status not in (None, *emails.STATUSES) or template not in (None, *TEMPLATES):
        abort(404)
    kit = _kit()
    return render_template("notify/outbox.html", rows=emails.listing(kit, status=status, template=template),
                           counts=emails.counts(kit), status=status, template=template,
                           statuses=emails.STATUSES, templates=TEMPLATES, backend=kit.config.backend_name)


@blueprint.get("/emails/<email_id>")
@auth.requires("coordinator")
def detail(email_id: str):
    try:
        email = emails.get(_kit(), email_id)
    except emails.EmailNotFound:
        abort(404)
    return render_template("notify/email.html", email=email)


@blueprint.post("/emails/<email_id>/resend")
@auth.requires("coordinator")
def resend(email_id: str):
    # CSRF is checked by the app-wide CSRFProtect before this runs.
    user = auth.current_user()
    try:
        emails.resend(_kit(), email_id, user.email)
        flash(t("E-kiri on uuesti saatmise järjekorras.", "The e-mail is queued to be sent again."), "success")
    except emails.EmailNotFound:
        abort(404)
    except emails.NotResendable:
        flash(t("Uuesti saab saata ainult ebaõnnestunud e-kirja.", "Only a failed e-mail can be sent again."),
              "error")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/")
                    and not request.form.get("next", "").startswith("//")
                    else url_for("notify.detail", email_id=email_id))


@blueprint.get("/templates")
@auth.requires("coordinator")
def templates():
    return render_template("notify/templates.html", templates=TEMPLATES)


@blueprint.get("/templates/<name>")
@auth.requires("coordinator")
def template_preview(name: str):
    if name not in TEMPLATES:
        abort(404)
    previews = [(language, render(name, language, SAMPLE_CONTEXTS[name])) for language in ("et", "en")]
    return render_template("notify/template_preview.html", name=name, previews=previews, templates=TEMPLATES)
