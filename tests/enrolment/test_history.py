"""The application page's history ('Ajalugu' / 'History') names each action in words, in the
page's language; the API keeps the codes (``decisions[].action``)."""
from __future__ import annotations

import re

from tests.enrolment.helpers import complete_application, submit, submitted


def _history(page: str) -> list[str]:
    section = page[page.index("<h2>Ajalugu</h2>" if "<h2>Ajalugu</h2>" in page else "<h2>History</h2>"):]
    return [re.sub(r"\s+", " ", item) for item in re.findall(r"<li>(.*?)</li>", section.split("</ul>", 1)[0], re.S)]


def test_the_history_names_each_action_in_words_and_the_api_keeps_the_codes(coordinator):
    h = coordinator
    application_id = complete_application(h, 1)
    members = submitted(h, application_id)["members"]
    assert h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Pärnu"}).status_code == 200
    r = h.client.post(f"/api/applications/{application_id}/members/{members[3]['participant_id']}/withdraw",
                      json={"reason": "Lahkus töölt"})
    assert r.status_code == 200, r.get_json()
    other = submit(h, 2).get_json()["application_id"]
    assert h.client.post(f"/api/applications/{other}/waitlist", json={"city": "Tartu"}).status_code == 200
    second = submitted(h, other)["members"][0]
    page = h.client.get(f"/applications/{other}").get_data(as_text=True)
    token = h.csrf_token(f"/applications/{other}")
    request_id = re.search(rf'/members/{second["participant_id"]}/confirmation-again".*?name="request_id" '
                           r'value="([^"]+)"', page, re.S).group(1)
    assert h.client.post(f"/applications/{other}/members/{second['participant_id']}/confirmation-again",
                         data={"csrf_token": token, "request_id": request_id}).status_code == 303
    assert h.client.post(f"/api/applications/{other}/reject", json={"reason": "Ei sobi"}).status_code == 200

    history = _history(h.client.get(f"/applications/{application_id}").get_data(as_text=True))
    assert [item.split(" · ")[1] for item in history] == ["Vastu võetud", "Liige tagasi võetud"]
    history = _history(h.client.get(f"/applications/{other}").get_data(as_text=True))
    assert [item.split(" · ")[1] for item in history] == [
        "Ootenimekirja lisatud", "Kinnituspalve saadetud uuesti", "Tagasi lükatud"]
    english = _history(h.client.get(f"/applications/{other}?lang=en").get_data(as_text=True))
    assert [item.split(" · ")[1] for item in english] == [
        "Put on the waiting list", "Confirmation request sent again", "Rejected"]
    for item in history + english:
        assert not re.search(r"\b(accepted|waitlisted|rejected|member_withdrawn|confirmation_again)\b", item)

    # The API keeps the codes.
    assert [d["action"] for d in h.client.get(f"/api/applications/{other}").get_json()["decisions"]] == [
        "waitlisted", "confirmation_again", "rejected"]
    assert [d["action"] for d in h.client.get(f"/api/applications/{application_id}").get_json()["decisions"]] == [
        "accepted", "member_withdrawn"]
