import io
import os

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFile

from services.attendance.documents.signin_sheet import (
    FONT_CANDIDATES,
    PROGRAMME_NAME,
    SheetRow,
    render_signin_sheet,
)

from .calendar2019 import schedule_2019

SESSION = schedule_2019(venue="Pärnu Rannahotell, Ranna pst 1").get("2019-parnu-2")  # 30.04.2019

ROWS = [
    SheetRow("Õnne Šmõškina", "Häädemeeste Vallavalitsus"),
    SheetRow("Žanna Družinina", "MTÜ Äksi Külade Ühendus"),
    SheetRow("Ülle Öövel", "Tõstamaa Lasteaed & Kool <filiaal>", make_up_from="Tartu"),
]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    """Line breaks wherever the layout wrapped."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sheet_text() -> str:
    return pdf_text(render_signin_sheet(SESSION, ROWS))


def test_it_is_a_pdf():
    assert render_signin_sheet(SESSION, ROWS).startswith(b"%PDF-")


def test_the_heading_names_programme_day_date_city_venue_and_hours(sheet_text):
    text = flat(sheet_text)
    assert PROGRAMME_NAME in text
    assert "Osalejate allkirjaleht" in text
    assert "II koolituspäev" in text
    assert "Kuupäev: 30.04.2019" in text
    assert "Linn: Pärnu" in text
    assert "Toimumiskoht: Pärnu Rannahotell, Ranna pst 1" in text
    # Stored in UTC (07:00–14:00), printed in Tallinn time.
    assert "Aeg: 10:00–17:00" in text


def test_estonian_letters_survive(sheet_text):
    for name in ("Õnne Šmõškina", "Žanna Družinina", "Ülle Öövel", "Häädemeeste Vallavalitsus"):
        assert name in sheet_text
    assert set("õäöüšžÕÄÖÜŠŽ") <= set(sheet_text)


def test_the_table_has_numbers_names_organisations_and_a_signature_column(sheet_text):
    text = flat(sheet_text)
    assert "Nr Nimi Organisatsioon Allkiri" in text
    assert "1 Õnne Šmõškina Häädemeeste Vallavalitsus" in text
    assert "2 Žanna Družinina MTÜ Äksi Külade Ühendus" in text


def test_make_up_participants_are_marked_with_their_group(sheet_text):
    text = flat(sheet_text)
    assert "Ülle Öövel * (järeletegija, grupp: Tartu)" in text
    assert "Osalejaid nimekirjas: 3, neist järeletegijaid: 1." in text
    assert "* Järeletegija" in text


def test_markup_characters_in_data_are_printed_as_they_are(sheet_text):
    assert "Tõstamaa Lasteaed & Kool <filiaal>" in flat(sheet_text)


def test_blank_rows_for_walk_ins(sheet_text):
    # Numbered 4 and 5 after the three participants.
    assert (
        flat(sheet_text)
        .split("järeletegija, grupp: Tartu) Tõstamaa Lasteaed & Kool <filiaal> ")[1]
        .startswith("4 5")
    )


def test_a_long_list_continues_on_more_pages_with_the_header_repeated():
    rows = [SheetRow(f"Osaleja {n:02d} Põder", "Vald") for n in range(1, 41)]
    pdf = render_signin_sheet(SESSION, rows, blank_rows=0)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    for page in pages:
        assert "Allkiri" in page.extract_text()
    last = flat(pages[-1].extract_text())
    assert "Osaleja 40 Põder" in last
    assert f"Lk {len(pages)}" in last
    assert "järeletegijaid: 0" in last
    assert "* Järeletegija" not in last


def test_english_labels_on_request():
    text = flat(pdf_text(render_signin_sheet(SESSION, ROWS, language="en")))
    assert "Day II" in text and "Date: 30.04.2019" in text and "Signature" in text
    assert "(make-up, group: Tartu)" in text
    assert PROGRAMME_NAME in text  # the programme's name is not translated


def test_an_empty_sheet_still_prints():
    text = flat(pdf_text(render_signin_sheet(SESSION, [], blank_rows=3)))
    assert "Osalejaid nimekirjas: 0" in text
    assert "Nr Nimi Organisatsioon Allkiri 1 2 3" in text


def test_the_same_input_gives_the_same_bytes():
    assert render_signin_sheet(SESSION, ROWS) == render_signin_sheet(SESSION, ROWS)


def test_the_fallback_font_shipped_with_reportlab_covers_estonian():
    regular, bold = FONT_CANDIDATES[-1]
    for path in (regular, bold):
        glyphs = TTFontFile(path).charToGlyph
        assert all(ord(letter) in glyphs for letter in "õäöüšžÕÄÖÜŠŽ–")


@pytest.mark.skipif(not os.path.exists(FONT_CANDIDATES[0][0]), reason="DejaVu Sans not installed")
def test_cyrillic_names_print_with_dejavu():
    text = pdf_text(render_signin_sheet(SESSION, [SheetRow("Наталья Иванова", "Narva Linnavalitsus")]))
    assert "Наталья Иванова" in text
