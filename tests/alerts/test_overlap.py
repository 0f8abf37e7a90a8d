"""Sending starts while later pages are still being queued, and loses or repeats nothing.

``send_while_queueing`` runs a queueing job and, in a thread, ``send_pending``
after each committed page. The test holds the queueing after its first page
until the real SMTP server has received a message: were the sender to wait
for the end of the queueing, that never happens and the test fails. Then each
subscriber has exactly one message, nothing is pending, and the ledger holds
each owed article once. On SQLite (one writer at a time) the queueing comes
first, then the sending, with the same result.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from alerts.jobs import queue_due_digests, send_while_queueing, sync_subscribers
from alerts.queueing import QueueReport
from store import Store
from tests.alerts.delivery_support import (
    RecordingHandler,
    add_article,
    article,
    make_config,
    smtp_server,
    utc,
)

START = utc(2026, 11, 18, 0, 10)
COUNT = 24


def _subscribers() -> str:
    rules = ["[to_lam]", "[chine]", "[to_lam, chine]"]
    return "\n".join(
        f"  - {{email: s{n:02d}@example.org, name: Abonné {n}, rules: {rules[n % 3]}}}"
        for n in range(COUNT)
    )


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_pages_are_sent_while_the_next_ones_are_queued(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config = make_config(
            tmp_path,
            subscribers=_subscribers(),
            backend="smtp",
            host="127.0.0.1",
            port=server.port,
        )
        sync_subscribers(store, config, START - timedelta(days=30))
        for n in range(6):
            published = START - timedelta(hours=2 + n)
            add_article(store, article(str(n), published), found=published, rules=("to_lam",))
        add_article(store, article("9", START - timedelta(hours=9)), found=START, rules=("chine",))
        commits: list[int] = []
        overlapped = store.dialect != "sqlite"

        def queue(committed: Callable[[], None]) -> QueueReport:
            def page_committed() -> None:
                committed()
                if not commits and overlapped:  # hold the queueing until page 1 is sent
                    assert _wait_for(lambda: len(handler.messages) > 0), "nothing sent meanwhile"
                commits.append(len(handler.messages))

            return queue_due_digests(
                store, config, now=START, page_size=5, processes=1, committed=page_committed
            )

        queued, sent = send_while_queueing(store, config, queue, now=START)

    assert queued.queued == COUNT and sent.sent == COUNT and not sent.failed
    if overlapped:
        assert len(commits) == 5 and commits[0] >= 1  # sent before page 2 was queued
    else:
        assert len(commits) == 5 and commits[-1] == 0  # SQLite: sent after the queueing
    recipients = Counter(rcpt for _, rcpts, _ in handler.messages for rcpt in rcpts)
    assert recipients == {f"s{n:02d}@example.org": 1 for n in range(COUNT)}
    assert store.delivery_counts().get("pending", 0) == 0
    carried = [(d.subscriber, pk) for d in store.deliveries() for pk in d.article_ids]
    assert len(carried) == len(set(carried))
    owed = {0: 6, 1: 1, 2: 7}  # to_lam: 6 articles, chine: 1
    assert len(carried) == sum(owed[n % 3] for n in range(COUNT))
