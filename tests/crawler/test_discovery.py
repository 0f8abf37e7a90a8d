"""Discovery without a crawl: feeds, sitemaps, URL templates, Retry-After, URL forms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import config as config_module
from crawler import feeds
from crawler.middlewares import retry_after_seconds
from crawler.settings import settings_for
from crawler.spiders.vietnamplus import post_form

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><title>A</title><link>https://fr.vietnamplus.vn/a/1.vnp</link></item>
<item><title>B</title><guid>https://fr.vietnamplus.vn/b-post2.vnp</guid></item>
</channel></rss>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
<link rel="alternate" href="https://lecourrier.vn/x/3.html"/><updated>2026-11-23T10:00:00+07:00</updated>
</entry></feed>"""
URLSET = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://lecourrier.vn/a/4.html</loc><lastmod>2026-11-23</lastmod></url>
<url><loc>https://lecourrier.vn/b/5.html</loc></url></urlset>"""
INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://lecourrier.vn/sitemaps/news-11-2026.xml</loc></sitemap></sitemapindex>"""


def test_rss_links_come_from_link_and_guid() -> None:
    links = feeds.feed_links(RSS)
    assert links.articles == [
        "https://fr.vietnamplus.vn/a/1.vnp",
        "https://fr.vietnamplus.vn/b-post2.vnp",
    ]
    assert links.problem is None


def test_atom_links_keep_their_updated_date() -> None:
    links = feeds.feed_links(ATOM)
    assert links.articles == ["https://lecourrier.vn/x/3.html"]
    assert links.modified == {"https://lecourrier.vn/x/3.html": "2026-11-23T10:00:00+07:00"}


def test_a_truncated_feed_gives_the_links_before_the_damage_and_a_problem() -> None:
    links = feeds.feed_links(RSS[: RSS.index(b"<item><title>B")] + b"<item><tit")
    assert links.articles == ["https://fr.vietnamplus.vn/a/1.vnp"]
    assert links.problem is not None and "malformed" in links.problem


@pytest.mark.parametrize("body", [b"", b"<html><body>Not found</body></html>", b"\x00\x01garbage"])
def test_a_document_that_is_not_a_feed_is_a_problem_not_an_exception(body: bytes) -> None:
    links = feeds.feed_links(body)
    assert links.articles == [] and links.problem


def test_sitemap_urls_and_lastmod() -> None:
    links = feeds.sitemap_links(URLSET)
    assert links.articles == ["https://lecourrier.vn/a/4.html", "https://lecourrier.vn/b/5.html"]
    assert links.modified == {"https://lecourrier.vn/a/4.html": "2026-11-23"}


def test_a_sitemap_index_lists_child_sitemaps() -> None:
    links = feeds.sitemap_links(INDEX)
    assert links.sitemaps == ["https://lecourrier.vn/sitemaps/news-11-2026.xml"]
    assert links.articles == []


def test_gzipped_sitemaps_are_read() -> None:
    import gzip

    assert feeds.sitemap_links(gzip.compress(URLSET)).articles[0].endswith("/4.html")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 24), ["news-11-2026.xml", "news-10-2026.xml"]),
        (date(2026, 1, 3), ["news-1-2026.xml", "news-12-2025.xml"]),
    ],
)
def test_sitemap_templates_expand_to_this_and_last_month(today: date, expected: list[str]) -> None:
    urls = feeds.expand_sitemap_url("https://x.vn/french/sitemaps/news-{month}-{year}.xml", today)
    assert [url.rsplit("/", 1)[-1] for url in urls] == expected
    assert feeds.expand_sitemap_url("https://x.vn/sitemap.xml", today) == [
        "https://x.vn/sitemap.xml"
    ]


def test_lastmod_without_a_zone_is_read_in_the_site_zone() -> None:
    hanoi = timezone(timedelta(hours=7))
    assert feeds.parse_modified("2026-11-23", hanoi) == datetime(2026, 11, 23, tzinfo=hanoi)
    assert feeds.parse_modified("yesterday", hanoi) is None


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds("7") == 7
    assert (
        retry_after_seconds(
            "Tue, 24 Nov 2026 10:00:30 GMT",
            now=datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp(),
        )
        == 30
    )
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://fr.vietnamplus.vn/le-titre/216576.vnp",
            "https://fr.vietnamplus.vn/le-titre-post216576.vnp",
        ),
        (
            "http://fr.vietnamplus.vn/le-titre/173718.amp",
            "http://fr.vietnamplus.vn/le-titre-post173718.vnp",
        ),
        (
            "https://fr.vietnamplus.vn/le-titre-post256133.vnp",
            "https://fr.vietnamplus.vn/le-titre-post256133.vnp",
        ),
    ],
)
def test_vietnamplus_canonical_is_the_post_form(url: str, expected: str) -> None:
    assert post_form(url) == expected


def test_crawl_settings_are_polite_whatever_the_config_asks() -> None:
    base = config_module.load_config(Path(__file__).resolve().parents[2] / "config.yaml")
    eager = base.crawl.model_copy(
        update={"concurrent_requests_per_host": 8, "contact_url": "https://example.org/contact"}
    )
    settings = settings_for(base.model_copy(update={"crawl": eager}), "lecourrier")
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2  # never more than 2 per host
    assert settings["USER_AGENT"] == "vnawatch/0.1 (+https://example.org/contact)"
    assert settings["ROBOTSTXT_OBEY"] and settings["AUTOTHROTTLE_ENABLED"]
    assert settings["DOWNLOAD_TIMEOUT"] == eager.timeout_seconds
    assert settings["DOWNLOAD_MAXSIZE"] == eager.max_page_bytes
    assert {429, 500, 502, 503, 504} <= set(settings["RETRY_HTTP_CODES"])
    assert settings["VNAWATCH_RETRY_BACKOFF"] == eager.retry_backoff_seconds
    assert "crawler.middlewares.RetryAfterMiddleware" in settings["DOWNLOADER_MIDDLEWARES"]
