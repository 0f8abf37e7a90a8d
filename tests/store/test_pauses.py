"""store.pauses.rule_is_live as a set-based query uses it (the queueing code's contract):
over many subscribers at once, a paused rule and the articles before a resume drop out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from store import Store
from store.models import ArticleRow, MatchRow, SubscriberRow, SubscriptionRow
from store.pauses import rule_is_live
from store.records import Subscriber
from tests.alerts.delivery_support import HANOI, add_article, article, utc

T0 = utc(2026, 12, 1)


def _live_pairs(store: Store) -> set[tuple[str, str]]:
    """(email, article outlet id) for every live (subscriber, match), in one query."""
    query = (
        select(SubscriberRow.email, ArticleRow.article_id)
        .join(SubscriptionRow, SubscriptionRow.subscriber_id == SubscriberRow.id)
        .join(MatchRow, MatchRow.rule_id == SubscriptionRow.rule_id)
        .join(ArticleRow, ArticleRow.id == MatchRow.article_pk)
        .where(rule_is_live(SubscriberRow.id))
    )
    with store.engine.connect() as connection:
        return {(email, article_id) for email, article_id in connection.execute(query)}


def test_rule_is_live_over_all_subscribers_at_once(store: Store) -> None:
    store.sync_subscribers(
        [
            Subscriber(email="a@example.org", rules=("chine",)),
            Subscriber(email="b@example.org", rules=(), paused_rules=("chine",)),
            Subscriber(email="c@example.org", rules=(), paused_rules=("chine",)),
        ],
        T0,
    )
    published = datetime(2026, 12, 1, 9, tzinfo=HANOI)
    add_article(store, article("1", published), found=T0 + timedelta(hours=1), rules=("chine",))
    resumed_at = T0 + timedelta(hours=2)
    assert store.set_rule_paused("c@example.org", "chine", False, resumed_at)
    add_article(store, article("2", published), found=T0 + timedelta(hours=3), rules=("chine",))
    assert _live_pairs(store) == {
        ("a@example.org", "1"),
        ("a@example.org", "2"),
        ("c@example.org", "2"),  # resumed after article 1 was found: only article 2
    }
    assert not store.set_rule_paused("c@example.org", "nope", True, resumed_at)
