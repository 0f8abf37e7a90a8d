"""A new outlet without code: config only (base URL, feed, id pattern, no selectors)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import config as config_module
from crawler.run import crawl
from store import Store
from tests.crawler.support import ROOT, site_config
from tests.servers import FixtureSite

OUTLET = ROOT / "tests/fixtures/newoutlet"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TEASERS = ("Pham Minh Chinh inaugure", "Xi Jinping reçoit", "Tô Lâm", "Partager", "©")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FixtureSite]:
    with FixtureSite(tmp_path / "site") as served:
        shutil.copytree(OUTLET / "asie", served.root / "asie")
        yield served


def _with_new_outlet(cfg: config_module.Config, site_url: str) -> config_module.Config:
    """The docs/crawling.md worked example, pointed at the local site."""
    source = config_module.Source(
        name="Regards sur l'Asie",
        base_url=f"{site_url}/asie",
        credit="RSA",
        feeds=[f"{site_url}/asie/rss.xml"],
        article_url_pattern=r"-(\d+)\.html$",
        backfill_days=36500,
    )
    return cfg.model_copy(update={"sources": {**cfg.sources, "regards_asie": source}})


def test_an_outlet_with_no_selectors_gets_clean_articles(site: FixtureSite, store: Store) -> None:
    cfg = _with_new_outlet(site_config(site.url, store.url), site.url)
    report = crawl(cfg, source="regards_asie")
    assert report.ok, report.summary()
    assert report.run("regards_asie").new_articles == 2
    road = store.article_by_identity("regards_asie", "88412")
    delta = store.article_by_identity("regards_asie", "88397")
    assert road is not None and delta is not None
    assert road.title == "Hanoï et Vientiane relancent le chantier de l'autoroute transfrontalière"
    assert road.published_at.isoformat() == "2026-11-24T10:05:00+07:00"
    assert road.body.startswith("Vientiane (VNA) – Le document a été paraphé")
    assert road.body.endswith("concernés par les expropriations.")
    assert road.summary.startswith("Les deux gouvernements ont signé mardi")
    assert (road.extraction, road.credit) == ("ok", "VNA")
    # no date in the metadata: htmldate reads "Mis en ligne : 2026-11-23"
    assert delta.published_at.astimezone(HANOI).date().isoformat() == "2026-11-23"
    assert delta.body.endswith("au cours du premier semestre de l'année prochaine.")
    for article in (road, delta):
        for text in TEASERS:
            assert text not in article.body, text
        assert article.summary not in article.body
