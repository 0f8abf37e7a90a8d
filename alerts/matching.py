"""Matching jobs (re-exported by :mod:`alerts.jobs`): stored articles -> stored matches.

This is the matching half of ``alerts.jobs``, the code that wires the store to
the pure matcher stage:

- :func:`match_new_articles` matches every article not matched since it was
  stored or updated, in batches, and stores the matches (``replace_matches``
  marks the article matched in the same transaction);
- :func:`rematch_since` re-matches the stored articles published since a
  date, after a rule edit; matches are replaced, never duplicated;
- :func:`test_rule` runs a query over the stored archive (``rule test``):
  the matches with their highlights and the count per day;
- :func:`explain_rule` says why a rule did or did not match a stored article;
- :func:`rule_shares` measures each rule's share of the recent archive, so
  ``check-config`` can warn about a rule that would flood its subscribers;
- :func:`match_new_articles` also brings the archive search's index up to
  date (:func:`alerts.search.index_pending`), and both jobs keep the trend
  counts per rule and per watchlist entity current (:mod:`alerts.trends`);
- :func:`archive_frequencies` samples the newest stored articles so that,
  with many rules, each is indexed under its rarest words (alerts.presearch).

Matching sees config.yaml's rules plus the web subscribers' stored ones
(:func:`alerts.subscriptions.with_stored_rules`). One article's failure is
logged and counted, never fatal to the run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from alerts.digest import snippet_parts
from alerts.matcher import Matcher, compile_rules, word_shares
from alerts.presearch import WordFrequencies
from alerts.search import index_pending
from alerts.subscriptions import with_stored_rules
from alerts.trends import TrendCounting, batched, counting
from config import Config, Rule, Source, article_id_from_url
from store.records import Article, ArticleTrend, Match

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)
MATCH_BATCH = 200
TEST_RULE_ID = "rule_test"
SHARE_SAMPLE = 5000  # articles read by check-config to estimate each rule's share
# with this many rules, the archive's word shares choose the presearch keys: sampling
# costs about a second, and fewer rules select few candidates from the guess alone
FREQUENCY_MIN_RULES = 1000
FREQUENCY_SAMPLE = 1000  # newest articles sampled
FREQUENCY_MIN_ARTICLES = 100  # a smaller archive says little: the guess is kept
FREQUENCY_MAX_AGE_S = 6 * 3600.0  # a running scheduler samples again after this


@dataclass(frozen=True)
class MatchReport:
    """What a matching run did."""

    articles: int = 0
    matched_articles: int = 0
    matches: int = 0
    errors: int = 0
    rules: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"matching articles={self.articles} matched_articles={self.matched_articles} "
            f"matches={self.matches} rules={self.rules} errors={self.errors} "
            f"seconds={self.seconds:.2f}"
        )

    def summary(self) -> str:
        """The counts a scheduler job line carries; ``match_errors`` names the stage, so
        a line joining several reports never repeats a key."""
        return (
            f"matched_articles={self.matched_articles} matches={self.matches} "
            f"match_errors={self.errors}"
        )


@dataclass(frozen=True)
class RuleTestHit:
    """One stored article a tested query matches, with its evidence."""

    article: Article
    match: Match


@dataclass(frozen=True)
class RuleTest:
    """The result of ``rule test``: hits by publication time, counts per local day."""

    query: str
    hits: list[RuleTestHit] = field(default_factory=list)
    per_day: list[tuple[date, int]] = field(default_factory=list)
    articles_scanned: int = 0

    def render(self, *, limit: int = 20) -> str:
        """The operator's view: the count per day, then the newest hits with highlights."""
        lines = [
            f"{self.query!r}: {len(self.hits)} of {self.articles_scanned} stored articles match"
        ]
        lines.extend(f"  {day.isoformat()}  {count:>4}" for day, count in self.per_day)
        shown = sorted(self.hits, key=lambda hit: hit.article.published_at, reverse=True)[:limit]
        for hit in shown:
            article, match = hit.article, hit.match
            lines.append("")
            lines.append(f"{article.published_text()} {article.source}: {article.title}")
            lines.append(f"  {article.url}")
            lines.append(f"  [{'/'.join(match.zones)}] {highlighted(match)}")
        if len(self.hits) > len(shown):
            lines.append(f"\n… and {len(self.hits) - len(shown)} more (--limit)")
        return "\n".join(lines)


@dataclass(frozen=True)
class RuleShare:
    """How much of the recent archive one rule matches (``check-config``)."""

    rule_id: str
    matched: int
    scanned: int

    @property
    def fraction(self) -> float:
        return self.matched / self.scanned if self.scanned else 0.0


def highlighted(match: Match) -> str:
    """The match's snippet with each highlighted run in »…« marks."""
    return "".join(f"»{text}«" if marked else text for text, marked in snippet_parts(match.snippet))


class _SampleCache:
    """The last sample of each database's word shares, and when it was taken."""

    def __init__(self) -> None:
        self.samples: dict[str, tuple[float, WordFrequencies]] = {}

    def get(self, store: Store) -> WordFrequencies | None:
        """The cached sample, or a new one when it is old or the archive was too small."""
        cached = self.samples.get(store.url)
        if cached and time.monotonic() - cached[0] < FREQUENCY_MAX_AGE_S:
            return cached[1]
        frequencies = archive_frequencies(store)
        if frequencies is not None:
            self.samples[store.url] = (time.monotonic(), frequencies)
        return frequencies


_samples = _SampleCache()


def archive_frequencies(store: Store, limit: int = FREQUENCY_SAMPLE) -> WordFrequencies | None:
    """The word shares of the newest stored articles; None below FREQUENCY_MIN_ARTICLES."""
    started = time.perf_counter()
    articles = store.newest_articles(limit)
    if len(articles) < FREQUENCY_MIN_ARTICLES:
        return None
    frequencies = word_shares(articles)
    logger.info(
        "archive sampled for presearch keys articles=%d seconds=%.2f",
        len(articles), time.perf_counter() - started,
    )  # fmt: skip
    return frequencies


# the last matcher of each database, with what it was compiled from: a scheduler
# matches after every crawl, and re-indexing 10,000 rules costs about a second
_compiled: dict[str, tuple[object, WordFrequencies | None, Matcher]] = {}


def compile_for_archive(store: Store, config: Config, rules: Sequence[Rule]) -> Matcher:
    """The rules compiled, keyed by the archive's word shares when they are many.

    The last matcher compiled for ``store`` is reused while the rules, the
    watchlists and the archive sample are the same.
    """
    frequencies = _samples.get(store) if len(rules) >= FREQUENCY_MIN_RULES else None
    # a rule's id and query are all a match depends on, with the watchlists
    source = (tuple((rule.id, rule.query) for rule in rules), tuple(config.watchlists))
    last = _compiled.get(store.url)
    if last is not None and last[0] == source and last[1] is frequencies:
        return last[2]
    matcher = compile_rules(rules, config.watchlists, frequencies)
    _compiled[store.url] = (source, frequencies, matcher)
    return matcher


def match_new_articles(
    store: Store,
    config: Config,
    *,
    now: datetime,
    batch: int = MATCH_BATCH,
    count_trends: bool = True,
) -> MatchReport:
    """Match every unmatched article against the rules (config.yaml's and the stored
    ones) and store the matches, with the trend counts (``count_trends=False``: the
    benchmark's baseline only)."""
    started = time.perf_counter()
    config = with_stored_rules(store, config)
    count = counting(store, config, now, entities=True) if count_trends else None
    rules = [*config.rules, *(count.entity_rules if count else ())]
    matcher = compile_for_archive(store, config, rules)
    counts: Counter[str] = Counter()
    while True:
        articles = store.unmatched_articles(limit=batch)
        if not articles:
            break
        _match_batch(store, matcher, articles, now, counts, count=count)
    # the search index follows the same new and edited articles (alerts.search)
    indexed = index_pending(store)
    if indexed:
        logger.info("search index updated articles=%d", indexed)
    report = _report(counts, len(config.rules), started)
    logger.info(
        "match finished articles=%d matched=%d matches=%d errors=%d rules=%d",
        report.articles, report.matched_articles, report.matches, report.errors, report.rules,
    )  # fmt: skip
    return report


def rematch_since(
    store: Store,
    config: Config,
    since: datetime,
    *,
    rule_ids: Iterable[str] | None = None,
    now: datetime,
) -> MatchReport:
    """Re-match stored articles published since ``since`` (all rules, or ``rule_ids``).

    Earlier matches of the re-matched rules are replaced, so a re-run never
    creates duplicates; a rule id absent from the config loses its matches.
    """
    started = time.perf_counter()
    config = with_stored_rules(store, config)
    wanted = None if rule_ids is None else set(rule_ids)
    rules = [r for r in config.rules if wanted is None or r.id in wanted]
    # a re-match of every rule recounts the entities too; of some rules, only those
    count = counting(store, config, now, entities=wanted is None)
    matcher = compile_for_archive(store, config, [*rules, *count.entity_rules])
    counts: Counter[str] = Counter()
    for articles in batched(store.iter_articles(since=since), MATCH_BATCH):
        _match_batch(store, matcher, articles, now, counts, rule_ids=wanted, count=count)
    report = _report(counts, len(rules), started)
    logger.info(
        "rematch finished since=%s articles=%d matches=%d errors=%d rules=%d",
        since.isoformat(), report.articles, report.matches, report.errors, report.rules,
    )  # fmt: skip
    return report


def _match_batch(
    store: Store,
    matcher: Matcher,
    articles: Sequence[Article],
    now: datetime,
    counts: Counter[str],
    *,
    rule_ids: set[str] | None = None,
    count: TrendCounting | None = None,
) -> None:
    """Match a batch of articles; store their trend hits, then each one's matches."""
    found: list[tuple[int, list[Match] | None]] = []
    trends: list[ArticleTrend] = []
    for article in articles:
        assert article.id is not None, "stored articles have an id"
        counts["articles"] += 1
        try:
            matches, entities = matcher.match_counting(article)
        except Exception:
            # an article the matcher cannot handle must not stop the run, nor loop forever
            logger.exception("match failed article_id=%s url=%s", article.id, article.url)
            counts["errors"] += 1
            found.append((article.id, None))
            continue
        found.append((article.id, matches))
        if count is not None:
            day = article.published_day(count.zone)
            named = tuple(entities) if count.entities else None
            rules = tuple(sorted({m.rule_id for m in matches}))
            trends.append(ArticleTrend(article.id, day, rules, named))
    # the counts first: a crash after them leaves the articles unmatched, and matching
    # them again replaces their hits by the same ones (alerts.trends)
    store.replace_trend_hits(trends, rule_ids=rule_ids)
    for article_pk, matches in found:
        if matches is None:
            store.mark_matched([article_pk], now)
            continue
        store.replace_matches(article_pk, matches, now, rule_ids=rule_ids)
        counts["matches"] += len(matches)
        counts["matched_articles"] += bool(matches)


def _report(counts: Counter[str], rules: int, started: float) -> MatchReport:
    return MatchReport(
        articles=counts["articles"],
        matched_articles=counts["matched_articles"],
        matches=counts["matches"],
        errors=counts["errors"],
        rules=rules,
        seconds=round(time.perf_counter() - started, 3),
    )


def test_rule(store: Store, config: Config, query: str, since: datetime | None = None) -> RuleTest:
    """Run ``query`` over the stored articles published since ``since``; nothing is stored.

    Raises :class:`alerts.query.RuleSyntaxError` or ``RuleRefusedError`` for a bad query.
    """
    matcher = compile_rules([Rule(id=TEST_RULE_ID, name="test", query=query)], config.watchlists)
    zone = ZoneInfo(config.timezone)
    hits: list[RuleTestHit] = []
    scanned = 0
    for article in store.iter_articles(since=since):
        scanned += 1
        hits.extend(RuleTestHit(article, match) for match in matcher.match(article))
    days = Counter(hit.article.published_day(zone) for hit in hits)
    return RuleTest(query, hits, sorted(days.items()), scanned)


test_rule.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def explain_rule(store: Store, config: Config, rule_id: str, url: str) -> list[str] | None:
    """Lines saying why rule ``rule_id`` does or does not match the stored article at ``url``
    (any form :func:`find_article` accepts).

    None when no such article is stored.
    """
    rules: Sequence[Rule] = [r for r in config.rules if r.id == rule_id]
    if not rules:
        return [f"unknown rule {rule_id!r}"]
    article = find_article(store, config, url)
    if article is None:
        return None
    return compile_rules(rules, config.watchlists).explain(rule_id, article)


def find_article(store: Store, config: Config, reference: str) -> Article | None:
    """The stored article a reader means: its URL as stored, the same URL in http or
    https, with or without a trailing slash, another of the outlet's URL forms for the
    same article id, or the outlet's article id alone."""
    reference = reference.strip()
    found = store.article_by_url(reference)
    if found is not None:
        return found
    for source_id, source in config.sources.items():
        article_id = reference if reference.isdigit() else _article_id_on(source, reference)
        if article_id and (found := store.article_by_identity(source_id, article_id)):
            return found
    return None


def _article_id_on(source: Source, url: str) -> str | None:
    """The article id of ``url`` when it is a page of ``source`` (scheme aside)."""
    page, base = urlsplit(url), urlsplit(source.base_url)
    if page.hostname != base.hostname or not page.path.startswith(base.path.rstrip("/")):
        return None
    return article_id_from_url(page.path.rstrip("/"), source.article_url_pattern)


def rule_shares(
    store: Store, config: Config, since: datetime, *, limit: int = SHARE_SAMPLE
) -> list[RuleShare]:
    """Per rule, how many of the first ``limit`` articles published since ``since`` match."""
    matcher = compile_for_archive(store, config, config.rules)
    counts: Counter[str] = Counter()
    scanned = 0
    for article in store.iter_articles(since=since):
        if scanned >= limit:
            break
        scanned += 1
        counts.update(match.rule_id for match in matcher.match(article))
    return [RuleShare(rule.id, counts[rule.id], scanned) for rule in config.rules]
