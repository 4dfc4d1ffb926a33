"""Staff identity: one signed session cookie that every service verifies on its own.

The gateway signs the user in and writes the session (user, roles with optional city
scopes, expiry) into a cookie signed with the shared SECRET_KEY; each service reads it
with the same key and never calls another service to check it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote

from flask import abort, g, redirect, request, session

from shared import clock

ROLES = ("coordinator", "trainer", "finance")
SESSION_COOKIE = "po_session"


@dataclass(frozen=True)
class Grant:
    role: str
    cities: tuple[str, ...] | None  # None: the whole edition

    def covers(self, city: str | None) -> bool:
        return self.cities is None or city is None or city in self.cities


@dataclass(frozen=True)
class StaffUser:
    user_id: str
    name: str
    email: str
    grants: tuple[Grant, ...]

    def has(self, role: str, city: str | None = None) -> bool:
        return any(g.role == role and g.covers(city) for g in self.grants)

    def cities_for(self, *roles: str) -> tuple[str, ...] | None:
        """The cities this user may see under these roles; None means every city."""
        scoped: set[str] = set()
        for grant in self.grants:
            if grant.role in roles:
                if grant.cities is None:
                    return None
                scoped.update(grant.cities)
        return tuple(sorted(scoped))

    @property
    def role_names(self) -> list[str]:
        return sorted({g.role for g in self.grants})


def sign_in(user: StaffUser, max_age: int) -> None:
    session.clear()
    session["uid"] = user.user_id
    session["name"] = user.name
    session["email"] = user.email
    session["grants"] = [[g.role, list(g.cities) if g.cities is not None else None] for g in user.grants]
    session["exp"] = int(clock.now().timestamp()) + max_age
    session.permanent = True


def sign_out() -> None:
    session.clear()


def current_user() -> StaffUser | None:
    if "staff_user" in g:
        return g.staff_user
    user = None
    uid = session.get("uid")
    if uid and int(session.get("exp", 0)) > clock.now().timestamp():
        user = StaffUser(
            user_id=uid, name=session.get("name", ""), email=session.get("email", ""),
            grants=tuple(Grant(role, tuple(cities) if cities is not None else None)
                         for role, cities in session.get("grants", [])))
    g.staff_user = user
    return user


def wants_json() -> bool:
    return "/api/" in request.path or request.accept_mimetypes.best == "application/json"


def requires(*roles: str):
    """Guard a staff route: signed in, and holding one of ``roles`` (any city scope).

    City-scoped checks on a particular object use ``user.has(role, city)`` in the view.
    """
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                if wants_json():
                    abort(401)
                return redirect(f"/auth/login?next={quote(request.script_root + request.full_path.rstrip('?'))}")
            if not any(user.has(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)
        guarded.required_roles = roles
        return guarded
    return decorate


def required_roles(view, method: str) -> tuple[str, ...]:
    """The roles ``requires`` demands for ``view`` (a view function, or a MethodView's method);
    empty for a route that is public on purpose."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None) or view
    return tuple(getattr(view, "required_roles", ()) or ())


def require_city(user: StaffUser, city: str | None, *roles: str) -> None:
    if not any(user.has(role, city) for role in roles):
        abort(403)

