"""bodiless pages: how many of a source's last extracted pages were stored without a body

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'source_state',
        sa.Column('extracted_pages', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column(
        'source_state',
        sa.Column('bodiless_pages', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column('source_state', sa.Column('bodiless_example_url', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('source_state') as batch:
        batch.drop_column('bodiless_example_url')
        batch.drop_column('bodiless_pages')
        batch.drop_column('extracted_pages')
