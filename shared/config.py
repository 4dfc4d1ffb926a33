"""Configuration from environment variables, with defaults that make embedded mode work.

Every setting is read once per app (``Settings.from_env``); tests pass overrides instead of
touching the environment.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

SERVICES = ("enrolment", "attendance", "billing", "notify", "reporting")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RATE_LIMIT = "20 per minute; 200 per hour"


def var_dir() -> Path:
    path = Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def embedded_bus_url() -> str:
    return f"sqlite-bus:///{var_dir() / 'bus.sqlite'}"


def _secret_key() -> str:
    """The key that signs staff sessions and personal links; every service must share it.

    Production sets SECRET_KEY. Embedded mode keeps a random one under var/ so sessions
    survive a restart without a secret ever living in the repository.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = var_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    bus_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    confirm_timeout: float = 5.0
    # Attempts a failing handler gets before the consumer dead-letters the message itself.
    handler_attempts: int = 5
    # The broker's own limit (x-delivery-limit) is the safety net for crash-looping workers.
    broker_delivery_limit: int = 20
    prefetch: int = 200
    # How often the worker runs the service's periodic jobs (seconds).
    tick_interval: float = 30.0
    consume_batch: int = 100
    relay_batch: int = 500
    session_max_age: int = 8 * 3600
    personal_link_max_age: int = 60 * 24 * 3600
    # Public form posts (application, personal links, check-in) and sign-in, per client IP.
    # Staff routes are never limited. See docs/SECURITY.md.
    rate_limit_public: str = DEFAULT_RATE_LIMIT
    rate_limit_storage: str = "memory://"
    rate_limit_enabled: bool = True
    # Reverse proxies in front of the app that append to X-Forwarded-For (1 behind nginx);
    # 0 trusts no such header, so a client cannot pick its own rate-limit key.
    rate_limit_proxy_hops: int = 0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str, **overrides) -> Settings:
        env = os.environ
        prefix = f"{service.upper()}_"
        base = cls(
            service=service,
            database_url=env.get(f"DATABASE_URL_{service.upper()}")
            or f"sqlite:///{var_dir() / (service + '.sqlite')}",
            bus_url=env.get("BUS_URL") or embedded_bus_url(),
            secret_key=_secret_key(),
            base_url=env.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            confirm_timeout=float(env.get("BUS_CONFIRM_TIMEOUT", "5")),
            handler_attempts=int(env.get("BUS_HANDLER_ATTEMPTS", "5")),
            broker_delivery_limit=int(env.get("BUS_DELIVERY_LIMIT", "20")),
            prefetch=int(env.get("BUS_PREFETCH", "200")),
            tick_interval=float(env.get("TICK_INTERVAL", "30")),
            rate_limit_public=env.get("RATE_LIMIT_PUBLIC") or DEFAULT_RATE_LIMIT,
            rate_limit_storage=env.get("RATE_LIMIT_STORAGE") or "memory://",
            rate_limit_enabled=env.get("RATE_LIMIT_ENABLED", "1").strip().lower() not in ("0", "false", "no", "off"),
            rate_limit_proxy_hops=int(env.get("RATE_LIMIT_PROXY_HOPS", "0")),
            extra={k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix)},
        )
        return replace(base, **overrides)

    @property
    def on_rabbitmq(self) -> bool:
        return self.bus_url.startswith(("amqp://", "amqps://"))
