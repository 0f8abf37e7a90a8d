"""The suppression list: keyed hashes of addresses that must get no mail.

The store never sees the address nor the key: callers hash the normalised
address (``alerts.tokens.address_hash``) and pass the hash. A row outlives
the subscriber's own rows (no foreign key), so erasing someone's data does
not let the next config sync subscribe them again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from store.base import StoreBase
from store.models import DeliveredArticleRow, DeliveryRow, SuppressionRow
from store.records import Suppression


class SuppressionQueries(StoreBase):
    """Facade methods for the suppression list."""

    def suppress(self, address_hash: str, reason: str, now: datetime) -> bool:
        """Add a hash; False when it was already there (its first reason and time stay)."""
        try:
            with self._transaction() as session:
                if session.get(SuppressionRow, address_hash) is not None:
                    return False
                session.add(
                    SuppressionRow(address_hash=address_hash, reason=reason, created_at=now)
                )
                return True
        except IntegrityError:  # added meanwhile by another request: on the list all the same
            return False

    def suppressed(self, hashes: Iterable[str]) -> set[str]:
        """The given hashes that are on the list."""
        wanted = sorted(set(hashes))
        found: set[str] = set()
        with self._transaction() as session:
            for i in range(0, len(wanted), 500):
                query = select(SuppressionRow.address_hash).where(
                    SuppressionRow.address_hash.in_(wanted[i : i + 500])
                )
                found.update(session.scalars(query))
        return found

    def suppressions(self) -> list[Suppression]:
        """The whole list, oldest first."""
        query = select(SuppressionRow).order_by(
            SuppressionRow.created_at, SuppressionRow.address_hash
        )
        with self._transaction() as session:
            return [_record(row) for row in session.scalars(query)]

    def lift_suppression(self, address_hash: str) -> Suppression | None:
        """Remove a hash from the list; what was removed, or None if it was not there."""
        with self._transaction() as session:
            row = session.get(SuppressionRow, address_hash)
            if row is None:
                return None
            lifted = _record(row)
            session.delete(row)
            return lifted

    def discard_delivery(self, delivery_id: int) -> None:
        """Drop an unsent outbox row and its article links (its articles stay unsent)."""
        with self._transaction() as session:
            row = session.get(DeliveryRow, delivery_id)
            if row is None or row.status == "sent":
                return
            session.execute(
                delete(DeliveredArticleRow).where(DeliveredArticleRow.delivery_id == delivery_id)
            )
            session.delete(row)


def _record(row: SuppressionRow) -> Suppression:
    return Suppression(address_hash=row.address_hash, reason=row.reason, created_at=row.created_at)
