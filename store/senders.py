"""Sending processes: each `vnawatch worker` (and the scheduler) leaves a heartbeat row.

Only `vnawatch status` reads them, to show which senders are alive; the
claims themselves (``deliveries.claimed_by``) never depend on this table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from store.base import StoreBase
from store.models import SenderRow
from store.records import SenderState


class SenderQueries(StoreBase):
    """Facade methods for the ``senders`` table."""

    def record_sender(
        self, name: str, kind: str, now: datetime, *, sent: int, stopped: bool = False
    ) -> None:
        """Create or refresh a sender's row: its heartbeat and how many it has sent."""
        with self._transaction() as session:
            row = session.get(SenderRow, name)
            if row is None:
                row = SenderRow(name=name, kind=kind, started_at=now, seen_at=now, sent=0)
                session.add(row)
            row.seen_at = now
            row.sent = sent
            row.stopped_at = now if stopped else None

    def senders(self, since: datetime) -> list[SenderState]:
        """Senders seen since ``since``, by name."""
        query = select(SenderRow).where(SenderRow.seen_at >= since).order_by(SenderRow.name)
        with self._transaction() as session:
            return [
                SenderState(
                    name=row.name,
                    kind=row.kind,
                    started_at=row.started_at,
                    seen_at=row.seen_at,
                    stopped_at=row.stopped_at,
                    sent=row.sent,
                )
                for row in session.scalars(query)
            ]

    def forget_senders(self, before: datetime) -> int:
        """Drop the rows of senders not seen since ``before`` (housekeeping)."""
        with self._transaction() as session:
            result = session.execute(delete(SenderRow).where(SenderRow.seen_at < before))
            return int(result.rowcount)  # type: ignore[attr-defined]
