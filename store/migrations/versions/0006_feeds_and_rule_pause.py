"""feeds and per-rule pause: a subscriber's feed nonce, a subscription's pause and resume

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('subscribers', sa.Column('feed_nonce', sa.String(32), nullable=True))
    # each existing subscriber gets its own random nonce, so no two feed links collide
    bind = op.get_bind()
    subscribers = sa.table('subscribers', sa.column('id', sa.Integer), sa.column('feed_nonce'))
    for (subscriber_id,) in bind.execute(sa.select(subscribers.c.id)).all():
        bind.execute(
            subscribers.update()
            .where(subscribers.c.id == subscriber_id)
            .values(feed_nonce=secrets.token_hex(8))
        )
    with op.batch_alter_table('subscribers') as batch:
        batch.alter_column('feed_nonce', existing_type=sa.String(32), nullable=False)
    op.add_column('subscriptions', sa.Column('paused_at', sa.DateTime(timezone=True)))
    op.add_column('subscriptions', sa.Column('resumed_at', sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions') as batch:
        batch.drop_column('resumed_at')
        batch.drop_column('paused_at')
    with op.batch_alter_table('subscribers') as batch:
        batch.drop_column('feed_nonce')
