"""Billing service: the composition root (``bootstrap``) and the app factory."""
from __future__ import annotations

import logging
from pathlib import Path

from services.billing.adapters.models import Base, messaging
from services.billing.config import BillingConfig, production_shape
from services.billing.entrypoints import api, views
from services.billing.entrypoints.subscriptions import TICKS, bind
from shared.config import Settings
from shared.kit import ServiceKit
from shared.web import create_service_app

SERVICE = "billing"
HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def bootstrap(settings: Settings | None = None) -> ServiceKit:
    settings = settings or Settings.from_env(SERVICE)
    config = BillingConfig.from_settings(settings)  # a bad BILLING_* setting fails here, at start-up
    if production_shape(settings) and (placeholders := config.placeholder_seller_settings()):
        # Not fatal: claims must still be proposed; issuing an invoice is refused (409) until set.
        log.warning("seller details are placeholders: invoices are refused until these are set",
                    extra={"settings": placeholders})
    return ServiceKit(settings, Base.metadata, messaging, HERE / "migrations", bind(config), TICKS)


def create_app(test_config: dict | None = None, kit: ServiceKit | None = None):
    kit = kit or bootstrap()
    app, rest = create_service_app(kit, __name__, title="Billing", root=HERE, test_config=test_config)
    app.register_blueprint(views.blueprint)
    rest.register_blueprint(api.blp)
    return app
