"""'Send the ESF data request again' on the completeness page: the expired-link page tells the
participant to ask the coordinator for a new link, and this is how — also after the deadline,
when notify reminds no more by itself. Each form shown carries its own request_id, which
notify's e-mail is keyed on (one click, one e-mail; a double submit re-publishes the same id);
coordinators of the participant's city only; never for someone whose data is complete."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from shared import clock
from shared.clock import TALLINN
from tests.security.test_csrf import valid_token

from .builders import form_path, hand_built_edition

EVENT = "reporting.esf_data.requested_again"
PAGE = "/editions/edition-2019/completeness"


def _form(h, participant_id: str, query: str = "") -> tuple[str, dict]:
    page = h.client.get(PAGE + query).get_data(as_text=True)
    action = f"{PAGE}/{participant_id}/request-again"
    start = page.find(f'{action}"')
    assert start != -1, f"no 'send again' form for {participant_id}"
    form = page[start:page.find("</form>", start)]
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form))
    assert {"csrf_token", "request_id"} <= set(fields)
    return action, fields


def test_the_coordinator_sends_the_esf_request_again_after_the_deadline(h):
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))  # P7's deadline (17.04) has passed
    # A link signed 61 days ago has expired; its page sends the participant to the coordinator.
    assert h.client.get(form_path(h, "P7")).status_code == 200  # one signed now opens
    clock.set_now(clock.now() - timedelta(days=61))
    old_path = form_path(h, "P7")
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))
    refused = h.client.get(old_path)
    assert refused.status_code == 410 and "koordinaatorilt uus link" in refused.get_data(as_text=True)

    page = h.client.get(PAGE).get_data(as_text=True)
    assert page.count("Saada ESF andmete palve uuesti") == 1  # only P7 misses data
    action, fields = _form(h, "P7", "?missing=1")
    assert fields.get("missing") == "1"
    posted = h.client.post(action, data=fields)
    assert posted.status_code == 303 and posted.headers["Location"].endswith("completeness?missing=1")
    followed = h.client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "ESF andmete palve saadetakse osalejale uuesti, uue isikliku lingiga." in followed
    event, = h.payloads(EVENT)
    assert event == {"participant_id": "P7", "request_id": fields["request_id"], "deadline": "2019-04-17"}

    # The same form twice names the same request (notify sends it once); a later click is a new one.
    h.client.post(action, data=fields)
    _, again = _form(h, "P7")
    assert again["request_id"] != fields["request_id"]
    h.client.post(action, data=again)
    assert [e["request_id"] for e in h.payloads(EVENT)] == [fields["request_id"]] * 2 + [again["request_id"]]
    english = h.client.post(action + "?lang=en", data={**again, "request_id": "another-request-1"})
    assert "The ESF data request is sent to the participant again" in h.client.get(
        english.headers["Location"]).get_data(as_text=True)


def test_no_request_again_for_complete_data_another_city_or_without_the_forms_fields(h):
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2019, 5, 20, 9, tzinfo=TALLINN))
    action, fields = _form(h, "P7")
    complete = h.client.post(f"{PAGE}/T1/request-again", data=fields)
    assert complete.status_code == 303
    assert "on andmed juba esitanud" in h.client.get(complete.headers["Location"]).get_data(as_text=True)
    no_id = h.client.post(action, data={"csrf_token": fields["csrf_token"]})
    assert "päringu tunnus puudub" in h.client.get(no_id.headers["Location"]).get_data(as_text=True)
    assert h.client.post(action, data={"request_id": fields["request_id"]}).status_code == 400  # no CSRF token
    h.login("coordinator:Tartu")
    assert h.client.post(action, data={**fields, "csrf_token": valid_token(h, h.client)}).status_code == 403
    h.login("trainer")
    assert h.client.post(action, data={**fields, "csrf_token": valid_token(h, h.client)}).status_code == 403
    assert h.payloads(EVENT) == []
    # A Tartu coordinator may ask their own (T1 gave everything: refused as complete, not as another city's).
    h.login("coordinator:Tartu")
    mine = h.client.post(f"{PAGE}/T1/request-again", data={**fields, "csrf_token": valid_token(h, h.client)})
    assert mine.status_code == 303 and h.payloads(EVENT) == []
