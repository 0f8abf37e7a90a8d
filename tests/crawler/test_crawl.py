"""The crawl engine end to end: crawler.run.crawl, real Scrapy, a served site, a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from config import Config
from crawler import feeds
from crawler.extract import article_id_from_url
from crawler.run import CrawlReport, crawl
from demo.sitegen import Entry, article_page, build_sample_site, sitemap
from store import Store
from tests.crawler.support import ROOT, add_listing_link, is_article_path, site_config
from tests.servers import FixtureSite


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FixtureSite]:
    with FixtureSite(tmp_path / "site") as served:
        yield served


def _article_files(site: FixtureSite, source_dir: str, pattern: str) -> set[str]:
    """The article ids the sample site holds for one outlet."""
    ids = set()
    for path in site.path(source_dir).rglob("*"):
        if path.is_file() and path.suffix in (".vnp", ".html"):
            article_id = article_id_from_url("/" + path.relative_to(site.root).as_posix(), pattern)
            if article_id:
                ids.add(article_id)
    return ids


def test_crawl_stores_every_sample_article_with_its_id(site: FixtureSite, store: Store) -> None:
    cfg = site_config(site.url, store.url)
    report = crawl(cfg)
    assert report.ok, report.summary()
    for source_id, directory in (
        ("vietnamplus", "vietnamplus"),
        ("lecourrier", "lecourrier"),
        ("vietnamillustre", "vietnamillustre/french"),
    ):
        pattern = cfg.sources[source_id].article_url_pattern
        expected = _article_files(site, directory, pattern)
        assert expected, f"no sample articles for {source_id}"
        stored = {a.article_id for a in store.iter_articles(source=source_id)}
        assert stored == expected, source_id
        assert report.run(source_id).new_articles == len(expected)
    assert "crawl finished source=vietnamplus new=" in report.summary()
    # every request, robots.txt included, names the crawler and its contact URL from the config
    assert site.user_agents() == {cfg.crawl.full_user_agent}
    assert cfg.crawl.contact_url in cfg.crawl.full_user_agent
    state = store.source_state("lecourrier")
    assert state.last_success_at is not None and state.backfilled_at is not None


def _crawl_sites_articles(report: CrawlReport) -> int:
    return sum(report.stat(s, "vnawatch/articles/fetched") for s in report.stats)


def test_recrawls_of_an_unchanged_site_fetch_no_article_page(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    first = crawl(cfg)
    stored = sqlite_store.count_articles()
    assert first.ok and stored > 0 and _crawl_sites_articles(first) == stored
    for _ in range(2):
        site.clear_requests()
        again = crawl(cfg)
        assert again.ok, again.summary()
        assert _crawl_sites_articles(again) == 0
        assert not [p for p in site.requests() if is_article_path(p)]
        assert sum(run.not_modified for run in again.runs) >= 7  # 1 feed + 3 sitemaps + 3 listings
        assert sum(run.new_articles + run.updated_articles for run in again.runs) == 0
    assert sqlite_store.count_articles() == stored
    assert sqlite_store.source_state("vietnamplus").last_not_modified >= 3


def test_an_article_added_to_the_feed_is_the_only_one_fetched(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    assert crawl(cfg).ok
    before = sqlite_store.count_articles("vietnamplus")
    published = datetime(2026, 11, 23, 18, 0, tzinfo=timezone(timedelta(hours=7)))
    page = site.path("vietnamplus/un-nouvel-article-de-test-post259999.vnp")
    page.write_text(
        article_page(
            "Un nouvel article de test sur la frontière",
            published,
            "Hanoï (VNA) – Premier paragraphe du nouvel article.\n\nSecond paragraphe.",
            "Le chapô du nouvel article.",
        ),
        encoding="utf-8",
    )
    build_sample_site(site.root)
    site.clear_requests()
    report = crawl(cfg, "vietnamplus")
    assert report.run("vietnamplus").new_articles == 1, report.summary()
    assert report.stat("vietnamplus", "vnawatch/articles/fetched") == 1
    assert report.run("vietnamplus").skipped == before
    fetched = [p for p in site.requests() if is_article_path(p)]
    # the newest article is in the feed under its legacy URL, the listing has the -post one
    assert len(fetched) == 1 and fetched[0] in (
        "/vietnamplus/un-nouvel-article-de-test-post259999.vnp",
        "/vietnamplus/un-nouvel-article-de-test/259999.vnp",
    ), fetched
    added = sqlite_store.article_by_identity("vietnamplus", "259999")
    assert added is not None and added.title == "Un nouvel article de test sur la frontière"


def test_a_changed_article_is_an_update_not_a_second_article(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    assert crawl(cfg, "lecourrier").ok
    count = sqlite_store.count_articles("lecourrier")
    shard = site.path("lecourrier/sitemaps/news-11-2026.xml")
    entry = feeds.sitemap_links(shard.read_bytes()).articles[0]
    article_id = article_id_from_url(entry, cfg.sources["lecourrier"].article_url_pattern)
    assert article_id is not None
    before = sqlite_store.article_by_identity("lecourrier", article_id)
    page = site.path(entry)
    html = page.read_text(encoding="utf-8")
    marker = '<div class="article-content">'
    assert marker in html
    page.write_text(
        html.replace(marker, marker + "<p>Mise à jour : un paragraphe ajouté.</p>", 1),
        encoding="utf-8",
    )
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    text = shard.read_text(encoding="utf-8")
    start = text.index(f"<loc>{entry}</loc>")
    lastmod_start = text.index("<lastmod>", start) + len("<lastmod>")
    lastmod_end = text.index("</lastmod>", lastmod_start)
    shard.write_text(text[:lastmod_start] + later + text[lastmod_end:], encoding="utf-8")

    report = crawl(cfg, "lecourrier")
    run = report.run("lecourrier")
    assert (run.new_articles, run.updated_articles) == (0, 1), report.summary()
    assert sqlite_store.count_articles("lecourrier") == count
    after = sqlite_store.article_by_identity("lecourrier", article_id)
    assert before is not None and after is not None and after.id == before.id
    assert "Mise à jour" in after.body and after.content_hash != before.content_hash
    assert after.updated_at is not None and after.updated_at != before.updated_at


def test_one_id_under_two_url_forms_is_fetched_once_and_stored_once(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    pattern = cfg.sources["vietnamplus"].article_url_pattern
    feed_links = feeds.feed_links(site.path("vietnamplus/rss/home.rss").read_bytes()).articles
    legacy = [link for link in feed_links if "-post" not in link]
    listing = site.path("vietnamplus/index.html").read_text(encoding="utf-8")
    both = [link for link in legacy if f"-post{article_id_from_url(link, pattern)}.vnp" in listing]
    assert both, "the sample feed should link one listed article by its legacy URL"
    article_id = article_id_from_url(both[0], pattern)
    report = crawl(cfg, "vietnamplus")
    assert report.ok, report.summary()
    fetched = [p for p in site.requests() if article_id_from_url(p, pattern) == article_id]
    assert len(fetched) == 1, fetched
    stored = [a for a in sqlite_store.iter_articles(source="vietnamplus")]
    assert len([a for a in stored if a.article_id == article_id]) == 1
    article = sqlite_store.article_by_identity("vietnamplus", str(article_id))
    assert article is not None and article.url.endswith(f"-post{article_id}.vnp")


def test_first_crawl_marks_old_articles_as_backfill_and_later_crawls_do_not(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url, backfill_days=0)
    first = crawl(cfg, "lecourrier")
    stored = sqlite_store.count_articles("lecourrier")
    assert first.stat("lecourrier", "vnawatch/articles/backfill") == stored > 0
    assert first.run("lecourrier").backfill
    assert sqlite_store.source_state("lecourrier").backfilled_at is not None
    page = site.path("lecourrier/un-article-ancien-de-test/1399001.html")
    page.parent.mkdir(parents=True)
    old = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    page.write_text(article_page("Un article ancien", old, "Corps de l'article."), "utf-8")
    add_listing_link(
        site.path("lecourrier/index.html"),
        "/lecourrier/un-article-ancien-de-test/1399001.html",
        "Un article ancien",
    )
    second = crawl(cfg, "lecourrier")
    assert second.run("lecourrier").new_articles == 1, second.summary()
    assert second.stat("lecourrier", "vnawatch/articles/backfill") == 0
    assert not second.run("lecourrier").backfill


def test_scrapy_crawl_command_uses_the_config_file(
    site: FixtureSite, sqlite_store: Store, tmp_path: Path
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True))
    env = {**os.environ, "VNAWATCH_CONFIG": str(config_file)}
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "vietnamplus"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "crawl started source=vietnamplus" in done.stderr
    assert sqlite_store.count_articles("vietnamplus") > 0
    assert sqlite_store.count_articles("lecourrier") == 0


def test_listing_pages_alone_reach_every_article_through_pagination(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url, feeds=[], sitemaps=[])
    report = crawl(cfg, "vietnamillustre")
    assert report.ok, report.summary()
    pattern = cfg.sources["vietnamillustre"].article_url_pattern
    expected = _article_files(site, "vietnamillustre/french", pattern)
    assert {a.article_id for a in sqlite_store.iter_articles(source="vietnamillustre")} == expected
    assert report.stat("vietnamillustre", "vnawatch/discovery/listing") == 2


def _vnawatch(config_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``vnawatch`` command with ``config_file``."""
    command = [str(Path(sys.executable).parent / "vnawatch"), "--config", str(config_file), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_crawl_command_shows_warnings_and_one_line_per_source_unless_verbose(
    site: FixtureSite, sqlite_store: Store, tmp_path: Path
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True))
    site.set_faults({"/lecourrier/sitemap.xml": {"status": 500}})

    quiet = _vnawatch(config_file, "crawl")
    assert quiet.returncode == 0, quiet.stderr  # one dead channel: the others found articles
    lines = quiet.stderr.splitlines()
    for source_id in ("vietnamplus", "lecourrier", "vietnamillustre"):
        assert sum(line.startswith(f"crawl finished source={source_id} ") for line in lines) == 1
    # the fault's own warning is kept; Scrapy's start-up listing, engine lines and stats are not
    assert "sitemap failed source=lecourrier" in quiet.stderr
    for noise in ("Scrapy 2.", "Spider opened", "Dumping Scrapy stats", "Enabled extensions"):
        assert noise not in quiet.stderr, noise

    verbose = _vnawatch(config_file, "crawl", "--source", "vietnamillustre", "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert "Spider opened" in verbose.stderr and "Dumping Scrapy stats" in verbose.stderr
    assert "crawl finished source=vietnamillustre " in verbose.stderr


def _add_alias(site: FixtureSite, url_path: str, file_path: str) -> None:
    """Serve ``file_path`` under ``url_path`` too (200, no redirect), as the outlets do."""
    aliases_file = site.path("_aliases.json")
    aliases = json.loads(aliases_file.read_text("utf-8"))
    aliases[url_path] = file_path
    aliases_file.write_text(json.dumps(aliases), "utf-8")


def test_post_legacy_and_amp_forms_of_one_id_are_one_article(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    pattern = cfg.sources["vietnamplus"].article_url_pattern
    feed = feeds.feed_links(site.path("vietnamplus/rss/home.rss").read_bytes()).articles
    listing = site.path("vietnamplus/index.html").read_text("utf-8")
    # the feed's legacy …/<slug>/<id>.vnp link whose -post form the listing has
    for legacy in (link for link in feed if "-post" not in link):
        article_id = article_id_from_url(legacy, pattern)
        post = legacy.rsplit("/", 1)[0] + f"-post{article_id}.vnp"
        if post in listing:
            break
    else:
        raise AssertionError("the sample feed should link a listed article by its legacy URL")
    amp = legacy.removesuffix(".vnp") + ".amp"
    on_disk = post if site.path(post).is_file() else legacy
    _add_alias(site, amp, on_disk)
    add_listing_link(site.path("vietnamplus/page2.html"), amp, "AMP")

    report = crawl(cfg, "vietnamplus")
    assert report.ok, report.summary()
    requested = [p for p in site.requests() if article_id_from_url(p, pattern) == article_id]
    assert len(requested) == 1, requested
    assert report.stat("vietnamplus", "vnawatch/links/repeated") >= 2  # feed, listing, amp
    stored = [a for a in sqlite_store.iter_articles(source="vietnamplus")]
    assert [a.url for a in stored if a.article_id == article_id] == [site.url + post]


def test_slugs_with_percent_encoding_entities_or_nbsp_do_not_make_new_articles(
    site: FixtureSite, sqlite_store: Store
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    published = datetime(2026, 11, 22, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    entities = "/lecourrier/le-vietnam-r-eacuteunifi-eacute-aux-sea-games/1399010.html"
    page = site.path(entities)
    page.parent.mkdir(parents=True)
    page.write_text(article_page("Le Vietnam réunifié", published, "Corps du texte."), "utf-8")
    nbsp = "/lecourrier/le-vietnam-reunifie-aux-sea-games-nbsp/1399010.html"
    encoded = "/lecourrier/adoption-de-la-resolution-du-xiv%E1%B5%89-congres/1399010.html"
    plain = "/lecourrier/le-vietnam-reunifie/1399010.html"
    for alias in (nbsp, encoded, plain):
        _add_alias(site, alias, entities)
    add_listing_link(site.path("lecourrier/index.html"), entities, "Entités")
    add_listing_link(site.path("lecourrier/index.html"), nbsp, "nbsp")
    add_listing_link(site.path("lecourrier/page2.html"), encoded, "xivᵉ")
    before = len(_article_files(site, "lecourrier", cfg.sources["lecourrier"].article_url_pattern))

    first = crawl(cfg, "lecourrier")
    assert first.run("lecourrier").new_articles == before, first.summary()
    fetched = [p for p in site.requests() if p.endswith("/1399010.html")]
    assert len(fetched) == 1 and fetched[0] in (entities, nbsp, encoded), fetched
    assert sqlite_store.count_articles("lecourrier") == before

    site.clear_requests()
    add_listing_link(site.path("lecourrier/page2.html"), plain, "sans accents")
    second = crawl(cfg, "lecourrier")
    assert second.run("lecourrier").new_articles == 0, second.summary()
    assert not [p for p in site.requests() if is_article_path(p)]
    assert sqlite_store.count_articles("lecourrier") == before
    stored = sqlite_store.article_by_identity("lecourrier", "1399010")
    assert stored is not None and stored.url == site.url + fetched[0]


def _redesigned_page(title: str, published: datetime, *, titled: bool = True) -> str:
    """An article page after a markup change: the text rendered by a script; the title
    kept in the metadata (``titled``) or rendered by the script too."""
    head = f'<title>{title}</title><meta property="og:title" content="{title}">' if titled else ""
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">{head}
<meta property="article:published_time" content="{published.isoformat()}">
</head><body><div id="app"></div>
<script>window.__ARTICLE__ = {{"id": 1, "blocks": []}};</script>
</body></html>
"""


def _add_redesigned_pages(site: FixtureSite, first_id: int, *, titled: bool) -> None:
    published = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=7)))
    for n in range(5):
        path = f"/lecourrier/nouvelle-maquette-{n}/{first_id + n}.html"
        page = site.path(path)
        page.parent.mkdir(parents=True)
        page.write_text(
            _redesigned_page(f"Nouvelle maquette {n}", published, titled=titled), "utf-8"
        )
        add_listing_link(site.path("lecourrier/index.html"), path, f"Nouvelle maquette {n}")


def _crawled_once(site: FixtureSite, store: Store, tmp_path: Path) -> tuple[Config, Path]:
    """The fixture site's config, written for the CLI, after one healthy crawl of lecourrier."""
    cfg = site_config(site.url, store.url)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True))
    assert crawl(cfg, "lecourrier").ok
    return cfg, config_file


def test_pages_without_a_body_are_stored_on_their_title_and_the_source_is_unhealthy(
    site: FixtureSite, sqlite_store: Store, tmp_path: Path
) -> None:
    cfg, config_file = _crawled_once(site, sqlite_store, tmp_path)
    _add_redesigned_pages(site, 1399150, titled=True)
    report = crawl(cfg, "lecourrier")
    run = report.run("lecourrier")
    assert (run.new_articles, run.dropped, run.bodiless_pages) == (5, 0, 5), report.summary()
    assert report.stat("lecourrier", "vnawatch/extraction/bodiless") == 5
    stored = sqlite_store.article_by_identity("lecourrier", "1399152")
    assert stored is not None and stored.title == "Nouvelle maquette 2"
    assert stored.extraction == "partial" and "no body found" in stored.extraction_note

    status = _vnawatch(config_file, "status")
    assert status.returncode == 1, status.stdout + status.stderr
    assert "source lecourrier: no body found on 5 of the last 5 pages (100 %)" in status.stdout
    unhealthy = json.loads(_vnawatch(config_file, "status", "--json").stdout)
    assert "bodies" in _source(unhealthy, "lecourrier")["problems"]
    assert not _source(unhealthy, "vietnamillustre")["problems"]


def test_a_source_whose_extraction_comes_out_empty_is_unhealthy_in_status(
    site: FixtureSite, sqlite_store: Store, tmp_path: Path
) -> None:
    cfg, config_file = _crawled_once(site, sqlite_store, tmp_path)
    healthy = json.loads(_vnawatch(config_file, "status", "--json").stdout)
    assert not _source(healthy, "lecourrier")["problems"]

    assert cfg.scheduler.unhealthy_empty_extractions == 5
    _add_redesigned_pages(site, 1399100, titled=False)  # no title, no text: nothing to store
    report = crawl(cfg, "lecourrier")
    run = report.run("lecourrier")
    assert (run.new_articles, run.extraction_failures, run.dropped) == (0, 5, 5), report.summary()

    status = _vnawatch(config_file, "status")
    assert status.returncode == 1, status.stdout + status.stderr
    assert "source lecourrier: extraction came out empty for the last 5 pages" in status.stdout
    unhealthy = json.loads(_vnawatch(config_file, "status", "--json").stdout)
    assert "extraction" in _source(unhealthy, "lecourrier")["problems"]
    assert not _source(unhealthy, "vietnamillustre")["problems"]


def _source(status: dict[str, Any], source_id: str) -> dict[str, Any]:
    return next(s for s in status["sources"] if s["source"] == source_id)


def test_first_crawl_backfill_depth_is_backfill_days(
    site: FixtureSite, sqlite_store: Store
) -> None:
    days = 3
    cfg = site_config(site.url, sqlite_store.url, backfill_days=days)
    now = datetime.now(UTC)
    for n, age in enumerate((timedelta(hours=1), timedelta(days=days + 7))):
        path = f"/lecourrier/profondeur-de-test-{n}/{1399200 + n}.html"
        page = site.path(path)
        page.parent.mkdir(parents=True)
        page.write_text(article_page(f"Profondeur {n}", now - age, "Corps."), "utf-8")
        add_listing_link(site.path("lecourrier/index.html"), path, f"Profondeur {n}")
    report = crawl(cfg, "lecourrier")
    assert report.ok, report.summary()
    cutoff = report.run("lecourrier").started_at - timedelta(days=days)
    stored = list(sqlite_store.iter_articles(source="lecourrier"))
    assert all(a.backfill == (a.published_at < cutoff) for a in stored)
    by_id = {a.article_id: a for a in stored}
    assert not by_id["1399200"].backfill and by_id["1399201"].backfill
    backfilled = sum(a.backfill for a in stored)
    assert report.stat("lecourrier", "vnawatch/articles/backfill") == backfilled


def test_status_shows_each_sources_last_crawl_304s_and_last_error(
    site: FixtureSite, sqlite_store: Store, tmp_path: Path
) -> None:
    cfg = site_config(site.url, sqlite_store.url)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True))
    first = crawl(cfg, "lecourrier").run("lecourrier")
    site.set_faults({"/lecourrier/sitemap.xml": {"status": 500}})
    second = crawl(cfg, "lecourrier").run("lecourrier")
    assert second.new_articles == 0 and second.not_modified >= 1 and second.errors

    text = _vnawatch(config_file, "status").stdout
    header = next(line for line in text.splitlines() if line.startswith("SOURCE"))
    assert "LAST RUN NEW/304" in header
    row = next(line for line in text.splitlines() if line.startswith("lecourrier "))
    assert f" 0/{second.not_modified} " in row and f" {first.new_articles} " in row  # NEW 24H
    assert "lecourrier last error" in text and "sitemap.xml: http 500" in text
    state = json.loads(_vnawatch(config_file, "status", "--json").stdout)
    lecourrier = _source(state, "lecourrier")
    assert (lecourrier["last_new_articles"], lecourrier["last_not_modified"]) == (
        0,
        second.not_modified,
    )
    assert lecourrier["failures_in_row"] == 0  # the other channels worked: not a failed crawl


def test_monthly_sitemap_shards_of_this_and_last_month_are_crawled(
    site: FixtureSite, sqlite_store: Store
) -> None:
    template = "/vietnamillustre/french/sitemaps/news-{month}-{year}.xml"
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    shards = feeds.expand_sitemap_url(template, today)
    assert shards[0].endswith(f"/news-{today.month}-{today.year}.xml")  # month not padded
    entries = feeds.sitemap_links(
        site.path("vietnamillustre/french/sitemaps/news-11-2026.xml").read_bytes()
    ).articles
    # this month's shard lists the first article, last month's the others
    for shard, links in ((shards[0], entries[:1]), (shards[1], entries[1:])):
        site.path(shard).write_text(sitemap([Entry(p, p, datetime.now(UTC)) for p in links]))
    cfg = site_config(site.url, sqlite_store.url, feeds=[], listings=[])
    source = cfg.sources["vietnamillustre"].model_copy(update={"sitemaps": [site.url + template]})
    cfg = cfg.model_copy(update={"sources": {**cfg.sources, "vietnamillustre": source}})

    report = crawl(cfg, "vietnamillustre")
    assert report.ok, report.summary()
    assert set(shards) <= set(site.requests())
    stored = {a.url.removeprefix(site.url) for a in sqlite_store.iter_articles()}
    assert stored == set(entries) and len(entries) >= 2
