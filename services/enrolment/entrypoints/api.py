"""Enrolment JSON API (documented in /enrolment/openapi.json).

Endpoints only translate: input → a use case → output. Refusals (``Refused``) become the
shared error body by the app's handler: 404, 409 with a ``reason`` code, 422 with
``errors`` (and ``problems`` with codes) keyed by the domain's field paths, e.g.
``organisations.1.registry_code``; type errors of the body use the same dotted paths.

Public: the current edition, submitting an application, a member's confirmation, applying
to the counselling programme. Everything else needs a coordinator's session. A coordinator scoped to cities sees and
decides only what concerns their cities (403 ``other_city`` otherwise, see
service_layer/queries.py); editions and the counselling programme's selection need a
coordinator of the whole edition.
"""
from __future__ import annotations

import functools
import re

import flask_smorest
from flask import jsonify, request
from flask.views import MethodView
from webargs.flaskparser import FlaskParser

from services.enrolment import schemas
from services.enrolment.domain import application as rules
from services.enrolment.domain import counselling as counselling_rules
from services.enrolment.domain.deadline import is_open
from services.enrolment.domain.problems import Problem
from services.enrolment.entrypoints.common import (
    actor,
    conditions,
    error_body,
    kit,
    lang,
    link_problem,
    read_confirm_token,
)
from services.enrolment.service_layer import applications, counselling, decisions, editions, queries
from services.enrolment.service_layer.errors import Invalid, Refused, not_found
from shared import auth, clock
from shared.links import LinkInvalid

COORDINATOR = ("coordinator",)
SECURITY = [{"staffSession": []}]
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict → {"members.0.email": [...]}, like the domain's paths."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_"] = list(messages)
    elif isinstance(messages, list):
        for value in messages:
            flat.update(_flatten(value, prefix))
    else:
        flat[prefix or "_"] = [str(messages)]
    return flat


class _Parser(FlaskParser):
    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in (
                "json", "query", "querystring", "headers", "view_args", "form"):
            messages = next(iter(messages.values()))
        raise Invalid({path: [Problem("invalid_input", text, text) for text in texts]
                       for path, texts in _flatten(messages).items()})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()


blp = Blueprint("enrolment_api", __name__, url_prefix="/api",
                description="Editions, team applications, confirmations and coordinator decisions")

_not_found = {"description": "Not found", "schema": schemas.ErrorOut}
_conflict = {"description": "Refused in this state (reason says why)", "schema": schemas.ErrorOut}
_invalid = {"description": "Invalid input: errors by field path", "schema": schemas.ErrorOut}
_unauthorised = {"description": "No staff session", "schema": schemas.ErrorOut}
_forbidden = {"description": "Not a coordinator (of this city)", "schema": schemas.ErrorOut}


def _guarded(func, scoped: bool):
    func = auth.requires(*COORDINATOR, scoped=scoped)(func)
    func = blp.alt_response(401, **_unauthorised)(func)
    func = blp.alt_response(403, **_forbidden)(func)
    return blp.doc(security=SECURITY)(func)


def _staff(func):
    """Coordinator endpoint limited to the coordinator's cities, with its auth responses documented."""
    return _guarded(func, scoped=True)


def _whole_edition(func):
    """Coordinator endpoint for a coordinator of the whole edition only (editions)."""
    return _guarded(func, scoped=False)


def cities() -> tuple[str, ...] | None:
    """The cities the signed-in coordinator decides for (None: every city)."""
    return auth.current_user().cities_for(*COORDINATOR)


def _application_in_scope(view):
    """The city check comes before the body is read: another city's application is 403,
    whatever was sent (the decision checks again on the locked rows)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        queries.check_application(kit(), kwargs["application_id"], cities())
        return view(*args, **kwargs)
    return wrapped


# -- public ---------------------------------------------------------------------------------------

@blp.route("/edition")
@blp.arguments(schemas.PublicEditionQuery, location="query")
@blp.response(200, schemas.PublicEditionOut)
@blp.alt_response(404, **_not_found)
@blp.alt_response(422, **_invalid)
def current_edition(args):
    """The edition applications go to by default (the newest taking applications now; with none open,
    the newest), or the one asked for: its deadline, whether it is open, its cities and days, and
    every edition open now."""
    edition = editions.get_edition(kit(), args["edition_id"]) if args.get("edition_id") \
        else editions.public_edition_view(kit())
    if edition is None:
        raise not_found("Lendu", "Edition")
    return {**edition, "open": editions.has_opened(edition, clock.now())
            and is_open(edition["application_deadline"], clock.now()),
            "open_editions": [e["edition_id"] for e in editions.public_editions(kit())["open"]],
            "cities": [g["city"] for g in edition["groups"]],
            "counselling_open": counselling_rules.is_window_open(
                edition["counselling_opens_at"], edition["counselling_effective_deadline"], clock.now())}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Invalid({"idempotency_key": [Problem(
            "invalid_idempotency_key", "Idempotency-Key: 8–80 tähte, numbrit või märki _.:-",
            "Idempotency-Key: 8–80 letters, digits or _.:-")]})
    return key


def application_from_json(data: dict) -> rules.Application:
    return rules.Application(
        team_name=data["team_name"],
        organisations=[rules.Organisation(**o) for o in data["organisations"]],
        members=[rules.Member(**m) for m in data["members"]],
        idea=rules.ServiceIdea(**data["idea"]),
        intends_to_delegate=data["intends_to_delegate"],
        ngo_experience=data["ngo_experience"],
        preferred_cities=list(data["preferred_cities"]),
        contact_email=data["contact_email"],
    )


@blp.route("/applications", methods=["POST"])
@blp.arguments(schemas.ApplicationIn)
@blp.response(201, schemas.ReceiptOut, headers={"Idempotent-Replayed": {
    "description": "true when this key was used before: the earlier result", "schema": {"type": "string"}}})
@blp.alt_response(409, **_conflict)
@blp.alt_response(422, **_invalid)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"},
                      "description": "8–80 characters; the same key again returns the same application"}])
def submit_application(data):
    """Submit a team's application (public) to ``edition_id``, by default the newest edition taking
    applications now. Before the edition opens: 409 applications_not_open (the message says when); after
    the deadline: 409 applications_closed."""
    key = _idempotency_key()
    application_id, replayed = applications.submit_application(
        kit(), application_from_json(data), language=data["language"], idempotency_key=key,
        edition_id=data["edition_id"])
    headers = {"Location": f"{request.script_root}/api/applications/{application_id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return queries.receipt(kit(), application_id), 201, headers


@blp.route("/applications", methods=["GET"])
@_staff
@blp.arguments(schemas.ApplicationsQuery, location="query")
@blp.response(200, schemas.ApplicationSummaryOut(many=True))
@blp.alt_response(422, **_invalid)
def list_applications(args):
    """Applications of an edition (default: the current one), filtered."""
    return queries.list_applications(kit(), **args, cities=cities())


@blp.route("/confirmations/<token>")
class Confirmation(MethodView):
    def _participant(self, token: str) -> str:
        try:
            return read_confirm_token(token)
        except LinkInvalid as exc:
            raise link_problem(exc) from None

    @blp.response(200, schemas.ConfirmationOut)
    @blp.alt_response(400, description="Tampered link", schema=schemas.ErrorOut)
    @blp.alt_response(404, **_not_found)
    @blp.alt_response(410, description="Expired link", schema=schemas.ErrorOut)
    def get(self, token):
        """What the member is asked to confirm (public, with their personal token)."""
        view = applications.member_for_confirmation(kit(), self._participant(token))
        return {**view, "conditions": conditions(lang(), view["stated"])}

    @blp.arguments(schemas.ConfirmationIn)
    @blp.response(200, schemas.ConfirmationOut)
    @blp.alt_response(400, description="Tampered link", schema=schemas.ErrorOut)
    @blp.alt_response(404, **_not_found)
    @blp.alt_response(409, description="The conditions changed since the member was shown them "
                      "(reason conditions_changed): nothing recorded; here are the current ones",
                      schema=schemas.ConditionsChangedOut)
    @blp.alt_response(410, description="Expired link, or no longer in the team", schema=schemas.ErrorOut)
    @blp.alt_response(422, **_invalid)
    def post(self, args, token):
        """Confirm the conditions the member was shown (``conditions_digest``, ``claim_cap``);
        confirming again changes nothing."""
        participant_id = self._participant(token)
        try:
            view = applications.confirm_member(kit(), participant_id, args["claim_cap"],
                                               args["conditions_digest"])
        except Refused as exc:
            if exc.code != applications.CONDITIONS_CHANGED.code:
                raise
            current = applications.member_for_confirmation(kit(), participant_id)
            body = {**error_body(exc), "conditions": conditions(lang(), current["stated"]),
                    "claim_cap": current["claim_cap"], "conditions_digest": current["conditions_digest"]}
            return jsonify(schemas.ConditionsChangedOut().dump(body)), exc.status
        return {**view, "conditions": conditions(lang(), view["stated"])}


# -- coordinator: applications and decisions --------------------------------------------------------

@blp.route("/applications/<application_id>")
@_staff
@blp.response(200, schemas.ApplicationDetailOut)
@blp.alt_response(404, **_not_found)
def application_detail(application_id):
    return queries.application_detail(kit(), application_id, cities())


@blp.route("/cities")
@_staff
@blp.arguments(schemas.ApplicationsQuery(only=("edition_id",)), location="query")
@blp.response(200, schemas.CityCountOut(many=True))
@blp.alt_response(422, **_invalid)
def city_counts(args):
    """Counts per city: capacity, accepted, free, waiting, undecided teams naming it, who is next."""
    return queries.city_counts(kit(), args.get("edition_id"), cities())


@blp.route("/groups/<group_id>")
@_staff
@blp.response(200, schemas.GroupTeamsOut)
@blp.alt_response(404, **_not_found)
def group_teams(group_id):
    """A group's accepted teams and its waiting list in order."""
    return queries.waiting_list(kit(), group_id, cities())


def _decision(rule: str, arguments):
    """A coordinator's decision on an application: JSON in, the change out, refusals documented."""
    stack = [blp.route(rule, methods=["POST"]), _staff, _application_in_scope, blp.arguments(arguments),
             blp.response(200, schemas.ChangeOut),
             blp.alt_response(404, **_not_found), blp.alt_response(409, **_conflict),
             blp.alt_response(422, **_invalid)]

    def decorate(view):
        for decorator in reversed(stack):  # as if written one above the other, route first
            view = decorator(view)
        return view
    return decorate


@blp.route("/groups/<group_id>/promote", methods=["POST"])
@_staff
@blp.response(200, schemas.ChangeOut)
@blp.alt_response(404, **_not_found)
@blp.alt_response(409, **_conflict)
def promote(group_id):
    """Accept the team that has waited longest (409 group_full, waiting_list_empty, application_incomplete)."""
    return decisions.promote(kit(), group_id, actor(), cities())


@_decision("/applications/<application_id>/accept", schemas.CityIn)
def accept(data, application_id):
    """Accept into the city's group (409 group_full, application_incomplete, not_next_on_waiting_list …)."""
    return decisions.accept(kit(), application_id, data["city"], actor(), cities())


@_decision("/applications/<application_id>/waitlist", schemas.CityIn)
def waitlist(data, application_id):
    """Put the team at the end of the city's waiting list."""
    return decisions.waitlist(kit(), application_id, data["city"], actor(), cities())


@_decision("/applications/<application_id>/reject", schemas.ReasonIn)
def reject(data, application_id):
    """Reject with a reason (the team is told it)."""
    return decisions.reject(kit(), application_id, data["reason"], actor(), cities())


@_decision("/applications/<application_id>/withdraw", schemas.ReasonIn)
def withdraw_application(data, application_id):
    """The whole team withdraws; if it had a place, the answer names who is next."""
    return decisions.withdraw_application(kit(), application_id, data["reason"], actor(), cities())


@_decision("/applications/<application_id>/members/<participant_id>/withdraw", schemas.ReasonIn)
def withdraw_member(data, application_id, participant_id):
    """A member leaves. Not refused when the team then breaks the composition rule: see ``warnings``."""
    return decisions.withdraw_member(kit(), application_id, participant_id, data["reason"], actor(), cities())


@blp.route("/applications/<application_id>/members/<participant_id>/substitute", methods=["POST"])
@_staff
@_application_in_scope
@blp.arguments(schemas.SubstituteIn)
@blp.response(200, schemas.SubstitutionOut)
@blp.alt_response(404, **_not_found)
@blp.alt_response(409, description="After the edition's cut-off (substitution_closed: the group's day "
                  "substitution_until_day has begun, or the edition allows none; the message names it) or not open",
                  schema=schemas.ErrorOut)
@blp.alt_response(422, description="The newcomer's data, or the composition rule", schema=schemas.ErrorOut)
def substitute(data, application_id, participant_id):
    """Replace a member before the edition's cut-off (by default the group's first day); the newcomer gets
    a confirmation link. After the group's day I has begun (a cut-off of day 2 or 3), ``late_joining`` says
    which days the newcomer missed and whether each can still be made up, or that they drop out at once."""
    newcomer = rules.Member(first_name=data["first_name"], last_name=data["last_name"], email=data["email"],
                            phone=data["phone"], position=data["position"],
                            organisation_key=data["organisation_id"])
    return decisions.substitute_member(kit(), application_id, participant_id, newcomer, actor(), cities())


# -- coordinator: editions --------------------------------------------------------------------------

@blp.route("/editions", methods=["GET"])
@_whole_edition
@blp.response(200, schemas.EditionOut(many=True))
def list_editions():
    return editions.list_editions(kit())


@blp.route("/editions", methods=["POST"])
@_whole_edition
@blp.arguments(schemas.EditionIn)
@blp.response(201, schemas.EditionOut)
@blp.alt_response(409, **_conflict)
@blp.alt_response(422, **_invalid)
def create_edition(data):
    """Create an edition; publishes enrolment.edition.published (revision 1)."""
    spec = editions.edition_spec(kit(), data)
    edition_id, _ = editions.save_edition(kit(), spec, actor())
    return editions.get_edition(kit(), edition_id)


@blp.route("/editions/<edition_id>", methods=["GET"])
@_whole_edition
@blp.response(200, schemas.EditionOut)
@blp.alt_response(404, **_not_found)
def get_edition(edition_id):
    return editions.get_edition(kit(), edition_id)


@blp.route("/editions/<edition_id>", methods=["PUT"])
@_whole_edition
@blp.arguments(schemas.EditionIn)
@blp.response(200, schemas.EditionOut)
@blp.alt_response(404, **_not_found)
@blp.alt_response(409, **_conflict)
@blp.alt_response(422, **_invalid)
def replace_edition(data, edition_id):
    """Replace the schedule; a change publishes it again with the next revision."""
    editions.get_edition(kit(), edition_id)  # 404 before judging the body
    spec = editions.edition_spec(kit(), data, edition_id)
    editions.save_edition(kit(), spec, actor(), edition_id=edition_id)
    return editions.get_edition(kit(), edition_id)


# -- the counselling programme ------------------------------------------------------------------------

def counselling_from_json(data: dict) -> counselling_rules.CounsellingApplication:
    return counselling_rules.CounsellingApplication(
        local_governments=[counselling_rules.Party(**p) for p in data["local_governments"]],
        ngo_partners=[counselling_rules.Party(**p) for p in data["ngo_partners"]],
        planned_services=data["planned_services"], contact_name=data["contact_name"],
        contact_email=data["contact_email"])


@blp.route("/counselling/applications", methods=["POST"])
@blp.arguments(schemas.CounsellingIn)
@blp.response(201, schemas.CounsellingReceiptOut, headers={"Idempotent-Replayed": {
    "description": "true when this key was used before: the earlier result", "schema": {"type": "string"}}})
@blp.alt_response(409, description="Not open yet (counselling_not_open: before the edition's last session "
                  "ends), closed (counselling_closed), no edition (no_edition) or a reused key", schema=schemas.ErrorOut)
@blp.alt_response(422, description="Invalid input, or a local government already in another application of the "
                  "edition (counselling_already_applied at local_governments.N.registry_code)", schema=schemas.ErrorOut)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"},
                      "description": "8–80 characters; the same key again returns the same application"}])
def apply_counselling(data):
    """A local government, alone or leading a group, applies to the current edition's counselling
    programme (public): from the end of the last session until the edition's counselling deadline."""
    key = _idempotency_key()
    counselling_id, replayed = counselling.apply(kit(), counselling_from_json(data), language=data["language"],
                                                 idempotency_key=key)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return counselling.receipt(kit(), counselling_id), 201, headers


@blp.route("/editions/<edition_id>/counselling", methods=["GET"])
@_whole_edition
@blp.response(200, schemas.CounsellingOverviewOut)
@blp.alt_response(404, **_not_found)
def counselling_overview(edition_id):
    """The edition's counselling applications, whether each local government took part in the
    edition, the draft marks and the policy."""
    return counselling.overview(kit(), edition_id)


@blp.route("/editions/<edition_id>/counselling/applications/<counselling_application_id>/decision",
           methods=["PUT"])
@_whole_edition
@blp.arguments(schemas.CounsellingMarkIn)
@blp.response(200, schemas.CounsellingApplicationOut)
@blp.alt_response(404, **_not_found)
@blp.alt_response(409, description="The selection is announced already (counselling_announced)",
                  schema=schemas.ErrorOut)
@blp.alt_response(422, **_invalid)
def mark_counselling(data, edition_id, counselling_application_id):
    """Mark an application selected (true), not selected (false) or undecided (null): a draft
    until the selection is announced."""
    return counselling.mark(kit(), edition_id, counselling_application_id, data["selected"], actor())


@blp.route("/editions/<edition_id>/counselling/announce", methods=["POST"])
@_whole_edition
@blp.response(200, schemas.CounsellingOverviewOut)
@blp.alt_response(404, **_not_found)
@blp.alt_response(409, description="Refused (reason): counselling_still_open (before the deadline), "
                  "counselling_undecided, too_many_selected, too_few_selected, counselling_announced (once "
                  "announced; nothing is published again)", schema=schemas.ErrorOut)
def announce_counselling(edition_id):
    """Announce the selection: one enrolment.counselling.decided per application, in one transaction."""
    return counselling.announce(kit(), edition_id, actor())
