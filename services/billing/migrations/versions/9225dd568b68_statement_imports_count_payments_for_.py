"""statement imports count payments for invoices settled already (paid or credited: booked, a refund due)

Revision ID: 9225dd568b68
Revises: a7c31e52d9f4
Create Date: 2026-12-03 20:15:44.511293
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '9225dd568b68'
down_revision: str | None = 'a7c31e52d9f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('statement_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('statement_imports', schema=None) as batch_op:
        batch_op.drop_column('settled')
