"""Item pipelines: validate -> normalise -> store, one stats key per outcome.

- :class:`ValidatePipeline` drops what cannot be an article (no title, no body,
  no publication date) with ``DropItem(reason)`` and counts it in
  ``vnawatch/dropped/<reason>``; an extraction that failed outright is also
  counted in ``vnawatch/extraction_failed`` (the source's health uses it).
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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.utils.defer import deferred_from_coro

from crawler.extract import content_hash
from crawler.items import ArticleItem, record_from_item
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

DROP_REASONS = {
    "no_title": "no title",
    "no_body": "no body text",
    "no_date": "no publication date",
}


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
    """Drop items that are not usable articles, with the reason counted."""

    def handle(self, item: ArticleItem) -> ArticleItem:
        fields = item.fields
        if fields.extraction == "failed":
            self.stats.inc_value("vnawatch/extraction_failed")
        self.count_selectors(item)
        reason = None
        if not fields.title:
            reason = "no_title"
        elif not fields.body:
            reason = "no_body"
        elif fields.published_at is None:
            reason = "no_date"
        if reason is not None:
            self.stats.inc_value(f"vnawatch/dropped/{reason}")
            self.stats.inc_value("vnawatch/dropped")
            raise DropItem(
                f"{DROP_REASONS[reason]} source={item.source} "
                f"article_id={item.article_id} url={item.url}"
            )
        return item

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
        item.backfill = self.first_crawl and published < self.cutoff
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
