"""queueing indexes: a subscriber's deliveries by kind, and the articles of a delivery

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 09:10:00

The batch queueing path asks, for a page of subscribers, when each was last
sent an alert (``last_delivery_times``) and which articles recent deliveries
carried; without these, each page scans the outbox.
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_deliveries_subscriber_id_kind', 'deliveries', ['subscriber_id', 'kind', 'created_at']
    )
    op.create_index('ix_delivered_articles_delivery_id', 'delivered_articles', ['delivery_id'])


def downgrade() -> None:
    op.drop_index('ix_delivered_articles_delivery_id', table_name='delivered_articles')
    op.drop_index('ix_deliveries_subscriber_id_kind', table_name='deliveries')
