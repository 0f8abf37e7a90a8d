"""Crawl entry point: ``crawl(config, source=None) -> CrawlReport``.

Scrapy runs on Twisted's reactor, which cannot be restarted in a process, so
every crawl runs in a child process (``python -m crawler.run REQUEST.json``)
with one Scrapy crawler per source. The child records each source's
:class:`~store.records.CrawlRun` into the store and writes the runs and the
Scrapy stats to a result file; the parent waits at most
``crawl.crawl_timeout_minutes``, kills a hung crawl, records the sources the
child did not finish as failed, and returns a :class:`CrawlReport`.

The child logs at WARNING unless asked otherwise (``log_level``): Scrapy's
start-up listing, engine lines and stats dump are for debugging a crawl
(``vnawatch crawl --verbose``), while the caller shows the one-line-per-source
summary (:meth:`CrawlReport.lines`).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import config as config_module
from crawler import logsetup
from store import open_store
from store.records import CrawlRun

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
KILL_GRACE_SECONDS = 5
CHILD_LOG_LEVEL = "WARNING"


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl did: a CrawlRun per source, the Scrapy stats, and problems."""

    runs: list[CrawlRun]
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    timed_out: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.timed_out and not self.problems and all(r.succeeded for r in self.runs)

    def run(self, source: str) -> CrawlRun:
        return next(run for run in self.runs if run.source == source)

    def stat(self, source: str, key: str) -> Any:
        """A Scrapy stat of one source's crawl (0 when absent)."""
        return self.stats.get(source, {}).get(key, 0)

    def summary(self) -> str:
        """One line: ``crawl finished source=lecourrier new=12 skipped=240 dropped=1``."""
        parts = [_run_summary(run) for run in self.runs] or ["no source crawled"]
        line = "crawl finished " + "; ".join(parts)
        if self.timed_out:
            line += " timed_out=true"
        return line

    def lines(self) -> list[str]:
        """One ``crawl finished source=...`` line per source, then any problem."""
        lines = [f"crawl finished {_run_summary(run)}" for run in self.runs]
        lines = lines or ["crawl finished: no source crawled"]
        return lines + [f"crawl problem: {problem}" for problem in self.problems]


def _run_summary(run: CrawlRun) -> str:
    text = (
        f"source={run.source} new={run.new_articles} updated={run.updated_articles} "
        f"skipped={run.skipped} not_modified={run.not_modified} dropped={run.dropped} "
        f"extraction_failures={run.extraction_failures} errors={len(run.errors)}"
    )
    text += " first_crawl=true" if run.backfill else ""
    if run.bodiless_pages:
        text += (
            f" bodiless={run.bodiless_pages}/{run.extracted_pages}"
            f" bodiless_example={run.bodiless_example_url}"
        )
    return text + selector_summary(run)


def selector_summary(run: CrawlRun) -> str:
    """`` selectors_rejected=3/10 example=URL`` when some pages' body selectors did not hold."""
    pages = run.selectors_held + run.selectors_rejected + run.selectors_missing
    failing = run.selectors_rejected + run.selectors_missing
    if not failing:
        return ""
    return (
        f" selectors_rejected={run.selectors_rejected}/{pages}"
        f" selectors_missing={run.selectors_missing}/{pages} example={run.selector_example_url}"
    )


def crawl(
    config: config_module.Config,
    source: str | None = None,
    *,
    database_url: str | None = None,
    timeout_seconds: float | None = None,
    log_level: str | None = None,
) -> CrawlReport:
    """Crawl ``source`` (or every enabled source) in a child process and report.

    The child's log goes to this process's stderr at ``log_level`` (WARNING by default).
    """
    sources = [source] if source else list(config.enabled_sources())
    unknown = [s for s in sources if s not in config.sources]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; configured: {', '.join(config.sources)}")
    if not sources:
        logger.warning("crawl: no enabled source in the config; nothing to do")
        return CrawlReport(runs=[])
    url = database_url or config.database_url
    limit = timeout_seconds or config.crawl.crawl_timeout_minutes * 60
    started = datetime.now(UTC)
    logger.debug("crawl starting sources=%s timeout_seconds=%.0f", ",".join(sources), limit)
    with tempfile.TemporaryDirectory(prefix="vnawatch-crawl-") as workdir:
        request = Path(workdir) / "request.json"
        result = Path(workdir) / "result.json"
        payload = {
            "config": config.model_dump(mode="json"),
            "sources": sources,
            "database_url": url,
            "result": str(result),
            "log_level": (log_level or CHILD_LOG_LEVEL).upper(),
            "log_format": "json" if logsetup.is_json() else "text",
        }
        request.write_text(json.dumps(payload), encoding="utf-8")
        code, timed_out = _run_child(request, limit)
        done = json.loads(result.read_text("utf-8")) if result.is_file() else {}
    report = _report(done, sources, code, timed_out, limit, started, url)
    # callers show or log the summary themselves (CLI, demo, scheduler job outcome)
    logger.debug("%s", report.summary())
    return report


def _run_child(request: Path, limit: float) -> tuple[int | None, bool]:
    """Run the child to completion or until ``limit``; (exit code, timed out)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "crawler.process", str(request)]
    child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        return child.wait(timeout=limit), False
    except subprocess.TimeoutExpired:
        logger.error("crawl timed out after %.0fs; stopping the crawl process", limit)
        _stop(child)
        return child.returncode, True
    except BaseException:
        _stop(child)
        raise


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group (Scrapy shuts down cleanly), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=KILL_GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


def _report(
    done: dict[str, Any],
    sources: list[str],
    code: int | None,
    timed_out: bool,
    limit: float,
    started: datetime,
    database_url: str,
) -> CrawlReport:
    reported = [_run_from_json(item) for item in done.get("runs", [])]
    finished = [run for run in reported if not run.interrupted]
    seen = {run.source for run in reported}
    reason = (
        f"crawl timed out after {limit:.0f}s"
        if timed_out
        else f"crawl process exited with code {code}"
    )
    now = datetime.now(UTC)
    # what the child did not record itself: runs it never reported, or cut short
    failed = [replace(run, errors=(reason, *run.errors)) for run in reported if run.interrupted] + [
        CrawlRun(s, started_at=started, finished_at=now, errors=(reason,), interrupted=True)
        for s in sources
        if s not in seen
    ]
    problems = []
    if failed:
        problems.append(reason)
        _record_failures(database_url, failed)
    return CrawlReport(
        runs=finished + failed, stats=done.get("stats", {}), timed_out=timed_out, problems=problems
    )


def _record_failures(database_url: str, runs: list[CrawlRun]) -> None:
    """Record the runs the child did not finish, each as a failure with its reason."""
    store = open_store(database_url)
    try:
        for run in runs:
            # recorded first: when the database is what failed, the scheduler says so once
            store.record_crawl(run)
            logger.error("crawl failed source=%s error=%r", run.source, run.errors[0])
    finally:
        store.close()


def _run_from_json(item: dict[str, Any]) -> CrawlRun:
    values = dict(item)
    values["started_at"] = datetime.fromisoformat(values["started_at"])
    values["finished_at"] = datetime.fromisoformat(values["finished_at"])
    values["errors"] = tuple(values.get("errors", ()))
    return CrawlRun(**values)


def run_to_json(run: CrawlRun) -> dict[str, Any]:
    values = asdict(run)
    values["started_at"] = run.started_at.isoformat()
    values["finished_at"] = run.finished_at.isoformat()
    values["errors"] = list(run.errors)
    return values
