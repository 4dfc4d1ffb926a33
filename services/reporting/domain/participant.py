"""The ESF participant record: what the funder needs about one participant.

Every answer keeps three kinds of "no number": ``None`` (not asked or not answered yet) and
``"declined"`` (the participant chose not to say) are different facts and are reported apart;
neither is ever turned into "no".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .personal_code import parse_personal_code

DECLINED = "declined"

Sex = Literal["female", "male", "non_binary"]
OrganisationKind = Literal["local_government", "ngo"]
ExitStatus = Literal["completed", "dropped_out"]
EmploymentStatus = Literal[
    "employed", "self_employed", "unemployed", "long_term_unemployed", "inactive", "declined"
]
Answer = Literal["yes", "no", "declined"]
Isced = int | Literal["declined"]

SEXES: tuple[str, ...] = ("female", "male", "non_binary")
ORGANISATION_KINDS: tuple[str, ...] = ("local_government", "ngo")
EXIT_STATUSES: tuple[str, ...] = ("completed", "dropped_out")
EMPLOYMENT_STATUSES: tuple[str, ...] = (
    "employed", "self_employed", "unemployed", "long_term_unemployed", "inactive", DECLINED,
)
ANSWERS: tuple[str, ...] = ("yes", "no", DECLINED)
ISCED_LEVELS: tuple[int, ...] = tuple(range(9))

# The yes/no/declined questions asked at entry (disability and minority are GDPR Art. 9 data).
ANSWER_FIELDS: tuple[str, ...] = (
    "disability", "third_country_national", "foreign_background", "minority", "homeless", "rural_area",
)

# Fields an indicator rule may test with ``equals``/``in``, and the values it may name.
# "declined" is left out on purpose: decliners are reported in their own column.
RULE_FIELD_VALUES: dict[str, tuple[str, ...]] = {
    "employment_status": EMPLOYMENT_STATUSES[:-1],
    "exit_status": EXIT_STATUSES,
    "organisation_kind": ORGANISATION_KINDS,
    **{name: ("yes", "no") for name in ANSWER_FIELDS},
}

# What a participant must have answered at entry for the record to be complete
# (a "declined" counts as answered).
ENTRY_FIELDS: tuple[str, ...] = (
    "sex", "birth_date", "entry_date", "employment_status", "isced", *ANSWER_FIELDS,
)


def age_at(birth_date: date, day: date) -> int:
    """Completed years on ``day``: the birthday itself counts as a year completed.

    Someone born on 29 February completes a year on 1 March in common years (the year runs
    out at the end of 28 February, the Civil Code's rule for terms ending on a missing date).
    """
    if day < birth_date:
        raise ValueError(f"{day} is before the birth date {birth_date}")
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def _check_choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))} or None, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Participant:
    """One participant's ESF data as the reporting service holds it.

    ``county``/``municipality`` are the place of residence. With a personal code, birth date
    is taken from it when not given (and must agree when given); sex likewise defaults to the
    code's, but a stated sex wins, since ESF+ counts sex as the participant states it
    (non-binary included).
    """

    participant_id: str
    group_id: str | None = None
    city: str | None = None
    organisation_kind: OrganisationKind | None = None
    organisation_id: str | None = None
    # The employer as enrolment's (or attendance's) events named it: for the funder's file.
    organisation_name: str | None = None
    organisation_registry_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    personal_code: str | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    entry_date: date | None = None
    exit_date: date | None = None
    exit_status: ExitStatus | None = None
    employment_status: EmploymentStatus | None = None
    isced: Isced | None = None
    disability: Answer | None = None
    third_country_national: Answer | None = None
    foreign_background: Answer | None = None
    minority: Answer | None = None
    homeless: Answer | None = None
    rural_area: Answer | None = None
    county: str | None = None
    municipality: str | None = None
    _age_range: tuple[int, int] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.participant_id:
            raise ValueError("participant_id is required")
        _check_choice("sex", self.sex, SEXES)
        _check_choice("organisation_kind", self.organisation_kind, ORGANISATION_KINDS)
        _check_choice("exit_status", self.exit_status, EXIT_STATUSES)
        _check_choice("employment_status", self.employment_status, EMPLOYMENT_STATUSES)
        for name in ANSWER_FIELDS:
            _check_choice(name, getattr(self, name), ANSWERS)
        if self.isced is not None and (
            isinstance(self.isced, bool) or self.isced not in (*ISCED_LEVELS, DECLINED)
        ):
            raise ValueError(f"isced must be 0–8, 'declined' or None, got {self.isced!r}")
        if self.personal_code is not None:
            self._adopt_personal_code()
        if self.exit_date is not None:
            if self.entry_date is None:
                raise ValueError("exit_date without entry_date")
            if self.exit_date < self.entry_date:
                raise ValueError(f"exit_date {self.exit_date} is before entry_date {self.entry_date}")
        if self.birth_date is not None and self.entry_date is not None:
            age = age_at(self.birth_date, self.entry_date)
            object.__setattr__(self, "_age_range", (age, age))

    def _adopt_personal_code(self) -> None:
        parsed = parse_personal_code(self.personal_code)
        if self.birth_date is None:
            object.__setattr__(self, "birth_date", parsed.birth_date)
        elif self.birth_date != parsed.birth_date:
            raise ValueError(
                f"birth_date {self.birth_date} disagrees with the personal code ({parsed.birth_date})"
            )
        if self.sex is None:
            object.__setattr__(self, "sex", parsed.sex)
        object.__setattr__(self, "personal_code", parsed.code)

    @property
    def age_at_entry(self) -> int | None:
        return None if self._age_range is None else self._age_range[0]

    @property
    def age_at_entry_range(self) -> tuple[int, float] | None:
        """Exact age as a one-year range, so rules treat it like an anonymised age band."""
        return self._age_range


def missing_esf_data(participant: Participant) -> tuple[str, ...]:
    """Entry and exit fields still unanswered, for the completeness check before a deadline.

    Exit data is only due once the participant has left, so it is listed only then.
    """
    missing = [name for name in ENTRY_FIELDS if getattr(participant, name) is None]
    if participant.exit_date is not None and participant.exit_status is None:
        missing.append("exit_status")
    if participant.exit_status is not None and participant.exit_date is None:
        missing.append("exit_date")
    return tuple(missing)
