"""What the gateway tests share: real accounts and their session cookies."""
from __future__ import annotations

import re

from gateway import accounts
from shared.testing.harness import session_cookie

PASSWORD = "correct horse battery"


def staff_cookie(app, db, *grants: str, email: str = "mari@example.ee", name: str = "Mari") -> str:
    """A new account's session cookie, signed by ``app`` as sign-in signs it (its epoch is 0):
    the front door checks the account behind a session, so a made-up user no longer passes."""
    user = accounts.create_user(db, email, name, PASSWORD, list(grants))
    return session_cookie(app, user)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def field_errors(response) -> list[str]:
    return re.findall(r'<div class="field-error" role="alert">([^<]+)</div>', response.get_data(as_text=True))
