"""Notify service: the composition root (``bootstrap``) and the app factory."""
from __future__ import annotations

from pathlib import Path

from services.notify.adapters.models import Base, messaging
from services.notify.config import NotifyConfig
from services.notify.entrypoints import api, views
from services.notify.entrypoints.subscriptions import TICKS, bind
from shared.config import Settings
from shared.kit import ServiceKit
from shared.web import create_service_app

SERVICE = "notify"
HERE = Path(__file__).resolve().parent


class NotifyKit(ServiceKit):
    """The shared kit plus notify's configuration and its mail backend (SMTP or files)."""

    def __init__(self, settings: Settings, config: NotifyConfig):
        super().__init__(settings, Base.metadata, messaging, HERE / "migrations", bind(config), TICKS,
                         tick_interval=config.tick_seconds, tick_on_events=True)
        self.config = config
        self.backend = config.backend()  # a bad SMTP_* setting fails here, at start-up


def bootstrap(settings: Settings | None = None) -> NotifyKit:
    settings = settings or Settings.from_env(SERVICE)
    return NotifyKit(settings, NotifyConfig.from_settings(settings))


def create_app(test_config: dict | None = None, kit: NotifyKit | None = None):
    kit = kit or bootstrap()
    app, rest = create_service_app(kit, __name__, title="Notify", root=HERE, test_config=test_config)
    app.register_blueprint(views.blueprint)
    rest.register_blueprint(api.blp)
    return app
