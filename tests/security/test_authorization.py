"""Deny by default: every route of every service (and of the gateway) is either public on
purpose or guarded, and a city-scoped role reaches nothing of another city.

The walker (tests/security/walk.py) finds every URL rule of every app. A public route must
be listed there, with its method; every other route must carry ``auth.requires(...)`` and
is requested with no session (refused: 401 for the API, a redirect to sign-in for pages),
with each role it does not name (403), and with each role it names (not refused). Form
posts carry this browser's valid CSRF token, so a refusal is the guard's, not the token's.

The wrong-city walk seeds each service with a Pärnu and a Tartu team and walks as
``trainer:Tartu`` and ``coordinator:Tartu``: every route naming a Pärnu object (application,
group, session, participant) is 403; a route that honours city scope answers the rest
without a trace of the Pärnu team; every other route refuses a scoped grant (403). The
control: ``…:Pärnu`` reaches those same Pärnu objects and does see the Pärnu team.
"""
from __future__ import annotations

import pytest

from gateway import accounts, demo_clock
from gateway.app import create_app as create_gateway
from shared import auth
from shared.config import SERVICES
from shared.testing.harness import session_cookie
from tests.security.walk import (
    GATEWAY_PUBLIC,
    MARKER,
    RIGHT_CITY,
    ROLES,
    WRONG_CITY,
    app_routes,
    concrete,
    harness,
    honours_scope,
    is_public,
    required,
    routes,
    seed,
    send,
    touches_one_city,
    valid_token,
)

SCOPED_SERVICES = ("enrolment", "attendance", "reporting")


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz")
    return {name: harness(tmp, name) for name in SERVICES}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """Each service with a Pärnu and a Tartu team, and the ids of its Pärnu objects."""
    tmp = tmp_path_factory.mktemp("authz-cities")
    out = {}
    for name in SERVICES:
        h = harness(tmp, name)
        out[name] = (h, seed(h))
    return out


def request(h, rule, method, path):
    return send(h.app, h.client, rule, method, path)


def grant_role(grant: str) -> str:
    return grant.partition(":")[0]


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_public_on_purpose_or_guarded(harnesses, service):
    h = harnesses[service]
    unguarded = [f"{m} {r.rule}" for r, m, v in routes(h) if not is_public(r, m) and not required(v, m)]
    assert not unguarded, f"routes with no role guard and not listed as public: {unguarded}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_session_is_refused_everywhere_but_public_routes(harnesses, service):
    h = harnesses[service]
    h.logout()
    for rule, method, _view in routes(h):
        if is_public(rule, method):
            continue
        path = concrete(rule)
        response = request(h, rule, method, path)
        if "/api/" in rule.rule:
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.is_json
        else:
            # With a valid CSRF token a form post reaches the guard too: sign in first.
            assert response.status_code == 302, f"{method} {path}: {response.status_code}"
            assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_its_routes(harnesses, service, role):
    h = harnesses[service]
    h.login(role)
    try:
        for rule, method, view in routes(h):
            roles = required(view, method)
            if not roles:
                continue
            path = concrete(rule)
            response = request(h, rule, method, path)
            if role in roles:
                assert response.status_code not in (401, 403), f"{role} refused at {method} {path}"
            else:
                assert response.status_code == 403, f"{role} let in at {method} {path}: {response.status_code}"
    finally:
        h.logout()


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("grant", WRONG_CITY)
def test_a_wrong_city_role_reaches_nothing_of_parnu(seeded, service, grant):
    h, ids = seeded[service]
    h.login(grant)
    walked = 0
    try:
        for rule, method, view in routes(h):
            roles = required(view, method)
            if not roles:
                continue
            path = concrete(rule, ids)
            response = request(h, rule, method, path)
            where = f"{grant} at {method} {path}: {response.status_code}"
            if touches_one_city(rule) or not honours_scope(view, method) or grant_role(grant) not in roles:
                assert response.status_code == 403, where
            else:
                # Lists and pages of the user's own cities: answered, or refused as a whole
                # (e.g. the whole edition's indicators), never with the Pärnu team in them.
                assert response.status_code != 401, where
                assert MARKER not in response.get_data(as_text=True), f"Pärnu data shown to {where}"
            walked += 1
    finally:
        h.logout()
    assert walked


@pytest.mark.parametrize("service", SCOPED_SERVICES)
@pytest.mark.parametrize("grant", RIGHT_CITY)
def test_the_right_city_reaches_the_same_parnu_objects(seeded, service, grant):
    """The control: the 403s above are the city's doing, not made-up ids or the role."""
    h, ids = seeded[service]
    h.login(grant)
    reached, marker_seen = [], False
    try:
        for rule, method, view in routes(h):
            roles = required(view, method)
            if not roles or grant_role(grant) not in roles or not honours_scope(view, method):
                continue
            path = concrete(rule, ids)
            response = request(h, rule, method, path)
            assert response.status_code != 401, f"{grant} at {method} {path}"
            if touches_one_city(rule):
                assert response.status_code != 403, f"{grant} refused at {method} {path}"
                reached.append(path)
            marker_seen = marker_seen or MARKER in response.get_data(as_text=True)
    finally:
        h.logout()
    if grant_role(grant) == "coordinator" or service == "attendance":
        assert reached, f"no route of {service} names a Pärnu object for {grant}?"
        assert marker_seen, f"{grant} never saw the Pärnu team in {service}: the marker check proves nothing"


def test_billing_and_notify_take_no_city_scoped_grant(harnesses):
    """Their work is organisation-wide (claims, invoices, the e-mail outbox): no route there
    honours city scope, so a scoped grant is refused everywhere (the walk above shows it)."""
    for service in ("billing", "notify"):
        h = harnesses[service]
        scoped = [f"{m} {r.rule}" for r, m, v in routes(h) if honours_scope(v, m) and r.rule != "/api/summary"]
        assert not scoped, f"{service}: {scoped}"


# -- the gateway ---------------------------------------------------------------------------------

class NoFigures:
    def fetch(self, service, cookie):
        return {"figures": []}


@pytest.fixture
def gateway(tmp_path):
    db = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    db.migrate()
    app = create_gateway({"TESTING": True}, db=db, summaries=NoFigures())
    app.register_blueprint(demo_clock.blueprint())  # as embedded mode mounts it
    # The account the staff page's routes act on (not the walker's own).
    app.config["TARGET"] = accounts.create_user(db, "target@example.ee", "Target", "correct horse battery",
                                                ["trainer"]).user_id
    return app


def sign_in(app, client, grant: str | None):
    """A real account per grant: the gateway refuses a session whose account does not exist."""
    client.delete_cookie(auth.SESSION_COOKIE, path="/")
    if grant is not None:
        db = app.extensions["accounts_db"]
        email = f"{grant.replace(':', '-').replace('ä', 'a').lower()}@example.ee"
        try:
            account = accounts.find_user(db, email)
        except accounts.AccountError:
            accounts.create_user(db, email, "Test User", "correct horse battery", [grant])
            account = accounts.find_user(db, email)
        user = auth.StaffUser(account.user_id, account.name, account.email, account.grants)
        client.set_cookie(auth.SESSION_COOKIE, session_cookie(app, user, account.session_epoch), path="/")


def gateway_request(app, client, rule, method):
    data = {"csrf_token": valid_token(app, client)} if method == "POST" else None
    return client.open(concrete(rule, {"user_id": app.config["TARGET"]}), method=method, data=data)


def test_every_gateway_route_is_public_on_purpose_or_guarded(gateway):
    unguarded = [f"{m} {r.rule}" for r, m, v in app_routes(gateway)
                 if not GATEWAY_PUBLIC.match(f"{m} {r.rule}") and not required(v, m)]
    assert not unguarded, f"gateway routes with no role guard and not listed as public: {unguarded}"
    assert required(gateway.view_functions["demo_clock.page"], "GET") == ("coordinator",)


@pytest.mark.parametrize("grant", [None, *ROLES, *WRONG_CITY, *RIGHT_CITY])
def test_the_gateway_guards_the_demo_clock_and_leaves_sign_in_and_the_landing_page_open(gateway, grant):
    """/demo/clock and the staff accounts page need a coordinator of the whole edition (one
    moves every service's time, the other grants every role); one's own password page any
    signed-in user; sign-in, sign-out, health, the front door's check and refusal and / need
    nothing (/ shows the public page, or the dashboard of whatever each service's own guard
    lets through)."""
    assert {f"{m} {r.rule}" for r, m, _ in app_routes(gateway)} >= {
        "GET /auth/staff", "POST /auth/staff", "POST /auth/staff/<user_id>/disable",
        "POST /auth/staff/<user_id>/enable", "POST /auth/staff/<user_id>/roles", "GET /auth/check"}
    client = gateway.test_client()
    for rule, method, view in app_routes(gateway):
        if rule.rule == "/auth/logout":
            continue  # signs out: walked last
        sign_in(gateway, client, grant)
        response = gateway_request(gateway, client, rule, method)
        where = f"{grant} at {method} {rule.rule}: {response.status_code}"
        roles = required(view, method)
        scoped_grant = grant is not None and ":" in grant
        if not roles:
            assert response.status_code < 500 and response.status_code not in (401, 403), where
        elif grant is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), where
        elif grant_role(grant) in roles and (not scoped_grant or honours_scope(view, method)):
            # answered: a page, a redirect after a change, or the form's field errors
            assert response.status_code in (200, 302, 422), where
        else:
            assert response.status_code == 403, where
    sign_in(gateway, client, grant)
    out = client.post("/auth/logout", data={"csrf_token": valid_token(gateway, client)})
    assert out.status_code == 302 and out.headers["Location"] == "/auth/login"
