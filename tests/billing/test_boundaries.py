"""Billing stands alone: no other service's code, settings checked at start-up."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import services.billing
from services.billing.app import bootstrap
from services.billing.config import BillingConfig, ConfigError
from shared.config import Settings

BILLING = Path(services.billing.__file__).parent


def test_billing_imports_no_other_service():
    for path in BILLING.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                parts = name.split(".")
                assert not (parts[0] == "services" and len(parts) > 1 and parts[1] != "billing"), (path, name)


def test_the_queue_is_bound_to_the_events_billing_handles(tmp_path):
    kit = bootstrap(Settings.from_env("billing", database_url=f"sqlite:///{tmp_path}/b.sqlite",
                                      bus_url=f"sqlite-bus:///{tmp_path}/bus.sqlite"))
    assert {"attendance.participant.dropped_out", "attendance.participant.reinstated"} <= set(kit.handlers)
    assert kit.ticks


def settings(**extra) -> Settings:
    return Settings.from_env("billing", database_url="sqlite://", bus_url="memory://", extra=extra)


def test_defaults_follow_the_domain():
    config = BillingConfig.from_settings(settings())
    assert (str(config.daily_rate), str(config.cap), config.due_days, config.vat_applies) == (
        "256.00", "768.00", 14, True)
    assert (config.invoice_series, config.credit_note_series) == ("PO", "KR")
    assert [s.name for s in config.reminder_stages] == ["due_soon", "overdue", "final_notice"]


def test_settings_come_from_billing_environment_variables(monkeypatch):
    monkeypatch.setenv("BILLING_DAILY_RATE", "200.00")
    monkeypatch.setenv("BILLING_SELLER_NAME", "MTÜ Näide")
    monkeypatch.setenv("BILLING_VAT_RATES", "2009-07-01=20,2030-01-01=25")
    config = BillingConfig.from_settings(Settings.from_env("billing", database_url="sqlite://", bus_url="memory://"))
    assert str(config.daily_rate) == "200.00"
    assert config.seller.name == "MTÜ Näide"
    assert [str(p.rate) for p in config.vat_rates] == ["20", "25"]


@pytest.mark.parametrize("extra", [{"daily_rate": "abc"}, {"cap": "-1"}, {"cap": "1.005"}, {"due_days": "-2"},
                                   {"vat_applies": "maybe"}, {"invoice_series": "po/2019"},
                                   {"vat_rates": "yesterday=20"}, {"reminder_stages": "Overdue:x"}])
def test_a_bad_setting_stops_the_service_at_start_up(extra):
    with pytest.raises(ConfigError):
        BillingConfig.from_settings(settings(**extra))
