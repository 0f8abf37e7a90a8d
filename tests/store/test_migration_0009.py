"""Migration 0009 (search index) on SQLite and PostgreSQL: the stored archive is marked
pending and then found, the tables match the models, and it downgrades."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from alerts.search import search_archive
from store import open_store
from tests.store.test_migration_0002 import _migrate
from tests.store.test_migration_0006 import _differences
from tests.web.support import web_config


def _is_words_tsv(change: object) -> bool:
    """The PostgreSQL-only generated column and its GIN index, which the models omit."""
    return "words_tsv" in repr(change)


def test_0009_marks_the_archive_pending_matches_the_models_and_downgrades(
    database_url: str, tmp_path: Path
) -> None:
    _migrate(database_url, "upgrade", "0008")
    engine = create_engine(database_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for n, body in enumerate(["Le Laos et la Chine.", "Le delta du Mékong."]):
            connection.execute(
                text(
                    "INSERT INTO articles (source, article_id, url, title, summary, body,"
                    " captions, language, published_at, published_offset_minutes,"
                    " published_time_known, first_seen_at, last_seen_at, content_hash, extraction,"
                    " extraction_note, backfill) VALUES ('vietnamplus', :n, :url, 'Titre', '',"
                    " :body, '[]', 'fr', :now, 420, true, :now, :now, :hash, 'ok', '', false)"
                ),
                {"n": str(n), "url": f"https://example.org/{n}", "body": body, "now": now,
                 "hash": f"h{n}"},
            )  # fmt: skip
    engine.dispose()
    _migrate(database_url, "upgrade", "0009")
    changes = _differences(database_url, {"search_words", "search_pending"})
    assert [change for change in changes if not _is_words_tsv(change)] == []
    store = open_store(database_url)
    try:
        assert store.count_unindexed() == 2  # the upgrade marked the archive pending
        result = search_archive(store, web_config(tmp_path), "Mékong")
        assert [hit.article.article_id for hit in result.hits] == ["1"]
    finally:
        store.close()
    _migrate(database_url, "downgrade", "0008")
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert not {"search_words", "search_pending", "search_fts"} & tables
