"""Cell values made safe for spreadsheets, shared by the CSV and XLSX writers.

Participant data comes from public forms, so any text may be hostile. Per OWASP's CSV
injection guidance a text starting with ``= + - @``, tab or carriage return gets a leading
apostrophe, in CSV and XLSX alike (a spreadsheet then shows it as text). Both writers go
through ``clean_text`` so the two files hold the same text.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import IO, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)
# Control characters XLSX cannot hold (openpyxl refuses them); tab, LF and CR are allowed.
_ILLEGAL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EXCEL_ERROR_TEXTS = frozenset(ERROR_CODES)
_BOLD = Font(bold=True)

Value = str | int | date | None


def neutralise(text: str) -> str:
    """Prefix an apostrophe if a spreadsheet could read ``text`` as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def clean_text(text: str) -> str:
    """The text as both files store it: neutralised, without control characters XLSX rejects,
    with line breaks as LF (XLSX would turn a CR into LF on reading anyway)."""
    if text.isprintable():  # the common case, checked at C speed; 100,000-row exports call this a lot
        return "'" + text if text[:1] in _TRIGGER_CHARS else text
    text = neutralise(_ILLEGAL_CONTROL.sub("", text))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def csv_value(value: Value) -> str | int | None:
    """csv.writer itself writes None as an empty field and numbers as digits."""
    if isinstance(value, str):  # str subclasses too (e.g. markup strings)
        return clean_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def xlsx_value(value: Value, sheet: Any) -> Any:
    """Numbers and dates stay typed; text is cleaned and, where openpyxl would guess a formula
    or an error value from it, pinned to the string type."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if not text:
        return None
    if text[0] == "'" or text in _EXCEL_ERROR_TEXTS:
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell
    return text


def header_cells(sheet: Any, headings: Sequence[str]) -> list[Any]:
    cells = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, clean_text(heading))
        cell.font = _BOLD
        cells.append(cell)
    return cells


@contextlib.contextmanager
def text_output(out: IO[str] | IO[bytes] | str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text stream on ``out``: a path, a text stream as is, or a binary stream as UTF-8.

    Files and binary streams get a byte-order mark, without which Excel misreads õ, ä, ö, ü.
    """
    if isinstance(out, str | os.PathLike):
        with open(out, "w", encoding="utf-8-sig", newline="") as stream:
            yield stream
    elif isinstance(out, io.TextIOBase):
        yield out
    else:
        stream = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()  # leave the caller's stream open


def write_csv(
    out: IO[str] | IO[bytes] | str | os.PathLike[str],
    headings: Sequence[str],
    rows: Iterable[Sequence[Value]],
    *,
    delimiter: str = ",",
) -> None:
    with text_output(out) as stream:
        writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([csv_value(heading) for heading in headings])
        writer.writerows(
            [clean_text(value) if type(value) is str else csv_value(value) for value in row] for row in rows
        )


def add_sheet(
    workbook: Any,
    title: str,
    headings: Sequence[str],
    rows: Iterable[Sequence[Value]],
    *,
    widths: Sequence[float] = (),
) -> None:
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, headings))
    for row in rows:
        sheet.append([xlsx_value(value, sheet) for value in row])
