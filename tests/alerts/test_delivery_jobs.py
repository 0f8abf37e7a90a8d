"""Delivery jobs on a real database: windows, the outbox guarantees, SMTP faults."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from alerts.delivery import CLAIM_LEASE
from alerts.jobs import (
    preview_digests,
    queue_due_digests,
    queue_immediate_alerts,
    send_pending,
    sync_subscribers,
)
from config import Config, load_config
from store import Store, open_store
from store.records import DeliveryDraft
from tests.alerts import delivery_worker
from tests.alerts.delivery_support import (
    HANOI,
    RecordingHandler,
    add_article,
    article,
    config_text,
    free_port,
    make_config,
    match,
    parse,
    smtp_server,
    utc,
)

SYNCED = utc(2026, 11, 1)
DAY1 = utc(2026, 11, 22, 0, 10)  # 07:10 in Hanoi, the 07:00 digest is due
DAY2 = DAY1 + timedelta(days=1)
CUTOFF = utc(2026, 11, 22, 0, 0)  # 22 Nov 07:00 in Hanoi


def _setup(store: Store, config: Config) -> None:
    sync_subscribers(store, config, SYNCED)


def _digest_articles(store: Store) -> list[tuple[int, ...]]:
    return [d.article_ids for d in store.deliveries()]


def test_due_digest_is_queued_then_written_to_the_outbox(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    pk = add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    queued = queue_due_digests(store, config, now=DAY1)
    assert queued.queued == 1
    sent = send_pending(store, config, now=DAY1)
    assert (sent.sent, sent.retried, sent.failed) == (1, 0, 0)
    (delivery,) = store.deliveries()
    assert delivery.status == "sent" and delivery.article_ids == (pk,)
    assert delivery.window_end == CUTOFF
    eml = tmp_path / "outbox" / f"{delivery.key}.eml"
    message = parse(eml.read_bytes())
    assert message["Subject"] == "[Veille VNA] 1 article — Tô Lâm — 22 novembre 2026"
    assert "Tô Lâm" in (tmp_path / "outbox" / f"{delivery.key}.html").read_text(encoding="utf-8")
    subscriber = store.subscriber("analyste@example.org")
    assert subscriber is not None and subscriber.covered_until == CUTOFF


def test_queueing_twice_queues_once(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    assert queue_due_digests(store, config, now=DAY1).queued == 1
    again = queue_due_digests(store, config, now=DAY1 + timedelta(hours=3))
    assert (again.queued, again.not_due) == (0, 1)
    assert len(store.deliveries()) == 1


def test_cutoff_splits_articles_between_consecutive_digests(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    before = add_article(store, article("1", CUTOFF - timedelta(seconds=1)), found=CUTOFF)
    at = add_article(store, article("2", CUTOFF), found=CUTOFF)
    after = add_article(store, article("3", CUTOFF + timedelta(hours=5)), found=DAY1)
    queue_due_digests(store, config, now=DAY1)
    queue_due_digests(store, config, now=DAY2)
    assert _digest_articles(store) == [(before,), (at, after)]


def test_article_found_after_its_window_closed_goes_in_next_digest_flagged(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    add_article(store, article("1", datetime(2026, 11, 21, 9, tzinfo=HANOI)), found=DAY1)
    queue_due_digests(store, config, now=DAY1)
    # published on the 21st (first window), crawled only after that digest went out
    late = add_article(
        store,
        article("2", datetime(2026, 11, 21, 20, tzinfo=HANOI)),
        found=DAY1 + timedelta(hours=2),
    )
    queue_due_digests(store, config, now=DAY2)
    first, second = store.deliveries()
    assert late not in first.article_ids and second.article_ids == (late,)
    text = parse(second.message).get_body(("plain",))
    assert text is not None and "arrivé en retard" in text.get_content()


def test_a_week_of_digests_never_shares_or_loses_an_article(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    expected = set()
    start = utc(2026, 11, 20, 0)
    for hour in range(0, 24 * 6, 5):
        published = start + timedelta(hours=hour)
        # every third article is found a day after publication
        found = published + timedelta(days=1 if hour % 3 == 0 else 0, minutes=30)
        expected.add(add_article(store, article(str(hour + 1), published), found=found))
    now = utc(2026, 11, 20, 0, 10)
    for day in range(8):
        with_found = now + timedelta(days=day)
        queue_due_digests(store, config, now=with_found)
    delivered = [pk for ids in _digest_articles(store) for pk in ids]
    assert len(delivered) == len(set(delivered))
    published_before_last_cutoff = {
        pk for pk in expected if (a := store.article(pk)) and a.published_at < utc(2026, 11, 27, 0)
    }
    assert set(delivered) == published_before_last_cutoff


def test_backfilled_articles_are_never_delivered(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    add_article(
        store, article("1", datetime(2026, 11, 21, 9, tzinfo=HANOI)), found=DAY1, backfill=True
    )
    report = queue_due_digests(store, config, now=DAY1)
    assert (report.queued, report.empty) == (0, 1)
    assert store.deliveries() == []


def test_empty_digest_is_skipped_but_window_advances(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    assert queue_due_digests(store, config, now=DAY1).empty == 1
    subscriber = store.subscriber("analyste@example.org")
    assert subscriber is not None and subscriber.covered_until == CUTOFF


def test_empty_digest_is_sent_with_send_empty(store: Store, tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        subscribers="  - {email: vide@example.org, rules: [to_lam], send_empty: true}",
    )
    _setup(store, config)
    assert queue_due_digests(store, config, now=DAY1).queued == 1
    (delivery,) = store.deliveries()
    assert "aucun article" in delivery.subject


def test_preview_writes_files_and_records_nothing(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    paths = preview_digests(store, config, tmp_path / "preview", now=DAY1)
    assert [p.suffix for p in paths] == [".eml"]
    assert paths[0].with_suffix(".html").exists()
    assert store.deliveries() == []
    subscriber = store.subscriber("analyste@example.org")
    assert subscriber is not None and subscriber.covered_until is None


def test_immediate_alerts_group_hits_and_respect_the_interval(store: Store, tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        subscribers="  - {email: vite@example.org, frequency: immediate, rules: [to_lam, chine]}",
        immediate_min_interval_minutes=10,
    )
    _setup(store, config)
    now = DAY1
    first = add_article(
        store, article("1", now - timedelta(hours=1)), found=now, rules=("to_lam", "chine")
    )
    second = add_article(
        store, article("2", now - timedelta(minutes=30), title="Autre", body="Autre"), found=now
    )
    assert queue_immediate_alerts(store, config, now=now).queued == 1
    third = add_article(
        store, article("3", now, title="Encore", body="Encore"), found=now + timedelta(minutes=2)
    )
    assert queue_immediate_alerts(store, config, now=now + timedelta(minutes=5)).throttled == 1
    assert queue_immediate_alerts(store, config, now=now + timedelta(minutes=11)).queued == 1
    assert _digest_articles(store) == [(first, second), (third,)]
    assert queue_immediate_alerts(store, config, now=now + timedelta(minutes=30)).empty == 1
    assert store.deliveries()[0].subject.startswith("[Veille VNA] Alerte : 2 articles — Tô Lâm")


def test_two_alert_batches_in_the_same_second_are_both_queued(store: Store, tmp_path: Path) -> None:
    # a rule edit re-matches and alerts right after the crawl's own alert
    config = make_config(
        tmp_path,
        subscribers="  - {email: vite@example.org, frequency: immediate, rules: [to_lam, chine]}",
        immediate_min_interval_minutes=0,
    )
    _setup(store, config)
    first = add_article(store, article("1", DAY1 - timedelta(hours=1)), found=DAY1)
    assert queue_immediate_alerts(store, config, now=DAY1).queued == 1
    second = add_article(
        store, article("2", DAY1, title="Autre", body="Autre"), found=DAY1, rules=("chine",)
    )
    assert queue_immediate_alerts(store, config, now=DAY1).queued == 1
    assert _digest_articles(store) == [(first,), (second,)]
    assert queue_immediate_alerts(store, config, now=DAY1).empty == 1


# --- SMTP faults ------------------------------------------------------------

THREE = """  - {email: a@example.org, rules: [to_lam]}
  - {email: b@example.org, rules: [to_lam]}
  - {email: c@example.org, rules: [to_lam]}"""


def _smtp_config(tmp_path: Path, port: int, subscribers: str = THREE) -> Config:
    return make_config(
        tmp_path,
        subscribers=subscribers,
        backend="smtp",
        host="127.0.0.1",
        port=port,
        timeout_seconds=5,
    )


def _queue_three(store: Store, config: Config) -> None:
    _setup(store, config)
    add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    assert queue_due_digests(store, config, now=DAY1).queued == 3


def test_smtp_down_then_up_delivers_exactly_once(store: Store, tmp_path: Path) -> None:
    port = free_port()
    config = _smtp_config(tmp_path, port)
    _queue_three(store, config)
    down = send_pending(store, config, now=DAY1)
    assert (down.sent, down.retried) == (0, 3)
    pending = store.deliveries(status="pending")
    assert len(pending) == 3
    assert pending[0].attempts == 1 and "cannot connect" in (pending[0].last_error or "")
    assert pending[0].next_attempt_at == DAY1 + timedelta(minutes=1)
    handler = RecordingHandler()
    with smtp_server(handler, port=port):
        assert (
            send_pending(store, config, now=DAY1 + timedelta(seconds=30)).sent == 0
        )  # backing off
        assert send_pending(store, config, now=DAY1 + timedelta(minutes=1)).sent == 3
        assert send_pending(store, config, now=DAY1 + timedelta(hours=1)).sent == 0
    assert sorted(rcpt for _, (rcpt,), _ in handler.messages) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    sent = store.deliveries(status="sent")
    assert len(sent) == 3 and all("250" in (d.smtp_reply or "") or d.smtp_reply for d in sent)


def test_smtp_451_then_250_is_sent_on_retry(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler(data_replies=["451 4.7.1 greylisted"])
    with smtp_server(handler) as controller:
        config = _smtp_config(tmp_path, controller.port)
        _queue_three(store, config)
        first = send_pending(store, config, now=DAY1)
        assert (first.sent, first.retried) == (2, 1)
        (waiting,) = store.deliveries(status="pending")
        assert "451" in (waiting.last_error or "") and waiting.attempts == 1
        assert send_pending(store, config, now=DAY1 + timedelta(minutes=1)).sent == 1
    assert len(handler.messages) == 3
    assert store.delivery_counts() == {"sent": 3}


def test_smtp_550_fails_one_recipient_and_spares_the_others(
    store: Store, tmp_path: Path, caplog: object
) -> None:
    handler = RecordingHandler(refuse={"b@example.org": "550 5.1.1 mailbox unavailable"})
    with smtp_server(handler) as controller:
        config = _smtp_config(tmp_path, controller.port)
        _queue_three(store, config)
        with caplog.at_level(logging.ERROR, logger="alerts.delivery"):  # type: ignore[attr-defined]
            report = send_pending(store, config, now=DAY1)
    assert (report.sent, report.failed, report.retried) == (2, 1, 0)
    (failed,) = store.deliveries(status="failed")
    assert failed.subscriber == "b@example.org" and "550" in (failed.last_error or "")
    assert any("b@example.org" in r.getMessage() for r in caplog.records)  # type: ignore[attr-defined]
    assert send_pending(store, config, now=DAY1 + timedelta(days=1)).sent == 0


def test_a_dead_worker_lease_expires_and_rows_go_out_once(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        config = _smtp_config(tmp_path, controller.port)
        _queue_three(store, config)
        # a worker claims the rows and dies before sending anything
        assert len(store.claim_deliveries(DAY1, limit=10, lease=CLAIM_LEASE)) == 3
        assert send_pending(store, config, now=DAY1 + timedelta(minutes=1)).sent == 0
        assert send_pending(store, config, now=DAY1 + CLAIM_LEASE).sent == 3
    assert len(handler.messages) == 3


def test_send_stopped_midway_releases_its_unsent_rows_at_once(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        config = _smtp_config(tmp_path, controller.port)
        # one connection, so the stop falls between two rows of the batch
        config = config.model_copy(
            update={"mail": config.mail.model_copy(update={"connections": 1})}
        )
        _queue_three(store, config)
        stopped = send_pending(
            store, config, now=DAY1, owner="w1", stop=lambda: len(handler.messages) >= 1
        )
        assert (stopped.sent, stopped.released) == (1, 2)
        # released, not leased: claimable at the same instant by another sender
        assert store.claim_holders(DAY1) == {}
        assert all(d.claimed_by is None for d in store.deliveries(status="pending"))
        assert send_pending(store, config, now=DAY1, owner="w2").sent == 2
    assert sorted(rcpt for _, (rcpt,), _ in handler.messages) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]


@dataclass
class PeekingHandler(RecordingHandler):
    """Slow answers; on the last message, records who holds rows a second past the lease."""

    store: Store | None = None
    at: datetime = DAY1
    seen: dict[str, int] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.4)
        if len(self.messages) == 2 and self.store is not None:
            self.seen = await asyncio.to_thread(self.store.claim_holders, self.at)
        return await super().handle_DATA(server, session, envelope)


def test_the_lease_is_renewed_while_a_batch_is_sent(store: Store, tmp_path: Path) -> None:
    lease = timedelta(seconds=1)
    handler = PeekingHandler(store=store, at=DAY1 + lease + timedelta(seconds=0.5))
    with smtp_server(handler) as controller:
        config = make_config(
            tmp_path,
            subscribers=THREE,
            backend="smtp",
            host="127.0.0.1",
            port=controller.port,
            connections=1,
            claim_lease_seconds=1,
        )
        _queue_three(store, config)
        # three answers of 0.4 s on one connection outlast the 1 s lease
        assert send_pending(store, config, now=DAY1, owner="slow").sent == 3
    assert handler.seen == {"slow": 1}


# --- crash ------------------------------------------------------------------


class KillingHandler(RecordingHandler):
    """Accepts messages; on the ``kill_at``-th one, SIGKILLs the sender before answering 250."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.victim: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.victim is not None and len(self.messages) == self.kill_at:
            os.kill(self.victim.pid, signal.SIGKILL)
            self.victim.wait(timeout=10)
        return reply


def _worker(config_file: Path, store: Store, now: datetime) -> subprocess.Popen[bytes]:
    return delivery_worker.start(config_file, store.url, now)


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [1, 7, 20])  # first, middle and last message of the batch
@pytest.mark.parametrize("connections", [1, 4])
def test_sender_killed_mid_batch_loses_nothing_and_duplicates_at_most_one(
    store: Store, tmp_path: Path, kill_at: int, connections: int
) -> None:
    count = 20
    subscribers = "\n".join(
        f"  - {{email: s{i:02d}@example.org, rules: [to_lam]}}" for i in range(count)
    )
    handler = KillingHandler(kill_at=kill_at)
    with smtp_server(handler) as controller:
        text = config_text(
            tmp_path,
            subscribers,
            backend="smtp",
            host="127.0.0.1",
            port=controller.port,
            connections=connections,
        )
        config_file = tmp_path / "config.yaml"
        config_file.write_text(text, encoding="utf-8")
        config = load_config(config_file)
        _setup(store, config)
        add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
        assert queue_due_digests(store, config, now=DAY1).queued == count

        handler.victim = _worker(config_file, store, DAY1)
        assert handler.victim.wait(timeout=60) == -signal.SIGKILL
        counts = store.delivery_counts()
        if connections == 1:  # the 7th was accepted, not recorded
            assert counts.get("sent", 0) == handler.kill_at - 1
        assert counts["pending"] == count - counts.get("sent", 0)

        # the lease counts from the dead sender's real time spent too: a minute more
        restarted = _worker(config_file, store, DAY1 + CLAIM_LEASE + timedelta(minutes=1))
        _out, err = restarted.communicate(timeout=60)
        assert restarted.returncode == 0, err.decode()
    assert store.delivery_counts() == {"sent": count}
    received = Counter(rcpt for _, (rcpt,), _ in handler.messages)
    assert set(received) == {f"s{i:02d}@example.org" for i in range(count)}
    duplicates = sum(n - 1 for n in received.values())
    print(
        f"SIGKILL at message {kill_at}/{count}: {len(received)} recipients, {duplicates} duplicate"
    )
    # the message in flight when the sender died was accepted but not recorded: sent
    # twice; with several connections, at most one such message per connection
    assert 1 <= duplicates <= connections


def test_queue_delivery_is_all_or_nothing(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    pk = add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    subscriber = store.subscriber("analyste@example.org")
    assert subscriber is not None and subscriber.id is not None
    draft = DeliveryDraft(
        subscriber_id=subscriber.id,
        kind="daily",
        channel="digest",
        key="k1",
        subject="s",
        message=b"m",
        article_pks=(pk,),
        covered_until=CUTOFF,
    )
    assert store.queue_delivery(draft, DAY1) is not None
    # another row carrying the same article on the same channel: rolled back entirely
    again = replace(draft, key="k2", covered_until=CUTOFF + timedelta(days=1))
    assert store.queue_delivery(again, DAY1) is None
    assert [d.key for d in store.deliveries()] == ["k1"]
    after = store.subscriber("analyste@example.org")
    assert after is not None and after.covered_until == CUTOFF
    # the same article on the other channel is a different delivery
    assert store.queue_delivery(replace(draft, key="k3", channel="alert"), DAY1) is not None


def test_article_matched_after_the_digest_was_built_is_not_lost(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    item = article("1", datetime(2026, 11, 21, 20, tzinfo=HANOI))
    store.save_article(item, CUTOFF - timedelta(hours=2))  # crawled before the cut-off ...
    assert queue_due_digests(store, config, now=DAY1).empty == 1  # ... not matched yet
    stored = store.article_by_identity("vietnamplus", "1")
    assert stored is not None and stored.id is not None
    store.replace_matches(stored.id, [match(stored.id)], DAY1 + timedelta(minutes=5))
    queue_due_digests(store, config, now=DAY2)
    assert _digest_articles(store) == [(stored.id,)]


def test_concurrent_claims_never_hand_out_a_row_twice(store: Store, tmp_path: Path) -> None:
    subscribers = "\n".join(
        f"  - {{email: c{i:02d}@example.org, rules: [to_lam]}}" for i in range(24)
    )
    config = make_config(tmp_path, subscribers)
    _setup(store, config)
    add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    assert queue_due_digests(store, config, now=DAY1).queued == 24
    barrier = threading.Barrier(4)

    def worker() -> list[int]:
        barrier.wait(timeout=10)
        taken: list[int] = []
        while batch := store.claim_deliveries(DAY1, limit=3, lease=CLAIM_LEASE):
            taken += [d.id for d in batch]
        return taken

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(worker) for _ in range(4)]]
    claimed = [i for taken in results for i in taken]
    assert len(claimed) == 24 and len(set(claimed)) == 24


def test_received_digest_for_a_paris_subscriber_across_the_dst_change(
    store: Store, tmp_path: Path
) -> None:
    handler = RecordingHandler()
    paris = "  - {email: paris@example.org, name: Bureau de Paris, timezone: Europe/Paris, "
    paris += "send_time: '08:00', rules: [to_lam, chine]}"
    with smtp_server(handler) as controller:
        config = _smtp_config(tmp_path, controller.port, paris)
        _setup(store, config)
        summer = add_article(  # 24 Oct 12:00 in Paris (UTC+2)
            store,
            article("1", utc(2026, 10, 24, 10).astimezone(HANOI)),
            found=utc(2026, 10, 24, 11),
        )
        hostile = add_article(  # 25 Oct 06:00 in Paris (UTC+1)
            store,
            article(
                "2",
                utc(2026, 10, 25, 5).astimezone(HANOI),
                title="<script>alert('x')</script> Tô Lâm\r\nBcc: victim@example.org",
                body="Une autre dépêche, sans rapport avec la première.",
            ),
            found=utc(2026, 10, 25, 5, 30),
            rules=("chine",),
        )
        now = utc(2026, 10, 25, 7, 5)  # 08:05 in Paris, after the change
        assert queue_due_digests(store, config, now=now).queued == 1
        assert send_pending(store, config, now=now).sent == 1
    ((sender, recipients, raw),) = handler.messages
    assert (sender, recipients) == ("veille@vnawatch.example", ["paris@example.org"])
    message = parse(raw)
    assert message["Subject"] == "[Veille VNA] 2 articles — Tô Lâm, Chine — 25 octobre 2026"
    assert message["Bcc"] is None
    assert message["To"] == "Bureau de Paris <paris@example.org>"
    assert message["List-Unsubscribe"].startswith("<mailto:veille@vnawatch.example")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "du 24 oct. 08:00 au 25 oct. 08:00, heure de Paris" in text
    assert "24 oct. 2026, 12:00" in text and "25 oct. 2026, 06:00" in text
    assert "24 oct. 2026, 12:00" in html and "25 oct. 2026, 06:00" in html
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    (delivery,) = store.deliveries()
    assert delivery.article_ids == (summer, hostile)
    assert delivery.window_start == utc(2026, 10, 24, 6) and delivery.window_end == utc(
        2026, 10, 25, 7
    )


def test_dispatch_already_sent_from_one_outlet_is_not_shown_again_from_another(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    _setup(store, config)
    vnp = add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    queue_due_digests(store, config, now=DAY1)
    copy = article(  # Le Courrier republishes the dispatch the next day
        "900",
        datetime(2026, 11, 22, 9, tzinfo=HANOI),
        source="lecourrier",
        url="https://lecourrier.vn/politique/900.html",
    )
    cvn = add_article(store, copy, found=DAY1 + timedelta(hours=3))
    other = add_article(
        store,
        article("2", datetime(2026, 11, 22, 10, tzinfo=HANOI), title="Autre", body="Autre sujet"),
        found=DAY1 + timedelta(hours=4),
    )
    assert queue_due_digests(store, config, now=DAY2).queued == 1
    first, second = store.deliveries()
    assert first.article_ids == (vnp,)
    assert second.article_ids == (cvn, other)  # the copy is recorded as covered ...
    assert "1 article" in second.subject  # ... but not shown
    text = parse(second.message).get_body(("plain",))
    assert text is not None and "lecourrier.vn" not in text.get_content()


@pytest.mark.postgres
def test_postgres_claim_skips_rows_locked_by_another_worker(
    postgres_url: str, tmp_path: Path
) -> None:
    store = open_store(postgres_url)
    store.upgrade()
    try:
        _queue_three(store, make_config(tmp_path, subscribers=THREE))
        first = min(d.id for d in store.deliveries())
        with store.engine.connect() as other, ThreadPoolExecutor(max_workers=1) as pool:
            # another worker's open transaction holds the first row
            other.execute(
                text("select id from deliveries where id = :id for update"), {"id": first}
            )
            # without SKIP LOCKED this claim would wait for that transaction
            claiming = pool.submit(store.claim_deliveries, DAY1, limit=10, lease=CLAIM_LEASE)
            try:
                claimed = claiming.result(timeout=30)
            finally:
                other.rollback()
        assert sorted(d.id for d in claimed) == [first + 1, first + 2]
        assert [d.id for d in store.claim_deliveries(DAY1, limit=10, lease=CLAIM_LEASE)] == [first]
    finally:
        store.close()


HOSTILE_YAML = """  - email: cible@example.org
    name: "Cible\\r\\nBcc: victim@example.org =?utf-8?b?WC1JbmplY3RlZDogeWVz?="
    rules: [to_lam]"""


def test_hostile_rule_and_subscriber_names_never_make_a_header(
    store: Store, tmp_path: Path
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        config = _smtp_config(tmp_path, controller.port, HOSTILE_YAML)
        rule = config.rules[0].model_copy(
            update={"name": "Tô Lâm\r\nX-Injected: yes\n<script>x()</script>"}
        )
        config = config.model_copy(update={"rules": [rule, *config.rules[1:]]})
        _setup(store, config)
        add_article(
            store,
            article(
                "1",
                datetime(2026, 11, 21, 14, tzinfo=HANOI),
                title="=?utf-8?q?Bcc=3A_victim=40example.org?= Tô Lâm\r\nBcc: victim@example.org",
            ),
            found=DAY1,
        )
        assert queue_due_digests(store, config, now=DAY1).queued == 1
        assert send_pending(store, config, now=DAY1).sent == 1
    ((_sender, recipients, raw),) = handler.messages
    assert recipients == ["cible@example.org"]
    message = parse(raw)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["To"].addresses[0].addr_spec == "cible@example.org"
    for name in ("Subject", "To"):
        assert "\r" not in str(message[name]) and "\n" not in str(message[name])
        assert "=?" not in str(message[name])  # no encoded word decoded from our text
    assert "X-Injected: yes" in str(message["Subject"])  # kept as harmless text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;x()" in html
