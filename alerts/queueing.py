"""Queueing jobs (re-exported by :mod:`alerts.jobs`): due digests and alerts into the outbox.

Subscribers are taken a page at a time (``PAGE_SIZE``, in email order). For a
page the store answers in a few set-based queries which matches each due
subscriber is owed and which dispatches it was recently sent; each digest is
then built and rendered (pure code, :mod:`alerts.rendering`: each distinct
digest of the run rendered once, each subscriber's email personalised from
it), and the page's
emails, the articles each carries and the subscribers' new ``covered_until``
are written in one transaction (``Store.queue_deliveries``). Memory follows
the page, not the number of subscribers.

Rendering is most of the cost left. When a run spans several full pages and the
machine has more than one core, pages are rendered in a process pool while the
next page is read (``processes``: None picks this by itself, 1 never uses a
pool, 2 or more always does).

What is queued is what the per-subscriber path queued: the same windows,
articles, keys and counts; an empty daily or weekly digest only advances the
subscriber's window unless ``send_empty``; an immediate subscriber gets at most
one alert per ``mail.immediate_min_interval_minutes``. One subscriber's
failure is logged and counted, never fatal to the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from alerts.digest import digest_window
from alerts.drafts import delivery_key, draft, render_message
from alerts.labels import Window
from alerts.rendering import Context, Failure, Job, Outcome, Renderer
from alerts.subscriptions import with_stored_rules
from alerts.volume import VolumeCache
from config import Config
from store import Store
from store.records import DeliveryDraft, Owed, Subscriber

__all__ = [
    "ALERT_LOOKBACK",
    "SENT_LOOKBACK",
    "QueueReport",
    "delivery_key",
    "draft",
    "queue_due_digests",
    "queue_immediate_alerts",
    "render_message",
]

logger = logging.getLogger(__name__)

ALERT_LOOKBACK = timedelta(days=2)
# another outlet's copy of a dispatch sent this recently is not shown again
SENT_LOOKBACK = timedelta(days=3)
PAGE_SIZE = 500


@dataclass
class QueueReport:
    """What one queueing run did."""

    kind: str
    queued: int = 0
    empty: int = 0
    not_due: int = 0
    throttled: int = 0
    already_queued: int = 0
    errors: int = 0
    bodies: int = 0  # distinct digests rendered (the others were personalised copies)

    def __str__(self) -> str:
        return (
            f"{self.kind} queued={self.queued} empty={self.empty} not_due={self.not_due} "
            f"throttled={self.throttled} already_queued={self.already_queued} "
            f"errors={self.errors} bodies={self.bodies}"
        )

    def summary(self) -> str:
        """The counts a scheduler job line carries, keyed by kind (``digests_queued``)."""
        return f"{self.kind}_queued={self.queued} {self.kind}_errors={self.errors}"


@dataclass(frozen=True)
class Run:
    """How a queueing run goes: page size, pool processes, whether each distinct digest is
    rendered once (False: every email in full), and who to tell when a page is committed
    (a sender waiting to send it)."""

    page_size: int = PAGE_SIZE
    processes: int | None = None
    render_once: bool = True
    committed: Callable[[], None] | None = None

    def tell(self) -> None:
        if self.committed is not None:
            self.committed()


# --- the jobs ---------------------------------------------------------------


def queue_due_digests(
    store: Store,
    config: Config,
    *,
    now: datetime,
    page_size: int = PAGE_SIZE,
    processes: int | None = None,
    render_once: bool = True,
    committed: Callable[[], None] | None = None,
) -> QueueReport:
    """Queue every due daily and weekly digest; empty ones only with ``send_empty``."""
    config = with_stored_rules(store, config)
    report = QueueReport(kind="digests")
    volumes = VolumeCache(store, config, now)

    def prepare(page: list[Subscriber]) -> list[Job]:
        jobs = []
        for subscriber in page:
            window = digest_window(subscriber, now)
            if window is None or subscriber.id is None:
                report.not_due += 1
            else:
                jobs.append(Job(subscriber, subscriber.frequency, window))
        # only a digest with something to show has rule sections to carry a volume
        return [
            replace(job, volumes=volumes.of(job.subscriber.rules, job.kind)) if job.pairs else job
            for job in _owed(store, config, jobs, now)
        ]

    context = Context(config, tuple(store.source_states()), now)
    run = Run(page_size, processes, render_once, committed)
    _run(store, ("daily", "weekly"), prepare, context, report, run)
    return report


def queue_immediate_alerts(
    store: Store,
    config: Config,
    *,
    now: datetime,
    page_size: int = PAGE_SIZE,
    processes: int | None = None,
    render_once: bool = True,
    committed: Callable[[], None] | None = None,
) -> QueueReport:
    """One short email per immediate subscriber with new matches, rate-limited."""
    config = with_stored_rules(store, config)
    report = QueueReport(kind="alerts")
    interval = timedelta(minutes=config.mail.immediate_min_interval_minutes)

    def prepare(page: list[Subscriber]) -> list[Job]:
        ids = [subscriber.id for subscriber in page if subscriber.id is not None]
        last = store.last_delivery_times(ids, "alert")
        jobs = []
        for subscriber in page:
            previous = last.get(subscriber.id or 0)
            if previous is not None and now - previous < interval:
                report.throttled += 1
                continue
            window = Window(now - ALERT_LOOKBACK, now + timedelta(days=1), subscriber.timezone)
            jobs.append(Job(subscriber, "alert", window))
        return _owed(store, config, jobs, now)

    context = Context(config, tuple(store.source_states()), now)
    run = Run(page_size, processes, render_once, committed)
    _run(store, ("immediate",), prepare, context, report, run)
    return report


def _owed(store: Store, config: Config, jobs: list[Job], now: datetime) -> list[Job]:
    """The jobs with their undelivered matches and recently sent articles (4 queries)."""
    if not jobs:
        return []
    known = {rule.id for rule in config.rules}
    channel = jobs[0].channel
    owed = [
        Owed(
            subscriber_id=job.subscriber.id or 0,
            rule_ids=tuple(rule for rule in job.subscriber.rules if rule in known),
            start=job.window.start,
            end=job.window.end,
        )
        for job in jobs
    ]
    pairs = store.undelivered_matches_for(owed, channel)
    with_pairs = [sid for sid, found in pairs.items() if found]
    sent = store.delivered_since_for(with_pairs, channel, now - SENT_LOOKBACK)
    return [
        replace(
            job,
            pairs=tuple(pairs[item.subscriber_id]),
            already_sent=tuple(sent.get(item.subscriber_id, ())),
        )
        for job, item in zip(jobs, owed, strict=True)
    ]


# --- one page after another -------------------------------------------------


def _run(
    store: Store,
    frequencies: tuple[str, ...],
    prepare: Callable[[list[Subscriber]], list[Job]],
    context: Context,
    report: QueueReport,
    run: Run,
) -> None:
    """Read, render and write page after page; a pool renders one page while the next is read."""
    with Renderer(context, run.processes, cache=run.render_once) as renderer:
        pending: tuple[list[Job], Callable[[], list[Outcome]]] | None = None
        for page in _pages(store, frequencies, run.page_size):
            try:
                jobs = prepare(page)
            except Exception:
                report.errors += len(page)
                logger.exception("page not queued first=%s count=%d", page[0].email, len(page))
                continue
            rendering = renderer.submit(jobs, more=len(page) == run.page_size)
            if pending is not None:
                _write(store, *pending, context.now, report)
                run.tell()
            pending = (jobs, rendering)
        if pending is not None:
            _write(store, *pending, context.now, report)
            run.tell()
        report.bodies = renderer.distinct
    logger.info("queue finished %s", report)


def _pages(
    store: Store, frequencies: tuple[str, ...], page_size: int
) -> Iterator[list[Subscriber]]:
    after: str | None = None
    while page := store.subscriber_page(frequencies, after=after, limit=page_size):
        yield page
        after = page[-1].email


def _write(
    store: Store,
    jobs: list[Job],
    rendering: Callable[[], list[Outcome]],
    now: datetime,
    report: QueueReport,
) -> None:
    """Record a page: its emails, their articles and the windows covered, one transaction."""
    drafts: list[DeliveryDraft] = []
    advance: list[tuple[int, datetime]] = []
    try:
        outcomes = rendering()
    except Exception:  # the pool itself broke: the page is counted, the run goes on
        report.errors += len(jobs)
        logger.exception("page not rendered count=%d", len(jobs))
        return
    for job, outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, Failure):
            report.errors += 1
            logger.error("%s not queued subscriber=%s\n%s", job.kind, job.subscriber.email, outcome)
        elif outcome is None:
            report.empty += 1
            if job.kind != "alert":
                advance.append((job.subscriber.id or 0, job.window.end))
        else:
            drafts.append(outcome)
    try:
        ids = store.queue_deliveries(drafts, now, advance=advance)
    except Exception:
        report.errors += len(drafts)
        logger.exception("page not queued count=%d", len(drafts))
        return
    for made, delivery_id in zip(drafts, ids, strict=True):
        if delivery_id is None:
            report.already_queued += 1
            logger.warning(
                "delivery not queued: already queued key=%s (or an article already sent)",
                made.key,
            )
        else:
            report.queued += 1
            logger.debug("delivery queued id=%s key=%s", delivery_id, made.key)
