"""Fill the outbox with rendered rows directly, for the sender tests and bench/workers.py.

Generation is not what these measure, so the rows are written in bulk:
one inactive subscriber per row (the scheduler's queueing leaves inactive
ones alone) and one multipart message each, with its own Message-ID and
recipient. :func:`message_ids` reads the Message-IDs back from what an SMTP
server received, to count each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage

from sqlalchemy import insert, select

from store import Store
from store.models import DeliveryRow, SubscriberRow

DOMAIN = "vnawatch.example"
TO_SLOT = "to-slot@slot.invalid"
ID_SLOT = "id-slot@slot.invalid"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.MULTILINE | re.IGNORECASE)
PARAGRAPH = (
    "Hanoï (VNA) – Le secrétaire général Tô Lâm a reçu une délégation venue parler de "
    "coopération économique, culturelle et de la mer Orientale. "
)


def template(size: int = 12_000) -> bytes:
    """A digest-sized multipart message with a recipient and a Message-ID to fill in."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = "[Veille VNA] 5 articles — Tô Lâm"
    message["From"] = f"Veille VNA <veille@{DOMAIN}>"
    message["To"] = TO_SLOT
    message["Message-ID"] = f"<{ID_SLOT}>"
    text = PARAGRAPH * (size // 2 // len(PARAGRAPH) + 1)
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(f"<html><body><p>{text}</p></body></html>", subtype="html")
    return message.as_bytes()


def fill_outbox(store: Store, count: int, now: datetime, *, prefix: str = "w") -> list[str]:
    """``count`` pending digests due at ``now``; returns their Message-IDs."""
    raw = template()
    emails = [f"{prefix}{i:06d}@example.org" for i in range(count)]
    with store.engine.begin() as connection:
        connection.execute(
            insert(SubscriberRow),
            [
                {
                    "email": email,
                    "timezone": "Asia/Ho_Chi_Minh",
                    "frequency": "daily",
                    "send_time": "07:00",
                    "origin": "web",
                    "active": False,
                    "created_at": now,
                }
                for email in emails
            ],
        )
        ids = dict(
            connection.execute(
                select(SubscriberRow.email, SubscriberRow.id).where(SubscriberRow.email.in_(emails))
            ).all()
        )
        keys = [f"{prefix}-{i:06d}" for i in range(count)]
        rows = [
            {
                "subscriber_id": ids[email],
                "kind": "daily",
                "key": key,
                "subject": "[Veille VNA] 5 articles — Tô Lâm",
                "message": raw.replace(TO_SLOT.encode(), email.encode()).replace(
                    ID_SLOT.encode(), f"{key}@{DOMAIN}".encode()
                ),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now - timedelta(seconds=1),
                "created_at": now,
            }
            for email, key in zip(emails, keys, strict=True)
        ]
        for start in range(0, len(rows), 1000):
            connection.execute(insert(DeliveryRow), rows[start : start + 1000])
    return [f"{key}@{DOMAIN}" for key in keys]


def message_ids(messages: Iterable[bytes]) -> list[str]:
    """The Message-ID of each raw message, in order (one per message)."""
    found: list[str] = []
    for raw in messages:
        match = _MESSAGE_ID.search(raw)
        found.append(match.group(1).decode() if match else "")
    return found
