"""The route walker the security tests share: every URL rule of every service app (and of
the gateway), whether it is public on purpose, a concrete path to request it by, a valid
CSRF token for form posts, and each service seeded with a Pärnu and a Tartu team for the
wrong-city walk."""
from __future__ import annotations

import re
import secrets

from itsdangerous import URLSafeTimedSerializer

from shared import auth, clock
from shared.testing.harness import ServiceHarness

# Public on purpose: health and metrics for the platform, the API description, personal
# links (signed tokens), the public application form and its API, a member's confirmation
# by API (a personal token), self check-in (needs a link cookie), and the counselling
# programme's application form and its API (any local government applies). "METHOD /rule".
PUBLIC = re.compile(
    r"^[A-Z]+ (/healthz|/metrics|/openapi\.json|/p/<[^>]+>.*|/apply.*|/checkin.*|/static/.*)$"
    r"|^(GET|POST) /counselling$|^GET /counselling/thanks/<key>$"
    r"|^GET /api/edition$"
    r"|^POST /api/applications$|^POST /api/counselling/applications$"
    r"|^(GET|POST) /api/confirmations/<token>$")
ROLES = ("coordinator", "trainer", "finance")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# The gateway's own routes: sign-in and sign-out (CSRF-protected forms), the landing page
# (the public page, or the dashboard whose figures each service guards), health, and the
# front door's session check and its refusal (they answer for any visitor's own cookie).
GATEWAY_PUBLIC = re.compile(r"^(GET|POST) /auth/login$|^POST /auth/logout$|^GET /$|^GET /healthz$"
                            r"|^GET /auth/(check|refused)$")

# Grants that may be scoped, each scoped to Tartu and walked against Pärnu's objects.
WRONG_CITY = ("trainer:Tartu", "coordinator:Tartu")
RIGHT_CITY = ("trainer:Pärnu", "coordinator:Pärnu")
# Route arguments that name an object of one city; the seeded ids are Pärnu's.
CITY_BOUND = ("application_id", "group_id", "session_id", "participant_id")
# In the names of the seeded Pärnu people and team: it must never reach a Tartu user.
MARKER = "Salajane"


def harness(tmp, service: str, **settings) -> ServiceHarness:
    return ServiceHarness(service, f"sqlite:///{tmp}/{service}.sqlite", f"sqlite-bus:///{tmp}/bus.sqlite",
                          **settings)


def concrete(rule, ids: dict[str, str] | None = None) -> str:
    """The rule with every argument filled in: from ``ids`` by name, else "1"."""
    path = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), rule.rule)
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", (ids or {}).get(arg, "1"), path)
    return path


def routes(h):
    """(rule, method, view) for every route of the service app, HEAD and OPTIONS aside."""
    return app_routes(h.app)


def app_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, view


def touches_one_city(rule) -> bool:
    return any(arg in CITY_BOUND for arg in rule.arguments)


def valid_token(app, client) -> str:
    """The token a page would have rendered for this browser: Flask-WTF keeps a raw token in
    the (signed) session and puts a signed copy of it in the form."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", secrets.token_hex(20))
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def send(app, client, rule, method: str, path: str):
    """One request as a client would send it: JSON to the API, a form with this browser's
    valid CSRF token to a page (so that a refusal is the guard's, not the token's)."""
    if rule.rule.startswith("/api/") and method != "GET":
        return client.open(path, method=method, json={})
    if method in WRITES:
        return client.open(path, method=method, data={"csrf_token": valid_token(app, client)})
    return client.open(path, method=method)


def is_public(rule, method: str) -> bool:
    return bool(PUBLIC.match(f"{method} {rule.rule}"))


def required(view, method: str) -> tuple[str, ...]:
    return auth.required_roles(view, method)


def honours_scope(view, method: str) -> bool:
    return auth.honours_city_scope(view, method)


# -- seeds: a Pärnu team (the wrong city's objects, MARKER in its names) and a Tartu team ----------

def seed(h) -> dict[str, str]:
    """Seed the service; the ids (by route argument) of its Pärnu objects."""
    return SEEDS.get(h.service, lambda _h: {})(h)


def _seed_enrolment(h) -> dict[str, str]:
    from services.enrolment.data import EDITION_2019
    from services.enrolment.service_layer.editions import load_edition_file
    from tests.enrolment.helpers import BEFORE_DEADLINE, application_json
    clock.set_now(BEFORE_DEADLINE)
    load_edition_file(h.kit, EDITION_2019)
    ids = {}
    for n, city in ((1, "Pärnu"), (2, "Tartu")):
        body = application_json(n, preferred_cities=[city])
        if city == "Pärnu":
            body["team_name"] = f"{MARKER} meeskond"
            for m in body["members"]:
                m["last_name"] = MARKER
        response = h.client.post("/api/applications", json=body)
        assert response.status_code == 201, response.get_json()
        if city == "Pärnu":
            ids["application_id"] = response.get_json()["application_id"]
            ids["participant_id"] = response.get_json()["members"][0]["participant_id"]
    return {**ids, "group_id": "2019-parnu", "edition_id": "2019"}


def _teams(h) -> None:
    """enrolment's events as attendance and reporting receive them: the 2019 edition, a
    Pärnu team (MARKER) and a Tartu team."""
    from tests.reporting import builders
    builders.publish_edition(h)
    builders.accept(h, "app-parnu", "Pärnu", [builders.member("parnu-1", "Õnne", MARKER, "org-parnu")],
                    [builders.organisation("org-parnu")])
    builders.accept(h, "app-tartu", "Tartu", [builders.member("tartu-1", "Mari", "Mets", "org-tartu")],
                    [builders.organisation("org-tartu")])


def _seed_attendance(h) -> dict[str, str]:
    _teams(h)
    return {"group_id": "2019-parnu", "session_id": "2019-parnu-1", "participant_id": "parnu-1"}


def _seed_reporting(h) -> dict[str, str]:
    _teams(h)
    return {"group_id": "2019-parnu", "participant_id": "parnu-1", "edition_id": "edition-2019"}


# Billing and notify take no city-scoped grant at all (organisation-wide): their guards
# refuse a scoped role before any data is read, so they need no seed.
SEEDS = {"enrolment": _seed_enrolment, "attendance": _seed_attendance, "reporting": _seed_reporting}


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def form_posts(h):
    """Every HTML form route that takes a write (the pages; the JSON API is guarded otherwise)."""
    return [(rule, method) for rule, method, _ in routes(h) if method in WRITES and not is_api(rule)]


def api_writes(h):
    return [(rule, method) for rule, method, _ in routes(h) if method in WRITES and is_api(rule)]


def public_writes(h):
    """Writes that need no staff session: the ones the rate limit applies to."""
    return [(rule, method) for rule, method, view in routes(h) if method in WRITES and not required(view, method)]
