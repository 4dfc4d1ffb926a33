"""The 2019 programme year as data: the teams that apply, the broken applications, and who
misses, makes up, withdraws or never gives ESF data. The test reads its expectations from
here, so the story and the counts are in one place.

32 teams of 4 (members 0 and 1 from the local government, 2 and 3 from the NGO; members 0
and 2 are women, 1 and 3 men) apply for 4 × 7 places:

    Pärnu   teams 1–8  (Pärnu, Tartu)     1–7 accepted, 8 waits
    Tartu   teams 9–16 (Tartu, Pärnu)     9–15 accepted, 16 waits; 12 withdraws, 16 is promoted
    Rakvere teams 17–22 (Rakvere, Tallinn) + team 30 (Tallinn, Rakvere): Tallinn is full
    Tallinn teams 23–32 (Tallinn)         23–29 accepted, 31 and 32 wait
"""
from __future__ import annotations

import copy
from datetime import date, datetime

from stdnum.ee import ik

from services.enrolment.data import EDITION_2019
from services.enrolment.domain.edition import load_edition
from shared.clock import TALLINN
from tests.unit.enrolment.builders import EXPERIENCE, bad_checksum, registry_code

CITIES = ("Pärnu", "Tartu", "Rakvere", "Tallinn")


def edition_body(cities=CITIES) -> dict:
    """The brochure's 2019 edition (its data file) as the editions API takes it, with these cities' groups."""
    spec = load_edition(EDITION_2019)
    return {"year": spec.year, "name": spec.name, "application_deadline": spec.application_deadline.isoformat(),
            "groups": [{"city": g.city, "capacity_teams": g.capacity_teams, "sessions": [
                {"day_number": s.day_number, "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
                 "venue": s.venue, "seats": s.seats} for s in g.sessions]} for g in spec.groups if g.city in cities]}

TEAMS = range(1, 33)
PREFERENCES = {
    **{n: ["Pärnu", "Tartu"] for n in range(1, 9)},
    **{n: ["Tartu", "Pärnu"] for n in range(9, 17)},
    **{n: ["Rakvere", "Tallinn"] for n in range(17, 23)},
    **{n: ["Tallinn"] for n in range(23, 33)},
    30: ["Tallinn", "Rakvere"],
}
ACCEPTED = {"Pärnu": [1, 2, 3, 4, 5, 6, 7], "Tartu": [9, 10, 11, 12, 13, 14, 15],
            "Rakvere": [17, 18, 19, 20, 21, 22, 30], "Tallinn": [23, 24, 25, 26, 27, 28, 29]}
WAITLISTED = {"Pärnu": [8], "Tartu": [16], "Tallinn": [31, 32]}
WITHDRAWN_TEAM, PROMOTED_TEAM = 12, 16
FINAL_TEAMS = {**ACCEPTED, "Tartu": [9, 10, 11, 13, 14, 15, 16]}

# One member of each of these teams confirms late: their contacts get deadline reminders.
LATE = {8: 3, 16: 2, 32: 1}            # team -> the member who has not confirmed by 23.02
CONFIRMS_ON_25_FEB = {8}               # before the 1-day reminder; 16 and 32 get both

# People, as (team, member).
A = (1, 0)   # Pärnu: misses day I, makes it up in Tartu two days later
F = (2, 1)   # Pärnu: withdraws after day I (one member, the team stays)
E = (3, 2)   # Pärnu: misses day III, makes it up in Rakvere
C = (9, 3)   # Tartu: misses day II; Rakvere and Tallinn day II were her chances
D = (17, 0)  # Rakvere: misses day III; Tallinn's day III was the last chance
B = (23, 1)  # Tallinn: misses day I, which nobody can make up
G = (24, 2)  # Tallinn: misses day III, the last session of all; her claim is waived
NO_ESF_DATA = [(5, 3), (19, 2), (27, 0)]
FINAL_PEOPLE = [(team, member) for teams in FINAL_TEAMS.values() for team in teams for member in range(4)]
ESF_GIVEN = [person for person in FINAL_PEOPLE if person not in NO_ESF_DATA]
DISABILITY_DECLINED = [(4, 0), (10, 1), (18, 2), (25, 3)]
MINORITY_DECLINED = [(4, 0), (10, 1)]
DISABILITY_YES = [(6, 1), (20, 0)]

FIRST_NAMES = (("Mari", "Kadri", "Liis", "Tiina"), ("Jaan", "Peeter", "Toomas", "Rein"))
LAST_NAMES = ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Lepik")


def tallinn(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2019, month, day, hour, minute, tzinfo=TALLINN)


def woman(member: int) -> bool:
    return member in (0, 2)


def member_email(team: int, member: int) -> str:
    return f"t{team:02d}.m{member}@example.ee"


def contact_email(team: int) -> str:
    return f"kontakt.t{team:02d}@example.ee"


def kov_billing(team: int) -> str:
    return f"arved.kov{team:02d}@example.ee"


def ngo_billing(team: int) -> str:
    return f"arved.mtu{team:02d}@example.ee"


def billing_email(person: tuple[int, int]) -> str:
    team, member = person
    return kov_billing(team) if member < 2 else ngo_billing(team)


def application(team: int) -> dict:
    """A valid application: two organisations, four members, the team's city preferences."""
    def member(i: int) -> dict:
        return {"first_name": FIRST_NAMES[0 if woman(i) else 1][(team + i) % 4],
                "last_name": LAST_NAMES[(team * 4 + i) % len(LAST_NAMES)], "email": member_email(team, i),
                "phone": "+372 5123 4567", "position": "spetsialist", "organisation_key": "kov" if i < 2 else "mtu"}
    return {
        "team_name": f"Meeskond {team:02d}",
        "organisations": [
            {"key": "kov", "name": f"Vallavalitsus {team:02d}", "registry_code": registry_code("7", team),
             "kind": "local_government", "address": f"Keskväljak {team}, Eesti", "billing_email": kov_billing(team)},
            {"key": "mtu", "name": f"MTÜ Koostöö {team:02d}", "registry_code": registry_code("8", team),
             "kind": "ngo", "address": f"Pikk {team}, Eesti", "billing_email": ngo_billing(team)},
        ],
        "members": [member(i) for i in range(4)],
        "idea": {"title": f"Teenus {team:02d}", "description": "Eakate päevahoid koostöös vallaga.", "kind": "new"},
        "intends_to_delegate": True,
        "ngo_experience": EXPERIENCE,
        "preferred_cities": PREFERENCES.get(team, ["Tallinn"]),
        "contact_email": contact_email(team),
        "language": "et",
    }


def _broken(n: int, change) -> dict:
    data = copy.deepcopy(application(n))
    data["contact_email"] = f"vigane{n}@example.ee"
    for i, member in enumerate(data["members"]):
        member["email"] = f"vigane{n}.m{i}@example.ee"
    change(data)
    return data


def _set(path: str, value):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return change


# Applications refused with 422, each for one kind of mistake: field path -> problem codes.
INVALID = {
    "three members": (_broken(91, lambda d: d["members"].pop()),
                      {"members": {"too_few_members", "too_few_ngo_members"}}),
    "one local government member": (_broken(92, _set("members.1.organisation_key", "mtu")),
                                    {"members": {"too_few_local_government_members"}}),
    "one NGO member": (_broken(93, _set("members.2.organisation_key", "kov")),
                       {"members": {"too_few_ngo_members"}}),
    "registry code check digit": (_broken(94, _set("organisations.0.registry_code", bad_checksum(registry_code("7", 94)))),
                                  {"organisations.0.registry_code": {"registry_code_checksum"}}),
    "NGO with a local government's code": (_broken(95, _set("organisations.1.registry_code", registry_code("7", 195))),
                                           {"organisations.1.registry_code": {"registry_code_kind_mismatch"}}),
    "two members, one address": (_broken(96, _set("members.3.email", "vigane96.m2@example.ee")),
                                 {"members.3.email": {"duplicate_email"}}),
    "no NGO experience": (_broken(97, _set("ngo_experience", "")), {"ngo_experience": {"required"}}),
    "no intention to delegate": (_broken(98, _set("intends_to_delegate", False)),
                                 {"intends_to_delegate": {"delegation_not_confirmed"}}),
    "a city without a group": (_broken(99, _set("preferred_cities", ["Narva"])),
                               {"preferred_cities.0": {"unknown_city"}}),
    "no city at all": (_broken(89, _set("preferred_cities", [])), {"preferred_cities": {"no_preferred_city"}}),
    "a registry code of seven digits": (_broken(88, _set("organisations.0.registry_code", "7512345")),
                                        {"organisations.0.registry_code": {"registry_code_length"}}),
    "a member's e-mail without a domain": (_broken(87, _set("members.1.email", "vigane87.m1@")),
                                           {"members.1.email": {"invalid_email"}}),
    "a member of an organisation not in the application": (
        _broken(86, _set("members.3.organisation_key", "sa")),
        {"members.3.organisation_key": {"unknown_organisation"}, "members": {"too_few_ngo_members"}}),
}
# And one valid application sent after the deadline (01.03 23:59:59): refused, nothing stored.
TOO_LATE = _broken(85, lambda data: None)


def personal_code(person: tuple[int, int]) -> str:
    """A valid isikukood: born 1965–1994 (a 1900s code: 4 a woman, 3 a man)."""
    team, member = person
    born = date(1965 + (team * 7 + member * 5) % 30, 1 + (team + member) % 12, 1 + (team * 3 + member) % 28)
    first10 = f"{4 if woman(member) else 3}{born:%y%m%d}{100 + team * 4 + member:03d}"
    return first10 + ik.calc_check_digit(first10 + "0")


def esf_answers(person: tuple[int, int]) -> dict:
    """What the participant types into the ESF form."""
    def answer(special: dict[str, list]) -> str:
        return next((value for value, people in special.items() if person in people), "no")
    return {
        "has_code": "yes", "personal_code": personal_code(person), "employment_status": "employed",
        "isced": "7" if person[1] % 2 else "6",
        "disability": answer({"declined": DISABILITY_DECLINED, "yes": DISABILITY_YES}),
        "third_country_national": "no", "foreign_background": "no",
        "minority": answer({"declined": MINORITY_DECLINED}),
        "homeless": "no", "rural_area": "yes" if person[0] % 3 == 0 else "no",
        "county": "Pärnu maakond", "municipality": "Pärnu linn", "consent": "y",
    }


DAY_ONE = {"Pärnu": date(2019, 4, 9), "Tartu": date(2019, 4, 11), "Rakvere": date(2019, 4, 16),
           "Tallinn": date(2019, 4, 17)}
ENTERED = [person for person in FINAL_PEOPLE if person != B]   # B never came
COMPLETED = [person for person in ENTERED if person not in (F, C, D, G)]
INDICATOR_COLUMNS = ("total", "women", "men", "non_binary", "sex_unknown", "unknown", "declined")


def entry_date(person: tuple[int, int]) -> date:
    """The first day attended: the own group's day I, but A made it up in Tartu."""
    if person == A:
        return DAY_ONE["Tartu"]
    return next(DAY_ONE[city] for city, teams in FINAL_TEAMS.items() if person[0] in teams)


def age_at_entry(person: tuple[int, int]) -> int:
    born, entered = ik.get_birth_date(personal_code(person)), entry_date(person)
    return entered.year - born.year - ((entered.month, entered.day) < (born.month, born.day))


def expected_indicators() -> dict[str, tuple[int, ...]]:
    """Every ESF+ indicator of the edition at the end of the year, derived from the story:
    code -> INDICATOR_COLUMNS. The three without ESF data have no known sex and are "unknown"
    in every indicator that needs their answers."""
    def count(people, *, unknown=0, declined=0) -> tuple[int, ...]:
        known = [p for p in people if p in ESF_GIVEN]
        women = sum(1 for p in known if woman(p[1]))
        return (len(people), women, len(known) - women, 0, len(people) - len(known), unknown, declined)

    given = [p for p in ENTERED if p in ESF_GIVEN]
    unknown = len(ENTERED) - len(given)

    def answered(test, question: str | None = None) -> tuple[int, ...]:
        declined = [p for p in given if question and esf_answers(p)[question] == "declined"]
        return count([p for p in given if p not in declined and test(p)], unknown=unknown, declined=len(declined))

    def answer(question: str, value: str):
        return lambda p: esf_answers(p)[question] == value

    def age(low: int, high: int):
        return lambda p: low <= age_at_entry(p) <= high

    def isced(low: int, high: int):
        return lambda p: low <= int(esf_answers(p)["isced"]) <= high

    never = lambda p: False  # noqa: E731 - the story has nobody unemployed, inactive, …
    entities = (len(FINAL_TEAMS) * 7, 0, 0, 0, 0, 0, 0)  # one local government and one NGO per team
    return {
        "EECO01": count(ENTERED),
        "EECO02": answered(never), "EECO03": answered(never), "EECO04": answered(never),
        "EECO05": answered(answer("employment_status", "employed")),
        "EECO06": answered(age(0, 17)), "EECO07": answered(age(18, 29)), "EECO08": answered(age(55, 200)),
        "EECO09": answered(isced(0, 2)), "EECO10": answered(isced(3, 4)), "EECO11": answered(isced(5, 8)),
        "EECO12": answered(answer("disability", "yes"), "disability"),
        "EECO13": answered(answer("third_country_national", "yes")),
        "EECO14": answered(answer("foreign_background", "yes")),
        "EECO15": answered(answer("minority", "yes"), "minority"),
        "EECO16": answered(answer("homeless", "yes")),
        "EECO17": answered(answer("rural_area", "yes")),
        "EECO18": entities, "PS-NGO": entities,
        "PS-COMPLETED": count(COMPLETED),
    }


# -- after the last workshop: the counselling programme -------------------------------------------------
# Ten applications (lead team, partner teams, language): nine from the local governments of
# teams that applied to the edition (team 4's as a group with team 5's; team 8 only ever
# waited for a place), one from a local government that took no part. Eight are selected:
# all but team 8's and the outsider's.
OUTSIDER = 95  # registry_code("7", 95): a local government in no team
COUNSELLING = [(1, (), "et"), (2, (), "et"), (3, (), "et"), (4, (5,), "et"), (9, (), "et"),
               (17, (), "et"), (23, (), "en"), (24, (), "et"), (8, (), "et"), (OUTSIDER, (), "et")]
COUNSELLING_NOT_SELECTED = (8, OUTSIDER)


def took_part(team: int) -> bool:
    """The coordinator's list says so of a local government of a team in the edition at its end."""
    return any(team in teams for teams in FINAL_TEAMS.values())

def counselling_contact(team: int) -> str:
    return f"arendus.t{team:02d}@example.ee"


def counselling_application(team: int, partners: tuple[int, ...], language: str) -> dict:
    return {
        "local_governments": [{"name": f"Vallavalitsus {t:02d}", "registry_code": registry_code("7", t)}
                              for t in (team, *partners)],
        "ngo_partners": [{"name": f"MTÜ Koostöö {t:02d}", "registry_code": registry_code("8", t)}
                         for t in (team, *partners) if t != OUTSIDER],
        "planned_services": "Eakate päevahoid ja koduteenus koostöös vabaühendusega.",
        "contact_name": f"Arendusjuht {team:02d}",
        "contact_email": counselling_contact(team),
        "language": language,
    }
