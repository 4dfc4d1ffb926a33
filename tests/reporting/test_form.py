"""Issue 7, point 2: the participant's ESF data form on their personal link."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.reporting.adapters.models import EsfRecord
from shared import clock, links

from .builders import (
    BEFORE_START,
    accept,
    errors_on_page,
    fill,
    form_path,
    member,
    organisation,
    publish_edition,
    token,
)


@pytest.fixture
def team(h):
    publish_edition(h)
    accept(h, "app-1", "Tallinn", [member("P1", "Mari", "Maasikas", "L1"), member("P2", "Jaan", "Tamm", "N1")],
           [organisation("L1"), organisation("N1", "ngo")])
    clock.set_now(BEFORE_START)
    return h


def stored(h, participant_id: str) -> EsfRecord | None:
    with h.kit.db.transaction() as db:
        return db.scalar(select(EsfRecord).where(EsfRecord.participant_id == participant_id))


@pytest.mark.parametrize(("code", "birth_date", "sex"), [
    # python-stdnum's own examples (stdnum/ee/ik.py)
    ("36805280109", date(1968, 5, 28), "male"),
    ("46805280103", date(1968, 5, 28), "female"),
    # made up: the 29th of February, the second weight row, a 2000s code
    ("49602290124", date(1996, 2, 29), "female"),
    ("48703120005", date(1987, 3, 12), "female"),
    ("50104170126", date(2001, 4, 17), "male"),
])
def test_a_valid_personal_code_is_stored_with_the_birth_date_and_sex_it_gives(team, code, birth_date, sex):
    response = fill(team, "P1", personal_code=f" {code[:4]} {code[4:]} ")  # spaces are ignored
    assert response.status_code == 303
    record = stored(team, "P1")
    assert (record.personal_code, record.birth_date, record.sex, record.sex_from_code) == (code, birth_date, sex, True)
    page = team.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aitäh! Andmed on salvestatud." in page
    assert f"{birth_date:%d.%m.%Y}" in page and {"male": "mees", "female": "naine"}[sex] in page
    assert code not in page  # shown back masked only
    assert f"{code[0]}*********{code[-1]}" in page


@pytest.mark.parametrize(("code", "message"), [
    ("36805280108", "Isikukoodi kontrollnumber ei klapi — palun kontrolli numbreid."),  # stdnum's bad check digit
    ("48703120227", "Isikukoodi kontrollnumber ei klapi — palun kontrolli numbreid."),  # made up
    ("38703120228", "Isikukoodi kontrollnumber ei klapi — palun kontrolli numbreid."),  # made up
    ("38102290106", "Isikukoodi esimene number või sünniaeg ei ole võimalik."),  # 29.02.1981 does not exist
    ("3680528010", "Isikukood peab olema 11-kohaline."),
    ("3680528010X", "Isikukood võib sisaldada ainult numbreid."),
    ("", "Isikukood puudub."),
])
def test_an_invalid_personal_code_is_shown_next_to_the_field_and_nothing_is_stored(team, code, message):
    response = fill(team, "P1", personal_code=code, municipality="Kärdla linn")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert errors_on_page(html) == {"personal_code": [message]}
    assert f'value="{code}"' in html and 'value="Kärdla linn"' in html  # what was typed is kept
    assert stored(team, "P1") is None
    assert team.payloads("reporting.esf_data.completed") == []


def test_errors_are_in_english_on_request(team):
    response = fill(team, "P1", lang="en", personal_code="36805280108", isced=None, consent=None)
    assert errors_on_page(response.get_data(as_text=True)) == {
        "personal_code": ["The personal code's check digit does not match — please check the digits."],
        "isced": ["Choose one answer."],
        "consent": ["To send the data, confirm that you have read the notice."],
    }


def test_without_a_personal_code_birth_date_and_sex_are_given_directly(team):
    response = fill(team, "P1", has_code="no", personal_code="", birth_date=None)
    assert errors_on_page(response.get_data(as_text=True)) == {
        "birth_date": ["Sisestage sünniaeg."], "sex": ["Valige sugu."]}
    response = fill(team, "P1", has_code="no", personal_code="", birth_date="30.02.1990", sex="female")
    assert errors_on_page(response.get_data(as_text=True)) == {
        "birth_date": ["Kuupäev kujul PP.KK.AAAA, nt 17.04.1985."]}
    response = fill(team, "P1", has_code="no", personal_code="", birth_date="2019-05-01", sex="female")
    assert errors_on_page(response.get_data(as_text=True)) == {"birth_date": ["Sünniaeg ei ole võimalik."]}
    assert stored(team, "P1") is None

    assert fill(team, "P1", has_code="no", personal_code="", birth_date="1990-04-17", sex="non_binary").status_code == 303
    record = stored(team, "P1")
    assert (record.personal_code, record.birth_date, record.sex, record.sex_from_code) == (
        None, date(1990, 4, 17), "non_binary", False)


def test_a_stated_sex_wins_over_the_code(team):
    fill(team, "P1", personal_code="36805280109", sex="non_binary")
    record = stored(team, "P1")
    assert (record.birth_date, record.sex, record.sex_from_code) == (date(1968, 5, 28), "non_binary", False)


def test_every_sensitive_question_offers_prefer_not_to_say_and_the_privacy_notice_is_shown(team):
    html = team.client.get(form_path(team, "P1")).get_data(as_text=True)
    for name in ("employment_status", "isced", "disability", "third_country_national", "foreign_background",
                 "minority", "homeless", "rural_area"):
        assert f'name="{name}" required type="radio" value="declined"> Ei soovi vastata' in html
    assert "Riigi Tugiteenuste Keskus" in html and "5 aastat alates selle aasta 31. detsembrist" in html
    assert "Andmekaitse Inspektsioon" in html
    english = team.client.get(form_path(team, "P1", lang="en")).get_data(as_text=True)
    assert "Prefer not to say" in english and "Data Protection Inspectorate" in english


def test_completing_publishes_esf_data_completed_once_with_the_participant_id_only(team):
    assert fill(team, "P1", disability="declined", minority="yes").status_code == 303
    assert fill(team, "P1", employment_status="unemployed").status_code == 303  # a correction
    assert stored(team, "P1").employment_status == "unemployed"
    assert stored(team, "P1").submissions == 2
    [event] = team.published("reporting.esf_data.completed")
    assert event["payload"] == {"participant_id": "P1"}
    assert "36805280109" not in str(event)


def test_a_correction_may_leave_the_code_empty_to_keep_it(team):
    fill(team, "P1", personal_code="46805280103")
    html = team.client.get(form_path(team, "P1")).get_data(as_text=True)
    assert "46805280103" not in html and "4*********3" in html
    assert fill(team, "P1", personal_code="", isced="7").status_code == 303
    record = stored(team, "P1")
    assert (record.personal_code, record.isced) == ("46805280103", "7")


def test_a_locked_edition_refuses_corrections_and_says_so(team):
    fill(team, "P1")
    team.login("coordinator")
    assert team.client.post("/api/editions/edition-2019/lock", json={}).get_json()["locked"] is True
    page = team.client.get(form_path(team, "P1"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Andmed on lukustatud." in html and "<form method=\"post\" action=\"/p/" not in html
    path = form_path(team, "P1")
    refused = team.client.post(path, data={"csrf_token": team.csrf_token("/editions/edition-2019"),
                                           "has_code": "yes", "personal_code": "", "isced": "1"})
    assert refused.status_code == 409 and "Andmed on lukustatud." in refused.get_data(as_text=True)
    assert stored(team, "P1").isced == "6"
    assert fill(team, "P2").status_code == 409  # nor a first submission
    assert stored(team, "P2") is None

    team.client.post("/api/editions/edition-2019/unlock", json={})
    assert fill(team, "P1", isced="1").status_code == 303
    assert stored(team, "P1").isced == "1"
    assert len(team.payloads("reporting.esf_data.completed")) == 1


def test_a_tampered_or_expired_link_gets_a_clear_4xx_page(team, monkeypatch):
    good = token(team, "P1")
    tampered = team.client.get(f"/p/{good[:-2]}xx")
    assert tampered.status_code == 404 and "Link ei kehti." in tampered.get_data(as_text=True)
    other_purpose = links.make_token(team.settings.secret_key, "checkin", "P1")  # another service's link
    assert team.client.get(f"/p/{other_purpose}").status_code == 404
    now = clock.now()
    clock.set_now(now - timedelta(days=61))  # a link made longer ago than it stays valid (60 days)
    old = token(team, "P1")
    clock.set_now(now)
    expired = team.client.get(f"/p/{old}?lang=en")
    assert expired.status_code == 410 and "The link has expired." in expired.get_data(as_text=True)
    stranger = team.client.get(f"/p/{token(team, 'nobody')}?lang=et")
    assert stranger.status_code == 404 and "ei ole ühegi grupi nimekirjas" in stranger.get_data(as_text=True)


def test_the_form_needs_its_csrf_token(team):
    response = team.client.post(form_path(team, "P1"), data={"has_code": "yes", "personal_code": "36805280109"})
    assert response.status_code == 400
    assert stored(team, "P1") is None


def test_a_code_of_someone_born_in_the_1800s_is_refused_like_such_a_birth_date(team):
    # 15001010108 passes stdnum's check (first digit 1: a man born 1800–1899): a typo for 3.
    response = fill(team, "P1", personal_code="15001010108")
    assert response.status_code == 422
    assert errors_on_page(response.get_data(as_text=True)) == {"personal_code": [
        "Isikukoodi järgi oleksite sündinud enne 1900. aastat — palun kontrollige esimest numbrit."]}
    english = fill(team, "P1", lang="en", personal_code="25001010100")
    assert errors_on_page(english.get_data(as_text=True)) == {"personal_code": [
        "By this code you would have been born before 1900 — please check the first digit."]}
    assert stored(team, "P1") is None
    assert fill(team, "P1", personal_code="35001010101").status_code == 303  # born 1950: fine


def test_the_link_opens_in_the_language_the_team_applied_in(team):
    accept(team, "app-en", "Tallinn", [{**member("E1", "John", "Smith", "L1"), "language": "en"}],
           [organisation("L1")])
    clock.set_now(BEFORE_START)
    path = form_path(team, "E1")
    first = team.client.get(path)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"{path}?lang=en")
    page = team.client.get(first.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en"' in page and "ESF participant data" in page
    # Their own choice of language on the page wins (the switch sets the cookie).
    team.client.get(f"{path}?lang=et")
    assert team.client.get(path).status_code == 200
    # An Estonian team's link is not redirected.
    assert team.client.get(form_path(team, "P1")).status_code == 200
