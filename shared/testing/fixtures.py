"""pytest fixtures shared by every test folder (loaded from tests/conftest.py)."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import pika
import pytest

from shared import clock
from shared.testing import services
from shared.testing.harness import ServiceHarness

os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="po-var-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# Rate limits stay on in tests (the code path runs), but high enough that no test that posts
# a lot is throttled; tests/security/test_rate_limits.py sets low limits explicitly.
os.environ.setdefault("RATE_LIMIT_PUBLIC", "10000 per minute")


@pytest.fixture(autouse=True)
def _real_clock_after_test():
    yield
    clock.set_now(None)


@dataclass
class Stack:
    """Where a test's services keep their data and exchange their events."""
    kind: str  # embedded | rabbitmq
    bus_url: str
    tmp: str
    _databases: list

    def database_url(self, name: str) -> str:
        if self.kind == "embedded":
            return f"sqlite:///{self.tmp}/{name}.sqlite"
        url = services.create_database(f"po_test_{name}")
        self._databases.append(url)
        return url

    def harness(self, service: str, **settings) -> ServiceHarness:
        return ServiceHarness(service, self.database_url(service), self.bus_url, **settings)


@pytest.fixture(scope="session")
def rabbitmq_vhost():
    services.need(services.AMQP_HOST, 5672, "RabbitMQ")
    name = services.new_vhost()
    yield name
    services.delete_vhost(name)


def amqp_url(vhost: str) -> str:
    return f"amqp://guest:guest@{services.AMQP_HOST}:5672/{vhost}"


def delete_queues(url: str) -> None:
    """Queues are named by service, so each test starts from none."""
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = conn.channel()
        for service in ("enrolment", "attendance", "billing", "notify", "reporting", "probe"):
            for name in (f"{service}.events", f"{service}.events.dead"):
                channel.queue_delete(name)
    finally:
        conn.close()


@pytest.fixture
def embedded_stack(tmp_path):
    return Stack("embedded", f"sqlite-bus:///{tmp_path}/bus.sqlite", str(tmp_path), [])


@pytest.fixture
def rabbitmq_stack(tmp_path, request):
    vhost = request.getfixturevalue("rabbitmq_vhost")
    services.need("127.0.0.1", 5432, "PostgreSQL")
    url = amqp_url(vhost)
    delete_queues(url)
    stack = Stack("rabbitmq", url, str(tmp_path), [])
    yield stack
    delete_queues(url)
    for db in stack._databases:
        try:
            services.drop_database(db)
        except Exception:  # noqa: BLE001 - a still-open pool; the next run drops it by name
            pass


@pytest.fixture(params=["embedded", "rabbitmq"])
def stack(request):
    """Run a test on SQLite + the embedded bus, and again on PostgreSQL + RabbitMQ."""
    return request.getfixturevalue(f"{request.param}_stack")
