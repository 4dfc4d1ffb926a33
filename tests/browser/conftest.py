"""Browser tests: real headless Chromium (Debian's, never a downloaded one) against `make run`'s
embedded process, started here on a free port with its own var/ folder, clock file and a
fast tick.

Without /usr/bin/chromium the tests skip — unless REQUIRE_SERVICES=1,
when they fail, as the RabbitMQ/PostgreSQL tests do (shared/testing/services.py).

Each test module gets its own process (the clock only moves forward within one) and its own
Chromium; every test gets fresh browser contexts.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from shared import clock
from shared.config import SERVICES
from shared.messaging import topology
from shared.testing import services
from tests.browser import mail

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "var" / "screenshots"  # git-ignored; for people to look at
WIRING = ("DATABASE_URL_", "BUS_", "SECRET_KEY", "BASE_URL", "SMTP_", "CLOCK_FILE", "TICK_INTERVAL",
          "SERVICE_URL_TEMPLATE", "RATE_LIMIT_", *(f"{service.upper()}_" for service in SERVICES))
# The 2019 deadline (01.03.2019) is long past in real time: every module starts before it.
BEFORE_DEADLINE = datetime.fromisoformat("2019-02-15T10:00:00+02:00")


def need_chromium() -> None:
    """Skip (or fail with REQUIRE_SERVICES=1) when there is no browser to drive. (Playwright
    itself is a pinned dev dependency: `make test` installs it.)"""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (Debian package `chromium`)"
        if services.required():
            pytest.fail(message + " (REQUIRE_SERVICES=1)")
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Office:
    """The embedded process (`python -m gateway run`) and what a test reads from its var/."""

    def __init__(self, var: Path):
        self.var = var
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.clock_file = var / "clock"
        self.log = var / "office.log"
        self.proc: subprocess.Popen | None = None
        self.log_file = None

    def env(self) -> dict:
        """`make run`'s defaults, whatever the test run's environment wires up (SECRET_KEY from
        the shared fixtures, a BUS_URL or SMTP host of a CI job, a service's own settings)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(WIRING)}
        env.update({"VAR_DIR": str(self.var), "PYTHONPATH": str(ROOT), "CLOCK_FILE": str(self.clock_file),
                    "TICK_INTERVAL": "0.5", "BASE_URL": self.base_url,
                    # Several applicants post from 127.0.0.1 within a minute; the limit is not under test.
                    "RATE_LIMIT_PUBLIC": "1000 per minute"})
        return env

    def start(self) -> Office:
        self.set_clock(BEFORE_DEADLINE)
        self.log_file = self.log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--port", str(self.port)], cwd=ROOT,
                                     env=self.env(), stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the embedded process exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/auth/login", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)
        raise RuntimeError(f"the embedded process did not answer in 60 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl-C: the clean stop `make run` has
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log_file is not None:
            self.log_file.close()

    def set_clock(self, moment: datetime) -> None:
        clock.write_clock_file(str(self.clock_file), moment)

    @property
    def coordinator(self) -> tuple[str, str]:
        return "koordinaator@example.ee", (self.var / "demo_coordinator.txt").read_text().strip()

    def create_user(self, email: str, name: str, role: str) -> tuple[str, str]:
        """A staff account made the documented way (python -m gateway create-user)."""
        password = uuid.uuid4().hex
        subprocess.run([sys.executable, "-m", "gateway", "create-user", "--email", email, "--name", name,
                        "--role", role], cwd=ROOT, check=True, capture_output=True, timeout=60,
                       env={**self.env(), "STAFF_PASSWORD": password})
        return email, password

    def mails(self) -> list[mail.Mail]:
        return mail.read_all(self.var / "mail")

    def dead_letter(self, service: str) -> None:
        """Put a message that breaks the contract (an event whose payload fails its schema)
        straight onto the service's queue in the embedded bus file, as a faulty producer would."""
        event_id = str(uuid.uuid4())
        body = json.dumps({"event_id": event_id, "event_type": "enrolment.application.submitted",
                           "schema_version": 1, "occurred_at": clock.now().isoformat(), "producer": "enrolment",
                           "correlation_id": event_id, "causation_id": None, "payload": {"team_name": ""}})
        message = {"body": base64.b64encode(body.encode()).decode(), "content-encoding": "utf-8",
                   "content-type": "application/json", "headers": {},
                   "properties": {"body_encoding": "base64", "delivery_mode": 2, "priority": 0,
                                  "message_id": event_id, "type": "enrolment.application.submitted",
                                  "delivery_tag": str(uuid.uuid4()),
                                  "delivery_info": {"exchange": topology.EXCHANGE,
                                                    "routing_key": "enrolment.application.submitted"}}}
        with sqlite3.connect(self.var / "bus.sqlite", timeout=30) as db:
            db.execute("INSERT INTO bus_message (queue, payload) VALUES (?, ?)",
                       (topology.queue_name(service), json.dumps(message)))


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    need_chromium()
    running = Office(tmp_path_factory.mktemp("office"))
    try:
        yield running.start()
    finally:
        running.stop()  # also when it never answered: no process is left behind


@pytest.fixture(scope="module")
def browser():
    # Per module, not per session: Playwright's event loop must not outlive this folder's
    # tests while the rest of `make test` runs in the same process.
    need_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    # Each run overwrites the pages' pictures; an earlier run's failure pictures go.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("failed-*.png"):
        stale.unlink(missing_ok=True)
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def new_context(request, browser, office, screenshots):
    """Browser contexts for one test (a coordinator, each applicant and member their own).
    When the test fails, each open page is photographed as failed-<test>-<n>.png."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=office.base_url, locale="et-EE",
                                      **{"viewport": {"width": 1280, "height": 900}, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    if getattr(request.node, "browser_test_failed", False):
        pages = [p for context in contexts for p in context.pages]
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
        for number, failed in enumerate(pages[-3:]):  # the last ones: where it stopped
            with contextlib.suppress(Exception):  # a picture must not hide the failure itself
                failed.screenshot(path=screenshots / f"failed-{slug}-{number}.png", full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
