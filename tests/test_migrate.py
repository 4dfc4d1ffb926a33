"""Containers started together migrate the same database: they take turns, none fails."""
from __future__ import annotations

import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from shared.db import Database
from shared.testing import services


@pytest.fixture
def fresh_database():
    services.need("127.0.0.1", 5432, "PostgreSQL")
    url = services.create_database("test_migrate")
    yield url
    services.drop_database(url)


def test_two_processes_migrating_one_new_postgresql_database_at_once_both_succeed(fresh_database):
    from services.billing import app as billing
    from services.billing.adapters.models import Base
    # Two engines, as a web and a worker container have; billing: a schema of many revisions.
    databases = [Database(fresh_database, Base.metadata, billing.HERE / "migrations", "billing") for _ in range(2)]
    start, errors = threading.Barrier(2), []

    def migrate(db):
        start.wait()
        try:
            db.migrate()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with databases[0].engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version_billing")).scalars().all()
    head = ScriptDirectory.from_config(databases[0].alembic_config()).get_current_head()
    assert versions == [head]
    for db in databases:
        db.engine.dispose()
