"""Queueing jobs (re-exported by :mod:`alerts.jobs`): due digests and alerts into the outbox.

Subscribers are taken a page at a time (``PAGE_SIZE``, in email order). For a
page the store answers in a few set-based queries which matches each due
subscriber is owed and which dispatches it was recently sent; each digest is
then built and rendered (pure code, :func:`render_job`), and the page's
emails, the articles each carries and the subscribers' new ``covered_until``
are written in one transaction (``Store.queue_deliveries``). Memory follows
the page, not the number of subscribers.

Rendering is most of the cost. When a run spans several full pages and the
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
import os
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from multiprocessing import get_context

from alerts.channels import with_channels
from alerts.digest import Digest, build_digest, digest_window, render_digest
from alerts.labels import Window
from alerts.mailer import (
    build_message,
    digest_url,
    feed_url,
    manage_url,
    message_bytes,
    safe_key,
    unsubscribe_url,
)
from alerts.subscriptions import with_stored_rules
from alerts.tokens import secret_key
from alerts.volume import Volume, VolumeCache
from config import Config
from store import Store
from store.records import Article, DeliveryDraft, Match, Owed, SourceState, Subscriber

logger = logging.getLogger(__name__)

ALERT_LOOKBACK = timedelta(days=2)
# another outlet's copy of a dispatch sent this recently is not shown again
SENT_LOOKBACK = timedelta(days=3)
PAGE_SIZE = 500
# a pool costs ~1 s of process start-up: worth it from a few hundred digests on
POOL_MIN_JOBS = 200


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

    def __str__(self) -> str:
        return (
            f"{self.kind} queued={self.queued} empty={self.empty} not_due={self.not_due} "
            f"throttled={self.throttled} already_queued={self.already_queued} "
            f"errors={self.errors}"
        )

    def summary(self) -> str:
        """The counts a scheduler job line carries, keyed by kind (``digests_queued``)."""
        return f"{self.kind}_queued={self.queued} {self.kind}_errors={self.errors}"


@dataclass(frozen=True)
class Job:
    """One email to build: a subscriber, its window and what the store says it is owed."""

    subscriber: Subscriber
    kind: str  # daily, weekly or alert
    window: Window
    pairs: tuple[tuple[Match, Article], ...] = ()
    already_sent: tuple[Article, ...] = ()
    volumes: tuple[Volume, ...] = ()  # its rules' volumes (digests), read once per run

    @property
    def channel(self) -> str:
        return "alert" if self.kind == "alert" else "digest"


@dataclass(frozen=True)
class Failure:
    """A job that raised: the traceback, logged by the parent process."""

    error: str


# None: nothing to send (an empty digest without send_empty, or no new alert)
Outcome = DeliveryDraft | Failure | None


@dataclass(frozen=True)
class Context:
    """What every job of a run shares (sent once to each pool process)."""

    config: Config
    states: tuple[SourceState, ...]
    now: datetime


# --- the jobs ---------------------------------------------------------------


def queue_due_digests(
    store: Store,
    config: Config,
    *,
    now: datetime,
    page_size: int = PAGE_SIZE,
    processes: int | None = None,
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
    _run(store, ("daily", "weekly"), prepare, context, report, page_size, processes)
    return report


def queue_immediate_alerts(
    store: Store,
    config: Config,
    *,
    now: datetime,
    page_size: int = PAGE_SIZE,
    processes: int | None = None,
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
    _run(store, ("immediate",), prepare, context, report, page_size, processes)
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
    page_size: int,
    processes: int | None,
) -> None:
    """Read, render and write page after page; a pool renders one page while the next is read."""
    with Renderer(context, processes) as renderer:
        pending: tuple[list[Job], Callable[[], list[Outcome]]] | None = None
        for page in _pages(store, frequencies, page_size):
            try:
                jobs = prepare(page)
            except Exception:
                report.errors += len(page)
                logger.exception("page not queued first=%s count=%d", page[0].email, len(page))
                continue
            rendering = renderer.submit(jobs, more=len(page) == page_size)
            if pending is not None:
                _write(store, *pending, context.now, report)
            pending = (jobs, rendering)
        if pending is not None:
            _write(store, *pending, context.now, report)
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
    for draft, delivery_id in zip(drafts, ids, strict=True):
        if delivery_id is None:
            report.already_queued += 1
            logger.warning(
                "delivery not queued: already queued key=%s (or an article already sent)",
                draft.key,
            )
        else:
            report.queued += 1
            logger.debug("delivery queued id=%s key=%s", delivery_id, draft.key)


# --- rendering --------------------------------------------------------------


class Renderer:
    """Renders jobs here, or in a process pool sized to the cores once a run spans pages."""

    def __init__(self, context: Context, processes: int | None) -> None:
        self.context = context
        self.processes = processes if processes is not None else (os.cpu_count() or 1)
        self.automatic = processes is None
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, jobs: list[Job], *, more: bool) -> Callable[[], list[Outcome]]:
        """Start rendering ``jobs``; the returned callable waits for the outcomes."""
        wanted = not self.automatic or (more and len(jobs) >= POOL_MIN_JOBS)
        if self.pool is None and self.processes > 1 and wanted:
            self.pool = ProcessPoolExecutor(
                self.processes,
                # spawn, not fork: the scheduler process runs threads
                mp_context=get_context("spawn"),
                initializer=_enter_context,
                initargs=(self.context,),
            )
        if self.pool is None or not jobs:
            outcomes = [render_job(self.context, job) for job in jobs]
            return lambda: outcomes
        parts = max(1, min(self.processes, len(jobs)))
        size = -(-len(jobs) // parts)
        futures: list[Future[list[Outcome]]] = [
            self.pool.submit(_render_part, jobs[i : i + size]) for i in range(0, len(jobs), size)
        ]
        return lambda: [outcome for future in futures for outcome in future.result()]


_CONTEXT: Context | None = None


def _enter_context(context: Context) -> None:
    """Pool initializer: keep the run's config, source states and clock."""
    global _CONTEXT
    _CONTEXT = context


def _render_part(jobs: list[Job]) -> list[Outcome]:
    assert _CONTEXT is not None, "the pool initializer sets the context"
    return [render_job(_CONTEXT, job) for job in jobs]


def render_job(context: Context, job: Job) -> Outcome:
    """Build and render one job's email; a failure is returned, not raised."""
    try:
        return _draft_for(context, job)
    except Exception:
        return Failure(traceback.format_exc())


def _draft_for(context: Context, job: Job) -> DeliveryDraft | None:
    config, now, subscriber = context.config, context.now, job.subscriber
    digest = build_digest(
        job.kind,
        subscriber,
        job.pairs,
        config,
        window=job.window,
        states=context.states,
        now=now,
        already_sent=job.already_sent,
        volumes={volume.rule_id: volume for volume in job.volumes},
    )
    if job.kind == "alert":
        if digest.is_empty:
            return None
        digest = replace(digest, window=None)
        # an article goes to a subscriber once, so the batch's first article
        # tells two alerts of the same second apart (a rule edit re-matching
        # right after a crawl) and still keys a retried batch the same
        key = delivery_key(subscriber, "alert", now, batch=min(digest.article_pks))
        return draft(config, digest, key, now, channel="alert")
    if digest.is_empty and not subscriber.send_empty:
        return None
    key = delivery_key(subscriber, subscriber.frequency, job.window.end)
    return draft(config, digest, key, now, channel="digest", covered_until=job.window.end)


def delivery_key(
    subscriber: Subscriber, kind: str, moment: datetime, *, batch: int | None = None
) -> str:
    """Unique per (subscriber, kind, window end or alert time[, batch]); a valid file name."""
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-a{batch}" if batch is not None else ""
    return safe_key(f"{kind}-{stamp}-{subscriber.id}-{subscriber.email}{suffix}")


def draft(
    config: Config,
    digest: Digest,
    key: str,
    now: datetime,
    *,
    channel: str,
    covered_until: datetime | None = None,
) -> DeliveryDraft:
    """The outbox row of a rendered digest."""
    subject, raw = render_message(config, digest, key, now)
    window = digest.window
    # channels hook: the batch also gets one chat/webhook row per channel of the subscriber
    made = DeliveryDraft(
        subscriber_id=digest.subscriber.id or 0,
        kind=digest.kind,
        channel=channel,
        key=key,
        subject=subject,
        message=raw,
        article_pks=digest.article_pks,
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        covered_until=covered_until,
    )
    return with_channels(made, config, digest)


def render_message(
    config: Config, digest: Digest, key: str, now: datetime, *, web_page: bool = True
) -> tuple[str, bytes]:
    """The subject and wire bytes of a digest's email; ``web_page``: the footer links to
    the batch's page (a preview is never queued, so it has none)."""
    secret = secret_key()
    subscriber = digest.subscriber
    rendered = render_digest(
        digest,
        brand=config.mail.from_name,
        unsubscribe_url=unsubscribe_url(config.mail, subscriber.email, secret),
        manage_url=manage_url(config.mail, subscriber.email, secret),
        feed_url=feed_url(config.mail, subscriber.email, subscriber.feed_nonce, secret)
        if subscriber.feed_nonce
        else "",
        web_url=digest_url(config.mail, subscriber.email, key, secret) if web_page else "",
    )
    message = build_message(
        rendered,
        mail=config.mail,
        to_email=subscriber.email,
        to_name=subscriber.name,
        key=key,
        list_name="alerts" if digest.kind == "alert" else "digest",
        now=now,
        secret=secret,
    )
    return str(message["Subject"]), message_bytes(message)
