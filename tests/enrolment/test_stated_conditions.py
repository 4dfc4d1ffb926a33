"""The conditions a member confirms state the edition's actual terms: the cap with the VAT
clause only where VAT applies (the edition's vat_applies; unset = billing's setting, by
default VAT applies), and the make-up rule attendance set for the edition
(attendance.make_up_rule.changed; none seen = the brochure's). A confirmation sent after any
of these changed since the member read them records nothing (409 conditions_changed)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from html import unescape

import pytest

from gateway.accounts import parse_grants
from shared import auth
from shared.events.registry import encode
from shared.testing.harness import FakeMessage, session_cookie
from tests.enrolment.helpers import edition_body, path_of, submit, submitted, token_of
from tests.enrolment.test_claim_policy import CHANGED_EN, CHANGED_ET, _confirm_form

CHANGED_AT = datetime(2019, 2, 14, 9, 0, tzinfo=UTC)

BROCHURE_ET = ("Vahele jäänud päeva saab korvata sama päevaga teise linna rühmas, kui see toimub enne oma "
               "rühma järgmist päeva.")
BROCHURE_EN = ("A missed day can be made up by attending the same day in another city's group, if it takes "
               "place before your own group's next day.")
LATER_ET = "Vahele jäänud päeva saab korvata sama päevaga teise linna rühmas, ükskõik millisel hilisemal selle päeva koolitusel."
LATER_EN = "A missed day can be made up by attending the same day in another city's group, at any later session of that day."
NONE_ET = "Vahele jäänud päeva ei saa korvata: koolituspäevalt puudumine tähendab programmi katkestamist."
NONE_EN = "A missed day cannot be made up: missing a day means dropping out of the programme."


def rule(revision: int, allowed: bool = True, window: str = "before_own_next_day", edition: str = "2019") -> dict:
    return {"edition_id": edition, "make_ups_allowed": allowed, "window": window, "revision": revision,
            "changed_at": CHANGED_AT}


def member(h, n: int = 1, index: int = 0) -> dict:
    return submitted(h, submit(h, n).get_json()["application_id"])["members"][index]


def api(h, m: dict, language: str = "et") -> dict:
    r = h.client.get(f"/api/confirmations/{token_of(m['confirm_url'])}?lang={language}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def page(h, m: dict, language: str = "et") -> str:
    r = h.client.get(f"{path_of(m['confirm_url'])}?lang={language}")
    assert r.status_code == 200
    return unescape(r.get_data(as_text=True))


def set_vat(h, vat_applies) -> None:
    """A coordinator sets it in their own browser (the member's keeps its session and CSRF token)."""
    staff = h.app.test_client()
    user = auth.StaffUser("u-coordinator", "Koordinaator", "koordinaator@example.ee", parse_grants(["coordinator"]))
    staff.set_cookie(auth.SESSION_COOKIE, session_cookie(h.app, user), path="/")
    body = edition_body(staff.get("/api/editions/2019").get_json())
    r = staff.put("/api/editions/2019", json={**body, "vat_applies": vat_applies})
    assert r.status_code == 200 and r.get_json()["vat_applies"] is vat_applies, r.get_json()


def confirmed(h) -> list[str]:
    return [e["participant_id"] for e in h.payloads("enrolment.member.confirmed")]


# -- VAT ------------------------------------------------------------------------------------------

def test_where_vat_does_not_apply_the_cap_is_stated_without_the_vat_clause(h):
    set_vat(h, False)
    m = member(h)
    estonian, english = api(h, m, "et")["conditions"], api(h, m, "en")["conditions"]
    assert any("nõuda tema tööandjalt kuni 768,00\xa0€ tehtud koolituskulude eest" in c for c in estonian)
    assert any("may claim up to €768.00 from their employer" in c for c in english)
    for language in ("et", "en"):
        text = page(h, m, language)
        assert "käibemaks" not in text and "VAT" not in text
        assert "768,00\xa0€" in text if language == "et" else "€768.00" in text
    assert not any("käibemaks" in c for c in estonian) and not any("VAT" in c for c in english)
    r = h.client.post(f"/api/confirmations/{token_of(m['confirm_url'])}?lang=en", json={})
    assert r.status_code == 200 and not any("VAT" in c for c in r.get_json()["conditions"])


@pytest.mark.parametrize("vat_applies", [True, None])
def test_where_vat_applies_or_is_left_to_billing_the_cap_is_stated_incl_vat(h, vat_applies):
    set_vat(h, vat_applies)
    m = member(h)
    assert any("kuni 768,00\xa0€ (koos käibemaksuga) tehtud" in c for c in api(h, m, "et")["conditions"])
    assert any("up to €768.00 (incl. VAT) from their employer" in c for c in api(h, m, "en")["conditions"])
    assert page(h, m, "et").count("768,00\xa0€ (koos käibemaksuga)") == 2  # the condition and the button's text
    assert page(h, m, "en").count("€768.00 (incl. VAT)") == 2


def test_a_change_of_vat_since_the_page_was_read_is_read_again_first(h):
    m = member(h)
    url = f"{path_of(m['confirm_url'])}?lang=et"
    shown = _confirm_form(page(h, m))
    set_vat(h, False)  # the cap is the same: only the VAT clause changed
    r = h.client.post(url, data=shown)
    text = unescape(r.get_data(as_text=True))
    assert r.status_code == 409 and CHANGED_ET in text and "käibemaks" not in text
    assert confirmed(h) == []
    r = h.client.post(url, data=_confirm_form(text))
    assert r.status_code == 200 and "Kinnitus on salvestatud" in r.get_data(as_text=True)
    assert confirmed(h) == [m["participant_id"]]


# -- the make-up rule -------------------------------------------------------------------------------

def test_without_a_rule_from_attendance_the_conditions_state_the_brochures(h):
    m = member(h)
    assert BROCHURE_ET in api(h, m, "et")["conditions"][1] and BROCHURE_EN in api(h, m, "en")["conditions"][1]
    assert BROCHURE_ET in page(h, m, "et") and BROCHURE_EN in page(h, m, "en")


def test_the_conditions_state_the_make_up_rule_attendance_last_set(h):
    m = member(h)
    h.deliver("attendance.make_up_rule.changed", rule(1, allowed=False))
    assert NONE_ET in page(h, m, "et") and BROCHURE_ET not in page(h, m, "et")
    assert NONE_EN in page(h, m, "en")
    assert api(h, m, "et")["conditions"][1].endswith(NONE_ET) and api(h, m, "en")["conditions"][1].endswith(NONE_EN)

    newer = h.envelope("attendance.make_up_rule.changed", rule(2, window="any_later_same_day"))
    h.deliver(envelope=newer)
    assert LATER_ET in page(h, m, "et") and LATER_EN in page(h, m, "en")
    assert api(h, m, "en")["conditions"][1].endswith(LATER_EN)

    # An older revision arriving late changes nothing, nor does the same revision sent again.
    h.deliver("attendance.make_up_rule.changed", rule(1, allowed=False))
    h.deliver("attendance.make_up_rule.changed", rule(2, allowed=False))
    assert LATER_ET in page(h, m, "et") and NONE_ET not in page(h, m, "et")
    # The same event redelivered is handled once: the inbox skips it.
    outcomes = h.consumer.process([FakeMessage(encode(newer), properties={"message_id": newer.event_id})])
    assert [o.kind for o in outcomes] == ["duplicate"]
    assert LATER_EN in page(h, m, "en")

    # Another edition's rule is its own; back to the brochure's window with a later revision.
    h.deliver("attendance.make_up_rule.changed", rule(1, allowed=False, edition="2020"))
    assert LATER_ET in page(h, m, "et")
    h.deliver("attendance.make_up_rule.changed", rule(3))
    assert BROCHURE_ET in page(h, m, "et") and api(h, m, "en")["conditions"][1].endswith(BROCHURE_EN)


def test_a_make_up_rule_event_breaking_its_schema_is_dead_lettered(h):
    m = member(h)
    body = json.loads(encode(h.envelope("attendance.make_up_rule.changed", rule(1, allowed=False))))
    body["payload"]["window"] = "whenever"
    outcomes = h.consumer.process([FakeMessage(json.dumps(body).encode())])
    assert [o.kind for o in outcomes] == ["rejected"]  # the worker sends it to enrolment.events.dead
    assert BROCHURE_ET in page(h, m, "et")


# -- confirming what was read ---------------------------------------------------------------------

def test_a_page_read_before_the_rule_changed_records_nothing_and_shows_the_new_rule(h):
    members = submitted(h, submit(h).get_json()["application_id"])["members"]
    estonian = f"{path_of(members[0]['confirm_url'])}?lang=et"
    english = f"{path_of(members[1]['confirm_url'])}?lang=en"
    shown_et, shown_en = _confirm_form(page(h, members[0], "et")), _confirm_form(page(h, members[1], "en"))
    assert shown_et["conditions_digest"] == shown_en["conditions_digest"]  # the same terms in both languages

    h.deliver("attendance.make_up_rule.changed", rule(1, allowed=False))

    r = h.client.post(estonian, data=shown_et)
    text = unescape(r.get_data(as_text=True))
    assert r.status_code == 409 and CHANGED_ET in text and NONE_ET in text and BROCHURE_ET not in text
    assert "Kinnitus on salvestatud" not in text
    r = h.client.post(english, data=shown_en)
    text = unescape(r.get_data(as_text=True))
    assert r.status_code == 409 and CHANGED_EN in text and NONE_EN in text
    assert confirmed(h) == []
    assert api(h, members[0])["confirmed_at"] is None

    # The page shown again states the new rule; confirming it is recorded.
    again = _confirm_form(h.client.post(estonian, data=shown_et).get_data(as_text=True))
    assert again["conditions_digest"] != shown_et["conditions_digest"]
    r = h.client.post(estonian, data=again)
    assert r.status_code == 200 and "Kinnitus on salvestatud" in r.get_data(as_text=True)
    assert confirmed(h) == [members[0]["participant_id"]]


def test_the_api_refuses_a_confirmation_of_conditions_stated_before_the_rule_changed(h):
    members = submitted(h, submit(h).get_json()["application_id"])["members"]
    url = f"/api/confirmations/{token_of(members[0]['confirm_url'])}"
    shown = api(h, members[0], "en")
    assert len(shown["conditions_digest"]) == 64

    h.deliver("attendance.make_up_rule.changed", rule(1, window="any_later_same_day"))

    r = h.client.post(f"{url}?lang=en", json={"claim_cap": shown["claim_cap"],
                                               "conditions_digest": shown["conditions_digest"]})
    body = r.get_json()
    assert r.status_code == 409, body
    assert (body["reason"], body["message"]) == ("conditions_changed", CHANGED_EN)
    assert body["conditions"][1].endswith(LATER_EN) and body["conditions_digest"] != shown["conditions_digest"]
    assert confirmed(h) == [] and api(h, members[0])["confirmed_at"] is None

    r = h.client.post(url, json={"conditions_digest": body["conditions_digest"]})
    assert r.status_code == 200 and r.get_json()["confirmed_at"]
    assert r.get_json()["conditions"][1].endswith(LATER_ET)
    assert r.get_json()["conditions_digest"] == body["conditions_digest"]
    # Confirmed already: the stale digest again changes nothing.
    r = h.client.post(url, json={"conditions_digest": shown["conditions_digest"]})
    assert r.status_code == 200 and confirmed(h) == [members[0]["participant_id"]]

    # A client sending only the cap, or nothing, confirms as before.
    for m, body in ((members[1], {"claim_cap": shown["claim_cap"]}), (members[2], {})):
        r = h.client.post(f"/api/confirmations/{token_of(m['confirm_url'])}?lang=en", json=body)
        assert r.status_code == 200 and r.get_json()["conditions"][1].endswith(LATER_EN)
    assert len(confirmed(h)) == 3


def test_the_ordinary_confirmation_records_what_was_read(h):
    m = member(h)
    shown = api(h, m)
    r = h.client.post(f"/api/confirmations/{token_of(m['confirm_url'])}",
                      json={"claim_cap": shown["claim_cap"], "conditions_digest": shown["conditions_digest"]})
    assert r.status_code == 200 and r.get_json()["confirmed_at"]
    other = member(h, 2, 1)
    url = f"{path_of(other['confirm_url'])}?lang=et"
    r = h.client.post(url, data=_confirm_form(page(h, other)))
    assert r.status_code == 200 and "Kinnitus on salvestatud" in r.get_data(as_text=True)
    assert confirmed(h) == [m["participant_id"], other["participant_id"]]


@pytest.mark.parametrize("digest", ["abc", 12, "G" * 64, ["0" * 64]])
def test_a_digest_that_is_not_one_is_a_field_error(h, digest):
    m = member(h)
    url = f"/api/confirmations/{token_of(m['confirm_url'])}"
    r = h.client.post(f"{url}?lang=en", json={"conditions_digest": digest})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["conditions_digest"]
    assert "conditions_digest" in r.get_json()["errors"]["conditions_digest"][0]
    assert confirmed(h) == []


def test_the_openapi_schema_documents_the_digest(h):
    spec = h.client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert "conditions_digest" in schemas["ConfirmationIn"]["properties"]
    assert "conditions_digest" in schemas["ConfirmationOut"]["properties"]
    assert "conditions_digest" in schemas["ConditionsChangedOut"]["properties"]
