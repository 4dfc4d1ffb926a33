"""The forms (Flask-WTF, CSRF on). Labels and messages are built per request, in its language."""
from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from services.reporting.domain.indicator_sets import available_sets, load_indicator_set
from services.reporting.domain.participant import ANSWER_FIELDS
from services.reporting.entrypoints import labels
from shared.web import t

_DMY = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")


class Lazy:
    """Text picked in the language of the request that shows it (forms are declared at import,
    outside any request)."""

    def __init__(self, et: str, en: str):
        self.et, self.en = et, en

    def __str__(self) -> str:
        return t(self.et, self.en)

    def __html__(self) -> str:
        return str(escape(str(self)))


def parse_day(text: str | None) -> date | None:
    """A date typed as 2019-04-17 (what a date input sends) or 17.04.2019 (how Estonians write it).
    Raises ValueError for anything else; None for nothing."""
    text = (text or "").strip()
    if not text:
        return None
    match = _DMY.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def _valid_day(form, field) -> None:
    try:
        parse_day(field.data)
    except ValueError:
        raise ValidationError(t("Kuupäev kujul PP.KK.AAAA, nt 17.04.1985.",
                                "A date as DD.MM.YYYY, e.g. 17.04.1985.")) from None


def _choose() -> InputRequired:
    return InputRequired(message=Lazy("Valige üks vastus.", "Choose one answer."))


class EsfForm(FlaskForm):
    """The participant's ESF data. Every question is required; each sensitive one has its own
    "prefer not to say" answer, so skipping is an explicit choice, never a guess."""

    has_code = RadioField(validators=[_choose()])
    personal_code = StringField(validators=[Optional(), Length(max=20)])
    birth_date = StringField(validators=[Optional(), _valid_day])
    sex = RadioField(validators=[Optional()])
    employment_status = RadioField(validators=[_choose()])
    isced = RadioField(validators=[_choose()])
    disability = RadioField(validators=[_choose()])
    third_country_national = RadioField(validators=[_choose()])
    foreign_background = RadioField(validators=[_choose()])
    minority = RadioField(validators=[_choose()])
    homeless = RadioField(validators=[_choose()])
    rural_area = RadioField(validators=[_choose()])
    county = SelectField(validators=[InputRequired(message=Lazy("Valige maakond.", "Choose a county."))])
    municipality = StringField(validators=[
        DataRequired(message=Lazy("Kirjutage oma valla või linna nimi.", "Write your municipality or city.")),
        Length(max=120)])
    consent = BooleanField(validators=[DataRequired(message=Lazy(
        "Andmete esitamiseks kinnitage, et olete teabega tutvunud.",
        "To send the data, confirm that you have read the notice."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_code.choices = [("yes", t("Mul on Eesti isikukood", "I have an Estonian personal code")),
                                 ("no", t("Mul ei ole Eesti isikukoodi", "I do not have an Estonian personal code"))]
        self.sex.choices = labels.choices(labels.SEX)
        self.employment_status.choices = labels.choices(labels.EMPLOYMENT)
        self.isced.choices = labels.choices(labels.ISCED)
        for name in ANSWER_FIELDS:
            getattr(self, name).choices = labels.choices(labels.ANSWER)
        self.county.choices = [("", t("— valige —", "— choose —"))] + [(c, c) for c in labels.COUNTIES]


class SettingsForm(FlaskForm):
    indicator_set = SelectField(validators=[InputRequired()])
    deadline_weeks = IntegerField(validators=[Optional(), NumberRange(min=0, max=52)])
    deadline_date = StringField(validators=[Optional(), _valid_day])
    last_payment_date = StringField(validators=[Optional(), _valid_day])
    retention_years = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=30)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator_set.choices = [(name, t(load_indicator_set(name).title_et, load_indicator_set(name).title_en))
                                      for name in available_sets()]


class RevealForm(FlaskForm):
    reason = TextAreaField(validators=[
        DataRequired(message=Lazy("Kirjutage, miks isikukoodi vaja on.", "Write why you need the personal code.")),
        Length(min=5, max=2000)])


class ConfirmForm(FlaskForm):
    confirm = BooleanField(validators=[DataRequired(message=Lazy(
        "Kinnitage, et saate aru: seda ei saa tagasi võtta.", "Confirm that you understand: this cannot be undone."))])


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token only."""
