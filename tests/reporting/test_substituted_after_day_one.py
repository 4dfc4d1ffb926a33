"""A member replaced after attending a day (an edition may allow substitutions until day II or
III begins) took part: reported as an ESF participant with an entry and an exit (dropped_out on
the substitution's date); one replaced before attending anything is not reported, as before."""
from __future__ import annotations

from datetime import datetime

from shared import clock
from shared.clock import TALLINN

from .builders import accept, attend, form_path, member, organisation, publish_edition

NEWCOMER = member("P3", "Liis", "Lepp", "N2")


def _substitute(h, left: str, newcomer: dict, when: datetime, application_id: str = "app-1") -> None:
    clock.set_now(when)
    h.deliver("enrolment.member.substituted", {
        "application_id": application_id, "left_participant_id": left, "member": newcomer,
        "organisation": organisation(newcomer["organisation_id"], "ngo")})


def _team(h) -> None:
    publish_edition(h)
    accept(h, "app-1", "Pärnu", [member("P1", "Mari", "Mets", "L1"), member("P2", "Vana", "Liige", "N1"),
                                 member("P4", "Puudus", "Esimesel", "N1")],
           [organisation("L1"), organisation("N1", "ngo")])
    attend(h, "P1", "Pärnu", 1)
    attend(h, "P2", "Pärnu", 1)
    attend(h, "P4", "Pärnu", 1, present=False)


def _listed(h) -> dict:
    return {p["participant_id"]: p for p in h.client.get("/api/editions/edition-2019/participants").get_json()}


def test_a_member_replaced_after_attending_day_one_is_reported_as_having_left(h):
    _team(h)
    _substitute(h, "P2", NEWCOMER, datetime(2019, 4, 15, 12, tzinfo=TALLINN))
    _substitute(h, "P4", member("P5", "Teine", "Uus", "N3"), datetime(2019, 4, 16, 12, tzinfo=TALLINN))
    attend(h, "P1", "Pärnu", 2)
    attend(h, "P3", "Pärnu", 2)
    clock.set_now(datetime(2019, 5, 2, 12, tzinfo=TALLINN))
    h.login("coordinator")

    listed = _listed(h)
    # P4 was replaced without having attended anything: not an ESF participant (P5, who took
    # their place, is listed as everyone still to enter is).
    assert sorted(listed) == ["P1", "P2", "P3", "P5"]
    left = h.client.get("/api/participants/P2").get_json()
    assert (left["status"], left["entry_date"], left["exit_date"], left["exit_status"]) == (
        "substituted", "2019-04-09", "2019-04-15", "dropped_out")
    assert "exit_status" not in left["missing"] and "exit_date" not in left["missing"]
    newcomer = h.client.get("/api/participants/P3").get_json()
    assert (newcomer["entry_date"], newcomer["exit_date"], newcomer["exit_status"]) == ("2019-04-30", None, None)

    report = h.client.get("/api/groups/2019-parnu/indicators").get_json()
    assert report["participants_entered"] == 3
    rows = {r["code"]: r for r in report["rows"]}
    assert rows["EECO01"]["total"] == 3
    page = h.client.get("/editions/edition-2019/participants").get_data(as_text=True)
    assert "Vana" in page and "15.04.2019 (katkestas)" in page and "Puudus" not in page

    # They took part, so their ESF data is asked of them: the form opens for them, not for P4.
    assert h.client.get(form_path(h, "P2")).status_code == 200
    assert h.client.get(form_path(h, "P4")).status_code == 404


def test_the_exit_is_the_first_substitution_whatever_the_order(h):
    _team(h)
    when = datetime(2019, 4, 15, 12, tzinfo=TALLINN)
    _substitute(h, "P2", NEWCOMER, when)
    _substitute(h, "P2", NEWCOMER, datetime(2019, 4, 20, 12, tzinfo=TALLINN))  # told again, later
    # The day-I record arrives again after the substitution (a redelivery with a new id).
    attend(h, "P2", "Pärnu", 1, when=datetime(2019, 4, 9, 18, tzinfo=TALLINN))
    clock.set_now(datetime(2019, 6, 20, 12, tzinfo=TALLINN))  # past the group's last day
    h.login("coordinator")
    left = h.client.get("/api/participants/P2").get_json()
    assert (left["entry_date"], left["exit_date"], left["exit_status"]) == ("2019-04-09", "2019-04-15", "dropped_out")


def test_a_member_replaced_before_day_one_is_still_not_reported(h):
    publish_edition(h)
    _substitute(h, "P2", NEWCOMER, datetime(2019, 3, 25, 12, tzinfo=TALLINN))
    accept(h, "app-1", "Pärnu", [member("P1", "Mari", "Mets", "L1"), member("P2", "Vana", "Liige", "N1")],
           [organisation("L1"), organisation("N1", "ngo")])
    attend(h, "P1", "Pärnu", 1)
    attend(h, "P3", "Pärnu", 1)
    clock.set_now(datetime(2019, 4, 20, 12, tzinfo=TALLINN))
    h.login("coordinator")
    assert sorted(_listed(h)) == ["P1", "P3"]
    assert h.client.get(form_path(h, "P2")).status_code == 404
