"""Trend counts on both backends: the match job's incremental counts equal a full recount
of the archive, local days, zero-filled series, removed rules, re-matching, the rebuild."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts import jobs
from alerts.matcher import compile_rules
from alerts.trends import rebuild_trends
from config import Config, Rule, parse_config
from store import Store
from store.records import Article, DayCount

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 10, 20)
DAYS = 45
CONFIG = """
timezone: Asia/Ho_Chi_Minh
sources:
  lecourrier:
    name: Le Courrier du Vietnam
    base_url: https://lecourrier.vn
    credit: CVN
    article_url_pattern: '/(\\d+)\\.html$'
watchlists:
  - id: dirigeants
    name: Dirigeants
    entities:
      - id: to_lam
        name: Tô Lâm
        aliases: [To Lam]
      - id: luong_cuong
        name: Lương Cường
        aliases: [Luong Cuong]
      - id: assemblee
        name: Assemblée nationale
        abbreviations: [AN]
rules:
  - id: to_lam_chine
    name: Tô Lâm et la Chine
    query: 'entity:to_lam AND Chine'
  - id: frontiere
    name: Frontière
    query: 'frontali* OR "frontière terrestre"'
  - id: dirigeants
    name: Dirigeants
    query: '@dirigeants'
  - id: riz
    name: Riz
    query: 'riz NOT café'
"""
PHRASES = [
    "Tô Lâm reçoit l'ambassadeur de Chine",
    "To Lam au sommet",
    "Lương Cường en visite",
    "Luong Cuong et la Chine",
    "L'AN adopte la loi",
    "la coopération frontalière progresse",
    "la frontière terrestre reste calme",
    "les exportations de riz",
    "le café et le riz",
    "une machine agricole",
    "le festival de Huế",
    "la Chine et le Laos",
]


def _config(text: str = CONFIG) -> Config:
    return parse_config(text, Path("config.yaml"))


def _article(number: int, local: datetime, text: str) -> Article:
    return Article(
        source="lecourrier",
        article_id=str(number),
        url=f"https://lecourrier.vn/exemple/{number}.html",
        title=text.split(".")[0],
        body=text,
        published_at=local,
        content_hash=hashlib.sha256(f"{number}{local}{text}".encode()).hexdigest(),
    )


def _random_article(rng: random.Random, number: int) -> Article:
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    # a quarter of them within a minute of local midnight, either side
    midnight = rng.random() < 0.25
    minute = rng.choice([0, 23 * 60 + 59]) if midnight else rng.randrange(24 * 60)
    local = datetime(day.year, day.month, day.day, tzinfo=ZONE) + timedelta(minutes=minute)
    text = ". ".join(rng.sample(PHRASES, rng.randint(1, 3))) + "."
    return _article(number, local, text)


def _recount(store: Store, config: Config) -> dict[tuple[str, str], Counter[date]]:
    """Every count from scratch: the stored matches, and each entity as a plain rule."""
    found: dict[tuple[str, str], Counter[date]] = {}
    for match, article in store.iter_matches():
        found.setdefault(("rule", match.rule_id), Counter())[article.published_day(ZONE)] += 1
    ids = [e.id for w in config.watchlists for e in w.entities]
    plain = [Rule(id=f"e_{i}", name=i, query=f"entity:{i}") for i in ids]
    matcher = compile_rules(plain, config.watchlists)
    for article in store.iter_articles():
        for match in matcher.match_all(article):
            key = ("entity", match.rule_id.removeprefix("e_"))
            found.setdefault(key, Counter())[article.published_day(ZONE)] += 1
    return found


def _assert_counts_equal_recount(store: Store, config: Config) -> None:
    expected = _recount(store, config)
    keys = {("rule", r.id) for r in config.rules}
    keys |= {("entity", e.id) for w in config.watchlists for e in w.entities}
    keys |= set(expected)
    end = FIRST_DAY + timedelta(days=DAYS + 2)
    start = FIRST_DAY - timedelta(days=2)
    for kind, key in sorted(keys):
        series = store.daily_counts(kind, key, start, end)  # type: ignore[arg-type]
        got = {point.day: point.articles for point in series if point.articles}
        assert got == dict(expected.get((kind, key), Counter())), (kind, key)
    assert sum(len(c) for c in expected.values()) > 50, "the archive exercises the counts"


def test_incremental_counts_equal_a_full_recount(store: Store) -> None:
    rng = random.Random(23)
    config = _config()
    articles = [_random_article(rng, n) for n in range(1, 301)]
    # arrivals in several crawls, each followed by the match job
    for i in range(0, 240, 60):
        for article in articles[i : i + 60]:
            store.save_article(article, NOW)
        jobs.match_new_articles(store, config, now=NOW, batch=25)
    _assert_counts_equal_recount(store, config)
    # edits: new text (other rules and entities), some moved to another day
    for article in rng.sample(articles[:240], 40):
        moved = article.published_at + timedelta(hours=rng.choice([0, 0, 9, -30]))
        edited = _random_article(rng, int(article.article_id))
        store.save_article(replace(edited, published_at=moved), NOW)
    for article in articles[240:]:
        store.save_article(article, NOW)
    jobs.match_new_articles(store, config, now=NOW)
    _assert_counts_equal_recount(store, config)
    # re-matching the last weeks (all rules, then some after a rule edit) counts nothing twice
    jobs.rematch_since(store, config, datetime(2026, 11, 10, tzinfo=UTC), now=NOW)
    edited_config = _config(CONFIG.replace("'riz NOT café'", "'riz OR café'"))
    jobs.rematch_since(
        store, edited_config, datetime(2026, 11, 20, tzinfo=UTC), rule_ids=["riz"], now=NOW
    )
    since = datetime(2026, 11, 25, tzinfo=UTC)
    jobs.rematch_since(store, edited_config, since, rule_ids=["riz"], now=NOW)
    _assert_counts_equal_recount(store, edited_config)


def test_rebuild_equals_the_incremental_counts(store: Store) -> None:
    rng = random.Random(5)
    config = _config()
    for n in range(1, 121):
        store.save_article(_random_article(rng, n), NOW)
    jobs.match_new_articles(store, config, now=NOW, batch=30)
    window = (FIRST_DAY, FIRST_DAY + timedelta(days=DAYS))
    before = {key: store.daily_counts("rule", key, *window) for key in ("dirigeants", "riz")}
    before_entity = store.daily_counts("entity", "to_lam", *window)
    report = rebuild_trends(store, config, NOW)
    assert report.articles == 120 and report.hits > 0
    assert {key: store.daily_counts("rule", key, *window) for key in before} == before
    assert store.daily_counts("entity", "to_lam", *window) == before_entity
    _assert_counts_equal_recount(store, config)


def test_an_article_at_23_59_local_counts_on_that_day(store: Store) -> None:
    config = _config()
    late = datetime(2026, 12, 3, 23, 59, tzinfo=ZONE)  # 16:59 UTC
    store.save_article(_article(1, late.astimezone(UTC), "Tô Lâm reçoit la Chine."), NOW)
    store.save_article(_article(2, late + timedelta(minutes=1), "To Lam en Chine."), NOW)
    jobs.match_new_articles(store, config, now=NOW)
    series = store.daily_counts("entity", "to_lam", date(2026, 12, 2), date(2026, 12, 5))
    assert series == [
        DayCount(date(2026, 12, 2), 0),
        DayCount(date(2026, 12, 3), 1),
        DayCount(date(2026, 12, 4), 1),
        DayCount(date(2026, 12, 5), 0),
    ]
    assert store.daily_counts("rule", "to_lam_chine", date(2026, 12, 3), date(2026, 12, 4)) == [
        DayCount(date(2026, 12, 3), 1),
        DayCount(date(2026, 12, 4), 1),
    ]


def test_series_are_zero_filled_and_unknown_keys_are_zeros(store: Store) -> None:
    config = _config()
    store.save_article(_article(1, datetime(2026, 12, 1, 9, tzinfo=ZONE), "Le riz."), NOW)
    jobs.match_new_articles(store, config, now=NOW)
    series = store.daily_counts("rule", "riz", date(2026, 11, 29), date(2026, 12, 3))
    assert [p.articles for p in series] == [0, 0, 1, 0, 0]
    assert [p.day for p in series] == [date(2026, 11, 29) + timedelta(days=i) for i in range(5)]
    nothing = store.daily_counts("rule", "no_such_rule", date(2026, 12, 1), date(2026, 12, 2))
    assert [p.articles for p in nothing] == [0, 0]


def test_a_removed_rule_keeps_its_history(store: Store) -> None:
    config = _config()
    day = datetime(2026, 12, 1, 9, tzinfo=ZONE)
    store.save_article(_article(1, day, "Le riz et la frontière terrestre."), NOW)
    jobs.match_new_articles(store, config, now=NOW)
    without = _config(CONFIG.replace("  - id: riz\n    name: Riz\n    query: 'riz NOT café'\n", ""))
    assert [r.id for r in without.rules] == ["to_lam_chine", "frontiere", "dirigeants"]
    store.save_article(_article(2, day + timedelta(days=1), "Encore du riz."), NOW)
    jobs.match_new_articles(store, without, now=NOW)
    # a re-match of the remaining rules leaves the removed one's matches and counts
    jobs.rematch_since(store, without, day - timedelta(days=1), rule_ids=["frontiere"], now=NOW)
    series = store.daily_counts("rule", "riz", date(2026, 12, 1), date(2026, 12, 2))
    assert [p.articles for p in series] == [1, 0]
    assert store.trend_totals("rule", date(2026, 12, 1), date(2026, 12, 2)) == {
        "frontiere": 1,
        "riz": 1,
    }


def test_counts_outlive_the_retention_of_their_articles(store: Store) -> None:
    config = _config()
    old = datetime(2026, 10, 1, 9, tzinfo=ZONE)
    store.save_article(_article(1, old, "Le riz."), NOW)
    store.save_article(_article(2, old + timedelta(days=40), "Le riz."), NOW)
    jobs.match_new_articles(store, config, now=NOW)
    assert store.delete_articles_before(old + timedelta(days=10)) == 1
    rebuild_trends(store, config, NOW)
    series = store.daily_counts("rule", "riz", old.date(), old.date() + timedelta(days=40))
    assert (series[0].articles, series[-1].articles) == (1, 1)


def test_a_first_match_after_the_upgrade_counts_the_stored_archive(store: Store) -> None:
    config = _config()
    day = datetime(2026, 12, 1, 9, tzinfo=ZONE)
    store.save_article(_article(1, day, "Tô Lâm et le riz."), NOW)
    # an archive matched before migration 0012: matches, no counts
    jobs.match_new_articles(store, config, now=NOW, count_trends=False)
    assert store.trend_timezone() is None
    assert store.daily_counts("entity", "to_lam", day.date(), day.date())[0].articles == 0
    store.save_article(_article(2, day, "Lương Cường et le riz."), NOW)
    jobs.match_new_articles(store, config, now=NOW)
    assert store.trend_timezone() == "Asia/Ho_Chi_Minh"
    assert store.daily_counts("rule", "riz", day.date(), day.date())[0].articles == 2
    assert store.daily_counts("entity", "to_lam", day.date(), day.date())[0].articles == 1
    assert store.daily_counts("entity", "luong_cuong", day.date(), day.date())[0].articles == 1
    # another time zone in config.yaml: the days are counted again in it
    paris = _config(CONFIG.replace("timezone: Asia/Ho_Chi_Minh", "timezone: Europe/Paris"))
    store.save_article(_article(3, datetime(2026, 12, 2, 2, tzinfo=ZONE), "Du riz."), NOW)
    jobs.match_new_articles(store, paris, now=NOW)
    assert store.trend_timezone() == "Europe/Paris"
    series = store.daily_counts("rule", "riz", date(2026, 11, 30), date(2026, 12, 2))
    assert [p.articles for p in series] == [0, 3, 0]  # 02:00 in Hanoi is the 1st in Paris


def test_a_crash_between_the_counts_and_the_matches_counts_nothing_twice(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config()
    rng = random.Random(8)
    for n in range(1, 61):
        store.save_article(_random_article(rng, n), NOW)
    real = store.replace_matches
    calls = 0

    def dying(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 12:  # the batch's hits are stored, 11 of its articles' matches too
            raise OSError("the process died")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "replace_matches", dying)
    with pytest.raises(OSError):
        jobs.match_new_articles(store, config, now=NOW, batch=25)
    monkeypatch.setattr(store, "replace_matches", real)
    assert len(store.unmatched_articles(limit=100)) == 60 - 11
    jobs.match_new_articles(store, config, now=NOW, batch=25)
    _assert_counts_equal_recount(store, config)
