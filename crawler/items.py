"""Items: what extraction produces and what the pipelines turn into a stored Article."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from store.records import ARTICLE_FIELDS, Article, Extraction, SelectorOutcome


@dataclass(frozen=True)
class ArticleFields:
    """The article found in one page, before identity and storage.

    ``extract.extract_article`` returns it; ``published_at`` is aware (the
    outlet's +07:00 when the page gives no offset) or None when no date was found.
    """

    title: str
    summary: str
    body: str
    published_at: datetime | None
    captions: tuple[str, ...] = ()
    updated_at: datetime | None = None
    canonical_url: str | None = None
    section: str | None = None
    credit: str | None = None
    dateline: str | None = None
    language: str = "fr"
    extraction: Extraction = "ok"
    extraction_note: str = ""
    selectors: SelectorOutcome = "none"
    # False when the page gave a day without a time: published_at is 00:00 that day
    published_time_known: bool = True
    # False when no body was found: ``body`` holds the lead or the captions (or nothing)
    body_found: bool = True


@dataclass
class ArticleItem:
    """The crawl's output item: one fetched article page and where it came from."""

    source: str
    article_id: str
    url: str
    fields: ArticleFields
    backfill: bool = False
    # set by NormalisePipeline
    content_hash: str = ""


# the page's fields the record keeps, by name (canonical_url only served identity)
RECORD_FIELDS = tuple(f.name for f in fields(ArticleFields) if f.name in ARTICLE_FIELDS)


def record_from_item(item: ArticleItem) -> Article:
    """The store record of a normalised item (ValidatePipeline dropped undated ones)."""
    page = item.fields
    assert page.published_at is not None
    return Article(
        source=item.source,
        article_id=item.article_id,
        url=item.url,
        content_hash=item.content_hash,
        **{name: getattr(page, name) for name in RECORD_FIELDS},
    )
