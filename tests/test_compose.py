"""docker-compose.yml is the production shape; no Docker engine runs here, so this is its proof."""
from __future__ import annotations

import importlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
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
    # only notify sends mail (and only its containers hold an SMTP password)
    for container in ("notify-web", "notify-worker"):
        assert container_env(container)["SMTP_HOST"] == "mailpit" and container_env(container)["SMTP_PORT"] == "1025"
    assert not any(name.startswith("SMTP_") for container in APP_CONTAINERS if not container.startswith("notify-")
                   for name in env(container))
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


# --- The settings: what the code reads, compose passes on (with the code's own defaults) ------

REQUIRED = {"SECRET_KEY": "k" * 48, "POSTGRES_PASSWORD": "pg-password", "RABBITMQ_PASSWORD": "mq-password"}
APP_CONTAINERS = sorted(name for name, block in SERVICES_BLOCK.items() if "build" in block)
# Read by the code but deliberately not passed by compose, and why.
NOT_PASSED = {
    "CLOCK_FILE": "the tests' and the demo's clock: production runs on the real time",
    "VAR_DIR": "the Dockerfile sets it; with SECRET_KEY and SMTP set, production keeps nothing there",
    "DATABASE_URL_GATEWAY": "Settings.from_env('gateway') asks; the gateway's one database is DATABASE_URL_ACCOUNTS",
    "NOTIFY_MAIL_BACKEND": "embedded mode's .eml files; with SMTP_HOST set notify sends by SMTP",
    "NOTIFY_MAIL_DIR": "embedded mode's .eml files; with SMTP_HOST set notify sends by SMTP",
    "STAFF_PASSWORD": "the account commands' input (docker compose exec portal python -m gateway set-password)",
    "LOCAL_POSTGRES": "make services only (gateway/local.py)",
}
# Read by what the container runs besides our code.
READ_ELSEWHERE = {"SCRIPT_NAME": "gunicorn mounts the app under /<service>"}


def interpolate(text: str, environ: dict) -> str:
    """Compose's ${NAME}, ${NAME:-default} (nested too) and ${NAME:?error}: what a container gets."""
    out, i = [], 0
    while (start := text.find("${", i)) != -1:
        out.append(text[i:start])
        depth, end = 0, start
        while True:  # the matching brace, past any nested ${…}
            if text.startswith("${", end):
                depth, end = depth + 1, end + 2
                continue
            if text[end] == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        name, op, rest = re.fullmatch(r"(\w+)(?:(:-|:\?)(.*))?", text[start + 2:end], re.S).groups()
        value = environ.get(name) or None
        if value is None and op == ":?":
            raise LookupError(f"{name}: {rest}")
        out.append(value if value is not None else interpolate(rest or "", environ))
        i = end + 1
    return "".join(out) + text[i:]


def container_env(name: str, environ: dict | None = None) -> dict[str, str]:
    return {key: interpolate(str(value), REQUIRED if environ is None else environ)
            for key, value in env(name).items()}


class _Environ(dict):
    """os.environ that notes every name our own code (shared/, services/, gateway/) reads."""

    OURS = tuple(str(ROOT / folder) for folder in ("shared", "services", "gateway"))

    def __init__(self, values: dict):
        super().__init__(values)
        self.read: set[str] = set()

    def _note(self, key):
        if sys._getframe(2).f_code.co_filename.startswith(self.OURS):
            self.read.add(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class _Extra(dict):
    """Settings.extra that notes each ``<SERVICE>_<KEY>`` read (non-empty: configs use ``or {}``)."""

    def __init__(self, values: dict, prefix: str, environ: _Environ):
        super().__init__(values or {"_": None})
        self.prefix, self.environ = prefix, environ

    def get(self, key, default=None):
        self.environ.read.add(self.prefix + key.upper())
        return super().get(key, default)


def _static_reads(folders) -> set[str]:
    """Names read later than start-up (in a request, a tick): literal ``environ.get("NAME")``
    and ``settings.extra.get("key")`` (as ``<SERVICE>_KEY``) in the code."""
    names = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if "shared/testing" in path.as_posix() or "/migrations/" in path.as_posix():
                continue
            text = path.read_text(encoding="utf-8")
            names |= set(re.findall(r"environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
            if folder.startswith("services/"):
                prefix = folder.split("/")[1].upper()
                names |= {f"{prefix}_{key.upper()}" for key in re.findall(r"extra\.get\(\s*\"(\w+)\"", text)}
    return names


def reads(container: str, monkeypatch) -> set[str]:
    """Every environment variable the container's process reads, run on the container's own
    environment: bootstrap and create_app of its service (the gateway's for the portal,
    every service's bus settings for the topology step), and the reads made later."""
    from dataclasses import replace

    from shared.config import Settings
    recorder = _Environ(container_env(container))
    monkeypatch.setattr(os, "environ", recorder)
    try:
        if container == "portal":
            from gateway.app import create_app
            create_app()
            folders = ("shared", "gateway")
        elif container == "topology":
            for service in SERVICES:
                Settings.from_env(service)
            folders = ()
        else:
            service = "reporting" if container == "anonymise-due" else container.rsplit("-", 1)[0]
            module = importlib.import_module(f"services.{service}.app")
            settings = Settings.from_env(service)
            kit = module.bootstrap(replace(settings, extra=_Extra(settings.extra, f"{service.upper()}_", recorder)))
            module.create_app(kit=kit)
            folders = ("shared", f"services/{service}")
    finally:
        monkeypatch.undo()
    return recorder.read | _static_reads(folders)


def _given(name: str, container: str, passed: set[str]) -> bool:
    """notify reads NOTIFY_<KEY> and, failing that, the plain <KEY> (SMTP_HOST, MAIL_FROM …):
    either one passed satisfies both."""
    service = container.rsplit("-", 1)[0].upper() + "_"
    names = {name, name[len(service):] if name.startswith(service) else service + name}
    return bool(names & (passed | set(NOT_PASSED)))


def test_every_setting_a_container_reads_is_passed_by_compose(monkeypatch):
    """An operator's .env reaches a container only through its `environment:`: a setting the
    code reads that compose does not pass can never be set in production (the coordinator
    every e-mail names, the privacy contact, the bus's limits, an SMTP relay's password …)."""
    missing = {}
    for container in APP_CONTAINERS:
        passed = set(env(container))
        absent = sorted(name for name in reads(container, monkeypatch) if not _given(name, container, passed))
        if absent:
            missing[container] = absent
    assert not missing


def test_every_setting_compose_passes_is_one_the_code_reads(monkeypatch):
    """No misspelt name (a setting that silently does nothing)."""
    read = set().union(*(reads(container, monkeypatch) for container in APP_CONTAINERS))
    unread = {container: sorted(name for name in env(container)
                                if name not in READ_ELSEWHERE and not _given(name, container, read))
              for container in APP_CONTAINERS}
    assert not {container: names for container, names in unread.items() if names}


def test_compose_defaults_are_the_codes_defaults(monkeypatch):
    """With nothing but the required secrets set, each container runs as the code would with
    nothing set, but for what compose sets on purpose (the servers, the proxy in front, SMTP)."""
    from dataclasses import asdict

    from services.enrolment import config as enrolment_config
    from services.notify.config import NotifyConfig
    from shared.config import Settings
    on_purpose = {"database_url", "bus_url", "secret_key", "base_url", "rate_limit_proxy_hops", "extra"}
    for container in APP_CONTAINERS:
        service = {"portal": "gateway", "topology": "billing", "anonymise-due": "reporting"}.get(
            container, container.rsplit("-", 1)[0])
        monkeypatch.setattr(os, "environ", container_env(container))
        composed = Settings.from_env(service)
        monkeypatch.setattr(os, "environ", {"VAR_DIR": str(ROOT / "var"), "SECRET_KEY": REQUIRED["SECRET_KEY"]})
        bare = Settings.from_env(service)
        monkeypatch.undo()
        differ = {key for key, value in asdict(composed).items() if asdict(bare)[key] != value}
        assert differ <= on_purpose, (container, differ - on_purpose)
        assert composed.rate_limit_proxy_hops == 1  # nginx in front
        if service == "enrolment":
            assert enrolment_config.claim_cap(composed) == enrolment_config.DEFAULT_CLAIM_CAP
            assert enrolment_config.claim_daily_rate(composed) == enrolment_config.DEFAULT_CLAIM_DAILY_RATE
        if service == "notify":
            mail = {"SMTP_HOST": "mailpit", "SMTP_PORT": "1025"}
            got = asdict(NotifyConfig.from_settings(composed, environ=container_env(container)))
            code = asdict(NotifyConfig.from_settings(bare, environ=mail))
            for field in ("smtp", "base_url", "secret_key", "mail_dir"):
                got.pop(field), code.pop(field)
            assert got == code, container
        if service == "reporting":
            assert not composed.extra.get("privacy_contact")  # the form's own wording


def test_passwords_and_the_secret_key_are_required_with_a_clear_error():
    """No password has a default in compose: `docker compose up` without them stops with
    compose's 'required variable … is missing a value: set … (deploy/env.example)'."""
    text = (ROOT / "docker-compose.yml").read_text()
    for name in REQUIRED:
        uses = re.findall(rf"\$\{{{name}(:[-?][^}}]*)?\}}", text)
        assert uses and all(use == f":?set {name} (deploy/env.example)" for use in uses), (name, uses)
    assert "POSTGRES_PASSWORD" in env("postgres")["POSTGRES_PASSWORD"]
    assert "RABBITMQ_PASSWORD" in env("rabbitmq")["RABBITMQ_DEFAULT_PASS"]
    for container in APP_CONTAINERS + ["postgres", "rabbitmq"]:
        for name in REQUIRED:
            if any(name in str(value) for value in env(container).values()):
                with pytest.raises(LookupError, match=name):
                    container_env(container, {key: value for key, value in REQUIRED.items() if key != name})
    example = (ROOT / "deploy/env.example").read_text()
    assert all(re.search(rf"^{name}=$", example, re.M) for name in REQUIRED)


# --- The web containers' process -----------------------------------------------------------

def test_gunicorn_is_the_web_containers_process_with_the_deploy_settings():
    """`sh -c "migrate && exec gunicorn"`: without exec, sh stays PID 1, ignores docker stop's
    SIGTERM and gunicorn is killed after the grace period instead of finishing its requests."""
    webs = ["portal"] + [f"{service}-web" for service in SERVICES]
    for web in webs:
        command = SERVICES_BLOCK[web]["command"]
        assert re.fullmatch(r"sh -c \"python -m [\w.]+ migrate && exec gunicorn -c deploy/gunicorn.conf.py "
                            r"-b 0\.0\.0\.0:8000 -w 2 '[\w.]+:create_app\(\)'\"", command), web
    assert "COPY deploy/gunicorn.conf.py deploy/gunicorn.conf.py" in (ROOT / "Dockerfile").read_text()


def test_gunicorn_writes_its_own_lines_as_json_like_the_services(tmp_path):
    """One JSON object a line from every container (shared/observability.py); no control
    socket in a home the image's user does not have; no second access log behind nginx."""
    (tmp_path / "tiny.py").write_text(
        "import logging\n"
        "from shared.observability import configure_logging\n"
        "logging.getLogger('tiny').warning('before configure_logging')  # as billing's bootstrap does\n"
        "configure_logging()\n"
        "logging.getLogger('tiny').warning('after it')\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n    return [b'ok']\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"), "-b", f"127.0.0.1:{port}",
         "-w", "1", "tiny:app"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path / "no-home"), "PYTHONPATH": f"{tmp_path}:{ROOT}",
             "PYTHONDONTWRITEBYTECODE": "1"})  # as the image: no __pycache__ beside deploy/
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                assert urllib.request.urlopen(f"http://127.0.0.1:{port}/p/some-token", timeout=2).read() == b"ok"
                break
            except OSError:
                time.sleep(0.2)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    lines = err.splitlines()
    assert any("Booting worker" in line for line in lines), err
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert {entry["logger"] for entry in entries} == {"gunicorn.error", "tiny"}
    assert [entry["message"] for entry in entries if entry["logger"] == "tiny"] == [
        "before configure_logging", "after it"]  # each once
    assert not any("ontrol socket" in entry["message"] for entry in entries)
    assert "some-token" not in out + err and not (tmp_path / "no-home").exists()


# --- The retention job --------------------------------------------------------------------

def test_the_retention_job_has_a_scheduled_way_to_run():
    """`python -m services.reporting anonymise-due` is irreversible, so no worker runs it: a
    compose service only `docker compose run` starts, and the host's cron line that does."""
    job = SERVICES_BLOCK["anonymise-due"]
    assert job["entrypoint"] == ["python", "-m", "services.reporting", "anonymise-due"]
    assert job["profiles"] == ["jobs"] and job["restart"] == "no"  # `up` never starts it
    assert job["environment"] == env("reporting-worker")  # reporting's database and settings
    assert job["depends_on"]["reporting-web"] == {"condition": "service_healthy"}  # migrated first
    from services.reporting.entrypoints.cli import COMMANDS
    assert "anonymise-due" in COMMANDS
    cron = [line for line in (ROOT / "deploy/cron/programme-office").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert len(cron) == 1 and re.match(r"^\S+\s+\S+\s+\*\s+\*\s+\*\s+root\s+cd \S+ && "
                                       r"docker compose run --rm -T anonymise-due ", cron[0]), cron


# --- Health checks ------------------------------------------------------------------------

def test_every_long_running_container_has_a_health_check():
    """`docker compose ps` shows a stuck container and `depends_on: service_healthy` can wait
    for one: everything but the one-shot steps (topology, the retention job) has a check."""
    one_shot = {name for name, block in SERVICES_BLOCK.items() if block.get("restart") == "no"}
    assert one_shot == {"topology", "anonymise-due"}
    long_running = set(SERVICES_BLOCK) - one_shot
    assert {f"{service}-worker" for service in SERVICES} <= long_running
    for name in long_running:
        check = SERVICES_BLOCK[name].get("healthcheck", {})
        assert check.get("test", ["NONE"])[0] == "CMD", name
        assert not {"true", "/bin/true", "exit 0"} & set(check["test"]), name  # a check that can fail
    for service in SERVICES:
        check = SERVICES_BLOCK[f"{service}-worker"]["healthcheck"]
        assert check["test"] == ["CMD", "python", "-m", "shared.heartbeat", service]
        # a loop counts as stuck after a minute at the least: the check's retries come on top
        assert check["retries"] >= 3 and check.get("start_period")


def _health(container: str, var_dir: Path) -> subprocess.CompletedProcess:
    """The container's health check as docker runs it (the image's VAR_DIR is var_dir)."""
    test = SERVICES_BLOCK[container]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    return subprocess.run([sys.executable, *test[2:]], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "VAR_DIR": str(var_dir)})


def test_a_workers_health_check_passes_while_its_command_runs_and_fails_without_it(tmp_path):
    """The worker container's own command, in embedded mode (SQLite, the embedded bus) under
    a VAR_DIR of its own, and its health check: failing before it runs, passing while its
    loops work, failing on the heartbeats it left once they are old."""
    container = "attendance-worker"
    assert _health(container, tmp_path).returncode == 1
    worker = subprocess.Popen(
        [sys.executable, *SERVICES_BLOCK[container]["command"].split()[1:]], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        deadline = time.monotonic() + 60
        while (result := _health(container, tmp_path)).returncode != 0:
            assert worker.poll() is None, worker.communicate()[1]
            assert time.monotonic() < deadline, result.stderr
            time.sleep(0.5)
        assert "attendance: consume, relay, tick beating" in result.stdout
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # gone: its last heartbeats age past what each loop allows
    two_hours_ago = time.time() - 7200
    for beat in (tmp_path / "heartbeat").glob("attendance.*"):
        os.utime(beat, (two_hours_ago, two_hours_ago))
    stale = _health(container, tmp_path)
    assert stale.returncode == 1 and stale.stderr.count("last heartbeat") == 3
