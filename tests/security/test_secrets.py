"""Secrets come from the environment only: none sits in the code or the deployment files.

The source scan looks for what a secret in code looks like — a secret-named variable,
argument, dict key or environment default given a string literal, or a URL with a
password in it. Each exception is listed with its reason; anything new fails the test.
"""
from __future__ import annotations

import re
import stat
from pathlib import Path

import yaml

from shared.config import PROJECT_ROOT, Settings

SECRET_NAME = r"\w*(?:secret|passw(?:or)?d|api_?key|token|credential)\w*"
PATTERNS = {
    "assignment": re.compile(rf"(?i)\b{SECRET_NAME}\s*(?::\s*[\w\[\]|. ]+)?=\s*[rbuf]?[\"'][^\"']{{3,}}[\"']"),
    "dict entry": re.compile(rf"(?i)[\"']{SECRET_NAME}[\"']\s*:\s*[rbuf]?[\"'][^\"']{{3,}}[\"']"),
    "environment default": re.compile(
        rf"(?i)(?:environ\.get|getenv|environ\.setdefault)\(\s*[\"']{SECRET_NAME}[\"']\s*,\s*[\"'][^\"']+[\"']"),
    "password in a URL": re.compile(r"[a-z+]+://[\w.-]+:[^@/\s\"'{}]+@"),
}
# Where a match is not a secret, and why. (path, the matched text)
ALLOWED = {
    # RabbitMQ's own guest account, which the broker accepts from localhost only: the
    # default for `make services` on a developer's machine.
    ("gateway/local.py", "amqp://guest:guest@"),
}
CODE_DIRS = ("shared", "services", "gateway")
# Test support: harnesses that start throwaway servers with throwaway keys; never imported
# by an app.
TEST_SUPPORT = "shared/testing/"


def source_files():
    for folder in CODE_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if not relative.startswith(TEST_SUPPORT) and "/migrations/versions/" not in relative:
                yield relative, path.read_text(encoding="utf-8")
    for name in ("Dockerfile", "docker-compose.yml", *sorted(
            p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "deploy").rglob("*") if p.is_file())):
        yield name, (PROJECT_ROOT / name).read_text(encoding="utf-8")


def findings(files) -> list[str]:
    found = []
    for relative, text in files:
        for number, line in enumerate(text.splitlines(), start=1):
            for kind, pattern in PATTERNS.items():
                for match in pattern.finditer(line):
                    if (relative, match.group(0)) not in ALLOWED and "${" not in line:
                        found.append(f"{relative}:{number}: {kind}: {line.strip()}")
    return found


def test_no_secret_literal_sits_in_the_code_or_the_deployment_files():
    assert not findings(source_files())


def test_the_scan_would_see_one():
    """The scan's own control: each way of writing a secret into code is caught."""
    planted = [
        ("x.py", 'SECRET_KEY = "hunter2-and-more"'),
        ("x.py", 'app.config.update(SECRET_KEY="hunter2-and-more")'),
        ("x.py", 'smtp_password: str = "hunter2"'),
        ("x.py", 'settings = {"api_key": "abcd1234"}'),
        ("x.py", 'key = os.environ.get("SECRET_KEY", "dev-secret")'),
        ("x.py", 'url = "postgresql://programme:hunter2@db/x"'),
    ]
    assert len(findings(planted)) == len(planted)


def test_the_secret_key_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-" + "x" * 40)
    assert Settings.from_env("billing").secret_key == "from-the-environment-" + "x" * 40
    assert not (tmp_path / "secret_key").exists()


def test_without_one_embedded_mode_makes_a_random_key_readable_by_its_owner_only(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY")
    keys = []
    for name in ("a", "b"):
        monkeypatch.setenv("VAR_DIR", str(tmp_path / name))
        keys.append(Settings.from_env("billing").secret_key)
        path = tmp_path / name / "secret_key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert Settings.from_env("enrolment").secret_key == keys[-1]  # shared by every service
    assert keys[0] != keys[1] and min(len(k) for k in keys) >= 48


def test_production_refuses_to_start_without_a_secret_key_and_reads_passwords_from_the_environment():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        if "SECRET_KEY" in environment:
            assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
        for key, value in environment.items():
            if re.search(r"PASS|SECRET", key) or re.search(r"://[^/\s]+:[^@]+@", str(value)):
                # A password is the environment's (a default only for the internal network).
                assert re.search(r"\$\{[A-Z_]*(PASSWORD|SECRET)", str(value)), f"{name}: {key}"
    app_containers = [s for s in compose["services"].values() if "build" in s]
    assert app_containers and all("SECRET_KEY" in s["environment"] for s in app_containers)
    assert "SECRET_KEY" not in Path(PROJECT_ROOT / "Dockerfile").read_text()
