"""The Flask side every service shares: app factory plumbing, errors, health, metrics, OpenAPI."""
from __future__ import annotations

import copy
import time
import uuid
from pathlib import Path

from apispec import BasePlugin
from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_smorest import Api
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits import parse_many
from marshmallow import Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from shared import auth, i18n
from shared.config import Settings
from shared.events.envelope import sane_correlation_id
from shared.kit import ServiceKit
from shared.observability import configure_logging, correlation

SHARED_DIR = Path(__file__).resolve().parent
NAV = (
    ("enrolment", "Taotlused", "Applications"),
    ("attendance", "Kohalolek", "Attendance"),
    ("billing", "Arved", "Invoices"),
    ("notify", "E-kirjad", "E-mails"),
    ("reporting", "ESF aruandlus", "ESF reporting"),
)
csrf = CSRFProtect()


class ErrorSchema(Schema):
    """Every 4xx/5xx JSON body of every service (documented once, in each OpenAPI)."""
    code = fields.Integer(metadata={"description": "HTTP status code"})
    status = fields.String(metadata={"description": "Error name"})
    message = fields.String(metadata={"description": "What went wrong, in the user's language"})
    reason = fields.String(metadata={"description": "A stable code for the refusal, if any"})
    errors = fields.Dict(metadata={"description": "Field errors: field path -> messages"})


class ServiceApi(Api):
    ERROR_SCHEMA = ErrorSchema


# What the cross-site guard (_install_request_hooks) lets through to the API's writes.
API_WRITE_MEDIA_TYPES = ("application/json", "multipart/form-data", "application/xml", "text/xml")
EMPTY_JSON_BODY = {
    "required": True,
    "description": "Nothing to send but an empty JSON object: every write to the API is JSON (or a file), "
                   "anything else is refused with 415 before it reaches the operation.",
    "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}},
}


class JsonWritesPlugin(BasePlugin):
    """A write that takes no arguments still has to be sent as JSON (415 otherwise), so its
    description says so: a client built from it sends ``{}`` rather than nothing."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if method in ("post", "put", "patch", "delete") and "requestBody" not in operation:
                operation["requestBody"] = copy.deepcopy(EMPTY_JSON_BODY)


def create_service_app(kit: ServiceKit, import_name: str, *, title: str, root: Path,
                       test_config: dict | None = None) -> tuple[Flask, Api]:
    """A Flask app for one service, mounted at ``/<service>`` by the gateway or SCRIPT_NAME."""
    configure_logging()
    app = Flask(import_name, root_path=str(root), template_folder="templates", static_folder=None)
    settings = kit.settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME=auth.SESSION_COOKIE,
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Served over HTTPS (BASE_URL says so): the cookie never travels in clear text.
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=settings.session_max_age,
        # The login's expiry is fixed at sign-in ("exp" in the cookie), so re-signing the
        # cookie on every answer would extend nothing; a session that changes is still saved.
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=None,
        # Forms are checked in _install_request_hooks; the JSON API is guarded differently.
        WTF_CSRF_CHECK_DEFAULT=False,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT,
        BABEL_DEFAULT_TIMEZONE="Europe/Tallinn",
        API_TITLE=title,
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        SERVICE=kit.name,
    )
    app.config.update(test_config or {})
    app.extensions["kit"] = kit
    translation_dirs = [root / "translations", SHARED_DIR / "translations"]
    i18n.require_compiled(*[d for d in translation_dirs if d.exists()])  # compiled at install, only read here
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(d) for d in translation_dirs)
    Babel(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    # Shared layout and macros live in shared/templates; a service's own folder comes first.
    from jinja2 import ChoiceLoader, FileSystemLoader
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(root / "templates")),
                                     FileSystemLoader(str(SHARED_DIR / "templates"))])
    api = ServiceApi(app, spec_kwargs={"servers": [{"url": f"/{kit.name}"}], "extra_plugins": [JsonWritesPlugin()]})
    api.spec.components.security_scheme("staffSession", {"type": "apiKey", "in": "cookie",
                                                         "name": auth.SESSION_COOKIE})
    # What every service has besides its own pages: dashboard figures and dead letters.
    from shared.dead_letters import dead_letter_blueprints
    from shared.summary import summary_blueprint
    api.register_blueprint(summary_blueprint())
    dead_letter_pages, dead_letter_api = dead_letter_blueprints(kit)
    app.register_blueprint(dead_letter_pages)
    api.register_blueprint(dead_letter_api)
    _install_request_hooks(app, kit)
    _install_error_handlers(app)
    _install_health_and_metrics(app, kit)

    app.context_processor(lambda: layout_context(kit.name))
    return app, api


def layout_context(service: str) -> dict:
    """What shared/layout.html needs on every page, of a service or of the gateway."""
    return {"current_user": auth.current_user(), "nav": NAV, "service": service,
            "lang": i18n.select_locale(), "switch_language": i18n.switch_to, "t": t}


def t(et: str, en: str) -> str:
    """Inline bilingual text for short labels: ``{{ t('Salvesta', 'Save') }}``."""
    return en if i18n.select_locale() == "en" else et


def _install_request_hooks(app: Flask, kit: ServiceKit) -> None:
    @app.before_request
    def start():
        g.started = time.perf_counter()
        # An id from outside is kept only if it is sane (it goes into logs and outbox rows).
        g.correlation_token = correlation.set(
            sane_correlation_id(request.headers.get("X-Correlation-ID")) or str(uuid.uuid4()))

    # Before the CSRF check, so a flood of token-less posts is throttled too.
    install_rate_limits(app, kit.settings, applies=public_write)

    @app.before_request
    def guard_against_cross_site_requests():
        """Forms carry a CSRF token. The JSON API instead relies on what a cross-site page
        cannot do: send the SameSite=Lax session cookie with a POST, or a JSON body without
        a CORS preflight — so writes to the API must be JSON (or a file upload)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if request.path.startswith("/api/"):
            if request.mimetype not in API_WRITE_MEDIA_TYPES:
                return _error(415, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
            return None
        csrf.protect()
        return None

    @app.after_request
    def finish(response):
        response.headers["X-Correlation-ID"] = correlation.get() or ""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url_rule is not None and request.url_rule.rule.startswith("/p/"):
            # A personal link's page holds someone's data: no shared or back-button cache.
            response.headers.setdefault("Cache-Control", "private, no-store")
        endpoint = request.endpoint or "unknown"
        kit.metrics.requests.labels(request.method, endpoint, str(response.status_code)).inc()
        if "started" in g:
            kit.metrics.latency.labels(endpoint).observe(time.perf_counter() - g.started)
        return i18n.remember_language(response)

    @app.teardown_request
    def reset(_exc):
        if "correlation_token" in g:
            correlation.reset(g.correlation_token)


def install_error_handlers(app: Flask) -> None:
    """The refusals every app shares, the gateway's too: a missing CSRF token, a rate limit."""
    @app.errorhandler(CSRFError)
    def csrf_failed(exc):
        return _error(400, "csrf_failed", exc.description)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded):
        response, status = _error(429, "rate_limited", t(
            "Liiga palju päringuid lühikese aja jooksul. Palun oodake mõni minut ja proovige uuesti.",
            "Too many requests in a short time. Please wait a few minutes and try again."),
            reason="rate_limited")
        response = current_app.make_response((response, status))
        # At the latest when the window of the limit that was hit is over.
        response.headers["Retry-After"] = str(exc.limit.limit.get_expiry())
        return response


def _install_error_handlers(app: Flask) -> None:
    install_error_handlers(app)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # flask_smorest.abort(…, message=, errors=) and webargs' 422 ({"messages": …}) put
        # their details in exc.data.
        data = getattr(exc, "data", None)
        data = data if isinstance(data, dict) else {}
        fields = data.get("errors") or data.get("messages") or {}
        return _error(exc.code or 500, exc.name.lower().replace(" ", "_"),
                      data.get("message") or exc.description, fields, data.get("reason"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return _error(500, "internal_error", "Something went wrong; the error was logged.")


# -- rate limits ----------------------------------------------------------------------------------

def public_write() -> bool:
    """A write to a route without a role guard: the application form, personal links,
    check-in, the public API. Staff routes (guarded, see tests/security) are never limited."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return view is not None and not auth.required_roles(view, request.method)


def client_address(proxy_hops: int):
    """The rate-limit key: the peer's address, or with ``proxy_hops`` trusted proxies the
    address the outermost of them saw (counted from the right of X-Forwarded-For, which a
    client can only prepend to)."""
    def key() -> str:
        if proxy_hops > 0:
            forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
            forwarded = [part for part in forwarded if part]
            if len(forwarded) >= proxy_hops:
                return forwarded[-proxy_hops]
        return request.remote_addr or "unknown"
    return key


def install_rate_limits(app: Flask, settings: Settings, applies) -> Limiter:
    """One Flask-Limiter per app: ``settings.rate_limit_public`` per client address and route
    for the requests where ``applies()`` is true. ``RATELIMIT_ENABLED=False`` in the app's
    config (or RATE_LIMIT_ENABLED=0) turns it off."""
    parse_many(settings.rate_limit_public)  # a typo in the setting fails at start, not on a post
    app.config.setdefault("RATELIMIT_ENABLED", settings.rate_limit_enabled)
    limiter = Limiter(
        key_func=client_address(settings.rate_limit_proxy_hops),
        default_limits=[settings.rate_limit_public],
        default_limits_exempt_when=lambda: not applies(),
        storage_uri=settings.rate_limit_storage,
        # A shared store (Redis) serves every service: keep their counters apart.
        key_prefix=f"po:{settings.service}",
        # The store being down must not close the application form: log it and let the post in.
        swallow_errors=True,
    )
    limiter.init_app(app)
    # Most requests are exempt (staff routes, reads): let them skip resolving the limits.
    limiter.request_filter(lambda: not applies())
    app.extensions["rate_limiter"] = limiter
    return limiter


def _error(status: int, code: str, message: str, fields: dict | None = None, reason: str | None = None):
    if auth.wants_json():
        payload = {"code": status, "status": code, "message": message}
        if fields:
            payload["errors"] = fields
        if reason:
            payload["reason"] = reason
        return jsonify(payload), status
    return render_template("shared/error.html", status=status, code=code, message=message), status


def _install_health_and_metrics(app: Flask, kit: ServiceKit) -> None:
    backlog = Gauge("outbox_unpublished", "Events waiting in the outbox", registry=kit.metrics.registry)
    dead = Gauge("dead_letters", "Messages in the dead-letter store", registry=kit.metrics.registry)

    @app.get("/healthz")
    @csrf.exempt
    def healthz():
        database = kit.db.ping()
        bus = _bus_reachable(kit)
        body = {"service": kit.name, "database": "ok" if database else "down",
                "bus": "ok" if bus else "down"}
        return jsonify(body), 200 if database and bus else 503

    @app.get("/metrics")
    def metrics():
        try:
            with kit.db.engine.connect() as conn:
                backlog.set(conn.execute(select(func.count()).select_from(kit.tables.outbox)
                                         .where(kit.tables.outbox.c.published_at.is_(None))).scalar_one())
                dead.set(conn.execute(select(func.count()).select_from(kit.tables.dead_letters)
                                      .where(kit.tables.dead_letters.c.status == "dead")).scalar_one())
        except Exception:  # noqa: BLE001  # nosec B110 # metrics must answer even when the database does not
            pass
        return generate_latest(kit.metrics.registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}


def _bus_reachable(kit: ServiceKit) -> bool:
    from shared.messaging.connection import connect
    conn = connect(kit.settings.bus_url, confirm_timeout=2)
    try:
        conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        conn.release()
