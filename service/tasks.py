"""The scheduler's tasks: what each job does, returned as one key=value summary.

Each method is the body of one scheduled job (``scheduler.py`` only decides
when). They call the stage entry points (``crawler.run.crawl``,
``alerts.jobs.*``) and nothing deeper. Everything that sends mail or changes
matches runs under one lock, so two jobs of this process never send the same
outbox row at once (the instance lock keeps other processes out).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from service import alarms, health

if TYPE_CHECKING:
    from config import Config
    from store import Store

logger = logging.getLogger(__name__)

SENDERS_KEPT = timedelta(days=7)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """A job's one-line result; ``ok=False`` means degraded (logged as a WARNING)."""

    summary: str
    ok: bool = True


class Report(Protocol):
    """A stage's report: crawl, match, queue or send."""

    def summary(self) -> str: ...


class LeftToWorkers:
    """The send step when ``scheduler.send: workers``: `vnawatch worker` sends."""

    def summary(self) -> str:
        return "send=workers"


def _line(*reports: Report) -> str:
    """Stage reports joined into one key=value job line (their keys never collide)."""
    return " ".join(report.summary() for report in reports)


class Tasks:
    """The job bodies, sharing the store and the current (last good) config.

    ``config`` is a config, or a function returning the one in force: the
    scheduler passes its own, so a reload applied there is what every job reads.
    """

    def __init__(
        self,
        store: Store,
        config: Config | Callable[[], Config],
        *,
        clock: Callable[[], datetime] = utc_now,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        from alerts.jobs import sender_name

        self.store = store
        self._config = config if callable(config) else (lambda: config)
        self.clock = clock
        self.delivery_lock = threading.Lock()
        # the owner of the outbox rows this process claims; ``stop`` (the
        # scheduler stopping) ends a send early and releases what it holds
        self.sender = sender_name("scheduler")
        self.stop = stop
        self.sent = 0  # by this process, for its row in the senders list
        self._sends = False  # has sent (or tried) since it started: a sender to show

    def send_pending(self) -> Report:
        """Send the outbox here, unless config.yaml leaves sending to `vnawatch worker`."""
        from alerts.jobs import send_pending

        if self.config.scheduler.send == "workers":
            return LeftToWorkers()
        self._sends = True
        report = send_pending(
            self.store, self.config, now=self.clock(), owner=self.sender, stop=self.stop
        )
        self.sent += report.sent
        return report

    def record_sender(self, now: datetime, *, stopped: bool = False) -> None:
        """The scheduler's heartbeat in the senders list, while it sends the outbox."""
        if self._sends and (stopped or self.config.scheduler.send == "scheduler"):
            self.store.record_sender(self.sender, "scheduler", now, sent=self.sent, stopped=stopped)

    def queue_and_send(
        self, queue: Callable[[Callable[[], None]], Report]
    ) -> tuple[Report, Report]:
        """Queue with ``queue`` and send each page as soon as it is committed (with
        ``scheduler.send: workers`` the workers take the pages as they come)."""
        from alerts.jobs import send_while_queueing

        if self.config.scheduler.send == "workers":
            return queue(lambda: None), LeftToWorkers()
        return send_while_queueing(
            self.store, self.config, queue, now=self.clock(), owner=self.sender, stop=self.stop
        )

    @property
    def config(self) -> Config:
        return self._config()

    def crawl(self, source: str) -> Outcome:
        """Crawl one source in a child process, then match, alert and send."""
        from crawler.run import crawl

        report = crawl(self.config, source)
        ok = report.ok
        if report.timed_out:  # crawler.run killed the hung crawl
            logger.error(
                "crawl killed after crawl_timeout_minutes=%d source=%s",
                self.config.crawl.crawl_timeout_minutes,
                source,
            )
            ok = False
        return Outcome(f"{report.summary()} {self.deliver_new()}", ok)

    def deliver_new(self) -> str:
        """Match new articles, queue immediate alerts, send what is pending."""
        from alerts.jobs import match_new_articles, queue_immediate_alerts

        with self.delivery_lock:
            now = self.clock()
            matched = match_new_articles(self.store, self.config, now=now)
            alerts = queue_immediate_alerts(self.store, self.config, now=now)
            sent = self.send_pending()
        return _line(matched, alerts, sent)

    def catch_up(self) -> Outcome:
        """At start: whatever a stop or crash left owed (idempotent per digest window)."""
        from alerts.jobs import match_new_articles, queue_due_digests, queue_immediate_alerts

        with self.delivery_lock:
            now = self.clock()
            matched = match_new_articles(self.store, self.config, now=now)
            alerts = queue_immediate_alerts(self.store, self.config, now=now)
            digests, sent = self.queue_and_send(
                lambda committed: queue_due_digests(
                    self.store, self.config, now=now, committed=committed
                )
            )
        return Outcome(_line(matched, alerts, digests, sent))

    def digest(self, email: str) -> Outcome:
        """A subscriber's digest time: queue every due digest, then send."""
        from alerts.jobs import queue_due_digests

        with self.delivery_lock:
            now = self.clock()
            queued, sent = self.queue_and_send(
                lambda committed: queue_due_digests(
                    self.store, self.config, now=now, committed=committed
                )
            )
        return Outcome(f"subscriber={email} {_line(queued, sent)}")

    def send(self) -> Outcome:
        """Retry what is pending (SMTP outages, rows due for another attempt)."""
        with self.delivery_lock:
            sent = self.send_pending()
        return Outcome(sent.summary())

    def spikes(self) -> Outcome:
        """Queue spike alerts (a rule far above its usual level), then send."""
        from alerts.jobs import queue_spike_alerts

        with self.delivery_lock:
            queued = queue_spike_alerts(self.store, self.config, now=self.clock())
            sent = self.send_pending()
        return Outcome(_line(queued, sent), ok=not queued.errors)

    def sync_subscribers(self) -> None:
        from alerts.jobs import sync_subscribers

        sync_subscribers(self.store, self.config, self.clock())

    def rematch(self, rule_ids: Iterable[str]) -> str:
        """Re-match recent articles for new or edited rules, then alert immediate
        subscribers at once (matches are replaced, not added; delivered articles
        are remembered, so nothing is mailed twice)."""
        from alerts.jobs import queue_immediate_alerts, rematch_since

        ids = sorted(rule_ids)
        if not ids:
            return "rematch skipped"
        now = self.clock()
        since = now - timedelta(days=self.config.scheduler.rematch_days)
        with self.delivery_lock:
            report = rematch_since(self.store, self.config, since, rule_ids=ids, now=now)
            alerts = queue_immediate_alerts(self.store, self.config, now=self.clock())
            sent = self.send_pending()
        return (
            f"rematch rules={','.join(ids)} since={since:%Y-%m-%dT%H:%MZ} "
            f"{_line(report, alerts, sent)}"
        )

    def check_health(self) -> Outcome:
        """Source, outbox and config health; operators mailed on start and clear."""
        now = self.clock()
        report = health.collect_status(self.store, self.config, now=now)
        notices = alarms.review_health(self.store, self.config, report, now)
        unhealthy = [s.source for s in report.sources if s.unhealthy]
        summary = (
            f"sources={len(report.sources)} unhealthy={len(unhealthy)}"
            f"{' (' + ','.join(unhealthy) + ')' if unhealthy else ''} "
            f"pending={report.outbox.pending} failed_24h={report.outbox.failed_24h} "
            f"config_valid={str(report.config.valid).lower()} notices={notices}"
        )
        return Outcome(summary, not report.needs_attention)

    def housekeeping(self) -> Outcome:
        """Drop articles past retention_days; let the database tidy up."""
        cutoff = self.clock() - timedelta(days=self.config.retention_days)
        deleted = self.store.delete_articles_before(cutoff)
        # a worker's heartbeat row outlives it; a week is plenty for `vnawatch status`
        forgotten = self.store.forget_senders(self.clock() - SENDERS_KEPT)
        optimized = self.store.optimize()
        return Outcome(
            f"deleted_articles={deleted} cutoff={cutoff:%Y-%m-%d} "
            f"forgotten_senders={forgotten} db={optimized!r}"
        )
