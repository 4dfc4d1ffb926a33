"""edition composition rule and vat

Each edition's team composition minimums (members, from a local government, from an NGO) and
whether VAT applies to its dropout invoices. Editions made before this revision keep the
brochure's rule (4 / 2 / 2) and leave VAT to billing's setting (null).

Revision ID: 5d2f8b1c7e30
Revises: 3c1e7a9d2b45
Create Date: 2026-12-04 15:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5d2f8b1c7e30'
down_revision: str | None = '3c1e7a9d2b45'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_team_members', sa.Integer(), nullable=False, server_default='4'))
        batch_op.add_column(sa.Column('min_local_government_members', sa.Integer(), nullable=False,
                                      server_default='2'))
        batch_op.add_column(sa.Column('min_ngo_members', sa.Integer(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('vat_applies', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.drop_column('vat_applies')
        batch_op.drop_column('min_ngo_members')
        batch_op.drop_column('min_local_government_members')
        batch_op.drop_column('min_team_members')
