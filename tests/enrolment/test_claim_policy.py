"""The dropout claim policy (cap and daily rate) is the edition's: the coordinator sets it on
the form or the API, it travels in enrolment.edition.published, the conditions a member
confirms state their edition's cap, and after the first confirmation it no longer changes."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from shared.clock import TALLINN
from tests.enrolment.helpers import (
    BEFORE_DEADLINE,
    edition_body,
    edition_form_data,
    field_block,
    path_of,
    submit,
    submitted,
    token_of,
)

BEFORE_2020_DEADLINE = datetime(2020, 2, 15, 10, 0, tzinfo=TALLINN)


def edition_2020(**claim) -> dict:
    return {"year": 2020, "name": "Arenguprogramm 2020", "application_deadline": "2020-03-01T23:59:59+02:00",
            "groups": [{"city": "Viljandi", "capacity_teams": 6, "sessions": [
                {"day_number": d, "starts_at": f"2020-04-0{d}T10:00:00+03:00",
                 "ends_at": f"2020-04-0{d}T17:00:00+03:00", "venue": "Viljandi"} for d in (1, 2, 3)]}],
            **claim}


def test_the_2019_edition_states_its_own_768_and_256(coordinator):
    h = coordinator
    [event] = h.payloads("enrolment.edition.published")
    assert (event["claim_cap"], event["claim_daily_rate"]) == ("768.00", "256.00")
    shown = h.client.get("/api/editions/2019").get_json()
    assert (shown["claim_cap"], shown["claim_daily_rate"]) == ("768.00", "256.00")
    assert h.client.get("/api/edition").get_json()["claim_cap"] == "768.00"
    listing = h.client.get("/editions").get_data(as_text=True)
    assert "256,00\xa0€" in listing and "768,00\xa0€" in listing


def test_a_new_edition_takes_the_settings_unless_given_its_own(stack):
    clock.set_now(BEFORE_DEADLINE)
    h = stack.harness("enrolment", extra={"claim_cap": "900.00", "claim_daily_rate": "300.00"})
    try:
        h.login("coordinator")
        # The data file's own values win over the settings.
        load_edition_file(h.kit, EDITION_2019)
        assert h.payloads("enrolment.edition.published")[0]["claim_cap"] == "768.00"
        r = h.client.post("/api/editions", json=edition_2020())
        assert r.status_code == 201, r.get_json()
        assert (r.get_json()["claim_cap"], r.get_json()["claim_daily_rate"]) == ("900.00", "300.00")
        event = h.payloads("enrolment.edition.published")[-1]
        assert (event["edition_id"], event["claim_cap"], event["claim_daily_rate"]) == ("2020", "900.00", "300.00")
        r = h.client.post("/api/editions", json={**edition_2020(claim_cap="1000", claim_daily_rate="333.33"),
                                                 "year": 2021, "application_deadline": "2021-03-01T23:59:59+02:00",
                                                 "groups": [{**edition_2020()["groups"][0], "sessions": [
                                                     {**s, "starts_at": s["starts_at"].replace("2020", "2021"),
                                                      "ends_at": s["ends_at"].replace("2020", "2021")}
                                                     for s in edition_2020()["groups"][0]["sessions"]]}]})
        assert r.status_code == 201, r.get_json()
        assert (r.get_json()["claim_cap"], r.get_json()["claim_daily_rate"]) == ("1000.00", "333.33")
        # The new-edition form starts from the settings.
        page = h.client.get("/editions/new").get_data(as_text=True)
        assert 'value="900.00"' in field_block(page, "claim_cap")
        assert 'value="300.00"' in field_block(page, "claim_daily_rate")
    finally:
        h.close()


@pytest.mark.parametrize(("claim", "field", "et", "en"), [
    ({"claim_cap": "seitsesada"}, "claim_cap", "Summa kujul 768,00", "An amount like 768.00"),
    ({"claim_cap": "0.00"}, "claim_cap", "suurem kui null", "more than zero"),
    ({"claim_daily_rate": "-5"}, "claim_daily_rate", "Summa kujul 768,00", "An amount like 768.00"),
    ({"claim_cap": "768.005"}, "claim_cap", "kaks kohta pärast koma", "at most two decimals"),
    ({"claim_cap": 900.5}, "claim_cap", "Summa kujul 768,00", "An amount like 768.00"),  # a float: never money
    ({"claim_cap": "500.00", "claim_daily_rate": "600.00"}, "claim_daily_rate",
     "ei saa olla suurem kui nõude ülempiir", "cannot be more than the claim cap"),
])
def test_the_api_refuses_a_bad_claim_policy_with_field_errors_in_both_languages(coordinator, claim, field, et, en):
    h = coordinator
    before = len(h.payloads("enrolment.edition.published"))
    r = h.client.post("/api/editions", json=edition_2020(**claim))
    assert r.status_code == 422, r.get_json()
    assert list(r.get_json()["errors"]) == [field] and et in r.get_json()["errors"][field][0]
    english = h.client.post("/api/editions?lang=en", json=edition_2020(**claim)).get_json()
    assert en in english["errors"][field][0] and english["problems"][field][0]["et"].startswith(
        r.get_json()["errors"][field][0])
    assert len(h.payloads("enrolment.edition.published")) == before
    assert h.client.get("/api/editions/2020").status_code == 404


def test_an_edit_giving_only_the_rate_is_checked_against_the_editions_cap(coordinator):
    h = coordinator
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    r = h.client.put("/api/editions/2019?lang=en", json={**body, "claim_daily_rate": "800.00"})
    assert r.status_code == 422 and "cannot be more than the claim cap (€768.00)" in r.get_json()[
        "errors"]["claim_daily_rate"][0]
    assert len(h.payloads("enrolment.edition.published")) == 1


def test_the_form_sets_the_policy_and_shows_errors_next_to_the_inputs(coordinator):
    h = coordinator
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    data = edition_form_data(page)
    assert (data["claim_cap"], data["claim_daily_rate"]) == ("768.00", "256.00")

    data.update(claim_cap="1,5", claim_daily_rate="900,00")
    r = h.client.post("/editions/2019/edit", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Päevamäär (900,00\xa0€) ei saa olla suurem kui nõude ülempiir (1,50\xa0€)" in field_block(
        text, "claim_daily_rate")
    assert 'value="1,5"' in field_block(text, "claim_cap")  # what was typed stays
    r = h.client.post("/editions/2019/edit?lang=en", data={**data, "claim_cap": "abc"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "An amount like 768.00" in field_block(text, "claim_cap")
    assert len(h.payloads("enrolment.edition.published")) == 1

    # As Estonians write it: a comma for the cents.
    r = h.client.post("/editions/2019/edit", data={**data, "claim_cap": "900,00", "claim_daily_rate": "300"})
    assert r.status_code == 303, r.get_data(as_text=True)
    event = h.payloads("enrolment.edition.published")[-1]
    assert (event["revision"], event["claim_cap"], event["claim_daily_rate"]) == (2, "900.00", "300.00")
    assert event["groups"] == h.payloads("enrolment.edition.published")[0]["groups"]  # the schedule stays


def test_the_conditions_state_the_members_own_editions_cap(stack):
    clock.set_now(BEFORE_DEADLINE)
    h = stack.harness("enrolment", extra={"claim_cap": "900.00"})
    try:
        load_edition_file(h.kit, EDITION_2019)
        old_member = submitted(h, submit(h).get_json()["application_id"])["members"][0]
        h.login("coordinator")
        assert h.client.post("/api/editions", json=edition_2020()).status_code == 201  # the setting: 900.00
        # A member of 2019 still confirms 2019's cap.
        page = h.client.get(path_of(old_member["confirm_url"])).get_data(as_text=True)
        assert "768,00\xa0€" in page and "900" not in page
        confirmed = h.client.post(f"/api/confirmations/{token_of(old_member['confirm_url'])}?lang=en", json={})
        assert any("€768.00" in c for c in confirmed.get_json()["conditions"])

        clock.set_now(BEFORE_2020_DEADLINE)
        r = submit(h, 2, preferred_cities=["Viljandi"])
        assert r.status_code == 201, r.get_json()
        new_member = submitted(h, r.get_json()["application_id"])["members"][0]

        token = token_of(new_member["confirm_url"])
        english = h.client.get(f"/api/confirmations/{token}?lang=en").get_json()
        assert english["claim_cap"] == "900.00"
        assert any("up to €900.00 (incl. VAT) from their employer" in c for c in english["conditions"])
        estonian = h.client.get(f"/api/confirmations/{token}?lang=et").get_json()["conditions"]
        assert any("kuni 900,00\xa0€ (koos käibemaksuga)" in c for c in estonian)
        page = h.client.get(path_of(new_member["confirm_url"])).get_data(as_text=True)
        assert "900,00\xa0€" in page and "768" not in page
    finally:
        h.close()


def test_after_a_confirmation_the_policy_is_fixed(coordinator):
    h = coordinator
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    # Before anyone confirmed, the coordinator may still change it.
    r = h.client.put("/api/editions/2019", json={**body, "claim_cap": "800.00"})
    assert r.status_code == 200 and r.get_json()["claim_cap"] == "800.00" and r.get_json()["revision"] == 2
    member = submitted(h, submit(h).get_json()["application_id"])["members"][2]
    assert h.client.post(f"/api/confirmations/{token_of(member['confirm_url'])}", json={}).status_code == 200

    r = h.client.put("/api/editions/2019", json={**body, "claim_cap": "900.00", "claim_daily_rate": "300.00"})
    assert r.status_code == 409 and r.get_json()["reason"] == "claim_policy_confirmed"
    assert set(r.get_json()["errors"]) == {"claim_cap", "claim_daily_rate"}
    assert "juba kinnitanud" in r.get_json()["message"]
    r = h.client.put("/api/editions/2019?lang=en", json={**body, "claim_daily_rate": "200.00"})
    assert r.status_code == 409 and list(r.get_json()["errors"]) == ["claim_daily_rate"]
    assert "have already confirmed the conditions" in r.get_json()["errors"]["claim_daily_rate"][0]
    page = h.client.get("/editions/2019/edit?lang=et").get_data(as_text=True)
    r = h.client.post("/editions/2019/edit", data={**edition_form_data(page), "claim_cap": "900.00"})
    assert r.status_code == 409 and "juba kinnitanud" in field_block(r.get_data(as_text=True), "claim_cap")
    assert [e["claim_cap"] for e in h.payloads("enrolment.edition.published")] == ["768.00", "800.00"]
    assert h.client.get("/api/editions/2019").get_json()["claim_cap"] == "800.00"

    # The same values, or none, and the schedule may still change.
    body["groups"][0]["sessions"][0]["venue"] = "Pärnu, Rüütli 25"
    r = h.client.put("/api/editions/2019", json={**body, "claim_cap": "800", "claim_daily_rate": "256.00"})
    assert r.status_code == 200 and r.get_json()["revision"] == 3
    assert h.payloads("enrolment.edition.published")[-1]["claim_cap"] == "800.00"


@pytest.mark.parametrize(("extra", "match"), [
    ({"claim_daily_rate": "lots"}, "ENROLMENT_CLAIM_DAILY_RATE"),
    ({"claim_daily_rate": "0"}, "ENROLMENT_CLAIM_DAILY_RATE"),
    ({"claim_cap": "200.00"}, "ENROLMENT_CLAIM_DAILY_RATE: 256.00 is more than ENROLMENT_CLAIM_CAP"),
])
def test_a_default_policy_enrolment_cannot_use_stops_it_at_start_up(extra, match):
    from services.enrolment.app import bootstrap
    from services.enrolment.config import ConfigError
    from shared.config import Settings
    with pytest.raises(ConfigError, match=match):
        bootstrap(Settings.from_env("enrolment", database_url="sqlite://", extra=extra))


# -- a member confirms the conditions they were shown ------------------------------------------------

CHANGED_ET = "Tingimused on vahepeal muutunud; palun lugege need uuesti läbi."
CHANGED_EN = "The conditions have changed in the meantime; please read them again."


def _confirm_form(page: str) -> dict:
    """What the confirmation page's form posts: its hidden inputs (the CSRF token, the cap shown)."""
    start = page.index('<form method="post">')  # the page's own (the layout has a sign-out form)
    form = page[start:page.index("</form>", start)]
    return {re.search(r'name="([^"]+)"', tag).group(1): re.search(r'value="([^"]*)"', tag).group(1)
            for tag in re.findall(r'<input type="hidden"[^>]*>', form)}


def _change_cap(h, cap: str) -> None:
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    r = h.client.put("/api/editions/2019", json={**body, "claim_cap": cap})
    assert r.status_code == 200 and r.get_json()["claim_cap"] == cap, r.get_json()


def test_a_member_whose_page_showed_the_old_cap_reads_the_conditions_again_before_confirming(coordinator):
    h = coordinator
    members = submitted(h, submit(h).get_json()["application_id"])["members"]
    estonian, english = path_of(members[0]["confirm_url"]) + "?lang=et", path_of(members[1]["confirm_url"]) + "?lang=en"
    page = h.client.get(estonian).get_data(as_text=True)
    assert "768,00\xa0€" in page
    shown_et = _confirm_form(page)
    assert shown_et["claim_cap"] == "768.00"
    shown_en = _confirm_form(h.client.get(english).get_data(as_text=True))

    _change_cap(h, "900.00")  # before anyone confirmed: still allowed

    r = h.client.post(estonian, data=shown_et)
    text = r.get_data(as_text=True)
    assert r.status_code == 409
    assert CHANGED_ET in text and "Kinnitus on salvestatud" not in text
    assert "900,00\xa0€" in text and "768" not in text  # the current conditions, to read again
    r = h.client.post(english, data=shown_en)
    text = r.get_data(as_text=True)
    assert r.status_code == 409 and CHANGED_EN in text and "€900.00" in text and "768" not in text
    assert h.payloads("enrolment.member.confirmed") == []
    assert h.client.get(f"/api/confirmations/{token_of(members[0]['confirm_url'])}").get_json()["confirmed_at"] is None

    # The page shown again states 900.00, and confirming it is recorded.
    again = _confirm_form(h.client.post(estonian, data=shown_et).get_data(as_text=True))
    assert again["claim_cap"] == "900.00"
    r = h.client.post(estonian, data=again)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Kinnitus on salvestatud" in text and CHANGED_ET not in text
    assert [e["participant_id"] for e in h.payloads("enrolment.member.confirmed")] == [members[0]["participant_id"]]
    # The stale page once more: already confirmed (to 900.00), nothing new.
    r = h.client.post(estonian, data=shown_et)
    assert r.status_code == 200 and "Kinnitasite tingimused" in r.get_data(as_text=True)
    assert len(h.payloads("enrolment.member.confirmed")) == 1


def test_the_api_refuses_to_record_conditions_that_changed_since_they_were_shown(coordinator):
    h = coordinator
    members = submitted(h, submit(h).get_json()["application_id"])["members"]
    url = f"/api/confirmations/{token_of(members[0]['confirm_url'])}"
    shown = h.client.get(url).get_json()
    assert shown["claim_cap"] == "768.00"

    _change_cap(h, "900.00")

    r = h.client.post(f"{url}?lang=en", json={"claim_cap": shown["claim_cap"]})
    body = r.get_json()
    assert r.status_code == 409, body
    assert (body["reason"], body["message"], body["claim_cap"]) == ("conditions_changed", CHANGED_EN, "900.00")
    assert any("up to €900.00 (incl. VAT) from their employer" in c for c in body["conditions"])
    estonian = h.client.post(f"{url}?lang=et", json={"claim_cap": "768"}).get_json()
    assert estonian["message"] == CHANGED_ET and any("kuni 900,00\xa0€" in c for c in estonian["conditions"])
    assert h.payloads("enrolment.member.confirmed") == []
    assert h.client.get(url).get_json()["confirmed_at"] is None

    r = h.client.post(url, json={"claim_cap": body["claim_cap"]})
    assert r.status_code == 200 and r.get_json()["confirmed_at"] and r.get_json()["claim_cap"] == "900.00"
    # A client that says nothing confirms the conditions as they are now (as before), and is told them.
    r = h.client.post(f"/api/confirmations/{token_of(members[1]['confirm_url'])}?lang=en", json={})
    assert r.status_code == 200 and any("€900.00" in c for c in r.get_json()["conditions"])
    assert len(h.payloads("enrolment.member.confirmed")) == 2


@pytest.mark.parametrize("shown", ["seitsesada", 768.0, True, ["768.00"]])
def test_a_cap_shown_that_is_no_amount_is_a_field_error(h, shown):
    member = submitted(h, submit(h).get_json()["application_id"])["members"][0]
    url = f"/api/confirmations/{token_of(member['confirm_url'])}"
    r = h.client.post(f"{url}?lang=et", json={"claim_cap": shown})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["claim_cap"]
    assert "Summa kujul 768,00" in r.get_json()["errors"]["claim_cap"][0]
    english = h.client.post(f"{url}?lang=en", json={"claim_cap": shown}).get_json()
    assert "An amount like 768.00" in english["errors"]["claim_cap"][0]
    assert h.payloads("enrolment.member.confirmed") == []
