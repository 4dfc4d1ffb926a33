"""Demo data for ``make run``: the 2019 edition from the brochure, if there is no edition yet."""
from __future__ import annotations

from sqlalchemy import select

from services.enrolment.adapters.models import Edition
from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared.kit import ServiceKit

__all__ = ["load", "load_edition_file"]


def load(kit: ServiceKit) -> None:
    """Idempotent: an existing edition (the demo's, or one a coordinator made) is left alone."""
    with kit.db.transaction() as db:
        if db.scalar(select(Edition.edition_id).limit(1)) is not None:
            return
    load_edition_file(kit, EDITION_2019, actor="demo")
