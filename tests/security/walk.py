"""The route walker the security tests share: every URL rule of every service app, whether
it is public on purpose, and a concrete path to request it by."""
from __future__ import annotations

import re

from shared import auth
from shared.testing.harness import ServiceHarness

# Public on purpose: health and metrics for the platform, the API description, personal
# links (signed tokens), the public application form and its API, a member's confirmation
# by API (a personal token), and self check-in (needs a link cookie). "METHOD /rule".
PUBLIC = re.compile(
    r"^[A-Z]+ (/healthz|/metrics|/openapi\.json|/p/<[^>]+>.*|/apply.*|/checkin.*|/static/.*)$"
    r"|^GET /api/edition$"
    r"|^POST /api/applications$"
    r"|^(GET|POST) /api/confirmations/<token>$")
ROLES = ("coordinator", "trainer", "finance")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def harness(tmp, service: str, **settings) -> ServiceHarness:
    return ServiceHarness(service, f"sqlite:///{tmp}/{service}.sqlite", f"sqlite-bus:///{tmp}/bus.sqlite",
                          **settings)


def concrete(rule) -> str:
    path = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), rule.rule)
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", "1", path)
    return path


def routes(h):
    """(rule, method, view) for every route of the service app, HEAD and OPTIONS aside."""
    for rule in h.app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = h.app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, view


def is_public(rule, method: str) -> bool:
    return bool(PUBLIC.match(f"{method} {rule.rule}"))


def required(view, method: str) -> tuple[str, ...]:
    return auth.required_roles(view, method)


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def form_posts(h):
    """Every HTML form route that takes a write (the pages; the JSON API is guarded otherwise)."""
    return [(rule, method) for rule, method, _ in routes(h) if method in WRITES and not is_api(rule)]


def api_writes(h):
    return [(rule, method) for rule, method, _ in routes(h) if method in WRITES and is_api(rule)]


def public_writes(h):
    """Writes that need no staff session: the ones the rate limit applies to."""
    return [(rule, method) for rule, method, view in routes(h) if method in WRITES and not required(view, method)]
