"""The counselling programme after the last workshop (DOMAIN.md "After the programme"): a local
government, alone or leading a group, applies from the end of the edition's last session until
its counselling deadline; one application per local government and edition; the coordinator
marks a draft selection and announces it once, within the edition's 8–12 (policy), and every
applicant is told. Both stacks (SQLite and PostgreSQL) unless a test says otherwise."""
from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta

import pytest
import yaml

from services.enrolment.data import EDITION_2019
from services.enrolment.domain.edition import NOT_GIVEN, EditionError, edition_from_dict
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from shared.clock import TALLINN
from tests.enrolment.helpers import (
    complete_application,
    csrf_of,
    edition_body,
    edition_form_data,
    field_block,
    registry_code,
    submit,
)
from tests.enrolment.test_concurrency import _client, _race
from tests.security.walk import valid_token
from tests.unit.enrolment.builders import bad_checksum

LAST_SESSION_ENDS = datetime(2019, 6, 6, 17, 0, tzinfo=TALLINN)  # Tallinn's day III, the last of all
DEFAULT_DEADLINE = datetime(2019, 7, 4, 23, 59, 59, tzinfo=TALLINN)  # 28 days later, 23:59
AFTER_DEFAULT_DEADLINE = datetime(2019, 7, 5, 0, 0, tzinfo=TALLINN)
APPLIED, DECIDED = "enrolment.counselling.applied", "enrolment.counselling.decided"


def lg(n: int) -> dict:
    return {"name": f"Vald {n}", "registry_code": registry_code("7", 500 + n)}


def ngo(n: int) -> dict:
    return {"name": f"MTÜ Koostöö {n}", "registry_code": registry_code("8", 500 + n)}


def counselling_json(n: int = 1, partners: tuple[int, ...] = (), **changes) -> dict:
    """Vald ``n`` applies (with partner Vald … for each of ``partners``) and one NGO."""
    data = {"local_governments": [lg(n), *[lg(p) for p in partners]], "ngo_partners": [ngo(n)],
            "planned_services": f"Vald {n} soovib koos MTÜ-ga hakata pakkuma eakate koduteenust.",
            "contact_name": f"Kontakt {n}", "contact_email": f"kontakt{n}@vald.ee", "language": "et"}
    data.update(changes)
    return data


def apply(h, n: int = 1, partners: tuple[int, ...] = (), *, lang: str = "et", **changes):
    return h.client.post(f"/api/counselling/applications?lang={lang}", json=counselling_json(n, partners, **changes))


def applied_id(h, n: int = 1, partners: tuple[int, ...] = (), **changes) -> str:
    r = apply(h, n, partners, **changes)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["counselling_application_id"]


def mark(h, counselling_id: str, selected):
    return h.client.put(f"/api/editions/2019/counselling/applications/{counselling_id}/decision",
                        json={"selected": selected})


def announce(h, lang: str = "et"):
    return h.client.post(f"/api/editions/2019/counselling/announce?lang={lang}", json={})


def set_policy(h, **policy) -> dict:
    body = {**edition_body(h.client.get("/api/editions/2019").get_json()), **policy}
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.fixture
def opened(coordinator):
    """The coordinator's harness at the moment the last session ends: the form is open."""
    clock.set_now(LAST_SESSION_ENDS)
    return coordinator


# -- the window --------------------------------------------------------------------------------------

def test_the_form_opens_when_the_last_session_ends_and_closes_28_days_later_at_23_59(h):
    text = h.client.get("/counselling").get_data(as_text=True)
    assert "ei ole veel avatud" in text and "06.06.2019 17:00" in text and "04.07.2019 23:59" in text
    assert 'name="planned_services"' not in text
    english = h.client.get("/counselling?lang=en").get_data(as_text=True)
    assert "not open yet" in english and "06.06.2019 17:00" in english
    r = apply(h)
    assert r.status_code == 409 and r.get_json()["reason"] == "counselling_not_open"
    assert h.client.get("/api/edition").get_json()["counselling_open"] is False

    clock.set_now(LAST_SESSION_ENDS - timedelta(seconds=1))  # Tallinn's day III is not over yet
    assert apply(h).get_json()["reason"] == "counselling_not_open"
    assert h.client.post("/counselling", data={"csrf_token": valid_token(h.app, h.client)}).status_code == 409
    assert h.payloads(APPLIED) == []

    clock.set_now(LAST_SESSION_ENDS)
    assert 'name="planned_services"' in h.client.get("/counselling").get_data(as_text=True)
    public = h.client.get("/api/edition").get_json()
    assert public["counselling_open"] is True
    assert public["counselling_opens_at"] == "2019-06-06T14:00:00+00:00"
    assert public["counselling_effective_deadline"] == "2019-07-04T20:59:59+00:00"
    assert apply(h, 1).status_code == 201

    clock.set_now(DEFAULT_DEADLINE)  # the whole of the last second still counts
    assert apply(h, 2).status_code == 201

    clock.set_now(AFTER_DEFAULT_DEADLINE)
    r = apply(h, 3, lang="en")
    assert r.status_code == 409 and r.get_json()["reason"] == "counselling_closed"
    assert "closed" in r.get_json()["message"] and "04.07.2019 23:59" in r.get_json()["message"]
    page = h.client.get("/counselling?lang=et")
    assert page.status_code == 200 and "lõppenud" in page.get_data(as_text=True)
    assert h.client.post("/counselling", data={"csrf_token": valid_token(h.app, h.client)}).status_code == 409
    assert len(h.payloads(APPLIED)) == 2


def test_the_editions_own_deadline_closes_it(coordinator):
    h = coordinator
    set_policy(h, counselling_deadline="2019-06-20T23:59:59+03:00")
    clock.set_now(datetime(2019, 6, 20, 23, 59, 59, tzinfo=TALLINN))
    assert apply(h, 1).status_code == 201
    assert h.payloads(APPLIED)[0]["deadline"] == "2019-06-20T20:59:59+00:00"
    clock.set_now(datetime(2019, 6, 21, 0, 0, tzinfo=TALLINN))
    assert apply(h, 2).get_json()["reason"] == "counselling_closed"


def test_open_the_counselling_form_is_linked_from_the_closed_application_form_and_the_edition_page(h):
    h.login("coordinator")
    assert "/editions/2019/counselling" in h.client.get("/").get_data(as_text=True)
    assert 'href="/counselling"' not in h.client.get("/").get_data(as_text=True)
    clock.set_now(LAST_SESSION_ENDS)
    assert 'href="/counselling"' in h.client.get("/").get_data(as_text=True)
    assert 'href="/counselling"' in h.client.get("/apply").get_data(as_text=True)
    assert "/editions/2019/counselling" in h.client.get("/editions").get_data(as_text=True)
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    assert 'href="/counselling"' not in h.client.get("/apply").get_data(as_text=True)


# -- the application's rules ----------------------------------------------------------------------------

RULES = [
    # (change, field, Estonian, English)
    ({"local_governments": []}, "local_governments.0.name", "Nimetage kandideeriv kohalik omavalitsus",
     "Name the local government that applies"),
    ({"local_governments": [{"name": "", "registry_code": registry_code("7", 501)}]}, "local_governments.0.name",
     "See väli on kohustuslik", "This field is required"),
    ({"local_governments": [{"name": "Vald", "registry_code": bad_checksum(registry_code("7", 501))}]},
     "local_governments.0.registry_code", "kontrollnumber ei klapi", "check digit does not match"),
    ({"local_governments": [lg(1), {"name": "MTÜ", "registry_code": registry_code("8", 9)}]},
     "local_governments.1.registry_code", "omavalitsuse registrikood algab numbriga 7",
     "A local government's registry code starts with 7"),
    ({"local_governments": [lg(1), lg(1)]}, "local_governments.1.registry_code", "on taotluses juba olemas",
     "already in the application"),
    ({"ngo_partners": [{"name": "Vald kui MTÜ", "registry_code": registry_code("7", 9)}]},
     "ngo_partners.0.registry_code", "algab numbriga 8 või 9", "starts with 8 or 9"),
    ({"ngo_partners": [{"name": "", "registry_code": registry_code("8", 9)}]}, "ngo_partners.0.name",
     "See väli on kohustuslik",
     "This field is required"),
    ({"planned_services": "   "}, "planned_services", "See väli on kohustuslik", "This field is required"),
    ({"contact_name": ""}, "contact_name", "See väli on kohustuslik", "This field is required"),
    ({"contact_email": "kontakt.vald.ee"}, "contact_email", "E-posti aadress ei ole korrektne",
     "not a valid e-mail address"),
]


@pytest.mark.parametrize(("change", "field", "et", "en"), RULES)
def test_the_api_refuses_each_broken_rule_at_its_field_in_both_languages(opened, change, field, et, en):
    h = opened
    estonian = h.client.post("/api/counselling/applications", json=counselling_json(1, **change))
    assert estonian.status_code == 422, estonian.get_json()
    assert list(estonian.get_json()["errors"]) == [field]
    assert et in estonian.get_json()["errors"][field][0]
    english = h.client.post("/api/counselling/applications?lang=en", json=counselling_json(1, **change))
    assert en in english.get_json()["errors"][field][0]
    assert h.payloads(APPLIED) == []


def test_no_ngo_is_needed_and_codes_are_compacted(opened):
    h = opened
    code = registry_code("7", 501)
    r = apply(h, 1, local_governments=[{"name": " Vald 1 ", "registry_code": f"{code[:4]} {code[4:]}"}],
              ngo_partners=[])
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["local_governments"] == [{"name": "Vald 1", "registry_code": code}]


def _open_form(h, path="/counselling"):
    page = h.client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return text, csrf_of(text), re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', text).group(1)


def form_data(app: dict, *, csrf: str, key: str, lg_rows: int = 4, ngo_rows: int = 2) -> dict:
    data = {"csrf_token": csrf, "idempotency_key": key, "planned_services": app["planned_services"],
            "contact_name": app["contact_name"], "contact_email": app["contact_email"],
            "language": app.get("language", "et"), "submit": "1"}
    for name, rows in (("local_governments", lg_rows), ("ngo_partners", ngo_rows)):
        for i in range(rows):
            party = app[name][i] if i < len(app[name]) else {}
            data[f"{name}-{i}-name"] = party.get("name", "")
            data[f"{name}-{i}-registry_code"] = party.get("registry_code", "")
    return data


def test_the_form_is_estonian_by_default_english_on_request_and_sends_once(opened):
    h = opened
    text, csrf, key = _open_form(h)
    assert '<html lang="et">' in text and "Kandideeriv (juhtiv) omavalitsus" in text and "Saada taotlus" in text
    assert len(re.findall(r'id="local_governments-\d+-registry_code"', text)) == 4
    assert len(re.findall(r'id="ngo_partners-\d+-registry_code"', text)) == 2
    assert "<script" not in text
    english, _, _ = _open_form(h, "/counselling?lang=en")
    assert '<html lang="en">' in english and "Which services do you want" in english

    data = form_data(counselling_json(1, partners=(2,), language="en"), csrf=csrf, key=key)
    r = h.client.post("/counselling", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    thanks = h.client.get(r.headers["Location"] + "?lang=et").get_data(as_text=True)
    assert "Aitäh" in thanks and "Vald 1" in thanks and "Vald 2" in thanks and "kontakt1@vald.ee" in thanks
    assert "04.07.2019 23:59" in thanks
    # The same form sent again (a double click): the same application, nothing twice.
    again = h.client.post("/counselling", data=data)
    assert again.status_code == 303 and again.headers["Location"] == r.headers["Location"]
    [event] = h.payloads(APPLIED)
    assert [p["name"] for p in event["local_governments"]] == ["Vald 1", "Vald 2"] and event["language"] == "en"


def test_a_refused_form_keeps_every_typed_value_and_shows_each_error_next_to_its_field(opened):
    h = opened
    _, csrf, key = _open_form(h, "/counselling?lang=en")
    app = counselling_json(1, partners=(2,))
    app["local_governments"][1]["registry_code"] = bad_checksum(app["local_governments"][1]["registry_code"])
    app["ngo_partners"] = [ngo(1), {"name": "Vald kui MTÜ", "registry_code": registry_code("7", 9)}]
    app["contact_email"] = "kontakt@"
    r = h.client.post("/counselling?lang=en", data=form_data(app, csrf=csrf, key=key))
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    partner = field_block(text, "local_governments-1-registry_code")
    assert f'value="{app["local_governments"][1]["registry_code"]}"' in partner and "check digit" in partner
    assert "starts with 8 or 9" in field_block(text, "ngo_partners-1-registry_code")
    assert "not a valid e-mail address" in field_block(text, "contact_email")
    assert 'role="alert"' not in field_block(text, "local_governments-0-registry_code")
    for value in ("Vald 1", "Vald 2", "MTÜ Koostöö 1", "Vald kui MTÜ", "eakate koduteenust", "Kontakt 1",
                  "kontakt@"):
        assert value in html_lib.unescape(text), value
    assert f'value="{key}"' in text and "The application was not sent: please correct the errors (3)." in text
    assert "Everything you typed is kept" in text
    assert h.payloads(APPLIED) == []
    # The lead's row is required even when partners are typed below it.
    app = counselling_json(1, partners=(2,))
    app["local_governments"][0] = {"name": "", "registry_code": ""}
    text = h.client.post("/counselling?lang=et", data=form_data(app, csrf=csrf, key=key)).get_data(as_text=True)
    assert "See väli on kohustuslik" in field_block(text, "local_governments-0-name")


def test_add_rows_gives_more_rows_and_keeps_what_was_typed(opened):
    h = opened
    _, csrf, key = _open_form(h)
    data = form_data(counselling_json(1, partners=(2, 3, 4)), csrf=csrf, key=key)
    data.pop("submit")
    data["add_rows"] = "1"
    r = h.client.post("/counselling", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and 'role="alert"' not in text
    assert len(re.findall(r'id="local_governments-\d+-name"', text)) == 7
    assert len(re.findall(r'id="ngo_partners-\d+-name"', text)) == 4
    assert 'value="Vald 4"' in text
    data = form_data(counselling_json(1, partners=(2, 3, 4, 5)), csrf=csrf, key=key, lg_rows=7, ngo_rows=4)
    assert h.client.post("/counselling", data=data).status_code == 303
    assert len(h.payloads(APPLIED)[0]["local_governments"]) == 5


# -- one application per local government and edition ----------------------------------------------------

def test_a_local_government_already_named_in_another_application_is_refused_naming_it(opened):
    h = opened
    applied_id(h, 1, partners=(2,))
    r = apply(h, 3, partners=(1,))  # Vald 1 led the first one
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert list(errors) == ["local_governments.1.registry_code"]
    assert "Vald 1" in errors["local_governments.1.registry_code"][0]
    assert lg(1)["registry_code"] in errors["local_governments.1.registry_code"][0]
    assert r.get_json()["problems"]["local_governments.1.registry_code"][0]["code"] == "counselling_already_applied"
    english = apply(h, 2, lang="en").get_json()  # Vald 2 was a partner there
    assert "Vald 2" in english["errors"]["local_governments.0.registry_code"][0]
    assert "has already applied" in english["errors"]["local_governments.0.registry_code"][0]
    assert len(h.payloads(APPLIED)) == 1
    # On the form: next to the input, with everything kept.
    _, csrf, key = _open_form(h)
    text = h.client.post("/counselling?lang=et", data=form_data(counselling_json(3, partners=(1,)), csrf=csrf,
                                                                 key=key)).get_data(as_text=True)
    assert "Vald 1" in field_block(text, "local_governments-1-registry_code")
    assert "juba kandideerinud" in field_block(text, "local_governments-1-registry_code")
    assert applied_id(h, 3)  # alone, Vald 3 may


def test_two_applications_naming_one_local_government_at_once_make_one(opened):
    h = opened
    calls = [lambda n=n: _client(h).post("/api/counselling/applications", json=counselling_json(n, partners=(9,)))
             for n in (1, 2, 3)]
    responses = _race(calls)
    assert sorted(r.status_code for r in responses) == [201, 422, 422]
    refused = [r.get_json() for r in responses if r.status_code == 422]
    assert all("Vald 9" in r["errors"]["local_governments.1.registry_code"][0] for r in refused)
    assert len(h.payloads(APPLIED)) == 1


# -- the events ---------------------------------------------------------------------------------------------

def test_the_application_publishes_what_notify_needs(opened):
    h = opened
    r = apply(h, 1, partners=(2,), language="en", ngo_partners=[ngo(1), ngo(2)])
    counselling_id = r.get_json()["counselling_application_id"]
    assert h.payloads(APPLIED) == [{
        "counselling_application_id": counselling_id, "edition_id": "2019", "year": 2019,
        "local_governments": [lg(1), lg(2)], "ngo_partners": [ngo(1), ngo(2)],
        "contact_name": "Kontakt 1", "contact_email": "kontakt1@vald.ee", "language": "en",
        "deadline": "2019-07-04T20:59:59+00:00",
    }]
    assert r.get_json()["deadline"] == "2019-07-04T20:59:59+00:00" and r.get_json()["year"] == 2019


def test_the_announcement_publishes_one_decision_per_application(opened):
    h = opened
    set_policy(h, counselling_min_selected=1, counselling_max_selected=2)
    first, second, third = applied_id(h, 1, partners=(4,)), applied_id(h, 2, language="en"), applied_id(h, 3)
    for counselling_id, selected in ((first, True), (second, False), (third, True)):
        assert mark(h, counselling_id, selected).status_code == 200
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    r = announce(h)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["published"] == 3 and r.get_json()["announced_at"] == "2019-07-04T21:00:00+00:00"
    common = {"edition_id": "2019", "year": 2019, "selected_count": 2}
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == [
        {**common, "counselling_application_id": first, "selected": True, "applicant_name": "Vald 1",
         "contact_name": "Kontakt 1", "contact_email": "kontakt1@vald.ee", "language": "et"},
        {**common, "counselling_application_id": second, "selected": False, "applicant_name": "Vald 2",
         "contact_name": "Kontakt 2", "contact_email": "kontakt2@vald.ee", "language": "en"},
        {**common, "counselling_application_id": third, "selected": True, "applicant_name": "Vald 3",
         "contact_name": "Kontakt 3", "contact_email": "kontakt3@vald.ee", "language": "et"},
    ]


# -- the coordinator's list and draft ---------------------------------------------------------------------

def test_the_list_shows_whether_each_local_government_took_part_in_the_edition(h):
    h.login("coordinator")
    accepted = complete_application(h, 1)  # its local government: registry_code("7", 1)
    assert h.client.post(f"/api/applications/{accepted}/accept", json={"city": "Pärnu"}).status_code == 200
    assert submit(h, 2).status_code == 201  # registry_code("7", 2): applied, never accepted
    clock.set_now(LAST_SESSION_ENDS)
    took_part = {"name": "Pärnu Linnavalitsus 1", "registry_code": registry_code("7", 1)}
    only_applied = {"name": "Pärnu Linnavalitsus 2", "registry_code": registry_code("7", 2)}
    applied_id(h, 5, local_governments=[only_applied, took_part, lg(5)])
    listing = h.client.get("/api/editions/2019/counselling").get_json()
    [entry] = listing["applications"]
    assert [(p["registry_code"], p["took_part"]) for p in entry["local_governments"]] == [
        (registry_code("7", 2), False), (registry_code("7", 1), True), (lg(5)["registry_code"], False)]
    assert (listing["min_selected"], listing["max_selected"], listing["undecided_count"]) == (8, 12, 1)
    page = h.client.get("/editions/2019/counselling").get_data(as_text=True)
    assert page.count("osales lennus") == 1 and page.count("lennus ei osalenud") == 2
    assert "eakate koduteenust" in page and "kontakt5@vald.ee" in page


def test_drafts_can_be_marked_and_changed_until_the_announcement(opened):
    h = opened
    counselling_id = applied_id(h, 1)
    r = mark(h, counselling_id, True)
    assert r.status_code == 200 and r.get_json()["selected"] is True and r.get_json()["changed"] is True
    assert r.get_json()["marked_by"] == "koordinaator@example.ee"
    assert mark(h, counselling_id, True).get_json()["changed"] is False
    assert mark(h, counselling_id, False).get_json()["selected"] is False
    assert mark(h, counselling_id, None).get_json()["selected"] is None
    assert h.client.get("/api/editions/2019/counselling").get_json()["applications"][0]["selected"] is None
    assert mark(h, "no-such-application", True).status_code == 404
    assert h.client.put(f"/api/editions/2019/counselling/applications/{counselling_id}/decision",
                        json={"selected": "perhaps"}).status_code == 422
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == []  # a draft tells nobody
    # On the page: a form per application.
    token = h.csrf_token("/editions/2019/counselling")
    r = h.client.post(f"/editions/2019/counselling/{counselling_id}/decision",
                      data={"csrf_token": token, "selected": "yes"})
    assert r.status_code == 303
    page = h.client.get("/editions/2019/counselling").get_data(as_text=True)
    assert "Valitud" in page and "valitud <strong>1</strong>" in page
    assert h.client.post(f"/editions/2019/counselling/{counselling_id}/decision",
                         data={"csrf_token": token, "selected": "maybe"}).status_code == 422
    assert h.client.get("/api/editions/2019/counselling").get_json()["applications"][0]["selected"] is True


# -- announcing ---------------------------------------------------------------------------------------------

def test_announcing_before_the_deadline_is_refused(opened):
    h = opened
    for n in (1, 2):
        assert mark(h, applied_id(h, n), True).status_code == 200
    clock.set_now(DEFAULT_DEADLINE)
    r = announce(h, "en")
    assert r.status_code == 409 and r.get_json()["reason"] == "counselling_still_open"
    assert "after the application deadline (04.07.2019 23:59)" in r.get_json()["message"]
    clock.set_now(datetime(2019, 5, 1, tzinfo=TALLINN))  # long before it even opened
    assert announce(h).get_json()["reason"] == "counselling_still_open"
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == []
    assert h.client.get("/api/editions/2019/counselling").get_json()["announced_at"] is None


def test_announcing_with_an_application_not_marked_is_refused(opened):
    h = opened
    assert mark(h, applied_id(h, 1), True).status_code == 200
    applied_id(h, 2)
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    r = announce(h)
    assert r.status_code == 409 and r.get_json()["reason"] == "counselling_undecided"
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == []


def test_announcing_more_than_the_maximum_is_refused(opened):
    h = opened
    set_policy(h, counselling_min_selected=1, counselling_max_selected=2)
    for n in (1, 2, 3):
        assert mark(h, applied_id(h, n), True).status_code == 200
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    r = announce(h, "en")
    assert r.status_code == 409 and r.get_json()["reason"] == "too_many_selected"
    assert "3 are selected, but at most 2" in r.get_json()["message"]
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == []


def test_fewer_than_the_minimum_only_when_every_application_is_selected(opened):
    h = opened  # the default minimum: 8
    ids = [applied_id(h, n) for n in (1, 2, 3)]
    for counselling_id, selected in zip(ids, (True, True, False), strict=True):
        mark(h, counselling_id, selected)
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    r = announce(h)
    assert r.status_code == 409 and r.get_json()["reason"] == "too_few_selected"
    assert "vähemalt 8" in r.get_json()["message"]
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == []
    # Only three applied: all three may be selected.
    assert mark(h, ids[2], True).status_code == 200
    r = announce(h)
    assert r.status_code == 200, r.get_json()
    assert [(p["selected"], p["selected_count"]) for p in h.payloads(DECIDED)] == [(True, 3)] * 3


@pytest.mark.parametrize("grant", ["trainer", "finance", "coordinator:Tartu"])
def test_only_a_coordinator_of_the_whole_edition_sees_marks_and_announces(opened, grant):
    h = opened
    counselling_id = applied_id(h, 1)
    assert mark(h, counselling_id, True).status_code == 200
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    h.login(grant)
    assert h.client.get("/api/editions/2019/counselling").status_code == 403
    assert mark(h, counselling_id, False).status_code == 403
    assert announce(h).status_code == 403
    assert h.client.get("/editions/2019/counselling").status_code == 403
    h.logout()
    assert announce(h).status_code == 401
    page = h.client.post("/editions/2019/counselling/announce", data={"csrf_token": valid_token(h.app, h.client)})
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login")
    # (the order is the applications': submitted_at, which a stopped clock does not tell apart)
    assert sorted(h.payloads(DECIDED), key=lambda p: p["applicant_name"]) == []
    h.login("coordinator")
    assert h.client.get("/api/editions/2019/counselling").get_json()["applications"][0]["selected"] is True


def test_once_announced_the_selection_is_fixed_and_announcing_again_publishes_nothing(opened):
    h = opened
    set_policy(h, counselling_min_selected=1)
    first, second = applied_id(h, 1), applied_id(h, 2)
    mark(h, first, True)
    mark(h, second, False)
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    # Through the page, as a coordinator does it.
    token = h.csrf_token("/editions/2019/counselling")
    r = h.client.post("/editions/2019/counselling/announce", data={"csrf_token": token})
    assert r.status_code == 303, r.get_data(as_text=True)
    page = h.client.get("/editions/2019/counselling").get_data(as_text=True)
    assert "Valik on välja kuulutatud" in page and "/decision" not in page
    assert len(h.payloads(DECIDED)) == 2

    again = announce(h, "en")
    assert again.status_code == 409 and again.get_json()["reason"] == "counselling_announced"
    assert "already announced" in again.get_json()["message"]
    assert h.client.post("/editions/2019/counselling/announce", data={"csrf_token": token}).status_code == 409
    changed = mark(h, second, True)
    assert changed.status_code == 409 and changed.get_json()["reason"] == "counselling_announced"
    # The policy is fixed too.
    body = {**edition_body(h.client.get("/api/editions/2019").get_json()), "counselling_max_selected": 20}
    refused = h.client.put("/api/editions/2019", json=body)
    assert refused.status_code == 409 and refused.get_json()["reason"] == "counselling_announced"
    assert list(refused.get_json()["errors"]) == ["counselling_max_selected"]
    assert len(h.payloads(DECIDED)) == 2
    listing = h.client.get("/api/editions/2019/counselling").get_json()
    assert {a["counselling_application_id"]: a["selected"] for a in listing["applications"]} == {
        first: True, second: False}
    assert listing["max_selected"] == 12


def test_two_announcements_at_once_publish_the_selection_once(opened):
    h = opened
    set_policy(h, counselling_min_selected=1)
    for n in (1, 2, 3):
        mark(h, applied_id(h, n), n != 2)
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    user = h.login("coordinator")
    responses = _race([lambda: _client(h, user).post("/api/editions/2019/counselling/announce", json={})
                       for _ in range(3)])
    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    assert {r.get_json()["reason"] for r in responses if r.status_code == 409} == {"counselling_announced"}
    assert len(h.payloads(DECIDED)) == 3


def test_an_announcement_waits_for_a_mark_under_way_on_postgresql(pg_opened):
    """The mark holds the edition row for share until it commits: the announcement taken meanwhile
    waits and counts the mark, instead of announcing the draft as it was."""
    from tests.enrolment.test_concurrency import _first_holds_its_commit
    h, user, counselling_id = pg_opened
    marked, announced = _first_holds_its_commit(
        h.kit.db.engine,
        lambda: _client(h, user).put(f"/api/editions/2019/counselling/applications/{counselling_id}/decision",
                                     json={"selected": True}),
        lambda: _client(h, user).post("/api/editions/2019/counselling/announce", json={}))
    assert marked.status_code == 200, marked.get_json()
    assert announced.status_code == 200, announced.get_json()
    assert [p["selected"] for p in h.payloads(DECIDED)] == [True]


@pytest.fixture
def pg_opened(rabbitmq_stack):
    clock.set_now(LAST_SESSION_ENDS)
    h = rabbitmq_stack.harness("enrolment")
    assert h.kit.db.dialect == "postgresql"
    load_edition_file(h.kit, EDITION_2019)
    user = h.login("coordinator")
    set_policy(h, counselling_min_selected=1)
    counselling_id = applied_id(h, 1)
    assert mark(h, counselling_id, False).status_code == 200
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    yield h, user, counselling_id
    h.close()


# -- the edition's policy: API, form, data file ----------------------------------------------------------------

def test_the_policy_has_defaults_and_the_api_sets_it_without_a_new_revision(coordinator):
    h = coordinator
    edition = h.client.get("/api/editions/2019").get_json()
    assert (edition["counselling_deadline"], edition["counselling_min_selected"],
            edition["counselling_max_selected"]) == (None, 8, 12)
    assert edition["counselling_opens_at"] == "2019-06-06T14:00:00+00:00"
    assert edition["counselling_effective_deadline"] == "2019-07-04T20:59:59+00:00"
    changed = set_policy(h, counselling_deadline="2019-06-30T23:59:59+03:00", counselling_min_selected=2,
                         counselling_max_selected=3)
    assert (changed["counselling_deadline"], changed["counselling_effective_deadline"]) == (
        "2019-06-30T20:59:59+00:00", "2019-06-30T20:59:59+00:00")
    assert (changed["counselling_min_selected"], changed["counselling_max_selected"]) == (2, 3)
    assert changed["revision"] == 1 and len(h.payloads("enrolment.edition.published")) == 1  # not the schedule
    # A body without them (an older client) keeps them; null asks for the default deadline.
    kept = set_policy(h)
    assert (kept["counselling_deadline"], kept["counselling_max_selected"]) == ("2019-06-30T20:59:59+00:00", 3)
    default = set_policy(h, counselling_deadline=None)
    assert default["counselling_deadline"] is None
    assert default["counselling_effective_deadline"] == "2019-07-04T20:59:59+00:00"
    assert default["counselling_min_selected"] == 2


@pytest.mark.parametrize(("policy", "field", "et", "en"), [
    ({"counselling_min_selected": 0}, "counselling_min_selected", "vähemalt 1", "At least 1"),
    ({"counselling_min_selected": 5, "counselling_max_selected": 4}, "counselling_max_selected",
     "ei saa olla väiksem kui vähim (5)", "cannot be fewer than the fewest (5)"),
    ({"counselling_max_selected": 7}, "counselling_max_selected", "väiksem kui vähim (8)", "fewest (8)"),
    ({"counselling_deadline": "2019-06-06T16:59:59+03:00"}, "counselling_deadline",
     "pärast lennu viimast koolituspäeva (06.06.2019 17:00)", "after the edition's last session (06.06.2019 17:00)"),
])
def test_the_api_refuses_a_bad_policy_at_its_field_in_both_languages(coordinator, policy, field, et, en):
    h = coordinator
    body = {**edition_body(h.client.get("/api/editions/2019").get_json()), **policy}
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 422, r.get_json()
    assert list(r.get_json()["errors"]) == [field] and et in r.get_json()["errors"][field][0]
    assert en in h.client.put("/api/editions/2019?lang=en", json=body).get_json()["errors"][field][0]
    edition = h.client.get("/api/editions/2019").get_json()
    assert (edition["counselling_deadline"], edition["counselling_min_selected"],
            edition["counselling_max_selected"]) == (None, 8, 12)


def test_a_schedule_change_past_the_counselling_deadline_is_refused(coordinator):
    h = coordinator
    set_policy(h, counselling_deadline="2019-06-10T23:59:59+03:00")
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    body["groups"][3]["sessions"][2].update(starts_at="2019-06-11T10:00:00+03:00", ends_at="2019-06-11T17:00:00+03:00")
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["counselling_deadline"]
    assert "11.06.2019 17:00" in r.get_json()["errors"]["counselling_deadline"][0]
    assert len(h.payloads("enrolment.edition.published")) == 1


def test_the_edition_form_sets_the_policy_and_says_what_the_default_is(coordinator):
    h = coordinator
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    assert "28 päeva pärast viimast koolituspäeva kell 23.59" in page and "04.07.2019 23:59" in page
    data = edition_form_data(page)
    assert (data["counselling_deadline_date"], data["counselling_min_selected"],
            data["counselling_max_selected"]) == ("", "8", "12")

    data.update(counselling_deadline_date="30.06.2019", counselling_deadline_time="", counselling_min_selected="2",
                counselling_max_selected="3")
    r = h.client.post("/editions/2019/edit", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    listing = h.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Lend salvestati." in listing and "ajakava avaldati" not in listing
    edition = h.client.get("/api/editions/2019").get_json()
    assert (edition["counselling_deadline"], edition["counselling_min_selected"],
            edition["counselling_max_selected"]) == ("2019-06-30T20:59:59+00:00", 2, 3)
    assert len(h.payloads("enrolment.edition.published")) == 1
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    assert 'value="2019-06-30"' in field_block(page, "counselling_deadline_date")

    # Errors next to their inputs, in the user's language, everything typed kept.
    data.update(counselling_deadline_date="2019-06-01", counselling_min_selected="kaks", counselling_max_selected="3")
    r = h.client.post("/editions/2019/edit", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "Sisestage täisarv." in field_block(text, "counselling_min_selected")
    assert 'value="kaks"' in field_block(text, "counselling_min_selected")
    data.update(counselling_min_selected="4")
    text = h.client.post("/editions/2019/edit?lang=en", data=data).get_data(as_text=True)
    assert "after the edition's last session (06.06.2019 17:00)" in html_lib.unescape(
        field_block(text, "counselling_deadline_date"))
    assert "cannot be fewer than the fewest (4)" in field_block(text, "counselling_max_selected")
    assert 'value="2019-06-01"' in field_block(text, "counselling_deadline_date")
    # Emptied, the deadline is the default again.
    data.update(counselling_deadline_date="", counselling_min_selected="2")
    assert h.client.post("/editions/2019/edit", data=data).status_code == 303
    assert h.client.get("/api/editions/2019").get_json()["counselling_deadline"] is None
    english = h.client.get("/editions/2019/edit?lang=en").get_data(as_text=True)
    assert "28 days after the last session, 23:59" in english


def test_a_new_editions_form_starts_from_8_and_12(coordinator):
    page = coordinator.client.get("/editions/new").get_data(as_text=True)
    assert 'value="8"' in field_block(page, "counselling_min_selected")
    assert 'value="12"' in field_block(page, "counselling_max_selected")


@pytest.fixture
def raw():
    return yaml.safe_load(EDITION_2019.read_text(encoding="utf-8"))


def test_the_data_file_states_8_to_12_and_may_set_a_deadline(raw, tmp_path, coordinator):
    spec = edition_from_dict(raw)
    assert (spec.counselling_deadline, spec.counselling_min_selected, spec.counselling_max_selected) == (
        NOT_GIVEN, 8, 12)
    assert spec.last_session_ends_at == LAST_SESSION_ENDS
    assert edition_from_dict({**raw, "counselling_deadline": None}).counselling_deadline is None
    path = tmp_path / "edition.yaml"
    path.write_text(yaml.safe_dump({**raw, "counselling_deadline": "2019-06-28 23:59:59",
                                    "counselling_min_selected": 3, "counselling_max_selected": 10},
                                   allow_unicode=True), encoding="utf-8")
    assert load_edition_file(coordinator.kit, path) == ("2019", True)
    edition = coordinator.client.get("/api/editions/2019").get_json()
    assert (edition["counselling_deadline"], edition["counselling_min_selected"],
            edition["counselling_max_selected"]) == ("2019-06-28T20:59:59+00:00", 3, 10)
    assert load_edition_file(coordinator.kit, path) == ("2019", False)
    # The shipped file states 8 and 12 and no deadline: the deadline set is kept.
    assert load_edition_file(coordinator.kit, EDITION_2019) == ("2019", True)
    edition = coordinator.client.get("/api/editions/2019").get_json()
    assert (edition["counselling_deadline"], edition["counselling_min_selected"],
            edition["counselling_max_selected"]) == ("2019-06-28T20:59:59+00:00", 8, 12)
    assert len(coordinator.payloads("enrolment.edition.published")) == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"counselling_min_selected": 0}, "counselling_min_selected: At least 1 must be selected."),
    ({"counselling_min_selected": 13}, "counselling_max_selected: The most to select (12) cannot be fewer"),
    ({"counselling_max_selected": "twelve"}, "counselling_max_selected: expected a whole number"),
    ({"counselling_deadline": "2019-07-04"}, "counselling_deadline: expected a date and time"),
    ({"counselling_deadline": "2019-06-06 16:00"}, "counselling_deadline: The counselling deadline must be after"),
])
def test_the_data_file_refuses_a_bad_policy(raw, change, message):
    with pytest.raises(EditionError) as caught:
        edition_from_dict({**raw, **change})
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems


# -- the dashboard ----------------------------------------------------------------------------------------

def _counselling_figure(h):
    figures = {f["key"]: f for f in h.client.get("/api/summary").get_json()["figures"]}
    return figures.get("enrolment.counselling")


def test_the_dashboard_counts_the_applications_and_asks_for_the_announcement_once_closed(coordinator):
    h = coordinator
    clock.set_now(LAST_SESSION_ENDS - timedelta(seconds=1))
    assert _counselling_figure(h) is None  # not open yet: nothing to show
    clock.set_now(LAST_SESSION_ENDS)
    set_policy(h, counselling_min_selected=1, counselling_max_selected=2)
    assert (_counselling_figure(h)["value"], _counselling_figure(h)["tone"]) == ("0 (0)", "neutral")
    first, second = applied_id(h, 1), applied_id(h, 2)
    assert mark(h, first, True).status_code == 200
    figure = _counselling_figure(h)
    assert (figure["value"], figure["tone"]) == ("2 (1)", "neutral")
    assert figure["link"] == "/enrolment/editions/2019/counselling"
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    assert _counselling_figure(h)["tone"] == "warn"  # the deadline is over: announce
    assert mark(h, second, False).status_code == 200
    assert announce(h).status_code == 200
    assert (_counselling_figure(h)["value"], _counselling_figure(h)["tone"]) == ("2 (1)", "ok")


def test_a_city_coordinator_gets_no_counselling_figure(h):
    clock.set_now(LAST_SESSION_ENDS)
    h.login("coordinator:Tartu", email="tartu@example.ee")
    assert h.client.get("/api/summary").status_code == 200
    assert _counselling_figure(h) is None


def test_next_years_edition_does_not_close_this_years_counselling_window(coordinator):
    """Making the 2020 edition while 2019's counselling programme took applications closed it
    at once (the form and the API went by the newest edition, whose window opens in June 2020):
    local governments were turned away before 2019's deadline."""
    h = coordinator
    clock.set_now(LAST_SESSION_ENDS + timedelta(days=7))
    body = {"year": 2020, "name": "Arenguprogramm 2020", "application_deadline": "2020-03-02T23:59:59+02:00",
            "groups": [{"city": "Tartu", "capacity_teams": 7, "sessions": [
                {"day_number": d, "starts_at": f"2020-04-{d + 8:02d}T10:00:00+03:00",
                 "ends_at": f"2020-04-{d + 8:02d}T17:00:00+03:00", "venue": "Tartu"} for d in (1, 2, 3)]}]}
    assert h.client.post("/api/editions", json=body).status_code == 201
    r = apply(h, 1)
    assert r.status_code == 201, r.get_json()
    assert [a["counselling_application_id"] for a in
            h.client.get("/api/editions/2019/counselling").get_json()["applications"]] \
        == [r.get_json()["counselling_application_id"]]
    assert h.client.get("/api/editions/2020/counselling").get_json()["applications"] == []
    page = h.client.get("/counselling")
    assert page.status_code == 200 and 'name="planned_services"' in page.get_data(as_text=True)
    # After 2019's deadline the form speaks of 2020's window, which opens after its last session.
    clock.set_now(AFTER_DEFAULT_DEADLINE)
    r = apply(h, 2)
    assert r.status_code == 409 and r.get_json()["reason"] == "counselling_not_open"
    assert "11.04.2020" in h.client.get("/counselling").get_data(as_text=True)
