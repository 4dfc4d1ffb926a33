"""Notify JSON API (documented in /notify/openapi.json): the outbox, read and resend."""
from __future__ import annotations

from flask import abort, current_app
from flask_smorest import Blueprint

from services.notify.domain.rendering import SAMPLE_CONTEXTS, TEMPLATES, render
from services.notify.schemas import EmailDetailSchema, EmailQuerySchema, EmailSchema, TemplatePreviewSchema
from services.notify.service_layer import emails
from shared import auth

blp = Blueprint("notify_api", __name__, url_prefix="/api", description="Every e-mail the programme sends")
SECURITY = [{"staffSession": []}]


# flask.abort with a description: the shared error handler puts exactly that in "message".
def _kit():
    return current_app.extensions["kit"]


# The role guard is the outermost decorator: a stranger gets 401/403, never a 422 about
# the query string first.
@blp.route("/emails")
@auth.requires("coordinator")
@blp.arguments(EmailQuerySchema, location="query")
@blp.response(200, EmailSchema(many=True))
@blp.doc(security=SECURITY)
def list_emails(query):
    """E-mails, newest first; filter by status, template or recipient."""
    return emails.listing(_kit(), **query)


@blp.route("/emails/<email_id>")
@auth.requires("coordinator")
@blp.response(200, EmailDetailSchema)
@blp.alt_response(404, description="No such e-mail")
@blp.doc(security=SECURITY)
def get_email(email_id):
    """One e-mail with its text and HTML parts."""
    try:
        return emails.get(_kit(), email_id)
    except emails.EmailNotFound:
        abort(404, description="No such e-mail.")


@blp.route("/emails/<email_id>/resend", methods=["POST"])
@auth.requires("coordinator")
@blp.response(202, EmailSchema)
@blp.alt_response(404, description="No such e-mail")
@blp.alt_response(409, description="The e-mail has not failed")
@blp.doc(security=SECURITY)
def resend_email(email_id):
    """Queue a failed e-mail again (the same e-mail, not a copy); the worker sends it."""
    try:
        return emails.resend(_kit(), email_id, auth.current_user().email)
    except emails.EmailNotFound:
        abort(404, description="No such e-mail.")
    except emails.NotResendable as refusal:
        abort(409, description=str(refusal))


@blp.route("/templates/<template>/<any(et, en):language>")
@auth.requires("coordinator")
@blp.response(200, TemplatePreviewSchema)
@blp.alt_response(404, description="No such template")
@blp.doc(security=SECURITY)
def preview_template(template, language):
    """A template rendered with its sample data (what the coordinator's preview page shows)."""
    if template not in TEMPLATES:
        abort(404, description="No such template.")
    rendered = render(template, language, SAMPLE_CONTEXTS[template])
    return {"template": template, "language": language, "subject": rendered.subject,
            "text": rendered.text, "html": rendered.html}
