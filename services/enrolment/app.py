"""Enrolment service: the composition root (``bootstrap``) and the app factory."""
from __future__ import annotations

from pathlib import Path

from services.enrolment.adapters.models import Base, messaging
from services.enrolment.config import claim_daily_rate
from services.enrolment.entrypoints import api, views
from services.enrolment.entrypoints.common import refused_response
from services.enrolment.entrypoints.subscriptions import HANDLERS, TICKS
from services.enrolment.service_layer.errors import Refused
from shared.config import Settings
from shared.kit import ServiceKit
from shared.web import create_service_app

SERVICE = "enrolment"
HERE = Path(__file__).resolve().parent


def bootstrap(settings: Settings | None = None) -> ServiceKit:
    settings = settings or Settings.from_env(SERVICE)
    claim_daily_rate(settings)  # a bad ENROLMENT_* setting (cap or rate) fails here, at start-up
    return ServiceKit(settings, Base.metadata, messaging, HERE / "migrations", HANDLERS, TICKS)


def create_app(test_config: dict | None = None, kit: ServiceKit | None = None):
    kit = kit or bootstrap()
    app, rest = create_service_app(kit, __name__, title="Enrolment", root=HERE, test_config=test_config)
    app.register_blueprint(views.blueprint)
    rest.register_blueprint(api.blp)
    # A use case's refusal: JSON with field errors for the API, the error page otherwise.
    app.register_error_handler(Refused, refused_response)
    return app
