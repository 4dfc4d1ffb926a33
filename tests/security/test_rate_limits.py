"""Rate limits on the public forms and on sign-in (Flask-Limiter, shared/web.py).

Every write that needs no staff session — found in the url_map like the authorization
walker finds routes — is limited per client address: with the limit set to 3 a minute the
fourth post from one address is refused with 429 (a page, or JSON under /api/), while
another address still gets through. Staff routes are never limited. The test config keeps
limits on but high (shared/testing/fixtures.py); these tests set a low one explicitly.
"""
from __future__ import annotations

import re

import pytest

from shared.config import SERVICES, Settings
from tests.security.walk import WRITES, concrete, harness, is_api, public_writes, required, routes

LIMIT = 3
EVERY_ROLE = ("coordinator", "trainer", "finance")


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    return {name: harness(tmp, name, rate_limit_public=f"{LIMIT} per minute") for name in SERVICES}


def post(client, rule, method, address, **headers):
    kwargs = {"json": {}} if is_api(rule) else {"data": {"name": "x"}}
    return client.open(concrete(rule), method=method, environ_base={"REMOTE_ADDR": address},
                       headers=headers, **kwargs)


def test_the_public_writes_are_the_ones_expected():
    """The limiter finds its routes by the absence of a role guard; this pins what that means
    today, so a new public write is a decision, not an accident."""
    found = set()
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for service in SERVICES:
            h = harness(tmp, service)
            found |= {f"{service} {method} {rule.rule}" for rule, method in public_writes(h)}
            h.close()
    assert found == {
        "enrolment POST /apply", "enrolment POST /p/<token>", "enrolment POST /api/applications",
        "enrolment POST /api/confirmations/<token>", "attendance POST /checkin", "reporting POST /p/<token>",
        "enrolment POST /counselling", "enrolment POST /api/counselling/applications"}


@pytest.mark.parametrize("service", SERVICES)
def test_the_post_after_the_limit_is_refused_with_429_for_that_address_only(limited, service):
    h = limited[service]
    for n, (rule, method) in enumerate(public_writes(h)):
        client, address, other = h.app.test_client(), f"198.51.100.{n + 1}", f"203.0.113.{n + 1}"
        for attempt in range(LIMIT):
            response = post(client, rule, method, address)
            assert response.status_code != 429, f"{method} {rule.rule}: refused at attempt {attempt + 1}"
        refused = post(client, rule, method, address)
        assert refused.status_code == 429, f"{method} {rule.rule}: {refused.status_code}"
        assert int(refused.headers["Retry-After"]) > 0
        if is_api(rule):
            assert refused.get_json()["reason"] == "rate_limited"
        else:
            assert "Liiga palju päringuid" in refused.get_data(as_text=True)
            english = client.open(concrete(rule) + "?lang=en", method=method, environ_base={"REMOTE_ADDR": address})
            assert english.status_code == 429 and "Too many requests" in english.get_data(as_text=True)
        # Someone else is not punished for it, and reading the page is never limited.
        assert post(h.app.test_client(), rule, method, other).status_code != 429
        if "GET" in rule.methods:
            assert client.get(concrete(rule), environ_base={"REMOTE_ADDR": address}).status_code != 429


@pytest.mark.parametrize("service", SERVICES)
def test_staff_routes_are_never_limited(limited, service):
    h = limited[service]
    h.login(*EVERY_ROLE)
    try:
        staff_writes = [(rule, method) for rule, method, view in routes(h)
                        if method in WRITES and required(view, method)]
        assert staff_writes
        for rule, method in staff_writes:
            for _ in range(LIMIT + 2):
                response = post(h.client, rule, method, "192.0.2.10")
                assert response.status_code != 429, f"{method} {rule.rule}"
    finally:
        h.logout()


def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw(tmp_path):
    """With one trusted proxy (nginx) the key is the last X-Forwarded-For entry: what a client
    writes in front of it changes nothing."""
    h = harness(tmp_path, "attendance", rate_limit_public=f"{LIMIT} per minute", rate_limit_proxy_hops=1)
    client = h.app.test_client()

    def typed(forwarded):
        return client.post("/checkin", data={}, environ_base={"REMOTE_ADDR": "10.0.0.2"},
                           headers={"X-Forwarded-For": forwarded})
    statuses = [typed(f"10.9.9.{n}, 203.0.113.7").status_code for n in range(LIMIT + 1)]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]
    assert typed("203.0.113.8").status_code != 429  # another client behind the same proxy


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_reset_the_count(tmp_path):
    h = harness(tmp_path, "attendance", rate_limit_public=f"{LIMIT} per minute")
    client = h.app.test_client()
    statuses = [client.post("/checkin", data={}, headers={"X-Forwarded-For": f"10.1.1.{n}"}).status_code
                for n in range(LIMIT + 1)]
    assert statuses[-1] == 429


def test_tests_and_operators_can_switch_the_limits_off(tmp_path):
    from services.attendance.app import bootstrap, create_app
    by_setting = harness(tmp_path, "attendance", rate_limit_public="1 per minute", rate_limit_enabled=False)
    kit = bootstrap(Settings.from_env("attendance", database_url=f"sqlite:///{tmp_path}/other.sqlite",
                                      bus_url=f"sqlite-bus:///{tmp_path}/bus.sqlite", rate_limit_public="1 per minute"))
    kit.db.migrate()
    by_config = create_app(test_config={"TESTING": True, "RATELIMIT_ENABLED": False}, kit=kit)
    for app in (by_setting.app, by_config):
        client = app.test_client()
        assert {client.post("/checkin", data={}).status_code for _ in range(5)} == {400}


def test_a_mistyped_limit_fails_at_start_not_on_the_first_post(tmp_path):
    with pytest.raises(ValueError):
        harness(tmp_path, "attendance", rate_limit_public="twenty a minute")


def test_the_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PUBLIC", "5 per minute; 50 per hour")
    monkeypatch.setenv("RATE_LIMIT_STORAGE", "redis://limits:6379")
    monkeypatch.setenv("RATE_LIMIT_ENABLED", "0")
    monkeypatch.setenv("RATE_LIMIT_PROXY_HOPS", "1")
    settings = Settings.from_env("enrolment")
    assert (settings.rate_limit_public, settings.rate_limit_storage, settings.rate_limit_enabled,
            settings.rate_limit_proxy_hops) == ("5 per minute; 50 per hour", "redis://limits:6379", False, 1)
    for name in ("RATE_LIMIT_PUBLIC", "RATE_LIMIT_STORAGE", "RATE_LIMIT_ENABLED", "RATE_LIMIT_PROXY_HOPS"):
        monkeypatch.delenv(name)
    settings = Settings.from_env("enrolment")
    assert (settings.rate_limit_public, settings.rate_limit_storage, settings.rate_limit_enabled) == (
        "20 per minute; 200 per hour", "memory://", True)


def test_sign_in_attempts_are_limited_per_address(tmp_path, monkeypatch):
    """The lock-out stops guessing one account's password; this stops one address trying a
    password on every account."""
    from gateway import accounts
    from gateway.app import create_app
    monkeypatch.setenv("RATE_LIMIT_PUBLIC", f"{LIMIT} per minute")
    db = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    db.migrate()
    accounts.create_user(db, "mari@example.ee", "Mari", "correct horse battery", ["coordinator"])
    app = create_app({"TESTING": True}, db=db)

    def sign_in(client, address, email, password):
        html = client.get("/auth/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})

    attacker = app.test_client()
    for n in range(LIMIT):
        assert sign_in(attacker, "198.51.100.9", f"user{n}@example.ee", "guess").status_code == 401
    refused = sign_in(attacker, "198.51.100.9", "mari@example.ee", "correct horse battery")
    assert refused.status_code == 429 and "Liiga palju päringuid" in refused.get_data(as_text=True)
    assert sign_in(app.test_client(), "203.0.113.9", "mari@example.ee", "correct horse battery").status_code == 302
