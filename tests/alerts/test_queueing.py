"""The batch queueing path queues exactly what the per-subscriber path queued.

Two databases get the same subscribers, articles and matches at the same
moments; one is queued by ``bench.baseline`` (one query chain and one
transaction per subscriber, the path vnawatch used before), the other by
``alerts.queueing`` with tiny pages, so every run crosses page boundaries.
Reports, outbox rows, the articles each row carries and ``covered_until``
must be identical, on SQLite and PostgreSQL; one subscriber pauses a rule and
resumes it on the way (articles first seen before the resume stay out).

The batch path renders each distinct digest once and personalises it per
subscriber (``alerts.rendering``); the baseline renders every email in full.
With the feed nonces made equal in both databases, every message must be the
same bytes, hostile names and subscribers sharing their content included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from alerts.jobs import queue_due_digests, queue_immediate_alerts, sync_subscribers
from alerts.queueing import QueueReport
from alerts.trends import rebuild_trends
from bench.baseline import queue_due_digests_one_by_one, queue_immediate_alerts_one_by_one
from config import Config
from store import Store, open_store
from store.models import SubscriberRow
from store.records import DeliveryDraft
from tests.alerts.delivery_support import (
    HANOI,
    add_article,
    article,
    make_config,
    match,
    parse,
    utc,
)
from tests.conftest import fresh_postgres_schema

SUBSCRIBERS = """  - {email: hanoi@example.org, rules: [to_lam, mer_orientale, chine]}
  - {email: paris@example.org, timezone: Europe/Paris, send_time: '08:30', rules: [chine],
     send_empty: true, language: en}
  - {email: hebdo@example.org, frequency: weekly, weekday: wednesday,
     timezone: America/Montreal, rules: [to_lam, chine]}
  - {email: mer@example.org, rules: [mer_orientale]}
  - {email: vide@example.org, rules: [mer_orientale], send_empty: true}
  - {email: parti@example.org, rules: [to_lam], active: false}
  - {email: vite@example.org, frequency: immediate, rules: [to_lam, chine]}
  - {email: vite2@example.org, frequency: immediate, rules: [mer_orientale]}
  - {email: zz@example.org, rules: [to_lam, chine]}"""
# subscribers whose digests share their content with one above (or nearly: another
# language, another window, a rule not paused), under names the HTML must escape
SHARED = """  - {email: hanoi2@example.org, name: 'Lê <b>Hà</b> & "Co"',
     rules: [chine, to_lam, mer_orientale]}
  - {email: hanoi3@example.org, name: "Zoë\u00a0& fils d'Ô", rules: [to_lam, mer_orientale, chine]}
  - {email: zz2@example.org, rules: [chine, to_lam]}
  - {email: zz3@example.org, name: Trần Văn Ba, rules: [chine, to_lam]}
  - {email: sea@example.org, language: en, rules: [mer_orientale]}
  - {email: mer2@example.org, send_time: '06:00', rules: [mer_orientale]}
  - {email: vite3@example.org, frequency: immediate, rules: [to_lam, chine]}"""
START = utc(2026, 11, 18, 0, 10)
RULE_SETS = [("to_lam",), ("chine",), ("to_lam", "chine"), ("mer_orientale",), ("chine", "to_lam")]


@dataclass(frozen=True)
class Event:
    found: datetime
    article_id: str
    published: datetime
    rules: tuple[str, ...]
    backfill: bool = False
    source: str = "vietnamplus"
    title: str | None = None


def _events() -> list[Event]:
    """Four days of articles: some found late, one backfilled, one dispatch on two outlets."""
    events = []
    for n in range(36):
        published = START - timedelta(hours=20) + timedelta(hours=2 * n + n % 3)
        late = timedelta(days=1, hours=3) if n % 7 == 0 else timedelta(minutes=40)
        events.append(
            Event(
                found=published + late,
                article_id=str(100 + n),
                published=published,
                rules=RULE_SETS[n % len(RULE_SETS)],
                backfill=n == 11,
                title=f"Dépêche {n} : la Chine et Tô Lâm, sujet numéro {n}",
            )
        )
    # Le Courrier republishes dispatch 4 a day later: the same title, the other outlet
    copy = events[4]
    events.append(
        replace(
            copy,
            found=copy.found + timedelta(days=1),
            published=copy.published + timedelta(days=1),
            article_id="900",
            source="lecourrier",
        )
    )
    return sorted(events, key=lambda event: (event.found, event.article_id))


def _add(store: Store, event: Event) -> None:
    changes = {"source": event.source, "title": event.title or ""}
    if event.source == "lecourrier":
        changes["url"] = f"https://lecourrier.vn/politique/{event.article_id}.html"
    item = article(event.article_id, event.published.astimezone(HANOI), **changes)
    add_article(store, item, found=event.found, rules=event.rules, backfill=event.backfill)


@pytest.fixture
def twin_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'twin.db'}"
        return
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def twin(twin_url: str) -> Iterator[Store]:
    opened = open_store(twin_url)
    opened.upgrade()
    yield opened
    opened.close()


def _counts(report: QueueReport) -> tuple[int, ...]:
    return (
        report.queued,
        report.empty,
        report.not_due,
        report.throttled,
        report.already_queued,
        report.errors,
    )


FEED_LINK = re.compile(r"/feed/[^/\s]+/")


def _outbox(store: Store) -> list[tuple[object, ...]]:
    """Every row as the reader would see it (headers aside; the feed link is signed
    with a nonce drawn per database, so its token is left out)."""
    rows = []
    for delivery in store.deliveries():
        body = parse(delivery.message).get_body(("plain",))
        assert body is not None
        rows.append(
            (
                delivery.subscriber,
                delivery.kind,
                delivery.key,
                delivery.window_start,
                delivery.window_end,
                delivery.article_ids,
                delivery.subject,
                FEED_LINK.sub("/feed/TOKEN/", body.get_content()),
            )
        )
    return rows


STAMPS = re.compile(rb"^(Date|Message-ID): [^\r]*", re.MULTILINE)


def _messages(store: Store) -> dict[str, bytes]:
    """Each row's message bytes by key, Date and Message-ID left out."""
    return {d.key: STAMPS.sub(rb"\1: -", d.message) for d in store.deliveries()}


def _same_feed_nonces(source: Store, target: Store) -> None:
    """Give ``target``'s subscribers the feed nonces of ``source``'s (same feed links)."""
    with source.engine.connect() as connection:
        nonces = connection.execute(select(SubscriberRow.email, SubscriberRow.feed_nonce)).all()
    with target.engine.begin() as connection:
        for email, nonce in nonces:
            connection.execute(
                update(SubscriberRow).where(SubscriberRow.email == email).values(feed_nonce=nonce)
            )


def _coverage(store: Store) -> dict[str, datetime | None]:
    return {s.email: s.covered_until for s in store.subscribers(active_only=False)}


def _replay(
    old: Store, new: Store, config: Config, *, processes: int, days: int = 5
) -> list[tuple[int, ...]]:
    """Feed both stores the same events; queue ``old`` one by one and ``new`` in pages of 2.

    Each step's counts, then the distinct digests the new path rendered as a last step."""
    for store in (old, new):
        sync_subscribers(store, config, START - timedelta(days=30))
    _same_feed_nonces(old, new)
    bodies = 0
    events = _events()
    steps = []
    moment = START
    while moment <= START + timedelta(days=days):
        for store in (old, new):  # hanoi pauses `chine` for a day and a half, then resumes it
            if moment == START + timedelta(days=1):
                assert store.set_rule_paused("hanoi@example.org", "chine", True, moment)
            if moment == START + timedelta(days=2, hours=12):
                assert store.set_rule_paused("hanoi@example.org", "chine", False, moment)
        while events and events[0].found <= moment:
            event = events.pop(0)
            _add(old, event)
            _add(new, event)
        before = _counts(queue_immediate_alerts_one_by_one(old, config, now=moment))
        report = queue_immediate_alerts(new, config, now=moment, page_size=2)
        assert _counts(report) == before, moment
        steps.append(before)
        bodies += report.bodies
        if moment.minute == 10:  # daily digests are due at 00:10 UTC (07:10 in Hanoi)
            for store in (old, new):  # the counts the digests' volume lines read
                rebuild_trends(store, config, moment)
            before = _counts(queue_due_digests_one_by_one(old, config, now=moment))
            report = queue_due_digests(new, config, now=moment, page_size=2, processes=processes)
            assert _counts(report) == before, moment
            steps.append(before)
            bodies += report.bodies
        moment += timedelta(hours=5, minutes=50) if moment.minute == 10 else timedelta(minutes=10)
    return [*steps, (bodies,)]


def test_batch_queueing_queues_what_one_by_one_queued(
    store: Store, twin: Store, tmp_path: Path
) -> None:
    subscribers = f"{SUBSCRIBERS}\n{SHARED}"
    config = make_config(tmp_path, subscribers=subscribers, immediate_min_interval_minutes=30)
    *steps, (bodies,) = _replay(store, twin, config, processes=1)
    assert _outbox(twin) == _outbox(store)
    assert _coverage(twin) == _coverage(store)
    assert _messages(twin) == _messages(store)  # byte for byte, but the stamps
    # the scenario exercises what it is meant to
    queued = sum(step[0] for step in steps)
    assert 0 < bodies < queued - 10  # shared content was rendered once
    assert sum(step[0] for step in steps) >= 20  # queued
    assert sum(step[1] for step in steps) >= 5  # empty
    assert sum(step[2] for step in steps) >= 5  # not due (the weekly one)
    assert sum(step[3] for step in steps) >= 1  # throttled alerts
    kinds = {row[1] for row in _outbox(twin)}
    assert kinds == {"daily", "weekly", "alert"}
    assert any("aucun article" in row[6] for row in _outbox(twin))  # send_empty
    # each rule section says its volume, from the same counts on both paths
    assert any(
        re.search(r"\n[1-9]\d* articles? (hier|yesterday)\r?\n", row[7]) for row in _outbox(twin)
    )
    delivered = [(row[0], row[1] == "alert", pk) for row in _outbox(twin) for pk in row[5]]
    assert len(delivered) == len(set(delivered))  # the ledger: once per channel


def test_batch_queueing_in_a_process_pool_queues_the_same(
    sqlite_store: Store, tmp_path: Path
) -> None:
    old = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    old.upgrade()
    subscribers = f"{SUBSCRIBERS}\n{SHARED}"
    config = make_config(tmp_path, subscribers=subscribers, immediate_min_interval_minutes=30)
    try:
        _replay(old, sqlite_store, config, processes=2, days=1)  # a pool per run: slow
        assert _outbox(sqlite_store) == _outbox(old)
        assert _coverage(sqlite_store) == _coverage(old)
        assert _messages(sqlite_store) == _messages(old)
    finally:
        old.close()


def test_rerun_in_the_same_window_queues_nothing_more(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path, subscribers=SUBSCRIBERS)
    sync_subscribers(store, config, START - timedelta(days=30))
    add_article(store, article("1", START - timedelta(hours=3)), found=START - timedelta(hours=2))
    first = queue_due_digests(store, config, now=START, page_size=2)
    assert (first.queued, first.empty, first.not_due) == (4, 2, 0)  # the weekly one is empty
    rows = _outbox(store)
    again = queue_due_digests(store, config, now=START + timedelta(hours=1), page_size=2)
    assert (again.queued, again.already_queued, again.not_due) == (0, 0, 6)
    assert _outbox(store) == rows


def _draft(subscriber_id: int, key: str, pks: tuple[int, ...], until: datetime) -> DeliveryDraft:
    return DeliveryDraft(
        subscriber_id=subscriber_id,
        kind="daily",
        channel="digest",
        key=key,
        subject=key,
        message=key.encode(),
        article_pks=pks,
        covered_until=until,
    )


def test_a_batch_in_conflict_refuses_only_the_conflicting_drafts(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path, subscribers=SUBSCRIBERS)
    sync_subscribers(store, config, START - timedelta(days=30))
    one = add_article(store, article("1", START - timedelta(hours=3)), found=START)
    two = add_article(store, article("2", START - timedelta(hours=2)), found=START)
    hanoi, mer, zz = (store.subscriber(f"{n}@example.org") for n in ("hanoi", "mer", "zz"))
    assert hanoi and mer and zz and hanoi.id and mer.id and zz.id
    end = START - timedelta(minutes=10)
    # another run queued article `one` for hanoi, and the key of zz's digest
    assert store.queue_delivery(_draft(hanoi.id, "earlier", (one,), end), START) is not None
    assert store.queue_delivery(_draft(zz.id, "zz-key", (), end), START) is not None
    batch = [
        _draft(hanoi.id, "hanoi-key", (one, two), end + timedelta(days=1)),
        _draft(mer.id, "mer-key", (one, two), end + timedelta(days=1)),
        _draft(zz.id, "zz-key", (two,), end + timedelta(days=1)),
    ]
    vide = store.subscriber("vide@example.org")
    assert vide and vide.id
    ids = store.queue_deliveries(batch, START, advance=[(vide.id, end + timedelta(days=1))])
    assert ids[0] is None and ids[1] is not None and ids[2] is None
    assert [d.key for d in store.deliveries()] == ["earlier", "zz-key", "mer-key"]
    assert [d.article_ids for d in store.deliveries()] == [(one,), (), (one, two)]
    coverage = _coverage(store)
    assert coverage["hanoi@example.org"] == end  # its refused draft moved nothing
    assert coverage["zz@example.org"] == end
    assert coverage["mer@example.org"] == end + timedelta(days=1)
    assert coverage["vide@example.org"] == end + timedelta(days=1)


def test_a_late_match_is_owed_even_outside_the_publication_window(
    store: Store, twin: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path, subscribers=SUBSCRIBERS)
    for db in (store, twin):
        sync_subscribers(db, config, START - timedelta(days=30))
        db.save_article(article("1", START - timedelta(days=2)), START - timedelta(days=2))
        stored = db.article_by_identity("vietnamplus", "1")
        assert stored is not None and stored.id is not None
        # a rule added since matches a two-day-old article
        db.replace_matches(stored.id, [match(stored.id)], START - timedelta(hours=1))
    queue_due_digests_one_by_one(store, config, now=START)
    queue_due_digests(twin, config, now=START, page_size=3)
    assert _outbox(twin) == _outbox(store)
    owed = {row[0] for row in _outbox(twin) if row[5] == (1,)}
    assert owed == {"hanoi@example.org", "zz@example.org"}
