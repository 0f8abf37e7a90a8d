"""Malformed input: 1,000 broken pages, feeds and sitemaps served beside the sample site.

A seeded generator writes every bad input into a copy of the sample site
(nothing big is committed): truncated HTML, wrong, missing and UTF-16
encodings, binary data, 10,000 nested tags, empty 200s, redirect loops, feeds
with unreadable dates, entity bombs and external entities (XXE) in feeds and
sitemaps, sitemaps that are HTML, gzip that is not gzip. One crawl of the
three outlets runs over all of it. Nothing crashes; each kind has its counted
stat and each bad input its log line; the good articles beside them are stored;
no entity is ever expanded, so the secret file an XXE points at never reaches
the log or the store. ``VNAWATCH_BAD_INPUT_SEED`` replays another draw.
"""

from __future__ import annotations

import gzip
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.run import CrawlReport, crawl
from demo.sitegen import article_page, sitemap_index
from store import Store, open_store
from tests.crawler.support import add_listing_link, site_config, stderr_to
from tests.servers import FixtureSite

pytestmark = pytest.mark.slow
logger = logging.getLogger(__name__)

SEED = int(os.environ.get("VNAWATCH_BAD_INPUT_SEED", "20261205"))
TOTAL = 1000
NESTING = 10_000
SECRET = "SECRET-XXE-7f3a9c-ne-doit-jamais-sortir"
SOURCE = "lecourrier"
# kind -> (weight, the stat that counts it); kinds sharing a stat are summed
KINDS: dict[str, tuple[int, str]] = {
    "truncated_html": (9, "vnawatch/malformed/article/truncated"),
    "truncated_transfer": (6, "vnawatch/errors/article"),
    "cp1252_declared_utf8": (6, "vnawatch/encoding_mismatch"),
    "latin1_undeclared": (6, "vnawatch/encoding_guessed"),
    "utf16_bom_declared_utf8": (4, "vnawatch/encoding_mismatch"),
    "utf16_no_bom_declared_utf8": (4, "vnawatch/encoding_mismatch"),
    "binary": (8, "vnawatch/malformed/article/binary"),
    # the text is past libxml2's depth limit: stored with its title and lead, never lost
    "nested_tags": (3, "vnawatch/extraction/bodiless"),
    "empty_200": (8, "vnawatch/malformed/article/empty"),
    "article_redirect_loop": (2, "vnawatch/articles/ignored"),
    "feed_bad_dates": (7, "vnawatch/malformed/feed"),
    "feed_entity_bomb": (4, "vnawatch/malformed/feed"),
    "feed_xxe": (4, "vnawatch/malformed/feed"),
    "feed_redirect_loop": (2, "vnawatch/errors/feed"),
    "sitemap_entity_bomb": (4, "vnawatch/malformed/sitemap"),
    "sitemap_xxe": (4, "vnawatch/malformed/sitemap"),
    "sitemap_is_html": (7, "vnawatch/malformed/sitemap"),
    "gzip_not_gzip": (6, "vnawatch/malformed/sitemap"),
    "gzip_header_lie": (3, "vnawatch/errors/sitemap"),
}
# decoded right in spite of the bytes: stored whole, with a warning
STORED_KINDS = {
    "cp1252_declared_utf8",
    "latin1_undeclared",
    "utf16_bom_declared_utf8",
    "utf16_no_bom_declared_utf8",
}
# the text is past the parser's depth limit: stored on its title and lead, flagged
BODILESS_KINDS = {"nested_tags"}
ARTICLE_KINDS = {k for k in KINDS if not k.startswith(("feed_", "sitemap_", "gzip_"))}
ARTICLES_PER_SHARD = 100
KNOWN_ARTICLE = (
    "/lecourrier/mer-orientale-des-experts-appellent-au-respect-de-la-cnudm/1350251.html"
)
# Scrapy's own notice of the first truncated transfer, once per crawl
SCRAPY_ONCE = "This message won't be shown in further requests"
LOGGED_PATH = re.compile(r"http://127\.0\.0\.1:\d+(/[^\s'\";?]+)")
CRASH_STATS = ("spider_exceptions", "log_count/ERROR", "log_count/CRITICAL")


@dataclass
class BadSite:
    """What the generator wrote: bad inputs by kind, good articles, discovery URLs."""

    site: FixtureSite
    rng: random.Random
    secret_path: Path
    inputs: dict[str, list[str]] = field(default_factory=dict)  # kind -> URL paths
    good: dict[str, str] = field(default_factory=dict)  # article id -> expected title
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    article_shard: list[str] = field(default_factory=list)
    number: int = 0
    # a sample article, linked from the inputs whose links may be lost with the damage
    known: str = KNOWN_ARTICLE

    def next_id(self) -> str:
        self.number += 1
        return str(1_800_000 + self.number)

    def write(self, path: str, data: bytes | str) -> None:
        target = self.site.path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        target.write_bytes(data)

    def page(self, kind: str, article_id: str) -> tuple[str, str]:
        """A well-formed article page with accents, as text, and its title."""
        title = f"Dépêche n° {article_id} : l'économie côtière à l'épreuve ({kind})"
        published = datetime(2026, 11, 20, 8, 0, tzinfo=UTC) + timedelta(minutes=self.number)
        body = (
            f"Hanoï (VNA) - Le ministère a présenté jeudi le bilan n° {article_id} "
            "de la saison, marquée par une hausse des échanges côtiers.\n\n"
            "Les pêcheurs de la région ont salué la décision des autorités."
        )
        return article_page(title, published, body, "Un chapô accentué : été, côte."), title

    def good_article(self) -> str:
        """A good page on the bad source, linked from a bad feed or sitemap."""
        article_id = self.next_id()
        path = f"/lecourrier/bonne-depeche-{article_id}/{article_id}.html"
        text, title = self.page("bonne", article_id)
        self.write(path, text)
        self.good[article_id] = title
        return path


def _truncated(bad: BadSite, text: str) -> bytes:
    end = text.index("</body>")
    return text[: bad.rng.randint(len(text) // 5, end - 1)].encode()


def _nested(text: str) -> bytes:
    opened = "<div>" * NESTING
    return (
        text.replace("<article>", opened + "<article>")
        .replace("</article>", "</article>" + "</div>" * NESTING)
        .encode()
    )


def _article_input(bad: BadSite, kind: str) -> str:
    """Write one bad article page of ``kind``; returns its URL path."""
    article_id = bad.next_id()
    path = f"/lecourrier/depeche-malformee-{kind.replace('_', '-')}/{article_id}.html"
    text, title = bad.page(kind, article_id)
    data: bytes = text.encode()
    if kind == "truncated_html":
        data = _truncated(bad, text)
    elif kind == "truncated_transfer":
        bad.faults[path] = {"truncate": True}
    elif kind == "cp1252_declared_utf8":
        data = text.encode("cp1252")
    elif kind == "latin1_undeclared":
        data = text.replace('<meta charset="utf-8">', "").encode("latin-1")
        bad.faults[path] = {"content_type": "text/html"}
    elif kind == "utf16_bom_declared_utf8":
        data = text.encode("utf-16")
    elif kind == "utf16_no_bom_declared_utf8":
        data = text.encode(bad.rng.choice(["utf-16-le", "utf-16-be"]))
    elif kind == "binary":
        magic = bad.rng.choice([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"%PDF-1.7\n"])
        data = magic + bad.rng.randbytes(bad.rng.randint(600, 8000))
    elif kind == "nested_tags":
        data = _nested(text)
    elif kind == "empty_200":
        data = b""
    elif kind == "article_redirect_loop":
        bad.faults[path] = {"redirect": path}
    bad.write(path, data)
    if kind in STORED_KINDS:
        bad.good[article_id] = title
    bad.article_shard.append(path)
    return path


BAD_DATES = ["hier", "32 Foo 2026 25:61:00 +0700", "2026-13-45", "lundi dernier", "0000-00-00"]


def _rss(items: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}<rss version="2.0"><channel>'
        f"<title>Flux de test</title>{items}</channel></rss>\n"
    )


def _item(path: str, date: str, title: str = "Une dépêche") -> str:
    return f"<item><title>{title}</title><link>{path}</link><pubDate>{date}</pubDate></item>"


def _bomb(root: str) -> str:
    """Billion laughs: ten levels of ten references each."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(levels)}]>\n"


def _xxe(root: str, secret: Path) -> str:
    return f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'


def _sitemap(paths: list[str], doctype: str = "", extra: str = "") -> str:
    urls = "".join(f"<url><loc>{p}{extra}</loc></url>" for p in paths)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def _feed_input(bad: BadSite, kind: str) -> str:
    path = f"/lecourrier/flux/{kind.replace('_', '-')}-{bad.next_id()}.rss"
    if kind == "feed_bad_dates":
        good = bad.good_article()
        text = _rss(_item(good, bad.rng.choice(BAD_DATES)))
    elif kind == "feed_entity_bomb":
        text = _rss(_item(bad.known, "&lol9;", "&lol9;"), _bomb("rss"))
    elif kind == "feed_xxe":
        good = bad.good_article()
        text = _rss(
            _item(good, "Fri, 20 Nov 2026 08:00:00 +0700", "&xxe;"), _xxe("rss", bad.secret_path)
        )
    else:  # feed_redirect_loop
        bad.faults[path] = {"redirect": path}
        text = _rss("")
    bad.write(path, text)
    bad.feeds.append(path)
    return path


def _sitemap_input(bad: BadSite, kind: str) -> str:
    number = bad.next_id()
    path = f"/lecourrier/sitemaps/{kind.replace('_', '-')}-{number}.xml"
    data: str | bytes
    if kind == "sitemap_entity_bomb":
        data = _sitemap([bad.known], _bomb("urlset"), "&lol9;")
    elif kind == "sitemap_xxe":
        data = _sitemap([bad.good_article()], _xxe("urlset", bad.secret_path), "&xxe;")
    elif kind == "sitemap_is_html":
        data = bad.site.path("lecourrier/index.html").read_text("utf-8")
    elif kind == "gzip_not_gzip":
        path = path + ".gz"
        packed = gzip.compress(_sitemap([bad.known]).encode())
        data = bad.rng.choice(
            [
                packed[: len(packed) // 2],  # cut short
                packed[:10] + bad.rng.randbytes(200),  # a gzip header, then noise
            ]
        )
    else:  # gzip_header_lie: "Content-Encoding: gzip" over plain XML
        data = _sitemap([bad.known])
        bad.faults[path] = {"headers": {"Content-Encoding": "gzip"}}
    bad.write(path, data)
    bad.sitemaps.append(path)
    return path


def _generate(site: FixtureSite, secret: Path, seed: int) -> BadSite:
    bad = BadSite(site, random.Random(seed), secret)
    names = list(KINDS)
    drawn = bad.rng.choices(names, weights=[KINDS[k][0] for k in names], k=TOTAL)
    for kind in drawn:
        make: Callable[[BadSite, str], str]
        if kind in ARTICLE_KINDS:
            make = _article_input
        elif kind.startswith("feed_"):
            make = _feed_input
        else:
            make = _sitemap_input
        bad.inputs.setdefault(kind, []).append(make(bad, kind))
    shards = []
    for start in range(0, len(bad.article_shard), ARTICLES_PER_SHARD):
        shard = f"/lecourrier/sitemaps/depeches-{start // ARTICLES_PER_SHARD}.xml"
        bad.write(shard, _sitemap(bad.article_shard[start : start + ARTICLES_PER_SHARD]))
        shards.append(shard)
    index = ["/lecourrier/sitemaps/news-11-2026.xml", *shards, *bad.sitemaps]
    bad.write("/lecourrier/sitemap.xml", sitemap_index(index))
    site.set_faults(bad.faults)
    return bad


@dataclass
class Outcome:
    bad: BadSite
    report: CrawlReport
    store: Store
    log: str
    seconds: float


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    root = tmp_path_factory.mktemp("bad_input")
    secret = root / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    database_url = f"sqlite:///{root / 'vnawatch.db'}"
    store = open_store(database_url)
    store.upgrade()
    with FixtureSite(root / "site") as site:
        bad = _generate(site, secret, SEED)
        cfg = site_config(site.url, database_url)
        sources = dict(cfg.sources)
        sources[SOURCE] = sources[SOURCE].model_copy(
            update={"feeds": [site.url + path for path in bad.feeds]}
        )
        cfg = cfg.model_copy(update={"sources": sources})
        started = time.monotonic()
        with stderr_to(root / "crawl.log"):
            report = crawl(cfg, timeout_seconds=600)
        seconds = time.monotonic() - started
        log = (root / "crawl.log").read_text(encoding="utf-8", errors="replace")
        counts = {kind: len(paths) for kind, paths in sorted(bad.inputs.items())}
        logger.warning("bad inputs seed=%d seconds=%.0f counts=%s", SEED, seconds, counts)
        yield Outcome(bad, report, store, log, seconds)
    store.close()


def test_the_generator_makes_1000_bad_inputs_of_every_kind(outcome: Outcome) -> None:
    assert sum(len(paths) for paths in outcome.bad.inputs.values()) == TOTAL
    assert set(outcome.bad.inputs) == set(KINDS)


def test_the_crawl_finishes_without_a_crash(outcome: Outcome) -> None:
    report = outcome.report
    assert not report.timed_out and not report.problems, report.lines()
    assert {run.source for run in report.runs} == {"vietnamplus", "lecourrier", "vietnamillustre"}
    for source, stats in report.stats.items():
        assert stats.get("finish_reason") == "finished", source
        crashes = {k: v for k, v in stats.items() if k.startswith(CRASH_STATS)}
        assert not crashes, (source, crashes)
    assert "Traceback" not in outcome.log


def test_each_kind_is_counted_in_its_stat(outcome: Outcome) -> None:
    expected: Counter[str] = Counter()
    for kind, paths in outcome.bad.inputs.items():
        expected[KINDS[kind][1]] += len(paths)
    counted = {key: outcome.report.stat(SOURCE, key) for key in expected}
    assert counted == dict(expected)
    assert outcome.report.stat(SOURCE, "vnawatch/malformed/article") == sum(
        len(outcome.bad.inputs.get(k, [])) for k in ("truncated_html", "binary", "empty_200")
    )


def test_each_bad_input_has_its_own_log_line(outcome: Outcome) -> None:
    mentions: Counter[str] = Counter()
    for line in outcome.log.splitlines():
        if (" WARNING " in line or " ERROR " in line) and SCRAPY_ONCE not in line:
            mentions.update(set(LOGGED_PATH.findall(line)))
    counts = {
        (kind, path): mentions[path] for kind, paths in outcome.bad.inputs.items() for path in paths
    }
    assert not [key for key, n in counts.items() if n == 0]
    assert not [key for key, n in counts.items() if n > 1]


def test_the_good_articles_beside_them_are_stored(outcome: Outcome) -> None:
    stored = {a.article_id: a for a in outcome.store.iter_articles(source=SOURCE)}
    for article_id, title in outcome.bad.good.items():
        assert article_id in stored, article_id
        assert stored[article_id].title == title  # decoded right, whatever the bytes
        assert "pêcheurs de la région" in stored[article_id].body
    refused = {
        path.rsplit("/", 1)[1].removesuffix(".html")
        for kind in ARTICLE_KINDS - STORED_KINDS - BODILESS_KINDS
        for path in outcome.bad.inputs.get(kind, [])
    }
    assert not refused & set(stored)
    for kind in BODILESS_KINDS:
        for path in outcome.bad.inputs.get(kind, []):
            article = stored[path.rsplit("/", 1)[1].removesuffix(".html")]
            assert "no body found" in article.extraction_note, article.extraction_note
    for source in ("vietnamplus", "vietnamillustre"):  # the other sources are untouched
        run = outcome.report.run(source)
        assert run.new_articles >= 2 and run.succeeded, run


def test_no_entity_is_expanded_so_the_secret_file_never_leaks(outcome: Outcome) -> None:
    assert SECRET not in outcome.log
    assert "lollollol" not in outcome.log
    for article in outcome.store.iter_articles():
        for name in (f.name for f in fields(article)):
            assert SECRET not in str(getattr(article, name)), (article.article_id, name)
    xxe = outcome.bad.inputs["feed_xxe"][0]
    assert re.search(re.escape(xxe) + r".*entity declarations not expanded", outcome.log)


def test_a_truncated_page_is_looked_for_again_and_stored_once_whole(
    tmp_path: Path, sqlite_store: Store
) -> None:
    with FixtureSite(tmp_path / "site") as site:
        path = "/lecourrier/une-depeche-coupee-puis-reparee/1899001.html"
        bad = BadSite(site, random.Random(SEED), tmp_path / "unused")
        text, title = bad.page("reparee", "1899001")
        bad.write(path, _truncated(bad, text))
        add_listing_link(site.path("lecourrier/index.html"), path, "Une dépêche")
        cfg = site_config(site.url, sqlite_store.url)
        first = crawl(cfg, SOURCE)
        assert first.stat(SOURCE, "vnawatch/malformed/article/truncated") == 1
        assert any("truncated HTML" in error for error in first.run(SOURCE).errors)
        assert sqlite_store.article_by_identity(SOURCE, "1899001") is None
        bad.write(path, text)  # the site repairs the page; the listing does not change
        second = crawl(cfg, SOURCE)
    assert second.run(SOURCE).new_articles == 1, second.lines()
    stored = sqlite_store.article_by_identity(SOURCE, "1899001")
    assert stored is not None and stored.title == title
    assert stored.body.endswith("ont salué la décision des autorités.")
