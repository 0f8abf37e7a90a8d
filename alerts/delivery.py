"""Delivery jobs (re-exported by :mod:`alerts.jobs`): queue digests and alerts, send the outbox.

This is the delivery half of ``alerts.jobs``, the code that wires the store to
the pure digest and mailer stages:

- :func:`queue_due_digests` and :func:`queue_immediate_alerts` (in
  :mod:`alerts.queueing`) build each due digest or alert and record it, with
  the articles it carries and the subscriber's new ``covered_until``, a page
  of subscribers per transaction;
- :func:`send_pending` claims due outbox rows for one sender and sends them
  (SMTP connections or files), releasing what it still holds when it returns;
- :func:`preview_digests` renders what would be sent, recording nothing.

Queueing and previews see config.yaml's rules plus the web subscribers' stored
ones. Every function takes ``now``; one subscriber's failure is logged and counted,
never fatal to the others.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alerts.channels import send_channel_rows, split_channel_rows
from alerts.digest import Digest, Window, build_digest, open_window
from alerts.drafts import delivery_key, render_message
from alerts.mailer import Outcome, html_part, send_smtp, write_files
from alerts.queueing import ALERT_LOOKBACK, SENT_LOOKBACK, QueueReport
from alerts.subscriptions import with_stored_rules
from alerts.suppression import suppressed_addresses
from alerts.tokens import normalise_address
from alerts.volume import rule_volumes
from config import Config
from config import Subscriber as SubscriberSpec
from store import Store
from store.records import Delivery, SourceState, Subscriber

logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=2)  # the default of mail.claim_lease_seconds
BATCH_SIZE = 200
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
# the overlapped sender looks anyway this often when no commit woke it
COMMIT_WAIT_SECONDS = 5.0


@dataclass
class SendReport:
    """What one sending run did; ``errors`` holds one line per failed row."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    released: int = 0  # claimed, then handed back unsent (a stop)

    def __str__(self) -> str:
        return f"outbox sent={self.sent} retried={self.retried} failed={self.failed}"

    def summary(self) -> str:
        """The counts a scheduler job line carries (``send_failed``: not a queue's)."""
        return f"sent={self.sent} retried={self.retried} send_failed={self.failed}"

    def add(self, other: SendReport) -> None:
        """Count ``other``'s rows in this report too."""
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.errors.extend(other.errors)
        self.released += other.released


def subscriber_record(spec: SubscriberSpec) -> Subscriber:
    """The store's record of a config subscriber."""
    return Subscriber(
        email=str(spec.email).lower(),
        # as in the store's records: ``rules`` are the live ones, never a paused one
        rules=tuple(rule for rule in spec.rules if rule not in spec.paused_rules),
        paused_rules=tuple(rule for rule in spec.rules if rule in spec.paused_rules),
        name=spec.name,
        language=spec.language,
        timezone=spec.timezone,
        frequency=spec.frequency,
        send_time=spec.send_time.strftime("%H:%M"),
        weekday=spec.weekday,
        send_empty=spec.send_empty,
        active=spec.active,
        channels=tuple(spec.channels),
        email_delivery=spec.email_delivery,
        spike_alerts=spec.spike_alerts,
    )


def sync_subscribers(store: Store, config: Config, now: datetime) -> None:
    """Make config.yaml's subscribers the stored ones (removed ones are deactivated).

    A suppressed address (unsubscribed in one click, or its data deleted) is
    left out: never created again, and deactivated if its row is still there.
    """
    records = [subscriber_record(spec) for spec in config.subscribers]
    blocked = suppressed_addresses(store, [record.email for record in records])
    if blocked:
        logger.warning(
            "config subscribers suppressed count=%d: they get no mail; remove them from "
            "config.yaml (`vnawatch status` lists them)",
            len(blocked),
        )
    store.sync_subscribers([r for r in records if r.email not in blocked], now)


# --- sending ----------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most 6 hours."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def send_pending(
    store: Store,
    config: Config,
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    owner: str | None = None,
    stop: Callable[[], bool] | None = None,
    max_batches: int | None = None,
    quiet: bool = False,
) -> SendReport:
    """Send every due pending row, batch by batch, over ``mail.connections`` connections.

    Rows are claimed for ``owner`` (a new sender name by default) with a lease
    renewed while a batch is sent. Once ``stop()`` is true no more rows are
    sent; whatever this call still holds when it returns (stopped, or an error)
    is released at once, for another sender to take. ``quiet``: the closing line
    at DEBUG (the caller logs its own).
    """
    owner = owner or sender_name("send")
    report = SendReport()
    lease = timedelta(seconds=config.mail.claim_lease_seconds)
    clock = _LeaseClock(now, lease)
    record = _recorder(store, now, report)
    batches = 0
    try:
        while not _stopped(stop) and (max_batches is None or batches < max_batches):
            # ``now`` may be a fixed instant (tests, the CLI): the lease still
            # counts from the real time spent since, or a long run's later
            # batches would be claimed already expired, open to other senders
            claimed = store.claim_deliveries(
                now, limit=batch_size, lease=clock.lease_from_now(), owner=owner
            )
            if not claimed:
                break
            batches += 1
            batch = _without_suppressed(store, claimed)
            if batch:
                dispatch(batch, config, record, renew=lambda: clock.renew(store, owner), stop=stop)
    finally:
        report.released = store.release_claims(owner)
    # an idle worker looks every few seconds: only a look that did something is news
    busy = report.sent or report.retried or report.failed or report.released
    logger.log(
        logging.INFO if (busy or max_batches is None) and not quiet else logging.DEBUG,
        "outbox sent=%d retried=%d failed=%d released=%d",
        report.sent,
        report.retried,
        report.failed,
        report.released,
    )
    return report


def send_while_queueing(
    store: Store,
    config: Config,
    queue: Callable[[Callable[[], None]], QueueReport],
    *,
    now: datetime,
    owner: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[QueueReport, SendReport]:
    """Run ``queue`` while a thread of this process sends each page as soon as it is
    committed; ``queue`` is given the function to call after each commit.

    Sending starts with the first page instead of after the last. The sender is
    ``send_pending`` (claims, leases, one mark per message), called after each
    commit and once more after the queueing ended, so nothing committed is left.
    An error of the sender is raised once the queueing is over.

    On SQLite the two run one after the other: the database takes one writer at a
    time, and a sender waiting for each page's write lock (and the page waiting for
    the sender's marks) costs more than the overlap gains (bench/send.py run 5:
    10,000 digests in 238 s overlapped against 141 s one after the other).
    """
    owner = owner or sender_name("send")
    if store.dialect == "sqlite":
        queued = queue(lambda: None)
        return queued, send_pending(store, config, now=now, owner=owner, stop=stop)
    total = SendReport()
    wake, done = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def sending() -> None:
        try:
            while True:
                wake.wait(COMMIT_WAIT_SECONDS)
                wake.clear()
                last = done.is_set()  # read before the look: a page committed after it is seen
                report = send_pending(store, config, now=now, owner=owner, stop=stop, quiet=True)
                total.add(report)
                if last or _stopped(stop):
                    return
        except BaseException as error:  # handed to the caller's thread
            failed.append(error)

    sender = threading.Thread(target=sending, name=f"sender {owner}", daemon=True)
    sender.start()
    try:
        queued = queue(wake.set)
    finally:
        done.set()
        wake.set()
        sender.join()
    if failed:
        raise failed[0]
    logger.info("outbox sent=%d retried=%d failed=%d while queueing", *_counts(total))
    return queued, total


def _counts(report: SendReport) -> tuple[int, int, int]:
    return report.sent, report.retried, report.failed


def dispatch(
    batch: Sequence[Delivery],
    config: Config,
    record: Callable[[Outcome], None],
    *,
    renew: Callable[[], None],
    stop: Callable[[], bool] | None = None,
) -> None:
    """Send one claimed batch, renewing its lease every quarter of it until done."""
    sending = _deliver(batch, config, record, stop)
    asyncio.run(_renewing(sending, renew, config.mail.claim_lease_seconds / 4))


async def _deliver(
    batch: Sequence[Delivery],
    config: Config,
    record: Callable[[Outcome], None],
    stop: Callable[[], bool] | None,
) -> None:
    """Hand each row to its transport: chat/webhook channels (Apprise), the .eml
    folder, or ``mail.connections`` SMTP connections."""
    emails, channel_rows = split_channel_rows(batch)
    if channel_rows:  # Apprise blocks: in a thread, so the lease is still renewed
        await asyncio.to_thread(send_channel_rows, channel_rows, config, record)
    if not emails:
        return
    if config.mail.backend == "file":
        write_files(emails, Path(config.mail.outbox_dir), record)
        return
    await send_smtp(emails, config.mail, record, connections=config.mail.connections, stop=stop)


async def _renewing(
    sending: Coroutine[Any, Any, None], renew: Callable[[], None], every: float
) -> None:
    """Run ``sending``, renewing the claims' lease every ``every`` seconds until it ends."""
    task = asyncio.ensure_future(sending)
    while True:
        done, _pending = await asyncio.wait({task}, timeout=every)
        if done:
            task.result()
            return
        await asyncio.to_thread(renew)


@dataclass
class _LeaseClock:
    """The claim lease on the caller's clock: ``now`` plus the time spent sending."""

    now: datetime
    lease: timedelta
    started: float = field(default_factory=time.monotonic)

    def lease_from_now(self) -> timedelta:
        """The lease to give counted from ``now``: the time spent so far, plus the lease."""
        return timedelta(seconds=time.monotonic() - self.started) + self.lease

    def renew(self, store: Store, owner: str) -> None:
        store.renew_claims(owner, self.now + self.lease_from_now())


def sender_name(kind: str) -> str:
    """``host:pid:kind:token``, unique per sender: who holds a claimed row."""
    return f"{socket.gethostname()}:{os.getpid()}:{kind}:{uuid.uuid4().hex[:8]}"


def _stopped(stop: Callable[[], bool] | None) -> bool:
    return stop is not None and stop()


def _without_suppressed(store: Store, batch: Sequence[Delivery]) -> list[Delivery]:
    """The rows whose address is not suppressed; the others are dropped unsent."""
    blocked = suppressed_addresses(store, {delivery.subscriber for delivery in batch})
    kept: list[Delivery] = []
    for delivery in batch:
        if normalise_address(delivery.subscriber) in blocked:
            store.discard_delivery(delivery.id)
            logger.info("delivery dropped: address suppressed id=%s", delivery.id)
        else:
            kept.append(delivery)
    return kept


def _recorder(store: Store, now: datetime, report: SendReport) -> Callable[[Outcome], None]:
    """Commit each outcome as soon as it is known (one message in flight per connection).

    Connections report from several threads at once: each write is its own
    statement; only the counts share a lock.
    """
    counting = threading.Lock()

    def record(outcome: Outcome) -> None:
        delivery = outcome.delivery
        if outcome.status == "sent":
            store.mark_sent(delivery.id, now, outcome.reply)
            with counting:
                report.sent += 1
        elif outcome.status == "failed":
            store.mark_failed(delivery.id, outcome.reply)
            with counting:
                report.failed += 1
                report.errors.append(f"{delivery.key}: {outcome.reply}")
            logger.error(
                "delivery failed for good id=%s to=%s error=%s",
                delivery.id,
                delivery.subscriber,
                outcome.reply,
            )
        else:
            attempts = delivery.attempts + (1 if outcome.attempted else 0)
            retry_at = now + backoff(max(attempts, 1))
            store.mark_retry(delivery.id, outcome.reply, retry_at, attempted=outcome.attempted)
            with counting:
                report.retried += 1
            logger.warning(
                "delivery will be retried id=%s to=%s attempts=%d retry_at=%s error=%s",
                delivery.id,
                delivery.subscriber,
                attempts,
                retry_at.isoformat(),
                outcome.reply,
            )

    return record


# --- previews ---------------------------------------------------------------


def preview_digests(
    store: Store,
    config: Config,
    out_dir: Path,
    *,
    now: datetime,
    subscriber: str | None = None,
) -> list[Path]:
    """Render each subscriber's next digest (or alert) as .eml + .html; record nothing."""
    config = with_stored_rules(store, config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    states = store.source_states()
    for record in store.subscribers():
        if subscriber and record.email != subscriber.lower():
            continue
        kind = record.frequency if record.frequency in ("daily", "weekly") else "alert"
        if kind == "alert":
            window = Window(now - ALERT_LOOKBACK, now + timedelta(days=1), record.timezone)
        else:
            window = open_window(record, now)
        digest = collect_digest(store, config, record, kind, window, now, states)
        if kind == "alert":
            digest = replace(digest, window=None)
        key = "preview-" + delivery_key(record, kind, window.end if kind != "alert" else now)
        _subject, raw = render_message(config, digest, key, now, web_page=False)
        eml = out_dir / f"{key}.eml"
        eml.write_bytes(raw)
        (out_dir / f"{key}.html").write_text(html_part(raw), encoding="utf-8")
        paths.append(eml)
    logger.info("digest previews written count=%d dir=%s", len(paths), out_dir)
    return paths


def collect_digest(
    store: Store,
    config: Config,
    subscriber: Subscriber,
    kind: str,
    window: Window,
    now: datetime,
    states: Sequence[SourceState],
) -> Digest:
    """The subscriber's undelivered matches in ``window``, as a digest (nothing recorded)."""
    channel = "alert" if kind == "alert" else "digest"
    known = {rule.id for rule in config.rules}
    rules = [rule for rule in subscriber.rules if rule in known]
    pairs = store.undelivered_matches(
        subscriber.id or 0, rules, channel, start=window.start, end=window.end
    )
    sent = store.delivered_since(subscriber.id or 0, channel, now - SENT_LOOKBACK) if pairs else []
    volumes = rule_volumes(store, config, rules, now=now, frequency=kind) if pairs else {}
    return build_digest(
        kind,
        subscriber,
        pairs,
        config,
        window=window,
        states=states,
        now=now,
        already_sent=sent,
        volumes=volumes,
    )
