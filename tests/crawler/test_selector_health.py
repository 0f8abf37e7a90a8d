"""Loud when markup changes: a crawl counts how often the body selectors held, per source."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.run import crawl
from store import Store, open_store
from tests.crawler.support import ROOT, site_config
from tests.servers import FixtureSite

EXPECTED = json.loads((ROOT / "tests/fixtures/articles/expected.json").read_text("utf-8"))
TEASERS = (
    '<section class="k1"><h3>Articles similaires</h3>'
    '<article class="k2"><h3><a href="/lecourrier/a/1.html">Tô Lâm reçoit Xi Jinping</a></h3>'
    "<p>Le dirigeant chinois a été accueilli à Hanoï par une cérémonie officielle.</p></article>"
    "</section>"
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FixtureSite]:
    with FixtureSite(tmp_path / "site") as served:
        yield served


def redesign(site: FixtureSite) -> int:
    """Le Courrier renames its body class and adds a box of <article> teasers; pages changed."""
    pages = [p for p in site.path("lecourrier").rglob("*.html") if p.parent.name != "lecourrier"]
    pages = [p for p in pages if "sitemaps" not in p.parts]
    for page in pages:
        text = page.read_text("utf-8").replace("article-content", "zx-texte")
        page.write_text(text.replace("</main>", TEASERS + "</main>"), "utf-8")
    return len(pages)


def test_selectors_that_stop_holding_are_counted_and_articles_stay_right(
    site: FixtureSite, store: Store, tmp_path: Path
) -> None:
    cfg = site_config(site.url, store.url)
    before = crawl(cfg, source="lecourrier").run("lecourrier")
    assert before.new_articles > 0
    assert (before.selectors_held, before.selectors_rejected) == (before.new_articles, 0)
    assert before.selector_example_url is None

    changed = redesign(site)
    other = open_store(f"sqlite:///{tmp_path / 'after.db'}")
    other.upgrade()
    try:
        cfg_after = site_config(site.url, other.url)
        report = crawl(cfg_after, source="lecourrier")
        after = report.run("lecourrier")
        assert after.new_articles == changed == before.new_articles
        assert after.selectors_held == 0
        assert after.selectors_rejected + after.selectors_missing == changed
        assert after.selector_example_url and "/lecourrier/" in after.selector_example_url
        assert f"selectors_rejected={after.selectors_rejected}/{changed}" in report.summary()
        for case in (c for c in EXPECTED if c["source"] == "lecourrier" and "demo/" in c["path"]):
            article_id = case["path"].rsplit("/", 1)[1].split(".")[0]
            stored = other.article_by_identity("lecourrier", article_id)
            assert stored is not None and stored.body.startswith(case["first"])
            assert stored.body.endswith(case["last"]) and "cérémonie officielle" not in stored.body
    finally:
        other.close()
