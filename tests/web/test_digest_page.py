"""The web page of one digest: linked from the channel messages, signed, on SQLite and
PostgreSQL; exactly the batch's articles, marked hits, escaping, and the bare 404s."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from alerts.jobs import queue_due_digests, queue_immediate_alerts, sync_subscribers
from alerts.suppression import suppress
from alerts.tokens import digest_token, feed_token, manage_token
from config import SECRET_KEY_ENV, Config, parse_config
from store import Store
from store.records import Match, Snippet, Span
from tests.alerts.delivery_support import HANOI, add_article, article, config_text, utc
from tests.web.support import KEY, client_for

EMAIL = "analyste@example.org"
HOOK = "json://127.0.0.1:9/hooks/digest-test"
SYNCED = utc(2026, 11, 1)
NOW = utc(2026, 11, 22, 6, 10)  # 07:10 in Paris: the 07:00 digest is due
LINK = re.compile(r"https://veille\.example\.org(/digest/\S+)")
MARKED = "<mark><strong>Tô Lâm</strong></mark>"


def digest_config(tmp_path: Path, *, language: str = "fr", extra: str = "") -> Config:
    subscriber = (
        f"  - {{email: {EMAIL}, name: Analyste, language: {language}, timezone: Europe/Paris,"
        f' rules: [to_lam, chine], channels: ["{HOOK}"]{extra}}}'
    )
    return parse_config(config_text(tmp_path, subscriber), tmp_path / "config.yaml")


@pytest.fixture(autouse=True)
def _shared_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())  # the jobs and the app share the key


def channel_link(store: Store, batch: int = -1) -> str:
    """The digest-page path in the channel message of the ``batch``-th batch queued."""
    rows = sorted((d for d in store.deliveries() if not d.is_email), key=lambda d: d.id)
    found = LINK.search(rows[batch].message.decode("utf-8"))
    assert found, rows[batch].message
    return found.group(1)


def queue_two_digests(store: Store, config: Config) -> TestClient:
    """Day one: articles 1 (two rules) and 2 (a day alone); day two: article 3."""
    sync_subscribers(store, config, SYNCED)
    found = utc(2026, 11, 21, 12)
    add_article(
        store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=found,
        rules=("to_lam", "chine"),
    )  # fmt: skip
    day_only = article("2", datetime(2026, 11, 21, tzinfo=HANOI), published_time_known=False)
    add_article(store, day_only, found=found)
    assert queue_due_digests(store, config, now=NOW).queued == 1
    add_article(store, article("3", datetime(2026, 11, 22, 18, tzinfo=HANOI)), found=NOW)
    assert queue_due_digests(store, config, now=NOW + timedelta(days=1)).queued == 1
    return client_for(config, store)


def article_urls(page: str) -> list[str]:
    return re.findall(r'<a href="(https://fr\.vietnamplus\.vn/[^"]+)">Article', page)


@pytest.mark.parametrize("email_delivery", [True, False])
def test_channel_message_links_to_a_page_of_exactly_the_batch(
    store: Store, tmp_path: Path, email_delivery: bool
) -> None:
    extra = "" if email_delivery else ", email_delivery: false"
    client = queue_two_digests(store, digest_config(tmp_path, extra=extra))
    first = client.get(channel_link(store, 0))
    assert first.status_code == 200, first.text
    page = first.text
    assert article_urls(page) == [
        "https://fr.vietnamplus.vn/article-post2.vnp",  # published earlier: listed first
        "https://fr.vietnamplus.vn/article-post1.vnp",
    ]
    assert "<h1>2 articles</h1>" in page
    assert "du 21 nov. 07:00 au 22 nov. 07:00, heure de Paris" in page
    assert "VietnamPlus · 21 nov. 2026, 08:00" in page  # 14:00 in Hanoi, shown in Paris
    assert "VietnamPlus · 21 nov. 2026 ·" in page  # the day alone: no invented time
    assert page.count(MARKED) == 2
    assert "Règles\u00a0: Tô Lâm, Chine" in page and "Règles\u00a0: Tô Lâm</p>" in page
    assert first.headers["x-robots-tag"] == "noindex"
    second = client.get(channel_link(store, 1))
    assert article_urls(second.text) == ["https://fr.vietnamplus.vn/article-post3.vnp"]


def test_page_is_in_the_subscribers_language(store: Store, tmp_path: Path) -> None:
    client = queue_two_digests(store, digest_config(tmp_path, language="en"))
    page = client.get(channel_link(store, 0)).text
    assert '<html lang="en">' in page
    assert "from 21 Nov 07:00 to 22 Nov 07:00, Paris time" in page
    assert "Rules: Tô Lâm, Chine" in page


def test_an_alert_links_the_rest_of_its_batch_to_its_page(store: Store, tmp_path: Path) -> None:
    config = digest_config(tmp_path, extra=", frequency: immediate, email_delivery: false")
    sync_subscribers(store, config, SYNCED)
    for n in range(7):  # more than the message lists (5)
        add_article(store, article(str(n), NOW - timedelta(minutes=n + 1)), found=NOW)
    assert queue_immediate_alerts(store, config, now=NOW).queued == 1
    page = client_for(config, store).get(channel_link(store)).text
    assert "<h1>Alerte — 7 articles</h1>" in page
    assert len(article_urls(page)) == 7


def test_refused_links_get_the_same_bare_404(store: Store, tmp_path: Path) -> None:
    client = queue_two_digests(store, digest_config(tmp_path))
    good = channel_link(store, 0)
    token = good.rsplit("/", 1)[1]
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None
    batch_key = next(d.key for d in store.deliveries() if d.is_email)
    refused = [
        f"/digest/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}",  # signature altered
        f"/digest/{token[:5]}x{token[6:]}",  # payload altered
        f"/digest/{manage_token(EMAIL, KEY)}",  # another purpose's token
        f"/digest/{feed_token(EMAIL, subscriber.feed_nonce, KEY)}",
        f"/digest/{digest_token(EMAIL, 'digest:no-such-batch', KEY)}",  # unknown batch
        f"/digest/{digest_token('autre@example.org', batch_key, KEY)}",  # not theirs
        f"/digest/{digest_token(EMAIL, batch_key, b'another-key-entirely-0123456789')}",
    ]
    for path in refused:
        answer = client.get(path)
        assert (answer.status_code, answer.text) == (404, "Not Found"), path
    assert client.get(good).status_code == 200


@pytest.mark.parametrize("gone", ["suppressed", "unsubscribed", "deleted"])
def test_a_subscriber_who_left_gets_404(store: Store, tmp_path: Path, gone: str) -> None:
    client = queue_two_digests(store, digest_config(tmp_path))
    link = channel_link(store, 0)
    assert client.get(link).status_code == 200
    if gone == "suppressed":
        suppress(store, EMAIL, "unsubscribe", NOW, KEY)
    elif gone == "unsubscribed":
        store.unsubscribe(EMAIL, NOW)
    else:
        store.delete_subscriber(EMAIL)
    answer = client.get(link)
    assert (answer.status_code, answer.text) == (404, "Not Found")


def test_article_text_is_escaped(store: Store, tmp_path: Path) -> None:
    config = digest_config(tmp_path)
    sync_subscribers(store, config, SYNCED)
    title = '<script>alert("t")</script> Tô Lâm & <b>co</b>'
    item = article("9", datetime(2026, 11, 21, 14, tzinfo=HANOI), title=title)
    found = utc(2026, 11, 21, 12)
    store.save_article(item, found)
    stored = store.article_by_identity("vietnamplus", "9")
    assert stored is not None and stored.id is not None
    text = '<img src=x onerror="boom()"> Tô Lâm'
    start = text.index("Tô Lâm")
    span = Span("body", start, start + 6, "Tô Lâm")
    hit = Match(
        stored.id, "to_lam", ("body",), "Tô Lâm", (span,), Snippet(text, ((start, start + 6),))
    )
    store.replace_matches(stored.id, [hit], found)
    assert queue_due_digests(store, config, now=NOW).queued == 1
    page = client_for(config, store).get(channel_link(store)).text
    assert "<script>" not in page and "<img" not in page and "<b>co</b>" not in page
    assert (
        "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Tô Lâm &amp; &lt;b&gt;co&lt;/b&gt;" in page
    )
    assert "&lt;img src=x onerror=&#34;boom()&#34;&gt; " + MARKED in page


def email_parts(store: Store, batch: int = -1) -> tuple[str, str]:
    """The text and HTML parts of the ``batch``-th email queued."""
    from email import message_from_bytes, policy

    rows = sorted((d for d in store.deliveries() if d.is_email), key=lambda d: d.id)
    message = message_from_bytes(rows[batch].message, policy=policy.default)
    parts = [message.get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
    return tuple(str(part.get_content()) for part in parts if part is not None)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("language", "label"), [("fr", "Voir dans le navigateur"), ("en", "View in a browser")]
)
def test_every_email_footer_links_to_its_page(
    store: Store, tmp_path: Path, language: str, label: str
) -> None:
    client = queue_two_digests(store, digest_config(tmp_path, language=language))
    for batch, urls in ((0, 2), (1, 1)):
        text, html = email_parts(store, batch)
        footer = re.split(r"^--\s*$", text, flags=re.M)[-1]
        found = re.search(rf"{label}\s?: (https://veille\.example\.org(/digest/\S+))", footer)
        assert found, footer
        assert re.search(rf'<a href="{re.escape(found.group(1))}"[^>]*>{label}</a>', html), html
        page = client.get(found.group(2))
        assert page.status_code == 200 and len(article_urls(page.text)) == urls


def test_an_alert_email_footer_links_to_its_page(store: Store, tmp_path: Path) -> None:
    config = digest_config(tmp_path, extra=", frequency: immediate")
    sync_subscribers(store, config, SYNCED)
    for n in range(2):
        add_article(store, article(str(n), NOW - timedelta(minutes=n + 1)), found=NOW)
    assert queue_immediate_alerts(store, config, now=NOW).queued == 1
    text, _html = email_parts(store)
    found = re.search(r"Voir dans le navigateur\u00a0: https://veille\.example\.org(\S+)", text)
    assert found, text
    page = client_for(config, store).get(found.group(1)).text
    assert "<h1>Alerte — 2 articles</h1>" in page
