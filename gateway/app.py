"""The gateway app: sign-in and sign-out for every service, the landing page at ``/``, the
staff accounts page, and the front door's session check (gateway/front_door.py)."""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, urlparse

from flask import Flask, flash, g, jsonify, redirect, render_template, request, session
from flask_babel import Babel
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from gateway import accounts, dashboard, staff
from shared import auth, i18n
from shared.config import SERVICES, Settings
from shared.observability import configure_logging
from shared.web import client_address, csrf, install_error_handlers, install_rate_limits, layout_context, t

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)
SHARED_TEMPLATES = HERE.parent / "shared" / "templates"


class LoginForm(FlaskForm):
    email = EmailField("E-post", validators=[DataRequired()])
    password = PasswordField("Parool", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a login link must not bounce the user to another host."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def create_app(test_config: dict | None = None, db=None, summaries=None) -> Flask:
    configure_logging()
    settings = Settings.from_env("gateway")
    app = Flask(__name__, root_path=str(HERE), template_folder="templates", static_folder=None)
    app.config.update(SECRET_KEY=settings.secret_key, SESSION_COOKIE_NAME=auth.SESSION_COOKIE,
                      SESSION_COOKIE_PATH="/", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=settings.session_max_age, WTF_CSRF_TIME_LIMIT=None,
                      BABEL_DEFAULT_LOCALE=i18n.DEFAULT, BABEL_DEFAULT_TIMEZONE="Europe/Tallinn",
                      SESSION_MAX_AGE=settings.session_max_age)
    app.config.update(test_config or {})
    from jinja2 import ChoiceLoader, FileSystemLoader
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates")),
                                     FileSystemLoader(str(SHARED_TEMPLATES))])
    Babel(app, locale_selector=i18n.select_locale)
    # Sign-in attempts per client address (the account lock-out alone would let one client
    # try one password on every account); before the CSRF check, so token-less floods count.
    install_rate_limits(app, settings, applies=lambda: request.method == "POST" and request.endpoint == "login")
    csrf.init_app(app)
    install_error_handlers(app)
    app.extensions["accounts_db"] = db or accounts.database()
    accounts.dummy_hash()  # now, not in the first sign-in with an unknown e-mail
    app.extensions["summaries"] = summaries or dashboard.HttpSource()
    app.after_request(i18n.remember_language)

    app.context_processor(lambda: layout_context("gateway"))

    def revoked() -> bool:
        """A staff session whose account is gone or disabled, or whose epoch has moved on (a
        new password or new grants). An expired or unsigned session is no staff session."""
        user = auth.current_user()
        return user is not None and not accounts.session_valid(
            app.extensions["accounts_db"], user.user_id, auth.session_epoch())

    @app.before_request
    def end_a_revoked_session():
        # The gateway's own pages treat a revoked session as signed out (the cookie's staff
        # keys go with this answer); the check and the refusal answer for it instead.
        if request.endpoint not in ("check", "refused") and revoked():
            auth.forget_staff()

    @app.get("/auth/check")
    def check():
        """The front door's question (nginx auth_request, embedded and local modes): 204 for
        no staff session (public pages, personal links) or a valid one, 401 for a revoked one."""
        return ("", 401) if revoked() else ("", 204)

    @app.get("/auth/refused")
    def refused():
        """The front door's answer to a revoked session at X-Original-URI: an /api/ path gets
        401 JSON, a page is sent to sign-in; either way the session cookie is cleared."""
        original = _safe_next(request.headers.get("X-Original-URI"))
        session.clear()  # empty and changed: Flask deletes the cookie
        g.staff_user = None
        if "/api/" in urlparse(original).path or request.accept_mimetypes.best == "application/json":
            return jsonify(code=401, status="unauthorized", reason="session_ended", message=t(
                "Sessioon on lõppenud. Logige uuesti sisse.", "The session has ended. Sign in again.")), 401
        return redirect(f"/auth/login?next={quote(original)}")

    @app.route("/auth/login", methods=["GET", "POST"])
    def login():
        form = LoginForm()
        if form.validate_on_submit():
            result = accounts.authenticate(app.extensions["accounts_db"], form.email.data, form.password.data)
            if result.user is not None:
                auth.sign_in(result.user, app.config["SESSION_MAX_AGE"], result.epoch)
                log.info("signed in", extra={"user_id": result.user.user_id})
                return redirect(_safe_next(request.args.get("next")))
            # An audit trail of failed attempts (never the password that was tried).
            log.warning("sign-in refused", extra={"email": form.email.data, "locked": result.locked,
                                                  "client": client_address(settings.rate_limit_proxy_hops)()})
            # One message for all three (unknown e-mail, wrong password, locked account): a
            # different one would tell anyone trying which e-mails have accounts.
            form.password.errors.append(t(
                "Vale e-post või parool – või on konto pärast viit ebaõnnestunud katset 15 minutiks lukus.",
                "Wrong e-mail or password – or the account is locked for 15 minutes after five failed attempts."))
            return render_template("gateway/login.html", form=form), 401
        return render_template("gateway/login.html", form=form)

    @app.post("/auth/logout")
    def logout():
        auth.sign_out()
        flash(t("Oled välja logitud.", "You are signed out."), "success")
        return redirect("/auth/login")

    @app.get("/")
    def home():
        user = auth.current_user()
        if user is None:
            return render_template("gateway/public.html")
        summaries = dashboard.collect(app.extensions["summaries"], request.headers.get("Cookie", ""))
        return render_template("gateway/home.html", summaries=summaries, services=SERVICES)

    app.register_blueprint(staff.blueprint())

    @app.get("/healthz")
    def healthz():
        up = app.extensions["accounts_db"].ping()  # 503 like the services': no sign-in without it
        return {"service": "gateway", "database": "ok" if up else "down"}, 200 if up else 503

    return app
