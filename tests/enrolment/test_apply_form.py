"""The public application form: Estonian by default, English on request, CSRF, every typed
value kept on a refusal with each error next to its field, more rows without JavaScript,
one application per form however often it is sent, closed after the deadline."""
from __future__ import annotations

import html as html_lib
import re

import pytest

from shared import clock
from tests.enrolment.helpers import (
    AFTER_DEADLINE,
    application_json,
    bad_checksum,
    counts,
    csrf_of,
    field_block,
    form_data,
    registry_code,
)
from tests.enrolment.test_apply_api import RULES


def _open_form(h, path="/apply"):
    page = h.client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', text).group(1)
    return text, csrf_of(text), key


def test_the_form_is_estonian_by_default_and_english_on_request(h):
    text, _, _ = _open_form(h)
    assert '<html lang="et">' in text and "Meeskonna nimi" in text and "Saada taotlus" in text
    # 4 organisation rows, 8 member rows, 4 ordered city choices, all labelled.
    assert len(re.findall(r'id="organisations-\d+-registry_code"', text)) == 4
    assert len(re.findall(r'id="members-\d+-email"', text)) == 8
    assert len(re.findall(r'id="preferred_cities-\d+"', text)) == 4
    assert '<label for="members-7-email">E-post</label>' in text
    english, _, _ = _open_form(h, "/apply?lang=en")
    assert '<html lang="en">' in english and "Team name" in english and "Send the application" in english


def test_a_valid_form_creates_the_application_and_thanks(h):
    _, csrf, key = _open_form(h)
    r = h.client.post("/apply", data=form_data(application_json(), csrf=csrf, key=key))
    assert r.status_code == 303, r.get_data(as_text=True)
    thanks = h.client.get(r.headers["Location"])
    text = thanks.get_data(as_text=True)
    assert thanks.status_code == 200 and "Aitäh" in text and "Meeskond 1" in text and "kati1@abikasi.ee" in text
    assert counts(h)["applications"] == 1
    [payload] = h.payloads("enrolment.application.submitted")
    assert len(payload["members"]) == 4 and all(m["confirm_url"] for m in payload["members"])
    assert [o["name"] for o in payload["organisations"]] == ["Pärnu Linnavalitsus 1", "MTÜ Abikäsi 1"]


def test_a_refused_form_keeps_every_typed_value_and_shows_each_error_next_to_its_field(h):
    _, csrf, key = _open_form(h, "/apply?lang=en")
    data = application_json()
    data["organisations"][0]["registry_code"] = bad_checksum(registry_code("7", 1))
    data["members"][2]["email"] = "mari1@parnu.ee"  # the first member's address again
    data["intends_to_delegate"] = False
    data["ngo_experience"] = ""
    data["preferred_cities"] = ["Tartu", "Narva"]
    before = counts(h)
    r = h.client.post("/apply", data=form_data(data, csrf=csrf, key=key))
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert counts(h) == before

    code_field = field_block(text, "organisations-0-registry_code")
    assert f'value="{data["organisations"][0]["registry_code"]}"' in code_field
    assert 'role="alert"' in code_field and "check digit" in code_field
    email_field = field_block(text, "members-2-email")
    assert 'value="mari1@parnu.ee"' in email_field and "Another team member already has this" in email_field
    assert "Confirm the firm intention" in field_block(text, "intends_to_delegate")
    assert "This field is required." in field_block(text, "ngo_experience")
    assert "cannot be chosen" in html_lib.unescape(field_block(text, "preferred_cities-1"))
    # Everything else typed is still there.
    for value in ("Meeskond 1", "Pärnu Linnavalitsus 1", "MTÜ Abikäsi 1", "raamatupidamine1@abikasi.ee",
                  "Juurikas", "+372 5123 4567", "projektijuht", "Eakate päevahoid", "Päevahoid koostöös vallaga.",
                  "kontakt1@parnu.ee"):
        assert value in html_lib.unescape(text), value
    assert re.search(r'<option selected value="Tartu">|<option value="Tartu" selected>', text)
    assert re.search(r'<option selected value="2">2\. MTÜ Abikäsi 1</option>', html_lib.unescape(text))
    assert f'value="{key}"' in text  # the same form: sending it again stays one application
    assert "The application was not sent" in text


def test_team_composition_errors_are_shown_above_the_members(h):
    _, csrf, key = _open_form(h)
    data = application_json()
    data["members"] = data["members"][:3]
    r = h.client.post("/apply", data=form_data(data, csrf=csrf, key=key))
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    members_section = text[text.index("Meeskonnaliikmed"):text.index('id="members-0-first_name"')]
    assert 'role="alert"' in members_section and "vähemalt 4 liiget" in members_section


def test_add_rows_gives_more_rows_and_keeps_what_was_typed(h):
    _, csrf, key = _open_form(h)
    data = form_data(application_json(), csrf=csrf, key=key)
    data.pop("submit")
    data["add_rows"] = "1"
    r = h.client.post("/apply", data=data)
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert len(re.findall(r'id="organisations-\d+-name"', text)) == 6
    assert len(re.findall(r'id="members-\d+-email"', text)) == 12
    assert 'value="peeter1@abikasi.ee"' in text and 'role="alert"' not in text
    assert counts(h)["applications"] == 0
    # A fifth member in a new row goes through.
    data = form_data(application_json(), csrf=csrf, key=key, org_rows=6, member_rows=12)
    data.update({"members-10-first_name": "Uus", "members-10-last_name": "Liige",
                 "members-10-email": "uus@abikasi.ee", "members-10-organisation_key": "2"})
    assert h.client.post("/apply", data=data).status_code == 303
    [payload] = h.payloads("enrolment.application.submitted")
    assert len(payload["members"]) == 5


def test_sending_the_same_form_twice_creates_one_application(h):
    _, csrf, key = _open_form(h)
    data = form_data(application_json(), csrf=csrf, key=key)
    first = h.client.post("/apply", data=data)
    second = h.client.post("/apply", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(h)["applications"] == 1
    assert len(h.published("enrolment.application.submitted")) == 1


def test_the_form_needs_its_csrf_token(h):
    _, _, key = _open_form(h)
    r = h.client.post("/apply", data=form_data(application_json(), csrf="forged", key=key))
    assert r.status_code == 400
    assert counts(h)["applications"] == 0


def test_after_the_deadline_the_form_is_closed(h):
    _, csrf, key = _open_form(h)
    clock.set_now(AFTER_DEADLINE)
    page = h.client.get("/apply")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Taotlemine on suletud" in text and "01.03.2019 23:59" in text
    assert 'name="team_name"' not in text
    r = h.client.post("/apply", data=form_data(application_json(), csrf=csrf, key=key))
    assert r.status_code == 409 and "Taotlemine on suletud" in r.get_data(as_text=True)
    assert counts(h)["applications"] == 0
    assert "Applications are closed" in h.client.get("/apply?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("case", RULES)
def test_each_rule_is_refused_in_the_form_next_to_its_field_and_nothing_changes(h, case):
    changes, path, _code = RULES[case]
    data = application_json(**changes)
    expected = h.client.post("/api/applications", json=data).get_json()["errors"][path]
    _, csrf, key = _open_form(h)
    before = counts(h)
    r = h.client.post("/apply", data=form_data(data, csrf=csrf, key=key))
    assert r.status_code == 422
    assert counts(h) == before
    text = r.get_data(as_text=True)
    parts = path.split(".")
    if path in ("members", "organisations", "preferred_cities"):
        # A problem of the whole list is shown at the top of its section.
        legend = {"members": "Meeskonnaliikmed", "organisations": "Organisatsioonid",
                  "preferred_cities": "Linnad, kus meeskond"}[path]
        start = text.index(legend)
        block = text[start:text.index('<div class="field ', start)]
    elif path == "idea.kind":
        block = text[text.index("Teenus on"):text.index('id="intends_to_delegate"')]
    else:
        block = field_block(text, "-".join(parts) if len(parts) > 1 and parts[0] != "idea" else "_".join(parts))
    block = html_lib.unescape(block)
    for message in expected:
        assert message in block, (message, block)
    assert 'role="alert"' in block
