"""The coordinator's decisions: accept into a city's group, waiting list, reject; capacity;
the waiting list's order and promotion when a place frees."""
from __future__ import annotations

from datetime import timedelta

from shared import clock
from tests.enrolment.helpers import complete_application, edition_body, set_capacity, submit, submitted


def test_accept_publishes_the_team_with_members_organisations_and_contact(coordinator):
    h = coordinator
    application_id = complete_application(h)
    r = h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Pärnu"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() | {} == {**r.get_json(), "status": "accepted", "group_id": "2019-parnu", "changed": True}
    [accepted] = h.payloads("enrolment.application.accepted")
    sent = submitted(h, application_id)
    assert accepted["application_id"] == application_id and accepted["edition_id"] == "2019"
    assert accepted["group_id"] == "2019-parnu" and accepted["city"] == "Pärnu"
    assert accepted["contact_email"] == "kontakt1@parnu.ee" and accepted["team_name"] == "Meeskond 1"
    assert accepted["organisations"] == sent["organisations"]
    assert [m["participant_id"] for m in accepted["members"]] == [m["participant_id"] for m in sent["members"]]
    assert "confirm_url" not in accepted["members"][0]
    # Accepting again is no new decision.
    again = h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Pärnu"})
    assert again.status_code == 200 and again.get_json()["changed"] is False
    assert len(h.payloads("enrolment.application.accepted")) == 1
    # Another group: refused.
    other = h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Tartu"})
    assert other.status_code == 409 and other.get_json()["reason"] == "already_accepted"


def test_an_application_is_accepted_only_when_every_member_confirmed(coordinator):
    h = coordinator
    application_id = submit(h).get_json()["application_id"]
    r = h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Pärnu"})
    assert r.status_code == 409 and r.get_json()["reason"] == "application_incomplete"
    assert h.payloads("enrolment.application.accepted") == []


def test_waitlist_and_reject_publish_their_events(coordinator):
    h = coordinator
    first, second = complete_application(h, 1), submit(h, 2).get_json()["application_id"]
    r = h.client.post(f"/api/applications/{first}/waitlist", json={"city": "Tartu"})
    assert r.status_code == 200 and r.get_json()["position"] == 1
    assert h.payloads("enrolment.application.waitlisted") == [{
        "application_id": first, "city": "Tartu", "position": 1, "team_name": "Meeskond 1",
        "contact_email": "kontakt1@parnu.ee", "previous_position": None}]

    assert h.client.post(f"/api/applications/{second}/reject", json={"reason": "  "}).status_code == 422
    r = h.client.post(f"/api/applications/{second}/reject", json={"reason": "Teenuse idee ei sobi programmi."})
    assert r.status_code == 200
    assert h.payloads("enrolment.application.rejected") == [{
        "application_id": second, "reason": "Teenuse idee ei sobi programmi.", "team_name": "Meeskond 2",
        "contact_email": "kontakt2@parnu.ee"}]
    assert h.client.post(f"/api/applications/{second}/accept", json={"city": "Pärnu"}).get_json()["reason"] \
        == "application_closed"
    assert h.client.post(f"/api/applications/{first}/accept", json={"city": "Narva"}).status_code == 422
    assert h.client.post("/api/applications/nope/accept", json={"city": "Pärnu"}).status_code == 404


def test_a_group_never_takes_more_teams_than_its_capacity(coordinator):
    h = coordinator
    set_capacity(h, "Rakvere", 2)
    ids = [complete_application(h, n) for n in range(1, 4)]
    for application_id in ids[:2]:
        assert h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Rakvere"}).status_code == 200
    r = h.client.post(f"/api/applications/{ids[2]}/accept", json={"city": "Rakvere"})
    assert r.status_code == 409
    assert r.get_json()["reason"] == "group_full" and "Rakvere" in r.get_json()["message"]
    assert len(h.payloads("enrolment.application.accepted")) == 2
    [rakvere] = [c for c in h.client.get("/api/cities").get_json() if c["city"] == "Rakvere"]
    assert (rakvere["accepted"], rakvere["free"], rakvere["capacity_teams"]) == (2, 0, 2)
    # Nor can an edit shrink the group below the teams it has.
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    next(g for g in body["groups"] if g["city"] == "Rakvere")["capacity_teams"] = 1
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 422 and r.get_json()["problems"]["groups.2.capacity_teams"][0]["code"] == \
        "capacity_below_accepted"


def test_the_waiting_list_keeps_its_order_and_the_next_team_is_promoted_when_a_place_frees(coordinator):
    h = coordinator
    set_capacity(h, "Tartu", 1)
    placed, a, b, c = (complete_application(h, n) for n in range(1, 5))
    assert h.client.post(f"/api/applications/{placed}/accept", json={"city": "Tartu"}).status_code == 200
    for application_id in (a, b, c):
        r = h.client.post(f"/api/applications/{application_id}/waitlist", json={"city": "Tartu"})
        assert r.status_code == 200
    assert [p["position"] for p in h.payloads("enrolment.application.waitlisted")] == [1, 2, 3]
    group = h.client.get("/api/groups/2019-tartu").get_json()
    assert [w["application_id"] for w in group["waiting"]] == [a, b, c]
    assert [w["position"] for w in group["waiting"]] == [1, 2, 3]

    # The group is full: promoting is refused; skipping the queue is refused.
    assert h.client.post("/api/groups/2019-tartu/promote", json={}).get_json()["reason"] == "group_full"
    # A place frees: the team withdraws; the answer and the counts name who is next.
    r = h.client.post(f"/api/applications/{placed}/withdraw", json={"reason": "vald loobus"})
    assert r.status_code == 200
    assert r.get_json()["next_on_waiting_list"]["application_id"] == a
    [tartu] = [x for x in h.client.get("/api/cities").get_json() if x["city"] == "Tartu"]
    assert tartu["free"] == 1 and tartu["next_on_waiting_list"]["application_id"] == a
    skip = h.client.post(f"/api/applications/{b}/accept", json={"city": "Tartu"})
    assert skip.status_code == 409 and skip.get_json()["reason"] == "not_next_on_waiting_list"

    r = h.client.post("/api/groups/2019-tartu/promote", json={})
    assert r.status_code == 200 and r.get_json()["application_id"] == a
    accepted = h.payloads("enrolment.application.accepted")
    assert accepted[-1]["application_id"] == a and accepted[-1]["group_id"] == "2019-tartu"
    # The others moved up, in their order, and were told.
    moved = h.payloads("enrolment.application.waitlisted")[3:]
    assert [(m["application_id"], m["position"], m["previous_position"]) for m in moved] == [(b, 1, 2), (c, 2, 3)]
    group = h.client.get("/api/groups/2019-tartu").get_json()
    assert [w["application_id"] for w in group["waiting"]] == [b, c]
    assert [t["application_id"] for t in group["accepted"]] == [a]


def test_the_coordinator_pages_show_the_list_filters_counts_and_decide(coordinator):
    h = coordinator
    ready, pending = complete_application(h, 1), submit(h, 2, preferred_cities=["Tallinn"]).get_json()["application_id"]
    page = h.client.get("/applications").get_data(as_text=True)
    assert "Meeskond 1" in page and "Meeskond 2" in page and "Pärnu" in page
    assert "Meeskond 2" not in h.client.get("/applications?complete=yes").get_data(as_text=True)
    assert "Meeskond 1" not in h.client.get("/applications?city=Tallinn").get_data(as_text=True)
    assert "Meeskond 1" not in h.client.get("/applications?status=accepted").get_data(as_text=True)

    detail = f"/applications/{ready}"
    text = h.client.get(detail).get_data(as_text=True)
    assert "Mari Maasikas" in text and "Kõik liikmed on kinnitanud" in text
    token = h.csrf_token(detail)
    r = h.client.post(f"{detail}/accept", data={"csrf_token": token, "city": "Pärnu"})
    assert r.status_code == 303
    assert "Meeskond võeti vastu" in h.client.get(r.headers["Location"]).get_data(as_text=True)
    assert h.payloads("enrolment.application.accepted")[0]["application_id"] == ready

    # A refusal is shown next to the form it came from, with the typed reason kept.
    r = h.client.post(f"/applications/{pending}/accept", data={"csrf_token": token, "city": "Pärnu"})
    assert r.status_code == 409 and 'role="alert"' in r.get_data(as_text=True)
    assert "Kõik meeskonnaliikmed ei ole veel" in r.get_data(as_text=True)
    r = h.client.post(f"/applications/{pending}/reject", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422 and "Põhjus on kohustuslik" in r.get_data(as_text=True)
    r = h.client.post(f"/applications/{pending}/waitlist", data={"csrf_token": token, "city": "Tallinn"})
    assert r.status_code == 303
    group = h.client.get("/groups/2019-tallinn").get_data(as_text=True)
    assert "Meeskond 2" in group and "Ootenimekiri" in group


def test_the_staff_list_filters_by_status_city_and_completeness_and_counts_per_city(coordinator):
    h = coordinator
    ready = complete_application(h, 1, preferred_cities=["Tartu", "Pärnu"])
    clock.advance(timedelta(minutes=5))  # listed in the order they came in
    pending = submit(h, 2, preferred_cities=["Tallinn"]).get_json()["application_id"]
    clock.advance(timedelta(minutes=5))
    waiting = complete_application(h, 3, preferred_cities=["Rakvere"])
    h.client.post(f"/api/applications/{waiting}/waitlist", json={"city": "Rakvere"})

    def ids(query):
        return [a["application_id"] for a in h.client.get(f"/api/applications{query}").get_json()]
    assert ids("") == [ready, pending, waiting]
    assert ids("?status=submitted") == [ready, pending]
    assert ids("?status=waitlisted") == [waiting]
    assert ids("?complete=false") == [pending]
    assert ids("?complete=true&city=Pärnu") == [ready]
    assert ids("?city=Rakvere") == [waiting]
    assert h.client.get("/api/applications?status=bogus").status_code == 422
    counts = {c["city"]: c for c in h.client.get("/api/cities").get_json()}
    assert counts["Tartu"]["undecided_first_choice"] == 1 and counts["Pärnu"]["undecided_any_choice"] == 1
    assert counts["Tallinn"]["undecided_first_choice"] == 1
    assert counts["Rakvere"]["waiting"] == 1 and counts["Rakvere"]["next_on_waiting_list"]["application_id"] == waiting
    assert counts["Pärnu"] | {} == {**counts["Pärnu"], "capacity_teams": 7, "accepted": 0, "free": 7}


def test_a_team_still_waiting_for_confirmations_keeps_its_place_but_does_not_hold_up_the_next(coordinator):
    h = coordinator
    set_capacity(h, "Tartu", 1)
    placed = complete_application(h, 1)
    r = submit(h, 2)
    unconfirmed = r.get_json()["application_id"]  # nobody in it has confirmed yet
    ready = complete_application(h, 3)
    assert h.client.post(f"/api/applications/{placed}/accept", json={"city": "Tartu"}).status_code == 200
    for application_id in (unconfirmed, ready):
        assert h.client.post(f"/api/applications/{application_id}/waitlist", json={"city": "Tartu"}).status_code == 200

    r = h.client.post(f"/api/applications/{placed}/withdraw", json={"reason": "vald loobus"})
    assert r.get_json()["next_on_waiting_list"] == {"application_id": ready, "team_name": "Meeskond 3",
                                                    "complete": True}
    group = h.client.get("/api/groups/2019-tartu").get_json()
    assert group["next_on_waiting_list"]["application_id"] == ready
    assert "Meeskond 3" in h.client.get("/groups/2019-tartu").get_data(as_text=True).split("Järgmine")[1][:300]
    assert h.client.post(f"/api/applications/{unconfirmed}/accept", json={"city": "Tartu"}).get_json()["reason"] \
        == "application_incomplete"

    r = h.client.post("/api/groups/2019-tartu/promote", json={})
    assert r.status_code == 200 and r.get_json()["application_id"] == ready
    group = h.client.get("/api/groups/2019-tartu").get_json()
    assert [(w["application_id"], w["position"]) for w in group["waiting"]] == [(unconfirmed, 1)]
    assert group["next_on_waiting_list"] == {"application_id": unconfirmed, "team_name": "Meeskond 2",
                                             "complete": False}


def test_a_freed_place_goes_to_the_waiting_team_not_to_an_undecided_or_other_citys_team(coordinator):
    """A place freed in Tartu went to whichever team the coordinator accepted next, though a
    complete team was waiting for it: nobody is accepted past the longest-waiting complete team."""
    h = coordinator
    set_capacity(h, "Tartu", 1)
    placed, waiting, undecided, elsewhere = (complete_application(h, n) for n in range(1, 5))
    assert h.client.post(f"/api/applications/{placed}/accept", json={"city": "Tartu"}).status_code == 200
    assert h.client.post(f"/api/applications/{waiting}/waitlist", json={"city": "Tartu"}).status_code == 200
    assert h.client.post(f"/api/applications/{elsewhere}/waitlist", json={"city": "Pärnu"}).status_code == 200
    h.client.post(f"/api/applications/{placed}/withdraw", json={"reason": "vald loobus"})

    for application_id in (undecided, elsewhere):
        r = h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Tartu"})
        assert r.status_code == 409 and r.get_json()["reason"] == "not_next_on_waiting_list", r.get_json()
    token = h.csrf_token(f"/applications/{undecided}")
    page = h.client.post(f"/applications/{undecided}/accept", data={"csrf_token": token, "city": "Tartu"})
    assert page.status_code == 409 and "Meeskond 2" in page.get_data(as_text=True)
    assert h.payloads("enrolment.application.accepted")[-1]["application_id"] == placed
    r = h.client.post("/api/groups/2019-tartu/promote", json={})
    assert r.status_code == 200 and r.get_json()["application_id"] == waiting
    # With nobody waiting in Tartu, its next free place may go to anyone the coordinator chooses.
    set_capacity(h, "Tartu", 2)
    assert h.client.post(f"/api/applications/{undecided}/accept", json={"city": "Tartu"}).status_code == 200


def test_with_nobody_ready_on_the_list_promoting_says_why(coordinator):
    h = coordinator
    set_capacity(h, "Tartu", 1)
    placed = complete_application(h, 1)
    unconfirmed = submit(h, 2).get_json()["application_id"]
    h.client.post(f"/api/applications/{placed}/accept", json={"city": "Tartu"})
    h.client.post(f"/api/applications/{unconfirmed}/waitlist", json={"city": "Tartu"})
    h.client.post(f"/api/applications/{placed}/withdraw", json={"reason": "vald loobus"})
    r = h.client.post("/api/groups/2019-tartu/promote", json={})
    assert r.status_code == 409 and r.get_json()["reason"] == "application_incomplete"
    assert h.payloads("enrolment.application.accepted")[-1]["application_id"] == placed




def _resolved(spec: dict, node: dict) -> dict:
    """Follow an OpenAPI ``$ref`` ("#/components/…") to what it names."""
    while "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        node = spec
        for part in path:
            node = node[part]
    return node


def test_a_refused_filter_answers_with_the_error_body_the_description_promises(coordinator):
    """The API's 422 carries ``problems`` (codes in both languages) besides ``errors``; the
    description of the filtered lists promised the shared error body without them."""
    h = coordinator
    spec = h.client.get("/openapi.json").get_json()

    def documented(path: str) -> dict:
        response = _resolved(spec, spec["paths"][path]["get"]["responses"]["422"])
        return _resolved(spec, response["content"]["application/json"]["schema"])["properties"]
    assert {"errors", "problems", "reason"} <= set(documented("/api/cities"))
    r = h.client.get("/api/applications?status=bogus&complete=maybe")
    body = r.get_json()
    assert r.status_code == 422 and set(body) <= set(documented("/api/applications"))
    assert {path: [p["code"] for p in found] for path, found in body["problems"].items()} == {
        "status": ["invalid_input"], "complete": ["invalid_input"]}
