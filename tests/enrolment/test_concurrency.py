"""Two coordinators at the same moment: a group never exceeds its capacity (the group row is
locked, SELECT … FOR UPDATE on PostgreSQL); a double submit racing itself is one application;
a first confirmation and a change of the claim policy never both succeed."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select, text

from services.enrolment.adapters.models import Application
from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import auth, clock
from shared.testing.harness import session_cookie
from tests.enrolment.helpers import (
    BEFORE_DEADLINE,
    application_json,
    complete_application,
    edition_body,
    submit,
    submitted,
    token_of,
)


def _client(h, user=None):
    client = h.app.test_client()
    if user is not None:
        client.set_cookie(auth.SESSION_COOKIE, session_cookie(h.app, user), path="/")
    return client


def _race(calls):
    """Start every call at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def pg(rabbitmq_stack):
    """The service on PostgreSQL (and RabbitMQ), where the lock is a real row lock."""
    clock.set_now(BEFORE_DEADLINE)
    h = rabbitmq_stack.harness("enrolment")
    assert h.kit.db.dialect == "postgresql"
    load_edition_file(h.kit, EDITION_2019)
    yield h
    h.close()


def test_ten_coordinators_accepting_ten_teams_into_a_group_of_seven_at_once_on_postgresql(pg):
    h = pg
    user = h.login("coordinator")
    ids = [complete_application(h, n) for n in range(1, 11)]
    clients = [_client(h, user) for _ in ids]
    calls = [lambda c=c, i=i: c.post(f"/api/applications/{i}/accept", json={"city": "Pärnu"})
             for c, i in zip(clients, ids, strict=True)]
    responses = _race(calls)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [409] * 3
    refused = [r.get_json() for r in responses if r.status_code == 409]
    assert {r["reason"] for r in refused} == {"group_full"}
    assert all("Pärnu" in r["message"] and "7" in r["message"] for r in refused)
    with h.kit.db.engine.connect() as conn:
        accepted = conn.execute(select(func.count()).select_from(Application).where(
            Application.group_id == "2019-parnu", Application.status == "accepted")).scalar_one()
    assert accepted == 7
    assert len(h.payloads("enrolment.application.accepted")) == 7


def test_capacity_holds_under_concurrency_on_both_backends(h):
    user = h.login("coordinator")
    ids = [complete_application(h, n) for n in range(1, 10)]
    calls = [lambda i=i: _client(h, user).post(f"/api/applications/{i}/accept", json={"city": "Tartu"})
             for i in ids]
    statuses = sorted(r.status_code for r in _race(calls))
    assert statuses == [200] * 7 + [409] * 2
    assert len(h.payloads("enrolment.application.accepted")) == 7


def test_a_double_submit_racing_itself_creates_one_application(h):
    body = application_json()
    calls = [lambda: _client(h).post("/api/applications", json=body, headers={"Idempotency-Key": "race-key-0001"})
             for _ in range(5)]
    responses = _race(calls)
    assert {r.status_code for r in responses} == {201}
    assert len({r.get_json()["application_id"] for r in responses}) == 1
    with h.kit.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Application)).scalar_one() == 1
    assert len(h.payloads("enrolment.application.submitted")) == 1


def test_two_coordinators_promoting_at_once_take_the_waiting_list_in_order(h):
    user = h.login("coordinator")
    from tests.enrolment.helpers import set_capacity
    set_capacity(h, "Tallinn", 2)
    placed = [complete_application(h, n) for n in (1, 2)]
    waiting = [complete_application(h, n) for n in (3, 4, 5)]
    for application_id in placed:
        assert h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Tallinn"}).status_code == 200
    for application_id in waiting:
        assert h.client.post(f"/api/applications/{application_id}/waitlist", json={"city": "Tallinn"}).status_code == 200
    for application_id in placed:
        assert h.client.post(f"/api/applications/{application_id}/withdraw", json={"reason": "x"}).status_code == 200
    calls = [lambda: _client(h, user).post("/api/groups/2019-tallinn/promote", json={}) for _ in range(3)]
    responses = _race(calls)
    assert sorted(r.status_code for r in responses) == [200, 200, 409]
    assert sorted(r.get_json()["application_id"] for r in responses if r.status_code == 200) == sorted(waiting[:2])
    assert [r.get_json()["reason"] for r in responses if r.status_code == 409] == ["group_full"]
    group = h.client.get("/api/groups/2019-tallinn").get_json()
    assert [w["application_id"] for w in group["waiting"]] == [waiting[2]]


# -- a first confirmation against a change of the claim policy --------------------------------------

def _waiting_for_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one())


def _first_holds_its_commit(engine, first, second):
    """Run ``first`` until it is about to commit what it wrote (its locks held), then ``second``
    until it waits for a lock or ends, then let ``first`` commit: the interleaving a barrier only
    hits by luck. Returns both responses."""
    state = {"thread": None, "wrote": False}
    reached, release = threading.Event(), threading.Event()

    def executing(conn, cursor, statement, *args):
        if threading.get_ident() == state["thread"] and statement.lstrip()[:6].upper() in ("UPDATE", "INSERT"):
            state["wrote"] = True

    def committing(conn):
        if threading.get_ident() == state["thread"] and state["wrote"]:
            state["thread"] = None
            reached.set()
            release.wait(30)

    def run_first():
        state["thread"] = threading.get_ident()
        return first()

    event.listen(engine, "before_cursor_execute", executing)
    event.listen(engine, "commit", committing)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            held = pool.submit(run_first)
            assert reached.wait(30), "the first call never came to commit"
            other = pool.submit(second)
            deadline = time.monotonic() + 10
            while not (other.done() or _waiting_for_a_lock(engine)) and time.monotonic() < deadline:
                time.sleep(0.05)
            release.set()
            return held.result(timeout=30), other.result(timeout=30)
    finally:
        release.set()
        event.remove(engine, "commit", committing)
        event.remove(engine, "before_cursor_execute", executing)


@pytest.fixture
def policy_race(pg):
    """A coordinator's change of the cap (768.00 → 900.00) and a member's first confirmation of
    the 768.00 they were shown, each a call."""
    h = pg
    user = h.login("coordinator")
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    member = submitted(h, submit(h).get_json()["application_id"])["members"][0]
    url = f"/api/confirmations/{token_of(member['confirm_url'])}"
    shown = h.client.get(url).get_json()["claim_cap"]
    assert shown == "768.00"

    def edit():
        return _client(h, user).put("/api/editions/2019", json={**body, "claim_cap": "900.00"})

    def confirm():
        return _client(h).post(url, json={"claim_cap": shown})
    return h, edit, confirm, url


def test_a_change_of_the_cap_waits_for_a_first_confirmation_under_way_and_is_refused(policy_race):
    h, edit, confirm, url = policy_race
    confirmed, edited = _first_holds_its_commit(h.kit.db.engine, confirm, edit)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert edited.status_code == 409 and edited.get_json()["reason"] == "claim_policy_confirmed", edited.get_json()
    assert h.client.get("/api/editions/2019").get_json()["claim_cap"] == "768.00"
    assert [e["claim_cap"] for e in h.payloads("enrolment.edition.published")] == ["768.00"]
    assert h.client.get(url).get_json()["confirmed_at"] is not None


def test_a_confirmation_waits_for_a_change_of_the_cap_under_way_and_sees_it(policy_race):
    h, edit, confirm, url = policy_race
    edited, confirmed = _first_holds_its_commit(h.kit.db.engine, edit, confirm)
    assert edited.status_code == 200 and edited.get_json()["claim_cap"] == "900.00", edited.get_json()
    body = confirmed.get_json()
    assert confirmed.status_code == 409 and body["reason"] == "conditions_changed", body
    assert body["claim_cap"] == "900.00"
    assert h.payloads("enrolment.member.confirmed") == []
    assert h.client.get(url).get_json()["confirmed_at"] is None

