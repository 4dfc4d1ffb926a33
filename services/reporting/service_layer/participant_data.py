"""The participant's own ESF data form (through their personal link): reading and saving it.

Saving is one transaction: the answers, and — the first time the data is complete — the
``reporting.esf_data.completed`` event (participant id only: no personal data on the bus).
Corrections are saved the same way until the coordinator locks the edition's data; they do
not publish again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from services.reporting.adapters.models import SUBSTITUTED, Edition, EsfRecord, Group, Participant
from services.reporting.domain.participant import (
    ANSWER_FIELDS,
    ANSWERS,
    EMPLOYMENT_STATUSES,
    ISCED_LEVELS,
    SEXES,
)
from services.reporting.domain.personal_code import InvalidPersonalCode, parse_personal_code
from services.reporting.domain.retention import retention_until
from services.reporting.service_layer.errors import Refused
from services.reporting.service_layer.projection import forgotten
from shared import clock

log = logging.getLogger(__name__)

PRIVACY_VERSION = "2019-1"
OLDEST_BIRTH_DATE = date(1900, 1, 1)
# What the form must hold for the record to count as complete (a "declined" is an answer).
FORM_FIELDS = ("sex", "birth_date", "employment_status", "isced", *ANSWER_FIELDS, "county", "municipality")
CHOICES = {
    "employment_status": EMPLOYMENT_STATUSES,
    "isced": (*(str(level) for level in ISCED_LEVELS), "declined"),
    **{name: ANSWERS for name in ANSWER_FIELDS},
}


@dataclass(frozen=True)
class Answers:
    """What the form sends, already checked for shape (choices, required fields)."""

    has_code: bool
    personal_code: str  # "" keeps the stored code (the form never shows it back)
    birth_date: date | None
    sex: str | None  # with a code: None means "as in the code"
    employment_status: str
    isced: str
    disability: str
    third_country_national: str
    foreign_background: str
    minority: str
    homeless: str
    rural_area: str
    county: str
    municipality: str
    consent: bool


class InvalidAnswers(Exception):
    """Field errors from the rules, each as (Estonian, English)."""

    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class FormContext:
    participant: Participant
    esf: EsfRecord | None
    edition: Edition | None
    group: Group | None
    earliest_day: date | None

    @property
    def locked(self) -> bool:
        return self.edition is not None and self.edition.locked_at is not None

    @property
    def retention_until(self) -> date | None:
        edition = self.edition
        if edition is None or edition.last_payment_date is None:
            return None
        return retention_until(edition.last_payment_date, edition.retention_years)


def _context(db, participant_id: str) -> FormContext:
    if forgotten(db, participant_id):
        raise Refused(410, "anonymised", "Selle programmi andmeid enam ei säilitata.",
                      "This programme's data is no longer kept.")
    p = db.get(Participant, participant_id)
    if p is None or (p.status == SUBSTITUTED and p.entry_date is None):  # replaced before taking part
        raise Refused(404, "unknown_participant",
                      "Te ei ole ühegi grupi nimekirjas, seega ESF andmeid teilt ei vajata.",
                      "You are not on any group's list, so no ESF data is needed from you.")
    group = db.get(Group, p.group_id) if p.group_id else None
    edition = db.get(Edition, group.edition_id) if group and group.edition_id else None
    if edition is not None and edition.anonymised_at is not None:
        raise Refused(410, "anonymised", "Selle programmi andmeid enam ei säilitata.",
                      "This programme's data is no longer kept.")
    earliest = None
    if edition is not None:
        earliest = db.scalar(select(Group.first_day).where(Group.edition_id == edition.edition_id,
                                                           Group.first_day.is_not(None))
                             .order_by(Group.first_day).limit(1))
    return FormContext(p, db.get(EsfRecord, participant_id), edition, group, earliest)


def form_context(kit, participant_id: str) -> FormContext:
    with kit.db.transaction() as db:
        return _context(db, participant_id)


def check(answers: Answers, stored: EsfRecord | None, today: date, earliest: date | None):
    """(personal code, birth date, sex, sex from code), or InvalidAnswers with every problem.

    ``stored`` is what the participant gave before (an empty code field keeps its code);
    ``earliest`` the edition's first session day (nobody born after it takes part)."""
    errors: dict[str, tuple[str, str]] = {}
    latest_birth = min(today, earliest) if earliest else today
    code = birth = sex = None
    from_code = False
    if answers.has_code:
        typed = answers.personal_code.strip()
        if not typed and stored is not None and stored.personal_code:
            typed = stored.personal_code  # left empty: keep the code given before
        try:
            parsed = parse_personal_code(typed, today=today)
        except InvalidPersonalCode as exc:
            errors["personal_code"] = (exc.message_et, exc.message_en)
        else:
            if parsed.birth_date >= latest_birth:
                errors["personal_code"] = ("Isikukoodi järgi oleksite sündinud pärast programmi algust.",
                                           "By this code you would have been born after the programme began.")
            elif parsed.birth_date < OLDEST_BIRTH_DATE:
                # A first digit 1 or 2 (born in the 1800s) passes the check digit but is a typo
                # for 3 or 4 in any living participant; the birth date typed directly has the same floor.
                errors["personal_code"] = (
                    "Isikukoodi järgi oleksite sündinud enne 1900. aastat — palun kontrollige esimest numbrit.",
                    "By this code you would have been born before 1900 — please check the first digit.")
            code, birth = parsed.code, parsed.birth_date
            sex, from_code = (answers.sex, False) if answers.sex else (parsed.sex, True)
    else:
        birth, sex = answers.birth_date, answers.sex
        if birth is None:
            errors["birth_date"] = ("Sisestage sünniaeg.", "Enter your birth date.")
        elif birth < OLDEST_BIRTH_DATE or birth >= latest_birth:
            errors["birth_date"] = ("Sünniaeg ei ole võimalik.", "This birth date is not possible.")
        if sex is None:
            errors["sex"] = ("Valige sugu.", "Choose your sex.")
    if answers.sex is not None and answers.sex not in SEXES:
        errors["sex"] = ("Valige sugu.", "Choose your sex.")
    # The form offers only these choices; a hand-made post gets the same answer as a bad form.
    for name, allowed in CHOICES.items():
        if getattr(answers, name) not in allowed:
            errors[name] = ("Valige üks vastus.", "Choose one answer.")
    if not answers.county.strip() or not answers.municipality.strip():
        errors["county" if not answers.county.strip() else "municipality"] = (
            "Märkige elukoht.", "Give your place of residence.")
    if not answers.consent:
        errors["consent"] = ("Andmete esitamiseks kinnitage, et olete teabega tutvunud.",
                             "To send the data, confirm that you have read the notice.")
    if errors:
        raise InvalidAnswers(errors)
    return code, birth, sex, from_code


def submit(kit, participant_id: str, answers: Answers, language: str = "et") -> EsfRecord:
    """Save the participant's answers; publish ``esf_data.completed`` the first time only."""
    now = clock.now()
    with kit.unit_of_work() as uow:
        db = uow.session
        # Lock the participant's row so two tabs saving at once cannot both publish.
        db.execute(select(Participant.participant_id).where(Participant.participant_id == participant_id)
                   .with_for_update())
        ctx = _context(db, participant_id)
        if ctx.locked:
            raise Refused(409, "locked", "Selle programmi ESF andmed on lukustatud; neid ei saa enam muuta.",
                          "This programme's ESF data is locked; it can no longer be changed.")
        code, birth, sex, from_code = check(answers, ctx.esf, clock.local(now).date(), ctx.earliest_day)
        esf = ctx.esf
        if esf is None:
            esf = EsfRecord(participant_id=participant_id, first_submitted_at=now, submissions=0)
            db.add(esf)
        esf.personal_code, esf.birth_date, esf.sex, esf.sex_from_code = code, birth, sex, from_code
        esf.employment_status, esf.isced = answers.employment_status, answers.isced
        for name in ANSWER_FIELDS:
            setattr(esf, name, getattr(answers, name))
        esf.county, esf.municipality = answers.county.strip(), answers.municipality.strip()
        esf.consent_at, esf.privacy_version, esf.language = now, PRIVACY_VERSION, language
        esf.updated_at, esf.submissions = now, (esf.submissions or 0) + 1
        complete = all(getattr(esf, name) not in (None, "") for name in FORM_FIELDS)
        if complete and esf.completed_published_at is None:
            uow.publish("reporting.esf_data.completed", {"participant_id": participant_id})
            esf.completed_published_at = now
        log.info("ESF data saved", extra={"participant_id": participant_id, "complete": complete,
                                          "submissions": esf.submissions})
        return esf
