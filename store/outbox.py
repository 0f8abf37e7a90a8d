"""Subscribers and the outbox: what is owed to whom, and what was sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.articles import article_from_row
from store.base import StoreBase
from store.channels import add_channel_rows, apply_channels
from store.matches import match_record
from store.models import (
    ArticleRow,
    DeliveredArticleRow,
    DeliveryRow,
    MatchRow,
    SubscriberRow,
    SubscriptionRow,
)
from store.pauses import (
    RuleLists,
    rule_is_live,
    rule_lists,
    rule_lists_by_subscriber,
    sync_config_rules,
)
from store.records import Article, Delivery, DeliveryDraft, Match, Subscriber

ERROR_LIMIT = 2000


class OutboxQueries(StoreBase):
    """Facade methods for subscribers, subscriptions, deliveries."""

    def sync_subscribers(self, subscribers: Sequence[Subscriber], now: datetime) -> None:
        """Make the config's subscribers and their rules the stored ones (origin=config);
        a spec's ``paused_rules`` are stored paused (see :mod:`store.pauses`)."""
        with self._transaction() as session:
            existing = {
                row.email: row
                for row in session.scalars(
                    select(SubscriberRow).where(SubscriberRow.origin == "config")
                )
            }
            wanted = {spec.email.lower(): spec for spec in subscribers}
            for email, row in existing.items():
                if email not in wanted:
                    row.active = False
            for email, spec in wanted.items():
                row = existing.get(email) or session.scalar(
                    select(SubscriberRow).where(SubscriberRow.email == email)
                )
                if row is None:
                    row = SubscriberRow(email=email, origin="config", created_at=now)
                    session.add(row)
                apply_settings(row, spec)
                apply_channels(row, spec)
                row.spike_alerts = spec.spike_alerts  # config.yaml owns it (not apply_settings)
                row.active = spec.active and row.unsubscribed_at is None
                session.flush()
                rules = [*spec.rules, *spec.paused_rules]
                sync_config_rules(session, row.id, rules, spec.paused_rules, now)

    def subscribers(self, *, active_only: bool = True) -> list[Subscriber]:
        with self._transaction() as session:
            query = select(SubscriberRow).order_by(SubscriberRow.email)
            if active_only:
                query = query.where(SubscriberRow.active.is_(True))
            rows = session.scalars(query).all()
            rules = rule_lists_by_subscriber(session.scalars(select(SubscriptionRow)).all())
            return [subscriber_from_row(row, rules.get(row.id, ((), ()))) for row in rows]

    def subscriber(self, email: str) -> Subscriber | None:
        """One subscriber by email (any state), with its rules."""
        with self._transaction() as session:
            row = session.scalar(select(SubscriberRow).where(SubscriberRow.email == email.lower()))
            if row is None:
                return None
            rules = session.scalars(
                select(SubscriptionRow).where(SubscriptionRow.subscriber_id == row.id)
            ).all()
            return subscriber_from_row(row, rule_lists(rules))

    def undelivered_matches(
        self,
        subscriber_id: int,
        rule_ids: Sequence[str],
        channel: str,
        *,
        start: datetime,
        end: datetime,
    ) -> list[tuple[Match, Article]]:
        """Matches of ``rule_ids`` a subscriber has not been sent on ``channel``.

        An article qualifies when it is not backfilled, was published before
        ``end``, and either was published since ``start`` (inside the window)
        or was first seen or matched since ``start`` (published earlier, found
        late: crawled late, matched late, or matched by a rule added since).
        A rule the subscriber paused, or resumed after the article was first
        seen, brings nothing (:func:`store.pauses.rule_is_live`).
        """
        delivered = (
            select(DeliveredArticleRow.id)
            .where(
                DeliveredArticleRow.subscriber_id == subscriber_id,
                DeliveredArticleRow.channel == channel,
                DeliveredArticleRow.article_pk == ArticleRow.id,
            )
            .exists()
        )
        query = (
            select(MatchRow, ArticleRow)
            .join(ArticleRow, ArticleRow.id == MatchRow.article_pk)
            .where(
                owed_in_window(rule_ids, start=start, end=end),
                ~delivered,
                rule_is_live(subscriber_id),
            )
            .order_by(ArticleRow.published_at, ArticleRow.id, MatchRow.rule_id)
        )
        with self._transaction() as session:
            rows = session.execute(query).all()
            return [(match_record(m), article_from_row(a)) for m, a in rows]

    def delivered_since(self, subscriber_id: int, channel: str, since: datetime) -> list[Article]:
        """Articles queued for a subscriber on ``channel`` by deliveries created since ``since``."""
        query = (
            select(ArticleRow)
            .join(DeliveredArticleRow, DeliveredArticleRow.article_pk == ArticleRow.id)
            .join(DeliveryRow, DeliveryRow.id == DeliveredArticleRow.delivery_id)
            .where(
                DeliveredArticleRow.subscriber_id == subscriber_id,
                DeliveredArticleRow.channel == channel,
                DeliveryRow.created_at >= since,
            )
            .order_by(ArticleRow.published_at, ArticleRow.id)
        )
        with self._transaction() as session:
            return [article_from_row(row) for row in session.scalars(query)]

    def queue_delivery(self, draft: DeliveryDraft, now: datetime) -> int | None:
        """Record one batch (its email and channel rows) and the articles it carries.

        One transaction. Returns the first new row's id, or None when the key
        is already queued or one of the articles was already queued for this
        subscriber and channel.
        Advances the subscriber's ``covered_until`` when the draft says so.
        """
        try:
            with self._transaction() as session:
                ids: list[int] = []
                if draft.email:
                    row = DeliveryRow(
                        subscriber_id=draft.subscriber_id,
                        kind=draft.kind,
                        key=draft.key,
                        window_start=draft.window_start,
                        window_end=draft.window_end,
                        subject=draft.subject,
                        message=draft.message,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    session.add(row)
                    session.flush()
                    ids.append(row.id)
                # channels: same transaction, so a batch is queued for all its channels or none
                ids += add_channel_rows(session, draft, now)
                if not ids:
                    return None
                session.add_all(
                    DeliveredArticleRow(
                        delivery_id=ids[0],
                        subscriber_id=draft.subscriber_id,
                        channel=draft.channel,
                        article_pk=pk,
                    )
                    for pk in draft.article_pks
                )
                if draft.covered_until is not None:
                    _advance(session, draft.subscriber_id, draft.covered_until)
                session.flush()
                return ids[0]
        except IntegrityError:
            return None

    def advance_coverage(self, subscriber_id: int, until: datetime) -> None:
        """Move a subscriber's covered window forward (an empty digest not sent)."""
        with self._transaction() as session:
            _advance(session, subscriber_id, until)

    def last_delivery_at(self, subscriber_id: int, kind: str) -> datetime | None:
        """When the newest delivery of ``kind`` was queued for a subscriber."""
        with self._transaction() as session:
            return session.scalar(
                select(func.max(DeliveryRow.created_at)).where(
                    DeliveryRow.subscriber_id == subscriber_id, DeliveryRow.kind == kind
                )
            )

    def deliveries(
        self, *, status: str | None = None, subscriber: str | None = None
    ) -> list[Delivery]:
        """Outbox rows with the articles each carries, oldest first."""
        query = (
            select(DeliveryRow, SubscriberRow.email)
            .join(SubscriberRow, SubscriberRow.id == DeliveryRow.subscriber_id)
            .order_by(DeliveryRow.id)
        )
        if status:
            query = query.where(DeliveryRow.status == status)
        if subscriber:
            query = query.where(SubscriberRow.email == subscriber.lower())
        with self._transaction() as session:
            rows = session.execute(query).all()
            ids = [row.id for row, _email in rows]
            articles: dict[int, list[int]] = {}
            for i in range(0, len(ids), 500):
                pairs = session.execute(
                    select(DeliveredArticleRow.delivery_id, DeliveredArticleRow.article_pk).where(
                        DeliveredArticleRow.delivery_id.in_(ids[i : i + 500])
                    )
                ).all()
                for delivery_id, article_pk in pairs:
                    articles.setdefault(delivery_id, []).append(article_pk)
            return [
                delivery_from_row(row, email, tuple(sorted(articles.get(row.id, ()))))
                for row, email in rows
            ]

    def delivery_counts(self) -> dict[str, int]:
        """Number of outbox rows per status."""
        with self._transaction() as session:
            rows = session.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            ).all()
            return {status: int(count) for status, count in rows}


def apply_settings(row: SubscriberRow, spec: Subscriber) -> None:
    """Copy what a subscriber chooses (not identity, origin or state) onto its row."""
    row.name = spec.name
    row.language = spec.language
    row.timezone = spec.timezone
    row.frequency = spec.frequency
    row.send_time = spec.send_time
    row.weekday = spec.weekday
    row.send_empty = spec.send_empty


def subscriber_from_row(row: SubscriberRow, rules: RuleLists) -> Subscriber:
    """The record of a subscriber row; ``rules`` are its (active, paused) rule ids."""
    return Subscriber(
        id=row.id,
        email=row.email,
        rules=rules[0],
        paused_rules=rules[1],
        feed_nonce=row.feed_nonce,
        name=row.name,
        language=row.language,
        timezone=row.timezone,
        frequency=row.frequency,
        send_time=row.send_time,
        weekday=row.weekday,
        send_empty=row.send_empty,
        active=row.active,
        origin=row.origin,
        covered_until=row.covered_until,
        channels=tuple(row.channels or ()),
        email_delivery=row.email_delivery,
        spike_alerts=row.spike_alerts,
    )


def _advance(session: Session, subscriber_id: int, until: datetime) -> None:
    row = session.get_one(SubscriberRow, subscriber_id)
    if row.covered_until is None or row.covered_until < until:
        row.covered_until = until


def delivery_from_row(row: DeliveryRow, email: str, article_ids: tuple[int, ...] = ()) -> Delivery:
    return Delivery(
        id=row.id,
        subscriber=email,
        kind=row.kind,
        key=row.key,
        subject=row.subject,
        message=row.message,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        created_at=row.created_at,
        window_start=row.window_start,
        window_end=row.window_end,
        article_ids=article_ids,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        smtp_reply=row.smtp_reply,
        channel=row.channel,
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
    )


def owed_in_window(
    rule_ids: Sequence[str], *, start: datetime, end: datetime
) -> ColumnElement[bool]:
    """What a window owes: matches of ``rule_ids`` whose article is not backfilled,
    published before ``end``, and published, first seen or matched since ``start``
    (joins matches and articles; the per-subscriber and the batch path share it)."""
    return and_(
        MatchRow.rule_id.in_(list(rule_ids)),
        ArticleRow.backfill.is_(False),
        ArticleRow.published_at < end,
        or_(
            ArticleRow.published_at >= start,
            ArticleRow.first_seen_at >= start,
            MatchRow.matched_at >= start,
        ),
    )
