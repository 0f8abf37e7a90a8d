"""The search pages through the ASGI app: results, errors, facets, pages, why, subscribe."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from store import Store
from tests.alerts.delivery_support import article
from tests.web.support import client_for, csrf_token, link_in, mails, subscribe_form, web_config

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
HREF = re.compile(r'href="([^"]+)"')


def _store_articles(store: Store, count: int = 30) -> None:
    for n in range(count):
        # distinct articles, not one dispatch on two outlets (those are grouped: below)
        body = f"Le secrétaire général Tô Lâm a reçu la délégation {n}. " + " ".join(
            f"{word} {n}{word[0]}," for word in ("réunion", "séance", "dossier", "accord")
        )
        if n % 3 == 0:
            body += " La Chine et le Laos ont signé un accord."
        source = "lecourrier" if n % 2 else "vietnamplus"
        store.save_article(
            article(
                str(900 + n),
                NOW - timedelta(hours=9 * n),
                source=source,
                url=f"https://example.org/{source}/{900 + n}.html",
                body=body,
            ),
            NOW,
        )


def _links(page: str, pattern: str) -> list[str]:
    return [html.unescape(h) for h in HREF.findall(page) if re.search(pattern, h)]


def _client(tmp_path: Path, store: Store) -> TestClient:
    return client_for(web_config(tmp_path), store)


def test_search_page_lists_hits_newest_first_with_marks(tmp_path: Path, store: Store) -> None:
    _store_articles(store)
    page = _client(tmp_path, store).get("/search", params={"q": '"Tô Lâm" AND Chine'})
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "10 articles trouvés." in page.text
    ids = re.findall(r"/search/why/(\d+)", page.text)
    stored = {a.id: a for a in store.newest_articles(100)}
    published = [stored[int(i)].published_at for i in ids]
    assert len(ids) == 10 and published == sorted(published, reverse=True)
    assert "<mark>Tô Lâm</mark>" in page.text


def test_search_in_english(tmp_path: Path, store: Store) -> None:
    _store_articles(store)
    page = _client(tmp_path, store).get("/search", params={"q": "Laos", "lang": "en"})
    assert '<html lang="en">' in page.text and "10 articles found." in page.text
    assert all("lang=en" in link for link in _links(page.text, r"/search/why/"))


def test_syntax_error_is_explained_in_the_readers_language(tmp_path: Path, store: Store) -> None:
    client = _client(tmp_path, store)
    french = client.get("/search", params={"q": '"Tô Lâm" AND (Chine'})
    assert french.status_code == 422
    assert "parenthèse ouverte colonne 14 et jamais fermée" in french.text
    english = client.get("/search", params={"q": "Chine AND", "lang": "en"})
    assert english.status_code == 422 and "AND has nothing after it" in english.text


def test_facet_links_filter_by_outlet_and_day(tmp_path: Path, store: Store) -> None:
    _store_articles(store)
    client = _client(tmp_path, store)
    page = client.get("/search", params={"q": "Laos"}).text
    assert re.search(r"Le Courrier du Vietnam</a> <span class=\"count\">5</span>", page)
    outlet = client.get(_links(page, r"source=lecourrier")[0]).text
    assert outlet.count("/search/why/") == 5
    assert "VietnamPlus ·" not in outlet and "Retirer le filtre" in outlet
    day_link = _links(page, r"day=\d{4}-\d\d-\d\d")[0]
    day = re.search(r"day=(\d{4}-\d\d-\d\d)", day_link).group(1)  # type: ignore[union-attr]
    one_day = client.get(day_link).text
    count = re.search(rf'{day}">[^<]+</time></a> <span class="count">(\d+)', page)
    assert count and one_day.count("/search/why/") == int(count.group(1))


def test_pages_follow_each_other(tmp_path: Path, store: Store) -> None:
    _store_articles(store, 45)
    client = _client(tmp_path, store)
    first = client.get("/search", params={"q": '"Tô Lâm"'}).text
    second = client.get(_links(first, r"page=2")[0]).text
    third = client.get(_links(second, r"page=3")[0]).text
    seen = [re.findall(r"/search/why/(\d+)", p) for p in (first, second, third)]
    assert [len(s) for s in seen] == [20, 20, 5]
    assert len({i for s in seen for i in s}) == 45
    assert 'rel="next"' not in third and 'rel="prev"' in third


def test_why_page_shows_the_hits_per_zone(tmp_path: Path, store: Store) -> None:
    _store_articles(store)
    client = _client(tmp_path, store)
    results = client.get("/search", params={"q": '"Tô Lâm" AND NOT Laos'}).text
    why = client.get(_links(results, r"/search/why/")[0])
    assert why.status_code == 200
    text = why.text
    assert "L’article correspond à la requête." in text
    assert '<span class="zone">texte</span>' in text and "<mark>Tô Lâm</mark>" in text
    assert "SAUF : cette condition doit être absente" in text
    assert re.search(r"<strong>Laos</strong>\s*— absent", text)
    missing = client.get("/search/why/999999", params={"q": "Laos"})
    assert missing.status_code == 404
    bad = client.get("/search/why/1", params={"q": "Laos AND"})
    assert bad.status_code == 422


def test_no_html_from_article_text_or_query(tmp_path: Path, store: Store) -> None:
    """Article text, its URL and the query are data: escaped, and a javascript: URL is
    never a link."""
    store.save_article(
        article(
            "1",
            NOW,
            title="<script>alert('titre')</script> Laos",
            body='Le Laos <img src=x onerror="alert(1)"> et <b>la Chine</b>.',
            url="javascript:alert(document.cookie)",
        ),
        NOW,
    )
    client = _client(tmp_path, store)
    query = 'Laos OR "<script>alert(2)</script>"'
    page = client.get("/search", params={"q": query}).text
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#39;titre&#39;)&lt;/script&gt;" in page
    assert "javascript:" not in page
    why = client.get(_links(page, r"/search/why/")[0]).text
    assert "<script>" not in why and "<img" not in why and "javascript:" not in why


def test_subscribe_from_a_search_goes_through_the_confirm_flow(
    tmp_path: Path, store: Store
) -> None:
    _store_articles(store)
    client = _client(tmp_path, store)
    query = '"Tô Lâm" AND Chine'
    page = client.get("/search", params={"q": query}).text
    subscribe = _links(page, r"^/\?q=")[0]
    form = client.get(subscribe).text
    textarea = re.search(r'<textarea id="query"[^>]*>([^<]*)</textarea>', form)
    assert textarea and html.unescape(textarea.group(1)) == query
    token = csrf_token(client, subscribe)
    client.post("/subscribe", data=subscribe_form(token, query=query))
    assert store.subscriber("lectrice@example.org") is None  # not before confirming
    confirm = link_in(mails(tmp_path / "outbox")[0], "confirm")
    client.post(confirm, data={"csrf_token": token}, follow_redirects=False)
    rules = store.subscriber_rules("lectrice@example.org")
    assert [rule.query for rule in rules] == [query]


def test_a_dispatch_on_two_outlets_is_listed_once_with_aussi_dans(
    tmp_path: Path, store: Store
) -> None:
    for source, hours in (("vietnamplus", 2), ("lecourrier", 3)):
        store.save_article(
            article(
                f"77{hours}",
                NOW - timedelta(hours=hours),
                source=source,
                url=f"https://example.org/{source}/77.html",
                title="Le Laos inaugure le port sec de Thanaleng",
                body="Le Laos a inauguré le port sec de Thanaleng, relié au rail.",
            ),
            NOW,
        )
    page = _client(tmp_path, store).get("/search", params={"q": "Thanaleng"}).text
    assert len(re.findall(r"/search/why/\d+", page)) == 1
    assert "2 articles trouvés. Une dépêche reprise par plusieurs sources est listée une fois" in (
        html.unescape(page)
    )
    assert ": 1 dépêche." in html.unescape(page)
    assert re.search(
        r'aussi dans <a href="https://example.org/lecourrier/77.html"[^>]*>Le Courrier du Vietnam',
        page,
    )
    assert "Décomptes en articles" in html.unescape(page)
