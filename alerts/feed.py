"""Feed stage: matched articles -> a :class:`Feed` -> Atom 1.0 (Jinja2) or JSON Feed 1.1.

Pure code, like the digest: it reads records and config and returns text; the
caller passes the links and the time to fall back on for an empty feed. One
entry per article, listing every rule of the feed that matched it. Times are
given in the reader's zone; a day without a time (Le Vietnam Illustré) shows
as that day alone in the text and as 00:00 of that day, in the reader's zone,
in the machine fields (which need a time), with ``_vnawatch.time_known`` false
in the JSON Feed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from alerts.digest import display_parts, snippet_text, source_name
from alerts.labels import Formatter
from alerts.tokens import rule_feed_token
from config import Config
from store.records import Article, MatchedArticle, Snippet

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/feed+json; charset=utf-8"
# characters XML 1.0 forbids: a stray control character in an article must not
# make the whole feed unreadable
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class FeedLinks:
    """Where a feed lives: its id (a tag URI, stable across new links) and its URLs."""

    feed_id: str
    atom_url: str
    json_url: str
    home_url: str


@dataclass(frozen=True)
class FeedEntry:
    """One article in a feed, with what the reader is shown."""

    entry_id: str
    article: Article
    source_name: str
    rules: tuple[tuple[str, str], ...]  # (rule id, rule name), in config order
    published_label: str
    published: datetime  # the reader's zone; 00:00 of the day when no time is known
    updated: datetime
    content_html: str
    content_text: str


@dataclass(frozen=True)
class Feed:
    """A feed ready to render as Atom or JSON."""

    title: str
    language: str
    brand: str
    links: FeedLinks
    updated: datetime
    entries: tuple[FeedEntry, ...]


def rule_feed_url(public_url: str, rule_id: str, nonce: str, key: bytes, kind: str) -> str:
    """An operator's signed feed link for one rule (``kind``: atom.xml or feed.json)."""
    return f"{public_url.rstrip('/')}/feed/rule/{rule_feed_token(rule_id, nonce, key)}/{kind}"


def tag_authority(public_url: str) -> str:
    """The host of the public URL, for tag URIs (``tag:veille.example.org,2026:…``)."""
    return urlsplit(public_url).hostname or "localhost"


def build_feed(
    items: Sequence[MatchedArticle],
    config: Config,
    *,
    rules: Sequence[tuple[str, str]],
    name: str,
    language: str,
    timezone: str,
    links: FeedLinks,
    empty_updated: datetime,
) -> Feed:
    """A feed of ``items`` (newest first) read in ``language`` and ``timezone``.

    ``rules`` are the feed's (rule id, name) pairs in display order; matches of
    other rules (one removed since) are left out, and an article left with none
    is dropped. ``empty_updated`` dates an empty feed.
    """
    fmt = Formatter(language, timezone)
    brand = config.mail.from_name
    known = {rule_id: (index, rule_name) for index, (rule_id, rule_name) in enumerate(rules)}
    authority = tag_authority(config.mail.public_url)
    entries = []
    for item in items:
        ids = sorted(
            {m.rule_id for m in item.matches if m.rule_id in known}, key=lambda r: known[r][0]
        )
        if ids:
            entries.append(_entry(item, [(r, known[r][1]) for r in ids], config, fmt, authority))
    updated = max((entry.updated for entry in entries), default=empty_updated)
    return Feed(
        title=fmt.labels["feed_title"].format(brand=brand, name=name),
        language=fmt.locale,
        brand=brand,
        links=links,
        updated=updated.astimezone(fmt.zone),
        entries=tuple(entries),
    )


def _entry(
    item: MatchedArticle,
    rules: list[tuple[str, str]],
    config: Config,
    fmt: Formatter,
    authority: str,
) -> FeedEntry:
    article = item.article
    first = next(m for m in item.matches if m.rule_id == rules[0][0])
    snippet = first.snippet if first.snippet.text else Snippet(article.summary)
    outlet = source_name(config, article.source)
    label = fmt.published(article)
    names = [name for _, name in rules]
    moments = [m.matched_at for m in item.matches if m.matched_at is not None]
    moments += [t for t in (article.updated_at, article.first_seen_at) if t is not None]
    return FeedEntry(
        entry_id=f"tag:{authority},2026:article:{article.source}:{article.article_id}",
        article=article,
        source_name=outlet,
        rules=tuple(rules),
        published_label=label,
        published=published_moment(article, fmt.zone),
        updated=max(moments, default=article.published_at).astimezone(fmt.zone),
        content_html=_content_html(article, outlet, label, snippet, names, fmt),
        content_text=_content_text(article, outlet, label, snippet, names, fmt),
    )


def published_moment(article: Article, zone: tzinfo) -> datetime:
    """The publication in ``zone``; a day alone is 00:00 of that day in ``zone``, so a
    reader there shows the day the outlet gave, not the evening before."""
    local = article.published_local(zone)
    if isinstance(local, datetime):
        return local
    return datetime.combine(local, time(0), tzinfo=zone)


def _meta(outlet: str, label: str, article: Article) -> list[str]:
    return [outlet, label, *([article.section] if article.section else [])]


def _content_html(
    article: Article,
    outlet: str,
    label: str,
    snippet: Snippet,
    names: list[str],
    fmt: Formatter,
) -> str:
    meta = " · ".join(str(escape(part)) for part in _meta(outlet, label, article))
    # readers whose sanitiser drops <mark> (feedparser's does) still show the hit in bold
    marked = "".join(
        f"<mark><strong>{escape(text)}</strong></mark>" if hit else str(escape(text))
        for text, hit in display_parts(snippet)
    )
    t = fmt.labels
    rules = escape(", ".join(names))
    parts = [
        f"<p>{meta}</p>",
        f"<p>{marked}</p>" if marked else "",
        f"<p>{escape(t['rules'])}{escape(t['colon'])} {rules}</p>",
        f'<p><a href="{escape(article.url)}">{escape(t["read"])}</a></p>',
    ]
    return str(Markup("".join(parts)))


def _content_text(
    article: Article,
    outlet: str,
    label: str,
    snippet: Snippet,
    names: list[str],
    fmt: Formatter,
) -> str:
    t = fmt.labels
    lines = [" · ".join(_meta(outlet, label, article))]
    if snippet.text:
        lines.append(snippet_text(snippet, "", ""))  # plain: the hits unmarked
    lines.append(f"{t['rules']}{t['colon']} {', '.join(names)}")
    lines.append(article.url)
    return "\n\n".join(lines)


# --- rendering ------------------------------------------------------------------

TEMPLATES = Path(__file__).with_name("templates")


def _xml_safe(value: Any) -> Any:
    """Every printed value without the characters XML forbids (escaping comes after)."""
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_xml_safe,
)


def rfc3339(moment: datetime) -> str:
    """``2026-12-04T10:05:00+07:00``: seconds, with the offset."""
    return moment.isoformat(timespec="seconds")


def render_atom(feed: Feed) -> str:
    """The feed as an Atom 1.0 document."""
    template = ENVIRONMENT.get_template("feed.atom.j2")
    return template.render(feed=feed, rfc3339=rfc3339)


def render_json(feed: Feed) -> str:
    """The feed as a JSON Feed 1.1 document."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.links.home_url,
        "feed_url": feed.links.json_url,
        "language": feed.language,
        "authors": [{"name": feed.brand}],
        "items": [_json_item(entry) for entry in feed.entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    article = entry.article
    day: date = entry.published.date()
    return {
        "id": entry.entry_id,
        "url": article.url,
        "title": article.title,
        "content_html": entry.content_html,
        "content_text": entry.content_text,
        "date_published": rfc3339(entry.published),
        "date_modified": rfc3339(entry.updated),
        "authors": [{"name": entry.source_name}],
        "tags": [name for _, name in entry.rules],
        "language": article.language,
        "_vnawatch": {
            "outlet": article.source,
            "published": entry.published_label,
            "published_day": day.isoformat(),
            "time_known": article.published_time_known,
            "rules": [{"id": rule_id, "name": name} for rule_id, name in entry.rules],
        },
    }
