"""How long ESF participant data is kept, and what is left of it afterwards.

*(policy, configurable)* Documents are kept 5 years from 31 December of the year of the last
payment to the beneficiary (Regulation (EU) 2021/1060 Art. 82). After that, personal data is
anonymised and only what the indicators need is kept, coarsened so that recomputing any
shipped indicator set gives the same numbers.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .indicator_sets import available_sets, load_indicator_set
from .participant import Participant

DEFAULT_RETENTION_YEARS = 5


def retention_until(last_payment_date: date, years: int = DEFAULT_RETENTION_YEARS) -> date:
    """Last day the data must be kept: a payment in 2020 → 2025-12-31."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 0:
        raise ValueError(f"years must be a whole number ≥ 0, got {years!r}")
    return date(last_payment_date.year + years, 12, 31)


def is_due_for_anonymisation(
    last_payment_date: date, today: date, years: int = DEFAULT_RETENTION_YEARS
) -> bool:
    return today > retention_until(last_payment_date, years)


def default_age_edges() -> tuple[int, ...]:
    """Every age at which some shipped indicator changes its answer (e.g. 18, 25, 30, 55)."""
    edges: set[int] = set()
    for name in available_sets():
        edges |= load_indicator_set(name).age_edges()
    return tuple(sorted(edge for edge in edges if edge > 0))


def age_band(age: int, edges: Iterable[int]) -> tuple[int, int | None]:
    """The band between consecutive edges holding ``age``; ``None`` as the top means no upper end."""
    low, high = 0, None
    for edge in sorted(edges):
        if edge <= age:
            low = edge
        else:
            high = edge - 1
            break
    return low, high


def _month_start(day: date | None) -> date | None:
    return None if day is None else day.replace(day=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnonymisedRecord:
    """A participant with the identifying parts gone.

    Kept: sex, age band at entry, entry and exit month (as the 1st of the month), statuses,
    ISCED, the yes/no/declined answers, organisation kind and a surrogate organisation id that
    only tells organisations apart within one anonymisation batch. Dropped: participant id,
    names, personal code, birth date, e-mail, residence, group and city.
    """

    sex: str | None
    age_band: tuple[int, int | None] | None
    entry_date: date | None
    exit_date: date | None
    exit_status: str | None
    employment_status: str | None
    isced: int | str | None
    disability: str | None
    third_country_national: str | None
    foreign_background: str | None
    minority: str | None
    homeless: str | None
    rural_area: str | None
    organisation_kind: str | None
    organisation_id: str | None

    @property
    def age_at_entry_range(self) -> tuple[int, float] | None:
        if self.age_band is None:
            return None
        low, high = self.age_band
        return low, math.inf if high is None else high

    @property
    def age_band_label(self) -> str:
        if self.age_band is None:
            return ""
        low, high = self.age_band
        return f"{low}+" if high is None else f"{low}–{high}"


def anonymise(
    record: Participant,
    *,
    organisation_alias: str | None = None,
    age_edges: Iterable[int] | None = None,
) -> AnonymisedRecord:
    """One record. Without ``organisation_alias`` the organisation is dropped, which loses the
    entity counts: use ``anonymise_all`` for a whole edition."""
    edges = default_age_edges() if age_edges is None else tuple(age_edges)
    age = record.age_at_entry
    return AnonymisedRecord(
        sex=record.sex,
        age_band=None if age is None else age_band(age, edges),
        entry_date=_month_start(record.entry_date),
        exit_date=_month_start(record.exit_date),
        exit_status=record.exit_status,
        employment_status=record.employment_status,
        isced=record.isced,
        disability=record.disability,
        third_country_national=record.third_country_national,
        foreign_background=record.foreign_background,
        minority=record.minority,
        homeless=record.homeless,
        rural_area=record.rural_area,
        organisation_kind=record.organisation_kind,
        organisation_id=organisation_alias,
    )


def anonymise_all(
    records: Iterable[Participant], *, age_edges: Iterable[int] | None = None
) -> list[AnonymisedRecord]:
    """A batch (one edition), with organisations renamed ``org-1``, ``org-2``… consistently, so
    distinct-organisation counts survive but the employer cannot be looked up."""
    edges = default_age_edges() if age_edges is None else tuple(age_edges)
    aliases: dict[str, str] = {}
    anonymised = []
    for record in records:
        alias = None
        if record.organisation_id is not None:
            alias = aliases.setdefault(record.organisation_id, f"org-{len(aliases) + 1}")
        anonymised.append(anonymise(record, organisation_alias=alias, age_edges=edges))
    return anonymised
