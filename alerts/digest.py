"""Digest stage: a subscriber's matches -> a :class:`Digest` -> (subject, text, html).

Pure code: it reads records and config and returns values; the caller passes
``now``. A digest covers a window of *publication* time ending at the most
recent due send instant in the subscriber's time zone and starting where the
previous digest ended (``covered_until``; one period back the first time).
Articles published before the window but found after it closed are carried
by the next digest, flagged "found late". Each article appears once, listing
every rule of the subscriber it matched; the same dispatch on two outlets is
one entry with both links.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from textwrap import shorten
from zoneinfo import ZoneInfo

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alerts.dedupe import cluster_duplicates
from alerts.evaluate import zone_text
from alerts.labels import Formatter, SourceHealth, Window
from alerts.text import fold
from alerts.volume import Volume, volume_words
from config import Config
from store.records import Article, Match, Snippet, SourceState, Subscriber

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEGRADED_EMPTY_STREAK = 3
LEAD_CHARS = 260


@dataclass(frozen=True)
class Link:
    """Another outlet's copy of the same dispatch."""

    source: str
    source_name: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One article (or one dispatch on several outlets) in a digest."""

    article: Article
    source_name: str
    rule_ids: tuple[str, ...]
    rule_names: tuple[str, ...]
    aliases: tuple[str, ...]
    snippet: Snippet
    late: bool
    also: tuple[Link, ...]
    article_pks: tuple[int, ...]

    @property
    def snippet_is_title(self) -> bool:
        """The match is in the title and the snippet is the title: highlight it there."""
        return " ".join(self.snippet.text.split()) == " ".join(self.article.title.split())

    @property
    def lead(self) -> str:
        """The summary cut at a word, shown instead of a snippet that repeats the title."""
        return shorten(self.article.summary, LEAD_CHARS, placeholder=" …")


@dataclass(frozen=True)
class RuleGroup:
    """The entries whose first matching rule (in config order) is ``rule_id``."""

    rule_id: str
    name: str
    entries: tuple[Entry, ...]
    volume: Volume | None = None  # the rule's articles over the period against the usual


@dataclass(frozen=True)
class Digest:
    """What one email says: ``kind`` is daily, weekly or alert."""

    kind: str
    subscriber: Subscriber
    window: Window | None
    groups: tuple[RuleGroup, ...]
    health: tuple[SourceHealth, ...]
    generated_at: datetime
    # copies of dispatches the subscriber already received from another outlet
    suppressed_pks: tuple[int, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(entry for group in self.groups for entry in group.entries)

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def article_pks(self) -> tuple[int, ...]:
        """Every article this email covers: shown, collapsed into an entry, or suppressed."""
        shown = (pk for entry in self.entries for pk in entry.article_pks)
        return tuple(sorted({*shown, *self.suppressed_pks}))

    @property
    def is_empty(self) -> bool:
        return not self.groups


# --- windows ----------------------------------------------------------------


def last_send_instant(subscriber: Subscriber, now: datetime) -> datetime:
    """The most recent instant <= ``now`` at which the subscriber's digest is due (UTC)."""
    zone = ZoneInfo(subscriber.timezone)
    hour, minute = (int(part) for part in subscriber.send_time.split(":"))
    today = now.astimezone(zone).date()
    for back in range(9):
        day = today - timedelta(days=back)
        if subscriber.frequency == "weekly" and WEEKDAYS[day.weekday()] != subscriber.weekday:
            continue
        # astimezone(UTC) resolves a local time in a DST gap or overlap (fold=0)
        instant = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
        if instant <= now:
            return instant
    raise AssertionError("a send instant exists within 8 days")  # pragma: no cover


def digest_window(subscriber: Subscriber, now: datetime) -> Window | None:
    """The window a digest built at ``now`` covers, or None when none is due."""
    if subscriber.frequency not in PERIODS:
        return None
    end = last_send_instant(subscriber, now)
    start = subscriber.covered_until
    if start is None:
        start = last_send_instant(subscriber, end - timedelta(microseconds=1))
    if start >= end:
        return None
    return Window(start=start, end=end, timezone=subscriber.timezone)


def open_window(subscriber: Subscriber, now: datetime) -> Window:
    """The window so far: the due one, else from ``covered_until`` to ``now`` (previews)."""
    window = digest_window(subscriber, now)
    if window is not None:
        return window
    start = subscriber.covered_until or last_send_instant(subscriber, now)
    return Window(start=min(start, now), end=now, timezone=subscriber.timezone)


# --- building ---------------------------------------------------------------


def build_digest(
    kind: str,
    subscriber: Subscriber,
    pairs: Sequence[tuple[Match, Article]],
    config: Config,
    *,
    window: Window | None,
    states: Sequence[SourceState],
    now: datetime,
    already_sent: Sequence[Article] = (),
    volumes: Mapping[str, Volume] | None = None,
) -> Digest:
    """Group a subscriber's matches by rule, one entry per article or dispatch.

    ``already_sent`` are articles this subscriber recently received on the
    same channel: another outlet's copy of one of them is not shown again,
    only recorded as covered (``Digest.suppressed_pks``). ``volumes`` are the
    rules' volumes over the digest's period (:mod:`alerts.volume`), shown in
    each rule's section.
    """
    rule_order = [rule.id for rule in config.rules if rule.id in subscriber.rules]
    by_article: dict[int, tuple[Article, list[Match]]] = {}
    for match, article in pairs:
        if match.rule_id not in rule_order or article.id is None:
            continue
        by_article.setdefault(article.id, (article, []))[1].append(match)
    sent = [a for a in already_sent if a.id not in by_article]
    articles = sorted((a for a, _ in by_article.values()), key=_chronological)
    clusters = cluster_duplicates([*sent, *articles])
    sent_ids = {a.id for a in sent}
    suppressed = [a.id or 0 for c in clusters if c[0].id in sent_ids for a in c[1:]]
    fresh = [c for c in clusters if c[0].id not in sent_ids]
    entries = [_entry(cluster, by_article, rule_order, config, window) for cluster in fresh]
    groups = []
    for rule_id in rule_order:
        members = [e for e in entries if e.rule_ids[0] == rule_id]
        members.sort(key=lambda e: (e.article.published_at, e.article.id or 0), reverse=True)
        if members:
            volume = (volumes or {}).get(rule_id)
            groups.append(RuleGroup(rule_id, config.rule(rule_id).name, tuple(members), volume))
    return Digest(
        kind=kind,
        subscriber=subscriber,
        window=window,
        groups=tuple(groups),
        health=source_health(config, states),
        generated_at=now,
        suppressed_pks=tuple(sorted(pk for pk in suppressed if pk in by_article)),
    )


def _chronological(article: Article) -> tuple[datetime, int]:
    return (article.published_at, article.id or 0)


def _term_found(match: Match, by_article: dict[int, tuple[Article, list[Match]]]) -> str:
    """The term as the article writes it, with the alias that matched beside it when
    the two differ ("Hoang Sa / Hoàng Sa"); the alias alone when no span shows it."""
    span = next((s for s in match.spans if s.term == match.alias), None)
    if span is None or match.article_id not in by_article:
        return match.alias
    text = zone_text(by_article[match.article_id][0], span.zone)
    written = " ".join(text[span.start : span.end].split())
    if written == match.alias or _letters(written) != _letters(match.alias):
        return match.alias  # the same, or the text changed since it was matched
    return f"{written} / {match.alias}"


def _letters(text: str) -> str:
    """Folded letters without spaces: "TôLâm" and "TO LAM" are "tolam"."""
    return "".join(fold(text).split())


def is_late(article: Article, window: Window | None) -> bool:
    """Published before the window opened; a day without a time counts as that whole day."""
    if window is None:
        return False
    if article.published_time_known:
        return article.published_at < window.start
    return article.published_at + timedelta(days=1) <= window.start


def _entry(
    cluster: Sequence[Article],
    by_article: dict[int, tuple[Article, list[Match]]],
    rule_order: list[str],
    config: Config,
    window: Window | None,
) -> Entry:
    primary = cluster[0]
    matches = [m for a in cluster for m in by_article[a.id or 0][1]]
    matches.sort(key=lambda m: (rule_order.index(m.rule_id), m.article_id != primary.id))
    rule_ids = tuple(dict.fromkeys(m.rule_id for m in matches))
    return Entry(
        article=primary,
        source_name=source_name(config, primary.source),
        rule_ids=rule_ids,
        rule_names=tuple(config.rule(rule_id).name for rule_id in rule_ids),
        aliases=tuple(dict.fromkeys(_term_found(m, by_article) for m in matches if m.alias)),
        snippet=matches[0].snippet,
        late=is_late(primary, window),
        also=tuple(Link(a.source, source_name(config, a.source), a.url) for a in cluster[1:]),
        article_pks=tuple(a.id or 0 for a in cluster),
    )


def source_name(config: Config, source: str) -> str:
    """The outlet's display name from config, else its id."""
    spec = config.sources.get(source)
    return spec.name if spec else source


def source_health(config: Config, states: Sequence[SourceState]) -> tuple[SourceHealth, ...]:
    """Each enabled outlet: OK, degraded since its last success, or never crawled."""
    by_source = {state.source: state for state in states}
    lines = []
    for key, spec in config.enabled_sources().items():
        state = by_source.get(key)
        if state is None or state.last_run_at is None:
            lines.append(SourceHealth(spec.name, ok=False, never=True))
        elif state.consecutive_failures or state.empty_extraction_streak >= DEGRADED_EMPTY_STREAK:
            since = state.last_success_at or state.last_error_at
            lines.append(SourceHealth(spec.name, ok=False, since=since))
        else:
            lines.append(SourceHealth(spec.name, ok=True))
    return tuple(lines)


def snippet_parts(snippet: Snippet) -> list[tuple[str, bool]]:
    """The snippet cut into (text, highlighted) runs; overlapping ranges merged."""
    merged: list[list[int]] = []
    for start, end in sorted(snippet.highlights):
        start, end = max(start, 0), min(end, len(snippet.text))
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in merged:
        if start > cursor:
            parts.append((snippet.text[cursor:start], False))
        parts.append((snippet.text[start:end], True))
        cursor = end
    if cursor < len(snippet.text):
        parts.append((snippet.text[cursor:], False))
    return parts


# a plain space before » : ; ! ? % or after « (as outlets type them) lets a browser
# wrap there and leave the mark alone at the start of a line
_SPACE_BEFORE_MARK = re.compile(r" (?=[»:;!?%])")
_SPACE_AFTER_GUILLEMET = re.compile(r"(?<=«) ")


def no_break_marks(text: str) -> str:
    """French spacing made unbreakable: the space before » : ; ! ? % and after « becomes
    a no-break space. Length-preserving, so highlight offsets stay valid."""
    return _SPACE_AFTER_GUILLEMET.sub("\u00a0", _SPACE_BEFORE_MARK.sub("\u00a0", text))


def display_parts(snippet: Snippet) -> list[tuple[str, bool]]:
    """:func:`snippet_parts` with :func:`no_break_marks` applied, for display."""
    return [(no_break_marks(text), hit) for text, hit in snippet_parts(snippet)]


def snippet_text(snippet: Snippet, open_mark: str = "«", close_mark: str = "»") -> str:
    """The snippet for plain text, the matched terms between the marks (« » by default)."""
    parts = display_parts(snippet)
    return "".join(f"{open_mark}{text}{close_mark}" if hit else text for text, hit in parts)


# --- rendering --------------------------------------------------------------

TEMPLATES = Path(__file__).with_name("templates")
SUBJECT_RULES = 3
_INLINER = css_inline.CSSInliner(keep_style_tags=True, keep_at_rules=True)


def inline_css(html: str) -> str:
    """``html`` with its stylesheet inlined for mail clients (also the spike alerts')."""
    return _INLINER.inline(html)


@dataclass(frozen=True)
class Rendered:
    """A digest as email parts; headers are built by the mailer."""

    subject: str
    text: str
    html: str


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["snippet_parts"] = display_parts
    env.filters["no_break_marks"] = no_break_marks
    env.filters["snippet_text"] = snippet_text
    env.globals["entry_block"] = entry_block
    return env


def entry_block(entry: Entry, fmt: Formatter, part: str) -> str:
    """One entry of a digest or alert as ``_macros.j2`` writes it (``part``: html or text);
    remembered, since one article is in many of a run's digests."""
    block = _entry_block(entry, fmt.locale, fmt.timezone, part)
    return Markup(block) if part == "html" else block  # the macro escaped it already


@functools.lru_cache(maxsize=4096)
def _entry_block(entry: Entry, locale: str, timezone: str, part: str) -> str:
    fmt = Formatter(locale, timezone)
    macros = ENVIRONMENT.get_template("_macros.j2").module
    return str(getattr(macros, f"{part}_entry")(entry, fmt, fmt.labels))


ENVIRONMENT = _environment()


def digest_subject(digest: Digest, brand: str, fmt: Formatter) -> str:
    """``[Veille VNA] 5 articles — Tô Lâm, Mer Orientale — 22 novembre 2026``."""
    names = [group.name for group in digest.groups]
    shown = ", ".join(names[:SUBJECT_RULES]) + (", …" if len(names) > SUBJECT_RULES else "")
    moment = digest.window.end if digest.window else digest.generated_at
    parts = [f"[{brand}]"]
    if digest.kind == "alert":
        parts.append(fmt.labels["alert"] + " :" if fmt.locale == "fr" else "Alert:")
        if digest.count == 1:
            return " ".join([*parts, digest.entries[0].article.title, "—", shown])
    head = " ".join([*parts, fmt.count(digest.count)])
    return " — ".join(part for part in (head, shown, fmt.day(moment)) if part)


def render_digest(
    digest: Digest,
    *,
    brand: str,
    unsubscribe_url: str,
    manage_url: str = "",
    feed_url: str = "",
    web_url: str = "",
) -> Rendered:
    """Subject, plain text and HTML (CSS inlined) of a digest or an alert."""
    fmt = Formatter(digest.subscriber.language, digest.subscriber.timezone)
    name = "alert" if digest.kind == "alert" else "digest"
    context = {
        "digest": digest,
        "t": fmt.labels,
        "fmt": fmt,
        "brand": brand,
        "subject": digest_subject(digest, brand, fmt),
        "window_label": fmt.window(digest.window) if digest.window else "",
        "health": " · ".join(fmt.health(line) for line in digest.health),
        "health_lines": [(line.name, fmt.health_state(line)) for line in digest.health],
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
        "feed_url": feed_url,
        "web_url": web_url,  # the batch's page (web/digests.py): "Voir dans le navigateur"
        "lang": fmt.locale,
        # each rule section's volume line and chart (alerts.volume)
        "volumes": {g.rule_id: volume_words(g.volume, fmt) for g in digest.groups if g.volume},
    }
    text = ENVIRONMENT.get_template(f"{name}.txt.j2").render(context)
    html = ENVIRONMENT.get_template(f"{name}.html.j2").render(context)
    return Rendered(subject=context["subject"], text=text, html=_INLINER.inline(html))
