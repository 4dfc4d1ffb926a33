"""Staff sign-in once at the gateway; every service trusts the signed session on its own."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

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


def refusal(response) -> list[str]:
    return re.findall(r'<div class="field-error" role="alert">([^<]+)</div>', response.get_data(as_text=True))


def test_wrong_password_is_refused_and_locks_after_five_with_the_same_answer_as_an_unknown_email(client):
    response = login(client, "mari@example.ee", "wrong")
    assert response.status_code == 401 and "Vale e-post või parool" in response.get_data(as_text=True)
    # The one message says the account may be locked: nobody learns which e-mails exist.
    generic = refusal(response)
    assert len(generic) == 1 and "lukus" in generic[0]
    for _ in range(4):
        response = login(client, "mari@example.ee", "wrong")
    assert response.status_code == 401
    # even the right password is refused while locked …
    locked = login(client, "mari@example.ee", "correct horse battery")
    assert locked.status_code == 401
    # … with the answer an unknown e-mail gets, word for word
    unknown = login(client, "nobody@example.ee", "correct horse battery")
    assert unknown.status_code == 401 and refusal(locked) == refusal(unknown) == generic
    # … and accepted once the lock has passed
    clock.set_now(clock.now() + timedelta(minutes=16))
    assert login(client, "mari@example.ee", "correct horse battery").status_code == 302


def test_four_failures_do_not_lock(client):
    for _ in range(4):
        login(client, "mari@example.ee", "wrong")
    assert login(client, "mari@example.ee", "correct horse battery").status_code == 302


def test_every_attempt_checks_one_password_hash_and_makes_none(db, monkeypatch):
    """Unknown, wrong, locked and right cost the same: one scrypt check each, never a new hash."""
    accounts.dummy_hash()  # the gateway makes it when it starts
    checked = []
    real_check = accounts.check_password_hash

    def check(stored, password):
        checked.append(stored)
        return real_check(stored, password)

    def no_new_hash(*_args, **_kwargs):
        raise AssertionError("a hash was made during sign-in")
    monkeypatch.setattr(accounts, "check_password_hash", check)
    monkeypatch.setattr(accounts, "generate_password_hash", no_new_hash)
    assert accounts.authenticate(db, "nobody@example.ee", "whatever").user is None
    for _ in range(accounts.MAX_FAILED):
        accounts.authenticate(db, "mari@example.ee", "wrong")
    locked = accounts.authenticate(db, "mari@example.ee", "correct horse battery")
    assert locked.user is None and locked.locked
    assert accounts.authenticate(db, "toomas@example.ee", "another long password").user is not None
    assert len(checked) == 1 + accounts.MAX_FAILED + 1 + 1
    assert checked[0] == accounts.dummy_hash() and checked[0].startswith("scrypt:")


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
    assert accounts.parse_grants(["coordinator:Tartu,Pärnu"])[0].cities == ("Tartu", "Pärnu")
    with pytest.raises(accounts.AccountError):
        accounts.parse_grants(["admin"])
    with pytest.raises(accounts.AccountError, match="finance cannot be scoped"):
        accounts.parse_grants(["finance:Tartu"])  # billing is organisation-wide: it would reach nothing
    with pytest.raises(accounts.AccountError):
        accounts.create_user(db, "x@example.ee", "X", "short", ["finance"])


def test_passwords_are_stored_under_a_slow_hash(db):
    with db.engine.connect() as conn:
        stored = conn.execute(accounts.users.select()).first().password_hash
    assert stored.startswith("scrypt:") and "correct horse" not in stored


def test_the_portals_health_check_fails_while_its_accounts_database_is_unreachable(accounts_db):
    """compose's healthcheck (and a load balancer) must see a portal that cannot sign anyone in."""
    client = create_app({"TESTING": True}, db=accounts_db).test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").get_json() == {"service": "gateway", "database": "ok"}
    # The same portal on a database server that is not there (nothing listens on port 9).
    gone = accounts.database("postgresql+psycopg://postgres@127.0.0.1:9/accounts?connect_timeout=2")
    down = create_app({"TESTING": True}, db=gone).test_client().get("/healthz")
    assert down.status_code == 503 and down.get_json() == {"service": "gateway", "database": "down"}


def test_the_coordinator_who_moves_the_demo_clock_days_ahead_stays_signed_in(db, tmp_path, monkeypatch):
    from gateway import demo_clock
    clock_file = tmp_path / "clock"
    clock.write_clock_file(str(clock_file), datetime(2019, 2, 15, 10, tzinfo=clock.TALLINN))
    monkeypatch.setenv("CLOCK_FILE", str(clock_file))
    app = create_app({"TESTING": True}, db=db)
    app.register_blueprint(demo_clock.blueprint())  # as embedded mode mounts it
    client = app.test_client()
    assert login(client, "mari@example.ee", "correct horse battery").status_code == 302
    page = client.get("/demo/clock").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    moved = client.post("/demo/clock", data={"csrf_token": token, "moment": "2019-04-09T11:00"})
    assert moved.status_code == 302 and moved.headers["Location"] == "/demo/clock"
    assert clock.local(clock.now()).isoformat() == "2019-04-09T11:00:00+03:00"
    again = client.get("/demo/clock")
    assert again.status_code == 200 and "09.04.2019" in again.get_data(as_text=True)
    # Moved behind the page's back (another process's clock), the 8-hour sign-in has ended.
    clock.write_clock_file(str(clock_file), datetime(2019, 4, 20, 11, tzinfo=clock.TALLINN))
    assert client.get("/demo/clock").headers["Location"].startswith("/auth/login")


def test_the_public_page_leaves_the_team_rule_to_the_editions_form(client):
    """Each edition sets its own composition rule (enrolment): the portal states no fixed one."""
    for lang, needs in (("", "taotlusvorm"), ("?lang=en", "application form")):
        html = client.get("/" + lang).get_data(as_text=True)
        assert needs in html and "vähemalt 4" not in html and "at least 4" not in html
