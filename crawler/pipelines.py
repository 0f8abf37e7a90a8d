"""Item pipelines: validate -> normalise -> store, one stats key per outcome.

- :class:`ValidatePipeline` drops only what cannot be stored (no title) with
  ``DropItem(reason)``, counted in ``vnawatch/dropped/<reason>``; a page
  without a body is stored with its lead (``vnawatch/extraction/bodiless``),
  one without a date is dated when found (``vnawatch/extraction/undated``); an
  extraction that failed outright is also counted in
  ``vnawatch/extraction_failed`` (the source's health uses it).
- :class:`NormalisePipeline` sets the stored URL (the source's canonical form)
  and the content hash.
- :class:`StorePipeline` saves through ``Store.save_article`` and counts
  ``vnawatch/articles/new|updated|unchanged``. On a source's first crawl
  (until one has finished: a killed first crawl does not count) articles older
  than ``backfill_days`` are saved with ``backfill=True``, so subscribers are
  not flooded with the back catalogue.

A broken item is logged with its traceback and dropped; the crawl goes on.
A database that stops answering stops the crawl instead, with one WARNING
(the scheduler tells the outage; the next crawl fetches what is missing).
A dropped item is one log line (:class:`DropLogFormatter`), not the item's dump.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.utils.defer import deferred_from_coro

from crawler.extract import content_hash
from crawler.items import ArticleFields, ArticleItem, record_from_item
from store import describe_unreachable, is_unreachable

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

    from crawler.spiders.base import SourceSpider

logger = logging.getLogger(__name__)

# the URL of the first page of a run whose body selectors did not hold
SELECTOR_EXAMPLE = "vnawatch/selectors/example_url"

DATABASE_UNREACHABLE = "database_unreachable"  # the close reason of a crawl cut from it
# the URL of the first page of a run stored without a body
BODILESS_EXAMPLE = "vnawatch/extraction/bodiless_example_url"
UNDATED_NOTE = "no publication date: dated when found"

DROP_REASONS = {"no_title": "no title"}


def dated_when_found(fields: ArticleFields, found_at: datetime) -> ArticleFields:
    """An undated page's fields, dated by when the crawl found it (said in the note)."""
    notes = [n for n in fields.extraction_note.split("; ") if n and n != "no publication date"]
    return replace(
        fields,
        published_at=found_at,
        published_time_known=True,
        extraction="partial",
        extraction_note="; ".join([*notes, UNDATED_NOTE]),
    )


class DropLogFormatter(LogFormatter):
    """A dropped item is one WARNING line with the reason, not the whole item."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            # the items in flight once the database went away: its one line said it
            "level": logging.DEBUG if isinstance(exception, UnreachableDrop) else logging.WARNING,
            "msg": "article dropped: %(exception)s",
            "args": {"exception": exception},
        }


class UnreachableDrop(DropItem):
    """An item dropped because the database stopped answering mid-crawl."""


class _Pipeline:
    """Shared shape: the crawler kept from ``from_crawler``; errors caught per item."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def spider(self) -> SourceSpider:
        return self.crawler.spider  # type: ignore[return-value]

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        try:
            return self.handle(item)
        except DropItem:
            raise
        except Exception as exc:  # the pipeline boundary: one bad item must not stop the crawl
            if is_unreachable(exc):
                self._stop_crawl(exc)
                raise UnreachableDrop(DATABASE_UNREACHABLE) from None
            logger.exception(
                "pipeline failed pipeline=%s source=%s article_id=%s url=%s",
                type(self).__name__,
                item.source,
                item.article_id,
                item.url,
            )
            self.stats.inc_value("vnawatch/errors/pipeline")
            raise DropItem(f"pipeline error in {type(self).__name__}") from None

    def handle(self, item: ArticleItem) -> ArticleItem:
        raise NotImplementedError

    def _stop_crawl(self, exc: Exception) -> None:
        """Close the crawl at the first item the database could not take."""
        if self.stats.get_value("vnawatch/errors/database"):
            return
        self.stats.inc_value("vnawatch/errors/database")
        logger.warning(
            "crawl stopped: database unreachable source=%s (%s); the next crawl fetches "
            "what is missing",
            self.spider.name,
            describe_unreachable(exc),
        )
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=DATABASE_UNREACHABLE))


class ValidatePipeline(_Pipeline):
    """Drop only what cannot be stored (no title); count and keep the partial ones.

    A page with a title and no body is stored with its lead (``body_found``
    False: ``vnawatch/extraction/bodiless``); one with no date is dated when
    it was found (``vnawatch/extraction/undated``). Both are ``partial``.
    """

    def handle(self, item: ArticleItem) -> ArticleItem:
        fields = item.fields
        if fields.extraction == "failed":
            self.stats.inc_value("vnawatch/extraction_failed")
        self.count_selectors(item)
        if not fields.title:
            self.stats.inc_value("vnawatch/dropped/no_title")
            self.stats.inc_value("vnawatch/dropped")
            raise DropItem(
                f"{DROP_REASONS['no_title']} source={item.source} "
                f"article_id={item.article_id} url={item.url}"
            )
        if not fields.body_found:
            self.count_bodiless(item)
        if fields.published_at is None:
            item.fields = dated_when_found(fields, datetime.now(UTC))
            self.stats.inc_value("vnawatch/extraction/undated")
        return item

    def count_bodiless(self, item: ArticleItem) -> None:
        """One stat, the first URL of the run, one WARNING line: stored, but on its lead."""
        self.stats.inc_value("vnawatch/extraction/bodiless")
        if not self.stats.get_value(BODILESS_EXAMPLE):
            self.stats.set_value(BODILESS_EXAMPLE, item.url)
        logger.warning(
            "article stored without a body (%s) source=%s article_id=%s url=%s",
            item.fields.extraction_note,
            item.source,
            item.article_id,
            item.url,
        )

    def count_selectors(self, item: ArticleItem) -> None:
        """``vnawatch/selectors/<outcome>``, and the first page whose selectors did not hold."""
        outcome = item.fields.selectors
        self.stats.inc_value(f"vnawatch/selectors/{outcome}")
        if outcome in ("rejected", "missing") and not self.stats.get_value(SELECTOR_EXAMPLE):
            self.stats.set_value(SELECTOR_EXAMPLE, item.url)


class NormalisePipeline(_Pipeline):
    """Canonical URL and content hash."""

    def handle(self, item: ArticleItem) -> ArticleItem:
        item.url = self.spider.canonical_url(item.url, item.article_id, item.fields)
        item.content_hash = content_hash(item.fields)
        return item


class StorePipeline(_Pipeline):
    """Save each article; decide backfill on the source's first crawl."""

    first_crawl = False

    def open_spider(self) -> None:
        spider = self.spider
        state = spider.store.source_state(spider.source_id)
        stored = spider.store.count_articles(spider.source_id)
        # a first crawl cut short (SIGKILL, timeout) stored some articles but never
        # finished: the next crawl is still the first, or the rest of the back
        # catalogue would reach subscribers
        self.first_crawl = state.backfilled_at is None
        self.cutoff = datetime.now(UTC) - timedelta(days=spider.source.backfill_days)
        if self.first_crawl:
            self.stats.set_value("vnawatch/first_crawl", 1)
            self.stats.set_value("vnawatch/first_crawl_resumed", stored)
            logger.info(
                "first crawl of source=%s: articles older than %d days are stored as backfill "
                "already_stored=%d",
                spider.source_id,
                spider.source.backfill_days,
                stored,
            )

    def handle(self, item: ArticleItem) -> ArticleItem:
        published = item.fields.published_at
        assert published is not None  # ValidatePipeline ran first
        # an undated page on a first crawl may be years old: kept, but not mailed
        undated = UNDATED_NOTE in item.fields.extraction_note
        item.backfill = self.first_crawl and (published < self.cutoff or undated)
        outcome = self.spider.store.save_article(
            record_from_item(item), datetime.now(UTC), backfill=item.backfill
        )
        self.stats.inc_value(f"vnawatch/articles/{outcome}")
        if item.backfill:
            self.stats.inc_value("vnawatch/articles/backfill")
        logger.debug(
            "article %s source=%s article_id=%s url=%s",
            outcome,
            item.source,
            item.article_id,
            item.url,
        )
        return item
