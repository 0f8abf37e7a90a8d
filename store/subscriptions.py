"""Web subscriptions: subscribers who signed up on the web app and their own rules.

They live in the same tables as config.yaml's subscribers (``origin="web"``);
their rules are rows of ``subscriptions`` that carry a query and a name,
with ids derived from the query so an unchanged rule keeps its matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.base import StoreBase
from store.models import (
    DeliveredArticleRow,
    DeliveryRow,
    MatchRow,
    SubscriberRow,
    SubscriptionRow,
)
from store.outbox import apply_settings, subscriber_from_row
from store.pauses import rule_lists
from store.records import StoredRule, Subscriber
from store.trends import forget_rule_trends

WEB_ORIGIN = "web"


def stored_rule_id(subscriber_id: int, query: str) -> str:
    """``w<subscriber id>_<12 hex of the query's SHA-256>``: stable while the query is."""
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]
    return f"w{subscriber_id}_{digest}"


class SubscriptionQueries(StoreBase):
    """Facade methods for the web app's subscribers and their stored rules."""

    def stored_rules(self) -> list[StoredRule]:
        """Every rule kept in the database (web subscribers' own queries), by id."""
        query = (
            select(SubscriptionRow)
            .where(SubscriptionRow.query.is_not(None))
            .order_by(SubscriptionRow.rule_id)
        )
        with self._transaction() as session:
            rows = session.scalars(query).all()
            seen: dict[str, StoredRule] = {}
            for row in rows:
                seen.setdefault(row.rule_id, _stored(row))
            return list(seen.values())

    def subscriber_rules(self, email: str) -> list[StoredRule]:
        """One subscriber's rules; a config.yaml rule id comes with an empty query."""
        with self._transaction() as session:
            row = _by_email(session, email)
            if row is None:
                return []
            rows = session.scalars(
                select(SubscriptionRow)
                .where(SubscriptionRow.subscriber_id == row.id)
                .order_by(SubscriptionRow.id)
            ).all()
            return [_stored(r) for r in rows]

    def save_web_subscriber(
        self, spec: Subscriber, rules: Sequence[tuple[str, str]], now: datetime
    ) -> Subscriber:
        """Create or update a web subscriber with ``rules`` as (name, query) pairs.

        Clears an earlier unsubscribe: saving means the address owner confirmed.
        """
        with self._transaction() as session:
            row = _by_email(session, spec.email)
            if row is None:
                row = SubscriberRow(email=spec.email.lower(), origin=WEB_ORIGIN, created_at=now)
                session.add(row)
            apply_settings(row, spec)
            row.active = spec.active
            row.unsubscribed_at = None
            session.flush()
            _replace_rules(session, row.id, rules)
            return _record(session, row)

    def set_subscriber_active(self, email: str, active: bool) -> bool:
        """Pause or resume; False when no such subscriber."""
        with self._transaction() as session:
            row = _by_email(session, email)
            if row is None:
                return False
            row.active = active
            if active:  # the address owner's own choice, through their signed link
                row.unsubscribed_at = None
            else:
                _drop_pending(session, row.id)
            return True

    def unsubscribe(self, email: str, now: datetime) -> bool:
        """Stop all mail to ``email`` now: inactive, pending mail dropped; False if unknown."""
        with self._transaction() as session:
            row = _by_email(session, email)
            if row is None:
                return False
            row.active = False
            row.unsubscribed_at = row.unsubscribed_at or now
            _drop_pending(session, row.id)
            return True

    def forget_unsubscribe(self, email: str) -> bool:
        """Clear the unsubscribe mark (an operator lifted the suppression); False if unknown.

        A config subscriber is active again at the next config sync; a web
        subscriber stays paused until they resume from their manage link.
        """
        with self._transaction() as session:
            row = _by_email(session, email)
            if row is None:
                return False
            row.unsubscribed_at = None
            return True

    def delete_subscriber(self, email: str) -> bool:
        """Erase a subscriber, their rules, their rules' matches and their mail history."""
        with self._transaction() as session:
            row = _by_email(session, email)
            if row is None:
                return False
            own = session.scalars(
                select(SubscriptionRow.rule_id).where(
                    SubscriptionRow.subscriber_id == row.id, SubscriptionRow.query.is_not(None)
                )
            ).all()
            if own:
                session.execute(delete(MatchRow).where(MatchRow.rule_id.in_(list(own))))
                forget_rule_trends(session, own)
            session.execute(
                delete(DeliveredArticleRow).where(DeliveredArticleRow.subscriber_id == row.id)
            )
            session.execute(delete(DeliveryRow).where(DeliveryRow.subscriber_id == row.id))
            session.execute(delete(SubscriptionRow).where(SubscriptionRow.subscriber_id == row.id))
            session.delete(row)
            return True


def _by_email(session: Session, email: str) -> SubscriberRow | None:
    return session.scalar(select(SubscriberRow).where(SubscriberRow.email == email.lower()))


def _replace_rules(session: Session, subscriber_id: int, rules: Sequence[tuple[str, str]]) -> None:
    """Make ``rules`` the subscriber's; a rule kept (same query) keeps its pause state."""
    old = {
        row.rule_id: row
        for row in session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.subscriber_id == subscriber_id)
        )
    }
    session.execute(delete(SubscriptionRow).where(SubscriptionRow.subscriber_id == subscriber_id))
    session.flush()
    seen: set[str] = set()
    for name, query in rules:
        rule_id = stored_rule_id(subscriber_id, query)
        if rule_id in seen:
            continue
        seen.add(rule_id)
        kept = old.get(rule_id)
        session.add(
            SubscriptionRow(
                subscriber_id=subscriber_id,
                rule_id=rule_id,
                query=query,
                name=name,
                paused_at=kept.paused_at if kept else None,
                resumed_at=kept.resumed_at if kept else None,
            )
        )
    session.flush()


def _drop_pending(session: Session, subscriber_id: int) -> None:
    """Pending mail is not sent after a pause or an unsubscribe (its articles stay unsent)."""
    pending = select(DeliveryRow.id).where(
        DeliveryRow.subscriber_id == subscriber_id, DeliveryRow.status == "pending"
    )
    ids = list(session.scalars(pending))
    if ids:
        session.execute(delete(DeliveredArticleRow).where(DeliveredArticleRow.delivery_id.in_(ids)))
        session.execute(delete(DeliveryRow).where(DeliveryRow.id.in_(ids)))


def _stored(row: SubscriptionRow) -> StoredRule:
    return StoredRule(
        rule_id=row.rule_id,
        name=row.name or row.rule_id,
        query=row.query or "",
        paused=row.paused_at is not None,
    )


def _record(session: Session, row: SubscriberRow) -> Subscriber:
    rules = session.scalars(
        select(SubscriptionRow).where(SubscriptionRow.subscriber_id == row.id)
    ).all()
    return subscriber_from_row(row, rule_lists(rules))
