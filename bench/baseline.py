"""The per-subscriber queueing path vnawatch used before the batch one, kept as a baseline.

One query chain and one transaction per subscriber, through the store's
single-subscriber API (``subscribers``, ``undelivered_matches``,
``delivered_since``, ``queue_delivery``, ``advance_coverage``,
``last_delivery_at``). ``bench/send.py`` measures it against
``alerts.queueing`` in the same run (with ``send_one_by_one``, the sender
of the same day), and ``tests/alerts/test_queueing.py``
checks that both queue exactly the same thing.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from alerts.delivery import collect_digest
from alerts.digest import Window, digest_window
from alerts.mailer import Outcome, send_smtp
from alerts.queueing import (
    ALERT_LOOKBACK,
    QueueReport,
    delivery_key,
    draft,
)
from alerts.subscriptions import with_stored_rules
from alerts.suppression import suppressed_addresses
from alerts.tokens import normalise_address
from config import Config
from store import Store
from store.records import DeliveryDraft


def queue_due_digests_one_by_one(store: Store, config: Config, *, now: datetime) -> QueueReport:
    """Every due daily and weekly digest, one subscriber after the other."""
    config = with_stored_rules(store, config)
    report = QueueReport(kind="digests")
    states = store.source_states()
    for subscriber in store.subscribers():
        if subscriber.frequency not in ("daily", "weekly"):
            continue
        window = digest_window(subscriber, now)
        if window is None or subscriber.id is None:
            report.not_due += 1
            continue
        kind = subscriber.frequency
        digest = collect_digest(store, config, subscriber, kind, window, now, states)
        if digest.is_empty and not subscriber.send_empty:
            store.advance_coverage(subscriber.id, window.end)
            report.empty += 1
            continue
        key = delivery_key(subscriber, subscriber.frequency, window.end)
        made = draft(config, digest, key, now, channel="digest", covered_until=window.end)
        _record(store, made, now, report)
    return report


def queue_immediate_alerts_one_by_one(
    store: Store, config: Config, *, now: datetime
) -> QueueReport:
    """One alert per immediate subscriber with new matches, rate-limited, one at a time."""
    config = with_stored_rules(store, config)
    report = QueueReport(kind="alerts")
    interval = timedelta(minutes=config.mail.immediate_min_interval_minutes)
    states = store.source_states()
    for subscriber in store.subscribers():
        if subscriber.frequency != "immediate" or subscriber.id is None:
            continue
        last = store.last_delivery_at(subscriber.id, "alert")
        if last is not None and now - last < interval:
            report.throttled += 1
            continue
        window = Window(now - ALERT_LOOKBACK, now + timedelta(days=1), subscriber.timezone)
        digest = collect_digest(store, config, subscriber, "alert", window, now, states)
        if digest.is_empty:
            report.empty += 1
            continue
        digest = replace(digest, window=None)
        key = delivery_key(subscriber, "alert", now, batch=min(digest.article_pks))
        _record(store, draft(config, digest, key, now, channel="alert"), now, report)
    return report


def _record(store: Store, made: DeliveryDraft, now: datetime, report: QueueReport) -> None:
    if store.queue_delivery(made, now) is None:
        report.already_queued += 1
    else:
        report.queued += 1


def send_one_by_one(store: Store, config: Config, *, now: datetime) -> int:
    """``send_pending`` as it was: claim 200 rows, one connection, one commit per message."""
    sent = 0

    def record(outcome: Outcome) -> None:
        nonlocal sent
        if outcome.status == "sent":
            store.mark_sent(outcome.delivery.id, now, outcome.reply)
            sent += 1
        else:
            store.mark_retry(outcome.delivery.id, outcome.reply, now + timedelta(minutes=1))

    while claimed := store.claim_deliveries(now, limit=200, lease=timedelta(minutes=10)):
        blocked = suppressed_addresses(store, {delivery.subscriber for delivery in claimed})
        batch = [d for d in claimed if normalise_address(d.subscriber) not in blocked]
        asyncio.run(send_smtp(batch, config.mail, record))
    return sent
