"""Extraction judged on generated layouts (tests/crawler/layouts.py), not on our own fixtures.

The generator renders fixture articles into markup the extraction code was not
written for: random class names (some lying), text as ``<p>``, ``<br>`` runs,
bare ``<div>``\\ s or ``<span>``\\ s, boxes headed in words no production module
holds. The goals are issue 22's: no article lost, first and last paragraph kept
on >= 99.5 % of pages, no box text in the body on >= 99 %.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import config
from crawler.extract import article_id_from_url, extract_article
from crawler.items import ArticleFields
from crawler.run import crawl
from demo.sitegen import Entry, rss
from store import Store
from tests.crawler.layout_boxes import BOX_HEADINGS, INLINE_LABELS
from tests.crawler.layouts import (
    BODY_MODES,
    CAPTIONS,
    FIRST_SEED,
    KINDS,
    META,
    TITLE_MARKUP,
    Page,
    Verdict,
    generate,
    judge,
)
from tests.crawler.support import ROOT, site_config
from tests.servers import FixtureSite

PAGES = 500
SITE_PAGES = 40
GOALS = {"first": 99.5, "last": 99.5, "clean": 99.0}
PRODUCTION = ("crawler", "alerts", "store", "web", "service", "config", "cli.py", "scheduler.py")
PRODUCTION_FILES = (".py", ".j2", ".yaml", ".yml", ".json", ".ini", ".txt", ".toml", ".html")
ID_PATTERN = r"-(\d+)\.html$"


def no_selectors() -> config.Source:
    """A new outlet configured as docs/crawling.md says: no selectors at all."""
    return config.Source(
        name="Généré", base_url="https://example.vn", credit="VNA", article_url_pattern=ID_PATTERN
    )


OUTLETS = config.load_config(ROOT / "config.yaml").sources


def wrong_selectors(page: Page) -> config.Source:
    """Selectors that do not fit the page: an outlet's (another template), or a box's own class."""
    if page.seed % 2 and page.decoys:
        decoy = page.decoys[page.seed % len(page.decoys)]
        selectors = config.Selectors(title="h1.headline-x", summary=decoy, body=decoy)
    else:
        outlet = list(OUTLETS.values())[page.seed % len(OUTLETS)]
        selectors = outlet.selectors
    return no_selectors().model_copy(update={"selectors": selectors})


def stored(fields: ArticleFields) -> bool:
    """What the crawl stores: a title and an extraction that did not fail."""
    return fields.extraction != "failed" and bool(fields.title.strip())


@dataclass
class Tally:
    """Rates over many pages, and a few seeds per kind of failure, for the failure message."""

    pages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    seeds: dict[str, list[int]] = field(default_factory=dict)
    by_choice: Counter[str] = field(default_factory=Counter)
    choice_pages: Counter[str] = field(default_factory=Counter)
    choice_fails: Counter[str] = field(default_factory=Counter)

    def add(self, page: Page, verdict: Verdict) -> None:
        self.pages += 1
        failed_page = verdict.lost or not (verdict.first and verdict.last and verdict.clean)
        for name, value in page.choices.items():
            if not isinstance(value, tuple):  # box kinds and places: too many combinations
                self.choice_pages[f"{name}={value}"] += 1
                self.choice_fails[f"{name}={value}"] += failed_page
        outcome = {
            "lost": verdict.lost,
            "first": verdict.first,
            "last": verdict.last,
            "clean": verdict.clean,
        }
        self.counts.update(name for name, ok in outcome.items() if ok)
        self.counts["glued breaks"] += verdict.glued_breaks > 0
        for name, failed in (
            ("lost", verdict.lost),
            ("first missing", not verdict.first and not verdict.lost),
            ("last missing", not verdict.last and not verdict.lost),
            ("box in body", bool(verdict.leaked)),
        ):
            if failed:
                self.seeds.setdefault(name, []).append(page.seed)
                key = f"{page.choices['kind']}/{page.choices['body_mode']}"
                self.by_choice[f"{name}: {key}"] += 1

    def rate(self, name: str) -> float:
        return 100.0 * self.counts[name] / self.pages

    def meets_goals(self) -> bool:
        return self.counts["lost"] == 0 and all(self.rate(k) >= v for k, v in GOALS.items())

    def report(self) -> str:
        rates = ", ".join(f"{k} {self.rate(k):.1f} % (goal {v} %)" for k, v in GOALS.items())
        lines = [f"{self.pages} pages: {rates}, lost {self.counts['lost']} (goal 0)"]
        glued = self.counts["glued breaks"]
        lines += [f"  paragraphs glued without a space on {glued} pages (not a goal; SITES.md §6)"]
        lines += [f"  {name}: seeds {seeds[:8]}" for name, seeds in self.seeds.items()]
        lines += [f"  {key}: {n}" for key, n in self.by_choice.most_common(12)]
        return "\n".join(lines + self._worst_choices())

    def _worst_choices(self) -> list[str]:
        """The generator choices whose pages fail most often (10 pages or more)."""
        shares = {
            key: self.choice_fails[key] / n for key, n in self.choice_pages.items() if n >= 10
        }
        worst = sorted(shares, key=shares.__getitem__, reverse=True)[:10]
        return ["  failing pages by choice:"] + [
            f"    {key}: {self.choice_fails[key]} of {self.choice_pages[key]}" for key in worst
        ]


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    return [generate(FIRST_SEED + i) for i in range(PAGES)]


@pytest.mark.parametrize("selectors", ["none", "wrong"])
def test_generated_layouts_keep_every_article_and_no_box(pages: list[Page], selectors: str) -> None:
    tally = Tally()
    for page in pages:
        source = no_selectors() if selectors == "none" else wrong_selectors(page)
        fields = extract_article(page.html, page.url, source)
        tally.add(page, judge(page, fields.body, fields.captions, stored=stored(fields)))
    met = tally.meets_goals()  # a plain bool: pytest then prints the report, not the tally
    assert met, tally.report()


def _explain(page: Page, fields: ArticleFields, verdict: Verdict) -> str:
    return (
        f"seed {page.seed} {page.choices}\n{verdict}\nnote: {fields.extraction_note}\n"
        f"body: {fields.body[:600]!r}"
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(sorted(KINDS)),
    body_mode=st.sampled_from(sorted(BODY_MODES)),
    title_markup=st.sampled_from(sorted(TITLE_MARKUP)),
    meta=st.sampled_from(sorted(META)),
    boxes=st.integers(0, 8),
    names=st.sampled_from(["neutral", "honest", "lying"]),
    caption=st.sampled_from(sorted(CAPTIONS)),
    long_teasers=st.booleans(),
    trailing_teaser=st.booleans(),
    inline_related_lines=st.booleans(),
    chevrons=st.booleans(),
    list_last=st.booleans(),
    table_layout=st.booleans(),
)
def test_any_layout_is_stored(seed: int, **choices: Any) -> None:
    """Every page, whatever Hypothesis draws: the article is stored.

    No article lost is the promise that must hold on each page. The issue's rates
    (first and last paragraph >= 99.5 %, clean >= 99 %) are over many pages: the
    500-page test above. Hypothesis is made to find the one page in a few hundred
    whose brief beside seven boxes still comes out as its lead, or whose photo
    comes out with its title alone; such a page is stored, matched on what it has
    and counted as bodiless (docs/crawling.md).
    """
    page = generate(seed, **choices)
    fields = extract_article(page.html, page.url, no_selectors())
    verdict = judge(page, fields.body, fields.captions, stored=stored(fields))
    assert not verdict.lost, _explain(page, fields, verdict)
    assert fields.body_found or "no body found" in fields.extraction_note


# --------------------------------------------------------------- end to end


def _write_site(root: Path) -> list[Page]:
    """~40 generated article pages under /gen/ and an RSS feed listing them."""
    site_pages = [generate(FIRST_SEED + 10_000 + i) for i in range(SITE_PAGES)]
    entries = []
    for page in site_pages:
        path = "/gen/" + page.url.split("/", 3)[3]
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(page.html, encoding="utf-8")
        entries.append(Entry(path, page.title, page.published, page.lede))
    (root / "gen/rss.xml").write_text(rss(entries, "Généré", "/gen/"), encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return site_pages


@pytest.fixture
def generated_site(tmp_path: Path) -> Iterator[tuple[FixtureSite, list[Page]]]:
    root = tmp_path / "site"
    root.mkdir()
    site_pages = _write_site(root)
    with FixtureSite(root) as served:
        yield served, site_pages


def test_a_crawl_of_a_generated_site_stores_every_article(
    generated_site: tuple[FixtureSite, list[Page]], sqlite_store: Store
) -> None:
    site, site_pages = generated_site
    source = no_selectors().model_copy(
        update={
            "base_url": f"{site.url}/gen",
            "feeds": [f"{site.url}/gen/rss.xml"],
            "backfill_days": 36500,
        }
    )
    cfg = site_config(site.url, sqlite_store.url).model_copy(update={"sources": {"gen": source}})
    report = crawl(cfg, source="gen")
    # every page was fetched: what is missing below was lost by extraction, not discovery
    assert report.stat("gen", "vnawatch/articles/fetched") == SITE_PAGES, report.summary()
    stored_ids = {a.article_id for a in sqlite_store.iter_articles(source="gen")}
    missing = [p for p in site_pages if article_id_from_url(p.url, ID_PATTERN) not in stored_ids]
    detail = [f"seed {p.seed} {p.choices['kind']}/{p.choices['body_mode']}" for p in missing]
    stats = report.stats.get("gen", {})
    dropped = {k: v for k, v in stats.items() if k.startswith("vnawatch/dropped/")}
    assert not missing, f"{len(missing)} of {SITE_PAGES} articles not stored {dropped}: {detail}"


# --------------------------------------------------------------- the vocabulary


def _fold(text: str) -> str:
    """Casefolded, accents stripped, typographic apostrophes made plain."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("đ", "d")


def _production_files() -> Iterator[Path]:
    for name in PRODUCTION:
        path = ROOT / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (p for p in path.rglob("*") if p.suffix in PRODUCTION_FILES)
    yield from ROOT.glob("config*.*")


def test_no_production_module_holds_the_generator_headings() -> None:
    vocabulary = [*BOX_HEADINGS, *(label.rstrip(" :") for label in INLINE_LABELS if len(label) > 3)]
    assert len(BOX_HEADINGS) >= 30
    found = []
    for path in _production_files():
        text = _fold(path.read_text(encoding="utf-8", errors="replace"))
        found += [(path.relative_to(ROOT).as_posix(), w) for w in vocabulary if _fold(w) in text]
    assert not found, f"production code tuned to the test's headings: {sorted(set(found))}"
