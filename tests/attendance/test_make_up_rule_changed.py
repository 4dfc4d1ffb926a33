"""A change of the edition's make-up rule is told to the others as
``attendance.make_up_rule.changed`` (enrolment and notify state the rule in the conditions a
member confirms): once per change, from the page or the API, with the edition's count of
changes as its revision; a save that changes nothing, or a refused one, tells nothing."""
from __future__ import annotations

import threading

import pytest

from gateway.accounts import parse_grants
from shared import auth
from shared.testing.harness import session_cookie
from tests.security.walk import valid_token

from .builders import EDITION, at, attend, day_over, session_id, setup_2019
from .test_make_up_rule import BROCHURE, LOOSER, OFF, PAGE, RULE, _csrf, set_rule

CHANGED = "attendance.make_up_rule.changed"
FORM_VALUES = {True: "yes", False: "no"}


def post_page(h, body: dict, expect: int = 303):
    html = h.client.get(PAGE).get_data(as_text=True)
    form = {"csrf_token": _csrf(html), "make_ups_allowed": FORM_VALUES[body["make_ups_allowed"]],
            "window": body["window"]}
    response = h.client.post(PAGE, data=form)
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


def change(h, how: str, body: dict) -> None:
    if how == "api":
        assert set_rule(h, body)["changed"] is True
    else:
        post_page(h, body)


def history(h) -> list[dict]:
    return h.client.get(RULE).get_json()["history"]


@pytest.mark.parametrize("first, second", [("api", "page"), ("page", "api")])
def test_each_change_publishes_one_event_with_the_next_revision(h, first, second):
    setup_2019(h)
    h.login("coordinator", email="koordinaator@example.ee")
    h.set_now(at("01.04", 9, 0))
    change(h, first, OFF)
    [one] = h.published(CHANGED)
    assert one["producer"] == "attendance"
    assert one["payload"] == {"edition_id": EDITION, "make_ups_allowed": False, "window": "before_own_next_day",
                              "revision": 1, "changed_at": "2019-04-01T06:00:00+00:00"}
    assert one["payload"]["changed_at"] == history(h)[0]["at"]  # the audit row's time

    h.set_now(at("02.04", 10, 30))
    change(h, second, LOOSER)
    first_again, two = h.published(CHANGED)
    assert first_again == one
    assert two["payload"] == {"edition_id": EDITION, "make_ups_allowed": True, "window": "any_later_same_day",
                              "revision": 2, "changed_at": "2019-04-02T07:30:00+00:00"}
    assert two["payload"]["changed_at"] == history(h)[0]["at"]
    assert len(history(h)) == 2


def test_the_event_commits_with_the_change_and_the_reinstatements_it_causes(h):
    """One request: the rule's event, then its consequences, on one correlation id."""
    setup_2019(h, cities=["Pärnu"])
    h.login("coordinator")
    set_rule(h, OFF)
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    day_over(h, "09.04")
    h.set_now(at("10.04", 9, 0))
    set_rule(h, BROCHURE)
    events = h.published()
    changed = [i for i, e in enumerate(events) if e["event_type"] == CHANGED]
    assert len(changed) == 2
    last = events[changed[-1]]
    assert last["payload"]["revision"] == 2 and last["payload"]["make_ups_allowed"] is True
    reinstated = events[changed[-1] + 1]
    assert reinstated["event_type"] == "attendance.participant.reinstated"
    assert reinstated["correlation_id"] == last["correlation_id"]


def test_saving_the_rule_unchanged_publishes_nothing_and_writes_no_audit_row(h):
    setup_2019(h)
    h.login("coordinator")
    # The brochure's rule, never changed: saving it is no change.
    assert set_rule(h, BROCHURE)["changed"] is False
    post_page(h, BROCHURE)
    assert h.published(CHANGED) == [] and history(h) == []
    set_rule(h, OFF)
    events = len(h.published())
    assert set_rule(h, OFF)["changed"] is False
    post_page(h, OFF)
    assert len(h.published()) == events
    assert [e["payload"]["revision"] for e in h.published(CHANGED)] == [1]
    assert len(history(h)) == 1
    # The next real change still counts only real changes.
    set_rule(h, LOOSER)
    assert [e["payload"]["revision"] for e in h.published(CHANGED)] == [1, 2]


def test_a_refused_change_publishes_nothing(h):
    setup_2019(h)
    events = len(h.published())
    for grant in ("trainer", "trainer:Pärnu", "coordinator:Tartu"):
        h.login(grant)
        assert h.client.put(RULE, json=OFF).status_code == 403, grant
        form = {"csrf_token": valid_token(h.app, h.client), "make_ups_allowed": "no", "window": "before_own_next_day"}
        assert h.client.post(PAGE, data=form).status_code == 403, grant
    h.login("coordinator")
    assert h.client.put(RULE, json={"make_ups_allowed": "maybe", "window": "whenever"}).status_code == 422
    assert h.client.put(RULE, json={"make_ups_allowed": False}).status_code == 422
    assert h.client.put("/api/editions/no-such-edition/make-up-rule", json=OFF).status_code == 404
    html = h.client.get(PAGE).get_data(as_text=True)
    bad = {"csrf_token": _csrf(html), "make_ups_allowed": "perhaps", "window": "before_own_next_day"}
    assert h.client.post(PAGE, data=bad).status_code == 422
    assert len(h.published()) == events and h.published(CHANGED) == []
    assert history(h) == []


def test_two_changes_at_once_get_revisions_1_and_2(h):
    setup_2019(h)
    user = auth.StaffUser("u-c", "Coordinator", "c@example.ee", parse_grants(["coordinator"]))
    clients = []
    for _ in range(2):
        client = h.app.test_client()
        client.set_cookie(auth.SESSION_COOKIE, session_cookie(h.app, user), path="/")
        clients.append(client)
    start = threading.Barrier(2)
    statuses = []

    def put(client, body):
        start.wait()
        statuses.append(client.put(RULE, json=body).status_code)

    threads = [threading.Thread(target=put, args=(c, b)) for c, b in zip(clients, (OFF, LOOSER), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200, 200]
    events = h.payloads(CHANGED)
    assert sorted(e["revision"] for e in events) == [1, 2]
    # The later revision is the rule now in force.
    newest = max(events, key=lambda e: e["revision"])
    h.login("coordinator")
    now = h.client.get(RULE).get_json()
    assert (newest["make_ups_allowed"], newest["window"]) == (now["make_ups_allowed"], now["window"])
