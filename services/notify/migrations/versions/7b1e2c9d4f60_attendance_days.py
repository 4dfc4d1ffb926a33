"""attendance days: whether a participant was present at a session (attendance.attendance.recorded)

One who attended a day and then left the team (substituted or withdrawn) is an ESF participant
whose form reporting keeps open: the ESF data reminder still goes to them.

Revision ID: 7b1e2c9d4f60
Revises: d30944c19d4a
Create Date: 2026-12-08 00:58:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7b1e2c9d4f60'
down_revision: str | None = 'd30944c19d4a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'attendance_days',
        sa.Column('participant_id', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.String(length=64), nullable=False),
        sa.Column('present', sa.Boolean(), nullable=False),
        sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('participant_id', 'session_id', name=op.f('pk_attendance_days')),
    )


def downgrade() -> None:
    op.drop_table('attendance_days')
