"""docker-compose.yml is the production shape; no Docker engine runs here, so this is its proof."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

from shared.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES_BLOCK = COMPOSE["services"]


def env(name: str) -> dict:
    return SERVICES_BLOCK[name].get("environment", {})


def test_infrastructure_is_there_with_health_checks_and_volumes():
    for name in ("rabbitmq", "postgres", "mailpit", "gateway", "portal"):
        assert "healthcheck" in SERVICES_BLOCK[name], name
    assert "management" in SERVICES_BLOCK["rabbitmq"]["image"]
    assert set(COMPOSE["volumes"]) == {"rabbitmq-data", "postgres-data"}
    assert "rabbitmq-data:/var/lib/rabbitmq" in SERVICES_BLOCK["rabbitmq"]["volumes"]
    assert any(v.startswith("postgres-data:") for v in SERVICES_BLOCK["postgres"]["volumes"])


def test_every_service_has_a_web_and_a_worker_wired_to_its_own_database_and_the_broker():
    created = set(re.findall(r"CREATE DATABASE (\w+);", (ROOT / "deploy/postgres/init.sql").read_text()))
    for service in SERVICES:
        web, worker = SERVICES_BLOCK[f"{service}-web"], SERVICES_BLOCK[f"{service}-worker"]
        for container in (web, worker):
            variables = container["environment"]
            assert variables["BUS_URL"].startswith("amqp://") and "@rabbitmq:5672" in variables["BUS_URL"]
            database = variables[f"DATABASE_URL_{service.upper()}"]
            assert database.endswith(f"@postgres:5432/{service}")
            assert service in created
            assert "SECRET_KEY" in variables and "?" in variables["SECRET_KEY"]  # never a default secret
            assert container["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
            assert container["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert web["environment"]["SCRIPT_NAME"] == f"/{service}"
        assert "gunicorn" in web["command"] and f"'services.{service}.app:create_app()'" in web["command"]
        assert f"python -m services.{service} migrate" in web["command"]
        assert f"/{service}/healthz" in " ".join(web["healthcheck"]["test"])
        assert worker["command"] == f"python -m services.{service} worker"
        # the entry points the containers name exist
        assert callable(importlib.import_module(f"services.{service}.app").create_app)


def test_the_gateway_routes_every_service_and_the_mail_catcher_is_the_smtp_server():
    conf = (ROOT / "deploy/nginx/default.conf").read_text()
    for service in SERVICES:
        # every service behind the front door's session check (tests/gateway/test_nginx.py runs it)
        assert (f"location /{service}/ {{ auth_request /_auth/check; error_page 401 = @session_ended; "
                f"proxy_pass http://{service}; }}") in re.sub(r"\s+", " ", conf)
        assert f"server {service}-web:8000;" in conf
        assert SERVICES_BLOCK["gateway"]["depends_on"][f"{service}-web"]["condition"] == "service_healthy"
    assert env("enrolment-web")["SMTP_HOST"] == "mailpit"
    # the dashboard asks each service's web container for its summary
    assert env("portal")["SERVICE_URL_TEMPLATE"].format(service="billing") == "http://billing-web:8000/billing"
    assert "127.0.0.1:8025:8025" in SERVICES_BLOCK["mailpit"]["ports"]


def test_queue_settings_match_the_contract():
    from shared.messaging import topology
    args = topology.queue_arguments("billing", 20, on_rabbitmq=True)
    assert args == {"x-queue-type": "quorum", "x-delivery-limit": 20,
                    "x-dead-letter-exchange": "programme.events.dead",
                    "x-dead-letter-routing-key": "billing.events.dead"}
    assert topology.EXCHANGE == "programme.events"


def test_every_queue_is_declared_by_a_one_shot_step_before_any_web_or_worker_starts():
    """The relay publishes to a topic exchange: an event for a queue not yet declared is
    dropped. So `topology` runs to completion first (tests/bus/test_topology.py shows it on
    RabbitMQ)."""
    step = SERVICES_BLOCK["topology"]
    assert step["command"] == "python -m services topology"
    assert step["restart"] == "no"  # it exits when done; restarting it would never settle
    assert step["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    assert step["environment"]["BUS_URL"] == env("billing-worker")["BUS_URL"]
    for service in SERVICES:
        for container in (f"{service}-web", f"{service}-worker"):
            depends = SERVICES_BLOCK[container]["depends_on"]
            assert depends["topology"] == {"condition": "service_completed_successfully"}, container
    # the command's module exists and knows every service's subscriptions
    from services.__main__ import subscriptions
    assert set(subscriptions()) == set(SERVICES)
    assert "attendance.participant.dropped_out" in subscriptions()["billing"]


class _Reads(dict):
    """Settings.extra that notes every key read (non-empty: the config falls back on ``or {}``)."""

    def __init__(self, values: dict):
        super().__init__(values or {"_": None})
        self.read: list[str] = []

    def get(self, key, default=None):
        self.read.append(key)
        return super().get(key, default)


def test_compose_passes_every_billing_setting_with_the_codes_default():
    from types import SimpleNamespace

    from services.billing.config import BillingConfig

    defaults = _Reads({})
    in_code = BillingConfig.from_settings(SimpleNamespace(extra=defaults))
    for container in ("billing-web", "billing-worker"):
        variables = env(container)
        passed = {f"BILLING_{key.upper()}" for key in defaults.read}
        assert passed <= set(variables), passed - set(variables)
        # "${BILLING_CAP:-768.00}": what the container gets when the operator sets nothing
        unset = {name[len("BILLING_"):].lower(): re.fullmatch(r"\$\{\w+:-(.*)\}", str(value)).group(1)
                 for name, value in variables.items() if name.startswith("BILLING_")}
        assert BillingConfig.from_settings(SimpleNamespace(extra=_Reads(unset))) == in_code


def test_one_claim_cap_setting_feeds_the_billing_claim_and_the_conditions_members_confirm():
    for container in ("enrolment-web", "enrolment-worker", "billing-web", "billing-worker", "notify-web",
                      "notify-worker"):
        variables = env(container)
        assert {variables[name] for name in ("BILLING_CAP", "ENROLMENT_CLAIM_CAP", "NOTIFY_CLAIM_CAP")} == {
            "${CLAIM_CAP:-768.00}"}, container


def test_one_daily_rate_setting_feeds_billings_fallback_and_a_new_editions_default():
    for container in ("enrolment-web", "enrolment-worker"):
        assert env(container)["ENROLMENT_CLAIM_DAILY_RATE"] == "${BILLING_DAILY_RATE:-256.00}", container
    for container in ("billing-web", "billing-worker"):
        assert env(container)["BILLING_DAILY_RATE"] == "${BILLING_DAILY_RATE:-256.00}", container


def test_only_the_front_door_is_published_to_the_network():
    """Services are reached through nginx (which checks revoked sessions); the broker's and
    the mail catcher's UIs (every e-mail sent: personal data) only from the host itself."""
    published = {name: block["ports"] for name, block in SERVICES_BLOCK.items() if block.get("ports")}
    assert published.pop("gateway") == ["8080:80"]
    for name, ports in published.items():
        assert name in ("rabbitmq", "mailpit") and all(p.startswith("127.0.0.1:") for p in ports), (name, ports)
