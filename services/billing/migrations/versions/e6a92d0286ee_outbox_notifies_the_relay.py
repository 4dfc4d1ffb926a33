"""outbox notifies the relay

Revision ID: e6a92d0286ee
Revises: d40229fab591
Create Date: 2026-12-03 10:25:58.210158

PostgreSQL: a statement inserting outbox rows notifies the channel the relay LISTENs on, so
rows committed by the web processes are published at once instead of at the relay's next poll.
"""
from collections.abc import Sequence

from alembic import op

from shared.messaging.tables import create_outbox_notify_trigger, drop_outbox_notify_trigger

revision: str = 'e6a92d0286ee'
down_revision: str | None = 'd40229fab591'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_notify_trigger(op)


def downgrade() -> None:
    drop_outbox_notify_trigger(op)
