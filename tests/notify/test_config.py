"""Notify's settings come from the environment (or NOTIFY_* settings), never from code."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.notify.config import ConfigError, NotifyConfig
from services.notify.mail.backends import FileBackend, SmtpBackend
from shared.config import Settings, var_dir


def settings(**extra) -> Settings:
    return Settings.from_env("notify", database_url="sqlite://", bus_url="memory://", extra=extra)


def test_without_an_smtp_host_mail_goes_to_files_under_var_mail():
    config = NotifyConfig.from_settings(settings(), environ={})
    assert config.smtp is None
    backend = config.backend()
    assert isinstance(backend, FileBackend) and backend.directory == var_dir() / "mail"


def test_smtp_from_the_environment_with_starttls_and_credentials():
    env = {"SMTP_HOST": "smtp.example.ee", "SMTP_PORT": "587", "SMTP_SECURITY": "starttls",
           "SMTP_USERNAME": "programm", "SMTP_PASSWORD": "s3cret", "MAIL_FROM": "programm@example.ee",
           "MAIL_FROM_NAME": "Arenguprogramm"}
    config = NotifyConfig.from_settings(settings(), environ=env)
    backend = config.backend()
    assert isinstance(backend, SmtpBackend)
    assert (backend.host, backend.port, backend.security, backend.username) == (
        "smtp.example.ee", 587, "starttls", "programm")
    assert (config.mail_from, config.mail_from_name) == ("programm@example.ee", "Arenguprogramm")
    assert "s3cret" not in repr(config) and "s3cret" not in repr(backend)


def test_notify_prefixed_settings_win_and_lead_times_are_configurable():
    config = NotifyConfig.from_settings(settings(smtp_host="127.0.0.1", smtp_port="2525", deadline_lead_days="10,3,1",
                                                 session_lead_days="2", tick_seconds="1"),
                                        environ={"SMTP_HOST": "elsewhere.example.ee"})
    assert (config.smtp.host, config.smtp.port, config.smtp.security) == ("127.0.0.1", 2525, "none")
    assert config.reminders.deadline_lead_days == (10, 3, 1)
    assert config.reminders.session_lead == timedelta(days=2)
    assert config.tick_seconds == 1


@pytest.mark.parametrize("extra", [{"smtp_host": "x", "smtp_security": "ssl"}, {"smtp_host": "x", "smtp_port": "abc"},
                                   {"mail_backend": "pigeon"}, {"deadline_lead_days": "7,-1"},
                                   {"claim_cap": "lots"}])
def test_a_bad_setting_fails_at_start_up(extra):
    with pytest.raises(ConfigError):
        NotifyConfig.from_settings(settings(**extra), environ={})


def test_credentials_in_clear_to_a_remote_host_are_refused_at_start_up():
    config = NotifyConfig.from_settings(settings(smtp_host="smtp.example.ee", smtp_username="u",
                                                 smtp_password="p"), environ={})
    with pytest.raises(ValueError, match="without TLS"):
        config.backend()


def test_the_worker_ticks_every_few_seconds(embedded_stack):
    h = embedded_stack.harness("notify")
    try:
        assert h.kit.tick_interval == 5
    finally:
        h.close()


def test_a_shorter_platform_tick_interval_is_kept():
    config = NotifyConfig.from_settings(Settings.from_env("notify", database_url="sqlite://", bus_url="memory://",
                                                          tick_interval=0.5, extra={}), environ={})
    assert config.tick_seconds == 0.5


def test_without_a_contact_name_each_email_signs_as_the_coordinator_in_its_own_language(notify, smtp):
    """The default was the Estonian "Programmi koordinaator", also under English e-mails."""
    from tests.notify import data
    assert NotifyConfig.from_settings(settings(), environ={}).contact_name == ""
    data.at(2019, 2, 1, 12, 0)
    h = notify(contact_name="")
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.tick()
    estonian, = smtp.to("liige1@tori.ee")
    english, = smtp.to("liige2@tori.ee")
    assert "Parimate soovidega\nProgrammi koordinaator\n" in estonian.text.replace("\r\n", "\n")
    assert "Kind regards,\nProgramme coordinator\n" in english.text.replace("\r\n", "\n")
    assert "koordinaator" not in english.text and "koordinaator" not in english.html
    assert "Programme coordinator<br>" in english.html
