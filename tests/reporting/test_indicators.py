"""Issue 7, point 3: indicators per edition and per group, through the API, on a group built
from events and form submissions. Expected values are written out by hand below."""
from __future__ import annotations

from datetime import datetime

from shared import clock
from shared.clock import TALLINN

from .builders import hand_built_edition

COLUMNS = ("total", "women", "men", "non_binary", "sex_unknown", "unknown", "declined")

# Tallinn (8 entered: P1–P7 and P10; P8 never came, P9 was substituted): by sex women P1 P4 P6 P10,
# men P2 P5, non-binary P3, sex unknown P7 (no form). P7 is "unknown" everywhere; "declined" are
# P6 (employment, ISCED), P3 (disability), P2 (minority), P5 (homelessness).
TALLINN_ESF_PLUS = {
    #          total women men nb  sex? unknown declined
    "EECO01": (8, 4, 2, 1, 1, 0, 0),
    "EECO02": (2, 0, 1, 1, 0, 1, 1),   # P2 unemployed, P3 long-term
    "EECO03": (1, 0, 0, 1, 0, 1, 1),   # P3
    "EECO04": (1, 1, 0, 0, 0, 1, 1),   # P1 inactive
    "EECO05": (3, 2, 1, 0, 0, 1, 1),   # P4, P10 employed; P5 self-employed
    "EECO06": (1, 1, 0, 0, 0, 1, 0),   # P1 is 17
    "EECO07": (2, 0, 1, 1, 0, 1, 0),   # P2 is 18, P3 is 29 on the day of entry; P4 is 30: none
    "EECO08": (1, 1, 0, 0, 0, 1, 0),   # P6 is 55 on the day of entry; P5 is 54: none
    "EECO09": (1, 1, 0, 0, 0, 1, 1),   # P1 ISCED 2
    "EECO10": (2, 0, 1, 1, 0, 1, 1),   # P2 ISCED 3, P3 ISCED 4
    "EECO11": (3, 2, 1, 0, 0, 1, 1),   # P4 8, P5 7, P10 6
    "EECO12": (1, 1, 0, 0, 0, 1, 1),   # P1; P3 declined
    "EECO13": (1, 0, 1, 0, 0, 1, 0),   # P2
    "EECO14": (1, 0, 1, 0, 0, 1, 0),   # P2
    "EECO15": (1, 1, 0, 0, 0, 1, 1),   # P6; P2 declined
    "EECO16": (1, 0, 0, 1, 0, 1, 1),   # P3; P5 declined
    "EECO17": (1, 1, 0, 0, 0, 1, 0),   # P1
    "EECO18": (2, 0, 0, 0, 0, 0, 0),   # L1, L2 (L3 only through P8, who never entered)
    "PS-NGO": (2, 0, 0, 0, 0, 0, 0),   # N1, N2 (P10's, from the substitution)
    "PS-COMPLETED": (2, 2, 0, 0, 0, 5, 0),  # P1, P4; P2 dropped out; the others have not left
}


def table(report: dict) -> dict:
    return {row["code"]: tuple(row[c] for c in COLUMNS) for row in report["rows"]}


def test_group_indicators_from_events_and_forms_with_unknown_declined_and_age_edges(h):
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2019, 6, 1, 12, tzinfo=TALLINN))
    report = h.client.get("/api/groups/2019-tallinn/indicators").get_json()
    assert report["indicator_set"]["name"] == "esf_plus_2021_2027"
    assert report["participants_entered"] == 8
    assert table(report) == TALLINN_ESF_PLUS
    names = {row["code"]: (row["name_et"], row["name_en"]) for row in report["rows"]}
    assert names["EECO07"] == ("18–29-aastased noored", "Number of young people between 18 and 29 years of age")
    same = h.client.get("/api/editions/edition-2019/indicators", query_string={"group_id": "2019-tallinn"})
    assert table(same.get_json()) == TALLINN_ESF_PLUS


def test_edition_indicators_add_the_other_groups(h):
    hand_built_edition(h)
    h.login("coordinator")
    edition = table(h.client.get("/api/editions/edition-2019/indicators").get_json())
    # T1 (Tartu): a woman of 23, employed, ISCED 6, all "no", from local government L4.
    assert edition["EECO01"] == (9, 5, 2, 1, 1, 0, 0)
    assert edition["EECO05"] == (4, 3, 1, 0, 0, 1, 1)
    assert edition["EECO07"] == (3, 1, 1, 1, 0, 1, 0)
    assert edition["EECO11"] == (4, 3, 1, 0, 0, 1, 1)
    assert edition["EECO18"][0] == 3 and edition["PS-NGO"][0] == 2
    assert edition["PS-COMPLETED"] == (2, 2, 0, 0, 0, 6, 0)


def test_an_edition_chooses_its_set_the_2014_2020_one_for_2019(h):
    hand_built_edition(h)
    h.login("coordinator")
    chosen = h.client.put("/api/editions/edition-2019/settings",
                          json={"indicator_set": "esf_2014_2020", "deadline_weeks": 4})
    assert chosen.status_code == 200 and chosen.get_json()["indicator_set"] == "esf_2014_2020"
    report = h.client.get("/api/groups/2019-tallinn/indicators").get_json()
    rows = {row["code"]: row for row in report["rows"]}
    assert report["indicator_set"]["regulation"] == "Regulation (EU) No 1304/2013, Annex I"
    assert table(report)["TOTAL"] == (8, 4, 2, 1, 1, 0, 0)
    assert table(report)["CO06"] == (2, 1, 1, 0, 0, 1, 0)  # below 25: P1 17, P2 18
    assert table(report)["CO07"] == (1, 1, 0, 0, 0, 1, 0)  # above 54: P6 55, not P5 54
    assert table(report)["CO15"] == (2, 1, 1, 0, 0, 1, 0)  # P2 third-country, P6 minority
    # Inactive "not in education" is not asked: P1 is unknown, not counted and not a 0.
    assert table(report)["CO04"] == (0, 0, 0, 0, 0, 2, 1)
    assert rows["CO12"]["collected"] is False and rows["CO12"]["total"] is None
    assert [rows[c]["collected"] for c in ("CO20", "CO21", "CO22", "CO23")] == [False] * 4
    assert table(report)["PS-KOV"][0] == 2 and table(report)["PS-NGO"][0] == 2

    page = h.client.get("/editions/edition-2019/indicators?group=2019-tallinn").get_data(as_text=True)
    assert "andmeid ei koguta" in page and "ESF 2014–2020 ühised väljundnäitajad" in page

    wrong = h.client.put("/api/editions/edition-2019/settings", json={"indicator_set": "../../etc/passwd"})
    assert wrong.status_code == 422 and "indicator_set" in wrong.get_json()["errors"]["json"]


def test_the_indicators_page_shows_unknown_and_declined(h):
    hand_built_edition(h)
    h.login("coordinator")
    html = h.client.get("/editions/edition-2019/indicators?lang=en&group=2019-tallinn").get_data(as_text=True)
    assert "Data missing" in html and "Declined" in html and "EECO12" in html
    assert "Number of participants with disabilities" in html
