"""Loud when markup changes: a crawl counts how often the body selectors held, per source."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from config import Config
from crawler.run import crawl
from demo.sitegen import build_sample_site
from service import alarms
from service.health import collect_status, render_status
from store import Store, open_store
from tests.crawler.support import ROOT, site_config
from tests.servers import FixtureSite

TITLE = "Tô Lâm reçoit le chef de la diplomatie chinoise Wang Yi"
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


def add_articles(site: FixtureSite, first_id: int, count: int) -> list[str]:
    """New Le Courrier articles in the site's current layout, listed in its sitemap."""
    model = next(
        site.path("lecourrier/to-lam-recoit-le-chef-de-la-diplomatie-chinoise-wang-yi").glob(
            "*.html"
        )
    )
    text = model.read_text("utf-8")
    ids = []
    for article_id in range(first_id, first_id + count):
        page = site.path(f"lecourrier/article-de-suivi-{article_id}/{article_id}.html")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(text.replace(TITLE, f"{TITLE} ({article_id})"), "utf-8")
        ids.append(str(article_id))
    build_sample_site(site.root)
    return ids


def _selector_mails(config: Config) -> list[str]:
    folder = Path(config.mail.outbox_dir) / "operators"
    messages = (
        [
            message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))
        ]
        if folder.exists()
        else []
    )
    return [
        m.get_body(("plain",)).get_content() for m in messages if "selectors" in str(m["Subject"])
    ]


def _check_health(store: Store, config: Config, checks: int = 2) -> None:
    for minute in range(checks):  # several health checks while it lasts: one mail
        now = datetime.now(UTC) + timedelta(minutes=minute)
        alarms.review_health(store, config, collect_status(store, config, now=now), now)


def test_a_redesign_mid_run_fires_one_alarm_and_mending_the_selectors_clears_it(
    site: FixtureSite, store: Store, tmp_path: Path
) -> None:
    cfg = site_config(site.url, store.url)
    mail = cfg.mail.model_copy(update={"outbox_dir": str(tmp_path / "out")})
    cfg = cfg.model_copy(update={"mail": mail, "operators": ["ops@vnawatch.example"]})
    assert crawl(cfg, source="lecourrier").run("lecourrier").selectors_held > 0
    _check_health(store, cfg)
    assert _selector_mails(cfg) == []

    redesign(site)
    redesigned = add_articles(site, 1350500, 2)
    run = crawl(cfg, source="lecourrier").run("lecourrier")
    assert (run.new_articles, run.selectors_held) == (2, 0)
    _check_health(store, cfg)
    mails = _selector_mails(cfg)
    assert len(mails) == 1
    assert "100 % of the last 2 pages" in mails[0] and "/lecourrier/article-de-suivi-" in mails[0]
    shown = render_status(collect_status(store, cfg, now=datetime.now(UTC)))
    assert "SELECTORS HELD" in shown and " 0/2 " in shown and "did not hold on 100 %" in shown
    for article_id in redesigned:  # stored right meanwhile, through the generic path
        stored = store.article_by_identity("lecourrier", article_id)
        assert stored is not None and stored.body.startswith("Lors de cette rencontre")
        assert "cérémonie officielle" not in stored.body

    source = cfg.sources["lecourrier"]
    mended = source.model_copy(
        update={"selectors": source.selectors.model_copy(update={"body": ".zx-texte"})}
    )
    cfg = cfg.model_copy(update={"sources": {**cfg.sources, "lecourrier": mended}})
    add_articles(site, 1350600, 2)
    run = crawl(cfg, source="lecourrier").run("lecourrier")
    assert (run.new_articles, run.selectors_held) == (2, 2)
    _check_health(store, cfg)
    assert len(_selector_mails(cfg)) == 2
    assert not [c for c in store.conditions(active_only=True) if c.key.endswith(":selectors")]
