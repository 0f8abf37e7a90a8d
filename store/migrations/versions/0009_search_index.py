"""search index: each article's folded words, looked up by FTS5 (SQLite) or tsvector (PostgreSQL)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:45:00

``search_words`` holds, per article, the folded words the matcher sees
(written by the search stage, ``alerts.search.index_pending``, which owns the
folding) and the content hash they were read from. ``search_pending`` lists
the articles whose words are missing: triggers on ``articles`` add every new
article, and an edited one (a new ``content_hash``) after deleting its stale
words, so a search verifies the pending articles and never loses a match.
On SQLite an external-content FTS5 table follows ``search_words`` through
triggers; on PostgreSQL a generated ``tsvector`` column carries a GIN index.
The words are folded already, so the ``ascii`` tokenizer and the ``simple``
config only split on the spaces. The upgrade marks every stored article
pending; the next matching run (or search) indexes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(words, content='search_words', "
    "content_rowid='article_pk', tokenize='ascii', detail='none')",
    "CREATE TRIGGER search_words_ai AFTER INSERT ON search_words BEGIN "
    "INSERT INTO search_fts(rowid, words) VALUES (new.article_pk, new.words); END",
    "CREATE TRIGGER search_words_ad AFTER DELETE ON search_words BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, words) VALUES ('delete', old.article_pk, old.words);"
    " END",
    "CREATE TRIGGER search_words_au AFTER UPDATE ON search_words BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, words) VALUES ('delete', old.article_pk, old.words);"
    " INSERT INTO search_fts(rowid, words) VALUES (new.article_pk, new.words); END",
    "CREATE TRIGGER articles_search_new AFTER INSERT ON articles BEGIN "
    "INSERT OR IGNORE INTO search_pending(article_pk) VALUES (new.id); END",
    "CREATE TRIGGER articles_search_stale AFTER UPDATE OF content_hash ON articles "
    "WHEN old.content_hash IS NOT new.content_hash BEGIN "
    "DELETE FROM search_words WHERE article_pk = new.id; "
    "INSERT OR IGNORE INTO search_pending(article_pk) VALUES (new.id); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_search_new",
    "DROP TRIGGER IF EXISTS articles_search_stale",
    "DROP TRIGGER IF EXISTS search_words_au",
    "DROP TRIGGER IF EXISTS search_words_ad",
    "DROP TRIGGER IF EXISTS search_words_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_UP = [
    "ALTER TABLE search_words ADD COLUMN words_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED",
    "CREATE INDEX ix_search_words_words_tsv ON search_words USING gin (words_tsv)",
    "CREATE FUNCTION search_article_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' THEN DELETE FROM search_words WHERE article_pk = NEW.id; END IF; "
    "INSERT INTO search_pending(article_pk) VALUES (NEW.id) ON CONFLICT DO NOTHING; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER articles_search_new AFTER INSERT ON articles "
    "FOR EACH ROW EXECUTE FUNCTION search_article_changed()",
    "CREATE TRIGGER articles_search_stale AFTER UPDATE OF content_hash ON articles "
    "FOR EACH ROW WHEN (OLD.content_hash IS DISTINCT FROM NEW.content_hash) "
    "EXECUTE FUNCTION search_article_changed()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS articles_search_new ON articles",
    "DROP TRIGGER IF EXISTS articles_search_stale ON articles",
    "DROP FUNCTION IF EXISTS search_article_changed()",
]


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "search_words",
        sa.Column(
            "article_pk",
            big_id,
            sa.ForeignKey(
                "articles.id", ondelete="CASCADE", name="fk_search_words_article_pk_articles"
            ),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("article_pk", name="pk_search_words"),
    )
    op.create_table(
        "search_pending",
        sa.Column(
            "article_pk",
            big_id,
            sa.ForeignKey(
                "articles.id", ondelete="CASCADE", name="fk_search_pending_article_pk_articles"
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("article_pk", name="pk_search_pending"),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)
    op.execute("INSERT INTO search_pending (article_pk) SELECT id FROM articles")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("search_pending")
    op.drop_table("search_words")
