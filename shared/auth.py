"""Staff identity: one signed session cookie that every service verifies on its own.

The gateway signs the user in and writes the session (user, roles with optional city
scopes, expiry, the account's session epoch) into a cookie signed with the shared
SECRET_KEY; each service reads it with the same key and never calls another service to
check it. Revocation (a disabled account, a new password or new grants bump the epoch) is
enforced at the front door, before a request reaches a service: see gateway/front_door.py.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote

from flask import abort, g, redirect, request, session

from shared import clock

ROLES = ("coordinator", "trainer", "finance")
SESSION_COOKIE = "po_session"
# What sign_in writes; the rest of the session (the CSRF token, flashes) is not the login.
STAFF_KEYS = ("uid", "name", "email", "grants", "exp", "epoch")


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
        """A grant of ``role`` covering ``city``; with no city, any grant of it, scoped or not."""
        return any(g.role == role and g.covers(city) for g in self.grants)

    def has_whole(self, role: str) -> bool:
        """A grant of ``role`` for the whole edition (not scoped to cities)."""
        return any(g.role == role and g.cities is None for g in self.grants)

    def unscoped(self) -> StaffUser:
        """This user with the city-scoped grants left out: what code that does not filter by
        city may act on."""
        return StaffUser(self.user_id, self.name, self.email, tuple(g for g in self.grants if g.cities is None))

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


def sign_in(user: StaffUser, max_age: int, epoch: int = 0) -> None:
    """``epoch``: the account's session_epoch now; the front door refuses the session once it moved."""
    session.clear()
    session["uid"] = user.user_id
    session["name"] = user.name
    session["email"] = user.email
    session["grants"] = [[g.role, list(g.cities) if g.cities is not None else None] for g in user.grants]
    session["exp"] = int(clock.now().timestamp()) + max_age
    session["epoch"] = epoch
    session.permanent = True


def sign_out() -> None:
    session.clear()


def forget_staff() -> None:
    """Treat this request as signed out (a revoked session), keeping its CSRF token."""
    for key in STAFF_KEYS:
        session.pop(key, None)
    g.staff_user = None


def session_epoch() -> int:
    """The epoch the session was signed in with. A cookie signed before epochs existed has
    none and counts as 0, the epoch every account started from: any later bump ends it."""
    return int(session.get("epoch", 0))


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


def requires(*roles: str, scoped: bool = False):
    """Guard a staff route: signed in, and holding one of ``roles``.

    Deny by default: only a grant for the whole edition counts, unless the route says it
    honours city scope (``scoped=True``). Such a route must itself limit what it shows or
    changes to ``user.cities_for(*roles)`` and check each object with ``require_city``.
    """
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                if wants_json():
                    abort(401)
                return redirect(f"/auth/login?next={quote(request.script_root + request.full_path.rstrip('?'))}")
            allowed = user.has if scoped else user.has_whole
            if not any(allowed(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)
        guarded.required_roles = roles
        guarded.city_scoped = scoped
        return guarded
    return decorate


def _method_view(view, method: str):
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None) or view
    return view


def required_roles(view, method: str) -> tuple[str, ...]:
    """The roles ``requires`` demands for ``view`` (a view function, or a MethodView's method);
    empty for a route that is public on purpose."""
    return tuple(getattr(_method_view(view, method), "required_roles", ()) or ())


def honours_city_scope(view, method: str) -> bool:
    """Whether ``requires`` lets city-scoped grants through to ``view`` (``scoped=True``)."""
    return bool(getattr(_method_view(view, method), "city_scoped", False))


def may_see(cities: tuple[str, ...] | None, city: str | None) -> bool:
    """``cities`` as ``cities_for`` gives it (None: every city); an object of no city is
    for whole-edition grants only."""
    return cities is None or (city is not None and city in cities)


def require_city(user: StaffUser, city: str | None, *roles: str) -> None:
    """403 unless one of ``roles`` covers ``city``; an object of no city (None) needs a
    whole-edition grant."""
    if not may_see(user.cities_for(*roles), city):
        abort(403)

