"""What pages and API endpoints share: the kit, a read session, the acting user, formats."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask import current_app

from services.attendance.service_layer.common import Actor
from shared import auth, clock

STAFF = ("coordinator", "trainer")


def kit():
    return current_app.extensions["kit"]


@contextmanager
def reading():
    """A session for reads; nothing is committed."""
    with kit().db.read_sessions() as db:
        yield db


def actor(source: str) -> Actor:
    user = auth.current_user()
    return Actor(user.email or user.user_id, user.name, source)


def user_cities() -> tuple[str, ...] | None:
    """The cities the signed-in user may see sessions of (None: all)."""
    return auth.current_user().cities_for(*STAFF)


def date_text(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%d.%m.%Y") if moment else ""


def datetime_text(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


def time_text(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%H:%M") if moment else ""
