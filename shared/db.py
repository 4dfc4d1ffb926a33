"""Database plumbing: engines, transactions, migrations. One database per service."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, text
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
        with self.engine.begin() as conn:
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
