"""Billing's own settings, from ``BILLING_*`` environment variables (``Settings.extra``).

Defaults follow DOMAIN.md (Dropout cost recovery): €256.00 per day held, capped at €768.00
incl. VAT, invoices due in 14 days, VAT applies, a claim's invoice issued within 7 days of the
supply (VAT Act § 37; the claim pages and the dashboard warn). The seller details print on every
invoice (VAT Act § 37), so production must set them; the defaults are placeholders that only make
embedded mode work. Running in production shape (PostgreSQL or RabbitMQ) with a placeholder
seller name, registry code or VAT number, billing starts (claims are still proposed) but
refuses to issue invoices, with a 409 naming the settings to set.

    BILLING_SELLER_NAME, _ADDRESS, _REGISTRY_CODE, _VAT_NUMBER, _IBAN, _BANK, _EMAIL
    BILLING_DAILY_RATE=256.00  BILLING_CAP=768.00   (only where the dropout's edition states no policy
                                                    of its own: enrolment.edition.published carries it)
    BILLING_DUE_DAYS=14  BILLING_VAT_APPLIES=true   (only where the claim's edition does not say: its
                                                    vat_applies in enrolment.edition.published wins)
    BILLING_ISSUE_DAYS=7   (days from the supply to issue the invoice by)
    BILLING_VAT_RATES=2009-07-01=20,2024-01-01=22,2025-07-01=24
    BILLING_INVOICE_SERIES=PO  BILLING_CREDIT_NOTE_SERIES=KR
    BILLING_REMINDER_STAGES=due_soon:-3,overdue:1,final_notice:14   (days from the due date)
    BILLING_INVOICE_LINK_DAYS=365   (the employer's PDF link of a paid or credited invoice opens until
                                    this many days after the settlement; an open invoice's link lives
                                    personal_link_max_age, 60 days, like every personal link: each
                                    reminder brings a fresh one)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from services.billing.domain.claims import CLAIM_CAP, DAILY_RATE, ISSUE_WITHIN_DAYS
from services.billing.domain.vat import STANDARD_RATES, RatePeriod, rate_table_from_rows
from shared.config import Settings

_SERIES = re.compile(r"^[A-Z0-9]{1,10}$")
_STAGE = re.compile(r"^[a-z_]{1,30}$")
# A settled invoice's PDF link: the employer's bookkeeping may want the copy long after the
# last e-mail (none follows a payment or a credit note).
INVOICE_LINK_DAYS = 365


# The defaults of the seller's § 37 particulars: fine for a trial, never on a real invoice.
PLACEHOLDER_SELLER = {
    "name": "MTÜ Koosloome Arenduskeskus",
    "address": "Narva mnt 7, 10117 Tallinn",
    "registry_code": "80000008",
    "vat_number": "EE100000001",
    "iban": "EE382200221020145685",
    "bank": "Swedbank",
    "email": "arved@example.ee",
}
# Those a production invoice must not print as the placeholder (or empty).
REQUIRED_SELLER = ("name", "registry_code", "vat_number")


def production_shape(settings: Settings) -> bool:
    """PostgreSQL or RabbitMQ: not the embedded trial on SQLite files."""
    return settings.on_rabbitmq or not settings.database_url.startswith("sqlite")


class ConfigError(ValueError):
    """A BILLING_* setting that cannot be used; raised at start-up, not on the first invoice."""


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    registry_code: str
    vat_number: str
    iban: str
    bank: str
    email: str


@dataclass(frozen=True)
class ReminderStage:
    name: str
    offset_days: int  # reached on due_date + offset_days (negative: before the due date)


@dataclass(frozen=True)
class BillingConfig:
    seller: Seller
    daily_rate: Decimal
    cap: Decimal
    due_days: int
    vat_applies: bool
    vat_rates: tuple[RatePeriod, ...]
    invoice_series: str
    credit_note_series: str
    reminder_stages: tuple[ReminderStage, ...]
    issue_days: int = ISSUE_WITHIN_DAYS
    invoice_link_days: int = INVOICE_LINK_DAYS
    currency: str = "EUR"

    def placeholder_seller_settings(self) -> list[str]:
        """The BILLING_SELLER_* settings still at their placeholder (or empty)."""
        return [f"BILLING_SELLER_{key.upper()}" for key in REQUIRED_SELLER
                if getattr(self.seller, key) in ("", PLACEHOLDER_SELLER[key])]

    @classmethod
    def from_settings(cls, settings: Settings) -> BillingConfig:
        extra = settings.extra or {}

        def text(key: str, default: str) -> str:
            return str(extra.get(key, default)).strip()

        seller = Seller(**{key: text(f"seller_{key}", default) for key, default in PLACEHOLDER_SELLER.items()})
        seller = replace(seller, iban=seller.iban.replace(" ", ""))
        return cls(
            seller=seller,
            daily_rate=_money(text("daily_rate", str(DAILY_RATE)), "BILLING_DAILY_RATE"),
            cap=_money(text("cap", str(CLAIM_CAP)), "BILLING_CAP"),
            due_days=_int(text("due_days", "14"), "BILLING_DUE_DAYS", minimum=0),
            vat_applies=_bool(text("vat_applies", "true"), "BILLING_VAT_APPLIES"),
            vat_rates=_rates(extra.get("vat_rates")),
            invoice_series=_series(text("invoice_series", "PO"), "BILLING_INVOICE_SERIES"),
            credit_note_series=_series(text("credit_note_series", "KR"), "BILLING_CREDIT_NOTE_SERIES"),
            reminder_stages=_stages(text("reminder_stages", "due_soon:-3,overdue:1,final_notice:14")),
            issue_days=_int(text("issue_days", str(ISSUE_WITHIN_DAYS)), "BILLING_ISSUE_DAYS", minimum=0),
            invoice_link_days=_int(text("invoice_link_days", str(INVOICE_LINK_DAYS)), "BILLING_INVOICE_LINK_DAYS",
                                   minimum=0),
        )


def _money(value: str, name: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{name}: {value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ConfigError(f"{name}: {value!r} must be a non-negative amount in cents")
    return amount.quantize(Decimal("0.01"))


def _int(value: str, name: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}")
    return number


def _bool(value: str, name: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on", "jah"):
        return True
    if lowered in ("0", "false", "no", "off", "ei"):
        return False
    raise ConfigError(f"{name}: {value!r} is not true/false")


def _series(value: str, name: str) -> str:
    if not _SERIES.fullmatch(value):
        raise ConfigError(f"{name}: {value!r} must be 1–10 capital letters or digits")
    return value


def _rates(value: object) -> tuple[RatePeriod, ...]:
    if value is None or not str(value).strip():
        return STANDARD_RATES
    rows = []
    for item in str(value).split(","):
        day, _, rate = item.strip().partition("=")
        rows.append((day.strip(), rate.strip()))
    try:
        return rate_table_from_rows(rows)
    except ValueError as exc:
        raise ConfigError(f"BILLING_VAT_RATES: {exc}") from None


def _stages(value: str) -> tuple[ReminderStage, ...]:
    stages = []
    for item in value.split(","):
        name, _, offset = item.strip().partition(":")
        if not _STAGE.fullmatch(name):
            raise ConfigError(f"BILLING_REMINDER_STAGES: bad stage name {name!r}")
        stages.append(ReminderStage(name, _int(offset.strip(), "BILLING_REMINDER_STAGES", minimum=-60)))
    stages.sort(key=lambda stage: stage.offset_days)
    if len({stage.name for stage in stages}) != len(stages) or not stages:
        raise ConfigError("BILLING_REMINDER_STAGES: stage names must be unique and at least one given")
    return tuple(stages)
