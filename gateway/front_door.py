"""Revocation at the front door: a staff session ends when its account is disabled, or its
password or grants change (each bumps the account's ``session_epoch``).

The services verify the signed cookie on their own and never call the gateway; what stands
in front of them asks the gateway's ``GET /auth/check`` first (204: no staff session, or a
valid one; 401: revoked) and, on a 401, answers with the gateway's ``GET /auth/refused``
(a page: to sign-in; an /api/ path: 401 JSON; the cookie cleared). nginx does it with
``auth_request`` (deploy/nginx/default.conf); embedded mode with ``FrontDoor`` around each
service app; local-services mode in its proxy (gateway/local.py) with ``refusal``.
"""
from __future__ import annotations

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from shared import auth

# The headers the check and the refusal read: the session (and the language) cookie, and
# what the client accepts (JSON or a page).
FORWARDED = ("Cookie", "Accept")


def refusal(gateway_app, environ: dict) -> Response | None:
    """None when the request may go on to the service; else the answer to send instead."""
    request = Request(environ)
    if auth.SESSION_COOKIE not in request.cookies:
        return None  # the public, personal links: nothing to ask
    headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
    client = Client(gateway_app, use_cookies=False, response_wrapper=Response)
    if client.get("/auth/check", headers=headers).status_code != 401:
        return None
    original = request.root_path + request.full_path.rstrip("?")
    return client.get("/auth/refused", headers={**headers, "X-Original-URI": original})


class FrontDoor:
    """WSGI middleware in front of one service app (embedded mode's dispatcher mounts)."""

    def __init__(self, app, gateway_app):
        self.app = app
        self.gateway_app = gateway_app

    def __call__(self, environ, start_response):
        refused = refusal(self.gateway_app, environ)
        if refused is not None:
            return refused(environ, start_response)
        return self.app(environ, start_response)
