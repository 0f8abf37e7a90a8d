"""Jobs: the only alerts code that wires the store to the pure stages.

The matching jobs live in ``alerts/matching.py`` and the delivery jobs in
``alerts/delivery.py``; the names re-exported here are the contract the
scheduler and the CLI call, and nothing deeper.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alerts import delivery, matching
from alerts.delivery import QueueReport, SendReport, send_pending, sync_subscribers
from alerts.matching import MatchReport, RuleTest, RuleTestHit, explain_rule, test_rule
from alerts.subscriptions import with_stored_rules
from config import Config

if TYPE_CHECKING:
    from store import Store


# Matching and queueing see config.yaml's rules plus the web subscribers' own.


def match_new_articles(store: Store, config: Config, **options: Any) -> MatchReport:
    return matching.match_new_articles(store, with_stored_rules(store, config), **options)


def rematch_since(store: Store, config: Config, since: datetime, **options: Any) -> MatchReport:
    return matching.rematch_since(store, with_stored_rules(store, config), since, **options)


def queue_due_digests(store: Store, config: Config, **options: Any) -> QueueReport:
    return delivery.queue_due_digests(store, with_stored_rules(store, config), **options)


def queue_immediate_alerts(store: Store, config: Config, **options: Any) -> QueueReport:
    return delivery.queue_immediate_alerts(store, with_stored_rules(store, config), **options)


def preview_digests(store: Store, config: Config, out_dir: Path, **options: Any) -> list[Path]:
    config = with_stored_rules(store, config)
    return delivery.preview_digests(store, config, out_dir, **options)


__all__ = [
    "MatchReport",
    "QueueReport",
    "RuleTest",
    "RuleTestHit",
    "SendReport",
    "explain_rule",
    "match_new_articles",
    "preview_digests",
    "queue_due_digests",
    "queue_immediate_alerts",
    "rematch_since",
    "send_pending",
    "sync_subscribers",
    "test_rule",
]
