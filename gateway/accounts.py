"""Staff accounts: the one thing the gateway owns. Passwords under scrypt (werkzeug)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from marshmallow import ValidationError
from marshmallow.validate import Email
from sqlalchemy import Column, Integer, String, Table, Text, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from shared import clock
from shared.auth import ROLES, Grant, StaffUser
from shared.config import var_dir
from shared.db import Database, UtcDateTime, declarative_base

Base = declarative_base()
users = Table(
    "staff_users", Base.metadata,
    Column("user_id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(300), nullable=False),
    # "coordinator" or "trainer:Tartu,Pärnu" — one grant per line.
    Column("grants", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime()),
    # In every session cookie signed for the account; bumped by disabling it, a new password
    # or new grants, which ends every session signed in before (checked at the front door).
    Column("session_epoch", Integer, nullable=False, default=0, server_default="0"),
)
MAX_FAILED = 5
LOCK_FOR = timedelta(minutes=15)
# Roles a grant may scope to cities: the services that filter by city honour it there
# (attendance, enrolment, reporting); finance's work (claims, invoices) is organisation-wide.
SCOPABLE = ("coordinator", "trainer")
# Checked for an unknown e-mail, so that it costs what a known one does (made once: the
# gateway makes it when it starts, see gateway/app.py).
_dummy_hash: str | None = None


def dummy_hash() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("no such account: " + uuid.uuid4().hex)
    return _dummy_hash


class AccountError(ValueError):
    """A refusal; ``code`` lets a page say it in the user's language (the text is the CLI's)."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Account:
    """A staff account as the staff page and ``list-users`` show it."""
    user_id: str
    email: str
    name: str
    grants: tuple[Grant, ...]
    created_at: datetime
    disabled_at: datetime | None
    session_epoch: int

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def grant_specs(self) -> list[str]:
        return format_grants(self.grants).splitlines()


def database(url: str | None = None) -> Database:
    import os
    url = url or os.environ.get("DATABASE_URL_ACCOUNTS") or f"sqlite:///{var_dir() / 'accounts.sqlite'}"
    return Database(url, Base.metadata, Path(__file__).resolve().parent / "migrations", "accounts")


def parse_grants(specs: list[str]) -> tuple[Grant, ...]:
    grants = []
    for spec in specs:
        role, _, cities = spec.partition(":")
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}", "unknown_role")
        city_list = tuple(c.strip() for c in cities.split(",") if c.strip()) if cities else None
        if city_list is not None and role not in SCOPABLE:
            raise AccountError(f"{role} cannot be scoped to cities (only {', '.join(SCOPABLE)} can)",
                               "not_scopable")
        grants.append(Grant(role, city_list))
    if not grants:
        raise AccountError("a staff user needs at least one role", "no_role")
    return tuple(grants)


def format_grants(grants: tuple[Grant, ...]) -> str:
    return "\n".join(g.role + (":" + ",".join(g.cities) if g.cities is not None else "") for g in grants)


def _check_password(password: str) -> None:
    if len(password or "") < 10:
        raise AccountError("the password must be at least 10 characters long", "password_short")


def create_user(db: Database, email: str, name: str, password: str, grant_specs: list[str]) -> StaffUser:
    _check_password(password)
    grants = parse_grants(grant_specs)
    email = (email or "").strip().lower()
    name = (name or "").strip()
    try:
        Email()(email)
    except ValidationError:
        raise AccountError(f"{email!r} is not an e-mail address", "email_invalid") from None
    if not name:
        raise AccountError("a staff user needs a name", "name_missing")
    with db.transaction() as session:
        if session.execute(select(users.c.user_id).where(users.c.email == email)).first():
            raise AccountError(f"a user with e-mail {email} exists already", "email_taken")
        user_id = str(uuid.uuid4())
        session.execute(users.insert().values(
            user_id=user_id, email=email, name=name, password_hash=generate_password_hash(password),
            grants=format_grants(grants), failed_logins=0, created_at=clock.now(), session_epoch=0))
    return StaffUser(user_id, name, email, grants)


@dataclass(frozen=True)
class LoginResult:
    user: StaffUser | None
    locked: bool = False
    epoch: int = 0  # the account's session_epoch, for the cookie


def authenticate(db: Database, email: str, password: str) -> LoginResult:
    """Check a password; after MAX_FAILED wrong ones the account locks for LOCK_FOR.

    Every attempt checks one password hash (a dummy one for an unknown e-mail, the real one
    while locked or disabled too), so the time taken does not tell which e-mails have accounts.
    A disabled account is refused as a wrong password is: same answer, same work."""
    email = (email or "").strip().lower()
    now = clock.now()
    with db.transaction() as session:
        row = session.execute(select(users).where(users.c.email == email)).first()
        if row is None:
            check_password_hash(dummy_hash(), password or "")
            return LoginResult(None)
        matches = check_password_hash(row.password_hash, password or "") and row.disabled_at is None
        if row.locked_until is not None and row.locked_until > now:
            return LoginResult(None, locked=True)
        if not matches:
            failed = row.failed_logins + 1
            session.execute(update(users).where(users.c.user_id == row.user_id).values(
                failed_logins=0 if failed >= MAX_FAILED else failed,
                locked_until=now + LOCK_FOR if failed >= MAX_FAILED else row.locked_until))
            return LoginResult(None, locked=failed >= MAX_FAILED)
        session.execute(update(users).where(users.c.user_id == row.user_id)
                        .values(failed_logins=0, locked_until=None))
        return LoginResult(StaffUser(row.user_id, row.name, row.email, _grants(row)), epoch=row.session_epoch)


def _grants(row) -> tuple[Grant, ...]:
    return parse_grants([line for line in row.grants.splitlines() if line.strip()])


def _account(row) -> Account:
    return Account(row.user_id, row.email, row.name, _grants(row), row.created_at, row.disabled_at,
                   row.session_epoch)


def list_users(db: Database) -> list[Account]:
    with db.reading() as conn:
        return [_account(row) for row in conn.execute(select(users).order_by(users.c.name, users.c.email))]


def get_user(db: Database, user_id: str) -> Account:
    with db.reading() as conn:
        row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
    if row is None:
        raise AccountError(f"no staff account {user_id}", "unknown_account")
    return _account(row)


def find_user(db: Database, email: str) -> Account:
    email = (email or "").strip().lower()
    with db.reading() as conn:
        row = conn.execute(select(users).where(users.c.email == email)).first()
    if row is None:
        raise AccountError(f"no staff account with e-mail {email}", "unknown_account")
    return _account(row)


def _change(db: Database, user_id: str, *, end_sessions: bool, **values) -> None:
    """Update one account; with ``end_sessions`` bump its epoch, which signs it out everywhere."""
    if end_sessions:
        values["session_epoch"] = users.c.session_epoch + 1
    with db.transaction() as session:
        changed = session.execute(update(users).where(users.c.user_id == user_id).values(**values)).rowcount
    if not changed:
        raise AccountError(f"no staff account {user_id}", "unknown_account")


def set_grants(db: Database, user_id: str, grant_specs: list[str]) -> None:
    # Ends the sessions: the old grants are written into every cookie signed before.
    _change(db, user_id, end_sessions=True, grants=format_grants(parse_grants(grant_specs)))


def set_password(db: Database, user_id: str, password: str) -> None:
    """A new password (a reset, too): ends every session and lifts a lock-out."""
    _check_password(password)
    _change(db, user_id, end_sessions=True, password_hash=generate_password_hash(password),
            failed_logins=0, locked_until=None)


def disable(db: Database, user_id: str) -> None:
    if get_user(db, user_id).disabled:
        return
    _change(db, user_id, end_sessions=True, disabled_at=clock.now())


def enable(db: Database, user_id: str) -> None:
    # Its sessions ended when it was disabled: enabling lets it sign in anew, no more.
    _change(db, user_id, end_sessions=False, disabled_at=None, failed_logins=0, locked_until=None)


def session_valid(db: Database, user_id: str, epoch: int) -> bool:
    """The front door's check: the account exists, is not disabled, and signed this session
    in since its last disabling, new password or new grants."""
    with db.reading() as conn:
        row = conn.execute(select(users.c.disabled_at, users.c.session_epoch)
                           .where(users.c.user_id == user_id)).first()
    return row is not None and row.disabled_at is None and row.session_epoch == epoch


def count_users(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar_one()

