"""Feed queries: the newest matched articles of a subscriber or of one rule, and the
nonces signed into feed links (a new nonce revokes every link issued before it).

A subscriber's feed follows its live rules only: a paused rule, or articles first
seen before a rule's last resume, bring nothing (:func:`store.pauses.rule_is_live`),
as in the outbox. Backfilled articles (a new source's back catalogue) are never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from store.articles import article_from_row
from store.base import StoreBase
from store.matches import match_record
from store.models import (
    ArticleRow,
    MatchRow,
    ServiceStateRow,
    SubscriberRow,
    SubscriptionRow,
    new_feed_nonce,
)
from store.pauses import rule_is_live
from store.records import Match, MatchedArticle

FEED_SIZE = 200
RULE_FEEDS = "rule_feeds"  # service_state row: {rule id: nonce} of the operators' feeds


class FeedQueries(StoreBase):
    """Facade methods for the Atom and JSON feeds."""

    def subscriber_feed(
        self, subscriber_id: int, *, limit: int = FEED_SIZE
    ) -> list[MatchedArticle]:
        """The newest ``limit`` articles matching the subscriber's live rules, newest first."""
        active = select(SubscriptionRow.rule_id).where(
            SubscriptionRow.subscriber_id == subscriber_id, SubscriptionRow.paused_at.is_(None)
        )
        conditions = [MatchRow.rule_id.in_(active), rule_is_live(subscriber_id)]
        with self._transaction() as session:
            return _newest(session, conditions, limit)

    def rule_feed(self, rule_id: str, *, limit: int = FEED_SIZE) -> list[MatchedArticle]:
        """The newest ``limit`` articles one rule matched, newest first."""
        with self._transaction() as session:
            return _newest(session, [MatchRow.rule_id == rule_id], limit)

    def renew_feed_nonce(self, email: str) -> str | None:
        """Give a subscriber a new feed nonce (old links stop working); None if unknown."""
        with self._transaction() as session:
            row = session.scalar(select(SubscriberRow).where(SubscriberRow.email == email.lower()))
            if row is None:
                return None
            row.feed_nonce = new_feed_nonce()
            return row.feed_nonce

    def rule_feed_nonce(self, rule_id: str, now: datetime, *, renew: bool = False) -> str:
        """The nonce of a rule's operator feed links, made on first use; ``renew`` replaces it."""
        with self._transaction() as session:
            row = session.get(ServiceStateRow, RULE_FEEDS, with_for_update=True)
            nonces: dict[str, Any] = dict(row.value) if row is not None else {}
            if rule_id in nonces and not renew:
                return str(nonces[rule_id])
            nonces[rule_id] = new_feed_nonce()
            if row is None:
                session.add(ServiceStateRow(name=RULE_FEEDS, value=nonces, updated_at=now))
            else:
                row.value = nonces  # a new dict, so the JSON column sees the change
                row.updated_at = now
            return str(nonces[rule_id])


def _newest(
    session: Session, conditions: Sequence[ColumnElement[bool]], limit: int
) -> list[MatchedArticle]:
    """Articles with a match meeting ``conditions``, newest published first, with those matches."""
    wanted = (
        select(ArticleRow.id)
        .join(MatchRow, MatchRow.article_pk == ArticleRow.id)
        .where(ArticleRow.backfill.is_(False), *conditions)
        .group_by(ArticleRow.id, ArticleRow.published_at)
        .order_by(ArticleRow.published_at.desc(), ArticleRow.id.desc())
        .limit(limit)
    )
    ids = list(session.scalars(wanted))
    if not ids:
        return []
    rows = session.execute(
        select(MatchRow, ArticleRow)
        .join(ArticleRow, ArticleRow.id == MatchRow.article_pk)
        .where(ArticleRow.id.in_(ids), *conditions)
        .order_by(MatchRow.rule_id)
    ).all()
    articles: dict[int, Any] = {}
    matches: dict[int, list[Match]] = {}
    for match, article in rows:
        articles.setdefault(article.id, article)
        matches.setdefault(article.id, []).append(match_record(match))
    return [
        MatchedArticle(article_from_row(articles[pk]), tuple(matches[pk]))
        for pk in ids
        if pk in articles
    ]
