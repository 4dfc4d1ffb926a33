"""The staff accounts page at /auth/staff, through HTTP: a whole-edition coordinator lists,
creates, disables and enables accounts and changes their roles; and one's own password."""
from __future__ import annotations

import re

import pytest

from gateway import accounts
from gateway.app import create_app
from tests.gateway.helpers import PASSWORD, csrf_token, field_errors


@pytest.fixture
def db(accounts_db):
    accounts.create_user(accounts_db, "mari@example.ee", "Mari Maasikas", PASSWORD, ["coordinator"])
    accounts.create_user(accounts_db, "toomas@example.ee", "Toomas Tamm", PASSWORD, ["trainer:Tartu,Pärnu"])
    return accounts_db


@pytest.fixture
def app(db):
    return create_app({"TESTING": True}, db=db)


def sign_in(app, email="mari@example.ee", password=PASSWORD):
    client = app.test_client()
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def client(app):
    return sign_in(app)


def token(client, path="/auth/staff") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def user_id(db, email) -> str:
    return accounts.find_user(db, email).user_id


def test_the_page_lists_every_account_and_the_navigation_links_it(client, db):
    html = client.get("/auth/staff").get_data(as_text=True)
    assert "<h1>Töötajad</h1>" in html and 'href="/auth/staff"' in html
    assert "Toomas Tamm" in html and "toomas@example.ee" in html and "koolitaja (Tartu, Pärnu)" in html
    assert "Mari Maasikas" in html and "koordinaator" in html and "aktiivne" in html
    created = accounts.find_user(db, "toomas@example.ee").created_at
    from shared import clock
    assert clock.local(created).strftime("%d.%m.%Y %H:%M") in html  # shown on the Tallinn clock
    english = client.get("/auth/staff?lang=en").get_data(as_text=True)
    assert "<h1>Staff</h1>" in english and "trainer (Tartu, Pärnu)" in english and "active" in english
    # only a whole-edition coordinator sees the link
    trainer = sign_in(client.application, "toomas@example.ee")
    assert 'href="/auth/staff"' not in trainer.get("/").get_data(as_text=True)
    assert trainer.get("/auth/staff").status_code == 403


def test_creating_an_account_with_bad_input_shows_the_errors_at_the_fields_in_estonian_and_english(client, db):
    bad = {"name": "", "email": "not-an-email", "password": "short", "coordinator_cities": "Tartu"}
    response = client.post("/auth/staff", data={**bad, "csrf_token": token(client)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = field_errors(response)
    assert "Kirjutage nimi." in errors and "Kirjutage e-posti aadress, nt mari@example.ee." in errors
    assert "Parool peab olema vähemalt 10 märki pikk." in errors and "Valige vähemalt üks roll." in errors
    assert "Linnad kehtivad ainult selle rolliga: märkige ka roll." in errors
    # at the field: the error follows the input it is about, which keeps what was typed
    assert re.search(r'id="email"[^>]*value="not-an-email".*?\n\s*<div class="field-error"', html)
    assert re.search(r'has-error">\s*<label for="password"', html)
    client.get("/auth/staff?lang=en")
    english = field_errors(client.post("/auth/staff", data={**bad, "csrf_token": token(client)}))
    assert "Write the name." in english and "The password must be at least 10 characters long." in english
    assert "Choose at least one role." in english
    client.get("/auth/staff?lang=et")
    taken = client.post("/auth/staff", data={"name": "Mari 2", "email": "MARI@example.ee", "password": PASSWORD,
                                             "trainer": "y", "csrf_token": token(client)})
    assert taken.status_code == 422 and field_errors(taken) == ["Selle e-postiga konto on juba olemas."]
    assert len(accounts.list_users(db)) == 2


def test_a_coordinator_creates_an_account_that_can_sign_in(client, db, app):
    response = client.post("/auth/staff", data={
        "name": "Kati Kask", "email": "kati@example.ee", "password": "kati's first password",
        "trainer": "y", "trainer_cities": "Rakvere, Tallinn", "finance": "y", "csrf_token": token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/staff"
    html = client.get("/auth/staff").get_data(as_text=True)
    assert "Konto kati@example.ee on loodud." in html and "koolitaja (Rakvere, Tallinn), finantsjuht" in html
    assert accounts.find_user(db, "kati@example.ee").grant_specs == ["trainer:Rakvere,Tallinn", "finance"]
    sign_in(app, "kati@example.ee", "kati's first password")


def test_disabling_and_enabling_an_account(client, db, app):
    toomas = sign_in(app, "toomas@example.ee")
    assert "Toomas Tamm" in toomas.get("/").get_data(as_text=True)
    target = user_id(db, "toomas@example.ee")
    response = client.post(f"/auth/staff/{target}/disable", data={"csrf_token": token(client)})
    assert response.status_code == 302
    html = client.get("/auth/staff").get_data(as_text=True)
    assert "keelatud" in html and f'action="/auth/staff/{target}/enable"' in html
    assert accounts.find_user(db, "toomas@example.ee").disabled
    # the session ends at once: the gateway's pages treat it as signed out
    assert "Toomas Tamm" not in toomas.get("/").get_data(as_text=True)
    assert toomas.get("/auth/password").headers["Location"].startswith("/auth/login")
    assert client.post(f"/auth/staff/{target}/enable", data={"csrf_token": token(client)}).status_code == 302
    assert not accounts.find_user(db, "toomas@example.ee").disabled
    assert "Toomas Tamm" not in toomas.get("/").get_data(as_text=True)  # the old session stays ended
    sign_in(app, "toomas@example.ee")  # a new one works
    assert client.post("/auth/staff/no-such-id/disable", data={"csrf_token": token(client)}).status_code == 404


def test_a_coordinator_cannot_disable_their_own_account(client, db):
    me = user_id(db, "mari@example.ee")
    response = client.post(f"/auth/staff/{me}/disable", data={"csrf_token": token(client)})
    assert response.status_code == 409 and "Oma kontot ei saa keelata." in response.get_data(as_text=True)
    assert not accounts.find_user(db, "mari@example.ee").disabled
    client.get("/auth/staff?lang=en")
    response = client.post(f"/auth/staff/{me}/disable", data={"csrf_token": token(client)})
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    assert "Mari Maasikas" in client.get("/").get_data(as_text=True)


def test_changing_roles(client, db, app):
    toomas = sign_in(app, "toomas@example.ee")
    target = user_id(db, "toomas@example.ee")
    prefix = f"u-{target}-"
    html = client.get("/auth/staff").get_data(as_text=True)
    assert f'name="{prefix}trainer_cities" type="text" value="Tartu, Pärnu"' in html  # the form shows today's
    response = client.post(f"/auth/staff/{target}/roles", data={
        f"{prefix}coordinator": "y", f"{prefix}coordinator_cities": "Tartu", f"{prefix}finance": "y",
        f"{prefix}csrf_token": token(client)})
    assert response.status_code == 302
    assert accounts.find_user(db, "toomas@example.ee").grant_specs == ["coordinator:Tartu", "finance"]
    assert "Toomas Tamm" not in toomas.get("/").get_data(as_text=True)  # old grants in the cookie: ended
    # no role at all: the error at that account's fields, the others untouched
    response = client.post(f"/auth/staff/{target}/roles", data={f"{prefix}csrf_token": token(client)})
    assert response.status_code == 422 and field_errors(response) == ["Valige vähemalt üks roll."]
    assert '<details open>' in response.get_data(as_text=True)
    assert accounts.find_user(db, "toomas@example.ee").grant_specs == ["coordinator:Tartu", "finance"]
    # one's own whole-edition coordinator role stays (it would lock them out of this page)
    me = user_id(db, "mari@example.ee")
    response = client.post(f"/auth/staff/{me}/roles", data={f"u-{me}-trainer": "y", f"u-{me}-csrf_token": token(client)})
    assert response.status_code == 422 and "Oma koordinaatori rolli" in field_errors(response)[0]
    # adding a role to oneself: the own session goes on with the new grants
    response = client.post(f"/auth/staff/{me}/roles", data={f"u-{me}-coordinator": "y", f"u-{me}-finance": "y",
                                                           f"u-{me}-csrf_token": token(client)})
    assert response.status_code == 302
    assert "koordinaator, finantsjuht" in client.get("/").get_data(as_text=True)


def test_the_forms_need_their_csrf_token(client, db):
    target = user_id(db, "toomas@example.ee")
    for path, data in (("/auth/staff", {"name": "X", "email": "x@example.ee", "password": PASSWORD, "finance": "y"}),
                       (f"/auth/staff/{target}/disable", {}), (f"/auth/staff/{target}/enable", {}),
                       (f"/auth/staff/{target}/roles", {f"u-{target}-finance": "y"}),
                       ("/auth/password", {"current": PASSWORD, "new": "x" * 12, "again": "x" * 12})):
        assert client.post(path, data=data).status_code == 400, path
    assert [a.email for a in accounts.list_users(db)] == ["mari@example.ee", "toomas@example.ee"]
    toomas = accounts.find_user(db, "toomas@example.ee")
    assert not toomas.disabled and toomas.grant_specs == ["trainer:Tartu,Pärnu"] and toomas.session_epoch == 0


def test_a_user_changes_their_own_password(app, db):
    other_device = sign_in(app, "toomas@example.ee")
    client = sign_in(app, "toomas@example.ee")
    page = "/auth/password"
    response = client.post(page, data={"current": "wrong one", "new": "short", "again": "other",
                                        "csrf_token": token(client, page)})
    assert response.status_code == 422
    assert field_errors(response) == ["Parool peab olema vähemalt 10 märki pikk.", "Paroolid ei ühti."]
    response = client.post(page, data={"current": "wrong one", "new": "a brand new password",
                                        "again": "a brand new password", "csrf_token": token(client, page)})
    assert field_errors(response) == ["Praegune parool on vale."]
    response = client.post(page, data={"current": PASSWORD, "new": "a brand new password",
                                        "again": "a brand new password", "csrf_token": token(client, page)})
    assert response.status_code == 302
    assert "Toomas Tamm" in client.get("/").get_data(as_text=True)  # this session goes on
    assert "Toomas Tamm" not in other_device.get("/").get_data(as_text=True)  # the other ended
    sign_in(app, "toomas@example.ee", "a brand new password")
