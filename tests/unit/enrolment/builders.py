"""Valid test data to break one rule at a time.

Registry codes are computed with python-stdnum, never copied from somewhere: a code that
only looks right would make the tests prove nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from stdnum.ee import registrikood

from services.enrolment.domain.application import Application, Member, Organisation, ServiceIdea
from services.enrolment.domain.times import TALLINN

CITIES_2019 = ("Pärnu", "Tartu", "Rakvere", "Tallinn")


def registry_code(first_digit: str, serial: int = 0) -> str:
    """A valid 8-digit registry code starting with ``first_digit``."""
    base = f"{first_digit}{serial:06d}"
    # calc_check_digit ignores the last character: it expects the full number.
    return base + registrikood.calc_check_digit(base + "0")


def bad_checksum(code: str) -> str:
    """The same code with a wrong check digit."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def tallinn(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=TALLINN)


EXPERIENCE = (
    "MTÜ on kuus aastat korraldanud eakate päevahoidu ja koduteenust ning töötab iga päev "
    "sihtrühmaga koos vallaga."
)


def organisation(key: str, kind: str, serial: int = 1, **changes) -> Organisation:
    digit = "7" if kind == "local_government" else "8"
    org = Organisation(
        key=key,
        name=f"Organisatsioon {key}",
        registry_code=registry_code(digit, serial),
        kind=kind,
        address="Rüütli 1, Pärnu",
        billing_email=f"arved-{key}@example.ee",
    )
    return replace(org, **changes)


def member(n: int, organisation_key: str, **changes) -> Member:
    m = Member(
        first_name=f"Eesnimi{n}",
        last_name=f"Perenimi{n}",
        email=f"liige{n}@example.ee",
        phone="+372 5123 4567",
        position="spetsialist",
        organisation_key=organisation_key,
    )
    return replace(m, **changes)


def valid_application(**changes) -> Application:
    """A team of 2 local-government and 2 NGO members (the minimum that passes)."""
    app = Application(
        team_name="Pärnu kodutute majutus",
        organisations=[organisation("kov", "local_government", 1), organisation("mtu", "ngo", 2)],
        members=[member(1, "kov"), member(2, "kov"), member(3, "mtu"), member(4, "mtu")],
        idea=ServiceIdea(title="Öömaja", description="Kodutute majutusteenus koostöös linnaga.", kind="new"),
        intends_to_delegate=True,
        ngo_experience=EXPERIENCE,
        preferred_cities=["Pärnu", "Tartu"],
        contact_email="kontakt@example.ee",
    )
    return replace(app, **changes)


def codes(errors, path: str) -> list[str]:
    return [problem.code for problem in errors.get(path, [])]
