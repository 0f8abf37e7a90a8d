"""Chat and webhook channels: a subscriber's Apprise URLs and their outbox rows.

A channel notification is an outbox row like an email (``deliveries.channel``
holds the Apprise URL instead of ``"email"``), so it shares the claim, the
lease, the retry backoff and the exactly-once key. A batch's channel rows are
inserted in the transaction that queues its email (:func:`add_channel_rows`),
keyed ``<batch key>-ch<fingerprint>``: one row per (subscriber, channel, batch).
The URLs are secrets: nothing here logs them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.base import StoreBase
from store.models import DeliveryRow, SubscriberRow
from store.records import DeliveryDraft, Subscriber

# the email key is at most 200 characters: the channel suffix takes the last 12
KEY_ROOM = 188


def channel_key(batch_key: str, url: str) -> str:
    """The outbox key of ``url``'s row in a batch (unique per subscriber, channel, batch)."""
    fingerprint = hashlib.sha256(url.encode("utf-8")).hexdigest()[:9]
    return f"{channel_key_prefix(batch_key)}{fingerprint}"


def channel_key_prefix(batch_key: str) -> str:
    """What the keys of a batch's channel rows start with."""
    return f"{batch_key[:KEY_ROOM]}-ch"


def add_channel_rows(session: Session, draft: DeliveryDraft, now: datetime) -> list[int]:
    """Insert one pending row per channel message of ``draft``; their ids, in order."""
    rows = [
        DeliveryRow(
            subscriber_id=draft.subscriber_id,
            kind=draft.kind,
            key=channel_key(draft.key, message.url),
            window_start=draft.window_start,
            window_end=draft.window_end,
            subject=message.title,
            message=message.body.encode("utf-8"),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            channel=message.url,
        )
        for message in draft.channels
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def apply_channels(row: SubscriberRow, spec: Subscriber) -> None:
    """Copy a subscriber's channels and email choice onto its row (config.yaml's sync)."""
    row.channels = list(spec.channels)
    row.email_delivery = spec.email_delivery or not spec.channels


class ChannelQueries(StoreBase):
    """Facade methods for a subscriber's channels (the web manage page)."""

    def set_channels(self, email: str, channels: Sequence[str], *, email_delivery: bool) -> bool:
        """Replace a subscriber's channels; email stays on when no channel is left.

        Returns False when there is no such subscriber.
        """
        with self._transaction() as session:
            row = session.scalar(select(SubscriberRow).where(SubscriberRow.email == email.lower()))
            if row is None:
                return False
            row.channels = list(dict.fromkeys(channels))
            row.email_delivery = email_delivery or not row.channels
            return True
