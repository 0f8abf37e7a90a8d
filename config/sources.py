"""Config sections for the outlets and the crawl: sources, selectors, politeness."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator

from config.base import Model, Regex


class Selectors(Model):
    """Per-source CSS selectors, tried after page metadata and before the generic extractor."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    published_at: str | None = None
    section: str | None = None
    captions: str | None = None
    listing_links: str | None = None
    next_page: str | None = None


class Source(Model):
    """One outlet. Every URL is config, so a local copy on 127.0.0.1 is a config edit."""

    name: str
    base_url: str
    enabled: bool = True
    language: str = "fr"
    credit: str = Field(description="default credit when the page names none, e.g. VNA")
    feeds: list[str] = []
    sitemaps: list[str] = Field(
        default=[],
        description="sitemap URLs; {year} and {month} expand to the current and previous month",
    )
    listings: list[str] = []
    max_listing_pages: int = Field(default=3, ge=1, le=100)
    article_url_pattern: Regex = Field(description="regex whose first group is the article id")
    canonical_url: str | None = Field(
        default=None,
        description="template for the canonical URL, e.g. {base_url}/{slug}-post{id}.vnp",
    )
    selectors: Selectors = Selectors()
    interval_minutes: int = Field(default=30, ge=1)
    backfill_days: int = Field(
        default=2,
        ge=0,
        description="on the first crawl, articles older than this are recorded as already seen",
    )

    @field_validator("base_url", "feeds", "sitemaps", "listings")
    @classmethod
    def _http_urls(cls, value: str | list[str]) -> str | list[str]:
        for url in [value] if isinstance(value, str) else value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return value

    @field_validator("article_url_pattern")
    @classmethod
    def _has_id_group(cls, pattern: str) -> str:
        if re.compile(pattern).groups < 1:
            raise ValueError("the pattern needs a group capturing the article id")
        return pattern


class Crawl(Model):
    """Politeness and limits shared by every source."""

    user_agent: str = "vnawatch/0.1 (+{contact_url})"
    contact_url: str = "https://github.com/vnawatch/vnawatch"
    obey_robots_txt: bool = True
    concurrent_requests_per_host: int = Field(default=2, ge=1, le=8)
    download_delay_seconds: float = Field(default=1.0, ge=0)
    autothrottle: bool = True
    timeout_seconds: int = Field(default=30, ge=1)
    max_page_bytes: int = Field(default=5_000_000, ge=10_000)
    retry_times: int = Field(default=3, ge=0)
    # first wait before retrying a 429/5xx without Retry-After; doubled per attempt
    retry_backoff_seconds: float = Field(default=2.0, ge=0)
    crawl_timeout_minutes: int = Field(default=30, ge=1)
    http_cache_dir: str | None = None

    @property
    def full_user_agent(self) -> str:
        return self.user_agent.format(contact_url=self.contact_url)


def article_id_from_url(url: str, pattern: str) -> str | None:
    """The outlet's numeric id in ``url`` (first group of ``pattern``), or None.

    The path is unquoted first, so percent-encoded slugs compare equal; the
    scheme, query and fragment do not matter.
    """
    path = unquote(urlsplit(url.strip()).path)
    match = re.search(pattern, path)
    return match.group(1) if match else None
