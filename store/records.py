"""Records: the frozen dataclasses that cross the store boundary.

The store hands these out and takes them in; ORM objects never leave
``store``. The crawler produces :class:`Article`, the matcher :class:`Match`,
the digest stage reads both and the mailer works on :class:`Delivery`. The
scheduler leaves :class:`SchedulerState` and :class:`ConfigState` for
`vnawatch status` to read back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC as UTC_ZONE
from datetime import date, datetime, tzinfo
from typing import Literal

Zone = Literal["title", "lede", "body", "caption"]
Extraction = Literal["ok", "partial", "failed"]
DeliveryStatus = Literal["pending", "sent", "failed"]
SaveOutcome = Literal["new", "updated", "unchanged"]
# the outbox's channel column for email; any other value is an Apprise URL
EMAIL_CHANNEL = "email"
# how a page's body selectors fared against the generic extraction (crawler.crosscheck)
SelectorOutcome = Literal["held", "rejected", "missing", "none"]


@dataclass(frozen=True, kw_only=True)
class Article:
    """One article of one outlet; identity is (source, article_id).

    The one list of an article's fields: the crawl item's converter, the row
    converters and the export (whose columns keep this order) all derive theirs
    from ``dataclasses.fields(Article)`` (:data:`ARTICLE_FIELDS`).
    """

    url: str
    source: str
    article_id: str
    title: str
    summary: str = ""
    body: str = ""
    published_at: datetime
    # False: the outlet gave a day, no time; published_at is 00:00 of that day in its zone
    published_time_known: bool = True
    updated_at: datetime | None = None
    section: str | None = None
    credit: str | None = None
    dateline: str | None = None
    language: str = "fr"
    captions: tuple[str, ...] = ()
    first_seen_at: datetime | None = None  # set by the store
    extraction: Extraction = "ok"
    extraction_note: str = ""
    content_hash: str = ""
    id: int | None = None  # set by the store
    story_key: str | None = None
    last_seen_at: datetime | None = None  # set by the store
    backfill: bool = False  # stored by a source's first crawl: kept, never mailed

    def published_local(self, zone: tzinfo) -> date | datetime:
        """Publication as a reader in ``zone`` sees it; a day without a time stays that day.

        Converting the outlet's 00:00 to Paris or New York would show the
        previous evening, a time the outlet never gave.
        """
        if self.published_time_known:
            return self.published_at.astimezone(zone)
        return self.published_at.date()

    def published_day(self, zone: tzinfo) -> date:
        """The day of publication in ``zone``; the outlet's own day when no time was given."""
        local = self.published_local(zone)
        return local.date() if isinstance(local, datetime) else local

    def published_text(self, zone: tzinfo | None = None) -> str:
        """``2026-12-04 10:05`` in ``zone`` (default: the outlet's), or ``2026-12-04``."""
        local = self.published_local(zone or self.published_at.tzinfo or UTC_ZONE)
        return f"{local:%Y-%m-%d %H:%M}" if isinstance(local, datetime) else local.isoformat()


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))


@dataclass(frozen=True)
class Span:
    """A hit: ``text[start:end]`` of the article's ``zone`` field fired ``term``."""

    zone: Zone
    start: int
    end: int
    term: str


@dataclass(frozen=True)
class Snippet:
    """A short excerpt with the character ranges to highlight in it."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Match:
    """Evidence that a rule matched an article."""

    article_id: int
    rule_id: str
    zones: tuple[Zone, ...]
    alias: str
    spans: tuple[Span, ...]
    snippet: Snippet
    matched_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class SourceState:
    """Crawl health of one source."""

    source: str
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    last_new_articles: int = 0
    last_not_modified: int = 0
    last_extraction_failures: int = 0
    empty_extraction_streak: int = 0
    backfilled_at: datetime | None = None
    selectors_held: int = 0
    selectors_rejected: int = 0
    selectors_missing: int = 0
    selector_example_url: str | None = None
    extracted_pages: int = 0
    bodiless_pages: int = 0
    bodiless_example_url: str | None = None


@dataclass(frozen=True)
class CrawlRun:
    """What one crawl of one source did; recorded into its SourceState."""

    source: str
    started_at: datetime
    finished_at: datetime
    new_articles: int = 0
    updated_articles: int = 0
    skipped: int = 0
    not_modified: int = 0
    dropped: int = 0
    extraction_failures: int = 0
    errors: tuple[str, ...] = ()
    backfill: bool = False
    interrupted: bool = False  # stopped before it finished (timeout, signal)
    # how the body selectors fared on this run's pages (crawler.crosscheck)
    selectors_held: int = 0
    selectors_rejected: int = 0
    selectors_missing: int = 0
    selector_example_url: str | None = None
    extracted_pages: int = 0
    bodiless_pages: int = 0
    bodiless_example_url: str | None = None

    @property
    def succeeded(self) -> bool:
        """Ran to its end with no error, or with some channel answering (article, id, 304)."""
        if self.interrupted:
            return False
        alive = self.new_articles + self.updated_articles + self.skipped + self.not_modified
        return not self.errors or alive > 0


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators remembered for a feed, sitemap or listing URL."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Delivery:
    """An outbox row: one email to one subscriber, with its delivery state."""

    id: int
    subscriber: str
    kind: str
    key: str
    subject: str
    message: bytes
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None
    article_ids: tuple[int, ...] = field(default=())
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    smtp_reply: str | None = None
    # "email" or an Apprise URL: a secret, left out of repr (show config.redact_channel's)
    channel: str = field(default=EMAIL_CHANNEL, repr=False)
    claimed_by: str | None = None  # the sender holding it, until claimed_until
    claimed_until: datetime | None = None

    @property
    def is_email(self) -> bool:
        return self.channel == EMAIL_CHANNEL


@dataclass(frozen=True)
class ChannelMessage:
    """One chat or webhook notification of a batch: where to (a secret) and what."""

    url: str = field(repr=False)
    title: str
    body: str


@dataclass(frozen=True)
class DeliveryDraft:
    """An email ready to queue, with the articles it carries on its channel."""

    subscriber_id: int
    kind: str
    channel: str
    key: str
    subject: str
    message: bytes
    article_pks: tuple[int, ...] = ()
    window_start: datetime | None = None
    window_end: datetime | None = None
    # the subscriber's covered_until after this delivery (digests only)
    covered_until: datetime | None = None
    # False: no email row, only the channel rows (the subscriber chose channels only)
    email: bool = True
    channels: tuple[ChannelMessage, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Owed:
    """One subscriber's rules and window, for the batch form of ``undelivered_matches``."""

    subscriber_id: int
    rule_ids: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Subscriber:
    """Someone who receives mail; ``send_time`` is local "HH:MM" in ``timezone``."""

    email: str
    rules: tuple[str, ...]
    name: str = ""
    language: str = "fr"
    timezone: str = "Asia/Ho_Chi_Minh"
    frequency: str = "daily"
    send_time: str = "07:00"
    weekday: str = "monday"
    send_empty: bool = False
    active: bool = True
    origin: str = "config"
    id: int | None = None
    covered_until: datetime | None = None
    # rules the subscriber paused: never in ``rules``, which the queueing code reads
    paused_rules: tuple[str, ...] = ()
    # signed into the feed links; the store sets it (see store.feeds)
    feed_nonce: str = ""
    # Apprise URLs (secrets, left out of repr) and whether email is sent too
    channels: tuple[str, ...] = field(default=(), repr=False)
    email_delivery: bool = True
    spike_alerts: bool = False  # told when one of their rules spikes (alerts.spikes)


@dataclass(frozen=True)
class StoredRule:
    """A subscriber's rule as stored: a web subscriber's own query, or a config rule id."""

    rule_id: str
    name: str
    query: str
    paused: bool = False


@dataclass(frozen=True)
class MatchedArticle:
    """An article and the matches of the rules a feed follows (one feed entry)."""

    article: Article
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class DigestBatch:
    """One queued batch (a digest or an alert) as its web page shows it."""

    kind: str
    window_start: datetime | None
    window_end: datetime | None
    created_at: datetime
    items: tuple[MatchedArticle, ...]


@dataclass(frozen=True)
class SchedulerState:
    """The `vnawatch run` process holding the lock: who, since when, its last heartbeat."""

    holder: str
    pid: int | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    stopped_at: datetime | None = None  # None while it runs (or after a crash)


@dataclass(frozen=True)
class SenderState:
    """A sending process (``worker`` or ``scheduler``) as it last reported itself."""

    name: str
    kind: str
    started_at: datetime
    seen_at: datetime
    stopped_at: datetime | None = None  # None while it runs (or after a crash)
    sent: int = 0


@dataclass(frozen=True)
class DatabaseOutage:
    """A time the scheduler could not reach the database, recorded once it answered again.

    Kept in the database it was cut from, so only written after the return:
    while it lasts nothing shared can be written, and whoever reads the
    database (`vnawatch status`, the operator view) finds out first-hand.
    """

    started_at: datetime
    ended_at: datetime
    cause: str = ""

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ConfigState:
    """The config file as the scheduler last saw it: valid, or invalid since when."""

    path: str
    digest: str = ""
    valid: bool = True
    error: str | None = None
    invalid_since: datetime | None = None
    loaded_at: datetime | None = None
    # the text of the config in force, for `vnawatch status` while the file is invalid
    good_text: str | None = None


@dataclass(frozen=True)
class Suppression:
    """An address on the suppression list, known only by its keyed hash."""

    address_hash: str
    reason: str
    created_at: datetime


TrendKind = Literal["rule", "entity"]


@dataclass(frozen=True)
class DayCount:
    """How many articles one rule or watchlist entity had on one local day."""

    day: date
    articles: int


@dataclass(frozen=True)
class ArticleTrend:
    """Where the match job counts one article: its local day, the rules it matched and
    the watchlist entities one of whose spellings it names (None: leave its entity
    hits as they are, a re-match of some rules only)."""

    article_pk: int
    day: date
    rules: tuple[str, ...]
    entities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TrendHit:
    """One article counted for one rule or entity on one day (the rebuild writes these)."""

    article_pk: int
    kind: TrendKind
    key: str
    day: date


@dataclass(frozen=True)
class SourceCount:
    """Articles of one outlet (a trends page's top outlets)."""

    source: str
    articles: int


@dataclass(frozen=True)
class TrendDetails:
    """One trends page's reading: the daily counts, top outlets and newest articles."""

    counts: list[DayCount]
    sources: list[SourceCount]
    articles: list[Article]
