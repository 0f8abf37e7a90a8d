"""trend counts: articles per rule and per watchlist entity per local day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:30:00

``trend_hits`` lists, per article, the rules and watchlist entities it counts
for and its local day; ``trend_counts`` is the same counted per (kind, key,
day), which the trends pages read. Both start empty: the local day depends on
config.yaml's ``timezone`` and an entity's hits on the matcher, which a
migration cannot run, so the first matching run after the upgrade fills them
from the stored archive (``alerts.trends.ensure_trends``; by hand:
``vnawatch trends --rebuild``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "trend_hits",
        sa.Column(
            "article_pk",
            big_id,
            sa.ForeignKey("articles.id", ondelete="CASCADE", name="fk_trend_hits_article_pk_articles"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("article_pk", "kind", "key", name="pk_trend_hits"),
    )
    op.create_index("ix_trend_hits_kind_key_day", "trend_hits", ["kind", "key", "day"])
    op.create_table(
        "trend_counts",
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "day", name="pk_trend_counts"),
    )


def downgrade() -> None:
    op.drop_table("trend_counts")
    op.drop_index("ix_trend_hits_kind_key_day", table_name="trend_hits")
    op.drop_table("trend_hits")
