"""web subscriptions: rules kept in the database, unsubscribe that outlives a config sync

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('subscriptions', sa.Column('query', sa.Text(), nullable=True))
    op.add_column('subscriptions', sa.Column('name', sa.String(length=200), nullable=True))
    op.add_column(
        'subscribers',
        sa.Column('unsubscribed_at', store.models.UtcDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table('subscribers') as batch:
        batch.drop_column('unsubscribed_at')
    with op.batch_alter_table('subscriptions') as batch:
        batch.drop_column('name')
        batch.drop_column('query')
