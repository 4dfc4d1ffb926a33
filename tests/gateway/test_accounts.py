"""Staff account management (gateway/accounts.py) on SQLite and PostgreSQL, and its CLI."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import inspect

import gateway.__main__ as gateway_cli
from gateway import accounts

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture
def db(accounts_db):
    return accounts_db  # tests/gateway/conftest.py: SQLite, then PostgreSQL


def test_the_migration_adds_disabled_at_and_session_epoch(db):
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("staff_users")}
    assert columns["disabled_at"]["nullable"] and not columns["session_epoch"]["nullable"]


def test_list_set_grants_password_disable_enable_and_the_epoch(db):
    mari = accounts.create_user(db, "Mari@Example.ee", "Mari Maasikas", PASSWORD, ["coordinator"])
    accounts.create_user(db, "aadu@example.ee", "Aadu", PASSWORD, ["trainer:Tartu"])
    listed = accounts.list_users(db)
    assert [a.email for a in listed] == ["aadu@example.ee", "mari@example.ee"]  # by name
    aadu = listed[0]
    assert aadu.grant_specs == ["trainer:Tartu"] and not aadu.disabled and aadu.session_epoch == 0
    assert aadu.created_at.tzinfo is not None
    assert accounts.session_valid(db, aadu.user_id, 0)

    accounts.set_grants(db, aadu.user_id, ["trainer:Tartu,Pärnu", "coordinator:Tartu"])
    after = accounts.get_user(db, aadu.user_id)
    assert after.grant_specs == ["trainer:Tartu,Pärnu", "coordinator:Tartu"] and after.session_epoch == 1
    assert not accounts.session_valid(db, aadu.user_id, 0) and accounts.session_valid(db, aadu.user_id, 1)
    # same validation as create-user, and nothing changes
    for bad in (["finance:Tartu"], ["admin"], []):
        with pytest.raises(accounts.AccountError):
            accounts.set_grants(db, aadu.user_id, bad)
    assert accounts.get_user(db, aadu.user_id).session_epoch == 1

    with pytest.raises(accounts.AccountError, match="at least 10"):
        accounts.set_password(db, aadu.user_id, "short")
    accounts.set_password(db, aadu.user_id, "a brand new password")
    assert accounts.get_user(db, aadu.user_id).session_epoch == 2
    assert accounts.authenticate(db, "aadu@example.ee", PASSWORD).user is None
    result = accounts.authenticate(db, "aadu@example.ee", "a brand new password")
    assert result.user.user_id == aadu.user_id and result.epoch == 2

    accounts.disable(db, aadu.user_id)
    disabled = accounts.get_user(db, aadu.user_id)
    assert disabled.disabled and disabled.disabled_at.tzinfo is not None and disabled.session_epoch == 3
    assert not accounts.session_valid(db, aadu.user_id, 3)
    accounts.disable(db, aadu.user_id)  # again: nothing more happens
    assert accounts.get_user(db, aadu.user_id).session_epoch == 3
    refused = accounts.authenticate(db, "aadu@example.ee", "a brand new password")
    assert refused.user is None and not refused.locked

    accounts.enable(db, aadu.user_id)
    assert accounts.session_valid(db, aadu.user_id, 3)  # only a session signed in anew
    assert accounts.authenticate(db, "aadu@example.ee", "a brand new password").user is not None
    assert accounts.session_valid(db, mari.user_id, 0)  # the others are untouched
    assert not accounts.session_valid(db, "no-such-user", 0)
    for change in (lambda: accounts.disable(db, "no-such-user"), lambda: accounts.enable(db, "no-such-user"),
                   lambda: accounts.set_grants(db, "no-such-user", ["finance"]),
                   lambda: accounts.find_user(db, "nobody@example.ee")):
        with pytest.raises(accounts.AccountError) as refused_change:
            change()
        assert refused_change.value.code == "unknown_account"


def test_a_disabled_account_is_refused_like_a_wrong_password_and_costs_one_hash(db, monkeypatch):
    accounts.create_user(db, "mari@example.ee", "Mari", PASSWORD, ["coordinator"])
    accounts.disable(db, accounts.find_user(db, "mari@example.ee").user_id)
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda stored, pw: checked.append(stored) or real_check(stored, pw))
    disabled = accounts.authenticate(db, "mari@example.ee", PASSWORD)
    wrong = accounts.authenticate(db, "nobody@example.ee", PASSWORD)
    assert disabled == wrong == accounts.LoginResult(None)
    assert len(checked) == 2
    # counted as a failed attempt, as a wrong password is (so it costs the same work)
    with db.engine.connect() as conn:
        assert conn.execute(accounts.users.select()).first().failed_logins == 1


def test_a_new_password_lifts_a_lock_out(db):
    user = accounts.create_user(db, "mari@example.ee", "Mari", PASSWORD, ["coordinator"])
    for _ in range(accounts.MAX_FAILED):
        accounts.authenticate(db, "mari@example.ee", "wrong")
    assert accounts.authenticate(db, "mari@example.ee", PASSWORD).locked
    accounts.set_password(db, user.user_id, "reset by the coordinator")
    assert accounts.authenticate(db, "mari@example.ee", "reset by the coordinator").user is not None


def test_create_user_refuses_a_bad_email_name_or_a_taken_email(db):
    accounts.create_user(db, "mari@example.ee", "Mari", PASSWORD, ["coordinator"])
    for email, name, code in (("not-an-email", "X", "email_invalid"), ("x@example.ee", " ", "name_missing"),
                              ("MARI@example.ee", "Mari 2", "email_taken")):
        with pytest.raises(accounts.AccountError) as refused:
            accounts.create_user(db, email, name, PASSWORD, ["trainer"])
        assert refused.value.code == code


# -- the CLI ---------------------------------------------------------------------------------------

def cli_env(url: str, password: str | None) -> dict:
    env = {"DATABASE_URL_ACCOUNTS": url, "SECRET_KEY": "test-secret-key-not-for-production"}
    if password is not None:
        env["STAFF_PASSWORD"] = password
    return env


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def cli(url: str, *args: str, password: str | None = None) -> Ran:
    """``python -m gateway …`` run in this process (a process of its own costs a second or two
    of start-up a call; test_python_m_gateway_runs_the_commands runs the real one)."""
    environ = {k: v for k, v in os.environ.items() if k != "STAFF_PASSWORD"} | cli_env(url, password)
    opened, open_database = [], accounts.database

    def database(url=None):
        opened.append(open_database(url))
        return opened[-1]

    out, err, code = io.StringIO(), io.StringIO(), 0
    with mock.patch.dict(os.environ, environ, clear=True), mock.patch.object(gateway_cli.accounts, "database", database), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            gateway_cli.main(list(args))
        except SystemExit as exc:  # sys.exit("error: …") prints its text and exits 1
            code = exc.code if isinstance(exc.code, int) else 1
            if isinstance(exc.code, str):
                print(exc.code, file=err)
        finally:
            for db in opened:
                db.engine.dispose()
    return Ran(code, out.getvalue(), err.getvalue())


def test_python_m_gateway_runs_the_commands(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           **cli_env(f"sqlite:///{tmp_path}/accounts.sqlite", PASSWORD)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    created = run("create-user", "--email", "aadu@example.ee", "--name", "Aadu", "--role", "trainer")
    assert created.returncode == 0, created.stderr
    assert "aadu@example.ee\tAadu\ttrainer\tactive" in run("list-users").stdout
    refused = run("disable-user", "--email", "nobody@example.ee")
    assert refused.returncode == 1 and "error: no staff account with e-mail nobody@example.ee" in refused.stderr


def test_the_cli_lists_disables_enables_sets_roles_and_passwords(db):
    url = db.url
    assert cli(url, "create-user", "--email", "aadu@example.ee", "--name", "Aadu", "--role", "trainer:Tartu",
               password=PASSWORD).returncode == 0
    listed = cli(url, "list-users")
    assert listed.returncode == 0 and "aadu@example.ee\tAadu\ttrainer:Tartu\tactive" in listed.stdout

    assert cli(url, "disable-user", "--email", "AADU@example.ee").returncode == 0
    assert "\tdisabled " in cli(url, "list-users").stdout
    assert accounts.find_user(db, "aadu@example.ee").disabled
    assert cli(url, "enable-user", "--email", "aadu@example.ee").returncode == 0
    assert not accounts.find_user(db, "aadu@example.ee").disabled

    done = cli(url, "set-roles", "--email", "aadu@example.ee", "--role", "trainer:Tartu,Pärnu", "--role", "finance")
    assert done.returncode == 0, done.stderr
    assert accounts.find_user(db, "aadu@example.ee").grant_specs == ["trainer:Tartu,Pärnu", "finance"]

    assert cli(url, "set-password", "--email", "aadu@example.ee", "--password", "a brand new password").returncode == 0
    assert cli(url, "set-password", "--email", "aadu@example.ee", password="from the environment").returncode == 0
    assert accounts.authenticate(db, "aadu@example.ee", "from the environment").user is not None
    assert accounts.find_user(db, "aadu@example.ee").session_epoch == 4  # disable, roles, two passwords


@pytest.mark.parametrize("args, message", [
    (("disable-user", "--email", "nobody@example.ee"), "no staff account with e-mail nobody@example.ee"),
    (("enable-user", "--email", "nobody@example.ee"), "no staff account with e-mail nobody@example.ee"),
    (("set-roles", "--email", "nobody@example.ee", "--role", "finance"), "no staff account"),
    (("set-roles", "--email", "aadu@example.ee", "--role", "finance:Tartu"), "finance cannot be scoped"),
    (("set-roles", "--email", "aadu@example.ee", "--role", "admin"), "unknown role 'admin'"),
    (("set-password", "--email", "aadu@example.ee", "--password", "short"), "the password must be at least 10"),
    (("set-password", "--email", "nobody@example.ee", "--password", "long enough password"), "no staff account"),
])
def test_the_cli_refuses_an_unknown_email_or_bad_input_clearly(tmp_path, args, message):
    url = f"sqlite:///{tmp_path}/accounts.sqlite"
    assert cli(url, "create-user", "--email", "aadu@example.ee", "--name", "Aadu", "--role", "trainer",
               password=PASSWORD).returncode == 0
    refused = cli(url, *args)
    assert refused.returncode != 0 and f"error: {message}" in refused.stderr, refused.stderr
    assert accounts.find_user(accounts.database(url), "aadu@example.ee").grant_specs == ["trainer"]
