"""One Programme (every service as its own gunicorn web + worker process on RabbitMQ and
PostgreSQL, e-mail to an SMTP sink) shared by the fault tests of this folder.

Starting ten processes and migrating five databases takes ~20 s on a 2-core machine, so
the Programme lives as long as this folder's tests (package scope). Each test uses its own
ids (a ``tag`` in every participant, application and e-mail address) and counts only what
carries its tag. Before each test every process is checked (a killed worker is started
again) and every consumer's queue must exist; after it, no message may have been
dead-lettered unless the test says so. A test that stops the broker or PostgreSQL brings
it back itself, in a ``finally``.
"""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field

import pytest

from shared.testing import services
from shared.testing.fixtures import amqp_url, delete_queues
from shared.testing.processes import Programme
from shared.testing.smtp import SmtpSink
from tests.faults import support


def pytest_configure(config):
    config.addinivalue_line("markers", "dead_letters_expected: the test dead-letters messages on purpose")


@dataclass
class FaultProgramme(Programme):
    """The system-test Programme with a few settings of its own for every process."""
    extra_env: dict = field(default_factory=dict)

    def env(self, service: str | None = None) -> dict:
        return {**super().env(service), **self.extra_env}

    def ensure_running(self) -> None:
        """Start again whatever a test killed, and wait until every service answers."""
        for name, proc in self.workers.items():
            if proc.poll() is not None:
                self.start_worker(name)
        for name, proc in self.webs.items():
            if proc.poll() is not None:
                self.start_web(name)
        for name in self.webs:
            self.wait_healthy(name)


@pytest.fixture(scope="package")
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="package")
def programme(tmp_path_factory, rabbitmq_vhost, smtp):
    services.need("127.0.0.1", 5432, "PostgreSQL")
    # The tests stop, kill and restart the servers themselves: root and their tools.
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("rabbitmqctl", "rabbitmq-server", "pg_ctlcluster")):
        message = "fault tests need root, rabbitmqctl, rabbitmq-server and pg_ctlcluster on this machine"
        if services.required():
            pytest.fail(message + " (REQUIRE_SERVICES=1)")
        pytest.skip(message)
    support.restore_broker()  # an interrupted earlier run may have left a stopped app or an alarm
    url = amqp_url(rabbitmq_vhost)
    delete_queues(url)
    tmp = tmp_path_factory.mktemp("faults")
    (tmp / "var").mkdir()
    # A send whose "sent" mark a killed worker lost is retried after this lease (the default
    # 300 s would outlast the test); still far longer than a send to the local sink takes.
    running = FaultProgramme(tmp, url, smtp.port, extra_env={"NOTIFY_SEND_LEASE_SECONDS": "8"})
    try:
        running.start()
        support.wait_until(lambda: support.queues_declared(url), timeout=60,
                           what="every consuming worker to declare its queue")
        yield running
    finally:
        running.stop()
        support.restore_broker()
        delete_queues(url)


@pytest.fixture
def db(programme) -> support.Databases:
    return support.Databases(programme.databases)


@pytest.fixture
def staff(programme) -> support.Staff:
    return support.Staff(programme)


@pytest.fixture
def tag() -> str:
    """Every id and e-mail address of one test carries this, so counts never mix tests."""
    return f"f{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _whole_programme(request, programme, db):
    """Each test starts from a running Programme and leaves no unexpected dead letters."""
    programme.ensure_running()
    support.wait_until(lambda: support.queues_declared(programme.bus_url), timeout=60,
                       what="every consuming worker to declare its queue")
    before = db.max_dead_letter_ids()
    yield
    if request.node.get_closest_marker("dead_letters_expected") is None:
        stray = {s: rows for s, rows in db.dead_letters_after(before).items() if rows}
        assert not stray, f"messages were dead-lettered: {stray}"
