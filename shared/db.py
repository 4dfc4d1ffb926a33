"""Database plumbing: engines, transactions, migrations. One database per service."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    DateTime,
    MetaData,
    Table,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    insert,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def declarative_base() -> type[DeclarativeBase]:
    """A fresh declarative base for one service: its own metadata, so its own tables."""
    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING)
    return Base


# pg_advisory_xact_lock key of ``Database.migrate`` (advisory locks are per database: one per service).
MIGRATION_LOCK = 0x50524F47_4D494752  # "PROGMIGR"

READ_ONLY = "sqlite_read_only"  # execution option: this connection only reads (see Database.reading)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)  # see below

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL lets web threads read while a worker writes
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")  # a WAL reader neither waits for nor blocks writers
            else:  # take the write lock up front: no deadlocking lock upgrades
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # hide_parameters: a database error's text (logged with its traceback) must not carry the
    # values of the statement — personal codes, e-mail addresses, password hashes.
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True)


# -- many rows, one statement ----------------------------------------------------------------
# An executemany is one execution per row on the server and, through the ORM, a unit of work
# in Python; a sheet writes 30 records, 30 audit lines, 30 participants' next check. On
# PostgreSQL the rows travel as one array per column instead: one short text, prepared once,
# run once. (The outbox's rows, large JSON bodies, stay an executemany: as arrays they were
# measured slower.)

_BULK: dict[tuple, tuple] = {}


def _bulk_statement(table: Table, columns: tuple[str, ...], key: str | None, dialect) -> tuple:
    cached = _BULK.get((table, columns, key, dialect.name))
    if cached is None:
        cols = [table.c[name] for name in columns]
        # bind processors: a TypeDecorator (UtcDateTime) still checks and converts each value
        processors = tuple(col.type.bind_processor(dialect) for col in cols)
        if dialect.name == "postgresql":
            arrays = ", ".join(f"CAST(:c{i} AS {col.type.compile(dialect=dialect)}[])" for i, col in enumerate(cols))
            names = ", ".join(columns)
            if key is None:  # in the rows' order: their ids follow the list
                sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest({arrays}) "  # nosec B608 # our own Table metadata
                       f"WITH ORDINALITY AS u({names}, row_number) ORDER BY row_number")
            else:
                sets = ", ".join(f"{name} = u.{name}" for name in columns if name != key)
                # "= ANY": the rows are found by the key's index, whatever the planner guesses of
                # the join (a generic plan of a join alone chose a scan of the whole table)
                keys = f"CAST(:c{columns.index(key)} AS {table.c[key].type.compile(dialect=dialect)}[])"
                sql = (f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS u({names}) "  # nosec B608 # our own Table metadata
                       f"WHERE {table.name}.{key} = ANY({keys}) AND {table.name}.{key} = u.{key}")
            statement = text(sql)
        elif key is None:
            statement = insert(table)
        else:
            statement = update(table).where(table.c[key] == bindparam("_key")).values(
                {name: bindparam(name) for name in columns if name != key})
        cached = _BULK[(table, columns, key, dialect.name)] = (statement, processors)
    return cached


def write_rows(session: Session, table: Table, rows: list[dict], *, key: str | None = None) -> None:
    """Insert ``rows`` (all with the same columns) into ``table``, in order; or, given ``key``,
    update the rows it names. Written behind the ORM's back: callers keep their objects in step."""
    if not rows:
        return
    columns = tuple(rows[0])
    dialect = session.get_bind().dialect
    statement, processors = _bulk_statement(table, columns, key, dialect)
    if dialect.name == "postgresql":
        params = {}
        for i, (name, process) in enumerate(zip(columns, processors, strict=True)):
            values = [row[name] for row in rows]
            params[f"c{i}"] = values if process is None else [process(v) for v in values]
        session.execute(statement, params)
    elif key is None:
        session.execute(statement, rows)
    else:
        session.execute(statement, [{**row, "_key": row[key]} for row in rows])


class Database:
    def __init__(self, url: str, metadata: MetaData, migrations: Path, service: str):
        self.url = url
        self.metadata = metadata
        self.migrations = migrations
        self.service = service
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self.read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection that only reads: on SQLite it does not queue for the write lock."""
        with self._read_engine.connect() as conn:
            yield conn

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """``transaction()`` for pages and queries that change nothing (same rule as ``reading``)."""
        with self.read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One use case, one transaction: commit on success, roll back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def alembic_config(self) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(self.migrations))
        cfg.set_main_option("sqlalchemy.url", self.url)
        cfg.attributes["database"] = self
        return cfg

    def migrate(self) -> None:
        """Upgrade to head in one transaction. On PostgreSQL it first takes an advisory lock
        held until that transaction ends: a web and a worker container (or a scaled web)
        started together take turns instead of racing to create the same tables, and the
        later one finds the schema at head and does nothing."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg = self.alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out — also on SQLite, which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
