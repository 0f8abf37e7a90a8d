"""Faults during a crawl: each is logged, counted, and none stops the crawl.

One crawl of the whole sample site runs with every fault set at once (a module
fixture, to keep the suite fast); each test then checks one fault's outcome:
what the store holds, the stat, the log line, the source's recorded error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import config as config_module
from crawler import feeds
from crawler.extract import article_id_from_url
from crawler.run import CrawlReport, crawl
from demo.sitegen import article_page
from store import Store, open_store
from tests.crawler.support import ROOT, add_listing_link, site_config, stderr_to
from tests.servers import FixtureSite

SLOW_SECONDS = 3
NO_DATE_PATH = "/lecourrier/une-page-sans-date/1399002.html"
# windows-1252 bytes served as "charset=utf-8" (and declared UTF-8 in the page)
CP1252_PATH = "/lecourrier/to-lam-appelle-a-moderniser-la-diplomatie-economique/1350300.html"
CP1252_FIXTURE = ROOT / "tests/fixtures/articles/lecourrier_cp1252.html"
# ISO-8859-1 bytes, declared so in the header and the page
LATIN1_PATH = "/vietnamillustre/french/tin-van/les-peches-de-lete-a-phu-quoc-430199.html"
LATIN1_TITLE = "Les pêches de l'été à Phú Quôc"
HUGE_BYTES = 20 * 1024 * 1024


@dataclass
class Faulty:
    """The outcome of the crawl with every fault set."""

    report: CrawlReport
    store: Store
    site: FixtureSite
    log: str
    config: config_module.Config
    paths: dict[str, str]

    def stored(self, source: str, path: str) -> bool:
        pattern = self.config.sources[source].article_url_pattern
        article_id = article_id_from_url(path, pattern)
        return self.store.article_by_identity(source, str(article_id)) is not None


def _sitemap_paths(site: FixtureSite, relative: str) -> list[str]:
    return sorted(feeds.sitemap_links(site.path(relative).read_bytes()).articles)


def _vnp_forms(path: str) -> list[str]:
    """Both URL forms of a VietnamPlus article path."""
    head, name = path.rsplit("/", 1)
    if "-post" in name:
        slug, _, number = name.removesuffix(".vnp").rpartition("-post")
        return [path, f"{head}/{slug}/{number}.vnp"]
    parent, slug = head.rsplit("/", 1)
    return [path, f"{parent}/{slug}-post{name.removesuffix('.vnp')}.vnp"]


def _set_up_faults(site: FixtureSite) -> dict[str, str]:
    vnp = _sitemap_paths(site, "vietnamplus/sitemaps/google-news.xml")
    cvn = _sitemap_paths(site, "lecourrier/sitemaps/news-11-2026.xml")
    vi = _sitemap_paths(site, "vietnamillustre/french/sitemaps/news-11-2026.xml")
    paths = {
        "retry_after": vnp[1],
        "slow": vnp[2],
        "drop": vnp[3],
        "oversize": cvn[0],
        "robots": cvn[1],
        "redirect": vi[0],
        "backoff": vnp[4],
    }
    faults = {}
    for form in _vnp_forms(paths["retry_after"]):
        faults[form] = {"status": 429, "retry_after": 1, "times": 1}
    for form in _vnp_forms(paths["slow"]):
        faults[form] = {"delay": SLOW_SECONDS}
    for form in _vnp_forms(paths["drop"]):
        faults[form] = {"drop": True}
    for form in _vnp_forms(paths["backoff"]):
        faults[form] = {"status": 503, "times": 1}  # no Retry-After: backoff, then 200
    faults[LATIN1_PATH] = {"content_type": "text/html; charset=iso-8859-1"}
    faults["/lecourrier/rss/home.rss"] = {"status": 500}
    faults[paths["redirect"]] = {"redirect": "http://other.example/french/tin-van/x-1.html"}
    site.set_faults(faults)
    feed = site.path("vietnamplus/rss/home.rss")
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text[: len(text) // 2], encoding="utf-8")  # truncated mid-item
    page = site.path(paths["oversize"])
    padding = "<!--" + "x" * (HUGE_BYTES - page.stat().st_size) + "-->"
    page.write_text(page.read_text("utf-8") + padding, "utf-8")  # a 20 MB page
    site.path("robots.txt").write_text(f"User-agent: *\nDisallow: {paths['robots']}\n")
    no_date = site.path(NO_DATE_PATH)
    no_date.parent.mkdir(parents=True)
    html = article_page("Une page sans date", datetime(2026, 11, 23, tzinfo=UTC), "Texte.")
    # no date anywhere: htmldate would read a date left in any <meta>
    no_date.write_text(html.replace("2026-11-23T00:00:00+00:00", ""), "utf-8")
    add_listing_link(site.path("lecourrier/index.html"), NO_DATE_PATH, "Une page sans date")
    _add_encoding_pages(site)
    return paths


def _add_encoding_pages(site: FixtureSite) -> None:
    """A windows-1252 page declared UTF-8, and a correctly declared ISO-8859-1 one."""
    cp1252 = site.path(CP1252_PATH)
    cp1252.parent.mkdir(parents=True)
    cp1252.write_bytes(CP1252_FIXTURE.read_bytes())
    add_listing_link(site.path("lecourrier/index.html"), CP1252_PATH, "To Lam")
    published = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=7)))
    body = "Phú Quôc (VNA/VI) - La saison des pêches côtières a commencé.\n\nFin de l'été."
    html = article_page(LATIN1_TITLE, published, body, "Un chapô à l'île de Phú Quôc.")
    html = html.replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
    site.path(LATIN1_PATH).write_bytes(html.encode("iso-8859-1", errors="strict"))
    add_listing_link(site.path("vietnamillustre/french/tin-van/index.html"), LATIN1_PATH, "Pêches")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faulty]:
    root = tmp_path_factory.mktemp("faults")
    database_url = f"sqlite:///{root / 'vnawatch.db'}"
    store = open_store(database_url)
    store.upgrade()
    with FixtureSite(root / "site") as site:
        paths = _set_up_faults(site)
        cfg = site_config(
            site.url,
            database_url,
            crawl={"timeout_seconds": 1, "retry_times": 1, "retry_backoff_seconds": 0.5},
        )
        sources = dict(cfg.sources)
        sources["lecourrier"] = sources["lecourrier"].model_copy(
            update={"feeds": [f"{site.url}/lecourrier/rss/home.rss"]}
        )
        sources["vietnamillustre"] = sources["vietnamillustre"].model_copy(
            update={"feeds": ["http://127.0.0.1:9/rss.xml"]}
        )
        cfg = cfg.model_copy(update={"sources": sources})
        log_path = root / "crawl.log"
        with stderr_to(log_path):
            report = crawl(cfg)
        yield Faulty(report, store, site, log_path.read_text(), cfg, paths)
    store.close()


def test_the_crawl_finishes_and_stores_every_article_without_a_fault(faulty: Faulty) -> None:
    assert not faulty.report.timed_out
    faulted = set(faulty.paths.values())
    for source, sitemap in (
        ("vietnamplus", "vietnamplus/sitemaps/google-news.xml"),
        ("lecourrier", "lecourrier/sitemaps/news-11-2026.xml"),
        ("vietnamillustre", "vietnamillustre/french/sitemaps/news-11-2026.xml"),
    ):
        for path in _sitemap_paths(faulty.site, sitemap):
            if path not in faulted:
                assert faulty.stored(source, path), path
    for source in ("vietnamplus", "lecourrier"):
        assert faulty.store.source_state(source).last_success_at is not None


def test_a_500_on_a_feed_is_recorded_and_other_channels_continue(faulty: Faulty) -> None:
    run = faulty.report.run("lecourrier")
    assert any("rss/home.rss: http 500" in error for error in run.errors), run.errors
    assert faulty.report.stat("lecourrier", "vnawatch/errors/feed") == 1
    assert run.new_articles >= 1
    state = faulty.store.source_state("lecourrier")
    assert state.last_error is not None and "http 500" in state.last_error
    assert "feed failed source=lecourrier" in faulty.log


def test_a_connection_refused_feed_is_recorded(faulty: Faulty) -> None:
    run = faulty.report.run("vietnamillustre")
    assert any("127.0.0.1:9/rss.xml" in error for error in run.errors), run.errors
    assert "feed failed source=vietnamillustre" in faulty.log


def test_429_with_retry_after_is_waited_for_then_stored(faulty: Faulty) -> None:
    assert faulty.stored("vietnamplus", faulty.paths["retry_after"])
    assert faulty.report.stat("vietnamplus", "vnawatch/retry_after") == 1
    assert "waiting for Retry-After status=429" in faulty.log


def test_a_page_slower_than_the_timeout_is_an_error_not_a_hang(faulty: Faulty) -> None:
    assert not faulty.stored("vietnamplus", faulty.paths["slow"])
    run = faulty.report.run("vietnamplus")
    assert any("timeout" in error.lower() for error in run.errors), run.errors
    assert faulty.report.stat("vietnamplus", "vnawatch/errors/article") >= 2


def test_a_dropped_connection_is_an_article_error(faulty: Faulty) -> None:
    assert not faulty.stored("vietnamplus", faulty.paths["drop"])
    assert "article fetch failed source=vietnamplus" in faulty.log


def test_a_truncated_feed_warns_and_the_other_channels_continue(faulty: Faulty) -> None:
    assert faulty.report.stat("vietnamplus", "vnawatch/malformed/feed") == 1
    assert "malformed feed source=vietnamplus" in faulty.log
    assert faulty.report.run("vietnamplus").new_articles >= 3


def test_a_20_mb_page_is_cancelled_at_the_size_cap_and_not_stored(faulty: Faulty) -> None:
    assert faulty.config.crawl.max_page_bytes == 5_000_000  # the default cap
    assert faulty.site.path(faulty.paths["oversize"]).stat().st_size >= HUGE_BYTES
    assert not faulty.stored("lecourrier", faulty.paths["oversize"])
    assert faulty.report.stat("lecourrier", "vnawatch/errors/article") == 1
    assert "article fetch failed source=lecourrier" in faulty.log
    assert "larger than download max size" in faulty.log  # Scrapy's own line says why


def test_a_503_without_retry_after_is_retried_after_a_backoff(faulty: Faulty) -> None:
    assert faulty.stored("vietnamplus", faulty.paths["backoff"])
    assert faulty.report.stat("vietnamplus", "vnawatch/retry_backoff") == 1
    assert "backing off before retry status=503" in faulty.log
    assert "attempt=1 seconds=0.5" in faulty.log


def test_a_windows_1252_page_declared_utf8_is_stored_right_and_reported(faulty: Faulty) -> None:
    article = faulty.store.article_by_identity("lecourrier", "1350300")
    assert article is not None
    assert article.title == "To Lam appelle à moderniser la diplomatie économique"
    assert "\ufffd" not in article.body and "Ã" not in article.body
    assert faulty.report.stat("lecourrier", "vnawatch/encoding_mismatch") == 1
    assert "wrong charset source=lecourrier" in faulty.log
    assert "declared=utf-8 decoded_as=cp1252" in faulty.log


def test_a_correctly_declared_latin1_page_is_stored_without_a_warning(faulty: Faulty) -> None:
    article = faulty.store.article_by_identity("vietnamillustre", "430199")
    assert article is not None and article.title == LATIN1_TITLE
    assert "pêches côtières" in article.body
    assert faulty.report.stat("vietnamillustre", "vnawatch/encoding_mismatch") == 0


def test_a_page_without_a_date_is_stored_dated_when_found_with_a_stat(faulty: Faulty) -> None:
    pattern = faulty.config.sources["lecourrier"].article_url_pattern
    article_id = str(article_id_from_url(NO_DATE_PATH, pattern))
    article = faulty.store.article_by_identity("lecourrier", article_id)
    assert article is not None, "an undated page is an article all the same: never lost"
    assert article.extraction == "partial"
    assert "no publication date: dated when found" in article.extraction_note
    assert article.published_at is not None
    assert abs(article.published_at - article.first_seen_at) < timedelta(minutes=5)
    assert faulty.report.stat("lecourrier", "vnawatch/extraction/undated") == 1
    assert faulty.report.run("lecourrier").dropped == 0


def test_robots_txt_is_obeyed(faulty: Faulty) -> None:
    assert not faulty.stored("lecourrier", faulty.paths["robots"])
    assert faulty.report.stat("lecourrier", "robotstxt/forbidden") == 1
    assert faulty.paths["robots"] not in faulty.site.requests()
    assert "article ignored source=lecourrier" in faulty.log
    assert "Forbidden by robots.txt" in faulty.log


def test_a_redirect_to_another_domain_is_not_followed(faulty: Faulty) -> None:
    assert not faulty.stored("vietnamillustre", faulty.paths["redirect"])
    assert faulty.report.stat("vietnamillustre", "vnawatch/offsite_redirect") == 1
    assert "redirect to another domain not followed" in faulty.log
    assert "other.example" not in " ".join(faulty.report.run("vietnamillustre").errors)


def test_a_hung_crawl_is_killed_at_the_timeout_and_recorded(
    tmp_path: Path, sqlite_store: Store
) -> None:
    # the timeout's SIGTERM lands while the child imports, before the engine runs,
    # or mid-crawl: each run is a failure, never a success that resets the count
    with FixtureSite(tmp_path / "site") as site:
        slow = _sitemap_paths(site, "vietnamillustre/french/sitemaps/news-11-2026.xml")[0]
        site.set_faults({slow: {"delay": 60}})
        cfg = site_config(site.url, sqlite_store.url, crawl={"timeout_seconds": 120})
        for failures, limit in enumerate((0.2, 0.7, 1.5, 3.0), 1):
            started = datetime.now(UTC)
            report = crawl(cfg, "vietnamillustre", timeout_seconds=limit)
            assert report.timed_out and not report.ok
            assert datetime.now(UTC) - started < timedelta(seconds=30)
            assert "timed_out=true" in report.summary()
            state = sqlite_store.source_state("vietnamillustre")
            assert state.consecutive_failures == failures, (limit, state)
            assert state.last_error is not None and "timed out" in state.last_error
