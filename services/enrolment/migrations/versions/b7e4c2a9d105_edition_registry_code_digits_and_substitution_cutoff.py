"""edition registry code digits and substitution cut-off

Each edition's first digits of a registry code per organisation kind (a string of digits; empty:
not checked) and until when a member may be substituted (allowed at all; before the group's day
1, 2 or 3). Editions made before this revision keep the brochure's rules: 7 for a local
government, 8 or 9 for an NGO, substitutions before the group's first session day.

Revision ID: b7e4c2a9d105
Revises: 67b847d8ef70
Create Date: 2026-12-07 23:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7e4c2a9d105'
down_revision: str | None = '67b847d8ef70'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_government_registry_code_digits', sa.String(length=10), nullable=False,
                                      server_default='7'))
        batch_op.add_column(sa.Column('ngo_registry_code_digits', sa.String(length=10), nullable=False,
                                      server_default='89'))
        batch_op.add_column(sa.Column('substitutions_allowed', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('substitution_until_day', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.drop_column('substitution_until_day')
        batch_op.drop_column('substitutions_allowed')
        batch_op.drop_column('ngo_registry_code_digits')
        batch_op.drop_column('local_government_registry_code_digits')
