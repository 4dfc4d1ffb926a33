"""Each service's dead letters: a coordinator page and API to see them and replay them.

Replaying marks the row; the service's consumer worker re-publishes it to its own queue
(web requests never talk to the broker).
"""
from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import flash, redirect, render_template, request, url_for
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields
from sqlalchemy import select, update

from shared import auth, clock
from shared.kit import ServiceKit
from shared.messaging.tables import MAX_ID
from shared.web import t


class DeadLetterSchema(Schema):
    id = fields.Integer()
    message_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    reason = fields.String()
    error = fields.String()
    attempts = fields.Integer()
    dead_at = fields.AwareDateTime()
    status = fields.String()
    body = fields.String()


def dead_letter_blueprints(kit: ServiceKit) -> tuple[FlaskBlueprint, Blueprint]:
    """The coordinator page (HTML) and the API (documented in OpenAPI)."""
    pages = FlaskBlueprint("dead_letters", __name__)
    blp = Blueprint("dead_letters_api", __name__, description="Messages this service could not handle")
    table = kit.tables.dead_letters

    def rows(status: str | None):
        query = select(table).order_by(table.c.id.desc()).limit(500)
        if status:
            query = query.where(table.c.status == status)
        with kit.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def mark(dead_id: int, status: str) -> bool:
        user = auth.current_user()
        with kit.db.transaction() as session:
            result = session.execute(
                update(table).where(table.c.id == dead_id, table.c.status == "dead")
                .values(status=status, resolved_by=user.email if user else None, resolved_at=clock.now()))
            return result.rowcount == 1

    @pages.route("/dead-letters")
    @auth.requires("coordinator")
    def page():
        return render_template("shared/dead_letters.html", rows=rows(request.args.get("status") or "dead"),
                               status=request.args.get("status") or "dead")

    # An id past the column's range names no row (the database would refuse the number): 404.
    @pages.route(f"/dead-letters/<int(max={MAX_ID}):dead_id>/<any(replay, discard):action>", methods=["POST"])
    @auth.requires("coordinator")
    def act(dead_id: int, action: str):
        if mark(dead_id, "replay" if action == "replay" else "discarded"):
            flash(t("Sõnum saadetakse uuesti töötlemisele.", "The message will be processed again.")
                  if action == "replay" else t("Sõnum kõrvale jäetud.", "Message discarded."), "success")
        return redirect(url_for("dead_letters.page"))

    @blp.route("/api/dead-letters")
    @blp.response(200, DeadLetterSchema(many=True))
    @blp.doc(security=[{"staffSession": []}])
    @auth.requires("coordinator")
    def api_list():
        return rows(request.args.get("status"))

    @blp.route(f"/api/dead-letters/<int(max={MAX_ID}):dead_id>/replay", methods=["POST"])
    @blp.response(202, DeadLetterSchema)
    @blp.alt_response(404, description="No such dead letter waiting")
    @blp.doc(security=[{"staffSession": []}])
    @auth.requires("coordinator")
    def api_replay(dead_id: int):
        if not mark(dead_id, "replay"):
            abort(404, message="no such dead letter waiting for a decision")
        with kit.db.engine.connect() as conn:
            return dict(conn.execute(select(table).where(table.c.id == dead_id)).one()._mapping)

    return pages, blp
