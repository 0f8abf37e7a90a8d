"""Jobs: the only alerts code that wires the store to the pure stages.

The matching jobs live in ``alerts/matching.py``, the queueing jobs in
``alerts/queueing.py`` and the sending jobs in ``alerts/delivery.py``, each
with its own parameters; the names re-exported here are the contract the
scheduler and the CLI call, and nothing deeper.
Matching, queueing and previews see config.yaml's rules plus the web
subscribers' own (``alerts.subscriptions.with_stored_rules``).
"""

from __future__ import annotations

from alerts.delivery import (
    SendReport,
    preview_digests,
    send_pending,
    send_while_queueing,
    sender_name,
    sync_subscribers,
)
from alerts.matching import (
    MatchReport,
    RuleTest,
    RuleTestHit,
    explain_rule,
    match_new_articles,
    rematch_since,
    test_rule,
)
from alerts.queueing import QueueReport, queue_due_digests, queue_immediate_alerts
from alerts.spiking import SpikeReport, queue_spike_alerts

__all__ = [
    "MatchReport",
    "QueueReport",
    "RuleTest",
    "RuleTestHit",
    "SendReport",
    "SpikeReport",
    "explain_rule",
    "match_new_articles",
    "preview_digests",
    "queue_due_digests",
    "queue_immediate_alerts",
    "queue_spike_alerts",
    "rematch_since",
    "send_pending",
    "send_while_queueing",
    "sender_name",
    "sync_subscribers",
    "test_rule",
]
