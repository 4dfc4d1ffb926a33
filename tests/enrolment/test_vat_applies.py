"""Whether VAT applies to an edition's dropout invoices is the edition's (DOMAIN.md: "a
setting"): set on the edition form, the API and the data file, published in
enrolment.edition.published as ``vat_applies`` (left out when not set: billing's own
setting), and fixed with the claim policy once a member has confirmed the conditions."""
from __future__ import annotations

import re

from tests.enrolment.helpers import edition_body, edition_form_data, field_block, submit, submitted, token_of
from tests.enrolment.test_claim_policy import edition_2020
from tests.enrolment.test_editions import _load_edition_command


def _put(h, path: str = "/api/editions/2019", **changes):
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    return h.client.put(path, json={**body, **changes})


def test_not_set_it_is_billings_setting_and_left_out_of_the_event(coordinator):
    h = coordinator
    [event] = h.payloads("enrolment.edition.published")
    assert "vat_applies" not in event
    assert h.client.get("/api/editions/2019").get_json()["vat_applies"] is None


def test_vat_applies_round_trips_through_the_api_and_is_published(coordinator):
    h = coordinator
    r = _put(h, vat_applies=False)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["vat_applies"] is False and r.get_json()["revision"] == 2
    event = h.payloads("enrolment.edition.published")[-1]
    assert (event["revision"], event["vat_applies"]) == (2, False)
    # Omitted: kept (nothing changed, nothing published).
    r = _put(h)
    assert r.status_code == 200 and r.get_json()["vat_applies"] is False
    assert len(h.payloads("enrolment.edition.published")) == 2
    # null: back to billing's setting, published without it.
    r = _put(h, vat_applies=None)
    assert r.status_code == 200 and r.get_json()["vat_applies"] is None
    event = h.payloads("enrolment.edition.published")[-1]
    assert event["revision"] == 3 and event.get("vat_applies") is None
    r = _put(h, vat_applies="perhaps")
    assert r.status_code == 422 and "vat_applies" in r.get_json()["errors"]

    # A new edition may state it from the start.
    r = h.client.post("/api/editions", json=edition_2020(vat_applies=True))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["vat_applies"] is True
    event = h.payloads("enrolment.edition.published")[-1]
    assert (event["edition_id"], event["vat_applies"]) == ("2020", True)


def _selected(page: str) -> str:
    block = field_block(page, "vat_applies")
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', block).group(1)


def test_the_edition_form_offers_yes_no_or_the_services_setting(coordinator):
    h = coordinator
    page = h.client.get("/editions/2019/edit?lang=et").get_data(as_text=True)
    assert "teenuse seadistus" in field_block(page, "vat_applies")
    assert _selected(page) == ""
    data = {**edition_form_data(page), "vat_applies": "no"}
    r = h.client.post("/editions/2019/edit", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    assert h.client.get("/api/editions/2019").get_json()["vat_applies"] is False
    assert h.payloads("enrolment.edition.published")[-1]["vat_applies"] is False
    assert _selected(h.client.get("/editions/2019/edit").get_data(as_text=True)) == "no"

    r = h.client.post("/editions/2019/edit", data={**data, "vat_applies": "maybe"})
    assert r.status_code == 422
    assert "Valige: jah, ei või teenuse seadistus." in field_block(r.get_data(as_text=True), "vat_applies")
    r = h.client.post("/editions/2019/edit?lang=en", data={**data, "vat_applies": "maybe"})
    assert "Choose: yes, no or the service" in field_block(r.get_data(as_text=True), "vat_applies")

    r = h.client.post("/editions/2019/edit", data={**data, "vat_applies": "yes"})
    assert r.status_code == 303
    assert h.payloads("enrolment.edition.published")[-1]["vat_applies"] is True
    assert [e.get("vat_applies") for e in h.payloads("enrolment.edition.published")] == [None, False, True]


def test_the_data_file_sets_vat_applies(coordinator, tmp_path):
    from services.enrolment.data import EDITION_2019

    h = coordinator
    text = EDITION_2019.read_text(encoding="utf-8").replace("2019", "2020")
    assert "# vat_applies: true" in text
    data = tmp_path / "edition_2020.yaml"
    data.write_text(text.replace("# vat_applies: true", "vat_applies: false"), encoding="utf-8")
    done = _load_edition_command(h, str(data))
    assert done.returncode == 0, done.stderr
    assert h.client.get("/api/editions/2020").get_json()["vat_applies"] is False
    event = h.payloads("enrolment.edition.published")[-1]
    assert (event["edition_id"], event["vat_applies"]) == ("2020", False)

    data.write_text(text.replace("# vat_applies: true", "vat_applies: maybe"), encoding="utf-8")
    bad = _load_edition_command(h, str(data))
    assert bad.returncode == 1 and "vat_applies: expected true, false or null" in bad.stderr


def test_after_a_confirmation_vat_applies_is_fixed_with_the_claim_policy(coordinator):
    h = coordinator
    member = submitted(h, submit(h).get_json()["application_id"])["members"][0]
    assert h.client.post(f"/api/confirmations/{token_of(member['confirm_url'])}", json={}).status_code == 200
    r = _put(h, vat_applies=False)
    assert r.status_code == 409 and r.get_json()["reason"] == "claim_policy_confirmed"
    assert list(r.get_json()["errors"]) == ["vat_applies"]
    assert "Käibemaksu kohaldamist ei saa enam muuta" in r.get_json()["errors"]["vat_applies"][0]
    page = h.client.get("/editions/2019/edit?lang=en").get_data(as_text=True)
    r = h.client.post("/editions/2019/edit", data={**edition_form_data(page), "vat_applies": "yes"})
    assert r.status_code == 409
    assert "Whether VAT applies can no longer be changed" in field_block(r.get_data(as_text=True), "vat_applies")
    assert len(h.payloads("enrolment.edition.published")) == 1
    assert h.client.get("/api/editions/2019").get_json()["vat_applies"] is None
