"""The printable sign-in sheet of a session (ESF evidence of attendance: names and signatures).

A TrueType font is embedded because the PDF standard fonts have no glyphs beyond Latin-1
for every viewer, and names here carry õ, ä, ö, ü, š, ž (and may be Cyrillic): DejaVu Sans
when the system has it, otherwise Vera, which ships with reportlab and covers Estonian.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from html import escape as html_escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.attendance.domain.schedule import Session

# Paragraph text is markup: names like "Kask & Ko <OÜ>" must print as written.
escape = partial(html_escape, quote=False)

PROGRAMME_NAME = "Avalike teenuste delegeerimise ja koosloome arenguprogramm"

FONT = "SheetSans"
FONT_BOLD = "SheetSans-Bold"

FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    (
        os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"),
        os.path.join(os.path.dirname(reportlab.__file__), "fonts", "VeraBd.ttf"),
    ),
)

SIGNATURE_ROW_HEIGHT = 14 * mm  # room for a real signature, not a tick

LABELS = {
    "et": {
        "sheet": "Osalejate allkirjaleht",
        "day": "{roman} koolituspäev",
        "date": "Kuupäev",
        "city": "Linn",
        "venue": "Toimumiskoht",
        "time": "Aeg",
        "no": "Nr",
        "name": "Nimi",
        "organisation": "Organisatsioon",
        "signature": "Allkiri",
        "make_up": "järeletegija, grupp: {group}",
        "legend": "* Järeletegija: teise grupi osaleja, kes teeb selle päeva järele.",
        "count": "Osalejaid nimekirjas: {total}, neist järeletegijaid: {make_ups}.",
        "trainer": "Koolitaja nimi ja allkiri:",
        "page": "Lk {page}",
    },
    "en": {
        "sheet": "Attendance sign-in sheet",
        "day": "Day {roman}",
        "date": "Date",
        "city": "City",
        "venue": "Venue",
        "time": "Time",
        "no": "No.",
        "name": "Name",
        "organisation": "Organisation",
        "signature": "Signature",
        "make_up": "make-up, group: {group}",
        "legend": "* Make-up: a participant of another group making up this day.",
        "count": "Participants listed: {total}, of whom making up: {make_ups}.",
        "trainer": "Trainer's name and signature:",
        "page": "Page {page}",
    },
}


@dataclass(frozen=True)
class SheetRow:
    name: str
    organisation: str
    make_up_from: str | None = None  # the participant's own group (its city), if making up


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for regular, bold in FONT_CANDIDATES:
        if os.path.exists(regular) and os.path.exists(bold):
            pdfmetrics.registerFont(TTFont(FONT, regular))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, bold))
            pdfmetrics.registerFontFamily(
                FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
            )
            return
    raise RuntimeError("no TrueType font found for the sign-in sheet")  # reportlab always ships Vera


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=12.5)
    return {
        "programme": ParagraphStyle(
            "programme", base, fontName=FONT_BOLD, fontSize=14, leading=17, alignment=TA_CENTER
        ),
        "sheet": ParagraphStyle(
            "sheet", base, fontName=FONT_BOLD, fontSize=12, leading=15, alignment=TA_CENTER
        ),
        "meta": ParagraphStyle("meta", base, fontSize=11, leading=15),
        "head": ParagraphStyle("head", base, fontName=FONT_BOLD),
        "cell": base,
        "note": ParagraphStyle(
            "note", base, fontSize=8.5, leading=10.5, textColor=colors.HexColor("#444444")
        ),
        "small": ParagraphStyle("small", base, fontSize=9, leading=11),
    }


def render_signin_sheet(
    session: Session,
    rows: Sequence[SheetRow],
    *,
    language: str = "et",
    blank_rows: int = 2,
    programme_name: str = PROGRAMME_NAME,
) -> bytes:
    """The sheet as PDF bytes, rows in the order given, plus ``blank_rows`` empty lines for
    walk-ins. Identical input gives identical bytes (no timestamps), so it can be cached."""
    _register_fonts()
    text = LABELS["en" if language == "en" else "et"]
    style = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"{text['sheet']} – {session.city} {session.date_text}",
        author=programme_name,
        invariant=1,
    )

    def field(label: str, value: str) -> Paragraph:
        return Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", style["meta"])

    story: list = [
        Paragraph(escape(programme_name), style["programme"]),
        Spacer(0, 3 * mm),
        Paragraph(escape(text["sheet"]), style["sheet"]),
        Spacer(0, 5 * mm),
        Paragraph(f"<b>{escape(text['day'].format(roman=session.roman_day))}</b>", style["meta"]),
        field(text["date"], session.date_text),
        field(text["city"], session.city),
        field(text["venue"], session.venue or "—"),
        field(text["time"], session.hours_text),
        Spacer(0, 5 * mm),
    ]

    table_data: list[list] = [
        [Paragraph(escape(text[key]), style["head"]) for key in ("no", "name", "organisation", "signature")]
    ]
    make_up_rows: list[int] = []
    for number, row in enumerate(rows, start=1):
        name = escape(row.name)
        if row.make_up_from:
            make_up_rows.append(number)
            name += f" *<br/><font size=8.5>({escape(text['make_up'].format(group=row.make_up_from))})</font>"
        table_data.append(
            [
                str(number),
                Paragraph(name, style["cell"]),
                Paragraph(escape(row.organisation), style["cell"]),
                "",
            ]
        )
    for number in range(len(rows) + 1, len(rows) + 1 + blank_rows):
        table_data.append([str(number), "", "", ""])

    widths = [12 * mm, 58 * mm, 60 * mm, 50 * mm]
    heights = [None] + [SIGNATURE_ROW_HEIGHT] * (len(table_data) - 1)
    table = Table(table_data, colWidths=widths, rowHeights=heights, repeatRows=1)
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, 10),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
    ]
    # Shaded so the trainer sees at a glance who is a guest from another group.
    commands += [("BACKGROUND", (0, n), (-1, n), colors.HexColor("#f3f3f3")) for n in make_up_rows]
    table.setStyle(TableStyle(commands))
    story.append(table)

    story.append(Spacer(0, 4 * mm))
    story.append(
        Paragraph(escape(text["count"].format(total=len(rows), make_ups=len(make_up_rows))), style["small"])
    )
    if make_up_rows:
        story.append(Paragraph(escape(text["legend"]), style["note"]))
    story.append(Spacer(0, 10 * mm))
    story.append(Paragraph(escape(text["trainer"]) + " " + "_" * 50, style["small"]))

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 10 * mm, f"{session.city} {session.date_text} · {session.session_id}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, text["page"].format(page=document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
