"""Feed queries: the newest matched articles of a subscriber or of one rule, the
nonces signed into feed links (a new nonce revokes every link issued before it),
and the articles of one queued batch for its web page (:meth:`FeedQueries.digest_batch`).

A subscriber's feed follows its live rules only: a paused rule, or articles first
seen before a rule's last resume, bring nothing (:func:`store.pauses.rule_is_live`),
as in the outbox. Backfilled articles (a new source's back catalogue) are never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from store.articles import article_from_row
from store.base import StoreBase
from store.channels import channel_key_prefix
from store.matches import match_record
from store.models import (
    ArticleRow,
    DeliveredArticleRow,
    DeliveryRow,
    MatchRow,
    ServiceStateRow,
    SubscriberRow,
    SubscriptionRow,
    new_feed_nonce,
)
from store.pauses import rule_is_live
from store.records import DigestBatch, Match, MatchedArticle

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

    def digest_batch(self, subscriber_id: int, batch_key: str) -> DigestBatch | None:
        """The batch queued under ``batch_key`` for the subscriber, with its articles
        (oldest published first) and their matches of the subscriber's rules; None if unknown.

        A batch is its email row (keyed ``batch_key``) and its channel rows; the
        ledger of its articles hangs off whichever of them was queued first.
        """
        rows = (
            select(DeliveryRow)
            .where(
                DeliveryRow.subscriber_id == subscriber_id,
                or_(
                    DeliveryRow.key == batch_key,
                    DeliveryRow.key.startswith(channel_key_prefix(batch_key), autoescape=True),
                ),
            )
            .order_by(DeliveryRow.id)
        )
        with self._transaction() as session:
            batch = session.scalars(rows).all()
            if not batch:
                return None
            first = batch[0]
            items = _batch_items(session, subscriber_id, [row.id for row in batch])
            return DigestBatch(
                kind=first.kind,
                window_start=first.window_start,
                window_end=first.window_end,
                created_at=first.created_at,
                items=tuple(items),
            )

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


def _batch_items(
    session: Session, subscriber_id: int, delivery_ids: Sequence[int]
) -> list[MatchedArticle]:
    """The ledger's articles of ``delivery_ids``, oldest published first, with the matches
    of the subscriber's rules (paused or not: they fired when the batch was queued)."""
    rules = select(SubscriptionRow.rule_id).where(SubscriptionRow.subscriber_id == subscriber_id)
    rows = session.execute(
        select(ArticleRow, MatchRow)
        .join(DeliveredArticleRow, DeliveredArticleRow.article_pk == ArticleRow.id)
        .outerjoin(MatchRow, (MatchRow.article_pk == ArticleRow.id) & MatchRow.rule_id.in_(rules))
        .where(
            DeliveredArticleRow.delivery_id.in_(list(delivery_ids)),
            DeliveredArticleRow.subscriber_id == subscriber_id,
        )
        .order_by(ArticleRow.published_at, ArticleRow.id, MatchRow.rule_id)
    ).all()
    articles: dict[int, Any] = {}
    matches: dict[int, list[Match]] = {}
    for article, match in rows:
        articles.setdefault(article.id, article)
        found = matches.setdefault(article.id, [])
        if match is not None:
            found.append(match_record(match))
    return [
        MatchedArticle(article_from_row(row), tuple(matches[pk])) for pk, row in articles.items()
    ]
