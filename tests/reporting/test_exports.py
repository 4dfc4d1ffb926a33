"""Issue 7, point 4: funder exports (coordinator only), neutralised cells, every export logged."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from shared import clock
from shared.clock import TALLINN

from .builders import (
    BEFORE_START,
    accept,
    attend,
    drop_out,
    edition,
    fill,
    hand_built_edition,
    member,
    organisation,
    publish_edition,
)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes, sheet: str) -> list[list[str]]:
    def text(value):
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.date().isoformat()
        return str(value)
    workbook = load_workbook(io.BytesIO(data))
    return [[text(cell.value) for cell in row] for row in workbook[sheet].iter_rows()]


def with_a_hostile_participant(h):
    hand_built_edition(h)
    accept(h, "app-X", "Tallinn", [member("PX", "=HYPERLINK(\"http://evil.example\",\"x\")", "+37255555555",
                                          "@SUM(A1:A9)")], [organisation("@SUM(A1:A9)")])
    clock.set_now(BEFORE_START)
    assert fill(h, "PX", personal_code="38703120227", municipality="-2+3", county="Harju maakond").status_code == 303
    attend(h, "PX", "Tallinn", 1)
    clock.set_now(datetime(2019, 6, 10, 9, tzinfo=TALLINN))


def test_the_participant_xlsx_read_back_equals_the_csv_and_formulas_cannot_run(h):
    with_a_hostile_participant(h)
    h.login("coordinator", name="Kati Koordinaator", email="kati@example.ee")
    as_csv = h.client.get("/api/editions/edition-2019/exports/participants.csv")
    as_xlsx = h.client.get("/editions/edition-2019/export/participants.xlsx")
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv.headers["Content-Disposition"].startswith("attachment; filename=esf-osalejad-edition-2019-")
    assert as_xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = read_csv(as_csv.data)
    assert read_xlsx(as_xlsx.data, "Osalejad") == rows
    assert rows[0][:4] == ["Osaleja ID", "Eesnimi", "Perekonnanimi", "Isikukood"]
    hostile = next(row for row in rows if row[0] == "PX")
    assert hostile[1] == "'=HYPERLINK(\"http://evil.example\",\"x\")" and hostile[2] == "'+37255555555"
    assert "'-2+3" in hostile and "'@SUM(A1:A9)" in hostile
    # XLSX stores them as plain strings, never as formulas.
    sheet = load_workbook(io.BytesIO(as_xlsx.data))["Osalejad"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    # The funder's file has the full code (Statistics Estonia links on it); P7 gave none.
    assert hostile[3] == "38703120227"
    assert {row[0] for row in rows[1:]} == {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P10", "T1", "PX"}
    codebook = read_xlsx(as_xlsx.data, "Koodiraamat")
    assert codebook[0] == ["Veerg", "Tähendus", "Lubatud väärtused"] and len(codebook) == len(rows[0]) + 1


def test_the_indicator_table_as_xlsx_holds_the_apis_figures(h):
    hand_built_edition(h)
    h.login("coordinator")
    api = {row["code"]: row for row in h.client.get("/api/editions/edition-2019/indicators").get_json()["rows"]}
    xlsx = h.client.get("/editions/edition-2019/export/indicators.xlsx?group=")
    rows = read_xlsx(xlsx.data, "Näitajad")
    assert rows[0][:5] == ["Kood", "Näitaja", "Indicator", "Ühik", "Kokku"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code.keys() == api.keys()
    assert by_code["EECO12"][4:11] == [str(api["EECO12"][c]) for c in (
        "total", "women", "men", "non_binary", "sex_unknown", "unknown", "declined")]
    as_csv = h.client.get("/editions/edition-2019/export/indicators.csv")
    assert read_csv(as_csv.data) == rows


def test_every_export_is_logged_with_who_when_what_and_rows(h):
    hand_built_edition(h)
    h.login("coordinator", name="Kati Koordinaator", email="kati@example.ee")
    clock.set_now(datetime(2019, 6, 10, 9, 30, tzinfo=TALLINN))
    h.client.get("/editions/edition-2019/export/participants.csv")
    h.client.get("/api/editions/edition-2019/exports/participants.xlsx?group_id=2019-tartu")
    h.client.get("/editions/edition-2019/export/indicators.xlsx")
    h.client.post("/participants/P1/data-export", data={"csrf_token": h.csrf_token("/participants/P1")})
    log = h.client.get("/api/export-log").get_json()
    assert [(e["kind"], e["edition_id"], e["group_id"], e["participant_id"], e["row_count"]) for e in log] == [
        ("own_data_json", "edition-2019", "2019-tallinn", "P1", 1),
        ("indicators_xlsx", "edition-2019", None, None, 20),
        ("participants_xlsx", "edition-2019", "2019-tartu", None, 1),
        ("participants_csv", "edition-2019", None, None, 10),
    ]
    assert {(e["actor_name"], e["actor_email"], e["at"]) for e in log} == {
        ("Kati Koordinaator", "kati@example.ee", "2019-06-10T06:30:00+00:00")}
    page = h.client.get("/audit").get_data(as_text=True)
    assert "participants_csv" in page and "Kati Koordinaator" in page and "10.06.2019 09:30" in page


def test_an_unknown_export_or_edition_is_404(h):
    hand_built_edition(h)
    h.login("coordinator")
    assert h.client.get("/api/editions/edition-2019/exports/everything.zip").status_code == 404
    assert h.client.get("/api/editions/nope/exports/participants.csv").status_code == 404
    assert h.client.get("/editions/nope/export/participants.csv").status_code == 404
    assert h.client.get("/api/export-log").get_json() == []


def test_a_participants_export_of_a_group_not_in_the_edition_is_404_and_not_logged(h):
    """It used to be an empty file named after whatever was asked for (a 500 when that held a
    line break: no header may), logged as an export of that group."""
    hand_built_edition(h)
    h.login("coordinator")
    for group in ("2019-viljandi", "2019-tartu\nSet-Cookie: x=1", "grp-tartu"):
        for fmt in ("csv", "xlsx"):
            r = h.client.get(f"/api/editions/edition-2019/exports/participants.{fmt}", query_string={"group_id": group})
            assert r.status_code == 404 and r.get_json()["reason"] == "not_found", (group, fmt, r.status_code)
            page = h.client.get(f"/editions/edition-2019/export/participants.{fmt}", query_string={"group": group})
            assert page.status_code == 404, (group, fmt)
    assert h.client.get("/api/export-log").get_json() == []
    tartu = h.client.get("/api/editions/edition-2019/exports/participants.csv?group_id=2019-tartu")
    assert tartu.status_code == 200 and [row[0] for row in read_csv(tartu.data)[1:]] == ["T1"]


def test_the_participants_and_completeness_of_another_editions_group_are_404_not_empty(h):
    """The group exists, but in the 2020 edition: asking the 2019 edition for it used to answer
    an empty list (as if the group had nobody) instead of saying it is not the edition's."""
    hand_built_edition(h)
    other = edition()
    other.update(edition_id="edition-2020", year=2020, name="Arenguprogramm 2020")
    other["groups"] = [{**other["groups"][0], "group_id": "2020-tallinn",
                        "sessions": [{**s, "session_id": f"2020-{s['session_id']}"} for s in other["groups"][0]["sessions"]]}]
    h.deliver("enrolment.edition.published", other)
    h.login("coordinator")
    for path in ("participants", "completeness"):
        r = h.client.get(f"/api/editions/edition-2019/{path}", query_string={"group_id": "2020-tallinn"})
        assert r.status_code == 404 and r.get_json()["reason"] == "not_found", (path, r.status_code)
        own = h.client.get(f"/api/editions/edition-2019/{path}", query_string={"group_id": "2019-tallinn"})
        assert own.status_code == 200, path


def test_a_csv_export_names_its_charset_once(h):
    hand_built_edition(h)
    h.login("coordinator")
    for path in ("/editions/edition-2019/export/participants.csv", "/editions/edition-2019/export/indicators.csv",
                 "/api/editions/edition-2019/exports/participants.csv"):
        response = h.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", path


def test_participants_are_listed_in_estonian_alphabetical_order(h):
    """The participants list (API and page) and the export read Šmidt, Zirk, Tamm, … Õun, Ärss
    (shared/collation.py), not in code point order, which put Tamm first and Šmidt last."""
    from .builders import publish_edition
    publish_edition(h)
    names = [("T-oun", "Õie", "Õun"), ("T-tamm", "Tiit", "Tamm"), ("T-zirk", "Zoja", "Zirk"),
             ("T-smidt", "Šarl", "Šmidt"), ("T-wiik", "Ants", "Wiik"), ("T-ars", "Ülo", "Ärss")]
    accept(h, "app-T", "Tartu", [member(pid, first, last, "org-T") for pid, first, last in names],
           [organisation("org-T")])
    expected = ["Šmidt", "Zirk", "Tamm", "Wiik", "Õun", "Ärss"]
    h.login("coordinator")
    listed = h.client.get("/api/editions/edition-2019/participants").get_json()
    assert [p["last_name"] for p in listed] == expected
    page = h.client.get("/editions/edition-2019/participants").get_data(as_text=True)
    assert sorted(expected, key=page.index) == expected
    exported = "\n".join(",".join(r) for r in read_csv(
        h.client.get("/api/editions/edition-2019/exports/participants.csv").data))
    assert sorted(expected, key=exported.index) == expected


def test_english_pages_write_dates_day_month_year_as_the_estonian_ones(h):
    """The audit log and the completeness page in English read 10.06.2019 09:30 (Tallinn) and
    17.04.2019, as in Estonian (shared/dates.py) — not 2019-06-10 09:30 and 2019-04-17."""
    import re
    hand_built_edition(h)
    h.login("coordinator", name="Kati Koordinaator", email="kati@example.ee")
    clock.set_now(datetime(2019, 6, 10, 9, 30, tzinfo=TALLINN))
    h.client.get("/editions/edition-2019/export/participants.csv")
    for lang in ("et", "en"):
        audit = h.client.get(f"/audit?lang={lang}").get_data(as_text=True)
        assert "10.06.2019 09:30" in audit, lang
        completeness = h.client.get(f"/editions/edition-2019/completeness?lang={lang}").get_data(as_text=True)
        assert "17.04.2019" in completeness, lang  # Tallinn's day I: an entry date
        for html in (audit, completeness):
            assert not re.search(r"(?<![\w-])\d{4}-\d{2}-\d{2}\b", re.sub(r"<[^>]*>", " ", html)), lang


def test_the_participant_export_names_each_employer_after_its_id_and_guards_those_cells(h):
    """The funder's file named an employer only by its id: now its name and registry code follow
    the id, from the organisations enrolment's acceptance (or attendance's dropout) carried, in
    CSV and XLSX alike; every other column keeps its order. A hostile name cannot run as a formula."""
    hand_built_edition(h)
    hostile = organisation("L9", name="=HYPERLINK(\"http://evil.example\",\"Vald\")")
    hostile["registry_code"] = "01234567"  # a leading zero is kept: the code is text
    accept(h, "app-E", "Tartu", [member("E1", "Ell", "Ernits", "L9"), member("E2", "Eve", "Eller", "L8")],
           [hostile])  # L8 is never described
    attend(h, "E1", "Tartu", 1)
    attend(h, "E2", "Tartu", 1)
    clock.set_now(datetime(2019, 6, 10, 9, tzinfo=TALLINN))
    h.login("coordinator")
    as_csv = h.client.get("/api/editions/edition-2019/exports/participants.csv")
    as_xlsx = h.client.get("/api/editions/edition-2019/exports/participants.xlsx")
    assert as_csv.status_code == as_xlsx.status_code == 200
    rows = read_csv(as_csv.data)
    assert read_xlsx(as_xlsx.data, "Osalejad") == rows
    headings = rows[0]
    at_id = headings.index("Organisatsiooni ID")
    assert headings[at_id + 1:at_id + 3] == ["Organisatsiooni nimi", "Organisatsiooni registrikood"]
    assert [heading for heading in headings if heading not in ("Organisatsiooni nimi", "Organisatsiooni registrikood")] \
        == ["Osaleja ID", "Eesnimi", "Perekonnanimi", "Isikukood", "Sünniaeg", "Sugu", "Vanus sisenemisel", "Grupp",
            "Linn", "Organisatsiooni ID", "Organisatsiooni liik", "Elukoha maakond", "Elukoha omavalitsus",
            "Sisenemise kuupäev", "Väljumise kuupäev", "Väljumise staatus", "Tööturu staatus", "Haridustase (ISCED)",
            "Puue", "Kolmanda riigi kodanik", "Välispäritolu", "Vähemus", "Kodutu või eluasemeturult tõrjutud",
            "Maapiirkonnast"]
    employer = {row[0]: (row[at_id], row[at_id + 1], row[at_id + 2], row[at_id + 3]) for row in rows[1:]}
    assert employer["P1"] == ("L1", "Organisatsioon L1", "75012345", "kohalik omavalitsus")
    assert employer["P2"] == ("N1", "Organisatsioon N1", "80012345", "vabaühendus")
    assert employer["E1"] == ("L9", "'=HYPERLINK(\"http://evil.example\",\"Vald\")", "01234567",
                              "kohalik omavalitsus")
    assert employer["E2"] == ("L8", "", "", "")
    sheet = load_workbook(io.BytesIO(as_xlsx.data))["Osalejad"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells["E1"][at_id + 1].data_type == "s" and cells["E1"][at_id + 2].data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    codebook = read_xlsx(as_xlsx.data, "Koodiraamat")
    assert [row[0] for row in codebook[1:]] == headings


def test_an_employer_known_only_from_a_dropout_is_named_in_the_export(h):
    """An acceptance without its organisations (an older event) leaves the employer unknown until
    attendance's dropout carries it: the export then names it."""
    publish_edition(h)
    accept(h, "app-D", "Pärnu", [member("D1", "Dora", "Daam", "N7")], [])
    attend(h, "D1", "Pärnu", 1)
    h.login("coordinator")

    def employer_of_d1():
        rows = read_csv(h.client.get("/api/editions/edition-2019/exports/participants.csv").data)
        at_id = rows[0].index("Organisatsiooni ID")
        return next(row for row in rows if row[0] == "D1")[at_id:at_id + 3]

    assert employer_of_d1() == ["N7", "", ""]
    drop_out(h, "D1", "Pärnu", "app-D", organisation("N7", "ngo", name="MTÜ Seitse"),
             when=datetime(2019, 4, 30, 17, tzinfo=TALLINN))
    assert employer_of_d1() == ["N7", "MTÜ Seitse", "80012345"]
