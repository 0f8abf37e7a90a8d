"""Spike alerts' store side: who asked for them, and which alert keys are queued."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select

from store.base import StoreBase
from store.models import DeliveryRow, SubscriberRow, SubscriptionRow, TrendCountRow
from store.outbox import subscriber_from_row
from store.pauses import rule_lists_by_subscriber
from store.records import Subscriber

KEYS_PER_QUERY = 500


class SpikeQueries(StoreBase):
    """Facade methods of the spike alert job and the manage page's toggle."""

    def set_spike_alerts(self, email: str, wanted: bool) -> bool:
        """Turn a subscriber's spike alerts on or off; False when there is no such subscriber."""
        with self._transaction() as session:
            row = session.scalar(select(SubscriberRow).where(SubscriberRow.email == email.lower()))
            if row is None:
                return False
            row.spike_alerts = wanted
            return True

    def spike_subscribers(self) -> list[Subscriber]:
        """The active subscribers who asked for spike alerts, with their rules (email order)."""
        query = (
            select(SubscriberRow)
            .where(SubscriberRow.active.is_(True), SubscriberRow.spike_alerts.is_(True))
            .order_by(SubscriberRow.email)
        )
        with self._transaction() as session:
            rows = session.scalars(query).all()
            ids = [row.id for row in rows]
            subscriptions: list[SubscriptionRow] = []
            for i in range(0, len(ids), KEYS_PER_QUERY):
                part = ids[i : i + KEYS_PER_QUERY]
                found = select(SubscriptionRow).where(SubscriptionRow.subscriber_id.in_(part))
                subscriptions.extend(session.scalars(found))
            rules = rule_lists_by_subscriber(subscriptions)
            return [subscriber_from_row(row, rules.get(row.id, ((), ()))) for row in rows]

    def queued_keys(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` already in the outbox (any status): never rendered twice."""
        found: set[str] = set()
        with self._transaction() as session:
            for i in range(0, len(keys), KEYS_PER_QUERY):
                part = list(keys[i : i + KEYS_PER_QUERY])
                found.update(
                    session.scalars(select(DeliveryRow.key).where(DeliveryRow.key.in_(part)))
                )
        return found

    def first_counted_days(self, rule_ids: Sequence[str]) -> dict[str, date]:
        """Each rule's first local day with a counted article (rules with none left out):
        where its history starts, so a rule added last week has no zeros before it."""
        found: dict[str, date] = {}
        with self._transaction() as session:
            for i in range(0, len(rule_ids), KEYS_PER_QUERY):
                query = (
                    select(TrendCountRow.key, func.min(TrendCountRow.day))
                    .where(
                        TrendCountRow.kind == "rule",
                        TrendCountRow.key.in_(list(rule_ids[i : i + KEYS_PER_QUERY])),
                        TrendCountRow.articles > 0,
                    )
                    .group_by(TrendCountRow.key)
                )
                found.update({key: day for key, day in session.execute(query)})
        return found
