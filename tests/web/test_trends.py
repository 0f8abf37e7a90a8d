"""The trends pages through the ASGI app: index, one entity or rule, compare, 404s,
operators' extra rules, an empty or young archive, the chart's links and CSS."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from alerts import jobs
from config import Config
from store import Store
from store.records import Subscriber
from store.subscriptions import stored_rule_id
from tests.alerts.delivery_support import article
from tests.web.support import client_for, csrf_token, web_config

NOW = datetime(2026, 12, 7, 5, tzinfo=UTC)  # 12:00 in Hanoi
TODAY = date(2026, 12, 7)
HREF = re.compile(r'href="([^"]+)"')
PASSWORD = "correct horse battery staple"


def _seed(store: Store, config: Config, days: int = 40) -> None:
    """Tô Lâm on every day but Sundays, twice on the 5th; Phạm Minh Chính every third day."""
    for n in range(days):
        when = NOW - timedelta(days=n)
        body = "Le secrétaire général Tô Lâm a reçu une délégation."
        if n % 3 == 0:
            body += " Le Premier ministre Phạm Minh Chính était présent."
        if when.astimezone(UTC).weekday() != 6:
            source = "lecourrier" if n % 2 else "vietnamplus"
            url = f"https://example.org/{source}/{n}.html"
            store.save_article(article(str(n), when, source=source, url=url, body=body), NOW)
    store.save_article(article("500", datetime(2026, 12, 5, 2, tzinfo=UTC)), NOW)
    jobs.match_new_articles(store, config, now=NOW)


def _client(tmp_path: Path, store: Store) -> tuple[TestClient, Config]:
    config = web_config(tmp_path)
    return client_for(config, store, clock=lambda: NOW), config


def _links(page: str, pattern: str) -> list[str]:
    found = [html.unescape(h) for h in HREF.findall(page)]
    return [h for h in found if re.search(pattern, h)]


def test_index_lists_entities_with_their_counts_in_both_languages(
    tmp_path: Path, store: Store
) -> None:
    client, config = _client(tmp_path, store)
    _seed(store, config)
    page = client.get("/tendances")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "Dirigeants vietnamiens" in page.text
    assert _links(page.text, "/tendances/entite/") == [
        "/tendances/entite/to_lam",
        "/tendances/entite/pham_minh_chinh",
    ]
    expected = store.trend_totals("entity", TODAY - timedelta(days=29), TODAY)["to_lam"]
    assert f"{expected} articles sur 30 jours" in page.text
    assert "/tendances/regle/" not in page.text  # rules are the operators'
    english = client.get("/trends")
    assert '<html lang="en">' in english.text and "over 30 days" in english.text
    assert _links(english.text, "/trends/entity/")[0] == "/trends/entity/to_lam"


def test_entity_page_draws_counts_usual_level_and_links_days_to_search(
    tmp_path: Path, store: Store
) -> None:
    client, config = _client(tmp_path, store)
    _seed(store, config)
    page = client.get("/tendances/entite/to_lam", params={"jours": "30"})
    assert page.status_code == 200
    assert page.text.count("<svg") == 2  # wide (linked dots) and narrow
    assert "<style" not in page.text and "<script" not in page.text  # the CSP forbids both
    day_links = _links(page.text, r"^/search\?q=entity%3Ato_lam&day=")
    # each of the 30 days twice: a dot of the wide chart and a row of the table
    days = {link.rsplit("=", 1)[1] for link in day_links}
    assert len(days) == 30 and min(days) == "2026-11-08" and max(days) == "2026-12-07"
    series = store.daily_counts("entity", "to_lam", date(2026, 11, 8), TODAY)
    row = re.search(r'datetime="2026-12-05">[^<]*</time></a></th><td>(\d+)</td>', page.text)
    assert row and int(row.group(1)) == series[-3].articles == 2
    assert "Niveau habituel" in page.text and "Le Courrier du Vietnam" in page.text
    assert "Derniers articles" in page.text
    # the day's link opens the search for the same query and day: the same articles
    (link,) = {link for link in day_links if link.endswith("2026-12-05")}
    search = client.get(link)
    assert search.status_code == 200 and search.text.count('class="hit-title"') == 2


def test_windows_and_a_young_archive(tmp_path: Path, store: Store) -> None:
    client, config = _client(tmp_path, store)
    _seed(store, config, days=7)
    page = client.get("/trends/entity/to_lam", params={"days": "365"})
    assert page.status_code == 200
    assert "The archive starts on" in page.text
    rows = re.findall(r'<th scope="row"><a href="[^"]+" title="[^"]+"><time', page.text)
    assert len(rows) == 7  # from the archive's first day, not 365 days of invented zeros
    assert "not enough history yet" in page.text
    bad = client.get("/trends/entity/to_lam", params={"days": "-1"})
    assert bad.status_code == 200 and 'aria-current="page">90 days' in bad.text


def test_unknown_entity_or_rule_is_a_404(tmp_path: Path, store: Store) -> None:
    client, config = _client(tmp_path, store)
    _seed(store, config, days=3)
    for path in (
        "/tendances/entite/inconnu",
        "/trends/entity/%00",
        "/tendances/regle/to_lam",  # a rule exists, but only operators see rules
        "/tendances/regle/nope",
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "Introuvable" in page.text or "Not found" in page.text


def test_empty_archive_says_so(tmp_path: Path, store: Store) -> None:
    client, _config = _client(tmp_path, store)
    index = client.get("/tendances")
    assert index.status_code == 200 and "Les archives sont vides" in index.text
    one = client.get("/tendances/entite/to_lam", params={"jours": "365"})
    assert one.status_code == 200 and "Les archives sont vides" in one.text
    assert "Aucun article sur cette période." in one.text


def test_compare_two_to_five_entities(tmp_path: Path, store: Store) -> None:
    client, config = _client(tmp_path, store)
    _seed(store, config)
    page = client.get("/tendances/comparer", params=[("e", "to_lam"), ("e", "pham_minh_chinh")])
    assert page.status_code == 200
    assert page.text.count("<svg") == 2 and "Phạm Minh Chính" in page.text
    assert _links(page.text, r"q=entity%3Apham_minh_chinh&day=2026-12-07")
    one = client.get("/tendances/comparer", params={"e": "to_lam"})
    assert one.status_code == 400 and "de 2 à 5" in one.text
    unknown = client.get("/trends/compare", params=[("e", "to_lam"), ("e", "x")])
    assert unknown.status_code == 404


def test_operators_also_see_rules(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VNAWATCH_WEB_PASSWORD", PASSWORD)
    client, config = _client(tmp_path, store)
    _seed(store, config)
    assert client.get("/tendances/regle/to_lam").status_code == 404
    _login(client)
    index = client.get("/tendances")
    assert "/tendances/regle/to_lam" in index.text and "/tendances/regle/chine" in index.text
    rule = client.get("/tendances/regle/to_lam")
    assert rule.status_code == 200 and "q=%22T%C3%B4+L%C3%A2m%22&amp;day=" in rule.text
    # a rule that never matched: zeros, said in words
    none = client.get("/tendances/regle/mer_orientale", params={"jours": "365"})
    assert none.status_code == 200 and "0 article sur " in none.text
    assert "Aucun article sur cette période." in none.text


def test_a_paused_web_rule_leaves_the_pages_not_the_counts(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VNAWATCH_WEB_PASSWORD", PASSWORD)
    client, config = _client(tmp_path, store)
    spec = Subscriber(email="lectrice@example.org", rules=(), origin="web")
    saved = store.save_web_subscriber(spec, [("Premier ministre", '"Premier ministre"')], NOW)
    assert saved.id is not None
    rule_id = stored_rule_id(saved.id, '"Premier ministre"')
    _seed(store, config)
    _login(client)
    assert f"/tendances/regle/{rule_id}" in client.get("/tendances").text
    assert client.get(f"/tendances/regle/{rule_id}").status_code == 200
    store.set_rule_paused(spec.email, rule_id, True, NOW)
    assert f"/tendances/regle/{rule_id}" not in client.get("/tendances").text
    assert client.get(f"/tendances/regle/{rule_id}").status_code == 404
    counted = store.trend_totals("rule", TODAY - timedelta(days=40), TODAY)[rule_id]
    assert counted == store.count_matches(rule_id) > 10  # the counts stay


def _login(client: TestClient) -> None:
    token = csrf_token(client, "/operator")
    login = client.post(
        "/operator/login",
        data={"csrf_token": token, "user": "admin", "password": PASSWORD},
        follow_redirects=False,
    )
    assert login.status_code == 303


def test_chart_css_is_served(tmp_path: Path, store: Store) -> None:
    client, _config = _client(tmp_path, store)
    css = client.get("/trends/chart.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "#chart-trend-wide" in css.text and "#chart-compare-narrow" in css.text
