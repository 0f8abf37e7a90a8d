"""Mail the web app sends itself (confirmation links) through the configured backend.

These messages are not digests and have no subscriber row yet, so they skip
the outbox: they go straight out through the same file or SMTP backend, and a
failure is shown to the visitor instead of being retried.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from alerts.mailer import Outcome, header_text, message_bytes, send_smtp, write_files
from config import Mail
from store.records import Delivery


def build_link_mail(mail: Mail, to_email: str, subject: str, body: str, now: datetime) -> bytes:
    """A short plain-text message carrying one link."""
    message = EmailMessage()
    message["Subject"] = header_text(subject)
    message["From"] = Address(header_text(mail.from_name, 100), addr_spec=mail.from_address)
    message["To"] = Address(addr_spec=to_email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=mail.from_address.rsplit("@", 1)[1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message_bytes(message)


async def send_link_mail(mail: Mail, to_email: str, raw: bytes, key: str, now: datetime) -> Outcome:
    """Send (or write) one message now; the outcome says whether it left."""
    delivery = Delivery(
        id=0,
        subscriber=to_email,
        kind="confirm",
        key=key,
        subject="",
        message=raw,
        status="pending",
        attempts=0,
        created_at=now,
    )
    outcomes: list[Outcome] = []
    if mail.backend == "file":
        write_files([delivery], Path(mail.outbox_dir), outcomes.append)
    else:
        await send_smtp([delivery], mail, outcomes.append)
    return outcomes[0]
