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


def _members_table(page: str) -> str:
    start = page.index("<h2>Liikmed</h2>" if "<h2>Liikmed</h2>" in page else "<h2>Members</h2>")
    return page[start:page.index("</table>", start)]


def test_a_substituted_member_and_a_request_sent_again_read_in_words(coordinator):
    """The members table showed a substituted member's stored reason, the code 'substituted',
    and the history a confirmation request sent again with the form's request id."""
    h = coordinator
    application_id = complete_application(h, 1)
    sent = submitted(h, application_id)
    kov = next(o["organisation_id"] for o in sent["organisations"] if o["kind"] == "local_government")
    leaving = sent["members"][1]["participant_id"]
    r = h.client.post(f"/api/applications/{application_id}/members/{leaving}/substitute",
                      json={"first_name": "Liis", "last_name": "Lepp", "email": "liis@parnu.ee", "phone": "",
                            "position": "nõunik", "organisation_id": kov})
    assert r.status_code == 200, r.get_json()
    joined = r.get_json()["participant_id"]
    page = h.client.get(f"/applications/{application_id}").get_data(as_text=True)
    token = h.csrf_token(f"/applications/{application_id}")
    request_id = re.search(rf'/members/{joined}/confirmation-again".*?name="request_id" value="([^"]+)"',
                           page, re.S).group(1)
    assert h.client.post(f"/applications/{application_id}/members/{joined}/confirmation-again",
                         data={"csrf_token": token, "request_id": request_id}).status_code == 303

    for lang, replaced, again in (("et", "asendaja Liis Lepp", "Kinnituspalve saadetud uuesti"),
                                  ("en", "replaced by Liis Lepp", "Confirmation request sent again")):
        page = h.client.get(f"/applications/{application_id}?lang={lang}").get_data(as_text=True)
        members = _members_table(page)
        assert replaced in members and not re.search(r"\bsubstituted\b", members)
        history = _history(page)
        assert history[-1].split(" · ")[1:3] == [again, "Liis Lepp"]
        assert request_id not in page
        for item in history:
            assert not re.search(r"\b(member_substituted|confirmation_again)\b", item)
    # The API keeps the codes and the detail as recorded.
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert {m["participant_id"]: m["left_reason"] for m in detail["members"]}[leaving] == "substituted"
    assert detail["decisions"][-1] == {**detail["decisions"][-1], "action": "confirmation_again",
                                       "detail": f"Liis Lepp ({request_id})"}
