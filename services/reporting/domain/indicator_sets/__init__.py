"""Indicator sets as data: one YAML file per set, so an edition names its set instead of code.

A set file has ``name``, ``title_en``, ``title_et``, ``regulation`` and ``indicators``; each
indicator has ``code``, ``name_en``, ``name_et``, ``unit`` (participants | entities), a ``rule``
(grammar in ``rules.py``) and optionally ``note``. Files are read with ``yaml.safe_load``.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from ..rules import DistinctOrganisations, NotCollected, Rule, RuleError, parse_rule

UNITS = ("participants", "entities")
_SUFFIX = ".yaml"


class IndicatorSetError(ValueError):
    """An indicator set that is missing, or whose file does not describe a valid set."""


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    code: str
    name_en: str
    name_et: str
    unit: str
    rule: Rule
    note: str | None = None

    @property
    def collected(self) -> bool:
        return self.rule.collected


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    name: str
    title_en: str
    title_et: str
    regulation: str
    indicators: tuple[IndicatorDefinition, ...]

    def __getitem__(self, code: str) -> IndicatorDefinition:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(indicator.code for indicator in self.indicators)

    def age_edges(self) -> set[int]:
        """Ages at which some indicator's answer changes (anonymised age bands keep them)."""
        return set().union(*(indicator.rule.age_edges() for indicator in self.indicators))


def available_sets() -> tuple[str, ...]:
    """Names of the shipped sets, for an edition's settings form."""
    return tuple(
        sorted(
            entry.name[: -len(_SUFFIX)]
            for entry in resources.files(__package__).iterdir()
            if entry.name.endswith(_SUFFIX)
        )
    )


@functools.cache
def load_indicator_set(name: str) -> IndicatorSet:
    # Only names from the package listing: an edition setting must not become a file path.
    if name not in available_sets():
        raise IndicatorSetError(f"no indicator set {name!r} (available: {', '.join(available_sets())})")
    text = resources.files(__package__).joinpath(name + _SUFFIX).read_text(encoding="utf-8")
    indicator_set = parse_indicator_set(yaml.safe_load(text))
    if indicator_set.name != name:
        raise IndicatorSetError(f"{name}{_SUFFIX} declares name {indicator_set.name!r}")
    return indicator_set


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise IndicatorSetError(f"{where}: {key} is required text")
    return value.strip()


def _contains_entity_rule(rule: Rule) -> bool:
    if isinstance(rule, DistinctOrganisations):
        return True
    return any(_contains_entity_rule(part) for part in getattr(rule, "rules", ()))


def _indicator(data: Any, where: str) -> IndicatorDefinition:
    if not isinstance(data, Mapping):
        raise IndicatorSetError(f"{where}: an indicator must be a mapping")
    unexpected = set(data) - {"code", "name_en", "name_et", "unit", "rule", "note"}
    if unexpected:
        raise IndicatorSetError(f"{where}: unexpected keys {sorted(unexpected)}")
    code = _text(data, "code", where)
    where = f"{where} ({code})"
    unit = data.get("unit")
    if unit not in UNITS:
        raise IndicatorSetError(f"{where}: unit must be one of {', '.join(UNITS)}, got {unit!r}")
    try:
        rule = parse_rule(data.get("rule"), f"{where}.rule")
    except RuleError as error:
        raise IndicatorSetError(str(error)) from None
    if unit == "entities" and not isinstance(rule, DistinctOrganisations | NotCollected):
        raise IndicatorSetError(f"{where}: an entity indicator needs distinct_organisations or not_collected")
    if unit == "participants" and _contains_entity_rule(rule):
        raise IndicatorSetError(f"{where}: distinct_organisations belongs to entity indicators")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise IndicatorSetError(f"{where}: note must be text")
    return IndicatorDefinition(
        code=code,
        name_en=_text(data, "name_en", where),
        name_et=_text(data, "name_et", where),
        unit=unit,
        rule=rule,
        note=note.strip() if note else None,
    )


def parse_indicator_set(data: Any) -> IndicatorSet:
    """Build a set from already-loaded YAML, e.g. a set an edition keeps in its own settings."""
    if not isinstance(data, Mapping):
        raise IndicatorSetError("an indicator set must be a mapping")
    name = _text(data, "name", "indicator set")
    raw_indicators = data.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise IndicatorSetError(f"{name}: indicators must be a non-empty list")
    indicators = tuple(_indicator(item, f"{name}[{index}]") for index, item in enumerate(raw_indicators))
    codes = [indicator.code for indicator in indicators]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise IndicatorSetError(f"{name}: duplicate codes {', '.join(duplicates)}")
    return IndicatorSet(
        name=name,
        title_en=_text(data, "title_en", name),
        title_et=_text(data, "title_et", name),
        regulation=_text(data, "regulation", name),
        indicators=indicators,
    )
