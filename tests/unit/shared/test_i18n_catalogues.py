"""Translations are compiled at install time (make install, the Dockerfile); a service's
start-up only reads them, so it starts with code it cannot write (the image's /app)."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask_babel import gettext

from shared import i18n
from shared.config import Settings
from shared.web import create_service_app

ROOT = Path(__file__).resolve().parents[3]
PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Salvesta"
msgstr "Save"
'''


def a_service_root(tmp_path: Path) -> Path:
    """A service's code folder with an English catalogue, as a translated service would have."""
    root = tmp_path / "code"
    (root / "translations" / "en" / "LC_MESSAGES").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "translations" / "en" / "LC_MESSAGES" / "messages.po").write_text(PO, encoding="utf-8")
    return root


def start(root: Path, tmp_path: Path):
    """A service's start-up (create_service_app) on code at ``root``."""
    module = importlib.import_module("services.attendance.app")
    kit = module.bootstrap(Settings.from_env("attendance", database_url=f"sqlite:///{tmp_path}/a.sqlite",
                                             bus_url=f"sqlite-bus:///{tmp_path}/bus.sqlite"))
    app, _ = create_service_app(kit, "services.attendance", title="Attendance", root=root,
                                test_config={"TESTING": True})
    return app


def snapshot(root: Path) -> dict[str, float]:
    return {str(path.relative_to(root)): path.stat().st_mtime_ns for path in root.rglob("*")}


def test_installed_catalogues_are_read_at_start_up_and_nothing_is_written_into_the_code(tmp_path):
    root = a_service_root(tmp_path)
    # the install step, as make install and the Dockerfile run it
    built = subprocess.run([sys.executable, "-m", "shared.i18n", str(root / "translations")], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    assert (root / "translations/en/LC_MESSAGES/messages.mo").exists()
    installed = snapshot(root)

    app = start(root, tmp_path)
    assert snapshot(root) == installed  # start-up wrote nothing beside the code
    with app.test_request_context("/?lang=en"):
        assert gettext("Salvesta") == "Save"
    with app.test_request_context("/"):
        assert gettext("Salvesta") == "Salvesta"  # Estonian by default


def test_start_up_refuses_a_catalogue_the_install_did_not_compile_and_writes_none(tmp_path):
    """A .po without its .mo (or newer than it): an install step skipped. Compiling it now
    would write into the code (impossible in the image); showing the untranslated text would
    hide it. Start-up refuses, saying what to run."""
    root = a_service_root(tmp_path)
    before = snapshot(root)
    with pytest.raises(RuntimeError, match=re.escape("run `python -m shared.i18n`")) as refused:
        start(root, tmp_path)
    assert "messages.po" in str(refused.value)
    assert snapshot(root) == before

    i18n.compile_catalogues(root / "translations")
    start(root, tmp_path)
    po = root / "translations/en/LC_MESSAGES/messages.po"
    po.write_text(PO.replace('"Save"', '"Save it"'), encoding="utf-8")
    mo = po.with_suffix(".mo")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))  # edited after the install
    with pytest.raises(RuntimeError, match="translations not compiled"):
        start(root, tmp_path)


def test_make_install_and_the_image_compile_the_catalogues_and_neither_ships_a_compiled_one():
    makefile = (ROOT / "Makefile").read_text()
    install = re.search(r"^install: .*\n((?:\t.*\n)*)", makefile, re.M).group(1)
    assert "$(BIN)/python -m shared.i18n" in install  # make run and make test depend on install
    assert re.search(r"^run: install", makefile, re.M) and re.search(r"^test: install", makefile, re.M)
    dockerfile = (ROOT / "Dockerfile").read_text()
    build, user = dockerfile.index("python -m shared.i18n"), dockerfile.index("\nUSER app")
    assert dockerfile.index("pip install") < build < user  # after the install, while /app is writable
    assert "*.mo" in (ROOT / ".gitignore").read_text().split()
    assert "**/*.mo" in (ROOT / ".dockerignore").read_text().split()


def test_the_command_compiles_every_translations_folder_of_the_project(tmp_path):
    folders = ["shared/translations", "gateway/translations", "services/billing/translations",
               "services/notify/translations"]
    for folder in folders:
        (tmp_path / folder / "et/LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "services/reporting/templates").mkdir(parents=True)  # a service with none
    assert i18n.catalogue_directories(tmp_path) == [tmp_path / folder for folder in folders]
