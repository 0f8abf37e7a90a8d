"""Trends: daily counts per rule and per watchlist entity, and their usual level.

The counts live in the store (:mod:`store.trends`); the match job keeps them
current (:func:`counting` says how, :mod:`alerts.matching` passes each article's
:class:`store.records.TrendHits` with its matches). An article counts for an
entity when one of the entity's spellings is found in it: each entity is a
counted-only rule ``entity:<id>`` compiled with the others (the matcher's own
aliases, abbreviations and offices, :data:`alerts.matcher.COUNTED_PREFIX`).

Pure functions here: :func:`baseline` and :func:`usual_levels` (the mean of
the previous 28 days). :func:`trend_series` reads a window with the history
its baseline needs; :func:`rebuild_trends` recounts the whole archive.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from alerts.matcher import COUNTED_PREFIX, compile_rules
from alerts.subscriptions import with_stored_rules
from config import Config, Rule, Watchlist
from store.records import Article, DayCount, TrendHit, TrendKind

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)
BASELINE_DAYS = 28
MIN_HISTORY_DAYS = 7  # fewer days before a day: no usual level for it
REBUILD_BATCH = 500


@dataclass(frozen=True)
class Baseline:
    """The usual level before a day: the mean and standard deviation of its history."""

    days: int  # days of history it stands on (at most BASELINE_DAYS)
    mean: float
    sd: float  # population standard deviation


@dataclass(frozen=True)
class Level:
    """One day's count beside its usual level (None: under MIN_HISTORY_DAYS of history)."""

    day: date
    articles: int
    usual: float | None


@dataclass(frozen=True)
class TrendSeries:
    """A window of daily counts of one rule or entity, with their usual levels.

    ``levels`` runs from ``start`` to ``end``; ``start`` is the window's first
    day or the archive's first, whichever is later. ``history`` is the count
    series from the archive's first day (at most BASELINE_DAYS before ``start``)
    to ``end``, which the usual levels were computed from.
    """

    kind: TrendKind
    key: str
    start: date
    end: date
    levels: list[Level]
    history: list[DayCount]
    first_day: date | None = None  # the archive's first local day; None: it is empty

    @property
    def total(self) -> int:
        return sum(level.articles for level in self.levels)


@dataclass(frozen=True)
class TrendCounting:
    """How a matching run counts: the local days' zone, and the entities' counted rules
    (empty, with ``entities`` False, when a re-match of some rules leaves entities alone)."""

    zone: ZoneInfo
    entity_rules: list[Rule]
    entities: bool


@dataclass(frozen=True)
class RebuildReport:
    articles: int
    hits: int
    count_rows: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"trends rebuilt articles={self.articles} hits={self.hits} "
            f"count_rows={self.count_rows} seconds={self.seconds:.2f}"
        )


def baseline(history: Sequence[int]) -> Baseline:
    """The usual level of the days ``history`` (the last BASELINE_DAYS of it count)."""
    days = list(history[-BASELINE_DAYS:])
    if not days:
        return Baseline(0, 0.0, 0.0)
    mean = sum(days) / len(days)
    sd = math.sqrt(sum((n - mean) ** 2 for n in days) / len(days))
    return Baseline(len(days), mean, sd)


def usual_levels(series: Sequence[DayCount]) -> list[Level]:
    """Each day of ``series`` (consecutive days, the first one the archive's first or
    earlier history left out) with the mean of the BASELINE_DAYS days before it."""
    levels: list[Level] = []
    total = 0
    for i, point in enumerate(series):
        days = min(i, BASELINE_DAYS)
        usual = total / days if days >= MIN_HISTORY_DAYS else None
        levels.append(Level(point.day, point.articles, usual))
        total += point.articles
        if i >= BASELINE_DAYS:
            total -= series[i - BASELINE_DAYS].articles
    return levels


def local_today(config: Config, now: datetime) -> date:
    return now.astimezone(ZoneInfo(config.timezone)).date()


def archive_first_day(store: Store, config: Config) -> date | None:
    """The local day of the archive's first publication; None when it is empty."""
    span = store.published_range()
    return span[0].astimezone(ZoneInfo(config.timezone)).date() if span else None


def trend_series(
    store: Store, config: Config, kind: TrendKind, key: str, *, days: int, end: date
) -> TrendSeries:
    """The last ``days`` days to ``end`` of one rule or entity, with usual levels."""
    return trend_series_many(store, config, kind, [key], days=days, end=end)[key]


def trend_series_many(
    store: Store, config: Config, kind: TrendKind, keys: Sequence[str], *, days: int, end: date
) -> dict[str, TrendSeries]:
    """:func:`trend_series` of several keys, in one read (compare view, digests)."""
    first_day = archive_first_day(store, config)
    start, fetch_from = trend_window(first_day, end, days)
    found = store.daily_counts_many(kind, keys, fetch_from, end)
    return {key: build_series(kind, key, series, start, first_day) for key, series in found.items()}


def trend_window(first_day: date | None, end: date, days: int) -> tuple[date, date]:
    """The first day shown of ``days`` days to ``end``, and the first day to read for
    its usual levels (neither before the archive's first day)."""
    first = first_day or end
    start = max(end - timedelta(days=days - 1), min(first, end))
    return start, max(start - timedelta(days=BASELINE_DAYS), min(first, start))


def build_series(
    kind: TrendKind, key: str, history: list[DayCount], start: date, first_day: date | None
) -> TrendSeries:
    """The series shown from ``start``, out of ``history`` (read from :func:`trend_window`)."""
    skip = (start - history[0].day).days if history else 0
    end = history[-1].day if history else start
    return TrendSeries(kind, key, start, end, usual_levels(history)[skip:], history, first_day)


def entity_rules(watchlists: Iterable[Watchlist]) -> list[Rule]:
    """Each watchlist entity as a counted-only rule ``entity:<id>`` of query ``entity:<id>``."""
    ids = dict.fromkeys(e.id for w in watchlists for e in w.entities)
    return [
        Rule.model_construct(id=f"{COUNTED_PREFIX}{i}", name=i, query=f"entity:{i}") for i in ids
    ]


def counting(store: Store, config: Config, now: datetime, *, entities: bool) -> TrendCounting:
    """How this matching run counts; rebuilds the counts first when they were never
    built or were built in another time zone (the first run after migration 0012)."""
    if store.trend_timezone() != config.timezone:
        logger.info("trend counts missing or in another time zone: rebuilding them")
        logger.info("%s", rebuild_trends(store, config, now))
    rules = entity_rules(config.watchlists) if entities else []
    return TrendCounting(ZoneInfo(config.timezone), rules, entities)


def rebuild_trends(store: Store, config: Config, now: datetime) -> RebuildReport:
    """Recount every stored article: its stored matches' rules and the entities it names.

    Counts of days older than the archive (articles gone with the retention) stay.
    """
    started = time.perf_counter()
    config = with_stored_rules(store, config)
    zone = ZoneInfo(config.timezone)
    matcher = compile_rules(entity_rules(config.watchlists), config.watchlists)
    store.clear_trend_hits()
    first: date | None = None
    articles = hits = 0
    for chunk in batched(store.iter_articles(), REBUILD_BATCH):
        rules_of = store.rule_ids_by_article([a.id for a in chunk if a.id is not None])
        found: list[TrendHit] = []
        for article in chunk:
            assert article.id is not None, "stored articles have an id"
            day = article.published_day(zone)
            first = day if first is None else min(first, day)
            found.extend(TrendHit(article.id, "rule", r, day) for r in set(rules_of[article.id]))
            _, named = matcher.match_counting(article)
            found.extend(TrendHit(article.id, "entity", e, day) for e in named)
        store.add_trend_hits(found)
        articles, hits = articles + len(chunk), hits + len(found)
    count_rows = store.recount_trends(first) if first is not None else 0
    store.set_trend_timezone(config.timezone, now)
    return RebuildReport(articles, hits, count_rows, round(time.perf_counter() - started, 3))


def batched(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """Lists of ``size`` articles (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
