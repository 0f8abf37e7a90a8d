"""Discovery documents -> links: RSS 2.0, Atom, sitemaps and sitemap indexes.

Also the sitemap URL templates: ``{year}``/``{month}`` expand to this month
and the previous one (:func:`expand_sitemap_url`).

Tolerant by design: the XML is parsed with lxml's recovering parser, so a
truncated or malformed feed still yields the links before the damage, and
:attr:`Links.problem` says what was wrong so the spider can log it and count
it. Gzipped sitemaps are unpacked first, never beyond ``MAX_XML_BYTES``.

Safe by design: entities are never expanded (``resolve_entities=False``), no
DTD or external entity is loaded (``load_dtd=False``, ``no_network=True``) and
libxml2's size and depth limits stay on (``huge_tree=False``). A billion-laughs
bomb or an external entity (XXE) pointing at a local file is read as text
without its expansion, and reported as a problem. Dates that cannot be read
(``pubDate``, ``<updated>``, ``<lastmod>``) are reported too.
"""

from __future__ import annotations

import email.utils
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from lxml import etree

MAX_XML_BYTES = 50_000_000
GZIP_MAGIC = b"\x1f\x8b"
# RSS pubDate (RFC 822), Atom and Dublin Core dates, sitemap and Google News dates
DATE_XPATH = (
    "//*[local-name()='item']/*[local-name()='pubDate' or local-name()='date']/text()"
    " | //*[local-name()='entry']/*[local-name()='updated' or local-name()='published']/text()"
    " | //*[local-name()='url']/*[local-name()='lastmod']/text()"
    " | //*[local-name()='publication_date']/text()"
)


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
    """The root element (maybe partial) and a description of any problem."""
    body, problem = _gunzip(body)
    if problem:
        return None, problem
    if not body.strip():
        return None, "empty document"
    parser = etree.XMLParser(
        recover=True,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        return None, f"not XML: {exc}"
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    problem = f"malformed XML line {errors[0].line}: {errors[0].message}" if errors else None
    if root is None:
        return None, problem or "not XML"
    return root, _join(problem, _entity_problem(root), _date_problem(root))


def _gunzip(body: bytes) -> tuple[bytes, str | None]:
    """Unpacked gzip (at most ``MAX_XML_BYTES``: a gzip bomb stops there), or the body."""
    if not body.startswith(GZIP_MAGIC):
        return body, None
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_XML_BYTES)
    except zlib.error as exc:
        return body, f"not gzip: {exc}"
    if unpacker.unconsumed_tail:
        return data, f"gzip unpacks to more than {MAX_XML_BYTES} bytes; read that far"
    if not unpacker.eof:
        return data, "truncated gzip"
    return data, None


def _entity_problem(root: etree._Element) -> str | None:
    """Entity declarations, which were left unexpanded (bombs, XXE)."""
    dtd = root.getroottree().docinfo.internalDTD
    entities = list(dtd.iterentities()) if dtd is not None else []
    if not entities:
        return None
    external = sum(1 for e in entities if e.system_url)
    return f"{len(entities)} entity declarations not expanded ({external} external)"


def _date_problem(root: etree._Element) -> str | None:
    bad = [value for value in _texts(root, DATE_XPATH) if not _readable_date(value)]
    return f"{len(bad)} unreadable dates, first {bad[0][:40]!r}" if bad else None


def _readable_date(value: str) -> bool:
    """An ISO 8601 / W3C date or an RFC 822 one (RSS)."""
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


def _join(*problems: str | None) -> str | None:
    found = [p for p in problems if p]
    return "; ".join(found) if found else None


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
