"""Per-rule pause: config.yaml's paused_rules, the queueing jobs, and the resume rule
(a resumed rule starts from the resume, like a new subscription: no backlog floods in)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alerts.jobs import queue_due_digests, queue_immediate_alerts, sync_subscribers
from config import ConfigError, load_config
from store import Store
from tests.alerts.delivery_support import HANOI, add_article, article, make_config, utc

SHIPPED = Path(__file__).resolve().parents[2] / "config.yaml"
EMAIL = "analyste@example.org"
SYNCED = utc(2026, 11, 1)
DAY1 = utc(2026, 11, 22, 0, 10)  # 07:10 in Hanoi: the 07:00 digest is due


def _subscriber_yaml(frequency: str = "daily", paused: str = "") -> str:
    text = (
        f"  - email: {EMAIL}\n    frequency: {frequency}\n"
        "    rules: [to_lam, mer_orientale, chine]\n"
    )
    return text + (f"    paused_rules: [{paused}]\n" if paused else "")


def test_a_paused_rule_must_be_one_of_the_subscribers_rules(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    old = "    rules: [vietnam_chine, frontiere]\n"
    assert old in text
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(old, old + "    paused_rules: [to_lam]\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    line = text[: text.index(old)].count("\n") + 2
    assert problem == (
        f"{path}:{line}: subscribers[1].paused_rules[0]: 'to_lam' is not one of this "
        "subscriber's rules (vietnam_chine, frontiere)"
    )
    path.write_text(text.replace(old, old + "    paused_rules: [frontiere]\n", 1), "utf-8")
    assert load_config(path).subscribers[1].paused_rules == ["frontiere"]


def test_a_paused_rule_is_left_out_of_the_digest_and_the_others_stay(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path, _subscriber_yaml(paused="chine"))
    sync_subscribers(store, config, SYNCED)
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None
    # the queueing code reads Subscriber.rules: the paused rule is not there
    assert subscriber.rules == ("mer_orientale", "to_lam")
    assert subscriber.paused_rules == ("chine",)
    published = datetime(2026, 11, 21, 14, tzinfo=HANOI)
    kept = add_article(store, article("1", published), found=DAY1, rules=("to_lam",))
    add_article(store, article("2", published), found=DAY1, rules=("chine",))
    both = add_article(store, article("3", published), found=DAY1, rules=("chine", "to_lam"))
    assert queue_due_digests(store, config, now=DAY1).queued == 1
    (delivery,) = store.deliveries()
    assert delivery.article_ids == (kept, both)
    assert "Chine" not in delivery.subject


def test_a_resumed_rule_starts_from_the_resume_without_the_pause_backlog(
    store: Store, tmp_path: Path
) -> None:
    paused = make_config(tmp_path, _subscriber_yaml("immediate", paused="chine"))
    resumed = make_config(tmp_path, _subscriber_yaml("immediate"))
    sync_subscribers(store, paused, SYNCED)
    during = DAY1
    add_article(store, article("1", during - timedelta(minutes=5)), found=during, rules=("chine",))
    assert queue_immediate_alerts(store, paused, now=during + timedelta(minutes=1)).queued == 0

    resume = during + timedelta(hours=1)
    sync_subscribers(store, resumed, resume)  # chine taken out of paused_rules
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and "chine" in subscriber.rules and not subscriber.paused_rules
    later = resume + timedelta(minutes=10)
    fresh = add_article(
        store, article("2", later - timedelta(minutes=5)), found=later, rules=("chine",)
    )
    # a config reload that changes nothing keeps the resume time (no flood either)
    sync_subscribers(store, resumed, later)
    report = queue_immediate_alerts(store, resumed, now=later + timedelta(minutes=1))
    assert report.queued == 1
    (delivery,) = store.deliveries()
    # the article found while the rule was paused is not delivered, though in the
    # alerts' two-day lookback; the one found after the resume is
    assert delivery.article_ids == (fresh,)


def test_pausing_again_and_config_syncs_keep_the_rule_paused(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path, _subscriber_yaml(paused="chine"))
    sync_subscribers(store, config, SYNCED)
    sync_subscribers(store, config, SYNCED + timedelta(days=1))
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.paused_rules == ("chine",)
    assert sorted((r.rule_id, r.paused) for r in store.subscriber_rules(EMAIL)) == [
        ("chine", True),
        ("mer_orientale", False),
        ("to_lam", False),
    ]
    (listed,) = [s for s in store.subscribers() if s.email == EMAIL]
    assert listed.rules == ("mer_orientale", "to_lam") and listed.paused_rules == ("chine",)
