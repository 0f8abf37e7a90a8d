"""Crash test: a crawl SIGKILLed at random points, restarted, while new articles appear.

The sample site is served by ``demo.localsite``; before each crawl a few new
article pages are written and the feed, sitemaps and listings rewritten
(``demo.sitegen``). Each crawl is ``crawler.run.crawl`` (a ``crawler.process``
child in its own process group); the test waits until the site has served a
random number of further requests, then SIGKILLs the child's group. After
``KILLS`` kills and one last uninterrupted crawl, every article of the site is
stored exactly once, whole, and as the fixture says; the first crawl's back
catalogue is stored as backfill even though the first crawl was cut short.

The kill points come from one seed, given in every failure message; set
``VNAWATCH_CRASH_SEED`` to replay a run.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

import config as config_module
from crawler.extract import article_id_from_url, extract_article
from crawler.run import CrawlReport, crawl
from demo.sitegen import article_page, build_sample_site
from store import Store
from store.records import Article
from tests.crawler.support import site_config
from tests.processes import wait_for
from tests.servers import FixtureSite

pytestmark = pytest.mark.slow
logger = logging.getLogger(__name__)

KILLS = 20
MAX_CRAWLS = 3 * KILLS  # a crawl may finish before its kill point: then it is not a kill
# robots.txt, 1 feed, 4 sitemaps, 6 listing pages: what one crawl fetches before articles
DISCOVERY_REQUESTS = 12
BACKFILL_DAYS = 1
OUTLET_DIRS = {
    "vietnamplus": "vietnamplus",
    "lecourrier": "lecourrier",
    "vietnamillustre": "vietnamillustre/french",
}


@dataclass(frozen=True)
class Written:
    """An article page the test wrote: what the store must hold for it."""

    source: str
    article_id: str
    title: str
    published: datetime
    last_paragraph: str


@dataclass
class Chaos:
    """The run's counts, for the failure message and the log."""

    seed: int
    kills: int = 0
    finished: int = 0
    written: list[Written] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"seed={self.seed} (replay: VNAWATCH_CRASH_SEED={self.seed}) kills={self.kills} "
            f"finished_crawls={self.finished} articles_written={len(self.written)}"
        )


@contextmanager
def seed_in_failures(chaos: Chaos) -> Iterator[None]:
    """Any failure names the seed, so the run can be replayed."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n[{chaos}]") from None


def _new_article(site: FixtureSite, rng: random.Random, number: int) -> Written:
    """Write one article page for a random outlet, published in the last hour."""
    source = rng.choice(sorted(OUTLET_DIRS))
    article_id = str(1_700_000 + number)
    slug = f"article-de-test-numero-{number}"
    path = {
        "vietnamplus": f"vietnamplus/{slug}-post{article_id}.vnp",
        "lecourrier": f"lecourrier/{slug}/{article_id}.html",
        "vietnamillustre": f"vietnamillustre/french/tin-van/{slug}-{article_id}.html",
    }[source]
    published = (datetime.now(UTC) - timedelta(minutes=rng.randint(1, 50))).replace(microsecond=0)
    title = f"Dépêche de test n° {number} sur la coopération frontalière"
    last = f"Fin de la dépêche n° {number}, rédigée pour l'essai de plantage."
    body = (
        f"Hanoï (VNA) – Le paragraphe d'ouverture de la dépêche n° {number} "
        "rappelle le contexte de la rencontre entre les deux délégations.\n\n"
        "Les deux parties ont salué les progrès de la coopération économique.\n\n" + last
    )
    page = site.path(path)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(article_page(title, published, body, f"Chapô de la dépêche {number}."), "utf-8")
    return Written(source, article_id, title, published, last)


def _crawl_child() -> psutil.Process | None:
    """This test's ``python -m crawler.process`` child, once started."""
    for child in psutil.Process().children(recursive=True):
        try:
            if "crawler.process" in child.cmdline():
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def _kill_group(child: psutil.Process) -> bool:
    """SIGKILL the crawl's process group; False when it had already exited."""
    try:
        group = os.getpgid(child.pid)
        assert group == child.pid, "the crawl child must lead its own process group"
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _crawl_and_kill(
    pool: ThreadPoolExecutor, cfg: config_module.Config, site: FixtureSite, after: int
) -> tuple[CrawlReport, bool]:
    """Start a crawl, SIGKILL it once the site served ``after`` more requests."""
    target = len(site.requests()) + after
    future: Future[CrawlReport] = pool.submit(crawl, cfg, timeout_seconds=90)
    child = wait_for(lambda: _crawl_child() or future.done(), 60, "the crawl child to start")
    wait_for(lambda: len(site.requests()) >= target or future.done(), 60, "the kill point")
    killed = isinstance(child, psutil.Process) and not future.done() and _kill_group(child)
    report = future.result(timeout=120)
    if killed:
        wait_for(lambda: _crawl_child() is None, 10, "the killed child to be reaped")
    return report, killed and not report.ok


def _site_files(site: FixtureSite, cfg: config_module.Config) -> dict[tuple[str, str], Path]:
    """(source, article id) -> the page file the site serves for it."""
    files: dict[tuple[str, str], Path] = {}
    for source, directory in OUTLET_DIRS.items():
        pattern = cfg.sources[source].article_url_pattern
        for path in sorted(site.path(directory).rglob("*")):
            relative = "/" + path.relative_to(site.root).as_posix()
            article_id = article_id_from_url(relative, pattern)
            if path.is_file() and article_id and (source, article_id) not in files:
                files[source, article_id] = path
    return files


def _check_whole(article: Article, page: Path, cfg: config_module.Config) -> None:
    """The stored article is the page's extraction, field for field."""
    expected = extract_article(
        page.read_bytes(), article.url, cfg.sources[article.source], timezone=cfg.timezone
    )
    where = f"{article.source}/{article.article_id}"
    assert article.title and article.body and article.published_at, f"half-written {where}"
    assert article.title == expected.title, where
    assert article.body == expected.body, where
    assert article.published_at == expected.published_at, where


def _check_store(store: Store, site: FixtureSite, cfg: config_module.Config, chaos: Chaos) -> None:
    stored = list(store.iter_articles())
    identities = Counter((a.source, a.article_id) for a in stored)
    urls = Counter(a.url for a in stored)
    assert not [i for i, n in identities.items() if n > 1], "an article stored twice"
    assert not [u for u, n in urls.items() if n > 1], "one URL stored twice"
    files = _site_files(site, cfg)
    assert set(identities) == set(files), "stored articles differ from the site's"
    written = {(w.source, w.article_id): w for w in chaos.written}
    for article in stored:
        _check_whole(article, files[article.source, article.article_id], cfg)
        new = written.get((article.source, article.article_id))
        if new is not None:
            assert article.title == new.title and article.published_at == new.published
            assert article.body.endswith(new.last_paragraph), article.body[-200:]
        # the back catalogue of the first crawl is backfill, even after that crawl was killed
        assert article.backfill == (new is None), f"backfill {article.source}/{article.article_id}"


def test_twenty_sigkills_leave_every_article_stored_once_and_whole(
    tmp_path: Path, store: Store
) -> None:
    seed = int(os.environ.get("VNAWATCH_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    chaos = Chaos(seed)
    rng = random.Random(seed)
    logger.warning("crash test seed=%d", seed)
    started = time.monotonic()
    with FixtureSite(tmp_path / "site") as site, seed_in_failures(chaos):
        cfg = site_config(site.url, store.url, backfill_days=BACKFILL_DAYS)
        pending = len(_site_files(site, cfg))
        with ThreadPoolExecutor(max_workers=1) as pool:
            for crawls in range(MAX_CRAWLS):
                if chaos.kills == KILLS:
                    break
                if crawls:  # new articles appear between crawls
                    for _ in range(rng.randint(0, 2)):
                        chaos.written.append(_new_article(site, rng, len(chaos.written)))
                        pending += 1
                    build_sample_site(site.root)
                # the first kill always lands among the first crawl's articles
                if crawls == 0:
                    after = rng.randint(DISCOVERY_REQUESTS + 3, DISCOVERY_REQUESTS + pending - 3)
                else:
                    after = rng.randint(0, DISCOVERY_REQUESTS + pending)
                report, killed = _crawl_and_kill(pool, cfg, site, after)
                chaos.kills += killed
                chaos.finished += not killed
                assert killed or report.ok, report.lines()
                pending = len(_site_files(site, cfg)) - store.count_articles()
                logger.info(
                    "crawl=%d after=%d killed=%s pending=%d", crawls, after, killed, pending
                )
            assert chaos.kills == KILLS, f"only {chaos.kills} crawls were cut short"
            final, _ = _crawl_and_kill(pool, cfg, site, after=10**6)  # never reached
        assert final.ok, final.lines()
        _check_store(store, site, cfg, chaos)
    logger.warning("crash test done %s seconds=%.0f", chaos, time.monotonic() - started)
