"""The full render: a digest -> its email's bytes -> the outbox draft.

What every path starts from: previews, the per-subscriber baseline, and the
queue jobs for what cannot be personalised from a cached rendering
(:mod:`alerts.rendering`). :func:`personal_values` lists what differs between
two subscribers' copies of one digest: the one place to add a personal value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from alerts.channels import with_channels
from alerts.digest import Digest, Rendered, render_digest
from alerts.mailer import (
    build_message,
    digest_url,
    feed_url,
    manage_url,
    message_bytes,
    safe_key,
    unsubscribe_url,
)
from alerts.personalise import NAME
from alerts.tokens import secret_key
from config import Config
from store.records import DeliveryDraft, Subscriber


def personal_values(
    config: Config, subscriber: Subscriber, key: str, secret: bytes, *, web_page: bool = True
) -> dict[str, str]:
    """What differs between two subscribers' copies of one digest: the name and the links
    (the template variables besides ``name``). ``key`` is the batch's outbox key, which
    the link to the batch's web page signs (``web_page``: a preview is never queued, so
    it has none)."""
    mail = config.mail
    nonce = subscriber.feed_nonce
    return {
        NAME: subscriber.name,
        "unsubscribe_url": unsubscribe_url(mail, subscriber.email, secret),
        "manage_url": manage_url(mail, subscriber.email, secret),
        "feed_url": feed_url(mail, subscriber.email, nonce, secret) if nonce else "",
        "web_url": digest_url(mail, subscriber.email, key, secret) if web_page else "",
    }


def render_parts(config: Config, digest: Digest, links: Mapping[str, str]) -> Rendered:
    """Subject, text and HTML of ``digest`` with ``links`` (the personal values but the name,
    which the template reads from ``digest.subscriber``)."""
    return render_digest(digest, brand=config.mail.from_name, **links)


def render_message(
    config: Config, digest: Digest, key: str, now: datetime, *, web_page: bool = True
) -> tuple[str, bytes]:
    """The subject and wire bytes of a digest's email, rendered in full; ``web_page``: the
    footer links to the batch's page."""
    secret = secret_key()
    subscriber = digest.subscriber
    values = personal_values(config, subscriber, key, secret, web_page=web_page)
    rendered = render_parts(config, digest, {k: v for k, v in values.items() if k != NAME})
    message = build_message(
        rendered,
        mail=config.mail,
        to_email=subscriber.email,
        to_name=subscriber.name,
        key=key,
        list_name="alerts" if digest.kind == "alert" else "digest",
        now=now,
        secret=secret,
    )
    return str(message["Subject"]), message_bytes(message)


def delivery_key(
    subscriber: Subscriber, kind: str, moment: datetime, *, batch: int | None = None
) -> str:
    """Unique per (subscriber, kind, window end or alert time[, batch]); a valid file name."""
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-a{batch}" if batch is not None else ""
    return safe_key(f"{kind}-{stamp}-{subscriber.id}-{subscriber.email}{suffix}")


def draft(
    config: Config,
    digest: Digest,
    key: str,
    now: datetime,
    *,
    channel: str,
    covered_until: datetime | None = None,
) -> DeliveryDraft:
    """The outbox row of a digest, rendered in full."""
    subject, raw = render_message(config, digest, key, now)
    window = digest.window
    # channels hook: the batch also gets one chat/webhook row per channel of the subscriber
    made = DeliveryDraft(
        subscriber_id=digest.subscriber.id or 0,
        kind=digest.kind,
        channel=channel,
        key=key,
        subject=subject,
        message=raw,
        article_pks=digest.article_pks,
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        covered_until=covered_until,
    )
    return with_channels(made, config, digest)
