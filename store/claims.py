"""Sending an outbox row: claim it for one sender, record what the server said.

A claim names its sender (``claimed_by``) and lasts until ``claimed_until``.
Senders renew the lease while they send, release what they still hold when
they stop, and a sender that dies leaves its rows to others once the lease
ends. The marks are one UPDATE each on a pooled connection, no ORM session:
they run once per message, from several SMTP connections at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from store.base import StoreBase
from store.models import DeliveryRow, SubscriberRow
from store.outbox import ERROR_LIMIT, delivery_from_row
from store.records import Delivery


class ClaimQueries(StoreBase):
    """Facade methods that take outbox rows for sending and record their outcome."""

    def claim_deliveries(
        self, now: datetime, *, limit: int, lease: timedelta, owner: str | None = None
    ) -> list[Delivery]:
        """Take up to ``limit`` due pending rows for ``owner``, leased until ``now + lease``.

        PostgreSQL senders skip rows another sender holds (SKIP LOCKED); the
        compare-and-set update (RETURNING the rows it took) makes the claim safe
        on SQLite too. A sender that stops cleanly releases its rows
        (:meth:`release_claims`); one that dies leaves them until the lease ends.
        """
        query = (
            select(DeliveryRow, SubscriberRow.email)
            .join(SubscriberRow, SubscriberRow.id == DeliveryRow.subscriber_id)
            .where(_claimable(now))
            .order_by(DeliveryRow.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            query = query.with_for_update(of=DeliveryRow, skip_locked=True)
        with self._transaction() as session:
            rows = session.execute(query).all()
            if not rows:
                return []
            taken = set(
                session.scalars(
                    update(DeliveryRow)
                    .where(DeliveryRow.id.in_([row.id for row, _ in rows]), _claimable(now))
                    .values(claimed_by=owner, claimed_until=now + lease)
                    .returning(DeliveryRow.id)
                    .execution_options(synchronize_session=False)
                )
            )
            return [delivery_from_row(row, email) for row, email in rows if row.id in taken]

    def renew_claims(self, owner: str, until: datetime) -> int:
        """Extend the lease on every unsent row ``owner`` holds; returns how many."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(DeliveryRow)
                .where(DeliveryRow.claimed_by == owner, DeliveryRow.status == "pending")
                .values(claimed_until=until)
            )
            return int(result.rowcount)

    def release_claims(self, owner: str) -> int:
        """Hand back every unsent row ``owner`` holds, claimable at once; returns how many."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(DeliveryRow)
                .where(DeliveryRow.claimed_by == owner, DeliveryRow.status == "pending")
                .values(claimed_by=None, claimed_until=None)
            )
            return int(result.rowcount)

    def mark_sent(self, delivery_id: int, now: datetime, reply: str) -> None:
        """Record the server's acceptance: one UPDATE on a pooled connection, no ORM
        session (this runs once per message sent, from several connections at once)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="sent",
                    sent_at=now,
                    smtp_reply=reply[:ERROR_LIMIT],
                    attempts=DeliveryRow.attempts + 1,
                    next_attempt_at=None,
                    claimed_by=None,
                    claimed_until=None,
                )
            )

    def mark_retry(
        self, delivery_id: int, error: str, next_attempt_at: datetime, *, attempted: bool = True
    ) -> int:
        """Keep a row pending until ``next_attempt_at``, unclaimed; returns its attempt count."""
        with self.engine.begin() as connection:
            attempts = connection.scalar(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    last_error=error[:ERROR_LIMIT],
                    next_attempt_at=next_attempt_at,
                    attempts=DeliveryRow.attempts + (1 if attempted else 0),
                    claimed_by=None,
                    claimed_until=None,
                )
                .returning(DeliveryRow.attempts)
            )
            return int(attempts or 0)

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="failed",
                    last_error=error[:ERROR_LIMIT],
                    attempts=DeliveryRow.attempts + 1,
                    next_attempt_at=None,
                    claimed_by=None,
                    claimed_until=None,
                )
            )

    def claim_holders(self, now: datetime) -> dict[str, int]:
        """Unsent rows per sender holding them, leases still running at ``now``."""
        query = (
            select(DeliveryRow.claimed_by, func.count())
            .where(
                DeliveryRow.status == "pending",
                DeliveryRow.claimed_by.is_not(None),
                DeliveryRow.claimed_until > now,
            )
            .group_by(DeliveryRow.claimed_by)
        )
        with self._transaction() as session:
            return {str(owner): int(count) for owner, count in session.execute(query).all()}


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Pending, due, and held by no sender (or its lease has ended)."""
    return and_(
        DeliveryRow.status == "pending",
        or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now),
        or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until <= now),
    )
