"""E-mail templates: names, the variables each needs, and rendering in Estonian or English.

Each template is a folder under ``services/notify/email_templates/<name>/`` holding
``subject.<lang>.txt``, ``body.<lang>.txt`` and ``body.<lang>.html``; the bodies extend one
shared layout per format (``_layout.txt``, ``_layout.html``) holding the signature and the
footer, so the coordinator's name and the ESF acknowledgement are written once. HTML is
autoescaped; text is not, as nothing interprets it. ``render`` adds ``lang`` and ``subject``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from services.notify.domain import formatting

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "email_templates"

# Every template's signature names the programme coordinator.
COMMON_VARIABLES = frozenset({"contact_name", "contact_email"})

# Template name → the context variables it needs besides COMMON_VARIABLES. This is the API
# the service fills from events; a test checks it against what the templates really use.
VARIABLES: dict[str, frozenset[str]] = {
    name: frozenset(names.split())
    for name, names in {
        # member_groups: [{kind: local_government | ngo | "", members: [{name, organisation}]}] (domain/team.py).
        "application_received": "team_name member_groups preferred_cities deadline",
        # cities: the member's edition's (its groups', by their first day), from the schedule projection.
        # vat_applies: the cap is stated "including VAT" (the edition's vat_applies is not false);
        # make_up_rule: before_own_next_day | any_later_same_day | none (the edition's, terms.py).
        "member_confirmation_request":
            "first_name team_name employer_name confirm_url deadline claim_cap cities vat_applies make_up_rule",
        # To the team contact (confirm_url "") and to each member not yet confirmed (their link).
        "deadline_reminder": "team_name deadline days_left missing_members first_name confirm_url",
        # sessions: [{day_number, starts_at, ends_at, venue, before_joining}]; before_joining: it began
        # before the recipient joined the team (a newcomer substituted in), made up by make_up_rule.
        "application_accepted": "team_name city sessions make_up_rule",
        "application_waitlisted": "team_name city position",
        "application_rejected": "team_name reason",
        "esf_data_request": "first_name esf_url deadline",
        # overdue: the deadline has passed (the coordinator's "send again" after it).
        "esf_data_reminder": "first_name esf_url deadline overdue",
        "session_reminder": "first_name day_number city starts_at ends_at venue checkin_url make_up_rule",
        # joined_after: a newcomer substituted into the team after the missed day began.
        "absence_make_up": "first_name day_number missed_date make_up_sessions make_up_rule joined_after",
        # claim_waived: billing waived the claim (0.00 by itself, or the coordinator): none is stated.
        "dropout_notice":
            "first_name reason days_attended days_held employer_name claim_cap vat_applies make_up_rule claim_waived",
        # vat_applied: the invoice carries VAT (false: issued with VAT not applied, rate 0 and VAT 0.00).
        "invoice_issued":
            "employer_name participant_name invoice_number amount_gross due_date reference_number pdf_url vat_applied",
        "payment_reminder":
            "employer_name invoice_number amount_gross due_date reference_number stage pdf_url vat_applied",
        "credit_note": "employer_name invoice_number credit_note_number amount_gross reason pdf_url vat_applied",
        "completion": "first_name team_name",
        # The counselling programme after the last workshop (DOMAIN.md "After the programme"), to the
        # application's contact person. Not contact_name/contact_email: those are the coordinator's.
        "counselling_application_received":
            "contact_person year lead_local_government partner_local_governments ngo_partners deadline",
        # partner_local_governments / ngo_partners: [{name, registry_code}] from the applied event;
        # application_known false: it has not arrived, the e-mail names the applicant alone.
        "counselling_selected":
            "contact_person applicant_name partner_local_governments ngo_partners application_known year selected_count",
        "counselling_not_selected":
            "contact_person applicant_name partner_local_governments ngo_partners year selected_count",
    }.items()
}
TEMPLATES: tuple[str, ...] = tuple(VARIABLES)


class RenderError(ValueError):
    """The template cannot be rendered with this context (a bug in the caller, not in delivery)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(template: str, language: str | None, context: dict) -> RenderedEmail:
    """Render one e-mail; an unknown language falls back to Estonian.

    Every declared variable must be present (even one only a branch uses), so a missing
    field shows up in the first test rather than in the one e-mail that takes that branch.
    """
    if template not in VARIABLES:
        raise RenderError(f"unknown e-mail template {template!r}")
    lang = formatting.language(language)
    missing = sorted((VARIABLES[template] | COMMON_VARIABLES) - context.keys())
    if missing:
        raise RenderError(f"{template}: missing context variable(s): {', '.join(missing)}")
    env = environment()
    values = {**context, "lang": lang}
    try:
        subject = one_line(env.get_template(f"{template}/subject.{lang}.txt").render(values))
        values["subject"] = subject
        text = env.get_template(f"{template}/body.{lang}.txt").render(values)
        html = env.get_template(f"{template}/body.{lang}.html").render(values)
    except jinja2.UndefinedError as error:
        raise RenderError(f"{template}: {error.message}") from error
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)


def one_line(text: str) -> str:
    """A subject is one line whatever the data held: newlines would end the header."""
    return " ".join(text.split())


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        date=_with_language(formatting.format_date),
        datetime=_with_language(formatting.format_datetime),
        time=_with_language(formatting.format_time),
        weekday=_with_language(formatting.weekday),
        money=_with_language(formatting.format_money),
        venue=_with_language(formatting.venue),
        one_of=_with_language(formatting.one_of),
        roman=formatting.roman,
        http_url=http_url,
    )
    return env


def _with_language(function):
    """Filters follow the e-mail's language, so templates write ``{{ due_date|date }}``."""
    @jinja2.pass_context
    def filter_(context, value):
        return function(value, context.get("lang", formatting.DEFAULT_LANGUAGE))
    filter_.__name__ = function.__name__
    return filter_


def http_url(value: str) -> str:
    """Only web links go into an href: a javascript: or data: link would be an attack."""
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RenderError(f"not a web link: {value!r}")
    return str(value)


def _tallinn(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=formatting.TALLINN).astimezone(UTC)


_CONTACT = {"contact_name": "Kadri Kask", "contact_email": "arenguprogramm@example.org"}
_DEADLINE = _tallinn(2019, 3, 1, 23, 59, 59)
_PARNU_VENUE = "Pärnu Keskraamatukogu, Akadeemia 3, Pärnu"

# Realistic data for the coordinator's preview page: the 2019 edition, a team in Pärnu.
SAMPLE_CONTEXTS: dict[str, dict] = {
    name: {**_CONTACT, **context}
    for name, context in {
        "application_received": {
            "team_name": "Pärnu eakate päevakeskus",
            "member_groups": [
                {"kind": "local_government", "members": [{"name": "Mari Maasikas", "organisation": "Pärnu Linnavalitsus"},
                                                         {"name": "Jaan Tamm", "organisation": "Pärnu Linnavalitsus"}]},
                {"kind": "ngo", "members": [{"name": "Liis Kuusk", "organisation": "MTÜ Pärnu Eakate Päevakeskus"},
                                            {"name": "Toomas Saar", "organisation": "MTÜ Pärnu Eakate Päevakeskus"}]},
            ],
            "preferred_cities": ["Pärnu", "Tartu"],
            "deadline": _DEADLINE,
        },
        "member_confirmation_request": {
            "first_name": "Mari",
            "team_name": "Pärnu eakate päevakeskus",
            "employer_name": "Pärnu Linnavalitsus",
            "confirm_url": "https://arenguprogramm.example.org/enrolment/p/IjQyIg.XKX8Ww.sample",
            "deadline": _DEADLINE,
            "claim_cap": Decimal("768.00"),
            "cities": ["Pärnu", "Tartu", "Rakvere", "Tallinn"],
            "vat_applies": True,
            "make_up_rule": "before_own_next_day",
        },
        "deadline_reminder": {
            "team_name": "Pärnu eakate päevakeskus",
            "deadline": _DEADLINE,
            "days_left": 7,
            "missing_members": ["Jaan Tamm", "Toomas Saar"],
            "first_name": "",
            "confirm_url": "",
        },
        "application_accepted": {
            "team_name": "Pärnu eakate päevakeskus",
            "city": "Pärnu",
            "sessions": [
                {"day_number": day, "starts_at": _tallinn(2019, month, dom, 10),
                 "ends_at": _tallinn(2019, month, dom, 17), "venue": _PARNU_VENUE, "before_joining": False}
                for day, month, dom in ((1, 4, 9), (2, 4, 30), (3, 5, 22))
            ],
            "make_up_rule": "before_own_next_day",
        },
        "application_waitlisted": {
            "team_name": "Tori valla noortekeskus",
            "city": "Pärnu",
            "position": 2,
        },
        "application_rejected": {
            "team_name": "Häädemeeste külaselts",
            "reason": "Meeskonnas on ainult üks kohaliku omavalitsuse esindaja; vaja on vähemalt kahte.",
        },
        "esf_data_request": {
            "first_name": "Mari",
            "esf_url": "https://arenguprogramm.example.org/reporting/p/IjQyIg.XKX8Ww.sample",
            "deadline": date(2019, 4, 8),
        },
        "esf_data_reminder": {
            "first_name": "Mari",
            "esf_url": "https://arenguprogramm.example.org/reporting/p/IjQyIg.XKX8Ww.sample",
            "deadline": date(2019, 4, 8),
            "overdue": False,
        },
        "session_reminder": {
            "first_name": "Mari",
            "day_number": 2,
            "city": "Pärnu",
            "starts_at": _tallinn(2019, 4, 30, 10),
            "ends_at": _tallinn(2019, 4, 30, 17),
            "venue": _PARNU_VENUE,
            "checkin_url": "https://arenguprogramm.example.org/attendance/p/IjQyIg.XKX8Ww.sample",
            "make_up_rule": "before_own_next_day",
        },
        "absence_make_up": {
            "first_name": "Jaan",
            "day_number": 1,
            "missed_date": date(2019, 4, 9),
            # Each option as composing fills it from the schedule projection (no hours: unknown).
            "make_up_sessions": [
                {"session_id": f"grp-{city.lower()}-1", "city": city, "date": date(2019, 4, dom),
                 "starts_at": _tallinn(2019, 4, dom, 10), "ends_at": _tallinn(2019, 4, dom, 17), "venue": venue}
                for city, dom, venue in (("Tartu", 11, "Tartu Loomemajanduskeskus, Kalevi 17, Tartu"),
                                         ("Rakvere", 16, "Rakvere Teatrimaja, Laada 5, Rakvere"),
                                         ("Tallinn", 17, "Rahandusministeerium, Suur-Ameerika 1, Tallinn"))
            ],
            "make_up_rule": "before_own_next_day",
            "joined_after": False,
        },
        "dropout_notice": {
            "first_name": "Jaan",
            "reason": "absence",
            "days_attended": 1,
            "days_held": 2,
            "employer_name": "Pärnu Linnavalitsus",
            "claim_cap": Decimal("768.00"),
            "vat_applies": True,
            "make_up_rule": "before_own_next_day",
            "claim_waived": False,
        },
        "invoice_issued": {
            "employer_name": "Pärnu Linnavalitsus",
            "participant_name": "Jaan Tamm",
            "invoice_number": "2019-0001",
            "amount_gross": Decimal("512.00"),
            "due_date": date(2019, 6, 14),
            "reference_number": "20190013",
            "pdf_url": "https://arenguprogramm.example.org/billing/p/IjIwMTktMDAwMSI.XKX8Ww.sample",
            "vat_applied": True,
        },
        "payment_reminder": {
            "employer_name": "Pärnu Linnavalitsus",
            "invoice_number": "2019-0001",
            "amount_gross": Decimal("512.00"),
            "due_date": date(2019, 6, 14),
            "reference_number": "20190013",
            "stage": "overdue_1",
            "pdf_url": "https://arenguprogramm.example.org/billing/p/IjIwMTktMDAwMSI.XKX8Ww.sample",
            "vat_applied": True,
        },
        "credit_note": {
            "employer_name": "Pärnu Linnavalitsus",
            "invoice_number": "PO-00001",
            "credit_note_number": "KR-00001",
            "amount_gross": Decimal("512.00"),
            "reason": "Osaleja ennistati: puudumine oli ekslikult märgitud.",
            "pdf_url": "https://arenguprogramm.example.org/billing/p/ImNyZWRpdC1ub3RlOjEi.XKX8Ww.sample",
            "vat_applied": True,
        },
        "completion": {
            "first_name": "Mari",
            "team_name": "Pärnu eakate päevakeskus",
        },
        # After the last workshop (Tallinn's day III, 06.06.2019): Pärnu leads a group of three.
        "counselling_application_received": {
            "contact_person": "Mari Maasikas",
            "year": 2019,
            "lead_local_government": {"name": "Pärnu Linnavalitsus", "registry_code": "75000237"},
            "partner_local_governments": [{"name": "Tori Vallavalitsus", "registry_code": "77000417"},
                                          {"name": "Häädemeeste Vallavalitsus", "registry_code": "75000154"}],
            "ngo_partners": [{"name": "MTÜ Pärnu Eakate Päevakeskus", "registry_code": "80100036"}],
            "deadline": _tallinn(2019, 6, 30, 23, 59, 59),
        },
        "counselling_selected": {
            "contact_person": "Mari Maasikas",
            "applicant_name": "Pärnu Linnavalitsus",
            "partner_local_governments": [{"name": "Tori Vallavalitsus", "registry_code": "77000417"},
                                          {"name": "Häädemeeste Vallavalitsus", "registry_code": "75000154"}],
            "ngo_partners": [{"name": "MTÜ Pärnu Eakate Päevakeskus", "registry_code": "80100036"}],
            "application_known": True,
            "year": 2019,
            "selected_count": 10,
        },
        "counselling_not_selected": {
            "contact_person": "Toomas Saar",
            "applicant_name": "Saarde Vallavalitsus",
            "partner_local_governments": [],
            "ngo_partners": [{"name": "MTÜ Saarde Külaselts", "registry_code": "80200015"}],
            "year": 2019,
            "selected_count": 10,
        },
    }.items()
}
