"""Cross-site request forgery: every form post carries a token, the JSON API takes JSON only.

Generic like the authorization walker: every HTML route of every service that takes a
write is posted without a token (refused with 400 before anything happens), with another
browser's token (refused too), and with a valid token (not refused for CSRF — the control
that shows the refusals are the token's doing). Every write to the JSON API is sent the
way a cross-site HTML form could send it (form-encoded or text/plain), and refused with
415: that, and the SameSite=Lax session cookie, is what protects the API (docs/SECURITY.md).
"""
from __future__ import annotations

import re
import secrets

import pytest
from itsdangerous import URLSafeTimedSerializer

from shared.config import SERVICES
from tests.security.walk import api_writes, concrete, form_posts, harness

EVERY_ROLE = ("coordinator", "trainer", "finance")
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csrf")
    return {name: harness(tmp, name) for name in SERVICES}


def valid_token(h, client) -> str:
    """The token a page would have rendered for this browser: Flask-WTF keeps a raw token in
    the (signed) session and puts a signed copy of it in the form."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", secrets.token_hex(20))
    return URLSafeTimedSerializer(h.app.secret_key, salt="wtf-csrf-token").dumps(raw)


def outbox_size(h) -> int:
    return len(h.published())


@pytest.mark.parametrize("service", SERVICES)
def test_every_form_post_without_its_token_is_refused_and_changes_nothing(harnesses, service):
    h = harnesses[service]
    h.login(*EVERY_ROLE)  # past every role guard: the token is the only thing missing
    posts = form_posts(h)
    assert posts, f"{service} has no form posts?"
    before = outbox_size(h)
    for rule, method in posts:
        path = concrete(rule)
        page = h.client.open(path, method=method, data={"anything": "1"})
        assert page.status_code == 400, f"{method} {path}: {page.status_code}"
        body = h.client.open(path, method=method, data={"anything": "1"}, headers=JSON)
        assert body.status_code == 400 and body.get_json()["status"] == "csrf_failed", f"{method} {path}"
    assert outbox_size(h) == before


@pytest.mark.parametrize("service", SERVICES)
def test_a_token_from_another_browser_is_refused_and_a_valid_one_is_not(harnesses, service):
    h = harnesses[service]
    h.login(*EVERY_ROLE)
    other = h.app.test_client()
    foreign = valid_token(h, other)  # an attacker's own, perfectly valid, token
    own = valid_token(h, h.client)
    server_errors = []
    for rule, method in form_posts(h):
        path = concrete(rule)
        refused = h.client.open(path, method=method, data={"csrf_token": foreign}, headers=JSON)
        assert refused.status_code == 400 and refused.get_json()["status"] == "csrf_failed", f"{method} {path}"
        # The control: with this browser's token the request gets past the CSRF check (it may
        # still be refused for its made-up ids or empty fields, but never with a 5xx).
        passed = h.client.open(path, method=method, data={"csrf_token": own}, headers=JSON)
        status = passed.get_json().get("status") if passed.is_json else None
        assert status != "csrf_failed", f"{method} {path}: a valid token was refused"
        if passed.status_code >= 500:
            server_errors.append(f"{method} {path}: {passed.status_code}")
    assert not server_errors, f"server errors for a made-up id: {server_errors}"


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_the_api_takes_no_write_a_cross_site_form_could_send(harnesses, service, content_type):
    h = harnesses[service]
    h.login(*EVERY_ROLE)
    before = outbox_size(h)
    writes = api_writes(h)
    assert writes, f"{service} has no API writes?"
    for rule, method in writes:
        path = concrete(rule)
        response = h.client.open(path, method=method, data='{"claim_id": "1"}', content_type=content_type)
        assert response.status_code == 415, f"{method} {path} as {content_type}: {response.status_code}"
        assert response.get_json()["status"] == "unsupported_media_type"
    assert outbox_size(h) == before


def test_the_staff_session_cookie_is_httponly_and_samesite_lax(tmp_path):
    """SameSite=Lax keeps the cookie off cross-site POSTs: the API's half of the CSRF defence."""
    from gateway import accounts
    from gateway.app import create_app
    db = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    db.migrate()
    accounts.create_user(db, "mari@example.ee", "Mari", "correct horse battery", ["coordinator"])
    client = create_app({"TESTING": True}, db=db).test_client()
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/auth/login", data={"email": "mari@example.ee", "password": "correct horse battery",
                                                "csrf_token": token})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("po_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    # And the gateway's own forms need their token, with a clear page when it is missing.
    for path in ("/auth/login", "/auth/logout"):
        refused = client.post(path, data={"email": "mari@example.ee", "password": "correct horse battery"})
        assert refused.status_code == 400, path
        assert "turvatõend" in refused.get_data(as_text=True), path


def test_over_https_the_session_cookie_is_secure_too(tmp_path, monkeypatch):
    from gateway.app import create_app
    monkeypatch.setenv("BASE_URL", "https://arenguprogramm.example.org")
    assert create_app({"TESTING": True}, db=object()).config["SESSION_COOKIE_SECURE"] is True
    assert harness(tmp_path, "billing", base_url="https://arenguprogramm.example.org").app.config[
        "SESSION_COOKIE_SECURE"] is True
    assert harness(tmp_path / "plain", "billing", base_url="http://127.0.0.1:8000").app.config[
        "SESSION_COOKIE_SECURE"] is False
