"""Export: stored articles or matches as JSON lines or CSV, one record per line.

The order is stable (publication time, then storage id) so two exports of
the same archive are identical; times are ISO 8601 with their offset. The
article columns are :data:`store.records.ARTICLE_FIELDS`, the record's own fields.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from store.records import ARTICLE_FIELDS

if TYPE_CHECKING:
    from store import Store
    from store.records import Article, Match

MATCH_FIELDS = (
    "rule_id", "url", "source", "article_id", "title", "published_at", "zones", "alias",
    "snippet", "spans", "matched_at",
)  # fmt: skip


def write_export(
    store: Store,
    kind: str,
    fmt: str,
    stream: TextIO,
    *,
    since: datetime | None = None,
    source: str | None = None,
) -> int:
    """Write every record of ``kind`` ("articles" or "matches"); return how many."""
    if kind == "articles":
        fields, rows = ARTICLE_FIELDS, _article_rows(store, since, source)
    else:
        fields, rows = MATCH_FIELDS, _match_rows(store, since, source)
    return _write_jsonl(rows, stream) if fmt == "jsonl" else _write_csv(fields, rows, stream)


def export_row_from_article(article: Article) -> dict[str, Any]:
    """Every field of the record, in its order: times ISO 8601, tuples as lists."""
    return {name: _exported(getattr(article, name)) for name in ARTICLE_FIELDS}


def export_row_from_match(match: Match, article: Article) -> dict[str, Any]:
    return {
        "rule_id": match.rule_id,
        "url": article.url,
        "source": article.source,
        "article_id": article.article_id,
        "title": article.title,
        "published_at": article.published_at.isoformat(),
        "zones": list(match.zones),
        "alias": match.alias,
        "snippet": match.snippet.text,
        "spans": [[s.zone, s.start, s.end, s.term] for s in match.spans],
        "matched_at": _iso(match.matched_at),
    }


def _article_rows(
    store: Store, since: datetime | None, source: str | None
) -> Iterator[dict[str, Any]]:
    for article in store.iter_articles(since=since, source=source):
        yield export_row_from_article(article)


def _match_rows(
    store: Store, since: datetime | None, source: str | None
) -> Iterator[dict[str, Any]]:
    for match, article in store.iter_matches(since=since, source=source):
        yield export_row_from_match(match, article)


def _write_jsonl(rows: Iterator[dict[str, Any]], stream: TextIO) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(fields: tuple[str, ...], rows: Iterator[dict[str, Any]], stream: TextIO) -> int:
    writer = csv.DictWriter(stream, fieldnames=fields)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                for k, v in row.items()
            }
        )
        count += 1
    return count


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _exported(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
