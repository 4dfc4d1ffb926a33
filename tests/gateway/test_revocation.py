"""Revocation at the front door: a disabled account, a new password or new roles end the
sessions signed in before, at every service (they verify the cookie on their own and cannot
know), in embedded mode (gateway/embedded.py) and in local-services mode's proxy
(gateway/local.py); nginx: tests/gateway/test_nginx.py. Public pages need no session."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import Client

from gateway import accounts
from gateway.app import create_app
from gateway.embedded import build
from gateway.local import proxy
from shared import auth, clock
from shared.testing.harness import session_cookie
from tests.gateway.helpers import PASSWORD, csrf_token

API = "/attendance/api/sessions"
PAGE = "/attendance/"


def sign_in(client, email="mari@example.ee", password=PASSWORD):
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def session_value(client) -> str | None:
    cookie = client.get_cookie(auth.SESSION_COOKIE)
    return cookie.value if cookie else None


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    app, kits, db = build(demo=False)
    accounts.create_user(db, "mari@example.ee", "Mari Maasikas", PASSWORD, ["coordinator"])
    accounts.create_user(db, "juhan@example.ee", "Juhan", PASSWORD, ["coordinator"])
    app.kits = kits
    return app, db


REVOCATIONS = {
    "disabled": lambda db, uid: accounts.disable(db, uid),
    "new password": lambda db, uid: accounts.set_password(db, uid, "a brand new password"),
    "new roles": lambda db, uid: accounts.set_grants(db, uid, ["coordinator", "finance"]),
}


@pytest.mark.parametrize("how", REVOCATIONS)
def test_a_revoked_session_is_refused_at_every_service_and_at_the_dashboard(embedded, how):
    app, db = embedded
    client = Client(app)
    sign_in(client)
    assert client.get(API).status_code == 200
    assert client.get(PAGE).status_code == 200
    assert "Mari Maasikas" in client.get("/").get_data(as_text=True)
    old_cookie = session_value(client)

    REVOCATIONS[how](db, accounts.find_user(db, "mari@example.ee").user_id)

    refused = client.get(API)
    assert refused.status_code == 401 and refused.is_json
    assert refused.get_json()["reason"] == "session_ended"
    assert session_value(client) is None  # the cookie was cleared with the answer
    # the same cookie again, on a page: sent to sign-in, and back here after it
    client.set_cookie(auth.SESSION_COOKIE, old_cookie, path="/")
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 302
    assert page.headers["Location"] == "/auth/login?next=/attendance/%3Flang%3Den"
    assert session_value(client) is None
    for service in ("enrolment", "billing", "notify", "reporting"):
        client.set_cookie(auth.SESSION_COOKIE, old_cookie, path="/")
        assert client.get(f"/{service}/api/summary").status_code == 401, service
    # the gateway's own pages treat it as signed out
    client.set_cookie(auth.SESSION_COOKIE, old_cookie, path="/")
    home = client.get("/").get_data(as_text=True)
    assert "Mari Maasikas" not in home and "/enrolment/apply" in home
    client.set_cookie(auth.SESSION_COOKIE, old_cookie, path="/")
    assert client.get("/auth/staff").headers["Location"].startswith("/auth/login")
    # another coordinator is not affected
    other = Client(app)
    sign_in(other, "juhan@example.ee")
    assert other.get(API).status_code == 200

    if how == "disabled":
        assert Client(app).post("/auth/login").status_code == 400  # (no token: refused anyway)
        again = Client(app)
        token = csrf_token(again.get("/auth/login").get_data(as_text=True))
        assert again.post("/auth/login", data={"email": "mari@example.ee", "password": PASSWORD,
                                               "csrf_token": token}).status_code == 401
        accounts.enable(db, accounts.find_user(db, "mari@example.ee").user_id)
    fresh = Client(app)
    sign_in(fresh, password="a brand new password" if how == "new password" else PASSWORD)
    assert fresh.get(API).status_code == 200 and fresh.get(PAGE).status_code == 200
    assert "Mari Maasikas" in fresh.get("/").get_data(as_text=True)


def test_the_staff_page_disabling_ends_the_session_at_the_services(embedded):
    app, db = embedded
    mari, juhan = Client(app), Client(app)
    sign_in(mari)
    sign_in(juhan, "juhan@example.ee")
    assert juhan.get(API).status_code == 200
    target = accounts.find_user(db, "juhan@example.ee").user_id
    token = csrf_token(mari.get("/auth/staff").get_data(as_text=True))
    assert mari.post(f"/auth/staff/{target}/disable", data={"csrf_token": token}).status_code == 302
    assert juhan.get(API).status_code == 401


def test_public_pages_work_with_no_cookie_a_stale_one_or_an_anonymous_session(embedded):
    from services.enrolment.data import EDITION_2019
    from services.enrolment.service_layer.editions import load_edition_file
    from tests.enrolment.helpers import BEFORE_DEADLINE
    app, db = embedded
    clock.set_now(BEFORE_DEADLINE)
    load_edition_file(app.kits["enrolment"], EDITION_2019)  # the application form is open
    assert Client(app).get("/enrolment/apply").status_code == 200
    # an anonymous session (the application form's CSRF token) is no staff session
    visitor = Client(app)
    visitor.get("/enrolment/apply")
    assert session_value(visitor) is not None
    assert visitor.get("/enrolment/apply").status_code == 200
    assert visitor.get("/enrolment/api/edition").status_code == 200
    # a staff session that expired: signed out, not refused
    expired = Client(app)
    sign_in(expired)
    clock.set_now(clock.now() + timedelta(hours=9))
    assert expired.get("/enrolment/apply").status_code == 200
    assert expired.get(API).status_code == 401  # the service's own answer to no session
    # a cookie signed with another key (an old deployment's): no session either
    other_key = Flask("elsewhere")
    other_key.secret_key = "another-secret"
    forged = Client(app)
    forged.set_cookie(auth.SESSION_COOKIE, session_cookie(other_key, auth.StaffUser(
        accounts.find_user(db, "mari@example.ee").user_id, "Mari", "mari@example.ee", (auth.Grant("coordinator", None),))),
        path="/")
    assert forged.get("/enrolment/apply").status_code == 200
    assert forged.get(API).status_code == 401
    # a revoked session is refused as a whole, on a public page too (as nginx does: it cannot
    # tell public routes apart); the answer clears it, and the page then works
    clock.set_now(BEFORE_DEADLINE)
    revoked = Client(app)
    sign_in(revoked)
    accounts.disable(db, accounts.find_user(db, "mari@example.ee").user_id)
    assert revoked.get("/enrolment/apply").headers["Location"] == "/auth/login?next=/enrolment/apply"
    assert revoked.get("/enrolment/apply").status_code == 200


def test_a_cookie_from_before_epochs_counts_as_epoch_0(embedded):
    """Sessions signed before this release carry no epoch: valid until the account's first bump."""
    app, db = embedded
    account = accounts.find_user(db, "mari@example.ee")
    user = auth.StaffUser(account.user_id, account.name, account.email, account.grants)
    from flask.sessions import SecureCookieSessionInterface
    serializer = SecureCookieSessionInterface().get_signing_serializer(app.app)
    old = serializer.dumps({"uid": user.user_id, "name": user.name, "email": user.email, "grants": [["coordinator", None]],
                            "exp": int(clock.now().timestamp()) + 3600, "_permanent": True})
    client = Client(app)
    client.set_cookie(auth.SESSION_COOKIE, old, path="/")
    assert client.get(API).status_code == 200
    accounts.set_password(db, user.user_id, "a brand new password")
    assert client.get(API).status_code == 401


def test_a_deleted_account_is_refused(embedded):
    app, db = embedded
    client = Client(app)
    sign_in(client)
    with db.transaction() as session:
        session.execute(accounts.users.delete().where(accounts.users.c.email == "mari@example.ee"))
    assert client.get(API).status_code == 401


# -- local-services mode: the proxy checks before it forwards ------------------------------------

@pytest.fixture
def upstream():
    """A service on its own port, as gunicorn serves it in local-services mode."""
    seen = []

    def service(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"service answered"]
    server = make_server("127.0.0.1", 0, service, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, seen
    server.shutdown()


def test_the_local_proxy_refuses_a_revoked_session_before_forwarding(tmp_path, upstream):
    port, seen = upstream
    db = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    db.migrate()
    accounts.create_user(db, "mari@example.ee", "Mari", PASSWORD, ["coordinator"])
    client = Client(proxy({"/attendance": port}, create_app(db=db)))
    assert client.get("/attendance/apply").get_data() == b"service answered"  # no session: forwarded
    sign_in(client)
    assert client.get(API).get_data() == b"service answered"
    assert seen == ["/attendance/apply", API]
    accounts.disable(db, accounts.find_user(db, "mari@example.ee").user_id)
    refused = client.get(API)
    assert refused.status_code == 401 and refused.get_json()["status"] == "unauthorized"
    assert session_value(client) is None
    assert seen == ["/attendance/apply", API]  # never reached the service
    assert client.get("/attendance/apply").status_code == 200  # signed out now: public pages go on
