"""The test databases (shared/testing/fixtures.py): on PostgreSQL a database a test used is
emptied and renamed for the next test; nothing of the earlier test may reach the next one."""
from __future__ import annotations

import psycopg
import pytest

from shared.testing import services
from shared.testing.fixtures import _Templates

pytestmark = pytest.mark.services


@pytest.fixture
def templates():
    services.need("127.0.0.1", 5432, "PostgreSQL")
    made = _Templates()
    yield made
    made.drop()


def _database_names() -> set[str]:
    with psycopg.connect(services.PG_DSN) as conn:
        return {name for (name,) in conn.execute("SELECT datname FROM pg_database")}


def test_a_used_database_comes_back_empty_at_head_under_a_new_name(templates):
    first = templates.postgres_database("attendance")
    left_open = psycopg.connect(first, autocommit=True)  # as a test that never closed its engine
    left_open.execute("INSERT INTO outbox (event_id, event_type, body, correlation_id, created_at) "
                      "VALUES ('e-1', 'x', '{}', 'c', now()), ('e-2', 'x', '{}', 'c', now())")
    with psycopg.connect(first) as conn:
        [(head,)] = conn.execute("SELECT version_num FROM alembic_version_attendance").fetchall()

    templates.recycle("attendance", first)
    again = templates.postgres_database("attendance")

    assert again != first and first.rsplit("/", 1)[1] not in _database_names()
    assert _is_gone(left_open)  # ended, so it cannot write into the next test's data
    with psycopg.connect(again) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        assert conn.execute("SELECT version_num FROM alembic_version_attendance").fetchall() == [(head,)]
        conn.execute("INSERT INTO outbox (event_id, event_type, body, correlation_id, created_at) VALUES ('e-3', 'x', '{}', 'c', now())")
        # The sequence restarted too: ids in the next test start where a new database's do.
        assert conn.execute("SELECT id FROM outbox").fetchone()[0] == 1


def _is_gone(conn) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def test_a_database_whose_migrations_left_rows_is_not_reused(templates):
    first = templates.postgres_database("notify")
    templates._emptying["notify"] = None  # as when a migration had seeded a table
    templates.recycle("notify", first)
    assert first.rsplit("/", 1)[1] not in _database_names()
    assert templates._free["notify"] == []
