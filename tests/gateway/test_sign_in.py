"""Staff sign-in once at the gateway; every service trusts the signed session on its own."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gateway import accounts
from gateway.app import create_app
from shared import clock


@pytest.fixture
def db(tmp_path):
    database = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    database.migrate()
    accounts.create_user(database, "mari@example.ee", "Mari Maasikas", "correct horse battery", ["coordinator"])
    accounts.create_user(database, "toomas@example.ee", "Toomas", "another long password", ["trainer:Tartu"])
    return database


@pytest.fixture
def client(db):
    return create_app({"TESTING": True}, db=db).test_client()


def login(client, email, password, next_url=""):
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(f"/auth/login{next_url}", data={"email": email, "password": password, "csrf_token": token})


def test_a_coordinator_signs_in_and_any_service_accepts_the_session(client, tmp_path):
    response = login(client, "mari@example.ee", "correct horse battery", "?next=/billing/")
    assert response.status_code == 302 and response.headers["Location"] == "/billing/"
    # A service app, built separately, verifies the same cookie with the shared secret.
    from services.billing.app import create_app as billing_app
    from shared.testing.harness import ServiceHarness
    h = ServiceHarness("billing", f"sqlite:///{tmp_path}/billing.sqlite", f"sqlite-bus:///{tmp_path}/bus.sqlite")
    cookie = client.get_cookie("po_session")
    h.client.set_cookie("po_session", cookie.value, path="/")
    assert h.client.get("/").status_code == 200
    assert callable(billing_app)


def test_wrong_password_is_refused_in_the_users_language_and_locks_after_five(client):
    response = login(client, "mari@example.ee", "wrong")
    assert response.status_code == 401 and "Vale e-post või parool" in response.get_data(as_text=True)
    for _ in range(4):
        response = login(client, "mari@example.ee", "wrong")
    assert "lukus" in response.get_data(as_text=True)
    # even the right password is refused while locked …
    assert login(client, "mari@example.ee", "correct horse battery").status_code == 401
    # … and accepted once the lock has passed
    clock.set_now(clock.now() + timedelta(minutes=16))
    assert login(client, "mari@example.ee", "correct horse battery").status_code == 302


def test_english_on_request(client):
    client.get("/auth/login?lang=en")
    response = login(client, "nobody@example.ee", "x")
    assert "Wrong e-mail or password" in response.get_data(as_text=True)


def test_next_never_leaves_the_site(client):
    response = login(client, "mari@example.ee", "correct horse battery", "?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    response = login(client, "mari@example.ee", "correct horse battery", "?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_login_form_needs_its_csrf_token(client):
    response = client.post("/auth/login", data={"email": "mari@example.ee", "password": "correct horse battery"})
    assert response.status_code == 400


def test_logout_ends_the_session(client):
    login(client, "mari@example.ee", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    assert "Mari Maasikas" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert "Mari Maasikas" not in client.get("/").get_data(as_text=True)


def test_sessions_expire(client):
    login(client, "mari@example.ee", "correct horse battery")
    clock.set_now(clock.now() + timedelta(hours=9))
    assert "Mari Maasikas" not in client.get("/").get_data(as_text=True)


def test_grants_parse_with_city_scopes(db):
    user = accounts.authenticate(db, "toomas@example.ee", "another long password").user
    assert user.has("trainer", "Tartu") and not user.has("trainer", "Pärnu")
    assert not user.has("coordinator")
    with pytest.raises(accounts.AccountError):
        accounts.parse_grants(["admin"])
    with pytest.raises(accounts.AccountError):
        accounts.create_user(db, "x@example.ee", "X", "short", ["finance"])


def test_passwords_are_stored_under_a_slow_hash(db):
    with db.engine.connect() as conn:
        stored = conn.execute(accounts.users.select()).first().password_hash
    assert stored.startswith("scrypt:") and "correct horse" not in stored
