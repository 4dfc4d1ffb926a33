"""Each service's figures for the dashboard: ``GET /<service>/api/summary``.

A service contributes figures by having a module ``services.<name>.summary`` with
``figures(kit, user) -> list[Figure]``; every service adds its dead-letter and outbox
figures. The gateway's dashboard composes these (read-only, see gateway/dashboard.py).

City scope is denied by default here too: ``figures`` gets only the user's whole-edition
grants, unless the module sets ``HONOURS_CITY_SCOPE = True`` (it then limits its figures
to ``user.cities_for(...)`` itself).
"""
from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from shared import auth


@dataclass
class Figure:
    key: str
    label_et: str
    label_en: str
    value: int | str
    link: str
    tone: str = "neutral"  # neutral | ok | warn | bad
    section: str = ""


class FigureSchema(Schema):
    key = fields.String()
    label_et = fields.String()
    label_en = fields.String()
    value = fields.Raw()
    link = fields.String()
    tone = fields.String()
    section = fields.String()


class SummarySchema(Schema):
    service = fields.String()
    figures = fields.List(fields.Nested(FigureSchema))


def summary_blueprint() -> Blueprint:
    blp = Blueprint("summary_api", __name__, description="Figures for the dashboard")

    @blp.route("/api/summary")
    @blp.response(200, SummarySchema)
    @blp.doc(security=[{"staffSession": []}])
    @auth.requires("coordinator", "trainer", "finance", scoped=True)  # each module decides, see above
    def summary():
        kit = current_app.extensions["kit"]
        user = auth.current_user()
        figures: list[Figure] = []
        try:
            module = importlib.import_module(f"services.{kit.name}.summary")
        except ModuleNotFoundError:
            module = None
        if module is not None:
            figures.extend(module.figures(kit, user if getattr(module, "HONOURS_CITY_SCOPE", False)
                                          else user.unscoped()))
        if user.has_whole("coordinator"):
            figures.extend(plumbing_figures(kit))
        return {"service": kit.name, "figures": [asdict(f) for f in figures]}

    return blp


def plumbing_figures(kit) -> list[Figure]:
    t = kit.tables
    with kit.db.engine.connect() as conn:
        dead = conn.execute(select(func.count()).select_from(t.dead_letters)
                            .where(t.dead_letters.c.status == "dead")).scalar_one()
    return [Figure(f"{kit.name}.dead_letters", "Töötlemata sõnumid", "Dead letters", dead,
                   f"/{kit.name}/dead-letters", "bad" if dead else "ok", "system")]
