"""Staff accounts: the one thing the gateway owns. Passwords under scrypt (werkzeug)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

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
    pass


def database(url: str | None = None) -> Database:
    import os
    url = url or os.environ.get("DATABASE_URL_ACCOUNTS") or f"sqlite:///{var_dir() / 'accounts.sqlite'}"
    return Database(url, Base.metadata, Path(__file__).resolve().parent / "migrations", "accounts")


def parse_grants(specs: list[str]) -> tuple[Grant, ...]:
    grants = []
    for spec in specs:
        role, _, cities = spec.partition(":")
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        city_list = tuple(c.strip() for c in cities.split(",") if c.strip()) if cities else None
        if city_list is not None and role not in SCOPABLE:
            raise AccountError(f"{role} cannot be scoped to cities (only {', '.join(SCOPABLE)} can)")
        grants.append(Grant(role, city_list))
    if not grants:
        raise AccountError("a staff user needs at least one role")
    return tuple(grants)


def _format_grants(grants: tuple[Grant, ...]) -> str:
    return "\n".join(g.role + (":" + ",".join(g.cities) if g.cities is not None else "") for g in grants)


def create_user(db: Database, email: str, name: str, password: str, grant_specs: list[str]) -> StaffUser:
    if len(password) < 10:
        raise AccountError("the password must be at least 10 characters long")
    grants = parse_grants(grant_specs)
    email = email.strip().lower()
    with db.transaction() as session:
        if session.execute(select(users.c.user_id).where(users.c.email == email)).first():
            raise AccountError(f"a user with e-mail {email} exists already")
        user_id = str(uuid.uuid4())
        session.execute(users.insert().values(
            user_id=user_id, email=email, name=name, password_hash=generate_password_hash(password),
            grants=_format_grants(grants), failed_logins=0, created_at=clock.now()))
    return StaffUser(user_id, name, email, grants)


@dataclass(frozen=True)
class LoginResult:
    user: StaffUser | None
    locked: bool = False


def authenticate(db: Database, email: str, password: str) -> LoginResult:
    """Check a password; after MAX_FAILED wrong ones the account locks for LOCK_FOR.

    Every attempt checks one password hash (a dummy one for an unknown e-mail, the real one
    while locked too), so the time taken does not tell which e-mails have accounts."""
    email = (email or "").strip().lower()
    now = clock.now()
    with db.transaction() as session:
        row = session.execute(select(users).where(users.c.email == email)).first()
        if row is None:
            check_password_hash(dummy_hash(), password or "")
            return LoginResult(None)
        matches = check_password_hash(row.password_hash, password or "")
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
        grants = parse_grants([line for line in row.grants.splitlines() if line.strip()])
        return LoginResult(StaffUser(row.user_id, row.name, row.email, grants))


def count_users(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar_one()

