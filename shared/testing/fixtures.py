"""pytest fixtures shared by every test folder (loaded from tests/conftest.py)."""
from __future__ import annotations

import importlib
import os
import shutil
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

    def migrated_database_url(self, service: str) -> str:
        """A new database already at the service's head revision, copied from a template
        migrated once per test process (migrating anew costs ~0.5 s a test on PostgreSQL)."""
        if self.kind == "embedded":
            path = f"{self.tmp}/{service}.sqlite"
            if not os.path.exists(path):  # a second harness of the service shares the file
                shutil.copyfile(_templates.sqlite(service), path)
            return f"sqlite:///{path}"
        url = services.create_database(f"po_test_{service}", template=_templates.postgres(service))
        self._databases.append(url)
        return url

    def harness(self, service: str, **settings) -> ServiceHarness:
        return ServiceHarness(service, self.migrated_database_url(service), self.bus_url, migrate=False, **settings)


class _Templates:
    """One migrated database per service and kind, made when a test first needs it."""

    def __init__(self):
        self._sqlite: dict[str, str] = {}
        self._postgres: dict[str, str] = {}

    def sqlite(self, service: str) -> str:
        if service not in self._sqlite:
            path = os.path.join(tempfile.mkdtemp(prefix="po-template-"), f"{service}.sqlite")
            _migrate(service, f"sqlite:///{path}")
            self._sqlite[service] = path
        return self._sqlite[service]

    def postgres(self, service: str) -> str:
        if service not in self._postgres:
            url = services.create_database(f"po_template_{service}")
            _migrate(service, url)
            self._postgres[service] = url.rsplit("/", 1)[1]
        return self._postgres[service]

    def drop(self) -> None:
        for name in self._postgres.values():
            services.drop_database(services.PG_DSN.rsplit("/", 1)[0] + f"/{name}")
        self._postgres.clear()


def _migrate(service: str, url: str) -> None:
    from shared.config import Settings
    kit = importlib.import_module(f"services.{service}.app").bootstrap(
        Settings.from_env(service, database_url=url, bus_url=f"sqlite-bus:///{tempfile.mkdtemp()}/bus.sqlite"))
    try:
        kit.db.migrate()
    finally:
        kit.db.engine.dispose()


_templates = _Templates()


@pytest.fixture(scope="session", autouse=True)
def _drop_templates():
    yield
    _templates.drop()


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
