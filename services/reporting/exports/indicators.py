"""The indicator table for the funder, as XLSX or CSV, with Estonian headings."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO

from openpyxl import Workbook

from ..domain.indicators import IndicatorRow
from ._cells import Value, add_sheet, write_csv

INDICATORS_SHEET = "Näitajad"
HEADINGS: tuple[str, ...] = (
    "Kood",
    "Näitaja",
    "Indicator",
    "Ühik",
    "Kokku",
    "Naised",
    "Mehed",
    "Mittebinaarsed",
    "Sugu teadmata",
    "Andmed puuduvad",
    "Ei soovinud vastata",
    "Märkus",
)
UNIT_ET = {"participants": "osalejad", "entities": "üksused"}
NOT_COLLECTED_ET = "andmeid ei koguta"
_WIDTHS = (14, 60, 60, 10, 8, 8, 8, 14, 14, 16, 18, 20)


def indicator_values(rows: Iterable[IndicatorRow]) -> Iterator[list[Value]]:
    for row in rows:
        counts: list[Value] = [
            row.total, row.women, row.men, row.non_binary, row.sex_unknown, row.unknown, row.declined
        ]
        if not row.collected:
            # A 0 would read as "none"; the truth is "not known".
            counts = [None] * len(counts)
        yield [
            row.code,
            row.name_et,
            row.name_en,
            UNIT_ET.get(row.unit, row.unit),
            *counts,
            None if row.collected else NOT_COLLECTED_ET,
        ]


def indicators_xlsx(rows: Iterable[IndicatorRow], out: IO[bytes] | str | os.PathLike[str]) -> None:
    workbook = Workbook(write_only=True)
    add_sheet(workbook, INDICATORS_SHEET, HEADINGS, indicator_values(rows), widths=_WIDTHS)
    workbook.save(out)


def indicators_csv(
    rows: Iterable[IndicatorRow], out: IO[str] | IO[bytes] | str | os.PathLike[str], *, delimiter: str = ","
) -> None:
    write_csv(out, HEADINGS, indicator_values(rows), delimiter=delimiter)
