"""Discovery files for a local copy of the outlets: RSS, sitemaps, listing pages.

The bundled sample site (``demo/sample_site``) holds article pages written
by hand; this module writes what points at them, the way each outlet does:

- ``vietnamplus/rss/home.rss`` (RSS 2.0, newest first; links in the legacy
  ``/<slug>/<id>.vnp`` form for the newest article, as old feeds do),
  ``vietnamplus/sitemaps/google-news.xml`` (Google News sitemap),
  ``vietnamplus/index.html`` -> ``vietnamplus/page2.html`` (listing);
- ``lecourrier/sitemap.xml`` (a sitemap index) -> ``lecourrier/sitemaps/news-11-2026.xml``,
  ``lecourrier/index.html`` -> ``lecourrier/page2.html``;
- ``vietnamillustre/french/sitemaps/news-11-2026.xml``,
  ``vietnamillustre/french/tin-van/index.html`` -> ``.../tin-van/suite.html``;
- ``robots.txt`` at the root (everything allowed).

URLs inside these files are root-relative (``/vietnamplus/...``): the site is
served on a random port, and the spiders resolve every link against the page
it came from. Run ``python -m demo.sitegen [ROOT]`` after adding an article
page. :func:`article_page` writes a minimal article page, for tests and the
benchmark.
"""

from __future__ import annotations

import html
import json
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from demo.localsite import ALIASES_FILE

logger = logging.getLogger(__name__)

SAMPLE_SITE = Path(__file__).resolve().parent / "sample_site"
PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
LISTING_PAGE_SIZE = 4


@dataclass(frozen=True)
class Entry:
    """One article as discovery files list it; ``path`` is root-relative."""

    path: str
    title: str
    published: datetime
    summary: str = ""


def rss(entries: list[Entry], title: str, link: str) -> str:
    """An RSS 2.0 feed of ``entries``, newest first."""
    items = "".join(
        f"""  <item>
    <title>{html.escape(e.title)}</title>
    <link>{html.escape(e.path)}</link>
    <guid isPermaLink="true">{html.escape(e.path)}</guid>
    <description>{html.escape(e.summary)}</description>
    <pubDate>{format_datetime(e.published)}</pubDate>
  </item>
"""
        for e in _newest_first(entries)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>{html.escape(title)}</title>
  <link>{html.escape(link)}</link>
  <language>fr</language>
{items}</channel>
</rss>
"""


def sitemap(entries: list[Entry], *, news: bool = False) -> str:
    """A urlset sitemap; with ``news`` the Google News extension (title, date)."""
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    urls = "".join(_sitemap_url(e, news) for e in _newest_first(entries))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>\n{urls}</urlset>\n'
    )


def _sitemap_url(entry: Entry, news: bool) -> str:
    when = entry.published.isoformat()
    extra = (
        f"""    <news:news>
      <news:publication><news:name>VietnamPlus</news:name><news:language>fr</news:language></news:publication>
      <news:publication_date>{when}</news:publication_date>
      <news:title>{html.escape(entry.title)}</news:title>
    </news:news>
"""
        if news
        else f"    <lastmod>{when}</lastmod>\n"
    )
    return f"  <url>\n    <loc>{html.escape(entry.path)}</loc>\n{extra}  </url>\n"


def sitemap_index(paths: list[str]) -> str:
    """A sitemap index pointing at ``paths``."""
    items = "".join(f"  <sitemap><loc>{html.escape(p)}</loc></sitemap>\n" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{items}</sitemapindex>\n"
    )


def listing(title: str, entries: list[Entry], next_path: str | None = None) -> str:
    """A listing page: one ``<h2><a>`` per article and a ``rel=next`` pager link."""
    stories = "".join(
        f'    <article class="story"><h2><a href="{html.escape(e.path)}">'
        f"{html.escape(e.title)}</a></h2><p>{html.escape(e.summary)}</p></article>\n"
        for e in entries
    )
    pager = (
        f'  <nav class="pager"><a rel="next" href="{html.escape(next_path)}">Suivant</a></nav>\n'
        if next_path
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body>
  <h1>{html.escape(title)}</h1>
  <section class="timeline">
{stories}  </section>
{pager}</body></html>
"""


def article_page(title: str, published: datetime, body: str, summary: str = "") -> str:
    """A minimal article page with the metadata the extractor reads first."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n") if p)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:description" content="{html.escape(summary)}">
<meta property="article:published_time" content="{published.isoformat()}">
</head><body>
<article><h1>{html.escape(title)}</h1>
<div class="sapo">{html.escape(summary)}</div>
<div class="article__body article-content">{paragraphs}</div></article>
</body></html>
"""


def _newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.published, reverse=True)


def write_listing_pages(directory: Path, prefix: str, title: str, entries: list[Entry]) -> None:
    """``index.html`` with the newest articles (half, at most a page) and a page 2."""
    ordered = _newest_first(entries)
    size = min(LISTING_PAGE_SIZE, max(1, (len(ordered) + 1) // 2))
    first, rest = ordered[:size], ordered[size:]
    second = "suite.html" if prefix.endswith("/tin-van") else "page2.html"
    _write(directory / "index.html", listing(title, first, f"{prefix}/{second}"))
    _write(directory / second, listing(f"{title} — page 2", rest))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- sample site


def scan(root: Path, outlet_dir: str, source_id: str, suffixes: tuple[str, ...]) -> list[Entry]:
    """The article pages under ``root/outlet_dir``, read with the real extractor."""
    import config as config_module
    from crawler.extract import article_id_from_url, extract_article

    source = config_module.load_config(PROJECT_CONFIG).sources[source_id]
    entries = []
    for path in sorted((root / outlet_dir).rglob("*")):
        relative = "/" + path.relative_to(root).as_posix()
        if path.suffix not in suffixes or not article_id_from_url(
            relative, source.article_url_pattern
        ):
            continue
        fields = extract_article(path.read_bytes(), relative, source)
        if fields.published_at is None or not fields.title:
            logger.warning("sitegen: skipped page without title or date path=%s", relative)
            continue
        entries.append(Entry(relative, fields.title, fields.published_at, fields.summary[:300]))
    return entries


def build_sample_site(root: Path = SAMPLE_SITE) -> dict[str, int]:
    """(Re)write every discovery file of the sample site; returns articles per outlet."""
    counts = {
        "vietnamplus": _build_vietnamplus(root),
        "lecourrier": _build_lecourrier(root),
        "vietnamillustre": _build_vietnamillustre(root),
    }
    _write(root / "robots.txt", "User-agent: *\nAllow: /\n")
    return counts


def _build_vietnamplus(root: Path) -> int:
    """Listing and sitemap use one URL per id (the ``-post`` form when there is one).

    Every page is also served under its other URL form (``_aliases.json``, read
    by ``demo.localsite``), as the real site does; the feed links the newest
    ``-post`` article by its legacy URL, so two channels show one id two ways.
    """
    pages = scan(root, "vietnamplus", "vietnamplus", (".vnp",))
    by_id: dict[str, Entry] = {}
    for entry in pages:
        article_id = _vnp_id(entry.path)
        if article_id not in by_id or "-post" in entry.path.rsplit("/", 1)[-1]:
            by_id[article_id] = entry
    entries = list(by_id.values())
    aliases = {_other_form(e.path): e.path for e in entries}
    _write(root / ALIASES_FILE, json.dumps(aliases, indent=2, ensure_ascii=False) + "\n")
    feed = list(entries)
    posts = [e for e in _newest_first(entries) if "-post" in e.path.rsplit("/", 1)[-1]]
    if posts:
        newest = posts[0]
        legacy = Entry(_other_form(newest.path), newest.title, newest.published, newest.summary)
        feed = [legacy] + [e for e in entries if e is not newest]
    _write(root / "vietnamplus/rss/home.rss", rss(feed[:10], "VietnamPlus", "/vietnamplus/"))
    _write(root / "vietnamplus/sitemaps/google-news.xml", sitemap(entries, news=True))
    write_listing_pages(root / "vietnamplus", "/vietnamplus", "VietnamPlus — Actualités", entries)
    return len(entries)


def _vnp_id(path: str) -> str:
    return path.removesuffix(".vnp").rsplit("/", 1)[-1].rsplit("-post", 1)[-1]


def _other_form(path: str) -> str:
    """``/v/slug-post123.vnp`` <-> ``/v/slug/123.vnp``."""
    head, name = path.rsplit("/", 1)
    if "-post" in name:
        slug, _, number = name.removesuffix(".vnp").rpartition("-post")
        return f"{head}/{slug}/{number}.vnp"
    parent, slug = head.rsplit("/", 1)
    return f"{parent}/{slug}-post{name.removesuffix('.vnp')}.vnp"


def _build_lecourrier(root: Path) -> int:
    entries = scan(root, "lecourrier", "lecourrier", (".html",))
    shard = "/lecourrier/sitemaps/news-11-2026.xml"
    _write(root / "lecourrier/sitemap.xml", sitemap_index([shard]))
    _write(root / shard.lstrip("/"), sitemap(entries))
    write_listing_pages(root / "lecourrier", "/lecourrier", "Le Courrier du Vietnam", entries)
    return len(entries)


def _build_vietnamillustre(root: Path) -> int:
    entries = scan(root, "vietnamillustre/french", "vietnamillustre", (".html",))
    _write(root / "vietnamillustre/french/sitemaps/news-11-2026.xml", sitemap(entries))
    write_listing_pages(
        root / "vietnamillustre/french/tin-van",
        "/vietnamillustre/french/tin-van",
        "Le Vietnam Illustré — Brèves",
        entries,
    )
    return len(entries)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    built = build_sample_site(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_SITE)
    logger.info("sitegen: discovery files written %s", built)
