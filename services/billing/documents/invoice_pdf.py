"""Invoice and credit note PDFs for dropout claims.

The layout carries every particular the Estonian VAT Act (KMS § 37) asks for: a unique
number, issue date, seller's name, address, registry code and VAT number, buyer's name,
address and registry code, the description, net amount, VAT rate, VAT amount in euros and
the total. Labels are Estonian with English underneath, as the buyer may be either.

Fonts: reportlab's built-in Helvetica, whose WinAnsi encoding covers õ ä ö ü š ž and €, so
the usual invoice embeds no font. A name beyond WinAnsi (Cyrillic, ő, ł …) would print as
blank boxes there, so such a document switches to an embedded DejaVu Sans (or reportlab's
Vera), and one no available font can show is refused rather than printed wrong.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from html import escape as html_escape
from io import BytesIO

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.billing.domain.money import format_date_et, format_money_et, format_rate

STANDARD_FONTS = ("Helvetica", "Helvetica-Bold")
_EMBEDDED_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    (
        os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"),
        os.path.join(os.path.dirname(reportlab.__file__), "fonts", "VeraBd.ttf"),
    ),
)
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#999999")
SIDE_MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * SIDE_MARGIN


class DocumentError(ValueError):
    """Figures that do not add up: such a document must never be printed."""


@dataclass(frozen=True)
class Party:
    name: str
    address: str
    registry_code: str | None = None
    vat_number: str | None = None
    iban: str | None = None
    bank: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Line:
    description: str
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    gross: Decimal


def _check_totals(lines: Sequence[Line], net: Decimal, vat: Decimal, gross: Decimal) -> None:
    if not lines:
        raise DocumentError("a document needs at least one line")
    for line in lines:
        if line.net + line.vat != line.gross:
            raise DocumentError(f"line {line.description!r}: net + VAT ≠ gross")
    if net + vat != gross:
        raise DocumentError(f"net {net} + VAT {vat} ≠ gross {gross}")
    if sum((line.gross for line in lines), Decimal(0)) != gross:
        raise DocumentError("the lines do not add up to the gross total")
    if sum((line.vat for line in lines), Decimal(0)) != vat:
        raise DocumentError("the lines' VAT does not add up to the VAT total")


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    issue_date: date
    due_date: date
    supply_date: date
    seller: Party
    buyer: Party
    lines: Sequence[Line]
    amount_net: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    amount_gross: Decimal
    reference_number: str
    currency: str = "EUR"
    notes: str = ""
    # Why no VAT is charged (VAT not applied): printed instead of a bare "0 %".
    vat_note: str = ""

    def __post_init__(self) -> None:
        _check_totals(self.lines, self.amount_net, self.vat_amount, self.amount_gross)


@dataclass(frozen=True)
class CreditNoteDocument:
    """Cancels (part of) an invoice. Amounts are given as the positive sums credited and
    printed negative, the way the buyer's accounts will book them."""

    number: str
    issue_date: date
    original_invoice_number: str
    original_invoice_date: date
    seller: Party
    buyer: Party
    lines: Sequence[Line]
    amount_net: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    amount_gross: Decimal
    currency: str = "EUR"
    reason: str = ""
    notes: str = ""
    vat_note: str = ""

    def __post_init__(self) -> None:
        _check_totals(self.lines, self.amount_net, self.vat_amount, self.amount_gross)


# ---------------------------------------------------------------- fonts


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif is_dataclass(value):
        for item in fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _fits_winansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _embedded_fonts() -> tuple[tuple[str, str], frozenset[int]] | None:
    for regular, bold in _EMBEDDED_FONT_CANDIDATES:
        if os.path.exists(regular) and os.path.exists(bold):
            regular_font, bold_font = TTFont("InvoiceSans", regular), TTFont("InvoiceSans-Bold", bold)
            pdfmetrics.registerFont(regular_font)
            pdfmetrics.registerFont(bold_font)
            covered = frozenset(regular_font.face.charToGlyph) & frozenset(bold_font.face.charToGlyph)
            return ("InvoiceSans", "InvoiceSans-Bold"), covered
    return None


def _fonts_for(document: object) -> tuple[str, str]:
    # Our own labels add only "—" and "·", both WinAnsi, so the document's data decides.
    beyond_winansi = sorted({char for char in "".join(_strings(document)) if not _fits_winansi(char)})
    if not beyond_winansi:
        return STANDARD_FONTS
    embedded = _embedded_fonts()
    missing = [char for char in beyond_winansi if embedded is None or ord(char) not in embedded[1]]
    if embedded is None or missing:
        raise DocumentError(f"no available font can print these characters: {''.join(missing)!r}")
    return embedded[0]


# ---------------------------------------------------------------- layout


def _text(value: str) -> str:
    """User text into paragraph markup: escaped, line breaks kept."""
    return "<br/>".join(html_escape(part, quote=False) for part in value.splitlines())


class _Layout:
    """The pieces both documents are made of, in one pair of fonts."""

    def __init__(self, fonts: tuple[str, str]) -> None:
        regular, bold = fonts
        self.body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=11.5)
        self.body_right = ParagraphStyle("body-right", parent=self.body, alignment=TA_RIGHT)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=bold)
        self.bold_right = ParagraphStyle("bold-right", parent=self.bold, alignment=TA_RIGHT)
        self.title = ParagraphStyle("title", fontName=bold, fontSize=18, leading=21, alignment=TA_RIGHT)
        self.party_name = ParagraphStyle("party-name", parent=self.bold, fontSize=11, leading=14)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7, leading=9, textColor=GREY)

    def label(self, et: str, en: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(f"{_text(et)}<br/><font size='7' color='#666666'>{_text(en)}</font>", style or self.body)

    def para(self, value: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(_text(value), style or self.body)

    def heading(self, title_et: str, title_en: str, number: str) -> Paragraph:
        return Paragraph(
            f"{_text(title_et)} <font size='10' color='#666666'>/ {_text(title_en)}</font><br/>"
            f"<font size='12'>nr {_text(number)}</font>",
            self.title,
        )

    def party(self, heading_et: str, heading_en: str, party: Party, *, seller: bool) -> list[Paragraph]:
        rows = [
            self.label(heading_et, heading_en, self.bold),
            self.para(party.name, self.party_name),
            self.para(party.address),
            self.para(f"Registrikood / Registry code: {party.registry_code or '—'}"),
        ]
        # § 37 needs the seller's VAT number always; the buyer's only when it has one.
        if seller or party.vat_number:
            rows.append(self.para(f"KMKR nr / VAT number: {party.vat_number or '—'}"))
        if party.email:
            rows.append(self.para(party.email))
        return rows

    def facts(self, facts: list[tuple[str, str, str]]) -> Table:
        table = Table(
            [[self.label(et, en), self.para(value, self.bold_right)] for et, en, value in facts],
            colWidths=[45 * mm, 40 * mm],
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
                ]
            )
        )
        return table

    @staticmethod
    def two_columns(left: list, right: object) -> Table:
        table = Table([[left, right]], colWidths=[CONTENT_WIDTH - 90 * mm, 90 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ]
            )
        )
        return table

    def lines(self, lines: Sequence[Line], currency: str, sign: int, vat_applied: bool = True) -> Table:
        def money(amount: Decimal) -> Paragraph:
            return self.para(format_money_et(sign * amount, currency), self.body_right)

        header = [
            self.label("Kirjeldus", "Description", self.bold),
            self.label("Summa km-ta", "Net amount", self.bold_right),
            self.label("KM määr", "VAT rate", self.bold_right),
            self.label("Käibemaks", "VAT", self.bold_right),
            self.label("Kokku", "Total", self.bold_right),
        ]
        rows = [header] + [
            [
                self.para(line.description),
                money(line.net),
                self.para(format_rate(line.vat_rate) if vat_applied else "—", self.body_right),
                money(line.vat),
                money(line.gross),
            ]
            for line in lines
        ]
        amount_width, rate_width = 28 * mm, 18 * mm
        table = Table(
            rows,
            colWidths=[CONTENT_WIDTH - 3 * amount_width - rate_width, amount_width, rate_width, amount_width,
                       amount_width],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                    ("LEFTPADDING", (0, 0), (0, -1), 0),
                    ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def totals(self, document: InvoiceDocument | CreditNoteDocument, sign: int, total_et: str,
               total_en: str) -> Table:
        def money(amount: Decimal, style: ParagraphStyle) -> Paragraph:
            return self.para(format_money_et(sign * amount, document.currency), style)

        if document.vat_note:
            vat_et, vat_en = "Käibemaks (ei rakendata)", "VAT (not applied)"
        else:
            rate = format_rate(document.vat_rate)
            vat_et, vat_en = f"Käibemaks {rate}", f"VAT {rate}"
        rows = [
            [self.label("Summa käibemaksuta", "Net amount", self.body_right), money(document.amount_net, self.body_right)],
            [self.label(vat_et, vat_en, self.body_right), money(document.vat_amount, self.body_right)],
            [self.label(total_et, total_en, self.bold_right), money(document.amount_gross, self.bold_right)],
        ]
        table = Table(rows, colWidths=[CONTENT_WIDTH - 40 * mm, 40 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
                ]
            )
        )
        return table

    def note(self, et: str, en: str) -> list[Paragraph]:
        return [self.para(et, self.bold), self.para(en, self.small)]

    def footer(self, seller: Party):
        parts = [seller.name, f"Registrikood {seller.registry_code or '—'}", f"KMKR {seller.vat_number or '—'}"]
        if seller.iban:
            parts.append(f"IBAN {seller.iban}" + (f" ({seller.bank})" if seller.bank else ""))
        footer = self.para(" · ".join(parts), self.small)

        def draw(canvas, doc) -> None:
            canvas.saveState()
            _, height = footer.wrap(doc.width, doc.bottomMargin)
            footer.drawOn(canvas, doc.leftMargin, doc.bottomMargin - height - 4 * mm)
            canvas.restoreState()

        return draw

    def build(self, story: list, *, title: str, seller: Party, deterministic: bool) -> bytes:
        buffer = BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=SIDE_MARGIN,
            rightMargin=SIDE_MARGIN,
            topMargin=16 * mm,
            bottomMargin=22 * mm,
            title=title,
            author=seller.name,
            creator="Programme Office",
            lang="et",
            invariant=1 if deterministic else 0,
        )
        draw_footer = self.footer(seller)
        document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
        return buffer.getvalue()


# ---------------------------------------------------------------- public renderers


def render_invoice_pdf(invoice: InvoiceDocument, *, deterministic: bool = False) -> bytes:
    """The invoice as PDF bytes. ``deterministic`` fixes the PDF's dates and ids, so the
    same invoice renders to the same bytes (useful for archiving by hash and for tests)."""
    layout = _Layout(_fonts_for(invoice))
    facts = [
        ("Arve number", "Invoice number", invoice.number),
        ("Arve kuupäev", "Issue date", format_date_et(invoice.issue_date)),
        ("Käibe toimumise kuupäev", "Date of supply", format_date_et(invoice.supply_date)),
        ("Maksetähtaeg", "Due date", format_date_et(invoice.due_date)),
        ("Viitenumber", "Reference number", invoice.reference_number),
    ]
    account = (invoice.seller.iban or "—") + (f" ({invoice.seller.bank})" if invoice.seller.bank else "")
    due = format_date_et(invoice.due_date)
    payment_et = (
        f"Palume tasuda {format_money_et(invoice.amount_gross, invoice.currency)} hiljemalt {due} "
        f"arvelduskontole {account}, viitenumber {invoice.reference_number}."
    )
    payment_en = f"Please pay by {due} to account {account} quoting reference number {invoice.reference_number}."
    story = [
        layout.two_columns(layout.party("Müüja", "Seller", invoice.seller, seller=True),
                           layout.heading("ARVE", "Invoice", invoice.number)),
        Spacer(1, 8 * mm),
        layout.two_columns(layout.party("Ostja", "Buyer", invoice.buyer, seller=False), layout.facts(facts)),
        Spacer(1, 8 * mm),
        layout.lines(invoice.lines, invoice.currency, 1, vat_applied=not invoice.vat_note),
        Spacer(1, 3 * mm),
        layout.totals(invoice, 1, "Tasuda kokku", "Total due"),
        *([Spacer(1, 3 * mm), layout.para(invoice.vat_note)] if invoice.vat_note else []),
        Spacer(1, 8 * mm),
        *layout.note(payment_et, payment_en),
    ]
    if invoice.notes:
        story += [Spacer(1, 5 * mm), layout.para(invoice.notes)]
    return layout.build(story, title=f"Arve {invoice.number}", seller=invoice.seller, deterministic=deterministic)


def render_credit_note_pdf(credit_note: CreditNoteDocument, *, deterministic: bool = False) -> bytes:
    """The credit note as PDF bytes; it names the invoice it corrects (an invoice is never deleted)."""
    layout = _Layout(_fonts_for(credit_note))
    original = f"{credit_note.original_invoice_number} ({format_date_et(credit_note.original_invoice_date)})"
    facts = [
        ("Kreeditarve number", "Credit note number", credit_note.number),
        ("Kuupäev", "Issue date", format_date_et(credit_note.issue_date)),
        ("Korrigeeritav arve", "Corrects invoice", original),
    ]
    gross = format_money_et(credit_note.amount_gross, credit_note.currency)
    story = [
        layout.two_columns(layout.party("Müüja", "Seller", credit_note.seller, seller=True),
                           layout.heading("KREEDITARVE", "Credit note", credit_note.number)),
        Spacer(1, 8 * mm),
        layout.two_columns(layout.party("Ostja", "Buyer", credit_note.buyer, seller=False), layout.facts(facts)),
        Spacer(1, 8 * mm),
        layout.lines(credit_note.lines, credit_note.currency, -1, vat_applied=not credit_note.vat_note),
        Spacer(1, 3 * mm),
        layout.totals(credit_note, -1, "Kokku", "Total"),
        *([Spacer(1, 3 * mm), layout.para(credit_note.vat_note)] if credit_note.vat_note else []),
        Spacer(1, 8 * mm),
        *layout.note(
            f"Kreeditarve tühistab arve nr {credit_note.original_invoice_number} summas {gross}.",
            f"This credit note cancels invoice {credit_note.original_invoice_number} for the amount shown.",
        ),
    ]
    if credit_note.reason:
        story += [Spacer(1, 4 * mm), layout.label("Põhjus", "Reason", layout.bold), layout.para(credit_note.reason)]
    if credit_note.notes:
        story += [Spacer(1, 5 * mm), layout.para(credit_note.notes)]
    return layout.build(story, title=f"Kreeditarve {credit_note.number}", seller=credit_note.seller,
                        deterministic=deterministic)
