"""Batch queries of the queueing jobs: a page of subscribers, their owed matches, bulk writes.

The per-subscriber queries in :mod:`store.outbox` (``undelivered_matches``,
``delivered_since``, ``queue_delivery``) cost one query chain and one
transaction per subscriber. These do the same work for a page of subscribers
in a few set-based statements, with the same answers and the same
guarantees: a key or an (subscriber, channel, article) already queued is
never queued again. A page's rows are read in one transaction and written in
another, so memory follows the page size, not the number of subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.articles import article_from_row
from store.matches import match_record
from store.models import (
    ArticleRow,
    DeliveredArticleRow,
    DeliveryRow,
    MatchRow,
    SubscriberRow,
    SubscriptionRow,
)
from store.outbox import OutboxQueries, owed_in_window, subscriber_from_row
from store.pauses import rule_lists_by_subscriber
from store.records import Article, DeliveryDraft, Match, Owed, Subscriber

Pair = tuple[Match, Article]


class QueueingQueries(OutboxQueries):
    """Facade methods that read and write the outbox for many subscribers at once."""

    def subscriber_page(
        self, frequencies: Sequence[str], *, after: str | None, limit: int
    ) -> list[Subscriber]:
        """Up to ``limit`` active subscribers of ``frequencies`` whose email sorts after ``after``.

        Email order is the order :meth:`subscribers` gives, so paging through
        queues in the same order as one pass over every subscriber.
        """
        query = (
            select(SubscriberRow)
            .where(SubscriberRow.active.is_(True), SubscriberRow.frequency.in_(list(frequencies)))
            .order_by(SubscriberRow.email)
            .limit(limit)
        )
        if after is not None:
            query = query.where(SubscriberRow.email > after)
        with self._transaction() as session:
            rows = session.scalars(query).all()
            rules = rule_lists_by_subscriber(_subscriptions(session, [row.id for row in rows]))
            return [subscriber_from_row(row, rules.get(row.id, ((), ()))) for row in rows]

    def undelivered_matches_for(self, owed: Sequence[Owed], channel: str) -> dict[int, list[Pair]]:
        """:meth:`undelivered_matches` for many subscribers: two queries for the lot.

        The first reads every match of the page's rules inside the union of
        their windows, the second which of those articles each subscriber was
        already sent; each subscriber's own window and rules are applied here.
        """
        found: dict[int, list[Pair]] = {item.subscriber_id: [] for item in owed}
        wanted = [item for item in owed if item.rule_ids]
        if not wanted:
            return found
        in_window = owed_in_window(
            sorted({rule for item in wanted for rule in item.rule_ids}),
            start=min(item.start for item in wanted),
            end=max(item.end for item in wanted),
        )
        ids = [item.subscriber_id for item in wanted]
        with self._transaction() as session:
            candidates = _candidates(session, in_window)
            delivered = _delivered_pairs(session, ids, channel, in_window)
            live_since = _live_since(session, ids)
        for item in wanted:
            pairs = [
                (match, article)
                for rule in item.rule_ids
                if (since := live_since.get((item.subscriber_id, rule), _ALWAYS)) is not None
                for match, article, seen in candidates.get(rule, ())
                if article.published_at < item.end
                and max(article.published_at, *seen) >= item.start
                and (item.subscriber_id, article.id) not in delivered
                and (since is _ALWAYS or seen[0] >= since)
            ]
            pairs.sort(key=lambda pair: (pair[1].published_at, pair[1].id or 0, pair[0].rule_id))
            found[item.subscriber_id] = pairs
        return found

    def delivered_since_for(
        self, subscriber_ids: Sequence[int], channel: str, since: datetime
    ) -> dict[int, list[Article]]:
        """:meth:`delivered_since` for many subscribers, in one query."""
        found: dict[int, list[Article]] = {sid: [] for sid in subscriber_ids}
        if not subscriber_ids:
            return found
        query = (
            select(DeliveredArticleRow.subscriber_id, ArticleRow)
            .join(ArticleRow, ArticleRow.id == DeliveredArticleRow.article_pk)
            .join(DeliveryRow, DeliveryRow.id == DeliveredArticleRow.delivery_id)
            .where(
                DeliveredArticleRow.subscriber_id.in_(list(subscriber_ids)),
                DeliveredArticleRow.channel == channel,
                DeliveryRow.created_at >= since,
            )
            .order_by(ArticleRow.published_at, ArticleRow.id)
        )
        records: dict[int, Article] = {}
        with self._transaction() as session:
            for subscriber_id, row in session.execute(query):
                record = records.get(row.id) or records.setdefault(row.id, article_from_row(row))
                found[subscriber_id].append(record)
        return found

    def last_delivery_times(self, subscriber_ids: Sequence[int], kind: str) -> dict[int, datetime]:
        """:meth:`last_delivery_at` for many subscribers (those with none are left out)."""
        if not subscriber_ids:
            return {}
        query = (
            select(DeliveryRow.subscriber_id, func.max(DeliveryRow.created_at))
            .where(DeliveryRow.subscriber_id.in_(list(subscriber_ids)), DeliveryRow.kind == kind)
            .group_by(DeliveryRow.subscriber_id)
        )
        with self._transaction() as session:
            return {sid: last for sid, last in session.execute(query) if last is not None}

    def queue_deliveries(
        self,
        drafts: Sequence[DeliveryDraft],
        now: datetime,
        *,
        advance: Sequence[tuple[int, datetime]] = (),
    ) -> list[int | None]:
        """:meth:`queue_delivery` for many drafts in one transaction; ids in ``drafts`` order.

        ``advance`` moves the coverage of subscribers whose empty digest is not
        sent. A draft whose key is already queued gets None and changes
        nothing. Should an article turn out to be queued already (another
        queueing run got there first), the whole batch is rolled back and
        queued draft by draft, so only the drafts in conflict are refused.
        """
        # a batch with chat/webhook rows, or without its email, takes the one-by-one path
        plain = [d for d in drafts if d.email and not d.channels]
        try:
            with self._transaction() as session:
                ids: dict[str, int | None] = dict(_insert_batch(session, plain, now))
                covered = [(d.subscriber_id, d.covered_until) for d in plain if d.key in ids]
                _advance_many(session, [*_dated(covered), *advance])
        except IntegrityError:
            return self._queue_one_by_one(drafts, now, advance)
        for draft in drafts:
            if draft.email and not draft.channels:
                continue
            ids[draft.key] = self.queue_delivery(draft, now)
        return [ids.get(draft.key) for draft in drafts]

    def _queue_one_by_one(
        self,
        drafts: Sequence[DeliveryDraft],
        now: datetime,
        advance: Sequence[tuple[int, datetime]],
    ) -> list[int | None]:
        """The slow path of a batch in conflict: each draft in its own transaction."""
        ids = [self.queue_delivery(draft, now) for draft in drafts]
        for subscriber_id, until in advance:
            self.advance_coverage(subscriber_id, until)
        return ids


def _subscriptions(session: Session, subscriber_ids: Sequence[int]) -> list[SubscriptionRow]:
    """The subscription rows of some subscribers: where their rules come from.

    The one place the batch path chooses a subscriber's rules: a filter on the
    subscription (a paused rule, say) goes on ``query`` here.
    """
    if not subscriber_ids:
        return []
    query = select(SubscriptionRow).where(SubscriptionRow.subscriber_id.in_(subscriber_ids))
    return list(session.scalars(query))


# no subscription row limits the rule (store.pauses.rule_is_live: "true when no row says otherwise")
_ALWAYS = datetime.min


def _live_since(
    session: Session, subscriber_ids: Sequence[int]
) -> dict[tuple[int, str], datetime | None]:
    """:func:`store.pauses.rule_is_live` for a page: per (subscriber, rule), None when the
    rule is paused, else the first-seen time its articles need (the last resume)."""
    query = select(
        SubscriptionRow.subscriber_id,
        SubscriptionRow.rule_id,
        SubscriptionRow.paused_at,
        SubscriptionRow.resumed_at,
    ).where(SubscriptionRow.subscriber_id.in_(list(subscriber_ids)))
    return {
        (sid, rule): None if paused is not None else (resumed or _ALWAYS)
        for sid, rule, paused, resumed in session.execute(query)
    }


def _candidates(
    session: Session, in_window: ColumnElement[bool]
) -> dict[str, list[tuple[Match, Article, tuple[datetime, datetime]]]]:
    """The matches in the window by rule, each with (first seen, matched) for the filter."""
    query = select(MatchRow, ArticleRow).join(ArticleRow, ArticleRow.id == MatchRow.article_pk)
    records: dict[int, Article] = {}
    by_rule: dict[str, list[tuple[Match, Article, tuple[datetime, datetime]]]] = {}
    for match_row, row in session.execute(query.where(in_window)):
        # one record per article, shared by every digest it goes in (cached fingerprints)
        record = records.get(row.id) or records.setdefault(row.id, article_from_row(row))
        seen = (row.first_seen_at, match_row.matched_at)
        by_rule.setdefault(match_row.rule_id, []).append((match_record(match_row), record, seen))
    return by_rule


def _delivered_pairs(
    session: Session, subscriber_ids: Sequence[int], channel: str, in_window: ColumnElement[bool]
) -> set[tuple[int, int]]:
    """(subscriber, article) pairs already queued on ``channel`` among the window's articles."""
    in_play = select(MatchRow.article_pk).join(ArticleRow, ArticleRow.id == MatchRow.article_pk)
    query = select(DeliveredArticleRow.subscriber_id, DeliveredArticleRow.article_pk).where(
        DeliveredArticleRow.subscriber_id.in_(list(subscriber_ids)),
        DeliveredArticleRow.channel == channel,
        DeliveredArticleRow.article_pk.in_(in_play.where(in_window)),
    )
    return {(sid, pk) for sid, pk in session.execute(query)}


def _insert_batch(
    session: Session, drafts: Sequence[DeliveryDraft], now: datetime
) -> dict[str, int]:
    """Insert the drafts whose key is new, and their articles; returns key -> new id."""
    taken = set(
        session.scalars(select(DeliveryRow.key).where(DeliveryRow.key.in_([d.key for d in drafts])))
    )
    fresh = [draft for draft in drafts if draft.key not in taken]
    if not fresh:
        return {}
    ids = session.scalars(
        insert(DeliveryRow).returning(DeliveryRow.id, sort_by_parameter_order=True),
        [_delivery_values(draft, now) for draft in fresh],
    ).all()
    carried = [
        {"delivery_id": i, "subscriber_id": d.subscriber_id, "channel": d.channel, "article_pk": pk}
        for d, i in zip(fresh, ids, strict=True)
        for pk in d.article_pks
    ]
    if carried:
        session.execute(insert(DeliveredArticleRow), carried)
    return {draft.key: i for draft, i in zip(fresh, ids, strict=True)}


def _delivery_values(draft: DeliveryDraft, now: datetime) -> dict[str, object]:
    return {
        "subscriber_id": draft.subscriber_id,
        "kind": draft.kind,
        "key": draft.key,
        "window_start": draft.window_start,
        "window_end": draft.window_end,
        "subject": draft.subject,
        "message": draft.message,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _dated(pairs: Sequence[tuple[int, datetime | None]]) -> list[tuple[int, datetime]]:
    return [(sid, until) for sid, until in pairs if until is not None]


def _advance_many(session: Session, pairs: Sequence[tuple[int, datetime]]) -> None:
    """Move each subscriber's ``covered_until`` forward (never back), one statement."""
    if not pairs:
        return
    statement = (
        update(SubscriberRow)
        .where(
            SubscriberRow.id == bindparam("sid"),
            or_(
                SubscriberRow.covered_until.is_(None),
                SubscriberRow.covered_until < bindparam("until"),
            ),
        )
        .values(covered_until=bindparam("until"))
    )
    # executemany on the connection: an UPDATE with a WHERE, not the ORM's by-primary-key form
    session.connection().execute(statement, [{"sid": s, "until": u} for s, u in pairs])
