"""Structured logs carrying the correlation id, and Prometheus metrics."""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys

from prometheus_client import CollectorRegistry, Counter, Histogram
from stdnum.ee import ik


class _Correlation:
    def __init__(self):
        self._var: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

    def get(self) -> str | None:
        return self._var.get()

    def set(self, value: str | None):
        return self._var.set(value)

    def reset(self, token) -> None:
        self._var.reset(token)


correlation = _Correlation()

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
# Never let these reach a log line, whatever a caller passes in ``extra`` — at any depth, and
# under any key containing one of them (new_password, csrf_token, SECRET_KEY, Cookie …).
_REDACT = ("password", "passwd", "personalcode", "isikukood", "token", "secret", "cookie", "authorization")
REDACTED = "[redacted]"
# An Estonian personal code: sex/century digit, YYMMDD, serial, check digit. Only codes that
# pass the check digit are masked, so ordinary 11-digit numbers stay readable.
_PERSONAL_CODE = re.compile(r"(?<!\d)[1-6]\d{10}(?!\d)")


def _sensitive(key) -> bool:
    if not isinstance(key, str):
        return False
    key = key.lower().replace("_", "").replace("-", "")
    return any(word in key for word in _REDACT)


def _mask_codes(text: str) -> str:
    return _PERSONAL_CODE.sub(lambda m: REDACTED if ik.is_valid(m.group(0)) else m.group(0), text)


def redact(value, depth: int = 0):
    """A copy of ``value`` safe to log: sensitive keys masked in nested dicts and lists,
    personal codes masked inside text."""
    if depth > 20:
        return REDACTED
    if isinstance(value, dict):
        return {k: REDACTED if _sensitive(k) else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return REDACTED if _mask_codes(str(value)) == REDACTED else value
    return _mask_codes(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": _mask_codes(record.getMessage()),
            "correlation_id": correlation.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = REDACTED if _sensitive(key) else redact(value)
        if record.exc_info:
            entry["exception"] = _mask_codes(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(getattr(h, "_programme_office", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._programme_office = True
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "pika", "werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Metrics:
    """A registry per service, so services sharing one process keep separate figures."""

    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "endpoint", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_seconds", "HTTP request latency", ["endpoint"],
                                 registry=self.registry)
        self.events_published = Counter("events_published_total", "Events confirmed by the broker",
                                        registry=self.registry)
        self.events_consumed = Counter("events_consumed_total", "Events handled",
                                       ["outcome"], registry=self.registry)
