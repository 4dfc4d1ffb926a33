"""``shared.db.write_rows``: many rows in one statement, the same rows as an executemany."""
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, select

from shared.db import UtcDateTime, make_engine, write_rows
from shared.testing import services

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
               Column("name", String(20)), Column("flag", Boolean, nullable=True),
               Column("at", UtcDateTime(), nullable=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request, tmp_path):
    from sqlalchemy.orm import Session
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/rows.sqlite"
    else:
        services.need("127.0.0.1", 5432, "PostgreSQL")
        url = services.create_database("po_test_rows")
    engine = make_engine(url)
    metadata.create_all(engine)
    with Session(engine) as s, s.begin():
        yield s
    engine.dispose()
    if request.param == "postgresql":
        services.drop_database(url)


def test_inserts_keep_the_rows_order_and_convert_times_to_utc(session):
    tallinn = timezone(timedelta(hours=2))
    rows = [{"name": f"n{i}", "flag": [True, False, None][i % 3], "at": datetime(2026, 12, 3, 10, i, tzinfo=tallinn)}
            for i in range(40)]
    write_rows(session, things, rows)
    got = session.execute(select(things).order_by(things.c.id)).all()
    assert [(r.name, r.flag) for r in got] == [(r["name"], r["flag"]) for r in rows]  # ids follow the list
    assert [r.at for r in got] == [r["at"].astimezone(UTC) for r in rows]
    assert all(r.at.tzinfo is not None for r in got)


def test_updates_change_only_the_rows_named(session):
    write_rows(session, things, [{"name": f"n{i}", "flag": True, "at": None} for i in range(5)])
    ids = session.scalars(select(things.c.id).order_by(things.c.id)).all()
    at = datetime(2026, 12, 3, 8, tzinfo=UTC)
    write_rows(session, things, [{"id": ids[1], "flag": False, "at": at}, {"id": ids[3], "flag": None, "at": None}],
               key="id")
    got = {r.id: (r.name, r.flag, r.at) for r in session.execute(select(things))}
    assert got == {ids[0]: ("n0", True, None), ids[1]: ("n1", False, at), ids[2]: ("n2", True, None),
                   ids[3]: ("n3", None, None), ids[4]: ("n4", True, None)}


def test_a_naive_time_is_refused_as_the_orm_refuses_it(session):
    with pytest.raises(Exception, match="naive datetime"):
        write_rows(session, things, [{"name": "x", "flag": True, "at": datetime(2026, 12, 3, 8)}])


def test_nothing_to_write_runs_nothing(session):
    write_rows(session, things, [])
    assert session.scalars(select(things.c.id)).all() == []
