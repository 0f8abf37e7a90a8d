"""selector health: how the body selectors fared on a source's last crawled pages

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 06:16:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COUNTS = ('selectors_held', 'selectors_rejected', 'selectors_missing')


def upgrade() -> None:
    for name in COUNTS:
        op.add_column(
            'source_state',
            sa.Column(name, sa.Integer(), nullable=False, server_default='0'),
        )
    op.add_column('source_state', sa.Column('selector_example_url', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('source_state') as batch:
        for name in (*COUNTS, 'selector_example_url'):
            batch.drop_column(name)
