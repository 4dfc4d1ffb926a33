"""What every service app shares (shared/web.py): healthz, the JSON 500, correlation ids."""
from __future__ import annotations

import re
import socket
import uuid

import pytest
from sqlalchemy import select

from services.billing import app as billing
from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from shared.config import SERVICES, Settings
from shared.messaging.tables import MAX_ID
from shared.testing.harness import ServiceHarness
from shared.web import API_WRITE_MEDIA_TYPES
from tests.enrolment.helpers import BEFORE_DEADLINE


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once closed


def _client(tmp_path, database_url: str, bus_url: str):
    kit = billing.bootstrap(Settings.from_env("billing", database_url=database_url, bus_url=bus_url))
    return billing.create_app(kit=kit).test_client(), kit


@pytest.mark.parametrize("down", ["nothing", "database", "bus", "database on PostgreSQL"])
def test_healthz_answers_503_and_names_what_is_down(tmp_path, down):
    database = f"sqlite:///{tmp_path}/billing.sqlite"
    bus = f"sqlite-bus:///{tmp_path}/bus.sqlite"
    if down == "database":
        (tmp_path / "a-directory").mkdir()
        database = f"sqlite:///{tmp_path}/a-directory"  # SQLite cannot open it
    elif down == "database on PostgreSQL":
        database = f"postgresql://programme@127.0.0.1:{_closed_port()}/billing"
    elif down == "bus":
        bus = f"amqp://guest:guest@127.0.0.1:{_closed_port()}/%2F"
    client, kit = _client(tmp_path, database, bus)
    r = client.get("/healthz")
    expected = {"service": "billing", "database": "ok", "bus": "ok"}
    if down != "nothing":
        expected["database" if down.startswith("database") else "bus"] = "down"
    assert r.get_json() == expected
    assert r.status_code == (200 if down == "nothing" else 503)
    kit.db.engine.dispose()


def test_an_unexpected_error_gives_the_json_500_body_and_no_details(tmp_path):
    client, kit = _client(tmp_path, f"sqlite:///{tmp_path}/billing.sqlite", f"sqlite-bus:///{tmp_path}/bus.sqlite")

    def broken():
        raise RuntimeError("secret detail of a bug")

    client.application.add_url_rule("/api/broken", "broken", broken)
    r = client.get("/api/broken")
    assert r.status_code == 500
    assert r.get_json() == {"code": 500, "status": "internal_error",
                            "message": "Something went wrong; the error was logged."}
    assert "secret detail" not in r.get_data(as_text=True)
    kit.db.engine.dispose()


@pytest.fixture
def enrolment(stack):
    clock.set_now(BEFORE_DEADLINE)
    h = stack.harness("enrolment")
    load_edition_file(h.kit, EDITION_2019)
    h.login("coordinator")
    yield h
    h.close()


EDITION = {"year": 2020, "name": "Arenguprogramm 2020", "application_deadline": "2020-03-01T23:59:59+02:00",
           "groups": [{"city": "Viljandi", "capacity_teams": 6, "sessions": [
               {"day_number": d, "starts_at": f"2020-04-0{d}T10:00:00+03:00",
                "ends_at": f"2020-04-0{d}T17:00:00+03:00", "venue": "Viljandi"} for d in (1, 2, 3)]}]}


@pytest.mark.parametrize("header", ["c" * 500, "two words", "<script>"])
def test_a_write_with_an_insane_correlation_id_header_answers_normally_under_a_new_id(enrolment, header):
    """outbox.correlation_id is String(64): a long X-Correlation-ID used to be a 500 on
    PostgreSQL for any write that publishes. Such a header is replaced, not refused."""
    r = enrolment.client.post("/api/editions", json=EDITION, headers={"X-Correlation-ID": header})
    assert r.status_code == 201, r.get_json()
    given = r.headers["X-Correlation-ID"]
    assert str(uuid.UUID(given)) == given
    outbox = enrolment.kit.tables.outbox
    with enrolment.kit.db.reading() as conn:
        row = conn.execute(select(outbox.c.correlation_id).where(outbox.c.event_type == "enrolment.edition.published")
                           .order_by(outbox.c.id.desc())).first()
    assert row.correlation_id == given


def test_a_sane_correlation_id_header_is_kept_on_the_events(enrolment):
    r = enrolment.client.post("/api/editions", json=EDITION, headers={"X-Correlation-ID": "req:2020-04.01_a" * 4})
    assert r.status_code == 201
    assert r.headers["X-Correlation-ID"] == "req:2020-04.01_a" * 4
    assert enrolment.published("enrolment.edition.published")[-1]["correlation_id"] == "req:2020-04.01_a" * 4
    assert re.fullmatch(r"[A-Za-z0-9._:-]{64}", r.headers["X-Correlation-ID"])


WRITES = ("post", "put", "patch", "delete")


@pytest.mark.parametrize("service", SERVICES)
def test_every_write_of_the_api_documents_a_body_the_cross_site_guard_lets_through(tmp_path, service):
    """Writes to the API must be JSON (or a file): anything else is 415 before the operation.
    A write that takes nothing used to be described with no body at all, so a client built from
    the description (schemathesis among them) was refused every time; it now says: send {}."""
    h = ServiceHarness(service, f"sqlite:///{tmp_path}/db.sqlite", f"sqlite-bus:///{tmp_path}/bus.sqlite")
    try:
        spec = h.client.get("/openapi.json").get_json()
        writes = {f"{method.upper()} {path}": operation for path, operations in spec["paths"].items()
                  for method, operation in operations.items() if method in WRITES}
        assert "POST /api/dead-letters/{dead_id}/replay" in writes
        for label, operation in writes.items():
            body = operation.get("requestBody")
            assert body is not None and body.get("required") is True, label
            assert set(body["content"]) & set(API_WRITE_MEDIA_TYPES), label
        empty = writes["POST /api/dead-letters/{dead_id}/replay"]["requestBody"]["content"]
        assert empty == {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}
        h.login("coordinator")
        # What the description says gets past the guard (no such dead letter); nothing at all does not.
        assert h.client.post("/api/dead-letters/1/replay", json={}).status_code == 404
        assert h.client.post("/api/dead-letters/1/replay").status_code == 415
    finally:
        h.close()


def test_a_body_less_write_of_a_service_is_described_with_the_empty_json_body(enrolment):
    spec = enrolment.client.get("/openapi.json").get_json()
    for path in ("/api/groups/{group_id}/promote", "/api/editions/{edition_id}/counselling/announce"):
        assert spec["paths"][path]["post"]["requestBody"]["content"] == {
            "application/json": {"schema": {"type": "object", "maxProperties": 0}}}, path
    group = enrolment.client.get("/api/editions/2019").get_json()["groups"][0]["group_id"]
    r = enrolment.client.post(f"/api/groups/{group}/promote", json={})
    assert (r.status_code, r.get_json()["reason"]) == (409, "waiting_list_empty")


@pytest.fixture
def billing_coordinator(stack):
    h = stack.harness("billing")
    h.login("coordinator")
    yield h
    h.close()


def test_a_dead_letter_id_past_the_databases_integers_is_not_found(billing_coordinator):
    """Ids are 64-bit: a larger number in the path used to reach the database, which refused
    it (SQLite: OverflowError, PostgreSQL: out of range), a 500; it names no dead letter."""
    h = billing_coordinator
    spec = h.client.get("/openapi.json").get_json()
    [dead_id] = spec["paths"]["/api/dead-letters/{dead_id}/replay"]["parameters"]
    assert dead_id["schema"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    for number in (MAX_ID, MAX_ID + 1, 10**30):
        r = h.client.post(f"/api/dead-letters/{number}/replay", json={})
        assert r.status_code == 404 and r.get_json()["status"] == "not_found", (number, r.get_json())
    page = h.client.post(f"/dead-letters/{MAX_ID + 1}/replay", data={"csrf_token": h.csrf_token("/dead-letters")})
    assert page.status_code == 404
