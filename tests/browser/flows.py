"""What people do in the browser, step by step, shared by the scenarios.

Inputs are found by the ids WTForms gives them (``members-2-email``); what is asserted is
what the person sees: texts, values, addresses.
"""
from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Page, expect

# Valid registry codes (python-stdnum checks the check digit): 7… local governments, 8…/9… NGOs.
LG_CODES = ("75006546", "75014920", "75024260", "75008427")
NGO_CODES = ("80100017", "80100023", "90100001", "90100018")


@dataclass
class Organisation:
    name: str
    kind: str  # local_government | ngo
    registry_code: str
    address: str
    billing_email: str


@dataclass
class Member:
    first_name: str
    last_name: str
    email: str
    phone: str
    position: str
    organisation: int  # 1-based, as the form's employer choices

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class Team:
    name: str
    contact_email: str
    organisations: list[Organisation]
    members: list[Member]
    cities: list[str]
    idea_title: str = "Eakate päevakeskuse teenus"
    idea_description: str = "Vald delegeerib eakate päevakeskuse teenuse kohalikule vabaühendusele."
    experience: str = ("Ühing on korraldanud eakate huviringe ja koduhooldust kümme aastat ning tunneb "
                       "sihtrühma vajadusi.")


def team(tag: str, members: int = 4, cities: tuple[str, ...] = ("Tartu", "Tallinn")) -> Team:
    """A valid team: two local governments and two NGOs; members alternate between the kinds."""
    slug = unicodedata.normalize("NFKD", tag).encode("ascii", "ignore").decode().lower()  # õ → o in addresses
    organisations = [
        Organisation(f"{tag} Linnavalitsus", "local_government", LG_CODES[0], "Raekoja plats 1, Tartu",
                     f"arved.lv.{slug}@example.ee"),
        Organisation(f"MTÜ {tag} Koosloome", "ngo", NGO_CODES[0], "Rüütli 2, Tartu", f"arved.mtu.{slug}@example.ee"),
        Organisation(f"{tag} Vallavalitsus", "local_government", LG_CODES[1], "Vallamaja, Tartumaa",
                     f"arved.vv.{slug}@example.ee"),
        Organisation(f"SA {tag} Heaolu", "ngo", NGO_CODES[2], "Kastani 5, Tartu", f"arved.sa.{slug}@example.ee"),
    ]
    people = [("Anna", "Tamm", 1), ("Peeter", "Kask", 2), ("Mari", "Mets", 3), ("Jaan", "Saar", 4),
              ("Liis", "Lepp", 2), ("Toomas", "Kuusk", 1)]
    return Team(
        name=f"Meeskond {tag}", contact_email=f"kontakt.{slug}@example.ee", organisations=organisations,
        members=[Member(first, last, f"{first.lower()}.{slug}@example.ee", "+372 5123 4567", "spetsialist", org)
                 for first, last, org in people[:members]],
        cities=list(cities))


# -- the public application form -------------------------------------------------------------------

def fill_team(page: Page, team: Team) -> None:
    page.fill("#team_name", team.name)
    page.fill("#contact_email", team.contact_email)
    page.fill("#idea_title", team.idea_title)
    page.fill("#idea_description", team.idea_description)
    page.check("input[name=idea_kind][value=new]")
    page.fill("#ngo_experience", team.experience)
    for index, city in enumerate(team.cities):
        page.select_option(f"#preferred_cities-{index}", city)


def fill_organisation(page: Page, row: int, org: Organisation) -> None:
    prefix = f"#organisations-{row}-"
    page.fill(prefix + "name", org.name)
    page.select_option(prefix + "kind", org.kind)
    page.fill(prefix + "registry_code", org.registry_code)
    page.fill(prefix + "address", org.address)
    page.fill(prefix + "billing_email", org.billing_email)


def fill_member(page: Page, row: int, member: Member) -> None:
    prefix = f"#members-{row}-"
    page.fill(prefix + "first_name", member.first_name)
    page.fill(prefix + "last_name", member.last_name)
    page.fill(prefix + "email", member.email)
    page.fill(prefix + "phone", member.phone)
    page.fill(prefix + "position", member.position)
    page.select_option(prefix + "organisation_key", str(member.organisation))


def field_errors(page: Page, input_id: str):
    """The error texts shown in the same field box as the input."""
    return page.locator(".field", has=page.locator(f"#{input_id}")).locator(".field-error")


def submit_application(page: Page, team: Team) -> None:
    """A correct application in one go (the coordinator scenario's starting point)."""
    page.goto("/enrolment/apply")
    fill_team(page, team)
    for row, org in enumerate(team.organisations):
        fill_organisation(page, row, org)
    for row, member in enumerate(team.members):
        fill_member(page, row, member)
    page.check("#intends_to_delegate")
    page.get_by_role("button", name="Saada taotlus").click()
    if "/thanks/" not in page.url:
        raise AssertionError(f"the application was refused: {page.locator('.field-error').all_inner_texts()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aitäh! Taotlus on saadetud")


# -- e-mails and personal links ----------------------------------------------------------------------

def wait_until(predicate: Callable, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; last value: {value!r}")
        time.sleep(interval)


def confirmation_links(office, team: Team, timeout: float = 20) -> dict[str, str]:
    """Each member's personal link, from the confirmation request e-mailed to them."""
    wanted = {m.email.casefold(): m.email for m in team.members}

    def links():
        found = {wanted[m.to]: m.confirm_link() for m in office.mails()
                 if m.to in wanted and team.name in m.subject and m.confirm_link()}
        return found if len(found) == len(wanted) else None
    return wait_until(links, timeout=timeout, what=f"a confirmation e-mail to each of {sorted(wanted)}")


def confirm(context: BrowserContext, link: str, member: Member, team: Team) -> Page:
    """The member opens their link, reads whose it is, and confirms."""
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Osalemistingimuste kinnitamine")
    expect(page.locator(".card").first).to_contain_text(member.name)
    expect(page.locator(".card").first).to_contain_text(team.name)
    page.get_by_role("button", name="Kinnitan").click()
    expect(page.get_by_role("status")).to_contain_text("Aitäh! Kinnitus on salvestatud.")
    return page


# -- staff ---------------------------------------------------------------------------------------------

def sign_in(page: Page, office, path: str = "/", account: tuple[str, str] | None = None) -> None:
    """Sign in (the demo coordinator unless ``account`` is given) on the way to ``path``: from
    the public front page's button, or (a staff page) through the sign-in page it sends a
    signed-out visitor to. Moving the clock by weeks ends a session (8 hours), as it would
    for a real person."""
    email, password = account or office.coordinator
    page.goto(path)
    if path == "/":
        page.get_by_role("link", name="Logi sisse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Töötaja sisselogimine")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Parool").fill(password)
    page.get_by_role("button", name="Logi sisse").click()
    expect(page).to_have_url(office.base_url + path)


def reload_until(page: Page, check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Events and ticks arrive in the background: reload the page until it shows them."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} did not show {what} within {timeout} s")
        time.sleep(0.3)
        page.reload()
