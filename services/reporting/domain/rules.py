"""Indicator rules: the small declarative language the indicator-set YAML files are written in.

A rule answers one of four ways for a participant (``Outcome``). Missing data gives UNKNOWN and
a refusal gives DECLINED, and both travel through ``all``/``any`` (three-valued logic), so an
indicator never counts a guess and never turns "don't know" into "no".

Grammar (one key per mapping, except ``field`` which goes with ``equals`` or ``in``)::

    {everyone: true}
    {field: employment_status, equals: unemployed}
    {field: employment_status, in: [unemployed, long_term_unemployed]}
    {age_at_entry: {lt: 18}}            # also lte, gt, gte, between: [18, 29] (inclusive)
    {isced: {between: [0, 2]}}          # same comparisons, on the ISCED level
    {all: [rule, ...]}  {any: [rule, ...]}
    {not_collected: "what we do not ask"}   # always UNKNOWN: shown as unknown, never as 0
    {distinct_organisations: {kind: local_government}}   # entity indicators only
"""
from __future__ import annotations

import enum
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from .participant import DECLINED, ORGANISATION_KINDS, RULE_FIELD_VALUES


class RuleError(ValueError):
    """An indicator rule that does not follow the grammar."""


class Outcome(enum.Enum):
    MATCH = "match"
    NO_MATCH = "no_match"
    UNKNOWN = "unknown"
    DECLINED = "declined"


class ReportableRecord(Protocol):
    """What rules read: satisfied by ``Participant`` and by ``AnonymisedRecord``."""

    sex: str | None
    entry_date: date | None
    organisation_id: str | None
    organisation_kind: str | None
    employment_status: str | None
    exit_status: str | None
    isced: int | str | None
    disability: str | None
    third_country_national: str | None
    foreign_background: str | None
    minority: str | None
    homeless: str | None
    rural_area: str | None

    @property
    def age_at_entry_range(self) -> tuple[int, float] | None:
        """Lowest and highest possible age at entry (equal when the birth date is known)."""


def _all(outcomes: Iterable[Outcome]) -> Outcome:
    # One definite "no" settles it; otherwise a refusal outranks a gap, as it is the
    # participant's own answer.
    seen = set(outcomes)
    for decisive in (Outcome.NO_MATCH, Outcome.DECLINED, Outcome.UNKNOWN):
        if decisive in seen:
            return decisive
    return Outcome.MATCH


def _any(outcomes: Iterable[Outcome]) -> Outcome:
    seen = set(outcomes)
    for decisive in (Outcome.MATCH, Outcome.DECLINED, Outcome.UNKNOWN):
        if decisive in seen:
            return decisive
    return Outcome.NO_MATCH


@dataclass(frozen=True, slots=True)
class Interval:
    """Whole numbers from ``low`` to ``high`` inclusive; ``math.inf`` for no upper end."""

    low: float
    high: float

    def test(self, low: float, high: float) -> Outcome:
        """MATCH if all of ``[low, high]`` lies inside, NO_MATCH if none of it does."""
        if self.low <= low and high <= self.high:
            return Outcome.MATCH
        if high < self.low or low > self.high:
            return Outcome.NO_MATCH
        return Outcome.UNKNOWN

    def edges(self) -> set[int]:
        """Where the answer changes: the first value in and the first value after."""
        found = set()
        if self.low != -math.inf:
            found.add(int(self.low))
        if self.high != math.inf:
            found.add(int(self.high) + 1)
        return found


class Rule(ABC):
    __slots__ = ()

    @abstractmethod
    def evaluate(self, record: ReportableRecord) -> Outcome:
        """Whether the record meets the rule: yes, no, unknown or declined."""

    def age_edges(self) -> set[int]:
        return set()

    @property
    def collected(self) -> bool:
        """False when our data cannot answer the rule for anyone."""
        return True


@dataclass(frozen=True, slots=True)
class Everyone(Rule):
    def evaluate(self, record: ReportableRecord) -> Outcome:
        return Outcome.MATCH


@dataclass(frozen=True, slots=True)
class FieldIn(Rule):
    field: str
    values: frozenset[str]

    def evaluate(self, record: ReportableRecord) -> Outcome:
        value = getattr(record, self.field)
        if value is None:
            return Outcome.UNKNOWN
        if value == DECLINED:
            return Outcome.DECLINED
        return Outcome.MATCH if value in self.values else Outcome.NO_MATCH


@dataclass(frozen=True, slots=True)
class AgeAtEntry(Rule):
    interval: Interval

    def evaluate(self, record: ReportableRecord) -> Outcome:
        age_range = record.age_at_entry_range
        if age_range is None:
            return Outcome.UNKNOWN
        return self.interval.test(*age_range)

    def age_edges(self) -> set[int]:
        return self.interval.edges()


@dataclass(frozen=True, slots=True)
class IscedLevel(Rule):
    interval: Interval

    def evaluate(self, record: ReportableRecord) -> Outcome:
        level = record.isced
        if level is None:
            return Outcome.UNKNOWN
        if level == DECLINED:
            return Outcome.DECLINED
        return self.interval.test(level, level)


@dataclass(frozen=True, slots=True)
class AllOf(Rule):
    rules: tuple[Rule, ...]

    def evaluate(self, record: ReportableRecord) -> Outcome:
        return _all(rule.evaluate(record) for rule in self.rules)

    def age_edges(self) -> set[int]:
        return set().union(*(rule.age_edges() for rule in self.rules))

    @property
    def collected(self) -> bool:
        # Partly answerable is still worth showing: e.g. "inactive and not in education" is a
        # definite no for everyone who is not inactive.
        return any(rule.collected for rule in self.rules)


@dataclass(frozen=True, slots=True)
class AnyOf(Rule):
    rules: tuple[Rule, ...]

    def evaluate(self, record: ReportableRecord) -> Outcome:
        return _any(rule.evaluate(record) for rule in self.rules)

    def age_edges(self) -> set[int]:
        return set().union(*(rule.age_edges() for rule in self.rules))

    @property
    def collected(self) -> bool:
        # e.g. "homeless or otherwise disadvantaged" is a definite yes for the homeless.
        return any(rule.collected for rule in self.rules)


@dataclass(frozen=True, slots=True)
class NotCollected(Rule):
    reason: str

    def evaluate(self, record: ReportableRecord) -> Outcome:
        return Outcome.UNKNOWN

    @property
    def collected(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class DistinctOrganisations(Rule):
    """Entity indicator: counts organisations, not people. ``kind`` None means every kind."""

    kind: str | None

    def evaluate(self, record: ReportableRecord) -> Outcome:
        """Whether this participant's organisation is of the kind (counting is done per organisation)."""
        if self.kind is None:
            return Outcome.MATCH
        if record.organisation_kind is None:
            return Outcome.UNKNOWN
        return Outcome.MATCH if record.organisation_kind == self.kind else Outcome.NO_MATCH


# --- parsing -------------------------------------------------------------------------------

_YAML_BOOLEANS = {True: "yes", False: "no"}


def _choice_value(value: Any, where: str) -> str:
    # YAML 1.1 reads a bare yes/no as a boolean; accept that rather than make every editor quote.
    if isinstance(value, bool):
        return _YAML_BOOLEANS[value]
    if not isinstance(value, str):
        raise RuleError(f"{where}: expected a text value, got {value!r}")
    return value


def _number(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"{where}: expected a whole number, got {value!r}")
    return value


def _interval(spec: Any, where: str) -> Interval:
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise RuleError(f"{where}: expected one of lt, lte, gt, gte, between, got {spec!r}")
    ((operator, operand),) = spec.items()
    if operator == "between":
        if not isinstance(operand, list) or len(operand) != 2:
            raise RuleError(f"{where}: between takes [low, high], got {operand!r}")
        low, high = (_number(bound, where) for bound in operand)
        if low > high:
            raise RuleError(f"{where}: between [{low}, {high}] is empty")
        return Interval(low, high)
    bound = _number(operand, where)
    intervals = {
        "lt": Interval(-math.inf, bound - 1),
        "lte": Interval(-math.inf, bound),
        "gt": Interval(bound + 1, math.inf),
        "gte": Interval(bound, math.inf),
    }
    if operator not in intervals:
        raise RuleError(f"{where}: unknown comparison {operator!r}")
    return intervals[operator]


def _field_rule(spec: Mapping[str, Any], where: str) -> FieldIn:
    name = spec["field"]
    if name not in RULE_FIELD_VALUES:
        raise RuleError(f"{where}: unknown field {name!r} (known: {', '.join(RULE_FIELD_VALUES)})")
    operators = set(spec) - {"field"}
    if operators == {"equals"}:
        raw_values = [spec["equals"]]
    elif operators == {"in"}:
        raw_values = spec["in"]
        if not isinstance(raw_values, list) or not raw_values:
            raise RuleError(f"{where}: 'in' takes a non-empty list, got {raw_values!r}")
    else:
        raise RuleError(f"{where}: field {name!r} needs exactly one of equals, in")
    values = frozenset(_choice_value(value, where) for value in raw_values)
    unknown = values - set(RULE_FIELD_VALUES[name])
    if unknown:
        raise RuleError(
            f"{where}: {name} has no value(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(RULE_FIELD_VALUES[name])})"
        )
    return FieldIn(name, values)


def parse_rule(spec: Any, where: str = "rule") -> Rule:
    """Turn the YAML mapping into a rule, refusing anything misspelt or out of range."""
    if not isinstance(spec, Mapping):
        raise RuleError(f"{where}: a rule must be a mapping, got {spec!r}")
    if "field" in spec:
        return _field_rule(spec, where)
    if len(spec) != 1:
        raise RuleError(f"{where}: a rule has exactly one key, got {sorted(spec)}")
    ((key, value),) = spec.items()
    if key == "everyone":
        if value is not True:
            raise RuleError(f"{where}: write everyone: true")
        return Everyone()
    if key == "age_at_entry":
        return AgeAtEntry(_interval(value, f"{where}.age_at_entry"))
    if key == "isced":
        interval = _interval(value, f"{where}.isced")
        if interval.high < 0 or interval.low > 8:
            raise RuleError(f"{where}: ISCED levels are 0–8; {value!r} matches none")
        return IscedLevel(interval)
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{where}: {key} takes a non-empty list of rules")
        parts = tuple(parse_rule(part, f"{where}.{key}[{index}]") for index, part in enumerate(value))
        return AllOf(parts) if key == "all" else AnyOf(parts)
    if key == "not_collected":
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{where}: not_collected takes a short reason")
        return NotCollected(value.strip())
    if key == "distinct_organisations":
        if value is True:
            return DistinctOrganisations(None)
        if not isinstance(value, Mapping) or set(value) != {"kind"}:
            raise RuleError(f"{where}: write distinct_organisations: true or {{kind: ...}}")
        kind = value["kind"]
        if kind not in ORGANISATION_KINDS:
            raise RuleError(f"{where}: organisation kind must be one of {', '.join(ORGANISATION_KINDS)}")
        return DistinctOrganisations(kind)
    raise RuleError(f"{where}: unknown rule {key!r}")
