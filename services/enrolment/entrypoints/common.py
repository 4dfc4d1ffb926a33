"""What the pages and the API share: the kit, the actor, error bodies, dates as Estonians write them."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from http import HTTPStatus

from babel.numbers import format_currency
from flask import current_app, jsonify, render_template

from services.enrolment.domain.conditions import ANY_LATER_SAME_DAY, MakeUpRule, StatedConditions
from services.enrolment.domain.problems import Errors, Problem, errors_as_json
from services.enrolment.service_layer.errors import Refused
from shared import auth, clock, i18n
from shared.kit import ServiceKit
from shared.links import LinkInvalid, read_token


def claim_cap_text(language: str, cap: Decimal) -> str:
    """The member's edition's claim cap as the language writes it."""
    return format_currency(cap, "EUR", locale=language)


def cap_phrase(language: str, stated: StatedConditions) -> str:
    """The cap as the conditions state it: with "(koos käibemaksuga)" / "(incl. VAT)" unless the
    edition says VAT does not apply to its claims ("768,00 €")."""
    cap = claim_cap_text(language, stated.claim_cap)
    if not stated.vat_clause:
        return cap
    return f"{cap} (incl. VAT)" if language == "en" else f"{cap} (koos käibemaksuga)"


def money(amount: Decimal) -> str:
    """An amount in euros as the page's language writes it (768,00 € / €768.00)."""
    return format_currency(amount, "EUR", locale=lang())


def make_up_condition(language: str, rule: MakeUpRule) -> str:
    """The second condition: attending all three days, and the edition's make-up rule."""
    if language == "en":
        text = "To complete the programme you must attend all three days. "
        if not rule.allowed:
            return text + ("A missed day cannot be made up: missing a day means dropping out of the "
                           "programme.")
        if rule.window == ANY_LATER_SAME_DAY:
            return text + ("A missed day can be made up by attending the same day in another city's "
                           "group, at any later session of that day.")
        return text + ("A missed day can be made up by attending the same day in another city's group, "
                       "if it takes place before your own group's next day.")
    text = "Programmi läbimiseks tuleb osaleda kõigil kolmel koolituspäeval. "
    if not rule.allowed:
        return text + ("Vahele jäänud päeva ei saa korvata: koolituspäevalt puudumine tähendab programmi "
                       "katkestamist.")
    if rule.window == ANY_LATER_SAME_DAY:
        return text + ("Vahele jäänud päeva saab korvata sama päevaga teise linna rühmas, ükskõik "
                       "millisel hilisemal selle päeva koolitusel.")
    return text + ("Vahele jäänud päeva saab korvata sama päevaga teise linna rühmas, kui see toimub "
                   "enne oma rühma järgmist päeva.")


def conditions(language: str, stated: StatedConditions) -> list[str]:
    """What a member confirms (the brochure's "Mida me Sinult ootame?"), with their edition's
    cap, VAT clause and make-up rule."""
    cap = cap_phrase(language, stated)
    if language == "en":
        return [
            "The programme consists of three training days (workshops) in the team's group city, each "
            "10:00–17:00; the workshops require active participation and team work on the service idea "
            "between the days as well.",
            make_up_condition(language, stated.make_up),
            f"If a team member drops out, the organisers may claim up to {cap} from their "
            "employer for the training costs incurred, trainers' fees included.",
            "Participation is free for those who attend all three days. The European Social Fund requires "
            "participant data to be provided.",
        ]
    return [
        "Arenguprogramm koosneb kolmest koolituspäevast (töötoast) meeskonna rühma linnas, "
        "igaüks kell 10.00–17.00; töötoad eeldavad aktiivset osalemist ja meeskonnatööd teenuse "
        "ideega ka päevade vahel.",
        make_up_condition(language, stated.make_up),
        f"Kui meeskonnaliige programmi katkestab, on korraldajatel õigus nõuda tema tööandjalt kuni "
        f"{cap} tehtud koolituskulude eest, sh koolitajate tasud.",
        "Osalemine on tasuta neile, kes osalevad kõigil kolmel päeval. Euroopa Sotsiaalfondi nõuete "
        "tõttu tuleb esitada osaleja andmed.",
    ]


def kit() -> ServiceKit:
    return current_app.extensions["kit"]


def lang() -> str:
    return i18n.select_locale()


def actor() -> str:
    user = auth.current_user()
    return user.email if user else "anonymous"


def error_body(exc: Refused) -> dict:
    """The shared error shape (code, status, message, errors) plus the refusal's code and
    every problem with its code in both languages."""
    language = lang()
    body = {"code": exc.status, "status": HTTPStatus(exc.status).phrase.lower().replace(" ", "_"),
            "message": exc.message(language), "reason": exc.code}
    if exc.errors:
        body["errors"] = texts(exc.errors, language)
        body["problems"] = errors_as_json(exc.errors)
    return body


def texts(errors: Errors, language: str) -> dict[str, list[str]]:
    return {path: [p.text(language) for p in problems] for path, problems in errors.items()}


def refused_response(exc: Refused):
    """App-wide handler: JSON for the API, the error page for a browser."""
    if auth.wants_json():
        response = jsonify(error_body(exc))
        response.status_code = exc.status
        return response
    return render_template("shared/error.html", status=exc.status, code=exc.code,
                           message=exc.message(lang())), exc.status


def read_confirm_token(token: str) -> str:
    """The participant id a confirmation link names; ``LinkInvalid`` if tampered or expired."""
    settings = kit().settings
    return read_token(settings.secret_key, "confirm", token, settings.personal_link_max_age)


def link_problem(exc: LinkInvalid) -> Refused:
    """410 for an expired link (it was real), 400 for one that was altered or cut short."""
    if exc.expired:
        return Refused(Problem(
            "link_expired", "Link on aegunud. Palun võtke ühendust programmi koordinaatoriga, kes saadab uue.",
            "The link has expired. Please contact the programme coordinator, who will send you a new one."),
            status=410)
    return Refused(Problem(
        "link_invalid",
        "Link ei ole kehtiv: see on vigane või mittetäielik. Kontrollige, et kopeerisite e-kirjast kogu lingi.",
        "The link is not valid: it is damaged or incomplete. Check that you copied the whole link "
        "from the e-mail."), status=400)


# -- dates: stored in UTC, shown in Tallinn --------------------------------------------------------

def local_date(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%d.%m.%Y") if moment else ""


def local_datetime(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


def local_time(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%H:%M") if moment else ""
