"""edition applications open at

When an edition starts taking applications (until its deadline): a coordinator prepares next
year's edition without the public form switching to it at once. Editions made before this
revision are open already: they opened when they were created.

Revision ID: 3c1e7a9d2b45
Revises: 6ae5a96ffd14
Create Date: 2026-12-04 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3c1e7a9d2b45'
down_revision: str | None = '6ae5a96ffd14'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applications_open_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE editions SET applications_open_at = created_at")
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.alter_column('applications_open_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.drop_column('applications_open_at')
