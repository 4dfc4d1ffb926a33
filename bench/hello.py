"""The baselines for bench/http.py, served by the same gunicorn with the same options as the
service they are compared with.

- ``app``: a hello-world Flask route.
- ``create_insert_app()``: the issue's reference point, "a simple ORM insert with an outbox
  row": one SQLAlchemy ORM row and one outbox row committed together on PostgreSQL
  (``BENCH_REFERENCE_DATABASE_URL``) -- no validation, no sign-in, no rules, no relay.
- ``create_raw_insert_app()``: the same two rows with raw psycopg (prepared statements, one
  connection per worker): the floor of any request that commits a row and its event.
"""
import json
import os
from datetime import UTC, datetime

import psycopg
from flask import Flask, jsonify, request
from sqlalchemy import JSON, DateTime, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = Flask(__name__)


@app.post("/")
def hello():
    return jsonify({"hello": "world"})


class Base(DeclarativeBase):
    pass


class Mark(Base):
    __tablename__ = "marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(64))
    present: Mapped[bool]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outbox(Base):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_reference_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    engine.dispose()


def create_insert_app() -> Flask:
    engine = create_engine(os.environ["BENCH_REFERENCE_DATABASE_URL"])
    insert = Flask(__name__)

    @insert.post("/")
    def insert_mark():
        body = request.get_json()
        now = datetime.now(UTC)
        with Session(engine) as db, db.begin():
            db.add(Mark(participant_id=body["participant_id"], present=body["present"], at=now))
            db.add(Outbox(event_type="attendance.attendance.recorded", body=body, created_at=now))
        return jsonify({"changed": [body["participant_id"]]})

    return insert


def create_raw_insert_app() -> Flask:
    url = os.environ["BENCH_REFERENCE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    raw = Flask(__name__)
    connection: list[psycopg.Connection] = []  # opened in the worker, after gunicorn's fork

    @raw.post("/")
    def insert_mark():
        body = request.get_json()
        now = datetime.now(UTC)
        if not connection:
            connection.append(psycopg.connect(url))
        db = connection[0]
        with db.transaction():
            db.execute("INSERT INTO marks (participant_id, present, at) VALUES (%s, %s, %s)",
                       (body["participant_id"], body["present"], now), prepare=True)
            db.execute("INSERT INTO outbox (event_type, body, created_at) VALUES (%s, %s, %s)",
                       ("attendance.attendance.recorded", json.dumps(body), now), prepare=True)
        return jsonify({"changed": [body["participant_id"]]})

    return raw
