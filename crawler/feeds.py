"""Discovery documents -> links: RSS 2.0, Atom, sitemaps and sitemap indexes.

Also the sitemap URL templates: ``{year}``/``{month}`` expand to this month
and the previous one (:func:`expand_sitemap_url`).

Tolerant by design: the XML is parsed with lxml's recovering parser (no
entities, no network), so a truncated or malformed feed still yields the links
before the damage, and :attr:`Links.problem` says what was wrong so the spider
can log it and count it. Gzipped sitemaps are unpacked first.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from lxml import etree

MAX_XML_BYTES = 50_000_000
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Links:
    """What one discovery document points at."""

    articles: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    problem: str | None = None
    # article link -> its <lastmod> (sitemaps) or <updated> (Atom), as written
    modified: dict[str, str] = field(default_factory=dict)


def expand_sitemap_url(template: str, today: date) -> list[str]:
    """``news-{month}-{year}.xml`` -> this month's and the previous month's URLs."""
    if "{year}" not in template and "{month}" not in template:
        return [template]
    previous = today.replace(day=1) - timedelta(days=1)
    urls = []
    for day in (today, previous):
        url = template.replace("{year}", str(day.year)).replace("{month}", str(day.month))
        if url not in urls:
            urls.append(url)
    return urls


def _parse(body: bytes) -> tuple[etree._Element | None, str | None]:
    """The root element (maybe partial) and a description of any parse error."""
    body = _gunzip(body)
    if not body.strip():
        return None, "empty document"
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        return None, f"not XML: {exc}"
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    problem = f"malformed XML line {errors[0].line}: {errors[0].message}" if errors else None
    if root is None:
        return None, problem or "not XML"
    return root, problem


def _gunzip(body: bytes) -> bytes:
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        return gzip.decompress(body)[:MAX_XML_BYTES]
    except (OSError, EOFError, zlib.error):
        return body


def _texts(root: etree._Element, xpath: str) -> list[str]:
    found = root.xpath(xpath)
    return [str(value).strip() for value in found if str(value).strip()]


def feed_links(body: bytes) -> Links:
    """Article links of an RSS 2.0 / RSS 1.0 / Atom feed."""
    root, problem = _parse(body)
    if root is None:
        return Links(problem=problem)
    links = _texts(root, "//*[local-name()='item']/*[local-name()='link']/text()")
    links += _texts(
        root,
        "//*[local-name()='item'][not(*[local-name()='link'])]"
        "/*[local-name()='guid'][not(@isPermaLink='false')]/text()",
    )
    modified = {}
    for entry in root.xpath("//*[local-name()='entry']"):
        hrefs = _texts(entry, "*[local-name()='link'][not(@rel) or @rel='alternate']/@href")
        updated = _texts(entry, "*[local-name()='updated']/text()")
        links += hrefs[:1]
        if hrefs and updated:
            modified[hrefs[0]] = updated[0]
    if not links and problem is None and _local(root) not in ("rss", "feed", "RDF"):
        problem = f"not a feed (root element <{_local(root)}>)"
    return Links(articles=links, problem=problem, modified=modified)


def sitemap_links(body: bytes) -> Links:
    """Page URLs of a urlset, or child sitemaps of a sitemap index."""
    root, problem = _parse(body)
    if root is None:
        return Links(problem=problem)
    pages, modified = [], {}
    for url in root.xpath("//*[local-name()='url']"):
        locs = _texts(url, "*[local-name()='loc']/text()")
        lastmod = _texts(url, "*[local-name()='lastmod']/text()")
        pages += locs[:1]
        if locs and lastmod:
            modified[locs[0]] = lastmod[0]
    children = _texts(root, "//*[local-name()='sitemap']/*[local-name()='loc']/text()")
    if (
        not pages
        and not children
        and problem is None
        and _local(root)
        not in (
            "urlset",
            "sitemapindex",
        )
    ):
        problem = f"not a sitemap (root element <{_local(root)}>)"
    return Links(articles=pages, sitemaps=children, problem=problem, modified=modified)


def parse_modified(value: str, zone: tzinfo) -> datetime | None:
    """A W3C datetime (``2026-11-23``, ``2026-11-23T10:20:00+07:00``), aware, or None."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
