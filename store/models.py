"""Tables (SQLAlchemy 2.x typed mappings). Only ``store`` imports this module.

Timestamps are stored as UTC; ``published_at`` also keeps the offset the
outlet gave (``published_offset_minutes``) so exports show ``+07:00``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")


def new_feed_nonce() -> str:
    """A fresh random value for a subscriber's feed links (16 hex characters)."""
    return secrets.token_hex(8)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source", "article_id", name="uq_articles_source_article_id"),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_first_seen_at", "first_seen_at"),
        Index("ix_articles_matched_at", "matched_at"),
        Index("ix_articles_story_key", "story_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    captions: Mapped[list[str]] = mapped_column(JSON, default=list)
    section: Mapped[str | None] = mapped_column(String(200))
    credit: Mapped[str | None] = mapped_column(String(100))
    dateline: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_offset_minutes: Mapped[int] = mapped_column(Integer, default=420)
    # False when the page gave a day and no time (Le Vietnam Illustré's 04/12/2026)
    published_time_known: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    extraction: Mapped[str] = mapped_column(String(16), default="ok")
    extraction_note: Mapped[str] = mapped_column(Text, default="")
    story_key: Mapped[str | None] = mapped_column(String(64))
    # backfilled articles are stored but never delivered
    backfill: Mapped[bool] = mapped_column(default=False)
    matched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MatchRow(Base):
    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("article_pk", "rule_id", name="uq_matches_article_pk_rule_id"),
        Index("ix_matches_rule_id", "rule_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_pk: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64))
    zones: Mapped[list[str]] = mapped_column(JSON)
    alias: Mapped[str] = mapped_column(Text)
    spans: Mapped[list[list[object]]] = mapped_column(JSON)
    snippet: Mapped[str] = mapped_column(Text)
    snippet_highlights: Mapped[list[list[int]]] = mapped_column(JSON)
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubscriberRow(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    timezone: Mapped[str] = mapped_column(String(64))
    frequency: Mapped[str] = mapped_column(String(16))
    send_time: Mapped[str] = mapped_column(String(5))
    weekday: Mapped[str] = mapped_column(String(10), default="monday")
    origin: Mapped[str] = mapped_column(String(16), default="config")
    active: Mapped[bool] = mapped_column(default=True)
    send_empty: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # end of the publication window the last digest covered
    covered_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # set by the unsubscribe link; config.yaml's sync does not reactivate the row
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # signed into the feed links; a new value ("new feed link") revokes the old links
    feed_nonce: Mapped[str] = mapped_column(String(32), default=lambda: new_feed_nonce())
    # Apprise URLs (secrets) notified beside email, or instead of it
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    email_delivery: Mapped[bool] = mapped_column(default=True)
    # told when one of their rules is far above its usual level (alerts.spikes)
    spike_alerts: Mapped[bool] = mapped_column(default=False)


class SuppressionRow(Base):
    """An address that gets no mail: only its keyed hash, and when and why.

    No foreign key and no address, so deleting a subscriber's data keeps it.
    """

    __tablename__ = "suppressions"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "rule_id", name="uq_subscriptions_subscriber_id_rule"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64))
    # a web subscriber's own rule: its query and name (None: a config.yaml rule id)
    query: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    # the subscriber paused this rule (None: active); its matches are not delivered
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # the last resume: articles first seen before it are never delivered for this rule
    resumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryRow(Base):
    """The outbox: one row per email or channel notification, unique per key.

    A batch (a digest's window, an alert) is one row per channel of the
    subscriber; the articles it carries hang off the first row queued.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deliveries_key"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # the queueing path's "last alert sent" per subscriber
        Index("ix_deliveries_subscriber_id_kind", "subscriber_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    # "email", or the Apprise URL this row notifies (a secret, needed to send)
    channel: Mapped[str] = mapped_column(Text, default="email")
    # the sender (worker or scheduler) holding the row, until its lease ends;
    # a clean stop clears both at once, a crash leaves them to expire
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveredArticleRow(Base):
    """Which articles a subscriber has been sent, so none is queued twice per channel."""

    __tablename__ = "delivered_articles"
    __table_args__ = (
        UniqueConstraint(
            "subscriber_id", "channel", "article_pk", name="uq_delivered_articles_subscriber"
        ),
        # a delivery's articles (the outbox listing; a cascade on delete)
        Index("ix_delivered_articles_delivery_id", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    article_pk: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))


class SourceStateRow(Base):
    __tablename__ = "source_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_new_articles: Mapped[int] = mapped_column(Integer, default=0)
    last_not_modified: Mapped[int] = mapped_column(Integer, default=0)
    last_extraction_failures: Mapped[int] = mapped_column(Integer, default=0)
    empty_extraction_streak: Mapped[int] = mapped_column(Integer, default=0)
    backfilled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # how the body selectors fared on the pages of the last crawl that fetched any
    selectors_held: Mapped[int] = mapped_column(Integer, default=0)
    selectors_rejected: Mapped[int] = mapped_column(Integer, default=0)
    selectors_missing: Mapped[int] = mapped_column(Integer, default=0)
    selector_example_url: Mapped[str | None] = mapped_column(Text)
    # the pages extracted in that crawl, and how many were stored without a body (on their lead)
    extracted_pages: Mapped[int] = mapped_column(Integer, default=0)
    bodiless_pages: Mapped[int] = mapped_column(Integer, default=0)
    bodiless_example_url: Mapped[str | None] = mapped_column(Text)


class HttpValidatorRow(Base):
    """ETag / Last-Modified remembered per discovery URL for conditional GET."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SenderRow(Base):
    """A sending process (`vnawatch worker` or the scheduler) and its last heartbeat."""

    __tablename__ = "senders"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent: Mapped[int] = mapped_column(Integer, default=0)


class LockRow(Base):
    """Named leases (the scheduler's single-instance lock on SQLite)."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JobRunRow(Base):
    """The scheduler's latest run and next run of each job, for `vnawatch status`."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_ok: Mapped[bool | None] = mapped_column()
    last_result: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ServiceStateRow(Base):
    """Small named documents the scheduler leaves for `vnawatch status` (config, process)."""

    __tablename__ = "service_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConditionRow(Base):
    """An operator-facing condition (source unhealthy, config invalid) and what was mailed."""

    __tablename__ = "conditions"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    active: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    # the state operators were last told about: None never, True started, False cleared
    notified_active: Mapped[bool | None] = mapped_column()
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SearchWordsRow(Base):
    """An article's folded words for the search index (migration 0009 adds the FTS5
    table and triggers on SQLite, the ``words_tsv`` column and its GIN index on PostgreSQL)."""

    __tablename__ = "search_words"

    article_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    words: Mapped[str] = mapped_column(Text)


class SearchPendingRow(Base):
    """An article whose search words are missing (new or edited; filled by triggers)."""

    __tablename__ = "search_pending"

    article_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )


class TrendHitRow(Base):
    """One article counted for one rule or watchlist entity on its local day.

    Written with the article's matches (``replace_matches``), so re-matching
    replaces an article's hits instead of adding to them; ``trend_counts`` is
    kept equal to these rows counted per (kind, key, day).
    """

    __tablename__ = "trend_hits"
    __table_args__ = (Index("ix_trend_hits_kind_key_day", "kind", "key", "day"),)

    article_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "rule" or "entity"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date)


class TrendCountRow(Base):
    """Articles per (kind, key, local day): what the trends pages read.

    Not cascaded from articles: history outlives the retention housekeeping
    and the rule's removal from config.yaml.
    """

    __tablename__ = "trend_counts"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
