"""Feeds and sitemaps are parsed with entity expansion off: no bomb, no XXE, no gzip bomb."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

import config as config_module
from crawler import feeds
from crawler.extract import extract_article
from demo.sitegen import article_page
from tests.crawler.support import ROOT

SECRET = "SECRET-XXE-le-fichier-local-ne-sort-pas"
LAUGHS = "".join(
    [
        '<!ENTITY lol0 "lol">',
        *(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)),
    ]
)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def _everything(links: feeds.Links) -> str:
    return " ".join(
        [*links.articles, *links.sitemaps, *links.modified.values(), links.problem or ""]
    )


def test_an_external_entity_in_a_feed_is_not_read(secret: Path) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<rss><channel><item><title>&xxe;</title><link>/a/1.html&xxe;</link>"
        "<pubDate>&xxe;</pubDate></item></channel></rss>"
    ).encode()
    links = feeds.feed_links(body)
    assert SECRET not in _everything(links)
    assert links.articles == ["/a/1.html"]
    assert links.problem is not None and "1 entity declarations not expanded (1 external)" in (
        links.problem
    )


def test_an_external_dtd_or_entity_in_a_sitemap_is_not_read(secret: Path) -> None:
    for doctype in (
        f'<!DOCTYPE urlset SYSTEM "file://{secret}">',
        f'<!DOCTYPE urlset [<!ENTITY % dtd SYSTEM "file://{secret}"> %dtd;]>',
        f'<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    ):
        body = f'<?xml version="1.0"?>{doctype}<urlset><url><loc>/a/2.html&xxe;</loc>'
        body += "<lastmod>&xxe;</lastmod></url></urlset>"
        links = feeds.sitemap_links(body.encode())
        assert SECRET not in _everything(links), doctype


@pytest.mark.parametrize("channel", ["feed", "sitemap"])
def test_a_billion_laughs_is_not_expanded(channel: str) -> None:
    if channel == "feed":
        body = f"<!DOCTYPE rss [{LAUGHS}]><rss><channel><item><title>&lol9;</title>"
        body += "<link>/a/3.html</link></item></channel></rss>"
        links = feeds.feed_links(body.encode())
    else:
        body = f"<!DOCTYPE urlset [{LAUGHS}]><urlset><url><loc>/a/3.html&lol9;</loc></url></urlset>"
        links = feeds.sitemap_links(body.encode())
    assert "lollol" not in _everything(links)
    assert all(len(link) < 100 for link in links.articles)
    assert links.problem is not None and "entity" in links.problem


def test_a_gzip_bomb_stops_at_the_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "MAX_XML_BYTES", 1_000_000)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = packer.compress(b"<urlset>" + b" " * 200_000_000) + packer.flush()  # 200 MB inside
    assert len(bomb) < 1_000_000
    links = feeds.sitemap_links(bomb)
    assert links.problem is not None and "more than 1000000 bytes" in links.problem


def test_gzip_that_is_not_gzip_is_a_problem_not_an_exception() -> None:
    packed = gzip.compress(b"<urlset><url><loc>/a/4.html</loc></url></urlset>")
    assert feeds.sitemap_links(packed).articles == ["/a/4.html"]
    assert "truncated gzip" in str(feeds.sitemap_links(packed[: len(packed) // 2]).problem)
    assert "not gzip" in str(feeds.sitemap_links(packed[:10] + b"garbage" * 20).problem)


def test_unreadable_feed_and_sitemap_dates_are_a_problem() -> None:
    good = "<item><link>/a/5.html</link><pubDate>Fri, 20 Nov 2026 08:00:00 +0700</pubDate></item>"
    bad = "<item><link>/a/6.html</link><pubDate>hier soir</pubDate></item>"
    assert feeds.feed_links(f"<rss><channel>{good}</channel></rss>".encode()).problem is None
    links = feeds.feed_links(f"<rss><channel>{good}{bad}</channel></rss>".encode())
    assert links.articles == ["/a/5.html", "/a/6.html"]
    assert links.problem == "1 unreadable dates, first 'hier soir'"
    sitemap = b"<urlset><url><loc>/a/7.html</loc><lastmod>2026-13-45</lastmod></url></urlset>"
    assert "unreadable dates" in str(feeds.sitemap_links(sitemap).problem)


def test_an_html_page_with_an_external_entity_does_not_read_it(secret: Path) -> None:
    source = config_module.load_config(ROOT / "config.yaml").sources["lecourrier"]
    page = article_page("Titre &xxe;", datetime(2026, 11, 20, tzinfo=UTC), "Corps &xxe; fin.")
    page = page.replace("&amp;xxe;", "&xxe;").replace(
        "<!DOCTYPE html>", f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    )
    fields = extract_article(page, "http://127.0.0.1/lecourrier/a/1399999.html", source)
    assert SECRET not in " ".join(str(value) for value in vars(fields).values())
