"""The participant list for the funder, as CSV and as XLSX with a codebook sheet.

Values are written in Estonian (``naine``, ``töötu``, ``jah``…), dates as ISO dates (typed
dates in XLSX), an empty cell means "not answered" and ``ei soovi vastata`` means the
participant declined. The personal code is text everywhere: as a number a spreadsheet would
round an 11-digit code. The employer's registry code is text too (8 digits, kept as given).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import IO

from openpyxl import Workbook

from ..domain.participant import (
    ANSWERS,
    EMPLOYMENT_STATUSES,
    EXIT_STATUSES,
    ORGANISATION_KINDS,
    SEXES,
    Participant,
)
from ..domain.personal_code import mask
from ._cells import Value, add_sheet, write_csv

DECLINED_ET = "ei soovi vastata"
SEX_ET = {"female": "naine", "male": "mees", "non_binary": "mittebinaarne"}
EMPLOYMENT_ET = {
    "employed": "töötav",
    "self_employed": "füüsilisest isikust ettevõtja",
    "unemployed": "töötu",
    "long_term_unemployed": "pikaajaline töötu",
    "inactive": "mitteaktiivne",
    "declined": DECLINED_ET,
}
ANSWER_ET = {"yes": "jah", "no": "ei", "declined": DECLINED_ET}
EXIT_STATUS_ET = {"completed": "lõpetas", "dropped_out": "katkestas"}
ORGANISATION_KIND_ET = {"local_government": "kohalik omavalitsus", "ngo": "vabaühendus"}

PARTICIPANTS_SHEET = "Osalejad"
CODEBOOK_SHEET = "Koodiraamat"
CODEBOOK_HEADINGS = ("Veerg", "Tähendus", "Lubatud väärtused")
_EMPTY = "tühi = andmed puuduvad"


def _labels(mapping: dict[str, str], order: Iterable[str]) -> str:
    return "; ".join(f"{mapping[code]} ({code})" for code in order) + f"; {_EMPTY}"


@dataclass(frozen=True)
class Column:
    heading: str
    meaning: str
    allowed: str
    value: Callable[[Participant], Value]
    width: float = 16


def _answer(name: str) -> Callable[[Participant], Value]:
    return lambda record: ANSWER_ET.get(getattr(record, name))


def _isced(record: Participant) -> Value:
    return DECLINED_ET if record.isced == "declined" else record.isced


_ANSWER_ALLOWED = _labels(ANSWER_ET, ANSWERS)

COLUMNS: tuple[Column, ...] = (
    Column("Osaleja ID", "Osaleja tunnus programmi infosüsteemis", "tekst", attrgetter("participant_id"), 38),
    Column("Eesnimi", "Osaleja eesnimi", "tekst", attrgetter("first_name")),
    Column("Perekonnanimi", "Osaleja perekonnanimi", "tekst", attrgetter("last_name")),
    Column(
        "Isikukood",
        "Eesti isikukood; puudub, kui osalejal seda pole (siis on täidetud sünniaeg ja sugu)",
        f"11 numbrit (tekstina); {_EMPTY}",
        attrgetter("personal_code"),
        14,
    ),
    Column("Sünniaeg", "Sünnikuupäev", f"kuupäev AAAA-KK-PP; {_EMPTY}", attrgetter("birth_date"), 12),
    Column("Sugu", "Sugu osaleja enda sõnul (vaikimisi isikukoodist)", _labels(SEX_ET, SEXES),
           lambda r: SEX_ET.get(r.sex), 12),
    Column("Vanus sisenemisel", "Täisaastates vanus sisenemise päeval", f"täisarv; {_EMPTY}",
           attrgetter("age_at_entry"), 10),
    Column("Grupp", "Programmi grupi tunnus", "tekst", attrgetter("group_id")),
    Column("Linn", "Grupi toimumiskoht", "tekst, nt Tallinn", attrgetter("city"), 10),
    Column("Organisatsiooni ID", "Tööandja tunnus", "tekst", attrgetter("organisation_id")),
    Column("Organisatsiooni nimi", "Tööandja nimi (viimati teatatud kujul)", f"tekst; {_EMPTY}",
           attrgetter("organisation_name"), 28),
    Column("Organisatsiooni registrikood", "Tööandja registrikood", f"8 numbrit (tekstina); {_EMPTY}",
           attrgetter("organisation_registry_code"), 14),
    Column("Organisatsiooni liik", "Tööandja liik", _labels(ORGANISATION_KIND_ET, ORGANISATION_KINDS),
           lambda r: ORGANISATION_KIND_ET.get(r.organisation_kind), 20),
    Column("Elukoha maakond", "Maakond, kus osaleja elab", "tekst", attrgetter("county")),
    Column("Elukoha omavalitsus", "Kohalik omavalitsus, kus osaleja elab", "tekst", attrgetter("municipality")),
    Column("Sisenemise kuupäev", "Päev, mil osaleja alustas tegevuses osalemist",
           f"kuupäev AAAA-KK-PP; {_EMPTY}", attrgetter("entry_date"), 12),
    Column("Väljumise kuupäev", "Päev, mil osaleja lõpetas või katkestas",
           "kuupäev AAAA-KK-PP; tühi = pole veel väljunud", attrgetter("exit_date"), 12),
    Column("Väljumise staatus", "Kuidas osalemine lõppes",
           "; ".join(f"{EXIT_STATUS_ET[code]} ({code})" for code in EXIT_STATUSES) + "; tühi = pole veel väljunud",
           lambda r: EXIT_STATUS_ET.get(r.exit_status), 12),
    Column("Tööturu staatus", "Seisund tööturul sisenemisel", _labels(EMPLOYMENT_ET, EMPLOYMENT_STATUSES),
           lambda r: EMPLOYMENT_ET.get(r.employment_status), 22),
    Column("Haridustase (ISCED)", "Kõrgeim lõpetatud haridustase sisenemisel (ISCED 2011)",
           f"0–8; {DECLINED_ET} (declined); {_EMPTY}", _isced, 10),
    Column("Puue", "Puudega osaleja (eriliigiline isikuandmestik)", _ANSWER_ALLOWED, _answer("disability"), 10),
    Column("Kolmanda riigi kodanik", "Ei ole ühegi ELi liikmesriigi kodanik (ka määratlemata kodakondsusega)", _ANSWER_ALLOWED,
           _answer("third_country_national"), 10),
    Column("Välispäritolu", "Osaleja või vähemalt üks tema vanematest on välismaalt pärit", _ANSWER_ALLOWED,
           _answer("foreign_background"), 10),
    Column("Vähemus", "Kuulub vähemusrühma (eriliigiline isikuandmestik)", _ANSWER_ALLOWED,
           _answer("minority"), 10),
    Column("Kodutu või eluasemeturult tõrjutud", "Kodutu või eluasemeturult tõrjutud", _ANSWER_ALLOWED,
           _answer("homeless"), 10),
    Column("Maapiirkonnast", "Elab maapiirkonnas", _ANSWER_ALLOWED, _answer("rural_area"), 10),
)
HEADINGS: tuple[str, ...] = tuple(column.heading for column in COLUMNS)
_PERSONAL_CODE_INDEX = HEADINGS.index("Isikukood")


def participant_values(
    records: Iterable[Participant], *, mask_personal_codes: bool = False
) -> Iterator[list[Value]]:
    """Each record as its row of cell values, before any file format is applied."""
    getters = [column.value for column in COLUMNS]
    for record in records:
        values = [get(record) for get in getters]
        if mask_personal_codes:
            values[_PERSONAL_CODE_INDEX] = mask(record.personal_code) or None
        yield values


def participants_csv(
    rows: Iterable[Participant],
    out: IO[str] | IO[bytes] | str | os.PathLike[str],
    *,
    mask_personal_codes: bool = False,
    delimiter: str = ",",
) -> None:
    """Write the participant list as CSV (RFC 4180, UTF-8 with BOM for a binary or path ``out``).

    ``mask_personal_codes`` is for staff previews; the funder's file needs the full code.
    """
    write_csv(out, HEADINGS, participant_values(rows, mask_personal_codes=mask_personal_codes),
              delimiter=delimiter)


def codebook_rows() -> list[list[Value]]:
    return [[column.heading, column.meaning, column.allowed] for column in COLUMNS]


def participants_xlsx(
    rows: Iterable[Participant],
    out: IO[bytes] | str | os.PathLike[str],
    *,
    mask_personal_codes: bool = False,
) -> None:
    """Write the participant list and its codebook as XLSX (openpyxl write-only: rows stream)."""
    workbook = Workbook(write_only=True)
    add_sheet(
        workbook,
        PARTICIPANTS_SHEET,
        HEADINGS,
        participant_values(rows, mask_personal_codes=mask_personal_codes),
        widths=[column.width for column in COLUMNS],
    )
    add_sheet(workbook, CODEBOOK_SHEET, CODEBOOK_HEADINGS, codebook_rows(), widths=(32, 60, 80))
    workbook.save(out)
