"""A team's application as plain data, and every rule it must satisfy.

``validate_application`` reports *all* problems at once, keyed by a field path that both the
HTML form and the JSON API can map back to an input: dot-separated, list positions 0-based
("organisations.1.registry_code", "members.3.email", "idea.title", "preferred_cities.2"). A
path naming a whole list ("members", "organisations", "preferred_cities") is a problem of
the list as such, e.g. the team composition.

Callers should pass the data through ``normalised`` first: validation judges the values as
given (so "  x@y.ee" is not an e-mail address), while ``normalised`` strips what people
routinely type around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from stdnum.ee import registrikood
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from .addresses import is_valid_email, is_valid_phone
from .composition import (
    DEFAULT_RULE,
    LOCAL_GOVERNMENT,
    NGO,
    ORGANISATION_KINDS,
    CompositionRule,
    check_composition,
)
from .problems import Errors, Problem

IDEA_KINDS: tuple[str, ...] = ("new", "existing")

#: First digit of the registry code per kind (policy, the edition's ``RegistryCodeRule``; these
#: are the defaults): 7 state and local government institutions; 8 non-profit associations
#: (MTÜ), 9 foundations (SA).
DEFAULT_LOCAL_GOVERNMENT_DIGITS = "7"
DEFAULT_NGO_DIGITS = "89"
#: The edition's fields of the rule (the API's, the form's and the data file's names).
CODE_RULE_FIELDS = ("local_government_registry_code_digits", "ngo_registry_code_digits")

#: Long enough for a sentence about the services provided and the target group (policy).
MIN_NGO_EXPERIENCE_CHARS = 50
MAX_SHORT_TEXT = 200  # names, titles, positions
MAX_LONG_TEXT = 5000  # descriptions: a page of text, and no more in the database


@dataclass
class Organisation:
    """An employer of members; a dropout claim is addressed to it. ``key`` is the form's own
    identifier, which members refer to (the database id does not exist yet)."""

    key: str
    name: str
    registry_code: str
    kind: str  # "local_government" | "ngo"
    address: str
    billing_email: str


@dataclass
class Member:
    first_name: str
    last_name: str
    email: str
    phone: str
    position: str
    organisation_key: str


@dataclass
class ServiceIdea:
    title: str
    description: str
    kind: str  # "new" | "existing"


@dataclass
class Application:
    team_name: str
    organisations: list[Organisation]
    members: list[Member]
    idea: ServiceIdea
    intends_to_delegate: bool
    ngo_experience: str
    preferred_cities: list[str]  # in order of preference
    contact_email: str


@dataclass(frozen=True)
class RegistryCodeRule:
    """The first digits a registry code may start with, per organisation kind (an edition's
    policy): each a string of distinct digits in order ("89"); empty, the first digit is not
    checked for that kind. The check digit is always checked."""

    local_government: str = DEFAULT_LOCAL_GOVERNMENT_DIGITS
    ngo: str = DEFAULT_NGO_DIGITS

    def digits(self, kind: object) -> str:
        return {LOCAL_GOVERNMENT: self.local_government, NGO: self.ngo}.get(kind, "") if isinstance(kind, str) else ""


#: The brochure's rule (7; 8 or 9), for an edition that sets no other.
DEFAULT_CODE_RULE = RegistryCodeRule()


def code_digits(value: object) -> str | None:
    """A list of digits 0-9 (one-digit strings or whole numbers, as the API, the form and the
    data file give them) as the rule keeps them: each once, in order ("89"; an empty list "",
    not checked); None when it is no list or an item is no digit (``code_digits_problems``)."""
    if not isinstance(value, list | tuple):
        return None
    found: set[str] = set()
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 9:
            found.add(str(item))
        elif isinstance(item, str) and re.fullmatch(r"[0-9]", item.strip()):
            found.add(item.strip())
        else:
            return None
    return "".join(sorted(found))


def code_digits_problems(value: object) -> list[Problem]:
    """Why ``value`` is not a list of digits 0-9, in Estonian and English (empty: it is)."""
    if code_digits(value) is not None:
        return []
    if not isinstance(value, list | tuple):
        return [Problem("digits_invalid", "Sisestage numbrid 0–9 komadega eraldatult (tühi: ei kontrollita).",
                        "Enter digits 0–9 separated by commas (empty: not checked).")]
    bad = ", ".join(str(item)[:20] for item in [item for item in value if code_digits([item]) is None][:5])
    return [Problem("digits_invalid", f"Lubatud on ainult numbrid 0–9 (mitte: {bad}).",
                    f"Only the digits 0–9 are allowed (not: {bad}).")]


def digits_text(digits: str, language: str = "et") -> str:
    """"7", "8 või 9", "1, 8 või 9" (English "8 or 9"): the digits as a sentence names them."""
    word = " või " if language == "et" else " or "
    items = list(digits)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


# --- problems, worded once ------------------------------------------------------------


def _required() -> Problem:
    return Problem("required", "See väli on kohustuslik.", "This field is required.")


def _too_long(limit: int) -> Problem:
    return Problem(
        "too_long",
        f"Tekst on liiga pikk (lubatud kuni {limit} märki).",
        f"Too long (at most {limit} characters).",
    )


def _invalid_email() -> Problem:
    return Problem(
        "invalid_email", "E-posti aadress ei ole korrektne.", "This is not a valid e-mail address."
    )


# --- single fields --------------------------------------------------------------------


def check_text(errors: Errors, path: str, value: object, limit: int, *, required: bool = True) -> None:
    if not isinstance(value, str) or not value.strip():
        if required:
            add_problem(errors, path, _required())
        return
    if len(value) > limit:
        add_problem(errors, path, _too_long(limit))


def check_email(errors: Errors, path: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        add_problem(errors, path, _required())
    elif not is_valid_email(value):
        add_problem(errors, path, _invalid_email())


def add_problem(errors: Errors, path: str, problem: Problem) -> None:
    errors.setdefault(path, []).append(problem)


def check_registry_code(code: object, kind: object, rule: RegistryCodeRule = DEFAULT_CODE_RULE) -> list[Problem]:
    """The code must be a valid registrikood (python-stdnum: 8 digits, check digit) and its
    first digit one of those ``rule`` (the edition's) allows for the organisation's kind (none
    given: not checked). Both are reported when both fail: the applicant may have typed the
    wrong organisation's code, not just a wrong digit."""
    if not isinstance(code, str) or not code.strip():
        return [_required()]
    problems: list[Problem] = []
    try:
        registrikood.validate(code)
    except InvalidLength:  # before InvalidFormat, its base class
        problems.append(
            Problem("registry_code_length", "Registrikood on 8-kohaline.", "A registry code has 8 digits.")
        )
    except InvalidFormat:
        problems.append(
            Problem(
                "registry_code_format",
                "Registrikood koosneb ainult numbritest.",
                "A registry code consists of digits only.",
            )
        )
    except InvalidComponent:
        problems.append(
            Problem(
                "registry_code_prefix",
                "Registrikood algab numbriga 1, 7, 8 või 9 – palun kontrollige koodi.",
                "A registry code starts with 1, 7, 8 or 9; please check the code.",
            )
        )
    except InvalidChecksum:
        problems.append(
            Problem(
                "registry_code_checksum",
                "Registrikoodi kontrollnumber ei klapi – palun kontrollige koodi.",
                "The registry code's check digit does not match; please check the code.",
            )
        )
    except ValidationError:  # any future stdnum reason
        problems.append(
            Problem(
                "registry_code_invalid",
                "Registrikood ei ole korrektne.",
                "This is not a valid registry code.",
            )
        )

    compact = registrikood.compact(code)
    digits = rule.digits(kind)
    # The first digit only means something for a well-formed 8-digit code.
    if digits and compact.isdigit() and len(compact) == 8 and compact[0] not in digits:
        et, en = digits_text(digits, "et"), digits_text(digits, "en")
        if kind == LOCAL_GOVERNMENT:
            problems.append(
                Problem(
                    "registry_code_kind_mismatch",
                    f"Kohaliku omavalitsuse registrikood algab numbriga {et}.",
                    f"A local government's registry code starts with {en}.",
                )
            )
        else:
            problems.append(
                Problem(
                    "registry_code_kind_mismatch",
                    f"Vabaühenduse (MTÜ või SA) registrikood algab numbriga {et}.",
                    f"An NGO's registry code (non-profit association or foundation) starts with {en}.",
                )
            )
    return problems


# --- the parts ------------------------------------------------------------------------


def _check_organisations(errors: Errors, organisations: Sequence[Organisation], code_rule: RegistryCodeRule) -> None:
    seen_keys: set[str] = set()
    seen_codes: set[str] = set()
    for index, organisation in enumerate(organisations):
        path = f"organisations.{index}"
        key = organisation.key
        if not isinstance(key, str) or not key.strip():
            add_problem(errors, f"{path}.key", _required())
        elif key in seen_keys:
            add_problem(
                errors,
                f"{path}.key",
                Problem(
                    "duplicate_organisation_key",
                    "Kahel organisatsioonil on sama tunnus.",
                    "Two organisations have the same key.",
                ),
            )
        else:
            seen_keys.add(key)
        check_text(errors, f"{path}.name", organisation.name, MAX_SHORT_TEXT)
        if organisation.kind not in ORGANISATION_KINDS:
            add_problem(
                errors,
                f"{path}.kind",
                Problem(
                    "invalid_choice",
                    "Valige organisatsiooni liik: kohalik omavalitsus või vabaühendus.",
                    "Choose the organisation's kind: local government or NGO.",
                ),
            )
        for problem in check_registry_code(organisation.registry_code, organisation.kind, code_rule):
            add_problem(errors, f"{path}.registry_code", problem)
        code = (
            registrikood.compact(organisation.registry_code)
            if isinstance(organisation.registry_code, str)
            else ""
        )
        if code and code in seen_codes:
            # One legal entity, one employer record: claims would otherwise be split.
            add_problem(
                errors,
                f"{path}.registry_code",
                Problem(
                    "duplicate_registry_code",
                    "Selle registrikoodiga organisatsioon on avalduses juba olemas.",
                    "An organisation with this registry code is already in the application.",
                ),
            )
        seen_codes.add(code)
        check_text(errors, f"{path}.address", organisation.address, MAX_SHORT_TEXT)
        check_email(errors, f"{path}.billing_email", organisation.billing_email)

    kinds = {o.kind for o in organisations}
    if LOCAL_GOVERNMENT not in kinds:
        add_problem(
            errors,
            "organisations",
            Problem(
                "no_local_government_organisation",
                "Lisage vähemalt üks kohalik omavalitsus.",
                "Add at least one local government.",
            ),
        )
    if NGO not in kinds:
        add_problem(
            errors,
            "organisations",
            Problem("no_ngo_organisation", "Lisage vähemalt üks vabaühendus.", "Add at least one NGO."),
        )


def _check_members(errors: Errors, members: Sequence[Member], organisations: Sequence[Organisation],
                   rule: CompositionRule) -> None:
    kind_by_key = {o.key: o.kind for o in organisations if isinstance(o.key, str) and o.key.strip()}
    seen_emails: set[str] = set()
    for index, member in enumerate(members):
        path = f"members.{index}"
        check_text(errors, f"{path}.first_name", member.first_name, MAX_SHORT_TEXT)
        check_text(errors, f"{path}.last_name", member.last_name, MAX_SHORT_TEXT)
        check_email(errors, f"{path}.email", member.email)
        if isinstance(member.email, str) and member.email.strip():
            # casefold: addresses differing only in case reach the same person in practice.
            folded = member.email.strip().casefold()
            if folded in seen_emails:
                add_problem(
                    errors,
                    f"{path}.email",
                    Problem(
                        "duplicate_email",
                        "See e-posti aadress on juba teisel meeskonnaliikmel.",
                        "Another team member already has this e-mail address.",
                    ),
                )
            seen_emails.add(folded)
        if isinstance(member.phone, str) and member.phone.strip() and not is_valid_phone(member.phone):
            add_problem(
                errors,
                f"{path}.phone",
                Problem(
                    "invalid_phone", "Telefoninumber ei ole korrektne.", "This is not a valid phone number."
                ),
            )
        check_text(errors, f"{path}.position", member.position, MAX_SHORT_TEXT, required=False)
        if not isinstance(member.organisation_key, str) or not member.organisation_key.strip():
            add_problem(errors, f"{path}.organisation_key", _required())
        elif member.organisation_key not in kind_by_key:
            add_problem(
                errors,
                f"{path}.organisation_key",
                Problem(
                    "unknown_organisation",
                    "Valige liikme tööandja avalduses toodud organisatsioonide hulgast.",
                    "Choose the member's employer from the organisations in this application.",
                ),
            )
    member_kinds = [kind_by_key.get(m.organisation_key) for m in members]
    for problem in check_composition(member_kinds, rule):
        add_problem(errors, "members", problem)


def _check_idea(errors: Errors, idea: ServiceIdea) -> None:
    check_text(errors, "idea.title", idea.title, MAX_SHORT_TEXT)
    check_text(errors, "idea.description", idea.description, MAX_LONG_TEXT)
    if idea.kind not in IDEA_KINDS:
        add_problem(
            errors,
            "idea.kind",
            Problem(
                "invalid_choice",
                "Valige, kas tegemist on uue või olemasoleva teenusega.",
                "Choose whether the service is new or existing.",
            ),
        )


def _check_cities(errors: Errors, preferred: Sequence[str], allowed: Sequence[str]) -> None:
    if not preferred:
        add_problem(
            errors,
            "preferred_cities",
            Problem(
                "no_preferred_city",
                "Valige vähemalt üks linn, kus meeskond saab koolitusel osaleda.",
                "Choose at least one city where the team can attend the training.",
            ),
        )
        return
    seen: set[str] = set()
    for index, city in enumerate(preferred):
        path = f"preferred_cities.{index}"
        if city not in allowed:
            add_problem(
                errors,
                path,
                Problem(
                    "unknown_city",
                    f"Linna „{city}“ ei saa valida: seal rühma ei ole.",
                    f"“{city}” cannot be chosen: there is no group there.",
                ),
            )
        elif city in seen:
            add_problem(
                errors,
                path,
                Problem(
                    "duplicate_city",
                    f"{city} on eelistuste hulgas juba olemas.",
                    f"{city} is already among the preferences.",
                ),
            )
        seen.add(city)


def validate_application(app: Application, allowed_cities: Iterable[str],
                         rule: CompositionRule = DEFAULT_RULE,
                         code_rule: RegistryCodeRule = DEFAULT_CODE_RULE) -> Errors:
    """Every problem in the application, by field path, in form order; empty means valid.

    ``allowed_cities`` are the cities of the edition's groups (``EditionSpec.cities``);
    ``rule`` the edition's composition rule, ``code_rule`` its registry codes' first digits.
    """
    errors: Errors = {}
    check_text(errors, "team_name", app.team_name, MAX_SHORT_TEXT)
    _check_organisations(errors, app.organisations, code_rule)
    _check_members(errors, app.members, app.organisations, rule)
    _check_idea(errors, app.idea)
    if app.intends_to_delegate is not True:
        add_problem(
            errors,
            "intends_to_delegate",
            Problem(
                "delegation_not_confirmed",
                "Kinnitage kindel kavatsus teenus vabaühendusele delegeerida.",
                "Confirm the firm intention to delegate the service to the NGO.",
            ),
        )
    experience = app.ngo_experience if isinstance(app.ngo_experience, str) else ""
    if not experience.strip():
        add_problem(errors, "ngo_experience", _required())
    elif len(experience.strip()) < MIN_NGO_EXPERIENCE_CHARS:
        add_problem(
            errors,
            "ngo_experience",
            Problem(
                "too_short",
                "Kirjeldage vabaühenduse kogemust teenuste osutamisel ja sihtrühmaga töötamisel "
                f"(vähemalt {MIN_NGO_EXPERIENCE_CHARS} märki).",
                "Describe the NGO's experience in providing services and working with the target group "
                f"(at least {MIN_NGO_EXPERIENCE_CHARS} characters).",
            ),
        )
    elif len(experience) > MAX_LONG_TEXT:
        add_problem(errors, "ngo_experience", _too_long(MAX_LONG_TEXT))
    _check_cities(errors, app.preferred_cities, list(allowed_cities))
    check_email(errors, "contact_email", app.contact_email)
    return errors


def validate_new_member(
    member: Member, organisations: Sequence[Organisation], other_members: Sequence[Member]
) -> Errors:
    """The member rules for someone joining an existing team (a substitute), with the same
    paths minus the list position ("email", "organisation_key", ...). ``other_members`` are
    those staying, so the newcomer may reuse the leaving member's address."""
    errors: Errors = {}
    _check_members(errors, [*other_members, member], organisations, DEFAULT_RULE)
    prefix = f"members.{len(other_members)}."
    # Composition is the caller's business here (composition_after_substitution).
    return {
        path.removeprefix(prefix): problems for path, problems in errors.items() if path.startswith(prefix)
    }


# --- normalisation --------------------------------------------------------------------


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def normalised(app: Application) -> Application:
    """A copy with surrounding whitespace removed and registry codes compacted ("7500 0006"
    -> "75000006", as the bus schema expects), order of everything kept."""
    return replace(
        app,
        team_name=_strip(app.team_name),
        organisations=[
            replace(
                o,
                key=_strip(o.key),
                name=_strip(o.name),
                registry_code=registrikood.compact(o.registry_code)
                if isinstance(o.registry_code, str)
                else o.registry_code,
                kind=_strip(o.kind),
                address=_strip(o.address),
                billing_email=_strip(o.billing_email),
            )
            for o in app.organisations
        ],
        members=[
            replace(
                m,
                first_name=_strip(m.first_name),
                last_name=_strip(m.last_name),
                email=_strip(m.email),
                phone=_strip(m.phone),
                position=_strip(m.position),
                organisation_key=_strip(m.organisation_key),
            )
            for m in app.members
        ],
        idea=replace(
            app.idea,
            title=_strip(app.idea.title),
            description=_strip(app.idea.description),
            kind=_strip(app.idea.kind),
        ),
        ngo_experience=_strip(app.ngo_experience),
        preferred_cities=[_strip(city) for city in app.preferred_cities],
        contact_email=_strip(app.contact_email),
    )
