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
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import htmldate
from parsel import Selector

from config import article_id_from_url as article_id_from_url  # the crawler's identity
from crawler import boxes as boxes_module
from crawler import cleanup, crosscheck, dates, generic
from crawler.items import ArticleFields
from crawler.metadata import SITE_NAME, TITLE_SUFFIX, Metadata, decode_html, read_metadata

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    import config
    from store.records import Extraction

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# a selector matching many elements (``article``) is tried on the first few only
MAX_BODY_CANDIDATES = 8
# where a date written in words is looked for, best first
DATE_PLACES = "time, [class*=date], [class*=time], p"
MAX_DATE_PLACES = 20
# a date or a title is read from an element's whole text, boxes or not
NO_BOXES: set[HtmlElement] = set()


@dataclass
class Body:
    """The article text found by the selectors or the fallback."""

    paragraphs: list[str]
    captions: list[str]
    credit: str | None
    from_fallback: bool = False
    container: HtmlElement | None = None
    verdict: crosscheck.Verdict = crosscheck.NO_SELECTOR


# --------------------------------------------------------------------------- identity


def content_hash(fields: ArticleFields) -> str:
    """sha256 of title, summary, body and captions, whitespace normalised."""
    parts = [fields.title, fields.summary, fields.body, *fields.captions]
    text = "\n".join(cleanup.collapse(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- selectors


def alternatives(css: str | None) -> list[str]:
    """``"h1.a, h1"`` -> ``["h1.a", "h1"]``, commas inside () [] or quotes kept."""
    if not css:
        return []
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(css):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(css[start:index].strip())
            start = index + 1
    parts.append(css[start:].strip())
    return [p for p in parts if p]


def select_text(page: Selector, css: str | None) -> str:
    """The text of the first alternative of ``css`` that finds something non-empty."""
    for alternative in alternatives(css):
        for found in page.css(alternative):
            root = found.root
            text = root if isinstance(root, str) else _element_text(root)
            if cleanup.collapse(text):
                return cleanup.collapse(text)
    return ""


def select_element(page: Selector, css: str | None) -> HtmlElement | None:
    """The first element matched by the first alternative of ``css`` that matches one."""
    for alternative in alternatives(css):
        for found in page.css(alternative):
            if not isinstance(found.root, str):
                return found.root
    return None


def _element_text(element: HtmlElement) -> str:
    blocks = cleanup.html_blocks(element, NO_BOXES)
    return " ".join(blocks.paragraphs)


# --------------------------------------------------------------------------- body


def extract_body(
    page: Selector,
    source: config.Source,
    summary: str,
    title: str,
    html: str,
    boxes: set[HtmlElement],
    *,
    check_selectors: bool = True,
) -> Body:
    """The selector body that passes the cross-check, else the generic body; cleaned either way.

    ``check_selectors=False`` is the path before the cross-check (the first
    selector body wins unchecked), kept as bench/crawl.py's baseline.
    """
    if not check_selectors:
        for _alternative, element in body_candidates(page, source.selectors.body):
            body = _render(element, summary, title, boxes)
            if body.paragraphs:
                body.verdict = crosscheck.Verdict("held", "unchecked")
                return body
    generic_lines = generic.main_text(page.root, boxes, html)
    reference = cleanup.clean_paragraphs(generic_lines, summary, title)
    first_rejection: crosscheck.Verdict | None = None
    confirmed: Body | None = None
    for alternative, element in body_candidates(page, source.selectors.body):
        body = _render(element, summary, title, boxes)
        verdict = crosscheck.judge(
            element, alternative, body.paragraphs, reference.paragraphs, boxes
        )
        if verdict.outcome != "held" or not body.paragraphs:
            first_rejection = first_rejection or verdict
        elif not crosscheck.is_catch_all(alternative):
            body.verdict = verdict
            return body
        elif confirmed is None:
            # a catch-all is wider than the article by nature: keep what the generic text has
            body.paragraphs = _trim_to(body.paragraphs, reference.paragraphs)
            confirmed = body
    if confirmed is not None:
        # a catch-all never wins on its own: the generic text confirmed it, so it is
        # used, but the source's own selectors did not hold (counted as rejected)
        confirmed.verdict = crosscheck.CATCH_ALL_ONLY
        return confirmed
    fallback = _generic_body(page, generic_lines, reference, summary, title, boxes)
    missing = "missing" if source.selectors.body else "none"
    fallback.verdict = first_rejection or crosscheck.Verdict(missing)
    return fallback


def body_candidates(page: Selector, css: str | None) -> list[tuple[str, HtmlElement]]:
    """(alternative, element) for every element the body selector finds, in order, capped."""
    found = []
    for alternative in alternatives(css):
        found.extend(
            (alternative, f.root) for f in page.css(alternative) if not isinstance(f.root, str)
        )
    return found[:MAX_BODY_CANDIDATES]


def _render(element: HtmlElement, summary: str, title: str, boxes: set[HtmlElement]) -> Body:
    """An element rendered and cleaned: the same steps whatever found it."""
    blocks = cleanup.html_blocks(element, boxes)
    cleaned = cleanup.clean_paragraphs(blocks.paragraphs, summary, title)
    captions = blocks.captions + cleaned.captions
    paragraphs = cleanup.drop_caption_copies(cleaned.paragraphs, captions)
    return Body(paragraphs, captions, cleaned.credit, container=element)


def _generic_body(
    page: Selector,
    lines: list[str],
    reference: cleanup.CleanBody,
    summary: str,
    title: str,
    boxes: set[HtmlElement],
) -> Body:
    """The element holding trafilatura's text, rendered like a selector body; else its lines."""
    element = generic.locate(page.root, lines, boxes)
    if element is not None:
        body = _render(element, summary, title, boxes)
        body.paragraphs = _trim_to(body.paragraphs, reference.paragraphs)
        verdict = crosscheck.judge(element, "", body.paragraphs, reference.paragraphs, boxes)
        if verdict.outcome == "held" and body.paragraphs:
            body.from_fallback = True
            return body
    paragraphs = cleanup.drop_caption_copies(reference.paragraphs, reference.captions)
    return Body(paragraphs, reference.captions, reference.credit, from_fallback=True)


def _trim_to(paragraphs: list[str], reference: list[str]) -> list[str]:
    """Drop the paragraphs before the first and after the last one the generic text has."""
    known = {cleanup.squeeze(line) for line in reference}
    inside = [i for i, p in enumerate(paragraphs) if cleanup.squeeze(p) in known]
    return paragraphs[inside[0] : inside[-1] + 1] if inside else paragraphs


def page_captions(
    page: Selector, source: config.Source, body: Body, boxes: set[HtmlElement]
) -> tuple[str, ...]:
    """Captions from the body, the source's caption selector and the article's figures."""
    found = list(body.captions)
    for alternative in alternatives(source.selectors.captions):
        found.extend(cleanup.collapse(t) for t in _texts(page.css(alternative)))
    for figure in _article_scope(page, body).iter("figure"):
        if boxes_module.in_box(figure, boxes) is None:
            found.extend(cleanup.caption_texts(figure))
    return tuple(cleanup.unique(cleanup.strip_anh_prefix(c) for c in found if c))


def _article_scope(page: Selector, body: Body) -> HtmlElement:
    """The smallest element holding both the headline and the body (figures sit between)."""
    headline = select_element(page, "h1")
    if body.container is None or headline is None:
        return page.root
    around_body = list(body.container.iterancestors())
    for ancestor in headline.iterancestors():
        if ancestor in around_body:
            return ancestor
    return page.root


def _texts(found: Any) -> list[str]:
    return [f.root if isinstance(f.root, str) else _element_text(f.root) for f in found]


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
            text = _element_text(found.root)
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
    # the selector's sapo is the whole chapô; og:description is often cut short
    summary = select_text(page, source.selectors.summary) or meta.description
    boxes = boxes_module.find_boxes(page.root)
    body = extract_body(page, source, summary, title, text, boxes, check_selectors=check_selectors)
    found = find_dates(page, source, meta, url, ZoneInfo(timezone))
    published, updated = found.published, found.updated
    body_text = "\n\n".join(body.paragraphs)
    status, note = _status(title, summary, body_text, body, published)
    return ArticleFields(
        title=title,
        summary=summary,
        body=body_text,
        published_at=published,
        captions=page_captions(page, source, body, boxes),
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
    )


def _title(page: Selector, source: config.Source, meta: Metadata) -> str:
    declared = "" if SITE_NAME.fullmatch(meta.title) else meta.title
    return (
        declared
        or select_text(page, source.selectors.title)
        or select_text(page, "h1")
        or TITLE_SUFFIX.sub("", select_text(page, "title"))
    )


def _status(
    title: str, summary: str, body_text: str, body: Body, published: datetime | None
) -> tuple[Extraction, str]:
    failures = [
        n for n, missing in (("no title", not title), ("no body", not body_text)) if missing
    ]
    if failures:
        return "failed", "; ".join(failures)
    notes = [
        note
        for note, applies in (
            (_fallback_note(body.verdict), body.verdict.outcome in ("rejected", "missing")),
            ("no summary", not summary),
            ("no publication date", published is None),
            ("glued words in the source text", cleanup.has_glued_words(body_text)),
        )
        if applies
    ]
    return ("partial" if notes else "ok"), "; ".join(notes)


def _fallback_note(verdict: crosscheck.Verdict) -> str:
    if verdict.outcome == "rejected":
        return f"body from the generic extraction: selector body rejected ({verdict.reason})"
    return "body from the generic extraction: selectors found nothing"
