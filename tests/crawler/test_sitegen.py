"""The sample site's discovery files (feeds, sitemaps, listings) match its article pages."""

from __future__ import annotations

import shutil
from pathlib import Path

from demo.sitegen import SAMPLE_SITE, build_sample_site

DISCOVERY_FILES = [
    "_aliases.json",
    "robots.txt",
    "vietnamplus/rss/home.rss",
    "vietnamplus/sitemaps/google-news.xml",
    "vietnamplus/index.html",
    "vietnamplus/page2.html",
    "lecourrier/sitemap.xml",
    "lecourrier/sitemaps/news-11-2026.xml",
    "lecourrier/index.html",
    "lecourrier/page2.html",
    "vietnamillustre/french/sitemaps/news-11-2026.xml",
    "vietnamillustre/french/tin-van/index.html",
    "vietnamillustre/french/tin-van/suite.html",
]


def test_discovery_files_are_up_to_date_with_the_article_pages(tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(SAMPLE_SITE, copy)
    counts = build_sample_site(copy)
    assert all(counts.values()), counts
    stale = [
        name
        for name in DISCOVERY_FILES
        if (copy / name).read_bytes() != (SAMPLE_SITE / name).read_bytes()
    ]
    assert not stale, f"run `python -m demo.sitegen` to regenerate {stale}"


def test_every_listing_has_a_second_page_linked_by_rel_next() -> None:
    for listing in (
        "vietnamplus/index.html",
        "lecourrier/index.html",
        "vietnamillustre/french/tin-van/index.html",
    ):
        assert 'rel="next"' in (SAMPLE_SITE / listing).read_text(encoding="utf-8"), listing
