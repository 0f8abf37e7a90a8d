"""Channel stage: a digest or alert -> short chat/webhook messages; outbox rows -> Apprise.

A subscriber's ``channels`` are Apprise URLs (``tgram://…``, ``slack://…``,
``json://host/path``): Apprise speaks to every service, nothing here knows one.
:func:`channel_messages` builds, when a batch is queued, one plain-text
message per channel: an alert lists each article (title, outlet, time,
snippet, link); a digest gives the count, the top titles and a link to its
web page (``/digest/<token>``, :mod:`web.digests`). An alert with more
articles than it lists links to the same page of its batch for the rest.

:func:`send_channel_rows` sends the claimed channel rows of the outbox and
reports each outcome like the mailer does, so the same recorder commits it
at once (at most the one notification in flight is sent twice after a
crash). A failed notification is retried with the outbox's backoff and
marked failed after ``channels.max_attempts`` attempts. The URLs are secrets:
Apprise's and urllib3's log records are redacted while a notification is
sent, and errors are stored redacted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from textwrap import shorten

import apprise

from alerts.digest import Digest, Entry, digest_subject, snippet_text
from alerts.labels import Formatter, counted
from alerts.mailer import Outcome, digest_url
from alerts.tokens import secret_key
from config import Config, redact_channel, redact_secrets, redacted_logs
from store.records import ChannelMessage, Delivery, DeliveryDraft

logger = logging.getLogger(__name__)

ALERT_ENTRIES = 5
DIGEST_TITLES = 10
SNIPPET_CHARS = 280
TITLE_CHARS = 200

LABELS = {
    "fr": {
        "more": "… et {n} autre : {url}|… et {n} autres : {url}",
        "digest": "Tous les articles : {url}",
    },
    "en": {
        "more": "… and {n} more: {url}",
        "digest": "All the articles: {url}",
    },
}


# --- building ---------------------------------------------------------------


def with_channels(draft: DeliveryDraft, config: Config, digest: Digest) -> DeliveryDraft:
    """``draft`` with one message per channel of its subscriber, and without its email
    when the subscriber chose channels only."""
    subscriber = digest.subscriber
    if not subscriber.channels:
        return draft
    # the batch's own page: it lists exactly what this message summarises
    link = digest_url(config.mail, subscriber.email, draft.key, secret_key())
    messages = channel_messages(
        digest, brand=config.mail.from_name, link=link, channels=subscriber.channels
    )
    return replace(draft, email=subscriber.email_delivery, channels=messages)


def channel_messages(
    digest: Digest, *, brand: str, link: str, channels: Sequence[str]
) -> tuple[ChannelMessage, ...]:
    """One message per channel URL for ``digest`` (the same text for each)."""
    if not channels:
        return ()
    fmt = Formatter(digest.subscriber.language, digest.subscriber.timezone)
    title = digest_subject(digest, brand, fmt)
    text = alert_text if digest.kind == "alert" else digest_text
    body = text(digest, fmt, link)
    return tuple(ChannelMessage(url=url, title=title, body=body) for url in channels)


def alert_text(digest: Digest, fmt: Formatter, link: str) -> str:
    """Each new article: title, outlet and time, snippet, link; a link to the rest."""
    entries = digest.entries
    blocks = [_entry_text(entry, fmt) for entry in entries[:ALERT_ENTRIES]]
    if len(entries) > ALERT_ENTRIES:
        labels = LABELS.get(fmt.locale, LABELS["fr"])
        more = len(entries) - ALERT_ENTRIES
        blocks.append(counted(labels["more"], more, fmt.locale, url=link))
    return "\n\n".join(blocks)


def _entry_text(entry: Entry, fmt: Formatter) -> str:
    article = entry.article
    lines = [
        shorten(article.title, TITLE_CHARS, placeholder=" …"),
        f"{entry.source_name} · {fmt.published(article)}",
        shorten(snippet_text(entry.snippet), SNIPPET_CHARS, placeholder=" …"),
        article.url,
    ]
    return "\n".join(line for line in lines if line.strip())


def digest_text(digest: Digest, fmt: Formatter, link: str) -> str:
    """The count and window, the top titles with their outlet, and the link to the rest."""
    labels = LABELS.get(fmt.locale, LABELS["fr"])
    head = fmt.count(digest.count)
    if digest.window is not None:
        head = f"{head} — {fmt.window(digest.window)}"
    entries = digest.entries
    titles = [
        f"• {shorten(e.article.title, TITLE_CHARS, placeholder=' …')} ({e.source_name})"
        for e in entries[:DIGEST_TITLES]
    ]
    if len(entries) > DIGEST_TITLES:
        titles.append(f"• … (+{len(entries) - DIGEST_TITLES})")
    return "\n".join([head, "", *titles, "", labels["digest"].format(url=link)])


# --- sending ----------------------------------------------------------------


def split_channel_rows(batch: Sequence[Delivery]) -> tuple[list[Delivery], list[Delivery]]:
    """(email rows, channel rows) of a claimed batch."""
    emails = [delivery for delivery in batch if delivery.is_email]
    return emails, [delivery for delivery in batch if not delivery.is_email]


def send_channel_rows(
    rows: Sequence[Delivery], config: Config, record: Callable[[Outcome], None]
) -> None:
    """Notify each channel row through Apprise, reporting each outcome as it is known."""
    for delivery in rows:
        try:
            outcome = notify(delivery, config)
        except Exception as exc:  # one row's boundary; its text may hold the URL: redacted
            reason = redact_secrets(f"{type(exc).__name__}: {exc}", [delivery.channel])
            logger.warning("channel notification raised id=%s error=%s", delivery.id, reason)
            outcome = unsent(delivery, config, reason)
        record(outcome)


def notify(delivery: Delivery, config: Config) -> Outcome:
    """Send one channel row through Apprise; what to record about it."""
    url = delivery.channel
    label = redact_channel(url)
    notifier = apprise.Apprise()
    with redacted_logs([url]):  # Apprise logs the whole URL when it loads it
        if not notifier.add(url):
            return Outcome(delivery, "failed", f"Apprise does not recognise the channel {label}")
        result = notifier.notify(
            body=delivery.message.decode("utf-8"),
            title=delivery.subject,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=config.channels.timeout_seconds,
        )
    if result:
        logger.info("channel notified id=%s channel=%s", delivery.id, label)
        return Outcome(delivery, "sent", f"accepted by {label}")
    problems = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    reason = redact_secrets("; ".join(problems) or f"Apprise status {result.status.name}", [url])
    return unsent(delivery, config, f"{label}: {reason}")


def unsent(delivery: Delivery, config: Config, reason: str) -> Outcome:
    """Retry later, or ``failed`` once this attempt reaches ``channels.max_attempts``."""
    attempts = delivery.attempts + 1
    if attempts >= config.channels.max_attempts:
        return Outcome(delivery, "failed", f"{reason} (after {attempts} attempts)")
    return Outcome(delivery, "retry", reason)
