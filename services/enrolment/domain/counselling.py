"""The counselling programme after the workshops (DOMAIN.md "After the programme").

After the edition's last workshop every local government may apply, alone or leading a group
of local governments, to start providing services in cooperation with NGOs; 8–12 local
governments (or groups of them) are selected (brochure, "Nõustamisprogramm").

Policies (configurable per edition):
- the application window opens when the edition's last session ends (the latest end of all
  its groups' sessions) and closes at the edition's ``counselling_deadline``, inclusive as
  the application deadline is; not set, it is 28 days after the last session's day, 23:59
  (the whole of that minute, 23:59:59) in Tallinn;
- a local government is named in one application per edition (as lead or as partner);
- the coordinator selects between ``counselling_min_selected`` (8) and
  ``counselling_max_selected`` (12); fewer than the minimum only when every application is
  selected (fewer applied); every application must be marked before the announcement.

Field paths, as for the team application: "local_governments.0.registry_code" (0 leads),
"ngo_partners.1.name", "planned_services", "contact_name", "contact_email".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stdnum.ee import registrikood

from .application import (
    DEFAULT_CODE_RULE,
    MAX_LONG_TEXT,
    MAX_SHORT_TEXT,
    RegistryCodeRule,
    add_problem,
    check_email,
    check_registry_code,
    check_text,
)
from .composition import LOCAL_GOVERNMENT, NGO
from .deadline import is_open
from .problems import Errors, Problem
from .times import TALLINN, local_text, require_aware

DEFAULT_DEADLINE_DAYS = 28
DEFAULT_MIN_SELECTED = 8
DEFAULT_MAX_SELECTED = 12
#: More than any edition could select: a typo, not a policy.
MAX_SELECTED_LIMIT = 1000
MAX_LOCAL_GOVERNMENTS = 30
MAX_NGOS = 20

POLICY_FIELDS = ("counselling_deadline", "counselling_min_selected", "counselling_max_selected")


@dataclass
class Party:
    """A local government or an NGO as the application names it."""

    name: str
    registry_code: str


@dataclass
class CounsellingApplication:
    local_governments: list[Party]  # the first one leads; the others apply with it as a group
    ngo_partners: list[Party]  # the NGOs they intend to work with (optional)
    planned_services: str  # the services they want to start providing with an NGO
    contact_name: str
    contact_email: str


# --- the window ---------------------------------------------------------------------------


def default_deadline(last_session_ends_at: datetime, zone: ZoneInfo = TALLINN) -> datetime:
    """28 days after the last session's day, 23:59 (the whole minute: 23:59:59) local time."""
    day = require_aware("last_session_ends_at", last_session_ends_at).astimezone(zone).date()
    # No daylight-saving change happens at 23:59:59: the wall-clock time is never ambiguous.
    return datetime.combine(day + timedelta(days=DEFAULT_DEADLINE_DAYS), time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def effective_deadline(deadline: datetime | None, last_session_ends_at: datetime) -> datetime:
    return require_aware("deadline", deadline) if deadline is not None else default_deadline(last_session_ends_at)


def is_window_open(opens_at: datetime | None, deadline: datetime | None, now: datetime) -> bool:
    """From the end of the last session until the deadline (inclusive, as ``deadline.is_open``)."""
    if opens_at is None or deadline is None:
        return False
    return require_aware("now", now) >= require_aware("opens_at", opens_at) and is_open(deadline, now)


def not_open_yet(opens_at: datetime) -> Problem:
    when = local_text(opens_at)
    return Problem(
        "counselling_not_open",
        f"Nõustamisprogrammi saab kandideerida pärast lennu viimast töötuba (alates {when}).",
        f"Applications to the counselling programme open after the edition's last workshop ({when}).",
    )


def closed(deadline: datetime) -> Problem:
    when = local_text(deadline)
    return Problem(
        "counselling_closed",
        f"Nõustamisprogrammi kandideerimine on lõppenud (tähtaeg oli {when}).",
        f"Applications to the counselling programme are closed (the deadline was {when}).",
    )


# --- the edition's policy -------------------------------------------------------------------


def policy_problems(deadline: datetime | None, min_selected: object, max_selected: object,
                    last_session_ends_at: datetime | None) -> Errors:
    """The counselling policy of an edition: whole numbers 1 ≤ min ≤ max; a deadline set is
    after the last session ends (the window would otherwise never open)."""
    errors: Errors = {}
    for path, value in (("counselling_min_selected", min_selected), ("counselling_max_selected", max_selected)):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            add_problem(errors, path, Problem("not_whole_number", "Sisestage täisarv.", "Enter a whole number."))
        elif value < 1:
            add_problem(errors, path, Problem("below_one", "Valida tuleb vähemalt 1.", "At least 1 must be selected."))
        elif value > MAX_SELECTED_LIMIT:
            add_problem(errors, path, Problem("too_large", f"Kuni {MAX_SELECTED_LIMIT}.", f"At most {MAX_SELECTED_LIMIT}."))
    if (not errors and isinstance(min_selected, int) and isinstance(max_selected, int)
            and min_selected > max_selected):
        add_problem(errors, "counselling_max_selected", Problem(
            "max_below_min",
            f"Suurim valitavate arv ({max_selected}) ei saa olla väiksem kui vähim ({min_selected}).",
            f"The most to select ({max_selected}) cannot be fewer than the fewest ({min_selected})."))
    if deadline is not None and last_session_ends_at is not None and deadline <= last_session_ends_at:
        when = local_text(last_session_ends_at)
        add_problem(errors, "counselling_deadline", Problem(
            "deadline_before_last_session",
            f"Nõustamisprogrammi tähtaeg peab olema pärast lennu viimast koolituspäeva ({when}).",
            f"The counselling deadline must be after the edition's last session ({when})."))
    return errors


# --- the application ------------------------------------------------------------------------


def _parties(errors: Errors, list_path: str, parties: Sequence[Party], kind: str, seen: dict[str, str],
             code_rule: RegistryCodeRule) -> None:
    for index, party in enumerate(parties):
        path = f"{list_path}.{index}"
        check_text(errors, f"{path}.name", party.name, MAX_SHORT_TEXT)
        for problem in check_registry_code(party.registry_code, kind, code_rule):
            add_problem(errors, f"{path}.registry_code", problem)
        code = registrikood.compact(party.registry_code) if isinstance(party.registry_code, str) else ""
        if code and code in seen:
            add_problem(errors, f"{path}.registry_code", Problem(
                "duplicate_registry_code",
                "Selle registrikoodiga organisatsioon on taotluses juba olemas.",
                "An organisation with this registry code is already in the application."))
        elif code:
            seen[code] = path


def validate_counselling(app: CounsellingApplication, code_rule: RegistryCodeRule = DEFAULT_CODE_RULE) -> Errors:
    """Every problem of the application by field path, in form order; empty means valid.
    ``code_rule`` is the edition's registry codes' first digits. Whether a local government
    applied already in this edition is the service's to check."""
    errors: Errors = {}
    seen: dict[str, str] = {}
    if not app.local_governments:
        add_problem(errors, "local_governments.0.name", Problem(
            "required", "Nimetage kandideeriv kohalik omavalitsus.", "Name the local government that applies."))
    elif len(app.local_governments) > MAX_LOCAL_GOVERNMENTS:
        add_problem(errors, "local_governments", Problem(
            "too_many", f"Kuni {MAX_LOCAL_GOVERNMENTS} omavalitsust.", f"At most {MAX_LOCAL_GOVERNMENTS} local governments."))
    _parties(errors, "local_governments", app.local_governments, LOCAL_GOVERNMENT, seen, code_rule)
    if len(app.ngo_partners) > MAX_NGOS:
        add_problem(errors, "ngo_partners", Problem(
            "too_many", f"Kuni {MAX_NGOS} vabaühendust.", f"At most {MAX_NGOS} NGOs."))
    _parties(errors, "ngo_partners", app.ngo_partners, NGO, seen, code_rule)
    check_text(errors, "planned_services", app.planned_services, MAX_LONG_TEXT)
    check_text(errors, "contact_name", app.contact_name, MAX_SHORT_TEXT)
    check_email(errors, "contact_email", app.contact_email)
    return errors


def already_applied(party: Party) -> Problem:
    """A local government named in another application of the edition (as lead or partner)."""
    return Problem(
        "counselling_already_applied",
        f"{party.name} ({party.registry_code}) on selle lennu nõustamisprogrammi juba kandideerinud "
        "(teises taotluses). Omavalitsus saab olla ühes taotluses.",
        f"{party.name} ({party.registry_code}) has already applied to this edition's counselling programme "
        "(in another application). A local government can be in one application only.")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _party(party: Party) -> Party:
    code = party.registry_code
    return replace(party, name=_strip(party.name),
                   registry_code=registrikood.compact(code) if isinstance(code, str) else code)


def normalised(app: CounsellingApplication) -> CounsellingApplication:
    """Surrounding whitespace removed, registry codes compacted ("7500 0006" -> "75000006")."""
    return replace(
        app,
        local_governments=[_party(p) for p in app.local_governments],
        ngo_partners=[_party(p) for p in app.ngo_partners],
        planned_services=_strip(app.planned_services),
        contact_name=_strip(app.contact_name),
        contact_email=_strip(app.contact_email),
    )


# --- the selection ----------------------------------------------------------------------------


def announcement_problem(marks: Sequence[bool | None], min_selected: int, max_selected: int) -> Problem | None:
    """Why the selection cannot be announced as marked (``marks``: one per application, True
    selected, False not selected, None not decided yet); None when it can."""
    undecided = sum(1 for mark in marks if mark is None)
    if undecided:
        return Problem(
            "counselling_undecided",
            f"{undecided} taotluse kohta pole veel otsustatud, kas see valitakse: märkige iga taotlus.",
            f"{undecided} application(s) are not marked selected or not selected yet: mark every one.")
    selected = sum(1 for mark in marks if mark)
    if selected > max_selected:
        return Problem(
            "too_many_selected",
            f"Valitud on {selected}, kuid valida saab kuni {max_selected}.",
            f"{selected} are selected, but at most {max_selected} can be.")
    if selected < min_selected and selected < len(marks):
        return Problem(
            "too_few_selected",
            f"Valitud on {selected}, kuid valida tuleb vähemalt {min_selected} (vähem ainult siis, kui "
            "valitakse kõik kandideerinud).",
            f"{selected} are selected, but at least {min_selected} must be (fewer only when every "
            "application is selected).")
    return None
