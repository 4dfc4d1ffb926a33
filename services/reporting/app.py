"""ESF reporting service: the composition root (``bootstrap``) and the app factory."""
from __future__ import annotations

from pathlib import Path

from services.reporting.adapters.models import Base, messaging
from services.reporting.entrypoints import api, views
from services.reporting.entrypoints.subscriptions import HANDLERS, TICKS
from services.reporting.service_layer import deadlines
from shared.config import Settings
from shared.kit import ServiceKit
from shared.web import create_service_app

SERVICE = "reporting"
HERE = Path(__file__).resolve().parent


def bootstrap(settings: Settings | None = None) -> ServiceKit:
    settings = settings or Settings.from_env(SERVICE)
    # Each projection change may move someone's ESF data deadline: re-derived and, if it
    # changed, published for notify in the handler's own transaction.
    return ServiceKit(settings, Base.metadata, messaging, HERE / "migrations", deadlines.publishing(HANDLERS), TICKS)


def create_app(test_config: dict | None = None, kit: ServiceKit | None = None):
    kit = kit or bootstrap()
    app, rest = create_service_app(kit, __name__, title="ESF reporting", root=HERE, test_config=test_config)
    app.register_blueprint(views.blueprint)
    rest.register_blueprint(api.blp)
    return app
