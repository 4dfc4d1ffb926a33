"""Reaching the real RabbitMQ and PostgreSQL from tests.

Without them a test that needs them skips — unless REQUIRE_SERVICES=1 (CI), when it fails.
"""
from __future__ import annotations

import os
import socket
import subprocess
import uuid

import pytest

AMQP_HOST = os.environ.get("TEST_AMQP_HOST", "127.0.0.1")
PG_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def need(host: str, port: int, what: str) -> None:
    if not reachable(host, port):
        missing(f"{what} is not reachable at {host}:{port}")


def missing(message: str) -> None:
    """Something a test needs is not there: skip, or with REQUIRE_SERVICES=1 (CI) fail."""
    if required():
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


def new_vhost() -> str:
    """A private RabbitMQ vhost, so tests never see each other's queues."""
    name = f"po-test-{uuid.uuid4().hex[:10]}"
    for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
    return name


def delete_vhost(name: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True, timeout=60)


def create_database(prefix: str, template: str | None = None) -> str:
    """A new, empty database — or a copy of ``template`` (which nobody may be connected to)."""
    import psycopg
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return PG_DSN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
