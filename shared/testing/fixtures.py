"""pytest fixtures shared by every test folder (loaded from tests/conftest.py)."""
from __future__ import annotations

import importlib
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field

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
    _recycled: list = field(default_factory=list)  # (service, url): emptied for the next test

    def database_url(self, name: str) -> str:
        if self.kind == "embedded":
            return f"sqlite:///{self.tmp}/{name}.sqlite"
        url = services.create_database(f"po_test_{name}")
        self._databases.append(url)
        return url

    def migrated_database_url(self, service: str) -> str:
        """A database of its own already at the service's head revision: on SQLite a copy of a
        file migrated once per test process; on PostgreSQL one emptied after an earlier test,
        or a copy of a template migrated once (migrating anew costs ~0.5 s a test, creating
        and dropping a database ~0.3 s)."""
        if self.kind == "embedded":
            path = f"{self.tmp}/{service}.sqlite"
            if not os.path.exists(path):  # a second harness of the service shares the file
                shutil.copyfile(_templates.sqlite(service), path)
            return f"sqlite:///{path}"
        url = _templates.postgres_database(service)
        self._recycled.append((service, url))
        return url

    def harness(self, service: str, **settings) -> ServiceHarness:
        return ServiceHarness(service, self.migrated_database_url(service), self.bus_url, migrate=False, **settings)


class _Templates:
    """One migrated database per service and kind, made when a test first needs it, and on
    PostgreSQL the databases tests used, emptied for the next one."""

    def __init__(self):
        self._sqlite: dict[str, str] = {}
        self._postgres: dict[str, str] = {}
        self._emptying: dict[str, str | None] = {}  # the SQL that empties a used one; None: not reused
        self._free: dict[str, list[str]] = {}

    def sqlite(self, service: str) -> str:
        if service not in self._sqlite:
            path = os.path.join(tempfile.mkdtemp(prefix="po-template-"), f"{service}.sqlite")
            _migrate(service, f"sqlite:///{path}")
            self._sqlite[service] = path
        return self._sqlite[service]

    def postgres_database(self, service: str) -> str:
        if free := self._free.get(service):
            return _pg_url(free.pop())
        if service not in self._postgres:
            url = services.create_database(f"po_template_{service}")
            _migrate(service, url)
            self._emptying[service] = _emptying_sql(url)
            self._postgres[service] = url.rsplit("/", 1)[1]
            self._free[service] = []
        return services.create_database(f"po_test_{service}", template=self._postgres[service])

    def recycle(self, service: str, url: str) -> None:
        """Empty a database a test used and keep it for the next test, under a new name: a
        process the test left running cannot write into the next test's data. Anything
        unexpected (a connection that will not go, a failing statement): dropped instead."""
        import psycopg
        old, new = url.rsplit("/", 1)[1], f"po_test_{service}_{uuid.uuid4().hex[:10]}"
        try:
            if self._emptying.get(service) is None:
                raise LookupError("not reused")
            with psycopg.connect(services.PG_DSN, autocommit=True) as conn:
                for _ in range(40):
                    if not conn.execute(_TERMINATE, (old,)).fetchone()[0]:
                        break
                    time.sleep(0.05)
                conn.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
            with psycopg.connect(_pg_url(new), autocommit=True) as conn:
                conn.execute(self._emptying[service])
            self._free[service].append(new)
        except Exception:  # noqa: BLE001 - whatever went wrong, the database is not reused
            for name in (old, new):
                services.drop_database(_pg_url(name))

    def drop(self) -> None:
        for name in [*self._postgres.values(), *(n for names in self._free.values() for n in names)]:
            services.drop_database(_pg_url(name))
        self._postgres.clear()
        self._free.clear()


# Ends every session still on the database, and counts them: none left when it counts 0.
_TERMINATE = """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = %s AND pid <> pg_backend_pid()"""


def _pg_url(name: str) -> str:
    return services.PG_DSN.rsplit("/", 1)[0] + f"/{name}"


def _emptying_sql(url: str) -> str | None:
    """Deletes every row and restarts every sequence; None when the migrations left rows of
    their own (beyond Alembic's version) that a test could change: such a database is not reused."""
    import psycopg
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                  if not t.startswith("alembic_version")]
        if any(conn.execute(f'SELECT EXISTS (SELECT FROM "{t}")').fetchone()[0] for t in tables):
            return None
        sequences = [q for (q,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")]
    # Replica role: no foreign key is checked, so the order of the deletes does not matter.
    return "; ".join(["SET session_replication_role = replica", *(f'DELETE FROM "{t}"' for t in tables),
                      *(f'ALTER SEQUENCE "{q}" RESTART' for q in sequences)])


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
    for service, db in stack._recycled:
        _templates.recycle(service, db)
    for db in stack._databases:
        try:
            services.drop_database(db)
        except Exception:  # noqa: BLE001 - a still-open pool; the next run drops it by name
            pass


@pytest.fixture(params=["embedded", "rabbitmq"])
def stack(request):
    """Run a test on SQLite + the embedded bus, and again on PostgreSQL + RabbitMQ."""
    return request.getfixturevalue(f"{request.param}_stack")
