"""Counted nouns agree with their number in both languages: no "(s)" anywhere a reader
sees, and "1 article trouvé" / "2 articles trouvés" on the pages and in the mails."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import alerts.channels
import web.digests
import web.labels
import web.names
import web.search
from alerts import labels as mail_labels
from alerts.digest import Window, build_digest, render_digest
from alerts.labels import counted
from config import Config
from store import Store
from store.records import Subscriber
from tests.alerts.delivery_support import HANOI, article, make_config, match
from tests.web.support import client_for, web_config

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LABEL_TABLES = {
    "web.labels": web.labels.LABELS,
    "web.search": web.search.SEARCH_LABELS,
    "web.names": web.names.NAMES_LABELS,
    "web.digests": web.digests.DIGEST_LABELS,
    "alerts.labels": mail_labels.LABELS,
    "alerts.channels": alerts.channels.LABELS,
}


def test_no_label_or_template_writes_a_plural_in_brackets() -> None:
    for module, tables in LABEL_TABLES.items():
        for language, labels in tables.items():
            for key, text in labels.items():
                assert "(s)" not in text, (module, language, key, text)
    templates = [*ROOT.glob("web/templates/*.j2"), *ROOT.glob("alerts/templates/*.j2")]
    assert len(templates) > 10
    for path in templates:
        assert "(s)" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("fr", 0, "0 article trouvé."),  # French: the singular for 0 and 1 (CLDR)
        ("fr", 1, "1 article trouvé."),
        ("fr", 2, "2 articles trouvés."),
        ("fr", 21, "21 articles trouvés."),
        ("en", 0, "0 articles found."),
        ("en", 1, "1 article found."),
        ("en", 2, "2 articles found."),
    ],
)
def test_counted_takes_the_form_the_number_asks_for(language: str, n: int, expected: str) -> None:
    assert counted(web.search.SEARCH_LABELS[language]["results_exact"], n, language) == expected


def _laos(store: Store, count: int) -> None:
    """``count`` distinct articles on Laos (different stories, one outlet)."""
    for n in range(count):
        store.save_article(
            article(
                str(500 + n),
                NOW - timedelta(hours=n + 1),
                title=f"Le Laos et le dossier {n}",
                body=f"Le Laos a présenté la réforme {n}a, le plan {n}b et le budget {n}c.",
            ),
            NOW,
        )


@pytest.mark.parametrize(
    ("count", "french", "english"),
    [
        (0, "Aucun article ne correspond.", "No article matches."),
        (1, "1 article trouvé.", "1 article found."),
        (2, "2 articles trouvés.", "2 articles found."),
    ],
)
def test_search_page_counts_agree(
    tmp_path: Path, sqlite_store: Store, count: int, french: str, english: str
) -> None:
    _laos(sqlite_store, count)
    client = client_for(web_config(tmp_path), sqlite_store)
    for language, expected in (("fr", french), ("en", english)):
        page = html.unescape(client.get("/search", params={"q": "Laos", "lang": language}).text)
        summary = re.search(r'<p class="summary" role="status">([^<]*)</p>', page)
        assert summary and summary.group(1) == expected
        assert "(s)" not in page


def test_why_page_counts_hits_agree(tmp_path: Path, sqlite_store: Store) -> None:
    _laos(sqlite_store, 1)
    client = client_for(web_config(tmp_path), sqlite_store)
    pk = sqlite_store.newest_articles(1)[0].id
    one = html.unescape(client.get(f"/search/why/{pk}", params={"q": "réforme"}).text)
    assert re.search(r"texte\u00a0: 1 occurrence<", one), one
    two = html.unescape(client.get(f"/search/why/{pk}", params={"q": "Laos"}).text)
    assert "titre\u00a0: 1 occurrence<" in two and "texte\u00a0: 1 occurrence<" in two
    both = html.unescape(client.get(f"/search/why/{pk}", params={"q": "le", "lang": "en"}).text)
    assert re.search(r"body: [2-9] hits<", both), both


@pytest.mark.parametrize(
    ("count", "french", "english"),
    [
        (0, "0 article sur 30 jours", "0 articles over 30 days"),
        (1, "1 article sur 30 jours", "1 article over 30 days"),
        (2, "2 articles sur 30 jours", "2 articles over 30 days"),
    ],
)
def test_preview_count_agrees(
    tmp_path: Path, sqlite_store: Store, count: int, french: str, english: str
) -> None:
    _laos(sqlite_store, count)
    client = client_for(web_config(tmp_path), sqlite_store, clock=lambda: NOW)
    for language, expected in (("fr", french), ("en", english)):
        data = client.get("/api/preview", params={"q": "Laos", "lang": language}).json()
        assert data["count_label"] == expected and data["total"] == count


def test_preview_groups_one_dispatch_on_two_outlets(tmp_path: Path, sqlite_store: Store) -> None:
    for source, hours in (("vietnamplus", 2), ("lecourrier", 3)):
        sqlite_store.save_article(
            article(
                f"88{hours}",
                NOW - timedelta(hours=hours),
                source=source,
                url=f"https://example.org/{source}/88.html",
                title="Le Laos inaugure le port sec de Thanaleng",
                body="Le Laos a inauguré le port sec de Thanaleng, relié au rail.",
            ),
            NOW,
        )
    client = client_for(web_config(tmp_path), sqlite_store, clock=lambda: NOW)
    data = client.get("/api/preview", params={"q": "Thanaleng"}).json()
    assert (data["total"], data["dispatches"], len(data["hits"])) == (2, 1, 1)
    assert data["count_label"] == (
        "2 articles sur 30 jours en 1 dépêche (reprises par plusieurs sources regroupées)"
    )
    assert data["hits"][0]["source"] == "VietnamPlus"
    assert data["hits"][0]["also"] == [
        {"source": "Le Courrier du Vietnam", "url": "https://example.org/lecourrier/88.html"}
    ]
    assert data["hits"][0]["also_label"] == "aussi dans"


def _mail(config: Config, count: int, language: str) -> tuple[str, str, str]:
    subscriber = Subscriber(
        id=1, email="a@example.org", rules=("to_lam",), language=language, name="A"
    )
    items = [
        replace(
            article(str(n), datetime(2026, 11, 21, 14, n, tzinfo=HANOI), title=f"Sujet {n}",
                    body=f"Tô Lâm, dossier {n}x, étape {n}y, lot {n}z."),
            id=n + 1, first_seen_at=NOW,
        )
        for n in range(count)
    ]  # fmt: skip
    digest = build_digest(
        "daily",
        subscriber,
        [(match(a.id or 0), a) for a in items],
        config,
        window=Window(NOW - timedelta(days=1), NOW, "Asia/Ho_Chi_Minh"),
        states=[],
        now=NOW,
    )
    rendered = render_digest(digest, brand="Veille VNA", unsubscribe_url="https://u/x")
    return rendered.subject, rendered.text, rendered.html


@pytest.mark.parametrize(
    ("count", "french", "english"),
    [
        (0, "aucun article", "no articles"),
        (1, "1 article", "1 article"),
        (2, "2 articles", "2 articles"),
    ],
)
def test_digest_mails_count_agree(tmp_path: Path, count: int, french: str, english: str) -> None:
    config = make_config(tmp_path)
    for language, expected in (("fr", french), ("en", english)):
        subject, text, page = _mail(config, count, language)
        assert f"[Veille VNA] {expected} — " in subject
        assert "(s)" not in text and "(s)" not in page


@pytest.mark.parametrize(("more", "french"), [(1, "… et 1 autre : L"), (2, "… et 2 autres : L")])
def test_alert_channel_message_counts_agree(more: int, french: str) -> None:
    label = alerts.channels.LABELS["fr"]["more"]
    assert counted(label, more, "fr", url="L") == french
    assert (
        counted(alerts.channels.LABELS["en"]["more"], more, "en", url="L")
        == f"… and {more} more: L"
    )
