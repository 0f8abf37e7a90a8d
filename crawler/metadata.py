"""Extraction helpers: what a page says about itself, and its bytes decoded.

Part of the EXTRACT stage (``crawler.extract``). :func:`read_metadata` reads
JSON-LD ``NewsArticle``, OpenGraph and ``article:*`` ``<meta>`` tags,
``rel=canonical`` and ``<time datetime>``; :func:`decode_html` turns fetched
bytes into text without ever failing on a wrong or unknown charset.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any

from parsel import Selector

from crawler import cleanup

ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle"})
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
SITE_NAME = re.compile(
    r"(?:VietnamPlus|Vietnam\+|Le Courrier du Vietnam|CVN|Le Vietnam Illustré|Vietnam Illustré|"
    r"Bao Anh Viet Nam|VNA)(?:\s*\([^)]*\))?",
    re.IGNORECASE,
)
# " | Politique | Vietnam+ (VietnamPlus)", " - Le Courrier du Vietnam": the site, not the headline
TITLE_SUFFIX = re.compile(
    rf"\s+(?:\|\s+[^|]{{1,40}}\s+)?[|–—-]\s+{SITE_NAME.pattern}\s*$", re.IGNORECASE
)


@dataclass
class Metadata:
    """What the page declares about itself, before any selector is tried."""

    title: str = ""
    description: str = ""
    published: str = ""
    modified: str = ""
    canonical: str | None = None
    section: str | None = None
    times: list[str] = field(default_factory=list)


def decode_html(data: bytes) -> str:
    """Bytes -> text: BOM, then strict UTF-8, then ``<meta charset>``, then windows-1252.

    Strict UTF-8 comes before the declaration because valid UTF-8 with accents
    is never accidental, while pages declaring ISO-8859-1 over UTF-8 bytes are
    common; a page declared UTF-8 but written in windows-1252, or declaring an
    unknown charset, falls through to the next candidate instead of failing.
    """
    return decode_html_as(data)[0]


def decode_html_as(data: bytes) -> tuple[str, str]:
    """:func:`decode_html`, and the name of the encoding that worked."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    declared = _utf16_without_bom(data) or declared_charset(data)
    wide = declared is not None and declared.startswith(("utf-16", "utf-32"))
    candidates = [declared, "utf-8"] if wide else ["utf-8", declared]
    for encoding in filter(None, [*candidates, "cp1252"]):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace"), "cp1252 (with replacements)"


def charset_in_content_type(value: str | None) -> str | None:
    """The ``charset=`` of a Content-Type header, latin-1 read as windows-1252."""
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", value or "", re.IGNORECASE)
    if not match:
        return None
    name = match.group(1).lower()
    return "cp1252" if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii") else name


def same_encoding(first: str, second: str) -> bool:
    """Whether two encoding names are one codec (``UTF8`` = ``utf-8``)."""
    try:
        return codecs.lookup(first).name == codecs.lookup(second).name
    except LookupError:
        return first.lower() == second.lower()


def _utf16_without_bom(data: bytes) -> str | None:
    """ASCII markup in UTF-16 is every other byte NUL; its meta charset is unreadable."""
    head = data[:200]
    if head[1::2].count(0) > len(head) // 4:
        return "utf-16-le"
    if head[0::2].count(0) > len(head) // 4:
        return "utf-16-be"
    return None


def declared_charset(data: bytes) -> str | None:
    match = CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", errors="ignore").lower()
    return "cp1252" if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii") else name


def read_metadata(page: Selector) -> Metadata:
    """JSON-LD first, then ``<meta>`` / ``<link>`` / ``<time>`` tags fill the gaps."""
    meta = Metadata()
    ld = _json_ld_article(page)
    meta.title = _text(ld.get("headline"))
    meta.description = _text(ld.get("description"))
    meta.published = _text(ld.get("datePublished"))
    meta.modified = _text(ld.get("dateModified"))
    meta.section = _text(ld.get("articleSection")) or None
    meta.title = meta.title or _meta(page, "og:title") or _meta(page, "twitter:title")
    meta.description = (
        meta.description or _meta(page, "og:description") or _meta(page, "description")
    )
    meta.published = meta.published or _meta(page, "article:published_time")
    meta.published = meta.published or _first(page, '[itemprop="datePublished"]::attr(content)')
    meta.modified = meta.modified or _meta(page, "article:modified_time")
    meta.section = meta.section or _meta(page, "article:section") or None
    meta.canonical = _first(page, 'link[rel="canonical"]::attr(href)') or None
    meta.canonical = meta.canonical or _meta(page, "og:url") or None
    meta.times = [t.strip() for t in page.css("time::attr(datetime)").getall() if t.strip()]
    meta.title = TITLE_SUFFIX.sub("", meta.title)
    return meta


def _meta(page: Selector, name: str) -> str:
    value = page.css(f'meta[property="{name}"]::attr(content), meta[name="{name}"]::attr(content)')
    return cleanup.collapse(value.get() or "")


def _first(page: Selector, css: str) -> str:
    return cleanup.collapse(page.css(css).get() or "")


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return cleanup.collapse(value) if isinstance(value, str) else ""


def _json_ld_article(page: Selector) -> dict[str, Any]:
    for raw in page.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for item in _json_ld_items(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if ARTICLE_TYPES.intersection(k for k in kinds if isinstance(k, str)):
                return item
    return {}


def _json_ld_items(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data]
    found = []
    for item in items:
        if isinstance(item, dict):
            found.append(item)
            found.extend(i for i in item.get("@graph", []) if isinstance(i, dict))
    return found
