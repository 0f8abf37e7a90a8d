"""The crawl child process: one Scrapy ``CrawlerProcess``, one crawler per source.

``crawler.run`` starts ``python -m crawler.process REQUEST.json``; this module
reads the request (config, sources, database URL), runs the spiders, turns
each crawler's stats into a :class:`~store.records.CrawlRun`, records it with
``Store.record_crawl`` and writes the runs and stats to the result file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from twisted.internet.task import LoopingCall

import config as config_module
from crawler import logsetup
from crawler.crosscheck import OUTCOMES
from crawler.pipelines import BODILESS_EXAMPLE, SELECTOR_EXAMPLE
from crawler.run import run_to_json
from crawler.settings import settings_for
from crawler.spiders.base import SourceSpider
from crawler.spiders.lecourrier import LeCourrierSpider
from crawler.spiders.vietnamillustre import VietnamIllustreSpider
from crawler.spiders.vietnamplus import VietnamPlusSpider
from store import describe_unreachable, is_unreachable, open_store
from store.records import CrawlRun

logger = logging.getLogger(__name__)

# the parent's line format (logsetup), so the child's lines read like the rest
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_DATEFORMAT = "%H:%M:%S"
ORPHAN_CHECK_SECONDS = 1.0

SPIDERS: dict[str, type[SourceSpider]] = {
    spider.name: spider for spider in (VietnamPlusSpider, LeCourrierSpider, VietnamIllustreSpider)
}


def spider_class(source_id: str) -> type[SourceSpider]:
    """The source's own spider (quirks), else the generic one."""
    return SPIDERS.get(source_id, SourceSpider)


def run_request(request_path: Path) -> int:
    """Crawl the request's sources; 0 when the result file was written."""
    request = json.loads(request_path.read_text("utf-8"))
    config = config_module.Config.model_validate(request["config"])
    database_url = request["database_url"]
    settings = settings_for(config.model_copy(update={"database_url": database_url}))
    # WARNING by default: Scrapy's start-up listing, engine lines and stats dump
    # only when the caller asks for them (``vnawatch crawl --verbose``)
    settings.update(
        LOG_LEVEL=request.get("log_level", "WARNING"),
        LOG_FORMAT=LOG_FORMAT,
        LOG_DATEFORMAT=LOG_DATEFORMAT,
    )
    process = _crawler_process(settings, request)
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_robots_failure_warning)
    started = datetime.now(UTC)
    crawlers: dict[str, Crawler] = {}
    for source_id in request["sources"]:
        crawler = process.create_crawler(spider_class(source_id))
        crawlers[source_id] = crawler
        process.crawl(crawler, source_id=source_id, config=config)
    watch = _watch_parent(process)
    process.start()
    if watch.running:
        watch.stop()
    runs = [crawl_run(sid, c, started) for sid, c in crawlers.items()]
    # an interrupted run is recorded by the parent, which knows why it stopped us
    _record(database_url, [run for run in runs if not run.interrupted])
    result = {
        "runs": [run_to_json(run) for run in runs],
        "stats": {
            sid: _plain(c.stats.get_stats() if c.stats else {}) for sid, c in crawlers.items()
        },
    }
    Path(request["result"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


def _crawler_process(settings: dict[str, Any], request: dict[str, Any]) -> CrawlerProcess:
    """Scrapy's own log handler, or ours when the parent logs JSON lines."""
    if request.get("log_format") != "json":
        return CrawlerProcess(settings)
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    level = str(request.get("log_level", "WARNING"))
    logsetup.configure_logging(level, json_lines=True)
    for name in ("scrapy", "twisted"):  # as verbose as asked, like Scrapy's handler
        logging.getLogger(name).setLevel(level)
    return process


def _robots_failure_warning(record: logging.LogRecord) -> bool:
    """A robots.txt that cannot be fetched: one WARNING line, not an ERROR with a
    traceback (Scrapy then crawls as if allowed; the channels' own failures, if
    the site is down, are reported by the spider)."""
    if record.levelno >= logging.ERROR:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        record.msg = f"robots.txt unavailable, crawling as allowed: {record.msg}"
    return True


def _watch_parent(process: CrawlerProcess) -> LoopingCall:
    """Stop crawling once the parent is gone (a SIGKILLed scheduler): its restart
    crawls again, and two crawls of one source must not overlap."""
    parent = os.getppid()

    def check() -> None:
        if os.getppid() == parent:
            return
        watch.stop()
        logger.warning(
            "crawl stopping: parent process %d is gone; the articles stored so far stay", parent
        )
        process.stop()

    watch = LoopingCall(check)
    watch.start(ORPHAN_CHECK_SECONDS, now=False)
    return watch


def crawl_run(source_id: str, crawler: Crawler, started: datetime) -> CrawlRun:
    """A source's CrawlRun from its crawler's stats and the spider's error list."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    errors = list(getattr(spider, "errors", [])) if spider else ["the spider did not start"]
    reason = stats.get("finish_reason")
    # no reason at all: stopped (a timeout's SIGTERM) before the engine even ran
    interrupted = reason != "finished"
    if interrupted:
        errors.append(f"crawl ended early: {reason}" if reason else "crawl stopped before it ran")
    exceptions = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    if exceptions:
        errors.append(f"{exceptions} spider exceptions (see the log)")
    new = int(stats.get("vnawatch/articles/new", 0))
    run = CrawlRun(
        source=source_id,
        started_at=stats.get("start_time", started),
        finished_at=stats.get("finish_time", datetime.now(UTC)),
        new_articles=new,
        updated_articles=int(stats.get("vnawatch/articles/updated", 0)),
        skipped=int(stats.get("vnawatch/skipped_known", 0)),
        not_modified=int(stats.get("vnawatch/not_modified", 0)),
        dropped=int(stats.get("vnawatch/dropped", 0)),
        extraction_failures=int(stats.get("vnawatch/extraction_failed", 0)),
        errors=tuple(errors),
        # the first crawl is done once a finished crawl leaves articles stored
        backfill=bool(stats.get("vnawatch/first_crawl"))
        and (new > 0 or int(stats.get("vnawatch/first_crawl_resumed", 0)) > 0),
        interrupted=interrupted,
        selectors_held=int(stats.get("vnawatch/selectors/held", 0)),
        selectors_rejected=int(stats.get("vnawatch/selectors/rejected", 0)),
        selectors_missing=int(stats.get("vnawatch/selectors/missing", 0)),
        selector_example_url=stats.get(SELECTOR_EXAMPLE),
        extracted_pages=sum(int(stats.get(f"vnawatch/selectors/{o}", 0)) for o in OUTCOMES),
        bodiless_pages=int(stats.get("vnawatch/extraction/bodiless", 0)),
        bodiless_example_url=stats.get(BODILESS_EXAMPLE),
    )
    logger.info(
        "crawl finished source=%s new=%d updated=%d skipped=%d not_modified=%d dropped=%d "
        "extraction_failures=%d errors=%d selectors_held=%d selectors_rejected=%d "
        "selectors_missing=%d bodiless=%d",
        run.source,
        run.new_articles,
        run.updated_articles,
        run.skipped,
        run.not_modified,
        run.dropped,
        run.extraction_failures,
        len(run.errors),
        run.selectors_held,
        run.selectors_rejected,
        run.selectors_missing,
        run.bodiless_pages,
    )
    return run


def _record(database_url: str, runs: list[CrawlRun]) -> None:
    store = open_store(database_url)
    try:
        for run in runs:
            store.record_crawl(run)
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        # the articles are stored; the scheduler tells the outage once
        logger.warning(
            "crawl result not recorded: database unreachable (%s)", describe_unreachable(exc)
        )
    finally:
        store.close()


def _plain(stats: dict[str, Any]) -> dict[str, Any]:
    """Stats as JSON values (datetimes as ISO text)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in stats.items()
        if isinstance(value, int | float | str | datetime)
    }


def main(argv: list[str] | None = None) -> int:
    """Child entry point: crawl what REQUEST.json asks, write the result file."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m crawler.process REQUEST.json\n")
        return 2
    return run_request(Path(args[0]))


if __name__ == "__main__":
    sys.exit(main())
