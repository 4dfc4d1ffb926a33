"""Notify's settings: the mail backend, the sender, the signature and the reminder lead times.

Read from the environment, never from code. SMTP keeps the names every mail tool knows
(``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_SECURITY`` none|starttls|tls, ``SMTP_USERNAME``,
``SMTP_PASSWORD``, ``MAIL_FROM``, ``MAIL_FROM_NAME``); each may also be given with the
service prefix (``NOTIFY_SMTP_HOST`` …, i.e. ``Settings.extra``), which wins, so tests
and multi-service hosts can configure notify alone. Without an SMTP host, mail goes to
``.eml`` files under ``var/mail/`` (embedded mode).

    NOTIFY_CONTACT_NAME, NOTIFY_CONTACT_EMAIL    the coordinator named in every signature (no name set:
                                                  "Programmi koordinaator" / "Programme coordinator",
                                                  in the e-mail's language)
    NOTIFY_DEADLINE_LEAD_DAYS=7,1                 application deadline reminders
    NOTIFY_SESSION_LEAD_DAYS=3                    session reminders
    NOTIFY_ESF_LEAD_DAYS=3  NOTIFY_ESF_MIN_GAP_DAYS=3  the ESF data reminder: before reporting's
                                                  deadline, not sooner than this after the request
    NOTIFY_CLAIM_CAP=768.00                       quoted in the confirmation request only when the
                                                  member's edition states no cap of its own (an older
                                                  enrolment.edition.published); otherwise it quotes the
                                                  edition's, as enrolment's conditions do. The dropout
                                                  notice quotes billing's cap from
                                                  billing.claim.proposed/waived
    NOTIFY_TICK_SECONDS (default: TICK_INTERVAL, at most 5)  NOTIFY_SEND_LEASE_SECONDS=300  NOTIFY_MAIL_DIR  NOTIFY_MAIL_BACKEND=smtp|file
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from services.notify.domain.schedule import ReminderSettings
from services.notify.mail.backends import SECURITY_MODES, FileBackend, SmtpBackend
from shared.config import Settings, var_dir


class ConfigError(ValueError):
    """A setting notify cannot use; raised at start-up rather than on the first e-mail."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    timeout: float

    def __repr__(self) -> str:  # never the password, even in a log line
        return f"SmtpConfig({self.host}:{self.port}, security={self.security}, user={self.username!r})"


@dataclass(frozen=True)
class NotifyConfig:
    mail_from: str
    mail_from_name: str
    contact_name: str
    contact_email: str
    smtp: SmtpConfig | None
    mail_dir: Path
    reminders: ReminderSettings
    claim_cap: Decimal
    tick_seconds: float
    send_lease: timedelta
    base_url: str
    secret_key: str

    @classmethod
    def from_settings(cls, settings: Settings, environ: dict | None = None) -> NotifyConfig:
        env = os.environ if environ is None else environ
        extra = settings.extra or {}

        def value(key: str, default: str = "") -> str:
            # NOTIFY_<KEY> (Settings.extra) first, then the plain <KEY> every mail tool uses.
            found = extra.get(key.lower())
            if found is None:
                found = env.get(key.upper())
            return default if found is None else str(found).strip()

        mail_from = value("mail_from", "programm@example.ee")
        backend = value("mail_backend", "smtp" if value("smtp_host") else "file")
        smtp = None
        if backend == "smtp":
            if not value("smtp_host"):
                raise ConfigError("NOTIFY_MAIL_BACKEND=smtp needs SMTP_HOST")
            security = value("smtp_security", "none").lower()
            if security not in SECURITY_MODES:
                raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}")
            smtp = SmtpConfig(
                host=value("smtp_host"),
                port=_int(value("smtp_port", "465" if security == "tls" else "587" if security == "starttls"
                                else "25"), "SMTP_PORT"),
                security=security,
                username=value("smtp_username") or None,
                password=value("smtp_password") or None,
                timeout=float(_int(value("smtp_timeout", "10"), "SMTP_TIMEOUT")),
            )
        elif backend != "file":
            raise ConfigError("NOTIFY_MAIL_BACKEND must be smtp or file")
        reminders = ReminderSettings(
            deadline_lead_days=tuple(_int(part, "NOTIFY_DEADLINE_LEAD_DAYS")
                                     for part in value("deadline_lead_days", "7,1").split(",") if part.strip()),
            session_lead=timedelta(days=_int(value("session_lead_days", "3"), "NOTIFY_SESSION_LEAD_DAYS")),
            esf_lead=timedelta(days=_int(value("esf_lead_days", "3"), "NOTIFY_ESF_LEAD_DAYS")),
            esf_min_gap=timedelta(days=_int(value("esf_min_gap_days", "3"), "NOTIFY_ESF_MIN_GAP_DAYS")),
        )
        try:
            claim_cap = Decimal(value("claim_cap", "768.00")).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ConfigError("NOTIFY_CLAIM_CAP must be an amount like 768.00") from None
        return cls(
            mail_from=mail_from,
            mail_from_name=value("mail_from_name", "Koosloome arenguprogramm"),
            # Unset: the signature says "Programmi koordinaator" / "Programme coordinator" in the
            # e-mail's own language (the layouts), not an Estonian default in English e-mails.
            contact_name=value("contact_name"),
            contact_email=value("contact_email", mail_from),
            smtp=smtp,
            mail_dir=Path(value("mail_dir") or var_dir() / "mail"),
            reminders=reminders,
            claim_cap=claim_cap,
            # E-mails leave within a tick of their event: every few seconds, or the platform's
            # TICK_INTERVAL when that is shorter (system tests run it at 0.5 s).
            tick_seconds=_seconds(value("tick_seconds"), "NOTIFY_TICK_SECONDS")
            if value("tick_seconds") else min(settings.tick_interval, 5.0),
            send_lease=timedelta(seconds=_int(value("send_lease_seconds", "300"), "NOTIFY_SEND_LEASE_SECONDS")),
            base_url=settings.base_url,
            secret_key=settings.secret_key,
        )

    def backend(self) -> SmtpBackend | FileBackend:
        if self.smtp is None:
            return FileBackend(self.mail_dir)
        s = self.smtp
        return SmtpBackend(s.host, s.port, s.security, s.username, s.password, timeout=s.timeout)

    @property
    def backend_name(self) -> str:
        return f"SMTP {self.smtp.host}:{self.smtp.port}" if self.smtp else f"files in {self.mail_dir}"


def _int(text: str, name: str) -> int:
    try:
        number = int(str(text).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if number < 0:
        raise ConfigError(f"{name} cannot be negative")
    return number


def _seconds(text: str, name: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None
    if not number > 0:
        raise ConfigError(f"{name} must be more than 0")
    return number
