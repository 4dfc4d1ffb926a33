"""edition policies: vat_applies (null = BILLING_VAT_APPLIES, as for every edition billing knows already)

Revision ID: 1ce93cc7279e
Revises: 9225dd568b68
Create Date: 2026-12-04 15:22:35.285914
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '1ce93cc7279e'
down_revision: str | None = '9225dd568b68'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('edition_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_applies', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('edition_policies', schema=None) as batch_op:
        batch_op.drop_column('vat_applies')
