"""An edition of the programme (its groups and session days) as data.

An edition changes every year and belongs to the coordinator, not to the code, so it is a
YAML file (``services/enrolment/data/edition_2019.yaml``). Its times are written as local
wall-clock times, as they appear in the brochure; the loader turns them into aware UTC
datetimes, because that is how times are stored and sent on the bus (EVENTS.md).

The loader is strict: unknown keys, unquoted times and broken invariants are refused with
every problem listed, since a typo here would mislead every applicant and participant.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from os import PathLike
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from services.enrolment.domain.application import CODE_RULE_FIELDS, code_digits, code_digits_problems
from services.enrolment.domain.composition import (
    RULE_FIELDS,
    SUBSTITUTION_FIELDS,
    rule_problems,
    substitution_rule_problems,
)
from services.enrolment.domain.counselling import POLICY_FIELDS, policy_problems
from services.enrolment.domain.problems import Errors, Problem
from services.enrolment.domain.times import local_text, wall_clock

#: Every group has the same three workshop days.
DAY_NUMBERS: tuple[int, ...] = (1, 2, 3)
#: A new group's size unless the coordinator sets another (brochure: each group at most 7 teams).
DEFAULT_CAPACITY_TEAMS = 7
DEFAULT_TIMEZONE = "Europe/Tallinn"

_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CENT = Decimal("0.01")
# Above any real claim, below what Numeric(12, 2) holds: a typo, not a policy.
_MAX_AMOUNT = Decimal("100000.00")
CLAIM_FIELDS = ("claim_cap", "claim_daily_rate")
COUNSELLING_FIELDS = POLICY_FIELDS
#: The team composition rule's minimums (domain/composition.py).
COMPOSITION_FIELDS = RULE_FIELDS
#: The registry codes' first digits per kind (domain/application.py) and the substitution
#: cut-off (domain/composition.py): the edition's, not published.
CODE_FIELDS = CODE_RULE_FIELDS
CUTOFF_FIELDS = SUBSTITUTION_FIELDS


class _NotGiven:
    """A counselling deadline nobody gave (a file or an API body without it): a new edition
    takes the default, an edit keeps the edition's. ``None`` instead asks for the default."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = _NotGiven()


class EditionError(ValueError):
    """The edition data is unusable; ``problems`` lists every reason, each with its location
    (English: the data file's messages). ``errors`` has the broken invariants again, worded for
    the coordinator in Estonian and English and keyed by the field path the API and the form use
    ("groups.1.city", "groups.2.sessions.1.date"), times in Tallinn."""

    def __init__(self, problems: list[str] | str, errors: Errors | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.errors: Errors = dict(errors or {})
        super().__init__("invalid edition:\n" + "\n".join(f"- {p}" for p in self.problems))


@dataclass(frozen=True)
class SessionSpec:
    """One workshop day of one group. ``seats`` limits the room, make-up guests included;
    None means no limit."""

    day_number: int
    starts_at: datetime
    ends_at: datetime
    venue: str = ""
    seats: int | None = None

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
                raise EditionError(f"session day {self.day_number}: {name} must be a timezone-aware datetime")
            # Normalised so equal moments compare, hash and serialise the same.
            object.__setattr__(self, name, moment.astimezone(UTC))


@dataclass(frozen=True)
class GroupSpec:
    """The group of one city: at most ``capacity_teams`` teams, three session days."""

    key: str
    city: str
    capacity_teams: int
    sessions: tuple[SessionSpec, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sessions", tuple(self.sessions))

    def session(self, day_number: int) -> SessionSpec:
        for session in self.sessions:
            if session.day_number == day_number:
                return session
        raise KeyError(f"{self.city} has no session day {day_number}")

    @property
    def first_session_starts_at(self) -> datetime:
        return min(s.starts_at for s in self.sessions)


@dataclass(frozen=True)
class EditionSpec:
    """One yearly edition. Constructing it checks every invariant (``EditionError``)."""

    year: int
    name: str
    application_deadline: datetime
    groups: tuple[GroupSpec, ...]
    timezone: str = DEFAULT_TIMEZONE
    # The dropout claim policy (gross EUR): None leaves it to the service (its setting for a
    # new edition, the edition's own value on an edit).
    claim_cap: Decimal | None = None
    claim_daily_rate: Decimal | None = None
    # The counselling programme after the last workshop (policy): when applications close
    # (None: 28 days after the last session, 23:59; NOT_GIVEN: see _NotGiven) and how many are
    # selected (None: the edition's, 8 and 12 for a new one).
    counselling_deadline: datetime | None | _NotGiven = NOT_GIVEN
    counselling_min_selected: int | None = None
    counselling_max_selected: int | None = None
    # When teams may start applying (until the deadline): a moment before the deadline; None
    # asks for "from now" (a new edition opens when it is saved); NOT_GIVEN: a new edition
    # opens when it is saved, an edit keeps the edition's.
    applications_open_at: datetime | None | _NotGiven = NOT_GIVEN
    # The team composition rule (policy): None leaves a minimum as it is (4 / 2 / 2 for a new one).
    min_team_members: int | None = None
    min_local_government_members: int | None = None
    min_ngo_members: int | None = None
    # Whether VAT applies to the dropout invoices: None leaves it to billing's setting;
    # NOT_GIVEN: a new edition leaves it to billing, an edit keeps the edition's.
    vat_applies: bool | None | _NotGiven = NOT_GIVEN
    # The registry codes' first digits per kind (policy): digits 0-9 ("89" or a list of them,
    # kept as "89"; "" / []: not checked); None leaves them as they are (7; 8 or 9 for a new one).
    local_government_registry_code_digits: str | None = None
    ngo_registry_code_digits: str | None = None
    # The substitution cut-off (policy): allowed at all, before the group's day 1, 2 or 3; None
    # leaves it as it is (allowed before day 1 for a new one).
    substitutions_allowed: bool | None = None
    substitution_until_day: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        for name in CODE_FIELDS:
            digits = _digits_of(getattr(self, name))
            if digits is not None:
                object.__setattr__(self, name, digits)
        deadline = self.application_deadline
        if not isinstance(deadline, datetime) or deadline.tzinfo is None or deadline.utcoffset() is None:
            raise EditionError("application_deadline must be a timezone-aware datetime")
        object.__setattr__(self, "application_deadline", deadline.astimezone(UTC))
        counselling = self.counselling_deadline
        if isinstance(counselling, datetime):
            if counselling.tzinfo is None or counselling.utcoffset() is None:
                raise EditionError("counselling_deadline must be a timezone-aware datetime")
            object.__setattr__(self, "counselling_deadline", counselling.astimezone(UTC))
        elif counselling is not None and counselling is not NOT_GIVEN:
            raise EditionError("counselling_deadline must be a timezone-aware datetime or null")
        opens = self.applications_open_at
        if isinstance(opens, datetime):
            if opens.tzinfo is None or opens.utcoffset() is None:
                raise EditionError("applications_open_at must be a timezone-aware datetime")
            object.__setattr__(self, "applications_open_at", opens.astimezone(UTC))
        elif opens is not None and opens is not NOT_GIVEN:
            raise EditionError("applications_open_at must be a timezone-aware datetime or null")
        if not isinstance(self.vat_applies, bool) and self.vat_applies is not None and self.vat_applies is not NOT_GIVEN:
            raise EditionError("vat_applies must be true, false or null")
        found = _Invariants()
        _check_invariants(self, found)
        if found.problems:
            raise EditionError(found.problems, found.errors)

    @property
    def cities(self) -> tuple[str, ...]:
        """In the file's order, which is the order applicants see them in."""
        return tuple(g.city for g in self.groups)

    def group(self, city: str) -> GroupSpec:
        for group in self.groups:
            if group.city == city:
                return group
        raise KeyError(f"no group in {city!r}")

    def sessions(self) -> Iterator[tuple[GroupSpec, SessionSpec]]:
        for group in self.groups:
            for session in group.sessions:
                yield group, session

    @property
    def first_session_starts_at(self) -> datetime:
        return min(g.first_session_starts_at for g in self.groups)

    @property
    def last_session_ends_at(self) -> datetime | None:
        """When the last workshop is over: the counselling programme opens then."""
        ends = [s.ends_at for _group, s in self.sessions()]
        return max(ends) if ends else None


@dataclass(frozen=True)
class EditionDraft:
    """An edition known only in part, to check what is known of it (``draft_problems``): a form
    some of whose inputs could not be read gives None for a value it does not know (the year, the
    deadline, a group's size) and leaves out the session days it could not read. Nothing is
    checked on construction; the fields are ``EditionSpec``'s."""

    year: int | None
    name: str
    application_deadline: datetime | None
    groups: tuple[GroupSpec, ...]
    claim_cap: Decimal | None = None
    claim_daily_rate: Decimal | None = None
    counselling_deadline: datetime | None | _NotGiven = NOT_GIVEN
    counselling_min_selected: int | None = None
    counselling_max_selected: int | None = None
    applications_open_at: datetime | None | _NotGiven = NOT_GIVEN
    min_team_members: int | None = None
    min_local_government_members: int | None = None
    min_ngo_members: int | None = None
    vat_applies: bool | None | _NotGiven = NOT_GIVEN
    local_government_registry_code_digits: object = None
    ngo_registry_code_digits: object = None
    substitutions_allowed: object = None
    substitution_until_day: object = None

    @property
    def last_session_ends_at(self) -> datetime | None:
        ends = [s.ends_at for g in self.groups for s in g.sessions]
        return max(ends) if ends else None


def _digits_of(value: object) -> str | None:
    """Digits given as "89" or a list of them, as the edition keeps them ("89"); None if not digits."""
    return code_digits(list(value) if isinstance(value, str) else value) if value is not None else None


def draft_problems(draft: EditionDraft) -> Errors:
    """The invariants ``EditionSpec`` checks, on what the draft knows, each at its field path in
    Estonian and English. Those about a value not known are the caller's to set aside: a group's
    size None is reported as not a whole number, a group with a day left out as lacking it. The
    checks across values skip a deadline not known; with days left out they may miss a broken
    one (the first day or the last may be among them), never report one that is not."""
    found = _Invariants()
    _check_invariants(draft, found)
    return found.errors


class _Invariants:
    """Every broken invariant twice: an English line for the data file (``problems``) and a
    Problem in both languages at its field path (``errors``)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.errors: Errors = {}

    def add(self, text: str, path: str, problem: Problem | None = None) -> None:
        self.problems.append(text)
        self.errors.setdefault(path, []).append(problem or Problem("edition_invalid", text, text))


def _problem(et: str, en: str) -> Problem:
    return Problem("edition_invalid", et, en)


def _check_invariants(edition: EditionSpec | EditionDraft, found: _Invariants) -> None:
    if not isinstance(edition.year, int) or isinstance(edition.year, bool):
        found.add(f"year must be a whole number, got {edition.year!r}", "year",
                  _problem("Aasta on täisarv.", "The year is a whole number."))
    if not isinstance(edition.name, str) or not edition.name.strip():
        found.add("name is required", "name", _problem("Nimi on kohustuslik.", "The name is required."))
    if not edition.groups:
        found.add("groups: an edition needs at least one group", "groups",
                  _problem("Lennul peab olema vähemalt üks rühm.", "An edition needs at least one group."))
    for path, problems in claim_policy_problems(edition.claim_cap, edition.claim_daily_rate).items():
        for p in problems:
            found.add(f"{path}: {p.en}", path, p)
    for path, problems in rule_problems(*(getattr(edition, name) for name in COMPOSITION_FIELDS)).items():
        for p in problems:
            found.add(f"{path}: {p.en}", path, p)
    for name in CODE_FIELDS:
        value = getattr(edition, name)
        if value is not None:
            for p in code_digits_problems(list(value) if isinstance(value, str) else value):
                found.add(f"{name}: {p.en}", name, p)
    for path, problems in substitution_rule_problems(*(getattr(edition, name) for name in CUTOFF_FIELDS)).items():
        for p in problems:
            found.add(f"{path}: {p.en}", path, p)
    deadline = edition.counselling_deadline if isinstance(edition.counselling_deadline, datetime) else None
    for path, problems in policy_problems(deadline, edition.counselling_min_selected,
                                          edition.counselling_max_selected, edition.last_session_ends_at).items():
        for p in problems:
            found.add(f"{path}: {p.en}", path, p)

    seen_cities: dict[str, str] = {}
    seen_keys: set[str] = set()
    for index, group in enumerate(edition.groups):
        where, at = f"groups[{index}] ({group.city})", f"groups.{index}"
        folded = group.city.strip().casefold()
        if not folded:
            found.add(f"groups[{index}]: city is required", f"{at}.city",
                      _problem("Linn on kohustuslik.", "The city is required."))
        elif folded in seen_cities:
            found.add(f"{where}: city repeats {seen_cities[folded]!r}; cities must be unique", f"{at}.city",
                      _problem(f"Linn „{seen_cities[folded]}“ on juba teises rühmas: igas linnas on üks rühm.",
                               f"“{seen_cities[folded]}” is another group's city already: one group per city."))
        else:
            seen_cities[folded] = group.city
        if not _KEY_PATTERN.match(group.key or ""):
            found.add(f"{where}: key {group.key!r} must be lower-case letters, digits and dashes", f"{at}.city",
                      _problem("Linna nimest ei saa rühma tunnust (vaja on vähemalt üht tähte või numbrit).",
                               "The city's name gives no group key (it needs at least one letter or digit)."))
        elif group.key in seen_keys:
            found.add(f"{where}: key {group.key!r} repeats; keys must be unique", f"{at}.city",
                      _problem(f"Rühma tunnus „{group.key}“ kordub: valige linnale teistsugune nimi.",
                               f"The group key “{group.key}” repeats: give the city another name."))
        seen_keys.add(group.key)
        if not isinstance(group.capacity_teams, int) or isinstance(group.capacity_teams, bool):
            found.add(f"{where}: capacity_teams must be a whole number", f"{at}.capacity_teams",
                      _problem("Meeskondade arv on täisarv.", "The number of teams is a whole number."))
        elif group.capacity_teams < 1:
            found.add(f"{where}: capacity_teams must be at least 1, got {group.capacity_teams}",
                      f"{at}.capacity_teams",
                      _problem("Rühmas peab olema vähemalt 1 koht.", "A group needs at least 1 place."))
        _check_sessions(where, at, group.sessions, found)

    if edition.application_deadline is None:
        return  # (a draft's deadline not known: nothing to compare with it)
    if isinstance(edition.applications_open_at, datetime):
        for p in opening_problems(edition.applications_open_at, edition.application_deadline):
            found.add(f"applications_open_at {edition.applications_open_at.isoformat()}: {p.en}",
                      "applications_open_at", p)
    all_starts = [s.starts_at for g in edition.groups for s in g.sessions]
    if all_starts and edition.application_deadline >= min(all_starts):
        first = min(all_starts)
        found.add(
            f"application_deadline {edition.application_deadline.isoformat()} must be before the first "
            f"session ({first.isoformat()})", "application_deadline",
            _problem(f"Taotluste tähtaeg peab olema enne esimest koolituspäeva ({local_text(first)}).",
                     f"The application deadline must be before the first session ({local_text(first)})."))


def opening_problems(opens_at: datetime, deadline: datetime) -> list[Problem]:
    """Applications open before the deadline, or the edition would never take any."""
    if opens_at < deadline:
        return []
    return [Problem("opens_after_deadline",
                    f"Taotlemine peab avanema enne taotluste tähtaega ({local_text(deadline)}).",
                    f"Applications must open before the application deadline ({local_text(deadline)}).")]


def _check_sessions(where: str, at: str, sessions: tuple[SessionSpec, ...], found: _Invariants) -> None:
    if len(sessions) != len(DAY_NUMBERS):
        found.add(f"{where}: needs exactly {len(DAY_NUMBERS)} sessions, got {len(sessions)}", f"{at}.sessions",
                  _problem(f"Rühmal on täpselt {len(DAY_NUMBERS)} koolituspäeva (praegu {len(sessions)}).",
                           f"A group has exactly {len(DAY_NUMBERS)} session days (now {len(sessions)})."))
    numbers = tuple(s.day_number for s in sessions)
    if len(sessions) == len(DAY_NUMBERS) and numbers != DAY_NUMBERS:
        found.add(f"{where}: sessions must be days {DAY_NUMBERS} in that order, got {numbers}", f"{at}.sessions",
                  _problem("Koolituspäevad on I, II ja III, igaüks üks kord.",
                           "The session days are I, II and III, each once."))
    for index, session in enumerate(sessions):
        path = f"{at}.sessions.{index}"
        if session.ends_at <= session.starts_at:
            found.add(f"{where} day {session.day_number}: ends_at must be after starts_at", f"{path}.ends",
                      _problem("Lõpp peab olema pärast algust.", "The end must be after the start."))
        if session.seats is not None and (
            not isinstance(session.seats, int) or isinstance(session.seats, bool) or session.seats < 1
        ):
            found.add(f"{where} day {session.day_number}: seats must be a whole number >= 1 or null",
                      f"{path}.seats",
                      _problem("Kohtade arv on vähemalt 1 (või tühi: piiranguta).",
                               "Seats is at least 1 (or empty: no limit)."))
    # Day N+1 must not begin before day N is over: make-up windows and dropouts depend on it.
    for index, (earlier, later) in enumerate(zip(sessions, sessions[1:], strict=False), start=1):
        if later.starts_at < earlier.ends_at:
            found.add(f"{where}: day {later.day_number} must start after day {earlier.day_number} ends",
                      f"{at}.sessions.{index}.date",
                      _problem(f"{later.day_number}. päev peab algama pärast {earlier.day_number}. päeva lõppu "
                               f"({local_text(earlier.ends_at)}).",
                               f"Day {later.day_number} must start after day {earlier.day_number} ends "
                               f"({local_text(earlier.ends_at)})."))


# --- the dropout claim policy ------------------------------------------------------------

def parse_amount(value: Any) -> Decimal | None:
    """768, "768.00" or "768,00" (as Estonians write it) as a Decimal; None if it is no number.
    A float is refused: money never passes through binary fractions."""
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("\xa0", "").replace(" ", "").replace(",", ".").removesuffix("€")
        if not re.fullmatch(r"\d+(\.\d+)?", text):
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return amount if amount.is_finite() else None


def amount_problems(value: Decimal | None) -> list[Problem]:
    """A claim amount is positive, in euros and cents."""
    if value is None:
        return [Problem("amount_invalid", "Summa kujul 768,00 (eurodes).", "An amount like 768.00 (in euros).")]
    if value <= 0:
        return [Problem("amount_not_positive", "Summa peab olema suurem kui null.", "The amount must be more than zero.")]
    if value != value.quantize(_CENT):
        return [Problem("amount_cents", "Summal võib olla kuni kaks kohta pärast koma (sendid).",
                        "The amount may have at most two decimals (cents).")]
    if value > _MAX_AMOUNT:
        return [Problem("amount_too_large", "Summa saab olla kuni 100 000,00 €.", "The amount can be at most €100,000.00.")]
    return []


def claim_policy_problems(cap: Decimal | None, daily_rate: Decimal | None) -> Errors:
    """The claim cap and daily rate (gross), where given: each a positive amount in cents, and
    a day never costs more than the whole claim may."""
    errors: Errors = {}
    for path, value in (("claim_cap", cap), ("claim_daily_rate", daily_rate)):
        if value is not None and amount_problems(value):
            errors[path] = amount_problems(value)
    if cap is not None and daily_rate is not None and not errors and daily_rate > cap:
        errors["claim_daily_rate"] = [Problem(
            "daily_rate_above_cap",
            f"Päevamäär ({_et(daily_rate)}) ei saa olla suurem kui nõude ülempiir ({_et(cap)}).",
            f"The daily rate (€{daily_rate:,.2f}) cannot be more than the claim cap (€{cap:,.2f}).")]
    return errors


def _et(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "\xa0").replace(".", ",") + "\xa0€"


# --- loading ---------------------------------------------------------------------------

_EDITION_KEYS = {"year", "name", "timezone", "application_deadline", "applications_open_at", "session_hours",
                 "seats", "groups",
                 "vat_applies", *CLAIM_FIELDS, *COUNSELLING_FIELDS, *COMPOSITION_FIELDS, *CODE_FIELDS,
                 *CUTOFF_FIELDS}
_GROUP_KEYS = {"city", "key", "capacity_teams", "venue", "seats", "sessions"}
_SESSION_KEYS = {"day", "date", "starts", "ends", "venue", "seats"}
_HOURS_KEYS = {"starts", "ends"}


def load_edition(path: str | PathLike[str]) -> EditionSpec:
    """Read an edition YAML file (see ``data/edition_2019.yaml`` for the layout)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EditionError(f"{path}: not valid YAML: {exc}") from exc
    return edition_from_dict(data)


def edition_from_dict(data: Any) -> EditionSpec:
    """Build an edition from already-parsed data (the YAML layout); local times -> UTC."""
    parser = _Parser()
    spec = parser.edition(data)
    if parser.problems or spec is None:
        raise EditionError(parser.problems or ["edition: no data"])
    return spec


class _Parser:
    """Collects every problem in one pass instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(
        self, where: str, value: Any, allowed: set[str], required: set[str]
    ) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a mapping, got {type(value).__name__}")
            return None
        for key in sorted(set(value) - allowed, key=str):
            self.fail(where, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(value)):
            self.fail(where, f"{key} is required")
        return value

    def edition(self, data: Any) -> EditionSpec | None:
        top = self.mapping("edition", data, _EDITION_KEYS, {"year", "name", "application_deadline", "groups"})
        if top is None:
            return None
        zone = self.zone(top.get("timezone", DEFAULT_TIMEZONE))
        hours = self.hours("session_hours", top.get("session_hours"), (time(10), time(17)))
        default_seats = self.seats("seats", top.get("seats"))
        deadline = None
        if "application_deadline" in top and zone is not None:
            deadline = self.local_datetime("application_deadline", top["application_deadline"], zone)
        groups_data = top.get("groups")
        groups: list[GroupSpec] = []
        if "groups" in top:
            if not isinstance(groups_data, list) or not groups_data:
                self.fail("groups", "expected a non-empty list of groups")
            else:
                for index, group_data in enumerate(groups_data):
                    group = self.group(f"groups[{index}]", group_data, zone, hours, default_seats)
                    if group is not None:
                        groups.append(group)
        claim = {name: self.amount(name, top[name]) for name in CLAIM_FIELDS if name in top}
        counselling = self.counselling(top, zone)
        composition = self.whole_numbers(top, COMPOSITION_FIELDS)
        if "vat_applies" in top:
            if top["vat_applies"] is None or isinstance(top["vat_applies"], bool):
                composition["vat_applies"] = top["vat_applies"]
            else:
                self.fail("vat_applies", f"expected true, false or null (billing's setting), got {top['vat_applies']!r}")
        composition.update(self.whole_numbers(top, ("substitution_until_day",)))
        if "substitutions_allowed" in top:
            if isinstance(top["substitutions_allowed"], bool):
                composition["substitutions_allowed"] = top["substitutions_allowed"]
            else:
                self.fail("substitutions_allowed", f"expected true or false, got {top['substitutions_allowed']!r}")
        for name in CODE_FIELDS:
            if name in top:
                digits = code_digits(top[name])
                if digits is None:
                    self.fail(name, f"expected a list of digits 0-9 like [8, 9] ([]: not checked), got {top[name]!r}")
                else:
                    composition[name] = digits
        opening: dict[str, Any] = {}
        # A local date and time; null: from when the file is loaded (as without the key).
        self.optional_local_datetime(top, "applications_open_at", zone, opening)
        if self.problems or zone is None or deadline is None:
            return None
        try:
            return EditionSpec(
                year=top["year"],
                name=top["name"],
                application_deadline=deadline,
                groups=tuple(groups),
                timezone=zone.key,
                **claim,
                **counselling,
                **composition,
                **opening,
            )
        except EditionError as exc:
            self.problems.extend(exc.problems)
            return None

    def group(
        self,
        where: str,
        data: Any,
        zone: ZoneInfo | None,
        hours: tuple[time, time] | None,
        default_seats: int | None,
    ) -> GroupSpec | None:
        group = self.mapping(where, data, _GROUP_KEYS, {"city", "capacity_teams", "sessions"})
        if group is None:
            return None
        city = group.get("city")
        if not isinstance(city, str) or not city.strip():
            self.fail(where, "city must be a non-empty text")
            return None
        where = f"{where} ({city})"
        venue = group.get("venue", "")
        if not isinstance(venue, str):
            self.fail(where, "venue must be a text")
        seats = self.seats(f"{where}.seats", group["seats"]) if "seats" in group else default_seats
        sessions_data = group.get("sessions")
        if not isinstance(sessions_data, list):
            self.fail(where, "sessions must be a list")
            return None
        sessions = [
            self.session(
                f"{where}.sessions[{i}]", item, zone, hours, venue if isinstance(venue, str) else "", seats
            )
            for i, item in enumerate(sessions_data)
        ]
        if any(s is None for s in sessions):
            return None
        return GroupSpec(
            key=str(group.get("key") or slug(city)),
            city=city.strip(),
            capacity_teams=group.get("capacity_teams"),
            sessions=tuple(s for s in sessions if s is not None),
        )

    def session(
        self,
        where: str,
        data: Any,
        zone: ZoneInfo | None,
        hours: tuple[time, time] | None,
        venue: str,
        seats: int | None,
    ) -> SessionSpec | None:
        item = self.mapping(where, data, _SESSION_KEYS, {"day", "date"})
        if item is None:
            return None
        day = item.get("day")
        if day not in DAY_NUMBERS or isinstance(day, bool):
            self.fail(where, f"day must be one of {DAY_NUMBERS}, got {day!r}")
        on = self.date(f"{where}.date", item.get("date"))
        starts = (
            self.time(f"{where}.starts", item["starts"]) if "starts" in item else (hours or (None, None))[0]
        )
        ends = self.time(f"{where}.ends", item["ends"]) if "ends" in item else (hours or (None, None))[1]
        session_venue = item.get("venue", venue)
        if not isinstance(session_venue, str):
            self.fail(where, "venue must be a text")
        if "seats" in item:
            seats = self.seats(f"{where}.seats", item["seats"])
        if None in (on, starts, ends, zone) or day not in DAY_NUMBERS or not isinstance(session_venue, str):
            return None
        starts_at = self.zoned(where, datetime.combine(on, starts), zone)
        ends_at = self.zoned(where, datetime.combine(on, ends), zone)
        if starts_at is None or ends_at is None:
            return None
        return SessionSpec(
            day_number=day, starts_at=starts_at, ends_at=ends_at, venue=session_venue, seats=seats
        )

    def zone(self, value: Any) -> ZoneInfo | None:
        try:
            return ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("timezone", f"unknown time zone {value!r}")
            return None

    def hours(self, where: str, value: Any, default: tuple[time, time]) -> tuple[time, time] | None:
        if value is None:
            return default
        hours = self.mapping(where, value, _HOURS_KEYS, _HOURS_KEYS)
        if hours is None or _HOURS_KEYS - set(hours):
            return None
        starts, ends = (
            self.time(f"{where}.starts", hours["starts"]),
            self.time(f"{where}.ends", hours["ends"]),
        )
        return None if starts is None or ends is None else (starts, ends)

    def optional_local_datetime(self, top: Mapping[str, Any], name: str, zone: ZoneInfo | None,
                                into: dict[str, Any]) -> None:
        """``name``, if the file has it, into ``into``: a local date and time, or None (null: the default)."""
        if name not in top:
            return
        value = top[name]
        if value is None:
            into[name] = None
        elif zone is not None:
            into[name] = self.local_datetime(name, value, zone)

    def counselling(self, top: Mapping[str, Any], zone: ZoneInfo | None) -> dict[str, Any]:
        """The counselling policy's keys that are there: a deadline as a local date and time
        (null: the default), whole numbers for the fewest and the most to select."""
        found: dict[str, Any] = {}
        self.optional_local_datetime(top, "counselling_deadline", zone, found)
        found.update(self.whole_numbers(top, ("counselling_min_selected", "counselling_max_selected")))
        return found

    def whole_numbers(self, top: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, int]:
        """The keys of ``names`` that are there, each a whole number."""
        found: dict[str, int] = {}
        for name in names:
            if name in top:
                value = top[name]
                if isinstance(value, int) and not isinstance(value, bool):
                    found[name] = value
                else:
                    self.fail(name, f"expected a whole number, got {value!r}")
        return found

    def amount(self, where: str, value: Any) -> Decimal | None:
        # Quoted ("768.00"): YAML would read 768.10 as a float.
        amount = parse_amount(value) if isinstance(value, str | int) else None
        if amount is None:
            self.fail(where, f'expected an amount like "768.00" (quoted), got {value!r}')
        return amount

    def seats(self, where: str, value: Any) -> int | None:
        # None means "no limit"; the invariant check refuses zero and negatives.
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.fail(where, f"seats must be a whole number or null, got {value!r}")
        return None

    def date(self, where: str, value: Any) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(where, f"expected a date like 2019-04-09, got {value!r}")
        return None

    def time(self, where: str, value: Any) -> time | None:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value.strip())
            except ValueError:
                pass
        hint = " (quote it: YAML reads an unquoted 10:00 as the number 600)" if isinstance(value, int) else ""
        self.fail(where, f'expected a time like "10:00", got {value!r}{hint}')
        return None

    def local_datetime(self, where: str, value: Any, zone: ZoneInfo) -> datetime | None:
        moment: datetime | None = None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                moment = None
        if moment is None or (isinstance(value, str) and not re.search(r"\d[T ]\d", value.strip())):
            # A bare date would leave open whether the day itself is included.
            self.fail(where, f'expected a date and time like "2019-03-01 23:59:59", got {value!r}')
            return None
        if moment.tzinfo is not None:
            return moment
        return self.zoned(where, moment, zone)

    def zoned(self, where: str, naive: datetime, zone: ZoneInfo) -> datetime | None:
        """A local wall-clock time as an aware datetime, refusing the ones DST makes
        ambiguous (the autumn hour that happens twice) or nonexistent (the spring gap)."""
        moment = wall_clock(naive, zone)
        if moment is None:
            self.fail(
                where, f"{naive.isoformat(' ')} is ambiguous or does not exist in {zone.key} (DST change)"
            )
        return moment


def slug(city: str) -> str:
    """ "Pärnu" -> "parnu": an ASCII key for ids and URLs."""
    ascii_text = unicodedata.normalize("NFKD", city).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
