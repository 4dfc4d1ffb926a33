"""When an edition starts taking applications (``applications_open_at``). Saving next year's
edition switched the public form to it at once, half-configured: teams could apply to it.
An edition now opens at a moment the coordinator sets (by default when it is saved); until
then the public form names it and says when it opens, without a form, and a submission (form
or API) is refused with nothing lost. The coordinator's pages and the dashboard stay with
the edition that has opened."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text

from services.enrolment import app as enrolment_app
from services.enrolment.adapters.models import Base
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from shared.clock import TALLINN
from shared.db import Database
from tests.enrolment.helpers import (
    application_json,
    complete_application,
    counts,
    csrf_of,
    edition_form_data,
    field_block,
    form_data,
    submit,
)

OPENS = "2019-06-01T09:00:00+03:00"  # 09:00 in Tallinn


def _edition_2020(**changes) -> dict:
    body = {"year": 2020, "name": "Arenguprogramm 2020", "application_deadline": "2020-03-02T23:59:59+02:00",
            "groups": [{"city": "Tartu", "capacity_teams": 8, "sessions": [
                {"day_number": d, "starts_at": f"2020-04-{d + 8:02d}T10:00:00+03:00",
                 "ends_at": f"2020-04-{d + 8:02d}T17:00:00+03:00", "venue": "Tartu"} for d in (1, 2, 3)]}]}
    body.update(changes)
    return body


def _figures(h) -> dict:
    return {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}


def _edition_id_of(page: str) -> str:
    return re.search(r'name="edition_id"[^>]*value="([^"]+)"', page).group(1)


def _key_of(page: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)


def test_next_years_edition_takes_no_applications_until_it_opens(coordinator):
    h = coordinator
    team_2019 = submit(h, 1, preferred_cities=["Tartu"]).get_json()["application_id"]
    figures_before = _figures(h)
    assert figures_before["enrolment.undecided"] == 1

    created = h.client.post("/api/editions", json=_edition_2020(applications_open_at=OPENS))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["applications_open_at"] == "2019-06-01T06:00:00+00:00"  # stored UTC

    # Sent to 2020 before it opens, by the API (409, JSON) or a form for it (the page, all typed kept): refused.
    before = counts(h)
    refused = submit(h, 3, preferred_cities=["Tartu"], edition_id="2020")
    assert refused.status_code == 409 and refused.get_json()["reason"] == "applications_not_open"
    assert "01.06.2019" in refused.get_json()["message"]
    form_page = h.client.get("/apply").get_data(as_text=True)
    typed = {**form_data(application_json(2, team_name="Tartu koostöömeeskond", preferred_cities=["Tartu"]),
                         csrf=csrf_of(form_page), key=_key_of(form_page)), "edition_id": "2020"}
    sent = h.client.post("/apply", data=typed)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 409
    assert "taotlemine avaneb 01.06.2019 kell 09:00" in html and "kõik sisestatu on alles" in html
    assert 'value="Tartu koostöömeeskond"' in html and 'value="mari2@parnu.ee"' in html
    assert counts(h) == before

    # The coordinator's pages and the dashboard stay with 2019, whose teams are decided now.
    assert [a["application_id"] for a in h.client.get("/api/applications").get_json()] == [team_2019]
    assert "Taotlused 2019" in h.client.get("/applications").get_data(as_text=True)
    assert _figures(h) == figures_before
    index = h.client.get("/").get_data(as_text=True)
    assert "Järgmine lend 2020" in index and "01.06.2019 09:00" in index

    # Once 2019's deadline has passed, the public page names 2020 and when it opens, with no form.
    clock.set_now(datetime(2019, 3, 2, 12, 0, tzinfo=TALLINN))
    page = h.client.get("/apply")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Arenguprogramm 2020" in body and "Taotlemine avaneb 01.06.2019 kell 09:00" in body
    assert 'name="team_name"' not in body and "<form" not in body.split("</header>", 1)[-1]
    english = h.client.get("/apply?lang=en").get_data(as_text=True)
    assert "Applications open on 01.06.2019 at 09:00" in english
    h.client.get("/apply?lang=et")  # (the language is remembered)
    public = h.client.get("/api/edition").get_json()
    assert public["edition_id"] == "2020" and public["open"] is False and public["open_editions"] == []
    assert public["applications_open_at"] == "2019-06-01T06:00:00+00:00"
    refused = submit(h, 3, preferred_cities=["Tartu"])
    assert refused.status_code == 409 and refused.get_json()["reason"] == "applications_not_open"
    assert counts(h) == before

    # From the moment it opens, the form is there and takes the application into 2020.
    clock.set_now(datetime(2019, 6, 1, 9, 0, tzinfo=TALLINN))
    form_page = h.client.get("/apply").get_data(as_text=True)
    assert 'name="team_name"' in form_page and _edition_id_of(form_page) == "2020"
    assert h.client.get("/api/edition").get_json()["open"] is True
    sent = h.client.post("/apply", data={**typed, "idempotency_key": _key_of(form_page)})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    assert [a["team_name"] for a in h.client.get("/api/applications").get_json()] == ["Tartu koostöömeeskond"]


def test_last_years_form_stays_open_while_next_years_edition_waits_to_open(coordinator):
    """With next year's edition prepared (opening 01.06.2019) while 2019's deadline (01.03.2019)
    still ran, the public form showed only 2020's opening time: 2019's form could not be reached,
    and the API refused every application. The form is the open edition's, and says when the
    other one opens; the form and the API take applications into 2019 until its deadline."""
    h = coordinator
    form_page = h.client.get("/apply").get_data(as_text=True)  # opened before 2020 was saved
    typed = form_data(application_json(2, team_name="Tartu koostöömeeskond", preferred_cities=["Tartu"]),
                      csrf=csrf_of(form_page), key=_key_of(form_page))
    typed["edition_id"] = _edition_id_of(form_page)
    assert typed["edition_id"] == "2019"
    assert h.client.post("/api/editions", json=_edition_2020(applications_open_at=OPENS)).status_code == 201

    page = h.client.get("/apply")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="team_name"' in body and _edition_id_of(body) == "2019"
    assert "Tartu (kuni 7 meeskonda): 11.04.2019" in body  # 2019's groups
    assert "Arenguprogramm 2020: taotlemine avaneb 01.06.2019 kell 09:00" in body
    english = h.client.get("/apply?lang=en").get_data(as_text=True)
    assert "Arenguprogramm 2020: applications open on 01.06.2019 at 09:00" in english
    h.client.get("/apply?lang=et")
    # ?edition= names an edition taking applications; 2020 is not one yet, so the default stays.
    assert _edition_id_of(h.client.get("/apply?edition=2020").get_data(as_text=True)) == "2019"
    public = h.client.get("/api/edition").get_json()
    assert public["edition_id"] == "2019" and public["open"] is True and public["open_editions"] == ["2019"]
    assert h.client.get("/api/edition?edition_id=2020").get_json()["open"] is False

    sent = h.client.post("/apply", data=typed)  # the form opened before 2020 existed
    assert sent.status_code == 303, sent.get_data(as_text=True)
    by_api = submit(h, 3, preferred_cities=["Tartu"])
    assert by_api.status_code == 201, by_api.get_json()
    assert by_api.get_json()["edition_id"] == "2019"
    listed = h.client.get("/api/applications?edition_id=2019").get_json()
    assert sorted(a["team_name"] for a in listed) == ["Meeskond 3", "Tartu koostöömeeskond"]
    assert h.client.get("/api/applications?edition_id=2020").get_json() == []


def test_with_two_editions_open_the_form_offers_each_the_newest_by_default(coordinator):
    h = coordinator
    assert h.client.post("/api/editions", json=_edition_2020()).status_code == 201  # opens when saved
    page = h.client.get("/apply").get_data(as_text=True)
    assert _edition_id_of(page) == "2020" and "Tartu (kuni 8 meeskonda)" in page
    assert "Taotlusi võetakse praegu vastu ka lendu" in page and 'href="/apply?edition=2019"' in page
    older = h.client.get("/apply?edition=2019").get_data(as_text=True)
    assert _edition_id_of(older) == "2019" and "Tartu (kuni 7 meeskonda)" in older
    assert 'href="/apply?edition=2020"' in older
    assert h.client.get("/api/edition").get_json()["open_editions"] == ["2020", "2019"]
    typed = {**form_data(application_json(2, preferred_cities=["Tartu"]), csrf=csrf_of(older),
                         key=_key_of(older)), "edition_id": "2019"}
    assert h.client.post("/apply?edition=2019", data=typed).status_code == 303
    assert submit(h, 3, preferred_cities=["Tartu"], edition_id="2019").get_json()["edition_id"] == "2019"
    assert submit(h, 4, preferred_cities=["Tartu"]).get_json()["edition_id"] == "2020"
    unknown = submit(h, 5, edition_id="1999")
    assert unknown.status_code == 422 and list(unknown.get_json()["errors"]) == ["edition_id"]


def test_an_edition_not_given_the_moment_opens_when_it_is_saved(coordinator):
    h = coordinator
    created = h.client.post("/api/editions", json=_edition_2020())
    assert created.status_code == 201
    assert datetime.fromisoformat(created.get_json()["applications_open_at"]) == clock.now()
    assert h.client.get("/api/edition").get_json()["open"] is True
    assert submit(h, 1, preferred_cities=["Tartu"]).status_code == 201
    # An edit leaving it out keeps it; a moment set later holds the form back again.
    r = h.client.put("/api/editions/2020", json=_edition_2020(name="Arenguprogramm 2020 (muudetud)"))
    assert r.status_code == 200 and datetime.fromisoformat(r.get_json()["applications_open_at"]) == clock.now()
    r = h.client.put("/api/editions/2020", json=_edition_2020(applications_open_at=OPENS))
    assert r.status_code == 200 and r.get_json()["applications_open_at"] == "2019-06-01T06:00:00+00:00"
    assert submit(h, 2, preferred_cities=["Tartu"], edition_id="2020").status_code == 409
    # null: from now.
    r = h.client.put("/api/editions/2020", json=_edition_2020(applications_open_at=None))
    assert datetime.fromisoformat(r.get_json()["applications_open_at"]) == clock.now()
    assert submit(h, 2, preferred_cities=["Tartu"], edition_id="2020").status_code == 201


def test_applications_must_open_before_the_deadline(coordinator):
    h = coordinator
    r = h.client.post("/api/editions", json=_edition_2020(applications_open_at="2020-03-03T09:00:00+02:00"))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert list(errors) == ["applications_open_at"]
    assert "Taotlemine peab avanema enne taotluste tähtaega (02.03.2020 23:59)" in errors["applications_open_at"][0]
    assert h.client.get("/api/editions").get_json()[0]["year"] == 2019  # nothing saved
    # An edit moving the deadline before a pending opening is refused the same way.
    assert h.client.post("/api/editions", json=_edition_2020(applications_open_at=OPENS)).status_code == 201
    r = h.client.put("/api/editions/2020", json=_edition_2020(application_deadline="2019-05-31T23:59:59+03:00"))
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["applications_open_at"]


@pytest.mark.parametrize("lang, message", [
    ("et", "Taotlemine peab avanema enne taotluste tähtaega (02.03.2020 23:59)."),
    ("en", "Applications must open before the application deadline (02.03.2020 23:59)."),
])
def test_the_edition_form_sets_when_applications_open(coordinator, lang, message):
    h = coordinator
    data = edition_form_data(h.client.get(f"/editions/new?lang={lang}").get_data(as_text=True))
    assert data["opens_date"] == "" and data["opens_time"] == ""
    data.update({"year": "2020", "name": "Arenguprogramm 2020", "deadline_date": "2020-03-02",
                 "deadline_time": "23:59:59", "opens_date": "2020-03-03", "opens_time": "09:00",
                 "groups-0-city": "Tartu", "groups-0-capacity_teams": "8"})
    for i in range(3):
        data[f"groups-0-sessions-{i}-date"] = f"2020-04-{9 + i:02d}"
    page = h.client.post("/editions/new", data=data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert message in field_block(html, "opens_date") and 'value="Tartu"' in html
    data["opens_date"] = "01.06.2019"
    assert h.client.post("/editions/new", data=data).status_code == 303
    edition = h.client.get("/api/editions/2020").get_json()
    assert edition["applications_open_at"] == "2019-06-01T06:00:00+00:00"
    # The edit page shows it; saved unchanged, it stays.
    edit = edition_form_data(h.client.get("/editions/2020/edit").get_data(as_text=True))
    assert (edit["opens_date"], edit["opens_time"]) == ("2019-06-01", "09:00")
    assert h.client.post("/editions/2020/edit", data=edit).status_code == 303
    assert h.client.get("/api/editions/2020").get_json()["applications_open_at"] == "2019-06-01T06:00:00+00:00"
    assert ("Arenguprogramm 2020: taotlemine avaneb 01.06.2019" if lang == "et"
            else "Arenguprogramm 2020: applications open on 01.06.2019") in h.client.get("/apply").get_data(as_text=True)


def test_the_data_file_sets_when_applications_open(coordinator, tmp_path):
    h = coordinator
    from services.enrolment.data import EDITION_2019
    text_2020 = EDITION_2019.read_text(encoding="utf-8").replace("2019", "2020").replace(
        '# applications_open_at: "2020-01-15 09:00"', 'applications_open_at: "2019-06-01 09:00"')
    path = tmp_path / "edition_2020.yaml"
    path.write_text(text_2020, encoding="utf-8")
    assert load_edition_file(h.kit, path) == ("2020", True)
    assert h.client.get("/api/editions/2020").get_json()["applications_open_at"] == "2019-06-01T06:00:00+00:00"
    assert submit(h, 1, edition_id="2020").status_code == 409
    assert load_edition_file(h.kit, path) == ("2020", False)  # again: nothing changed
    path.write_text(text_2020.replace('applications_open_at: "2019-06-01 09:00"',
                                      'applications_open_at: "2020-03-02 09:00"'), encoding="utf-8")
    with pytest.raises(ValueError, match="applications_open_at.*must open before the application deadline"):
        load_edition_file(h.kit, path)


def test_the_counselling_form_stays_with_the_edition_that_opened(coordinator):
    """Before 2019's counselling window opens, next year's edition (not open yet) is not its turn."""
    h = coordinator
    complete_application(h, 1)
    assert h.client.post("/api/editions", json=_edition_2020(applications_open_at=OPENS)).status_code == 201
    clock.set_now(datetime(2019, 5, 20, 12, 0, tzinfo=TALLINN))
    page = h.client.get("/counselling").get_data(as_text=True)
    assert "06.06.2019" in page and "2020" not in page.split("</header>", 1)[-1]
    clock.set_now(datetime(2019, 6, 6, 17, 0, tzinfo=TALLINN) + timedelta(minutes=1))
    assert 'name="planned_services"' in h.client.get("/counselling").get_data(as_text=True)


def test_the_migration_opens_existing_editions_when_they_were_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'enrolment.db'}"
    db = Database(url, Base.metadata, enrolment_app.HERE / "migrations", "enrolment")
    cfg = db.alembic_config()
    command.upgrade(cfg, "6ae5a96ffd14")
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO editions (edition_id, year, name, timezone, application_deadline, revision, claim_cap, "
            "claim_daily_rate, counselling_min_selected, counselling_max_selected, created_at, updated_at, "
            "updated_by) VALUES ('2019', 2019, 'Arenguprogramm', 'Europe/Tallinn', '2019-03-01 21:59:59', 1, "
            "768, 256, 8, 12, '2019-01-10 08:00:00', '2019-01-10 08:00:00', 'x')"))
    command.upgrade(cfg, "head")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT applications_open_at FROM editions")).scalar_one().startswith(
            "2019-01-10 08:00:00")
    db.engine.dispose()
