from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from store import Store
from store.records import Article, CrawlRun

HANOI = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _article(article_id: str = "256133", **changes: object) -> Article:
    base = Article(
        source="vietnamplus",
        article_id=article_id,
        url=f"https://fr.vietnamplus.vn/exemple-post{article_id}.vnp",
        title="Le Vietnam et la Chine renforcent leur coopération",
        summary="Un chapô.",
        body="Hanoï (VNA) – Premier paragraphe.\n\nSecond paragraphe.",
        published_at=datetime(2026, 11, 21, 14, 30, tzinfo=HANOI),
        content_hash="hash-1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_schema_is_current_after_upgrade(store: Store) -> None:
    assert store.is_current()


def test_save_article_keeps_offset_and_identity(store: Store) -> None:
    assert store.save_article(_article(), NOW) == "new"
    stored = store.article_by_identity("vietnamplus", "256133")
    assert stored is not None
    assert stored.published_at.isoformat() == "2026-11-21T14:30:00+07:00"
    assert stored.first_seen_at == NOW
    assert store.count_articles() == 1


def test_every_record_field_is_stored_and_read_back(store: Store) -> None:
    full = _article(
        updated_at=datetime(2026, 11, 21, 16, 0, tzinfo=HANOI),
        section="Politique",
        credit="VNA/CVN",
        dateline="Hanoï",
        language="fr",
        captions=("Une légende.",),
        extraction="partial",
        extraction_note="selector overruled",
        story_key="story-1",
    )
    assert store.save_article(full, NOW) == "new"
    stored = store.article_by_identity("vietnamplus", "256133")
    assert stored is not None and stored.id is not None
    set_by_store = {"id": stored.id, "first_seen_at": NOW, "last_seen_at": NOW}
    assert stored == replace(full, **set_by_store)  # type: ignore[arg-type]


def test_same_id_under_another_url_is_not_a_second_article(store: Store) -> None:
    store.save_article(_article(), NOW)
    legacy = _article(url="https://fr.vietnamplus.vn/exemple/256133.vnp")
    assert store.save_article(legacy, NOW) == "unchanged"
    assert store.count_articles() == 1


def test_changed_content_is_an_update_and_rematched(store: Store) -> None:
    store.save_article(_article(), NOW)
    (first,) = store.unmatched_articles()
    assert first.id is not None
    store.mark_matched([first.id], NOW)
    assert store.unmatched_articles() == []
    later = NOW + timedelta(hours=1)
    assert (
        store.save_article(_article(content_hash="hash-2", title="Titre corrigé"), later)
        == "updated"
    )
    (again,) = store.unmatched_articles()
    assert again.title == "Titre corrigé"
    assert again.updated_at == later
    assert again.first_seen_at == NOW


def test_known_article_ids_answers_in_batches(store: Store) -> None:
    for i in range(3):
        store.save_article(_article(str(1000 + i)), NOW)
    wanted = [str(i) for i in range(900, 2100)]
    assert store.known_article_ids("vietnamplus", wanted) == {"1000", "1001", "1002"}
    assert store.known_article_ids("lecourrier", wanted) == set()


def test_iter_articles_is_stable_and_filtered(store: Store) -> None:
    for i in range(5):
        published = datetime(2026, 11, 20 + i, 9, 0, tzinfo=HANOI)
        store.save_article(_article(str(i), published_at=published), NOW)
    ids = [a.article_id for a in store.iter_articles(batch=2)]
    assert ids == ["0", "1", "2", "3", "4"]
    since = datetime(2026, 11, 22, tzinfo=HANOI)
    assert [a.article_id for a in store.iter_articles(since=since)] == ["2", "3", "4"]


def test_record_crawl_counts_failures_in_a_row(store: Store) -> None:
    failed = CrawlRun("lecourrier", NOW, NOW, errors=("HTTP 500 on sitemap",))
    store.record_crawl(failed)
    state = store.record_crawl(failed)
    assert state.consecutive_failures == 2
    assert state.last_error == "HTTP 500 on sitemap"
    ok = store.record_crawl(CrawlRun("lecourrier", NOW, NOW, new_articles=3))
    assert ok.consecutive_failures == 0
    assert ok.last_success_at == NOW
