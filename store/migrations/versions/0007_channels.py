"""chat and webhook channels: a subscriber's Apprise URLs, and the outbox row's channel

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'subscribers',
        sa.Column('channels', sa.JSON(), nullable=False, server_default='[]'),
    )
    op.add_column(
        'subscribers',
        sa.Column('email_delivery', sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    # 'email', or the Apprise URL the row is sent to (a secret: shown redacted)
    op.add_column(
        'deliveries',
        sa.Column('channel', sa.Text(), nullable=False, server_default='email'),
    )


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('channel')
    with op.batch_alter_table('subscribers') as batch:
        batch.drop_column('email_delivery')
        batch.drop_column('channels')
