"""Embedded mode's demo clock: the 2019 edition is in the past, so the demo starts on
15.02.2019 (applications open) and a coordinator can move the clock through the year."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, session

from shared import auth, clock
from shared.config import var_dir
from shared.web import t

DEMO_START = "2019-02-15T10:00:00+02:00"


def use_demo_clock() -> Path | None:
    """Point every service at var/clock unless a clock file was chosen already."""
    if os.environ.get("CLOCK_FILE"):
        return None
    path = var_dir() / "clock"
    if not path.exists():
        clock.write_clock_file(str(path), datetime.fromisoformat(DEMO_START))
    os.environ["CLOCK_FILE"] = str(path)
    return path


def blueprint() -> Blueprint:
    blp = Blueprint("demo_clock", __name__)

    @blp.route("/demo/clock", methods=["GET", "POST"])
    @auth.requires("coordinator")
    def page():
        path = os.environ.get("CLOCK_FILE")
        if request.method == "POST" and path:
            from flask_wtf.csrf import validate_csrf
            validate_csrf(request.form.get("csrf_token"))
            value = request.form.get("moment", "")
            try:
                moment = datetime.fromisoformat(value).replace(tzinfo=clock.TALLINN) if value else None
            except ValueError:
                flash(t("Vigane kuupäev ja kellaaeg.", "Not a valid date and time."), "error")
                return redirect("/demo/clock")
            clock.write_clock_file(path, moment)
            # A sign-in lasts SESSION_MAX_AGE on this clock: counted from the new time, the
            # coordinator who moved it days ahead is not signed out by their own move.
            if "exp" in session:
                session["exp"] = int(clock.now().timestamp()) + current_app.config["SESSION_MAX_AGE"]
            flash(t("Kell on seatud.", "The clock is set."), "success")
            return redirect("/demo/clock")
        return render_template("gateway/demo_clock.html", now=clock.local(clock.now()), enabled=bool(path))

    @blp.app_context_processor
    def demo_clock_context():
        return {"demo_clock": clock.local(clock.now()) if os.environ.get("CLOCK_FILE") else None}

    return blp
