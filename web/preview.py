"""The sign-up form's live preview: counts per day and the newest matches, as JSON.

:func:`preview_body` turns a ``rule test`` result (:func:`alerts.jobs.test_rule`
over the last 30 days) into what ``static/app.js`` draws: the count of
articles (each outlet's copy counts), said in the reader's language with
the number agreeing, the number of distinct dispatches when one was carried
by several outlets, a bar per day, and the newest dispatches, each with the
other outlets that carried it ("aussi dans …", as in digests:
:func:`alerts.dedupe.cluster_duplicates`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from alerts.dedupe import cluster_duplicates
from alerts.digest import snippet_parts
from alerts.labels import LABELS, Formatter, counted
from web.labels import labels_for

if TYPE_CHECKING:
    from alerts.matching import RuleTest, RuleTestHit
    from config import Config

PREVIEW_DAYS = 30
PREVIEW_HITS = 5


def preview_body(result: RuleTest, config: Config, now: datetime, language: str) -> dict[str, Any]:
    """Counts per day (each with its label for the chart) and the newest dispatches, with
    dates written in the reader's language in the service's zone."""
    fmt = Formatter(language, config.timezone)
    today = now.astimezone(fmt.zone).date()
    counts = Counter(dict(result.per_day))
    days = [today - timedelta(days=n) for n in range(PREVIEW_DAYS - 1, -1, -1)]
    groups = dispatches(result.hits)
    return {
        "ok": True,
        "total": len(result.hits),
        "dispatches": len(groups),
        "count_label": count_label(len(result.hits), len(groups), language),
        "most": max(counts.values(), default=0),
        "days": [
            {"day": day.isoformat(), "label": fmt.day_month(day), "count": counts.get(day, 0)}
            for day in days
        ],
        "hits": [_hit(group, config, fmt) for group in groups[:PREVIEW_HITS]],
    }


def dispatches(hits: list[RuleTestHit]) -> list[list[RuleTestHit]]:
    """The hits newest first, one group per dispatch (first: the newest copy)."""
    ordered = sorted(hits, key=lambda hit: hit.article.published_at, reverse=True)
    by_article = {id(hit.article): hit for hit in ordered}
    groups = cluster_duplicates([hit.article for hit in ordered])
    return [[by_article[id(article)] for article in group] for group in groups]


def count_label(articles: int, dispatches: int, language: str) -> str:
    """ "12 articles sur 30 jours (9 dépêches, …)"; the dispatches only when fewer."""
    labels = labels_for(language)
    text = counted(labels["preview_count"], articles, language)
    if dispatches < articles:
        text += counted(labels["preview_dispatches"], dispatches, language, d=dispatches)
    return text


def _hit(group: list[RuleTestHit], config: Config, fmt: Formatter) -> dict[str, Any]:
    hit = group[0]
    return {
        "title": hit.article.title,
        "url": hit.article.url,
        "source": _source_name(config, hit.article.source),
        "published": fmt.published(hit.article),
        "parts": [[text, marked] for text, marked in snippet_parts(hit.match.snippet)],
        "also": [
            {"source": _source_name(config, other.article.source), "url": other.article.url}
            for other in group[1:]
        ],
        "also_label": LABELS[fmt.locale]["also"],
    }


def _source_name(config: Config, source: str) -> str:
    return config.sources[source].name if source in config.sources else source
