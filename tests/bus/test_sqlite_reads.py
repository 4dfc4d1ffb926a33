"""Embedded mode's SQLite: writers take the lock up front, readers never queue for it."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/t.sqlite", None, tmp_path, "t")
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    yield database
    database.engine.dispose()


def test_a_reader_sees_the_last_commit_while_a_writer_holds_the_lock(db):
    # (Were the reader to BEGIN IMMEDIATE too, it would wait out the 30 s busy timeout and fail.)
    with db.transaction() as writing:
        writing.execute(text("INSERT INTO t VALUES (2)"))  # the write lock is held, uncommitted
        with db.reading() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 1


def test_a_read_session_does_not_wait_for_a_writer_either(db):
    with db.transaction() as writing:
        writing.execute(text("INSERT INTO t VALUES (2)"))
        with db.read_session() as reading:
            assert reading.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
