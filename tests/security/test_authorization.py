"""Deny by default: every route of every service is either public on purpose or guarded.

The walker (tests/security/walk.py) finds every URL rule of every service app. A public
route must be listed there, with its method; every other route must carry
``auth.requires(...)`` and is requested with no session (refused: 401 for the API, a
redirect to sign-in for pages), with each role it does not name (403), and with each role
it names (not refused).
"""
from __future__ import annotations

import pytest

from shared.config import SERVICES
from tests.security.walk import ROLES, concrete, harness, is_public, required, routes


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz")
    return {name: harness(tmp, name) for name in SERVICES}


def request(h, method, path):
    kwargs = {"json": {}} if "/api/" in path and method != "GET" else {}
    return h.client.open(path, method=method, **kwargs)


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
        response = request(h, method, path)
        if "/api/" in rule.rule:
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.is_json
        else:
            assert response.status_code in (302, 401, 400), f"{method} {path}: {response.status_code}"
            if response.status_code == 302:
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
            response = request(h, method, path)
            if role in roles:
                assert response.status_code not in (401, 403), f"{role} refused at {method} {path}"
            elif method == "GET" or "/api/" in rule.rule:
                # (a form POST without its CSRF token is refused before the role check)
                assert response.status_code == 403, f"{role} let in at {method} {path}: {response.status_code}"
    finally:
        h.logout()
