"""make up rules

Each edition's make-up rule as attendance publishes it (attendance.make_up_rule.changed), the
highest revision seen, for the conditions a member confirms. No row: the brochure's rule.

Revision ID: 67b847d8ef70
Revises: 5d2f8b1c7e30
Create Date: 2026-12-07 22:57:29.021977
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '67b847d8ef70'
down_revision: str | None = '5d2f8b1c7e30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'make_up_rules',
        sa.Column('edition_id', sa.String(length=64), nullable=False),
        sa.Column('make_ups_allowed', sa.Boolean(), nullable=False),
        sa.Column('make_up_window', sa.String(length=40), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('edition_id', name=op.f('pk_make_up_rules')),
    )


def downgrade() -> None:
    op.drop_table('make_up_rules')
