"""date precision: an article whose page gave a day without a time says so

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 06:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows stored before this migration had a time, or an invented 00:00 nobody can tell apart
    op.add_column(
        'articles',
        sa.Column('published_time_known', sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table('articles') as batch:
        batch.drop_column('published_time_known')
