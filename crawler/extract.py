"""EXTRACT stage: one article page's HTML -> :class:`crawler.items.ArticleFields`.

Pure: no Scrapy response, no database. :func:`extract_article` reads, in order,

1. page metadata: JSON-LD ``NewsArticle``, ``article:published_time`` /
   ``article:modified_time``, ``og:title``, ``og:description``, ``rel=canonical``,
   ``<time datetime>``;
2. the source's CSS selectors (``config.Source.selectors``; ``::attr()`` and
   ``::text`` allowed, comma alternatives tried in order); the body they find
   is a hint, checked against trafilatura's view of the page
   (``crawler.crosscheck``, rules in docs/crawling.md);
3. when no selector body holds, the generic body: the element holding
   trafilatura's text (``crawler.generic``), cleaned like a selector body;
4. French date text (``le 3 février``, ``21/11/2026``) when no date was found,
   the year taken from other metadata or the URL; then htmldate (URL, markup,
   ISO dates in the text), for outlets configured without selectors.

The body is the article's own paragraphs joined by a blank line (see
``crawler.cleanup`` for what is dropped); ``extraction`` says how well it went:
``ok``, ``partial`` (selectors rejected or found nothing, no summary, no date)
or ``failed`` (no title or no body), with the reasons in ``extraction_note``;
``selectors`` says how the body selectors fared (held, rejected, missing,
none). Original characters are kept: normalising for matching is the matcher's job.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import htmldate
from parsel import Selector

from config import article_id_from_url as article_id_from_url  # the crawler's identity
from crawler import boxes as boxes_module
from crawler import cleanup, crosscheck, dates
from crawler.body import (
    Body,
    alternatives,
    element_text,
    extract_body,
    page_captions,
    select_element,
    select_text,
)
from crawler.items import ArticleFields
from crawler.metadata import SITE_NAME, TITLE_SUFFIX, Metadata, decode_html, read_metadata

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    import config
    from store.records import Extraction

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# what separates a headline from the site's name in <title>
TITLE_PARTS = re.compile(r"\s+[|–—-]\s+")
# where a date written in words is looked for, best first
DATE_PLACES = "time, [class*=date], [class*=time], p"
MAX_DATE_PLACES = 20


# --------------------------------------------------------------------------- identity


def content_hash(fields: ArticleFields) -> str:
    """sha256 of title, summary, body and captions, whitespace normalised."""
    parts = [fields.title, fields.summary, fields.body, *fields.captions]
    text = "\n".join(cleanup.collapse(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class Dates:
    """The article's dates; ``time_known`` is False when the page gave only a day."""

    published: datetime | None
    updated: datetime | None
    time_known: bool = True


def find_dates(
    page: Selector, source: config.Source, meta: Metadata, url: str, zone: tzinfo
) -> Dates:
    """Published and updated: metadata, the source's selector, <time>, French text, htmldate."""
    updated = dates.parse_datetime(meta.modified, zone) if meta.modified else None
    candidates = [meta.published, select_text(page, source.selectors.published_at), *meta.times]
    for value in filter(None, candidates):
        published = dates.parse_datetime(value, zone) or _french(value, meta, url, page, zone)
        if published:
            return Dates(published, updated, dates.time_given(value))
    published, text = _french_in_page(page, meta, url, zone)
    if published:
        return Dates(published, updated, dates.time_given(text))
    return Dates(_htmldate(page, url, zone), updated, time_known=False)


def _htmldate(page: Selector, url: str, zone: tzinfo) -> datetime | None:
    """htmldate's reading of the page (URL, markup, ISO text) when nothing else gave a date.

    It gives a day, not a time: the article is dated 00:00 in the outlet's zone.
    """
    try:
        found = htmldate.find_date(
            copy.deepcopy(page.root),
            url=url,
            original_date=True,
            extensive_search=False,  # markup and URL only, no guess from loose text
            outputformat="%Y-%m-%d",
        )
    except Exception:  # htmldate on a hostile page: no date, not a crashed crawl
        logger.warning("htmldate failed on a page url=%s", url, exc_info=True)
        return None
    return dates.parse_datetime(found, zone) if found else None


def _french(value: str, meta: Metadata, url: str, page: Selector, zone: tzinfo) -> datetime | None:
    return dates.french_date(value, _year(meta, url, page), zone)


def _year(meta: Metadata, url: str, page: Selector) -> int | None:
    images = page.css("img::attr(src), meta[property='og:image']::attr(content)").getall()
    return dates.year_hint(meta.modified, meta.canonical, url, *images[:10])


def _french_in_page(
    page: Selector, meta: Metadata, url: str, zone: tzinfo
) -> tuple[datetime | None, str]:
    """The first French or numeric date written in the page, and the text it was in."""
    year = _year(meta, url, page)
    for place in alternatives(DATE_PLACES):
        for found in page.css(place)[:MAX_DATE_PLACES]:
            text = element_text(found.root)
            published = dates.french_date(text, year, zone)
            if published:
                return published, text
    return None, ""


# --------------------------------------------------------------------------- article


def extract_article(
    html: str | bytes,
    url: str,
    source: config.Source,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    check_selectors: bool = True,
) -> ArticleFields:
    """Extract the article of one page; never raises on bad markup or encoding."""
    text = decode_html(html) if isinstance(html, bytes) else html
    page = Selector(text=text or "<html></html>", type="html")
    meta = read_metadata(page)
    title = _title(page, source, meta)
    boxes = boxes_module.find_boxes(page.root)
    # the selector's sapo is the whole chapô; og:description is often cut short
    summary = _selected_summary(page, source, boxes) or meta.description
    body = extract_body(page, source, summary, title, text, boxes, check_selectors=check_selectors)
    found = find_dates(page, source, meta, url, ZoneInfo(timezone))
    published, updated = found.published, found.updated
    body_text = "\n\n".join(body.paragraphs)
    captions = page_captions(page, source, body, boxes)
    stand_in, missing = ("", "") if body_text else _stand_in_body(summary, captions)
    status, note = _status(title, summary, body_text, body, published, missing)
    return ArticleFields(
        title=title,
        summary=summary,
        body=body_text or stand_in,
        published_at=published,
        captions=captions,
        updated_at=updated,
        canonical_url=urljoin(url, meta.canonical) if meta.canonical else None,
        section=meta.section or select_text(page, source.selectors.section) or None,
        credit=body.credit or source.credit,
        dateline=cleanup.find_dateline(body_text),
        language=source.language,
        extraction=status,
        extraction_note=note,
        selectors=body.verdict.outcome,
        published_time_known=found.time_known,
        body_found=bool(body_text),
    )


def _stand_in_body(summary: str, captions: tuple[str, ...]) -> tuple[str, str]:
    """What stands for a body none was found for, and the note saying so.

    The article is still stored and matched: on its lead, else its captions
    (a photo article), else its title alone.
    """
    if summary:
        return summary, "no body found: stored with the lead"
    if captions:
        return "\n\n".join(captions), "no body found: stored with the captions"
    return "", "no body found: stored with the title only"


def _title(page: Selector, source: config.Source, meta: Metadata) -> str:
    declared = "" if SITE_NAME.fullmatch(meta.title) else meta.title
    return (
        declared
        or select_text(page, source.selectors.title)
        or _headline_text(page)
        or _page_title(page)
    )


def _selected_summary(page: Selector, source: config.Source, boxes: set[HtmlElement]) -> str:
    """The summary selector's text, unless what it found sits in a box (a teaser's text)."""
    found = select_element(page, source.selectors.summary)
    if found is not None and boxes_module.in_box(found, boxes) is not None:
        return ""
    return select_text(page, source.selectors.summary)


def _page_title(page: Selector) -> str:
    """``<title>`` without the site's name: the known ones, else the longest part
    between separators (``Écho d'Asie - Le titre``, ``Le titre | Le Journal``)."""
    title = TITLE_SUFFIX.sub("", select_text(page, "title"))
    return max(TITLE_PARTS.split(title), key=len) if title else ""


def _headline_text(page: Selector) -> str:
    found = boxes_module.headline(page.root)
    return cleanup.collapse(element_text(found)) if found is not None else ""


def _status(
    title: str,
    summary: str,
    body_text: str,
    body: Body,
    published: datetime | None,
    missing_body: str,
) -> tuple[Extraction, str]:
    """``failed`` without a title (nothing to store it under), else ``partial`` with notes."""
    if not title:
        return "failed", "no title" if body_text or summary else "no title; no body"
    notes = [
        note
        for note, applies in (
            (missing_body, bool(missing_body)),
            (_fallback_note(body.verdict), bool(body_text) and _overruled(body.verdict)),
            ("no summary", not summary),
            ("no publication date", published is None),
            ("glued words in the source text", cleanup.has_glued_words(body_text)),
        )
        if applies
    ]
    return ("partial" if notes else "ok"), "; ".join(notes)


def _overruled(verdict: crosscheck.Verdict) -> bool:
    return verdict.outcome in ("rejected", "missing")


def _fallback_note(verdict: crosscheck.Verdict) -> str:
    if verdict.outcome == "rejected":
        return f"body from the generic extraction: selector body rejected ({verdict.reason})"
    return "body from the generic extraction: selectors found nothing"
