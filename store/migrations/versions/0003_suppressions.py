"""suppressions: keyed hashes of addresses that get no mail, kept when their data is deleted

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'suppressions',
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('created_at', store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('address_hash', name=op.f('pk_suppressions')),
    )


def downgrade() -> None:
    op.drop_table('suppressions')
