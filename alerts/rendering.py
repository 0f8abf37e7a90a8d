"""Rendering for the queue jobs: each distinct digest once, each subscriber's email from it.

A :class:`Job` (a subscriber, its window, what it is owed) becomes an outbox
draft. Most subscribers share their digest's content with others: the same
live rules, window, zone and language give the same digest but for the name
and the links. So a run keeps the digests it rendered (:class:`FrameCache`),
keyed by what the content depends on (:func:`content_key`), and builds each
subscriber's email from the cached rendering (:mod:`alerts.personalise`),
byte for byte what a full render gives. What cannot be personalised safely
(a value the HTML would hold differently, a subscriber with chat channels) is
rendered in full (:mod:`alerts.drafts`, also the previews' and the
baseline's path).

A run with several full pages renders in render processes, one per core; a
job goes to the process of its content, so one digest is rendered in one
process.
"""

from __future__ import annotations

import os
import traceback
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from multiprocessing import get_context

from alerts.digest import Digest, build_digest
from alerts.drafts import delivery_key, draft, personal_values, render_parts
from alerts.labels import Window
from alerts.mailer import STORE_POLICY, Header, message_headers
from alerts.personalise import Frame, assemble, fits, frame, shape
from alerts.tokens import secret_key
from alerts.volume import Volume
from config import Config
from store.records import Article, DeliveryDraft, Match, SourceState, Subscriber

# a pool costs ~1 s of process start-up: worth it from a few hundred digests on
POOL_MIN_JOBS = 200
# distinct digests kept per process (about 30 KB each): the oldest go first
CACHE_SIZE = 2000


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

    @cached_property
    def rule_order(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.config.rules)


# --- the cache ----------------------------------------------------------------


@dataclass
class Cached:
    """A distinct digest: what it carries, and its rendering once one was needed."""

    article_pks: tuple[int, ...]
    is_empty: bool
    frame: Frame | None = None
    rendered: bool = False  # False: not rendered yet; True with frame None: not personalisable
    subject: str = ""  # the Subject header's value, as the full render stores it


@dataclass
class FrameCache:
    """The distinct digests of one run in one process, least recently used dropped first."""

    size: int = CACHE_SIZE
    entries: OrderedDict[Hashable, Cached] = field(default_factory=OrderedDict)
    rendered: int = 0  # frames rendered (the report's distinct bodies)
    hits: int = 0

    def get(self, key: Hashable) -> Cached | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
            self.hits += 1
        return found

    def put(self, key: Hashable, cached: Cached) -> None:
        self.entries[key] = cached
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


def content_key(context: Context, job: Job, slots: tuple[str, ...]) -> Hashable:
    """Everything a digest's content depends on besides the run (config, sources, now):
    the kind, the live rules in config order (a paused rule is not in ``rules``), the
    window, zone and language, which personal values are set (templates test them),
    the matches and articles owed, in the store's order, whole (an edited article
    or a re-matched snippet is other content), and the rules' volumes (the trend
    line and chart of each rule's section)."""
    subscriber = job.subscriber
    rules = tuple(rule for rule in context.rule_order if rule in subscriber.rules)
    return (
        job.kind,
        rules,
        job.window,
        subscriber.language,
        subscriber.timezone,
        slots,
        job.pairs,
        job.already_sent,
        job.volumes,
    )


def shard(job: Job) -> int:
    """The same for two jobs with the same content: where a pool sends a job."""
    subscriber = job.subscriber
    articles = tuple(article.id for _match, article in job.pairs)
    return hash((job.kind, job.window, subscriber.language, subscriber.timezone, articles))


# --- one job ------------------------------------------------------------------


def render_job(context: Context, job: Job, cache: FrameCache | None = None) -> Outcome:
    """Build and render one job's email; a failure is returned, not raised."""
    try:
        if cache is None:
            return _full_draft(context, job)
        return _cached_draft(context, job, cache)
    except Exception:
        return Failure(traceback.format_exc())


def _digest(context: Context, job: Job) -> Digest:
    digest = build_digest(
        job.kind,
        job.subscriber,
        job.pairs,
        context.config,
        window=job.window,
        states=context.states,
        now=context.now,
        already_sent=job.already_sent,
        volumes={volume.rule_id: volume for volume in job.volumes},
    )
    # an alert is built with its look-back window (found-late flags), shown without one
    return replace(digest, window=None) if job.kind == "alert" else digest


def _sendable(job: Job, is_empty: bool) -> bool:
    return not is_empty or (job.kind != "alert" and job.subscriber.send_empty)


def _job_key(job: Job, article_pks: tuple[int, ...], now: datetime) -> str:
    subscriber = job.subscriber
    if job.kind == "alert":
        # an article goes to a subscriber once, so the batch's first article
        # tells two alerts of the same second apart (a rule edit re-matching
        # right after a crawl) and still keys a retried batch the same
        return delivery_key(subscriber, "alert", now, batch=min(article_pks))
    return delivery_key(subscriber, subscriber.frequency, job.window.end)


def _full_draft(context: Context, job: Job) -> DeliveryDraft | None:
    digest = _digest(context, job)
    if not _sendable(job, digest.is_empty):
        return None
    key = _job_key(job, digest.article_pks, context.now)
    return _draft(context, job, digest, key)


def _draft(context: Context, job: Job, digest: Digest, key: str) -> DeliveryDraft:
    covered = None if job.kind == "alert" else job.window.end
    config, now = context.config, context.now
    return draft(config, digest, key, now, channel=job.channel, covered_until=covered)


def _cached_draft(context: Context, job: Job, cache: FrameCache) -> DeliveryDraft | None:
    """The job's email from the run's rendering of its content, rendered here if new."""
    config, subscriber, secret = context.config, job.subscriber, secret_key()
    # a digest's key is known now; an alert's needs its articles (which values are
    # set does not depend on it)
    key = _job_key(job, (), context.now) if job.kind != "alert" else ""
    values = personal_values(config, subscriber, key, secret)
    content = content_key(context, job, shape(values))
    cached = cache.get(content)
    digest: Digest | None = None
    if cached is None:
        digest = _digest(context, job)
        cached = Cached(digest.article_pks, digest.is_empty)
        cache.put(content, cached)
    if not _sendable(job, cached.is_empty):
        return None
    if not key:
        key = _job_key(job, cached.article_pks, context.now)
        values = personal_values(config, subscriber, key, secret)
    if subscriber.channels or not fits(values):
        return _draft(context, job, digest or _digest(context, job), key)
    if not cached.rendered:
        _render_frame(context, job, cached, values, digest or _digest(context, job))
        cache.rendered += 1
    if cached.frame is None:  # the template does something a frame cannot follow
        return _draft(context, job, digest or _digest(context, job), key)
    text, html = cached.frame.fill(values)
    headers = _headers(context, job, key, cached.frame.subject)
    return DeliveryDraft(
        subscriber_id=subscriber.id or 0,
        kind=job.kind,
        channel=job.channel,
        key=key,
        subject=cached.subject,
        message=assemble(headers, text, html),
        article_pks=cached.article_pks,
        window_start=None if job.kind == "alert" else job.window.start,
        window_end=None if job.kind == "alert" else job.window.end,
        covered_until=None if job.kind == "alert" else job.window.end,
    )


def _render_frame(
    context: Context, job: Job, cached: Cached, values: Mapping[str, str], digest: Digest
) -> None:
    """Render ``digest`` once with tokens for the personal values, into ``cached``."""
    config = context.config
    cached.frame = frame(digest, values, lambda d, links: render_parts(config, d, links))
    cached.rendered = True
    if cached.frame is not None:
        subject = _headers(context, job, "", cached.frame.subject)[0]
        # the Subject header's value as EmailMessage stores it (DeliveryDraft.subject)
        cached.subject = str(STORE_POLICY.header_store_parse(*subject)[1])


def _headers(context: Context, job: Job, key: str, subject: str) -> list[Header]:
    subscriber = job.subscriber
    return message_headers(
        subject,
        mail=context.config.mail,
        to_email=subscriber.email,
        to_name=subscriber.name,
        key=key,
        list_name="alerts" if job.kind == "alert" else "digest",
        now=context.now,
        secret=secret_key(),
    )


# --- where jobs are rendered --------------------------------------------------


class Renderer:
    """Renders jobs here, or in render processes (one per core) once a run spans pages;
    ``cache=False`` renders every email in full (the reference the cache is checked against).

    Each render process has its own executor, and a job goes to the process of its
    content (:func:`shard`), page after page: one content is rendered in one process,
    once per run (a shared pool would hand a page's share to whichever process is free)."""

    def __init__(self, context: Context, processes: int | None, *, cache: bool = True) -> None:
        self.context = context
        self.processes = processes if processes is not None else (os.cpu_count() or 1)
        self.automatic = processes is None
        self.cache = FrameCache() if cache else None
        self.pools: list[ProcessPoolExecutor] = []
        self.pool_rendered = 0

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *_exc: object) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)

    @property
    def distinct(self) -> int:
        """Digests rendered from a cache so far (distinct bodies), here and in the pool."""
        return (self.cache.rendered if self.cache is not None else 0) + self.pool_rendered

    def submit(self, jobs: list[Job], *, more: bool) -> Callable[[], list[Outcome]]:
        """Start rendering ``jobs``; the returned callable waits for the outcomes."""
        wanted = not self.automatic or (more and len(jobs) >= POOL_MIN_JOBS)
        if not self.pools and self.processes > 1 and wanted:
            self.pools = [
                ProcessPoolExecutor(
                    1,
                    # spawn, not fork: the scheduler process runs threads
                    mp_context=get_context("spawn"),
                    initializer=_enter_context,
                    initargs=(self.context, self.cache is not None),
                )
                for _ in range(self.processes)
            ]
        if not self.pools or not jobs:
            outcomes = [render_job(self.context, job, self.cache) for job in jobs]
            return lambda: outcomes
        shares: list[list[int]] = [[] for _ in self.pools]
        for i, job in enumerate(jobs):
            shares[shard(job) % len(self.pools)].append(i)
        futures: list[tuple[list[int], Future[tuple[list[Outcome], int]]]] = [
            (share, pool.submit(_render_part, [jobs[i] for i in share]))
            for pool, share in zip(self.pools, shares, strict=True)
            if share
        ]

        def outcomes() -> list[Outcome]:
            found: list[Outcome] = [None] * len(jobs)
            for share, future in futures:
                part, rendered = future.result()
                self.pool_rendered += rendered
                for i, outcome in zip(share, part, strict=True):
                    found[i] = outcome
            return found

        return outcomes


_CONTEXT: Context | None = None
_CACHE: FrameCache | None = None


def _enter_context(context: Context, cache: bool) -> None:
    """Pool initializer: keep the run's config, source states and clock, and a cache."""
    global _CONTEXT, _CACHE
    _CONTEXT = context
    _CACHE = FrameCache() if cache else None


def _render_part(jobs: list[Job]) -> tuple[list[Outcome], int]:
    """The outcomes of a share of a page, and how many digests it rendered anew."""
    assert _CONTEXT is not None, "the pool initializer sets the context"
    before = _CACHE.rendered if _CACHE is not None else 0
    outcomes = [render_job(_CONTEXT, job, _CACHE) for job in jobs]
    return outcomes, (_CACHE.rendered if _CACHE is not None else 0) - before
