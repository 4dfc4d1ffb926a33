"""The body of every service's Alembic env.py: its own metadata and its own version table."""
from __future__ import annotations

from alembic import context

from shared.db import UtcDateTime, make_engine


def _render_item(type_, obj, autogen_context):
    # Migrations store the plain column type; the zone handling lives in the model.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(service: str, metadata) -> None:
    cfg = context.config
    version_table = f"alembic_version_{service}"
    opts = dict(target_metadata=metadata, version_table=version_table,
                render_as_batch=True, compare_type=True, render_item=_render_item)
    if context.is_offline_mode():
        context.configure(url=cfg.get_main_option("sqlalchemy.url"), literal_binds=True, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = cfg.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(cfg.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, **opts)
        with context.begin_transaction():
            context.run_migrations()
