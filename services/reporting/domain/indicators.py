"""Indicator values for a set of participants.

Participant indicators count people by sex; anyone the rule cannot decide is counted in
``unknown`` (data missing) or ``declined`` (the participant chose not to answer) instead, so
total + unknown + declined + "no" always adds up to the participants who entered.
Entity indicators count distinct organisations.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .indicator_sets import IndicatorDefinition, IndicatorSet, available_sets, load_indicator_set
from .rules import DistinctOrganisations, Outcome, ReportableRecord

__all__ = ["IndicatorRow", "available_sets", "compute_indicators", "entered", "load_indicator_set"]

_SEX_COLUMNS = {"female": "women", "male": "men", "non_binary": "non_binary", None: "sex_unknown"}


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One line of the indicator report.

    ``collected`` is False when our data cannot answer the indicator at all (e.g. household
    composition): show it as "not collected", not as 0. For entities, the sex columns are 0
    and ``unknown`` counts organisations whose kind is not recorded.
    """

    code: str
    name_et: str
    name_en: str
    unit: str
    total: int
    women: int
    men: int
    non_binary: int
    sex_unknown: int
    unknown: int
    declined: int
    collected: bool = True


def entered(
    records: Iterable[ReportableRecord], *, entered_from: date | None = None, entered_until: date | None = None
) -> list[ReportableRecord]:
    """Participants with an entry date, optionally within a reporting period (inclusive)."""
    return [
        record
        for record in records
        if record.entry_date is not None
        and (entered_from is None or record.entry_date >= entered_from)
        and (entered_until is None or record.entry_date <= entered_until)
    ]


def _participant_row(indicator: IndicatorDefinition, records: list[ReportableRecord]) -> IndicatorRow:
    counts = dict.fromkeys(("women", "men", "non_binary", "sex_unknown", "unknown", "declined"), 0)
    evaluate = indicator.rule.evaluate
    for record in records:
        outcome = evaluate(record)
        if outcome is Outcome.MATCH:
            counts[_SEX_COLUMNS.get(record.sex, "sex_unknown")] += 1
        elif outcome is Outcome.UNKNOWN:
            counts["unknown"] += 1
        elif outcome is Outcome.DECLINED:
            counts["declined"] += 1
    total = counts["women"] + counts["men"] + counts["non_binary"] + counts["sex_unknown"]
    return IndicatorRow(
        code=indicator.code,
        name_et=indicator.name_et,
        name_en=indicator.name_en,
        unit=indicator.unit,
        total=total,
        collected=indicator.collected,
        **counts,
    )


def _entity_row(indicator: IndicatorDefinition, records: list[ReportableRecord]) -> IndicatorRow:
    total = unknown = 0
    if isinstance(indicator.rule, DistinctOrganisations):
        kinds_by_organisation: dict[str, set[str | None]] = {}
        for record in records:
            if record.organisation_id is not None:
                kinds_by_organisation.setdefault(record.organisation_id, set()).add(record.organisation_kind)
        wanted = indicator.rule.kind
        for kinds in kinds_by_organisation.values():
            known_kinds = kinds - {None}
            if wanted is None or wanted in known_kinds:
                total += 1
            elif not known_kinds:
                unknown += 1
    return IndicatorRow(
        code=indicator.code,
        name_et=indicator.name_et,
        name_en=indicator.name_en,
        unit=indicator.unit,
        total=total,
        women=0,
        men=0,
        non_binary=0,
        sex_unknown=0,
        unknown=unknown,
        declined=0,
        collected=indicator.collected,
    )


def compute_indicators(
    indicator_set: IndicatorSet | str,
    participants: Iterable[ReportableRecord],
    *,
    entered_from: date | None = None,
    entered_until: date | None = None,
) -> list[IndicatorRow]:
    """One row per indicator of the set, in the set's order.

    Only participants who entered count (and, with a period, who entered within it). Works on
    ``Participant`` and on ``AnonymisedRecord`` alike. Each participant must appear once: the
    caller's projection is keyed by participant, so duplicates are not looked for here.
    """
    if isinstance(indicator_set, str):
        indicator_set = load_indicator_set(indicator_set)
    records = entered(participants, entered_from=entered_from, entered_until=entered_until)
    return [
        _entity_row(indicator, records) if indicator.unit == "entities" else _participant_row(indicator, records)
        for indicator in indicator_set.indicators
    ]
