"""Coordinator pages and API: refused without a session and to other roles."""
from __future__ import annotations

import pytest

from tests.enrolment.helpers import submit

PAGES = ["/applications", "/applications/{id}", "/editions", "/editions/new", "/editions/2019/edit",
         "/groups/2019-parnu", "/applications/{id}/members/x/substitute"]
API = ["/api/applications", "/api/applications/{id}", "/api/cities", "/api/editions", "/api/editions/2019",
       "/api/groups/2019-parnu"]
API_WRITES = ["/api/applications/{id}/accept", "/api/applications/{id}/waitlist", "/api/applications/{id}/reject",
              "/api/applications/{id}/withdraw", "/api/groups/2019-parnu/promote", "/api/editions",
              "/api/applications/{id}/members/x/withdraw", "/api/applications/{id}/members/x/substitute"]


@pytest.fixture
def application_id(h):
    return submit(h).get_json()["application_id"]


def test_without_a_session_pages_redirect_to_sign_in_and_the_api_answers_401(h, application_id):
    for path in PAGES:
        r = h.client.get(path.format(id=application_id))
        assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login?next="), path
    for path in API:
        r = h.client.get(path.format(id=application_id))
        assert r.status_code == 401 and r.is_json, path
    for path in API_WRITES:
        r = h.client.post(path.format(id=application_id), json={"city": "Pärnu", "reason": "x"})
        assert r.status_code == 401, path
    assert h.payloads("enrolment.application.accepted") == []


def test_a_trainer_is_refused_the_coordinator_pages_and_api(h, application_id):
    h.login("trainer:Pärnu")
    for path in PAGES:
        assert h.client.get(path.format(id=application_id)).status_code == 403, path
    for path in API:
        assert h.client.get(path.format(id=application_id)).status_code == 403, path
    for path in API_WRITES:
        r = h.client.post(path.format(id=application_id), json={"city": "Pärnu", "reason": "x"})
        assert r.status_code == 403, path
    # The staff start page shows a trainer the schedule, nothing more.
    page = h.client.get("/")
    assert page.status_code == 200 and "17.04.2019" in page.get_data(as_text=True)
    assert "Rühmad linnade kaupa" not in page.get_data(as_text=True)


def test_the_public_routes_need_no_session(h, application_id):
    assert h.client.get("/apply").status_code == 200
    assert h.client.get("/api/edition").status_code == 200
    assert submit(h, 2).status_code == 201


def test_a_tartu_coordinator_sees_and_decides_only_what_concerns_tartu(h):
    """City scope (issue 8): an application concerns a city when it is placed in that
    city's group or, never placed, names it. A coordinator:Tartu sees only those, places
    teams only into Tartu's group, and rejects or withdraws only teams wholly Tartu's."""
    from tests.enrolment.helpers import complete_application
    parnu = complete_application(h, 1, preferred_cities=["Pärnu"])
    both = complete_application(h, 2, preferred_cities=["Tartu", "Pärnu"])
    tartu = complete_application(h, 3, preferred_cities=["Tartu"])
    placed = complete_application(h, 4, preferred_cities=["Tartu", "Pärnu"])
    h.login("coordinator")
    assert h.client.post(f"/api/applications/{placed}/waitlist", json={"city": "Pärnu"}).status_code == 200

    assert h.client.get("/api/summary").get_json()["figures"]
    h.login("coordinator:Tartu", email="tiia@example.ee")
    # The dashboard counts what the list shows them (more in the test below).
    figures = {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}
    assert figures["enrolment.undecided"] == 2
    listed = {a["application_id"] for a in h.client.get("/api/applications").get_json()}
    assert listed == {both, tartu}  # not Pärnu's, nor one waiting in Pärnu although it named Tartu
    assert [c["city"] for c in h.client.get("/api/cities").get_json()] == ["Tartu"]
    page = h.client.get("/applications").get_data(as_text=True)
    assert "Meeskond 2" in page and "Meeskond 3" in page and "Meeskond 1" not in page and "Meeskond 4" not in page
    assert h.client.get(f"/api/applications/{both}").status_code == 200
    events = len(h.published())
    for path in (f"/api/applications/{parnu}", f"/api/applications/{placed}", "/api/groups/2019-parnu",
                 f"/applications/{parnu}", "/groups/2019-parnu", "/api/editions", "/editions"):
        assert h.client.get(path).status_code == 403, path
    refused = [
        (f"/api/applications/{parnu}/accept", {"city": "Tartu"}),     # not Tartu's business
        (f"/api/applications/{placed}/accept", {"city": "Tartu"}),    # waiting in Pärnu
        (f"/api/applications/{both}/accept", {"city": "Pärnu"}),      # into another city's group
        (f"/api/applications/{both}/waitlist", {"city": "Pärnu"}),
        (f"/api/applications/{both}/reject", {"reason": "x"}),        # Pärnu's choice too
        (f"/api/applications/{parnu}/reject", {"reason": "x"}),
        (f"/api/applications/{parnu}/withdraw", {"reason": "x"}),
        ("/api/groups/2019-parnu/promote", {}),
    ]
    for path, body in refused:
        response = h.client.post(path, json=body)
        assert (response.status_code, response.get_json()["reason"]) == (403, "other_city"), path
    form = h.client.post(f"/applications/{both}/accept",
                         data={"csrf_token": h.csrf_token(f"/applications/{both}"), "city": "Pärnu"})
    assert form.status_code == 403
    assert len(h.published()) == events  # nothing changed

    assert h.client.post(f"/api/applications/{both}/accept", json={"city": "Tartu"}).status_code == 200
    assert h.client.post(f"/api/applications/{tartu}/reject", json={"reason": "Ei sobi"}).status_code == 200
    assert h.client.post(f"/api/applications/{both}/withdraw", json={"reason": "Loobus"}).status_code == 200
    h.login("coordinator")
    assert h.client.get(f"/api/applications/{parnu}").get_json()["status"] == "submitted"
    for application_id, status in ((both, "withdrawn"), (tartu, "rejected")):
        detail = h.client.get(f"/api/applications/{application_id}").get_json()
        assert detail["status"] == status and {d["actor"] for d in detail["decisions"]} == {"tiia@example.ee"}


def test_a_tartu_coordinators_dashboard_counts_only_tartu(h):
    """The dashboard's enrolment figures for a coordinator:Tartu count what concerns Tartu
    (the list's own rule), and each figure's link opens for them and lists those rows; a
    coordinator of the whole edition sees every city's, as before."""
    import re
    from urllib.parse import quote

    from tests.enrolment.helpers import complete_application
    complete_application(h, 1, preferred_cities=["Pärnu"])
    complete_application(h, 2, preferred_cities=["Pärnu"])
    submit(h, 3, preferred_cities=["Pärnu"])                       # members not confirmed yet
    complete_application(h, 4, preferred_cities=["Tartu"])
    submit(h, 5, preferred_cities=["Tartu"])
    rejected_parnu = submit(h, 6, preferred_cities=["Pärnu"]).get_json()["application_id"]
    rejected_tartu = submit(h, 7, preferred_cities=["Tartu"]).get_json()["application_id"]
    accepted_tartu = complete_application(h, 8, preferred_cities=["Tartu"])
    waiting_parnu = complete_application(h, 9, preferred_cities=["Pärnu", "Tartu"])
    h.login("coordinator")
    for path, body in ((f"/api/applications/{rejected_parnu}/reject", {"reason": "Ei sobi"}),
                       (f"/api/applications/{rejected_tartu}/reject", {"reason": "Ei sobi"}),
                       (f"/api/applications/{accepted_tartu}/accept", {"city": "Tartu"}),
                       (f"/api/applications/{waiting_parnu}/waitlist", {"city": "Pärnu"})):
        assert h.client.post(path, json=body).status_code == 200, path

    def figures():
        return {f["key"]: (f["value"], f["link"]) for f in h.client.get("/api/summary").get_json()["figures"]}

    def teams(link: str) -> set[int]:
        page = h.client.get(link.removeprefix("/enrolment"))
        assert page.status_code == 200, link
        html = page.get_data(as_text=True)
        if "<tbody>" in html:  # the list's rows, not the counts above them
            html = html.split("<tbody>")[-1].split("</tbody>")[0]
        return {int(n) for n in re.findall(r"Meeskond (\d)", html)}

    whole = figures()
    assert whole["enrolment.undecided"] == (5, "/enrolment/applications?status=submitted")
    assert whole["enrolment.incomplete"] == (2, "/enrolment/applications?status=submitted&complete=no")
    assert whole["enrolment.rejected"] == (2, "/enrolment/applications?status=rejected")
    listed = "/enrolment/applications?status=submitted&city="
    assert whole["enrolment.undecided.2019-parnu"] == (3, listed + quote("Pärnu"))
    assert whole["enrolment.undecided.2019-tartu"] == (2, listed + "Tartu")
    assert whole["enrolment.group.2019-parnu"] == ("0/7 (1)", "/enrolment/groups/2019-parnu")
    assert whole["enrolment.group.2019-tartu"] == ("1/7 (0)", "/enrolment/groups/2019-tartu")
    assert {k for k in whole if k.startswith("enrolment.group.")} == {
        "enrolment.group.2019-parnu", "enrolment.group.2019-tartu", "enrolment.group.2019-rakvere",
        "enrolment.group.2019-tallinn"}
    assert "enrolment.dead_letters" in whole
    assert teams(whole["enrolment.undecided"][1]) == {1, 2, 3, 4, 5}
    assert teams(whole["enrolment.rejected"][1]) == {6, 7}

    h.login("coordinator:Tartu", email="tiia@example.ee")
    tartu = figures()
    assert tartu == {
        "enrolment.undecided": (2, "/enrolment/applications?status=submitted&city=Tartu"),
        "enrolment.incomplete": (1, "/enrolment/applications?status=submitted&complete=no&city=Tartu"),
        "enrolment.undecided.2019-tartu": (2, "/enrolment/applications?status=submitted&city=Tartu"),
        "enrolment.group.2019-tartu": ("1/7 (0)", "/enrolment/groups/2019-tartu"),
        "enrolment.rejected": (1, "/enrolment/applications?status=rejected&city=Tartu"),
    }  # no other city's figures, nor the whole edition's dead letters
    assert teams(tartu["enrolment.undecided"][1]) == {4, 5}
    assert teams(tartu["enrolment.incomplete"][1]) == {5}
    assert teams(tartu["enrolment.rejected"][1]) == {7}
    assert teams(tartu["enrolment.group.2019-tartu"][1]) == {8}
    # The same rows without the city filter: the page keeps to the scope on its own.
    assert teams("/applications?status=submitted") == {4, 5}

    h.login("coordinator:Tartu,Pärnu", email="tiia@example.ee")
    both = figures()
    # No one city to name in the links: the list keeps to both cities on its own.
    assert both["enrolment.undecided"] == (5, "/enrolment/applications?status=submitted")
    assert teams(both["enrolment.undecided"][1]) == {1, 2, 3, 4, 5}
    assert both["enrolment.rejected"][0] == 2 and "enrolment.group.2019-tallinn" not in both
