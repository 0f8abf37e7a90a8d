"""Downloader middlewares: honour ``Retry-After``; never follow a redirect off the source.

Scrapy's ``RetryMiddleware`` retries 429 and 5xx answers at once; a server that
says ``Retry-After: 30`` deserves 30 seconds. :class:`RetryAfterMiddleware`
waits that long (capped by ``VNAWATCH_RETRY_AFTER_MAX``) before handing the
retry back; without the header it backs off exponentially
(``VNAWATCH_RETRY_BACKOFF`` seconds, doubled at each further attempt, same cap).
While it waits the request still holds its download slot, so the whole host
slows down, which is what a 429 or a failing server asks for.

:class:`OffsiteRedirectMiddleware` refuses a redirect that leaves the source's
hosts (``spider.allowed_domains``) before anything is sent there, logs it and
counts it in ``vnawatch/offsite_redirect``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware(RetryMiddleware):
    """RetryMiddleware that honours ``Retry-After`` on 429 and 503 answers."""

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        header = response.headers.get(b"Retry-After")
        delay = retry_after_seconds(header.decode("latin-1") if header else None)
        retry = self._retry(request, f"{response.status} response")
        if retry is None:
            return response
        if delay:
            await self._wait(request, delay, response.status)
        else:
            await self._back_off(request, retry, response.status)
        return retry

    def _cap(self, request: Request, delay: float) -> float:
        cap = self.crawler.settings.getfloat("VNAWATCH_RETRY_AFTER_MAX", 120)
        if delay > cap:
            logger.warning(
                "retry delay too long, capped url=%s asked=%.0fs waiting=%.0fs",
                request.url,
                delay,
                cap,
            )
        return min(delay, cap)

    async def _wait(self, request: Request, delay: float, status: int) -> None:
        delay = self._cap(request, delay)
        logger.warning(
            "waiting for Retry-After status=%d url=%s seconds=%.1f", status, request.url, delay
        )
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vnawatch/retry_after")
        await asyncio.sleep(delay)

    async def _back_off(self, request: Request, retry: Request, status: int) -> None:
        """No Retry-After: wait base * 2**(attempt - 1) seconds before the retry."""
        base = self.crawler.settings.getfloat("VNAWATCH_RETRY_BACKOFF", 0)
        if base <= 0:
            return
        attempt = int(retry.meta.get("retry_times", 1))
        delay = self._cap(request, base * 2 ** (attempt - 1))
        logger.warning(
            "backing off before retry status=%d url=%s attempt=%d seconds=%.1f",
            status,
            request.url,
            attempt,
            delay,
        )
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vnawatch/retry_backoff")
        await asyncio.sleep(delay)


class OffsiteRedirect(IgnoreRequest):
    """A redirect off the source's hosts, refused (and logged) by the middleware."""


class OffsiteRedirectMiddleware:
    """Refuse a 3xx answer whose ``Location`` is not on one of the source's hosts.

    Sits after RedirectMiddleware in the response chain (a higher number), so
    it sees the redirect before it is followed.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        host = urlsplit(target).hostname or ""
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
        if not allowed or any(host == d or host.endswith("." + d) for d in allowed):
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("vnawatch/offsite_redirect")
        logger.warning("redirect to another domain not followed from=%s to=%s", request.url, target)
        raise OffsiteRedirect(f"redirect to another domain {host!r}")
