"""'Send the confirmation request again' on the application page: the expired-link page tells the
member the coordinator will send a new link, and this is how. One click, one event (notify
sends one e-mail per request_id, with a link signed then); a double submit of the same form
publishes nothing more; a later click (a new form) sends again. Coordinators of the
application's cities only; never for a member who has confirmed."""
from __future__ import annotations

import re
from datetime import timedelta

from shared import clock
from tests.enrolment.helpers import path_of, submit, submitted, token_of
from tests.security.test_csrf import valid_token

EVENT = "enrolment.member.confirmation_requested_again"


def _form(h, application_id: str, participant_id: str) -> tuple[str, dict]:
    """The member's 'send again' form as the page renders it: its action and fields."""
    page = h.client.get(f"/applications/{application_id}").get_data(as_text=True)
    action = f"/applications/{application_id}/members/{participant_id}/confirmation-again"
    start = page.find(f'{action}"')
    assert start != -1, "no 'send again' form for this member"
    form = page[start:page.find("</form>", start)]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert set(fields) == {"csrf_token", "request_id"}
    return action, fields


def test_the_coordinator_sends_the_confirmation_request_again_once_per_click(coordinator):
    h = coordinator
    application_id = submit(h).get_json()["application_id"]
    members = submitted(h, application_id)["members"]
    first, second = members[0], members[1]
    assert h.client.post(f"/api/confirmations/{token_of(second['confirm_url'])}", json={}).status_code == 200

    # Two months on, the first e-mail's link has expired: the page says the coordinator sends a new one.
    clock.set_now(clock.now() + timedelta(days=61))
    expired = h.client.get(path_of(first["confirm_url"]))
    assert expired.status_code == 410 and "koordinaatoriga, kes saadab uue" in expired.get_data(as_text=True)

    page = h.client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert page.count("Saada kinnituspalve uuesti") == 3  # the three who have not confirmed
    action, fields = _form(h, application_id, first["participant_id"])
    posted = h.client.post(action, data=fields)
    assert posted.status_code == 303
    followed = h.client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "Kinnituspalve saadetakse liikmele uuesti, uue isikliku lingiga." in followed
    assert "Kinnituspalve saadetud uuesti" in followed and "Koordinaator" in followed  # the history names who asked
    event, = h.payloads(EVENT)
    assert event == {"application_id": application_id, "participant_id": first["participant_id"],
                     "request_id": fields["request_id"]}

    # The same form sent twice (a double click, the back button): nothing more.
    assert h.client.post(action, data=fields).status_code == 303
    assert len(h.payloads(EVENT)) == 1
    # A later click is a new request.
    action, again = _form(h, application_id, first["participant_id"])
    assert again["request_id"] != fields["request_id"]
    assert h.client.post(action, data=again).status_code == 303
    assert [e["request_id"] for e in h.payloads(EVENT)] == [fields["request_id"], again["request_id"]]


def test_no_request_again_for_a_member_who_confirmed_nor_without_a_request_id(coordinator):
    h = coordinator
    application_id = submit(h).get_json()["application_id"]
    members = submitted(h, application_id)["members"]
    action, fields = _form(h, application_id, members[0]["participant_id"])
    assert h.client.post(f"/api/confirmations/{token_of(members[0]['confirm_url'])}", json={}).status_code == 200
    refused = h.client.post(action, data=fields)
    assert refused.status_code == 409
    assert "Mari Maasikas on tingimused juba kinnitanud." in refused.get_data(as_text=True)
    english = h.client.post(action + "?lang=en", data=fields)
    assert "Mari Maasikas has already confirmed the conditions." in english.get_data(as_text=True)
    other = members[1]["participant_id"]
    missing = h.client.post(f"/applications/{application_id}/members/{other}/confirmation-again",
                            data={"csrf_token": fields["csrf_token"]})
    assert missing.status_code == 400 and "reload the page" in missing.get_data(as_text=True)  # English chosen
    assert h.payloads(EVENT) == []
    page = h.client.get(f"/applications/{application_id}?lang=et").get_data(as_text=True)
    assert page.count("Saada kinnituspalve uuesti") == 3


def test_the_request_again_needs_a_coordinator_of_the_teams_city_and_a_form_token(h):
    h.login("coordinator")
    application_id = submit(h).get_json()["application_id"]  # Pärnu or Tartu
    participant_id = submitted(h, application_id)["members"][0]["participant_id"]
    action, fields = _form(h, application_id, participant_id)
    assert h.client.post(action, data={"request_id": fields["request_id"]}).status_code == 400  # no CSRF token
    h.login("coordinator:Tallinn")
    assert h.client.post(action, data={**fields, "csrf_token": valid_token(h, h.client)}).status_code == 403
    h.login("trainer")
    assert h.client.post(action, data={**fields, "csrf_token": valid_token(h, h.client)}).status_code == 403
    assert h.payloads(EVENT) == []
