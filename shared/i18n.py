"""Languages: Estonian by default, English on request (``?lang=en``, remembered in a cookie)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request

LANGUAGES = ("et", "en")
DEFAULT = "et"
COOKIE = "lang"


def select_locale() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return DEFAULT


def switch_to(language: str) -> str:
    """The current page in ``language``: the same path and query, only ``lang`` changed
    (a filtered list stays filtered when the user switches language)."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", language)]
    return "?" + urlencode(query)


def remember_language(response):
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, path="/", samesite="Lax")
    return response


def compile_catalogues(*directories: Path) -> None:
    """Compile .po to .mo when missing or stale, so no build step can be forgotten."""
    for directory in directories:
        for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            tmp = mo_path.with_suffix(".mo.tmp")
            with tmp.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp.replace(mo_path)
