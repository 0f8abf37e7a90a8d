"""The rising-names reads on both backends, and the whole report over a stored archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.rising import rising_names
from config import load_config
from store import Store
from tests.alerts.names_support import MISSED_ALIAS, NEW_NAME, seed
from tests.conftest import SHIPPED_CONFIG

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_name_texts_split_at_the_window_and_read_every_batch(store: Store) -> None:
    items = seed(store, NOW)
    since = NOW - timedelta(days=7)
    read = list(store.name_texts(NOW - timedelta(days=35), since, NOW, batch=7))
    assert len(read) == len(items)
    assert sum(t.recent for t in read) == sum(a.published_at >= since for a in items)
    assert any(NEW_NAME in t.text for t in read if t.recent)
    first = min(items, key=lambda a: a.published_at)
    assert read[0].text == f"{first.title}\n{first.summary}\n{first.body}"


def test_article_texts_newest_first_in_batches(store: Store) -> None:
    items = seed(store, NOW)
    read = list(store.article_texts(NOW - timedelta(days=3), NOW, newest_first=True, batch=2))
    expected = sorted(
        (a for a in items if a.published_at >= NOW - timedelta(days=3)),
        key=lambda a: a.published_at,
        reverse=True,
    )
    assert [t.url for t in read] == [a.url for a in expected]
    assert all(t.published_at.tzinfo is not None for t in read)


def test_rising_names_over_a_stored_archive(store: Store) -> None:
    seed(store, NOW)
    report = rising_names(store, load_config(SHIPPED_CONFIG), NOW - timedelta(days=7), NOW)
    first = report.rising[0]
    assert (first.name, first.count, first.previous) == (NEW_NAME, 6, 0)
    # the three newest articles naming it, newest first
    assert [s.published_at for s in first.samples] == sorted(
        (s.published_at for s in first.samples), reverse=True
    )
    assert len(first.samples) == 3 and all("Thang" in s.title or "Thắng" in s.title
                                           for s in first.samples)  # fmt: skip
    assert MISSED_ALIAS in {s for a in report.aliases for s, _ in a.spellings}
    assert report.articles + report.baseline_articles == len(list(store.iter_articles()))
