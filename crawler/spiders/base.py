"""FETCH stage: discover a source's new articles and fetch only those.

:class:`SourceSpider` is built from one ``config.Source``. It starts from the
source's feeds, sitemaps (``{year}``/``{month}`` expanded to this month and
the previous one, month not zero-padded) and listing pages (followed through
``rel=next`` up to ``max_listing_pages``). Each discovery URL is fetched with
the ``ETag``/``Last-Modified`` remembered from the last crawl; a 304 is
counted in ``vnawatch/not_modified`` and yields nothing.

Article links are kept when they match ``article_url_pattern`` and stay on the
source's hosts. Before any article request is made the store is asked which
ids it already holds (one ``known_article_ids`` call per discovery page), so a
stored article is never fetched again, and an id seen under two URL forms is
requested once per crawl. A failing channel (HTTP error, DNS, timeout,
malformed XML) is logged with what continues, counted, and kept in
:attr:`SourceSpider.errors`; the other channels go on. A fetched page that
cannot be an article (empty, binary, truncated HTML: :func:`page_problem`) is
logged and counted the same way, never handed to the extraction, and looked
for again next crawl. Requests skip Scrapy's dupe filter (``seen_ids`` already
dedupes), so a redirect loop ends at ``REDIRECT_MAX_TIMES`` and is reported.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, ResponseDataLossError
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError
from twisted.internet.error import TimeoutError as TwistedTimeoutError

import config as config_module
from crawler import feeds
from crawler.extract import alternatives, article_id_from_url, extract_article
from crawler.items import ArticleFields, ArticleItem
from crawler.metadata import (
    charset_in_content_type,
    declared_charset,
    decode_html_as,
    same_encoding,
)
from crawler.middlewares import OffsiteRedirect
from crawler.settings import settings_for
from store import Store, open_store
from store.records import Validators

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 3
MAX_ERRORS_KEPT = 20
BINARY_SAMPLE = 4096
NEXT_PAGE_CSS = 'a[rel~="next"]::attr(href), link[rel~="next"]::attr(href)'


def source_hosts(source: config_module.Source) -> list[str]:
    """The host names the source's configured URLs live on (Scrapy's allowed_domains)."""
    urls = [source.base_url, *source.feeds, *source.sitemaps, *source.listings]
    hosts = []
    for url in urls:
        host = urlsplit(url.replace("{year}", "2000").replace("{month}", "1")).hostname
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def page_problem(text: str) -> tuple[str, str] | None:
    """(kind, description) when a fetched page cannot be an article page, else None.

    Checked before extraction: an empty answer, binary data (NUL or control
    characters in the decoded text), or HTML cut off before ``</body>`` and
    ``</html>`` (a half-written page must not be stored as the article).
    """
    if not text.strip():
        return "empty", "empty page"
    head = text[:BINARY_SAMPLE]
    controls = sum(1 for c in head if c < " " and c not in "\t\n\r\f")
    if "\x00" in head or controls * 20 > len(head):
        return "binary", f"binary data, not text ({controls} control characters)"
    lowered = text.lower()
    if "</html" not in lowered and "</body" not in lowered:
        return "truncated", "truncated HTML: no </body> or </html>"
    return None


def describe_failure(failure: Failure) -> str:
    """A short, log-friendly name for why a request failed."""
    error = failure.value
    if isinstance(error, ResponseDataLossError):
        return "truncated response: connection closed before Content-Length bytes"
    if isinstance(error, OSError | zlib.error) and "gzip" in str(error).lower():
        return f"undecodable Content-Encoding: {error}"
    if isinstance(error, HttpError):
        return f"http {error.response.status}"
    if isinstance(error, DNSLookupError):
        return "dns lookup failed"
    if isinstance(error, TwistedTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, IgnoreRequest) and "max redirections" in str(error):
        return "redirect loop (max redirections reached)"
    if isinstance(error, IgnoreRequest):
        return f"ignored ({error or 'filtered'})"
    return f"{type(error).__name__}: {error}".rstrip(": ")


class SourceSpider(scrapy.Spider):
    """Discovery and article fetching for one configured source."""

    name = ""  # not a spider of its own: `scrapy list` shows the three outlets
    store: Store

    def __init__(
        self,
        source_id: str | None = None,
        config: config_module.Config | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        source_id = source_id or kwargs.pop("name", None) or self.name
        super().__init__(source_id, *args, **kwargs)
        self.config = config or config_module.load_config()
        if source_id not in self.config.sources:
            raise ValueError(f"source {source_id!r} is not in the config")
        self.source_id = source_id
        self.source = self.config.sources[source_id]
        self.allowed_domains = source_hosts(self.source)
        self.seen_ids: set[str] = set()
        self.errors: list[str] = []
        self.article_errors = 0
        self.pending_validators: dict[str, Validators] = {}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """``scrapy crawl <source>``: apply the config's crawl settings."""
        super().update_settings(settings)
        if not settings.getbool("VNAWATCH_CONFIG_APPLIED"):
            settings.setdict(settings_for(config_module.load_config(), cls.name), "spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        url = crawler.settings.get("VNAWATCH_DATABASE_URL") or spider.config.database_url
        spider.store = open_store(url)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # ------------------------------------------------------------------ start

    async def start(self) -> AsyncIterator[scrapy.Request]:
        logger.info("crawl started source=%s", self.source_id)
        for url in self.source.feeds:
            yield self.discovery_request(url, self.parse_feed, "feed")
        today = datetime.now(ZoneInfo(self.config.timezone)).date()
        for template in self.source.sitemaps:
            for url in feeds.expand_sitemap_url(template, today):
                yield self.discovery_request(url, self.parse_sitemap, "sitemap", depth=0)
        for url in self.source.listings:
            yield self.discovery_request(url, self.parse_listing, "listing", page=1)

    def discovery_request(
        self, url: str, callback: Any, channel: str, **cb_kwargs: Any
    ) -> scrapy.Request:
        """A conditional GET of a feed, sitemap or listing page."""
        headers = {}
        known = self.store.validators(url)
        if known and known.etag:
            headers["If-None-Match"] = known.etag
        if known and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.discovery_failed,
            headers=headers,
            cb_kwargs=cb_kwargs,
            meta={"handle_httpstatus_list": [304], "vnawatch_channel": channel},
            priority=10,
            # Scrapy's dupe filter would drop a redirect back to this URL without a
            # word; unfiltered, a loop ends at REDIRECT_MAX_TIMES and is reported
            dont_filter=True,
        )

    # ------------------------------------------------------------------ discovery

    def is_changed(self, response: Response) -> bool:
        """False for a 304; otherwise remember the validators for the next crawl."""
        url = response.meta.get("redirect_urls", [response.url])[0]
        channel = response.meta.get("vnawatch_channel", "discovery")
        assert self.crawler.stats is not None
        if response.status == 304:
            self.crawler.stats.inc_value("vnawatch/not_modified")
            logger.info("not modified source=%s channel=%s url=%s", self.source_id, channel, url)
            return False
        etag = _header(response, b"ETag")
        modified = _header(response, b"Last-Modified")
        if etag or modified:
            self.pending_validators[url] = Validators(url, etag, modified)
        self.crawler.stats.inc_value(f"vnawatch/discovery/{channel}")
        return True

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if not self.is_changed(response):
            return
        links = feeds.feed_links(response.body)
        self.note_problem(response, "feed", links)
        yield from self.article_requests(links.articles, response, "feed", links.modified)

    def parse_sitemap(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        if not self.is_changed(response):
            return
        links = feeds.sitemap_links(response.body)
        self.note_problem(response, "sitemap", links)
        if links.sitemaps:
            # an index may stay the same while its shards change: always fetch it in full
            self.pending_validators.pop(response.meta.get("redirect_urls", [response.url])[0], None)
        if depth < MAX_SITEMAP_DEPTH:
            for child in links.sitemaps:
                url = response.urljoin(child)
                if self.is_on_source(url):
                    yield self.discovery_request(
                        url, self.parse_sitemap, "sitemap", depth=depth + 1
                    )
        yield from self.article_requests(links.articles, response, "sitemap", links.modified)

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        if not self.is_changed(response):
            return
        yield from self.article_requests(self.listing_links(response), response, "listing")
        next_href = self.next_page(response)
        if next_href and page < self.source.max_listing_pages:
            url = response.urljoin(next_href)
            if self.is_on_source(url):
                yield self.discovery_request(url, self.parse_listing, "listing", page=page + 1)

    def listing_links(self, response: Response) -> list[str]:
        """Links of the listing's stories (the source's selector), else every link."""
        links: list[str] = []
        for css in alternatives(self.source.selectors.listing_links):
            links += response.css(f"{css}::attr(href)").getall()
        return links or response.css("a::attr(href)").getall()

    def next_page(self, response: Response) -> str | None:
        css = self.source.selectors.next_page
        if css:
            href = response.css(f"{css}::attr(href)").get()
            if href:
                return str(href)
        href = response.css(NEXT_PAGE_CSS).get()
        return str(href) if href else None

    def note_problem(self, response: Response, channel: str, links: feeds.Links) -> None:
        if links.problem is None:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"vnawatch/malformed/{channel}")
        logger.warning(
            "malformed %s source=%s url=%s problem=%r links_recovered=%d; "
            "using what was readable, other channels continue",
            channel,
            self.source_id,
            response.url,
            links.problem,
            len(links.articles) + len(links.sitemaps),
        )
        self.record_error(f"{channel} {response.url}: {links.problem}")

    # ------------------------------------------------------------------ articles

    def is_on_source(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def is_article_url(self, url: str) -> bool:
        """Quirk hook: a source may refuse some URL shapes that match its pattern."""
        return True

    def article_requests(
        self,
        hrefs: Iterable[str],
        response: Response,
        channel: str,
        modified: dict[str, str] | None = None,
    ) -> Iterator[scrapy.Request]:
        """Requests for the articles behind ``hrefs`` not yet stored nor requested.

        A stored article is fetched again only when ``modified`` (the sitemap's
        ``<lastmod>``) is later than the last time the crawler saw it.
        """
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        candidates: dict[str, str] = {}
        changed: dict[str, str] = {}
        for href in hrefs:
            url = response.urljoin(href.strip())
            article_id = article_id_from_url(url, self.source.article_url_pattern)
            if article_id is None or not self.is_article_url(url):
                continue
            if not self.is_on_source(url):
                stats.inc_value("vnawatch/links/offsite")
                continue
            candidates.setdefault(article_id, url)
            if modified and href in modified:
                changed[article_id] = modified[href]
        fresh = [i for i in candidates if i not in self.seen_ids]
        stats.inc_value("vnawatch/links/repeated", len(candidates) - len(fresh))
        self.seen_ids.update(fresh)
        known = self.store.known_article_ids(self.source_id, fresh) if fresh else set()
        refetch = self.modified_since_seen(known, changed)
        stats.inc_value("vnawatch/skipped_known", len(known) - len(refetch))
        stats.inc_value("vnawatch/refetch_modified", len(refetch))
        logger.debug(
            "links source=%s channel=%s url=%s found=%d new=%d known=%d modified=%d",
            self.source_id,
            channel,
            response.url,
            len(candidates),
            len(fresh) - len(known),
            len(known),
            len(refetch),
        )
        for article_id in fresh:
            if article_id not in known or article_id in refetch:
                yield scrapy.Request(
                    candidates[article_id],
                    callback=self.parse_article,
                    errback=self.article_failed,
                    cb_kwargs={"article_id": article_id},
                    meta={"vnawatch_channel": channel},
                    dont_filter=True,  # seen_ids dedupes; a redirect loop must be reported
                )

    def modified_since_seen(self, known: set[str], changed: dict[str, str]) -> set[str]:
        """Those ``known`` ids whose discovery date is later than their last fetch."""
        ids = [i for i in known if i in changed]
        if not ids:
            return set()
        zone = ZoneInfo(self.config.timezone)
        last_seen = self.store.articles_last_seen(self.source_id, ids)
        refetch = set()
        for article_id in ids:
            when = feeds.parse_modified(changed[article_id], zone)
            seen = last_seen.get(article_id)
            if when is not None and seen is not None and when > seen:
                refetch.add(article_id)
        return refetch

    def parse_article(self, response: Response, article_id: str) -> Iterator[ArticleItem]:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vnawatch/articles/fetched")
        text, used = decode_html_as(response.body)
        problem = page_problem(text)
        if problem is not None:
            self.malformed_article(response, *problem)
            return
        self.check_charset(response, used)
        fields = extract_article(text, response.url, self.source, timezone=self.config.timezone)
        yield ArticleItem(
            source=self.source_id, article_id=article_id, url=response.url, fields=fields
        )

    def malformed_article(self, response: Response, kind: str, problem: str) -> None:
        """One line and two stats for a page that cannot be an article; nothing stored.

        Counted as an article error, so the discovery validators are not saved
        and the article is looked for again next crawl (the damage may pass).
        """
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vnawatch/malformed/article")
        self.crawler.stats.inc_value(f"vnawatch/malformed/article/{kind}")
        self.article_errors += 1
        logger.warning(
            "malformed article source=%s url=%s problem=%r; not stored, crawl continues",
            self.source_id,
            response.url,
            problem,
        )
        self.record_error(f"article {response.url}: {problem}")

    def check_charset(self, response: Response, used: str) -> None:
        """Log and count a declared charset the bytes contradict, or none for non-UTF-8."""
        if response.body.isascii():
            return
        header = _header(response, b"Content-Type")
        declared = charset_in_content_type(header) or declared_charset(response.body)
        assert self.crawler.stats is not None
        if declared is None and used != "utf-8":
            self.crawler.stats.inc_value("vnawatch/encoding_guessed")
            logger.warning(
                "no charset declared source=%s url=%s decoded_as=%s",
                self.source_id,
                response.url,
                used,
            )
        elif declared and not same_encoding(declared, used):
            self.crawler.stats.inc_value("vnawatch/encoding_mismatch")
            logger.warning(
                "wrong charset source=%s url=%s declared=%s decoded_as=%s",
                self.source_id,
                response.url,
                declared,
                used,
            )

    def canonical_url(self, url: str, article_id: str, fields: ArticleFields) -> str:
        """The URL to store: the page's canonical when it is this article on this host."""
        declared = urljoin(url, fields.canonical_url) if fields.canonical_url else None
        if declared:
            same_host = urlsplit(declared).hostname == urlsplit(url).hostname
            same_id = article_id_from_url(declared, self.source.article_url_pattern) == article_id
            if same_host and same_id:
                return _without_fragment(declared)
        return _without_fragment(url)

    # ------------------------------------------------------------------ failures

    def discovery_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        channel = request.meta.get("vnawatch_channel", "discovery")
        reason = describe_failure(failure)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"vnawatch/errors/{channel}")
        logger.warning(
            "%s failed source=%s url=%s error=%r; other channels continue",
            channel,
            self.source_id,
            request.url,
            reason,
        )
        self.record_error(f"{channel} {request.url}: {reason}")

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason = describe_failure(failure)
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        if isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError):
            stats.inc_value("vnawatch/articles/ignored")
            # an offsite redirect was already logged by OffsiteRedirectMiddleware
            offsite = isinstance(failure.value, OffsiteRedirect)
            logger.log(
                logging.INFO if offsite else logging.WARNING,
                "article ignored source=%s url=%s reason=%r",
                self.source_id,
                request.url,
                reason,
            )
            return
        stats.inc_value("vnawatch/errors/article")
        self.article_errors += 1
        logger.warning(
            "article fetch failed source=%s url=%s error=%r; crawl continues",
            self.source_id,
            request.url,
            reason,
        )
        self.record_error(f"article {request.url}: {reason}")

    def record_error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(message)

    # ------------------------------------------------------------------ close

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        """Keep the validators (only when every article was fetched), close the store."""
        try:
            if not self.article_errors and reason == "finished":
                now = datetime.now(ZoneInfo("UTC"))
                for validators in self.pending_validators.values():
                    self.store.save_validators(validators, now)
        finally:
            self.store.close()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
