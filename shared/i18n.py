"""Languages: Estonian by default, English on request (``?lang=en``, remembered in a cookie)."""
from __future__ import annotations

import os
import sys
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


# Catalogues are compiled (.po to .mo) when the code is installed, never at start-up: the
# image's code is not writable. `make install` (so `make run` and `make test`) and the
# Dockerfile run `python -m shared.i18n`; a service refuses to start on a catalogue it lacks.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPILE_COMMAND = "python -m shared.i18n"


def catalogue_directories(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every translations folder of the project: shared's, the gateway's and each service's."""
    folders = [root / "shared" / "translations", root / "gateway" / "translations",
               *sorted((root / "services").glob("*/translations"))]
    return [folder for folder in folders if folder.is_dir()]


def stale_catalogues(*directories: Path) -> list[Path]:
    """The .po files whose .mo is missing or older than they are."""
    stale = []
    for directory in directories:
        for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                stale.append(po_path)
    return stale


def compile_catalogues(*directories: Path) -> list[Path]:
    """Compile each .po whose .mo is missing or stale (the install step); the .mo files written."""
    written = []
    for po_path in stale_catalogues(*directories):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        tmp = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")  # two installs at once each write their own
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp.replace(mo_path)
        written.append(mo_path)
    return written


def require_compiled(*directories: Path) -> None:
    """At start-up: only read the catalogues. One missing or older than its .po is an install
    step skipped (the page would silently show the untranslated text): refuse to start."""
    if stale := stale_catalogues(*directories):
        raise RuntimeError(f"translations not compiled: {', '.join(str(p) for p in stale)}; "
                           f"run `{COMPILE_COMMAND}` (make install does, and the Dockerfile)")


def main(argv=None) -> int:
    """``python -m shared.i18n [FOLDER …]``: compile the project's catalogues (or the folders')."""
    folders = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)] or catalogue_directories()
    for mo_path in compile_catalogues(*folders):
        print(f"compiled {mo_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
