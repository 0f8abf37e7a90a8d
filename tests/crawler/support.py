"""Helpers for crawl tests: a config pointing the three real spiders at a FixtureSite."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import config as config_module

ROOT = Path(__file__).resolve().parents[2]
OUTLETS = {
    "vietnamplus": {
        "base": "/vietnamplus",
        "feeds": ["/vietnamplus/rss/home.rss"],
        "sitemaps": ["/vietnamplus/sitemaps/google-news.xml"],
        "listings": ["/vietnamplus/index.html"],
    },
    "lecourrier": {
        "base": "/lecourrier",
        "feeds": [],
        "sitemaps": ["/lecourrier/sitemap.xml"],
        "listings": ["/lecourrier/index.html"],
    },
    "vietnamillustre": {
        "base": "/vietnamillustre/french",
        "feeds": [],
        "sitemaps": ["/vietnamillustre/french/sitemaps/news-11-2026.xml"],
        "listings": ["/vietnamillustre/french/tin-van/index.html"],
    },
}
FAST_CRAWL = {
    "download_delay_seconds": 0,
    "autothrottle": False,
    "timeout_seconds": 5,
    "retry_times": 0,
    "crawl_timeout_minutes": 2,
}


def site_config(
    site_url: str, database_url: str, crawl: dict[str, Any] | None = None, **source_updates: Any
) -> config_module.Config:
    """The project's config.yaml with every source on ``site_url`` and fast crawl settings."""
    base = config_module.load_config(ROOT / "config.yaml")
    sources = {}
    for source_id, paths in OUTLETS.items():
        sources[source_id] = base.sources[source_id].model_copy(
            update={
                "base_url": site_url + paths["base"],
                "feeds": [site_url + p for p in paths["feeds"]],
                "sitemaps": [site_url + p for p in paths["sitemaps"]],
                "listings": [site_url + p for p in paths["listings"]],
                "backfill_days": 36500,
                **source_updates,
            }
        )
    crawl_settings = config_module.Crawl(**{**FAST_CRAWL, **(crawl or {})})
    return base.model_copy(
        update={"database_url": database_url, "sources": sources, "crawl": crawl_settings}
    )


def is_article_path(path: str) -> bool:
    """A requested path that is an article page of one of the three outlets."""
    base = config_module.load_config(ROOT / "config.yaml")
    patterns = [source.article_url_pattern for source in base.sources.values()]
    return any(re.search(pattern, path) for pattern in patterns) and "/page" not in path


def add_listing_link(page: Path, href: str, title: str) -> None:
    """Put one more story link at the top of a listing page."""
    text = page.read_text(encoding="utf-8")
    story = f'<article class="story"><h2><a href="{href}">{title}</a></h2></article>\n'
    marker = '<section class="timeline">\n'
    assert marker in text, f"no timeline in {page}"
    page.write_text(text.replace(marker, marker + story, 1), encoding="utf-8")


@contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send fd 2 (the crawl child's log) to ``path`` for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("w") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
