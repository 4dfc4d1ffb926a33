"""Flask-WTF forms. They carry values and CSRF only: every rule is the domain's, so the
form and the API refuse the same things with the same words. Labels are given in the
templates (both languages); selects accept any value and the domain judges it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)

from services.enrolment.domain import application as rules
from services.enrolment.domain import counselling as counselling_rules
from services.enrolment.domain.problems import Errors, Problem
from services.enrolment.domain.times import wall_clock

ORGANISATION_ROWS, MEMBER_ROWS, CITY_CHOICES = 4, 8, 4
ADD_ORGANISATIONS, ADD_MEMBERS = 2, 4
MAX_ORGANISATIONS, MAX_MEMBERS = 20, 40


def _select(**kwargs) -> SelectField:
    return SelectField(choices={}, validate_choice=False, **kwargs)


class OrganisationRow(Form):
    name = StringField()
    registry_code = StringField(render_kw={"inputmode": "numeric", "autocomplete": "off"})
    kind = _select()
    address = StringField(render_kw={"autocomplete": "street-address"})
    billing_email = EmailField()


class MemberRow(Form):
    first_name = StringField(render_kw={"autocomplete": "off"})
    last_name = StringField(render_kw={"autocomplete": "off"})
    email = EmailField(render_kw={"autocomplete": "off"})
    phone = TelField(render_kw={"autocomplete": "off"})
    position = StringField()
    organisation_key = _select()


class ApplicationForm(FlaskForm):
    idempotency_key = HiddenField()
    edition_id = HiddenField()  # the edition the page shows (two may take applications at once)
    team_name = StringField()
    organisations = FieldList(FormField(OrganisationRow), min_entries=ORGANISATION_ROWS,
                              max_entries=MAX_ORGANISATIONS)
    members = FieldList(FormField(MemberRow), min_entries=MEMBER_ROWS, max_entries=MAX_MEMBERS)
    idea_title = StringField()
    idea_description = TextAreaField()
    idea_kind = RadioField(choices={"new": "new", "existing": "existing"}, validate_choice=False)
    intends_to_delegate = BooleanField()
    ngo_experience = TextAreaField()
    preferred_cities = FieldList(_select(), min_entries=CITY_CHOICES, max_entries=CITY_CHOICES)
    contact_email = EmailField(render_kw={"autocomplete": "email"})
    language = _select()
    add_rows = SubmitField()
    submit = SubmitField()


def _blank(*values) -> bool:
    return not any((v or "").strip() for v in values if isinstance(v, str) or v is None)


def application_from_form(form: ApplicationForm) -> tuple[rules.Application, dict[str, list[int]]]:
    """The domain's application from the form, skipping blank rows; and, per list, the form
    row of each item (to put the domain's "members.2.email" next to the right input)."""
    rows: dict[str, list[int]] = {"organisations": [], "members": [], "preferred_cities": []}
    organisations = []
    for index, entry in enumerate(form.organisations):
        o = entry.form
        if _blank(o.name.data, o.registry_code.data, o.kind.data, o.address.data, o.billing_email.data):
            continue
        rows["organisations"].append(index)
        organisations.append(rules.Organisation(
            key=str(index + 1), name=o.name.data or "", registry_code=o.registry_code.data or "",
            kind=o.kind.data or "", address=o.address.data or "", billing_email=o.billing_email.data or ""))
    members = []
    for index, entry in enumerate(form.members):
        m = entry.form
        if _blank(m.first_name.data, m.last_name.data, m.email.data, m.phone.data, m.position.data):
            continue
        rows["members"].append(index)
        members.append(rules.Member(
            first_name=m.first_name.data or "", last_name=m.last_name.data or "", email=m.email.data or "",
            phone=m.phone.data or "", position=m.position.data or "", organisation_key=m.organisation_key.data or ""))
    cities = []
    for index, entry in enumerate(form.preferred_cities):
        if entry.data:
            rows["preferred_cities"].append(index)
            cities.append(entry.data)
    app = rules.Application(
        team_name=form.team_name.data or "", organisations=organisations, members=members,
        idea=rules.ServiceIdea(title=form.idea_title.data or "", description=form.idea_description.data or "",
                               kind=form.idea_kind.data or ""),
        intends_to_delegate=bool(form.intends_to_delegate.data), ngo_experience=form.ngo_experience.data or "",
        preferred_cities=cities, contact_email=form.contact_email.data or "")
    return app, rows


def attach_errors(form, errors: Errors, rows: dict[str, list[int]], language: str) -> dict[str, list[str]]:
    """Put each problem on its input; returns the problems of whole lists (e.g. the team's
    composition, "members") and any path without an input, to show above those sections."""
    general: dict[str, list[str]] = {}
    for path, problems in errors.items():
        texts = [p.text(language) for p in problems]
        field = _field_for(form, path, rows)
        if field is None:
            general.setdefault(path.split(".")[0], []).extend(texts)
        else:
            field.errors = [*field.errors, *texts]
    return general


def _field_for(form, path: str, rows: dict[str, list[int]]):
    parts = path.split(".")
    try:
        if parts[0] in ("organisations", "members") and len(parts) == 3:
            entry = getattr(form, parts[0])[rows[parts[0]][int(parts[1])]]
            return entry.form[parts[2]] if parts[2] in entry.form else None
        if parts[0] == "preferred_cities" and len(parts) == 2:
            return form.preferred_cities[rows["preferred_cities"][int(parts[1])]]
        if parts[0] == "idea" and len(parts) == 2:
            return form[f"idea_{parts[1]}"]
        if len(parts) == 1 and parts[0] in form and parts[0] not in rows:
            return form[parts[0]]
    except (IndexError, KeyError, ValueError):
        return None
    return None


def ensure_errors_are_lists(form) -> None:
    """WTForms leaves ``errors`` a tuple until validated; we append the domain's problems."""
    for field in form:
        if isinstance(field, FormField):
            ensure_errors_are_lists(field.form)
        elif isinstance(field, FieldList):
            for entry in field:
                if isinstance(entry, FormField):
                    ensure_errors_are_lists(entry.form)
                else:
                    entry.errors = list(entry.errors)
        else:
            field.errors = list(field.errors)


# -- changes to a team --------------------------------------------------------------------------------

class SubstituteForm(FlaskForm):
    first_name = StringField()
    last_name = StringField()
    email = EmailField()
    phone = TelField()
    position = StringField()
    organisation_id = _select()


# -- editions ---------------------------------------------------------------------------------------------

class SessionRow(Form):
    date = StringField(render_kw={"type": "date"})
    starts = StringField(render_kw={"type": "time"})
    ends = StringField(render_kw={"type": "time"})
    venue = StringField()
    seats = StringField(render_kw={"inputmode": "numeric"})


class GroupRow(Form):
    group_id = HiddenField()
    city = StringField()
    capacity_teams = StringField(render_kw={"inputmode": "numeric"})
    remove = BooleanField()
    sessions = FieldList(FormField(SessionRow), min_entries=3, max_entries=3)


class EditionForm(FlaskForm):
    year = StringField(render_kw={"inputmode": "numeric"})
    name = StringField()
    deadline_date = StringField(render_kw={"type": "date"})
    deadline_time = StringField(render_kw={"type": "time", "step": "1"})
    opens_date = StringField(render_kw={"type": "date"})
    opens_time = StringField(render_kw={"type": "time"})
    claim_cap = StringField(render_kw={"inputmode": "decimal"})
    claim_daily_rate = StringField(render_kw={"inputmode": "decimal"})
    counselling_deadline_date = StringField(render_kw={"type": "date"})
    counselling_deadline_time = StringField(render_kw={"type": "time", "step": "1"})
    counselling_min_selected = StringField(render_kw={"inputmode": "numeric"})
    counselling_max_selected = StringField(render_kw={"inputmode": "numeric"})
    min_team_members = StringField(render_kw={"inputmode": "numeric"})
    min_local_government_members = StringField(render_kw={"inputmode": "numeric"})
    min_ngo_members = StringField(render_kw={"inputmode": "numeric"})
    vat_applies = _select()  # "yes", "no" or "" (billing's setting)
    # Digits separated by commas ("8, 9"); empty: the first digit is not checked for that kind.
    local_government_registry_code_digits = StringField(render_kw={"inputmode": "numeric"})
    ngo_registry_code_digits = StringField(render_kw={"inputmode": "numeric"})
    substitution_cutoff = _select()  # "1", "2", "3" (before the group's day N) or "none"
    groups = FieldList(FormField(GroupRow), min_entries=1, max_entries=30)
    add_group = SubmitField()
    submit = SubmitField()


def _problem(et: str, en: str) -> list[Problem]:
    return [Problem("invalid_input", et, en)]


def parse_date(text: str | None) -> date | None:
    """2019-04-09 (a date input) or 09.04.2019 (typed, as Estonians write it)."""
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_time(text: str | None) -> time | None:
    text = (text or "").strip()
    if not re.fullmatch(r"\d{1,2}[:.]\d{2}([:.]\d{2})?", text):
        return None
    try:
        return time(*[int(p) for p in re.split(r"[:.]", text)])
    except ValueError:
        return None


def _whole(text: str | None, limit: int = 10_000) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and int(text) <= limit else None


# A Tallinn wall-clock time the daylight-saving change skips (spring) or repeats (autumn).
_DST = ("Seda kellaaega sel päeval ei ole või on see kaks korda (suveaja vahetus); valige teine.",
        "That time does not exist on that day or happens twice (daylight saving change); choose another.")


#: The VAT choice as the form posts it: "" leaves it to billing's setting (BILLING_VAT_APPLIES).
VAT_CHOICES = {"yes": True, "no": False, "": None}
NOT_READ = object()
#: The substitution cut-off as the form posts it: (substitutions_allowed, substitution_until_day);
#: "" (not posted) keeps the edition's.
CUTOFF_CHOICES = {"1": (True, 1), "2": (True, 2), "3": (True, 3), "none": (False, None), "": (None, None)}
#: The domain's fields the form asks with another input.
_INPUT_OF = {"substitutions_allowed": "substitution_cutoff", "substitution_until_day": "substitution_cutoff"}


def digits_list(text: str | None) -> list[str]:
    """"8, 9" (or "8 9", "8;9") as the items the domain judges; empty: none (not checked)."""
    return [item for item in re.split(r"[\s,;]+", (text or "").strip()) if item]


def digits_input(digits: list[str] | str) -> str:
    """The edition's digits as the form shows them: "8, 9"."""
    return ", ".join(digits)


def edition_from_form(form: EditionForm) -> tuple[dict, Errors]:
    """The edition as the service layer takes it (aware times from Tallinn wall-clock times),
    and the problems of each input it could not read. With problems, the edition is what could
    be read, for the domain to judge the rest in the same go: None for a value not read (the
    year, the deadline, a group's size, a number of the counselling policy), a session day left
    out, a moment of the policies not read left out (not given)."""
    errors: Errors = {}

    def bad(path: str, et: str, en: str) -> None:
        errors.setdefault(path, []).extend(_problem(et, en))

    year = _whole(form.year.data, 2100)
    if year is None:
        bad("year", "Aasta on neljakohaline arv.", "The year is a four-digit number.")
    on, at = parse_date(form.deadline_date.data), parse_time(form.deadline_time.data or "23:59:59")
    if on is None:
        bad("deadline_date", "Kuupäev kujul pp.kk.aaaa.", "A date like dd.mm.yyyy.")
    if at is None:
        bad("deadline_time", "Kellaaeg kujul tt:mm.", "A time like hh:mm.")
    elif on is not None and wall_clock(datetime.combine(on, at)) is None:
        bad("deadline_time", *_DST)
    # When applications open: empty is from when it is saved (an edition open already keeps its moment).
    opening: dict = {}
    if (form.opens_date.data or "").strip() or (form.opens_time.data or "").strip():
        o_on, o_at = parse_date(form.opens_date.data), parse_time(form.opens_time.data or "00:00")
        if o_on is None:
            bad("opens_date", "Kuupäev kujul pp.kk.aaaa.", "A date like dd.mm.yyyy.")
        if o_at is None:
            bad("opens_time", "Kellaaeg kujul tt:mm.", "A time like hh:mm.")
        elif o_on is not None:
            moment = wall_clock(datetime.combine(o_on, o_at))
            if moment is None:
                bad("opens_time", *_DST)
            else:
                opening["applications_open_at"] = moment
    else:
        opening["applications_open_at"] = None
    groups = []
    for gi, entry in enumerate(form.groups):
        g = entry.form
        if g.remove.data or (not (g.city.data or "").strip() and not g.group_id.data):
            continue  # removed, or the blank row for a new group
        capacity = _whole(g.capacity_teams.data, 1000)
        if capacity is None:
            bad(f"groups.{gi}.capacity_teams", "Meeskondade arv on täisarv.", "The number of teams is a whole number.")
        if not (g.city.data or "").strip():
            bad(f"groups.{gi}.city", "Linn on kohustuslik.", "The city is required.")
        sessions = []
        for si, s_entry in enumerate(g.sessions):
            s = s_entry.form
            path = f"groups.{gi}.sessions.{si}"
            day, starts, ends = parse_date(s.date.data), parse_time(s.starts.data), parse_time(s.ends.data)
            if day is None:
                bad(f"{path}.date", "Kuupäev kujul pp.kk.aaaa.", "A date like dd.mm.yyyy.")
            if starts is None:
                bad(f"{path}.starts", "Kellaaeg kujul tt:mm.", "A time like hh:mm.")
            if ends is None:
                bad(f"{path}.ends", "Kellaaeg kujul tt:mm.", "A time like hh:mm.")
            seats = None
            if (s.seats.data or "").strip():
                seats = _whole(s.seats.data)
                if seats is None:
                    bad(f"{path}.seats", "Kohtade arv on täisarv (või tühi: piiranguta).",
                        "Seats is a whole number (or empty: no limit).")
            if day and starts and ends:
                starts_at, ends_at = wall_clock(datetime.combine(day, starts)), wall_clock(datetime.combine(day, ends))
                if starts_at is None:
                    bad(f"{path}.starts", *_DST)
                if ends_at is None:
                    bad(f"{path}.ends", *_DST)
                if starts_at and ends_at:
                    sessions.append({"day_number": si + 1, "starts_at": starts_at, "ends_at": ends_at,
                                     "venue": s.venue.data or "", "seats": seats})
        groups.append({"group_id": g.group_id.data or None, "city": g.city.data or "",
                       "capacity_teams": capacity, "sessions": sessions})
    # The counselling programme: no date is the default deadline (28 days after the last session).
    counselling: dict = {"counselling_deadline": None}
    if (form.counselling_deadline_date.data or "").strip():
        counselling = {}
        c_on = parse_date(form.counselling_deadline_date.data)
        c_at = parse_time(form.counselling_deadline_time.data or "23:59:59")
        if c_on is None:
            bad("counselling_deadline_date", "Kuupäev kujul pp.kk.aaaa.", "A date like dd.mm.yyyy.")
        if c_at is None:
            bad("counselling_deadline_time", "Kellaaeg kujul tt:mm.", "A time like hh:mm.")
        elif c_on is not None:
            moment = wall_clock(datetime.combine(c_on, c_at))
            if moment is None:
                bad("counselling_deadline_time", *_DST)
            else:
                counselling["counselling_deadline"] = moment
    selected = {}
    for name in ("counselling_min_selected", "counselling_max_selected"):
        text = (form[name].data or "").strip()
        selected[name] = _whole(text, counselling_rules.MAX_SELECTED_LIMIT * 10) if text else None
        if text and selected[name] is None:
            bad(name, "Sisestage täisarv.", "Enter a whole number.")
    # The composition rule's minimums: whole numbers (their bounds are the domain's); empty: as they are.
    for name in ("min_team_members", "min_local_government_members", "min_ngo_members"):
        text = (form[name].data or "").strip()
        selected[name] = _whole(text) if text else None
        if text and selected[name] is None:
            bad(name, "Sisestage täisarv.", "Enter a whole number.")
    vat = VAT_CHOICES.get((form.vat_applies.data or "").strip(), NOT_READ)
    if vat is NOT_READ:
        bad("vat_applies", "Valige: jah, ei või teenuse seadistus.", "Choose: yes, no or the service's setting.")
        vat = None
    # The registry codes' first digits as typed (the domain judges each); the substitution cut-off.
    for name in ("local_government_registry_code_digits", "ngo_registry_code_digits"):
        selected[name] = digits_list(form[name].data)
    cutoff = CUTOFF_CHOICES.get((form.substitution_cutoff.data or "").strip(), NOT_READ)
    if cutoff is NOT_READ:
        bad("substitution_cutoff", "Valige, kuni millise koolituspäevani saab liikmeid asendada, või et ei saa.",
            "Choose until which session day members can be substituted, or that they cannot be.")
        cutoff = (None, None)
    selected["substitutions_allowed"], selected["substitution_until_day"] = cutoff
    # The claim's amounts as typed ("768,00" too): the service layer judges them, as for the API.
    return {"vat_applies": vat, "year": year, "name": form.name.data or "", "groups": groups,
            "application_deadline": wall_clock(datetime.combine(on, at)) if on and at else None,
            "claim_cap": form.claim_cap.data or None, "claim_daily_rate": form.claim_daily_rate.data or None,
            **counselling, **selected, **opening}, errors


#: The moments the domain names by one path, as the form asks them (a date and a time).
_MOMENTS = {"application_deadline": ("deadline_date", "deadline_time"),
            "applications_open_at": ("opens_date", "opens_time"),
            "counselling_deadline": ("counselling_deadline_date", "counselling_deadline_time")}


def judged_on_what_was_read(errors: Errors, unread: Errors) -> Errors:
    """The domain's problems (paths in the form's rows) that do not hang on an input the form
    could not read (``unread``, ``edition_from_form``'s): not those at that input (its own
    problem says what is wrong), at the moment it is part of, nor at the session days of a
    group with a day not read (the domain saw that group without it)."""
    def hangs(path: str) -> bool:
        if path in unread or any(field in unread for field in _MOMENTS.get(path, ())):
            return True
        parts = path.split(".")
        if parts[0] == "groups" and len(parts) > 2 and parts[2] == "sessions":
            prefix = ".".join(parts[:3]) + "."
            return any(p.startswith(prefix) for p in unread)
        return False
    return {path: problems for path, problems in errors.items() if not hangs(path)}


def attach_edition_errors(form: EditionForm, errors: Errors, language: str) -> list[str]:
    """Problems on their inputs; the rest (the schedule's invariants) for the top of the form."""
    general: list[str] = []
    for path, problems in errors.items():
        texts = [p.text(language) for p in problems]
        field = None
        parts = path.split(".")
        try:
            if parts[0] == "application_deadline":
                field = form.deadline_date
            elif parts[0] == "counselling_deadline":
                field = form.counselling_deadline_date
            elif parts[0] == "applications_open_at":
                field = form.opens_date
            elif len(parts) == 1 and parts[0] in _INPUT_OF:
                field = form[_INPUT_OF[parts[0]]]
            elif len(parts) == 1 and parts[0] in form and not isinstance(form[parts[0]], FieldList):
                field = form[parts[0]]  # (the groups as a whole have no input: above the form)
            elif parts[0] == "groups" and len(parts) == 3 and parts[2] == "group_id":
                field = form.groups[int(parts[1])].form.city  # (the id is hidden: at the group's city)
            elif parts[0] == "groups" and len(parts) == 3:
                field = form.groups[int(parts[1])].form[parts[2]]
            elif parts[0] == "groups" and len(parts) == 5:
                field = form.groups[int(parts[1])].form.sessions[int(parts[3])].form[parts[4]]
        except (IndexError, KeyError, ValueError):
            field = None
        if field is None:
            general.extend(texts)
        else:
            field.errors = [*field.errors, *texts]
    return general


# -- the counselling programme ----------------------------------------------------------------------

LOCAL_GOVERNMENT_ROWS, NGO_ROWS = 4, 2  # the first local government row is the lead's
ADD_LOCAL_GOVERNMENTS, ADD_NGOS = 3, 2


class PartyRow(Form):
    name = StringField()
    registry_code = StringField(render_kw={"inputmode": "numeric", "autocomplete": "off"})


class CounsellingForm(FlaskForm):
    idempotency_key = HiddenField()
    local_governments = FieldList(FormField(PartyRow), min_entries=LOCAL_GOVERNMENT_ROWS,
                                  max_entries=counselling_rules.MAX_LOCAL_GOVERNMENTS)
    ngo_partners = FieldList(FormField(PartyRow), min_entries=NGO_ROWS, max_entries=counselling_rules.MAX_NGOS)
    planned_services = TextAreaField()
    contact_name = StringField(render_kw={"autocomplete": "name"})
    contact_email = EmailField(render_kw={"autocomplete": "email"})
    language = _select()
    add_rows = SubmitField()
    submit = SubmitField()


def counselling_from_form(form: CounsellingForm) -> tuple[counselling_rules.CounsellingApplication,
                                                          dict[str, list[int]]]:
    """The domain's application from the form: the lead's row always (blank, it is required),
    the partners' and NGOs' rows unless blank; and, per list, the form row of each item."""
    rows: dict[str, list[int]] = {"local_governments": [], "ngo_partners": []}
    parties: dict[str, list[counselling_rules.Party]] = {"local_governments": [], "ngo_partners": []}
    for name in rows:
        for index, entry in enumerate(form[name]):
            p = entry.form
            if _blank(p.name.data, p.registry_code.data) and not (name == "local_governments" and index == 0):
                continue
            rows[name].append(index)
            parties[name].append(counselling_rules.Party(name=p.name.data or "",
                                                         registry_code=p.registry_code.data or ""))
    app = counselling_rules.CounsellingApplication(
        local_governments=parties["local_governments"], ngo_partners=parties["ngo_partners"],
        planned_services=form.planned_services.data or "", contact_name=form.contact_name.data or "",
        contact_email=form.contact_email.data or "")
    return app, rows


def attach_counselling_errors(form: CounsellingForm, errors: Errors, rows: dict[str, list[int]],
                              language: str) -> dict[str, list[str]]:
    """Each problem on its input; the rest by section ("local_governments", …) for above it."""
    general: dict[str, list[str]] = {}
    for path, problems in errors.items():
        texts = [p.text(language) for p in problems]
        parts = path.split(".")
        field = None
        try:
            if parts[0] in rows and len(parts) == 3:
                entry = form[parts[0]][rows[parts[0]][int(parts[1])]]
                field = entry.form[parts[2]] if parts[2] in entry.form else None
            elif len(parts) == 1 and parts[0] in form and parts[0] not in rows:
                field = form[parts[0]]
        except (IndexError, KeyError, ValueError):
            field = None
        if field is None:
            general.setdefault(parts[0], []).extend(texts)
        else:
            field.errors = [*field.errors, *texts]
    return general
