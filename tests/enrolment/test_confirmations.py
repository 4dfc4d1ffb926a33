"""Each member confirms the conditions through a personal, signed, expiring link."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from tests.enrolment.helpers import BEFORE_DEADLINE, path_of, submit, submitted, token_of


def _members(h):
    r = submit(h)
    application_id = r.get_json()["application_id"]
    return application_id, submitted(h, application_id)["members"]


def test_a_member_confirms_once_and_the_last_one_completes_the_application(h, coordinator):
    application_id, members = _members(h)
    first = path_of(members[0]["confirm_url"])
    page = h.client.get(first)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Mari Maasikas" in text and "768,00\xa0€" in text and "kolmel koolituspäeval" in text
    assert "10.00–17.00" in text and 'name="csrf_token"' in text and "Kinnitan" in text

    r = h.client.post(first, data={"csrf_token": h.csrf_token(first)})
    assert r.status_code == 200 and "Kinnitus on salvestatud" in r.get_data(as_text=True)
    assert h.payloads("enrolment.member.confirmed") == [
        {"application_id": application_id, "participant_id": members[0]["participant_id"], "all_confirmed": False}]
    # Confirming again changes nothing and publishes nothing.
    again = h.client.post(first, data={"csrf_token": h.csrf_token(first)})
    assert again.status_code == 200 and "Kinnitasite tingimused" in again.get_data(as_text=True)
    assert len(h.payloads("enrolment.member.confirmed")) == 1
    assert h.client.get(f"/api/applications/{application_id}").get_json()["complete"] is False

    for member in members[1:]:
        r = h.client.post(f"/api/confirmations/{token_of(member['confirm_url'])}", json={})
        assert r.status_code == 200 and r.get_json()["confirmed_at"]
    events = h.payloads("enrolment.member.confirmed")
    assert [e["all_confirmed"] for e in events] == [False, False, False, True]
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert detail["complete"] is True and detail["members_confirmed"] == 4
    assert h.client.get("/api/applications?complete=true").get_json()[0]["application_id"] == application_id


def test_the_page_needs_csrf_and_the_api_answers_in_json(h):
    _, members = _members(h)
    path = path_of(members[1]["confirm_url"])
    assert h.client.post(path, data={}).status_code == 400
    assert h.payloads("enrolment.member.confirmed") == []
    body = h.client.get(f"/api/confirmations/{token_of(members[1]['confirm_url'])}?lang=en").get_json()
    assert body["first_name"] == "Jüri" and body["confirmed_at"] is None
    assert any("768.00" in c and "employer" in c for c in body["conditions"])


def test_a_tampered_link_gets_a_clear_page_and_changes_nothing(h):
    _, members = _members(h)
    token = token_of(members[0]["confirm_url"])
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    page = h.client.get(f"/p/{forged}")
    assert page.status_code == 400
    assert "Link ei kehti" in page.get_data(as_text=True)
    assert h.client.post(f"/api/confirmations/{forged}", json={}).get_json()["reason"] == "link_invalid"
    # A token for another purpose (the same secret) is no confirmation link either.
    from shared.links import make_token
    other = make_token(h.settings.secret_key, "esf", members[0]["participant_id"])
    assert h.client.post(f"/api/confirmations/{other}", json={}).status_code == 400
    assert h.payloads("enrolment.member.confirmed") == []


def test_an_expired_link_gets_a_clear_page(h, monkeypatch):
    _, members = _members(h)
    from shared.links import make_token
    now = clock.now()
    clock.set_now(now - timedelta(days=61))  # a link made longer ago than it stays valid (60 days)
    old = make_token(h.settings.secret_key, "confirm", members[0]["participant_id"])
    clock.set_now(now)
    page = h.client.get(f"/p/{old}?lang=en")
    assert page.status_code == 410 and "The link has expired" in page.get_data(as_text=True)
    r = h.client.post(f"/api/confirmations/{old}", json={})
    assert r.status_code == 410 and r.get_json()["reason"] == "link_expired"
    assert h.payloads("enrolment.member.confirmed") == []


def test_a_member_who_left_cannot_confirm(h, coordinator):
    application_id, members = _members(h)
    r = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/withdraw",
                      json={"reason": "vahetas töökohta"})
    assert r.status_code == 200
    page = h.client.post(f"/api/confirmations/{token_of(members[0]['confirm_url'])}", json={})
    assert page.status_code == 410 and page.get_json()["reason"] == "not_in_team"


def test_an_english_applicant_sees_the_page_in_english(h):
    r = submit(h, language="en")
    [member, *_] = submitted(h, r.get_json()["application_id"])["members"]
    page = h.client.get(path_of(member["confirm_url"]))
    assert page.status_code == 302 and "lang=en" in page.headers["Location"]
    assert "I confirm" in h.client.get(page.headers["Location"]).get_data(as_text=True)


def test_the_conditions_state_the_editions_cap_not_the_setting(stack):
    """ENROLMENT_CLAIM_CAP is only a new edition's default: 2019's file states its own 768.00."""
    clock.set_now(BEFORE_DEADLINE)
    harness = stack.harness("enrolment", extra={"claim_cap": "900.00"})
    try:
        load_edition_file(harness.kit, EDITION_2019)
        _, members = _members(harness)
        token = token_of(members[1]["confirm_url"])
        english = harness.client.get(f"/api/confirmations/{token}?lang=en").get_json()["conditions"]
        assert any("€768.00" in c and "employer" in c for c in english)
        estonian = harness.client.get(f"/api/confirmations/{token}?lang=et").get_json()["conditions"]
        assert any("768,00\xa0€" in c and "tööandjalt" in c for c in estonian)
        page = harness.client.get(path_of(members[1]["confirm_url"])).get_data(as_text=True)
        assert "768,00" in page and "900" not in page
    finally:
        harness.close()


@pytest.mark.parametrize("value", ["seitsesada", "0", "-768", "768.005", "NaN"])
def test_a_claim_cap_enrolment_cannot_state_stops_it_at_start_up(value):
    from services.enrolment.app import bootstrap
    from services.enrolment.config import ConfigError
    from shared.config import Settings
    with pytest.raises(ConfigError, match="ENROLMENT_CLAIM_CAP"):
        bootstrap(Settings.from_env("enrolment", database_url="sqlite://", extra={"claim_cap": value}))
