"""claims with an owner: who holds an outbox row and until when; the senders table

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UtcDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('claimed_by', sa.String(length=100), nullable=True))
    op.add_column('deliveries', sa.Column('claimed_until', UtcDateTime(), nullable=True))
    op.create_table(
        'senders',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('started_at', UtcDateTime(), nullable=False),
        sa.Column('seen_at', UtcDateTime(), nullable=False),
        sa.Column('stopped_at', UtcDateTime(), nullable=True),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_senders')),
    )


def downgrade() -> None:
    op.drop_table('senders')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('claimed_by')
