"""Atom and JSON feeds: read by feedparser, checked against a JSON Feed 1.1 schema, on
SQLite and PostgreSQL; conditional GET, revocation, operators' rule feeds, mail footers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from starlette.testclient import TestClient

from alerts.jobs import queue_due_digests, send_pending, sync_subscribers
from alerts.tokens import feed_token, manage_token
from config import SECRET_KEY_ENV, WEB_PASSWORD_ENV, Config, parse_config
from store import Store
from store.records import Subscriber
from store.subscriptions import stored_rule_id
from tests.alerts.delivery_support import HANOI, add_article, article, config_text, utc
from tests.web.support import KEY, WATCHLISTS, client_for, csrf_token, text_of

SYNCED = utc(2026, 12, 1)
FOUND = utc(2026, 12, 4, 4)
NOW = utc(2026, 12, 5, 1)  # 08:00 in Hanoi: the 07:00 digest is due
EMAIL = "analyste@example.org"
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
AUTHOR = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
    "anyOf": [{"required": ["name"]}, {"required": ["url"]}],
}
# JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the required members, the types of
# the ones we use, and extensions only under keys that start with "_"
JSON_FEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": {"type": "string", "pattern": "^https?://"},
        "feed_url": {"type": "string", "pattern": "^https?://"},
        "language": {"type": "string"},
        "authors": {"type": "array", "items": AUTHOR},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "date_published": {"type": "string", "pattern": RFC3339},
                    "date_modified": {"type": "string", "pattern": RFC3339},
                    "authors": {"type": "array", "items": AUTHOR},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                },
                "patternProperties": {"^_": {"type": "object"}},
                "additionalProperties": False,
            },
        },
    },
    "patternProperties": {"^_": {"type": "object"}},
    "additionalProperties": False,
}


def feed_config(tmp_path: Path, *, language: str = "fr", extra: str = "") -> Config:
    subscribers = (
        f"  - email: {EMAIL}\n    name: Analyste\n    language: {language}\n"
        "    timezone: Europe/Paris\n    rules: [to_lam, mer_orientale, chine]\n" + extra
    )
    text = WATCHLISTS + config_text(tmp_path, subscribers)
    return parse_config(text, tmp_path / "config.yaml")


def seed(store: Store, config: Config) -> dict[str, int]:
    """Three articles: one matched by two rules, one dated by its day alone, one by chine."""
    sync_subscribers(store, config, SYNCED)
    both = add_article(
        store, article("10", datetime(2026, 12, 4, 10, 5, tzinfo=HANOI)), found=FOUND,
        rules=("to_lam", "chine"),
    )  # fmt: skip
    day = add_article(
        store,
        article("11", datetime(2026, 12, 3, tzinfo=HANOI), published_time_known=False),
        found=FOUND,
    )
    other = add_article(
        store, article("12", datetime(2026, 12, 2, 9, tzinfo=HANOI)), found=FOUND, rules=("chine",)
    )
    return {"both": both, "day": day, "other": other}


def subscriber_links(store: Store) -> dict[str, str]:
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.feed_nonce
    token = feed_token(EMAIL, subscriber.feed_nonce, KEY)
    return {"atom": f"/feed/{token}/atom.xml", "json": f"/feed/{token}/feed.json"}


def test_subscriber_atom_feed_reads_cleanly_with_merged_rules_and_day_only_dates(
    tmp_path: Path, store: Store
) -> None:
    config = feed_config(tmp_path)
    seed(store, config)
    client = client_for(config, store)
    answer = client.get(subscriber_links(store)["atom"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and parsed.feed.language == "fr"
    assert parsed.feed.title == "Veille VNA — Analyste"
    # newest first, one entry per article
    urls = [entry.link for entry in parsed.entries]
    assert urls == [article(n, NOW).url for n in ("10", "11", "12")]
    both, day, _other = parsed.entries
    assert [tag.label for tag in both.tags] == ["Tô Lâm", "Chine"]  # config order
    # 10:05 in Hanoi is 04:05 in Paris, the subscriber's zone
    assert both.published == "2026-12-04T04:05:00+01:00"
    assert "VietnamPlus · 4 déc. 2026, 04:05 · Politique" in both.content[0].value
    # feedparser's sanitiser drops <mark>; the <strong> inside it stays
    assert "<strong>Tô Lâm</strong>" in both.content[0].value
    raw = feedparser.parse(answer.content, sanitize_html=False).entries[0]
    assert "<mark><strong>Tô Lâm</strong></mark>" in raw.content[0].value
    assert "<mark>" not in both.summary and "Tô Lâm a reçu" in both.summary
    assert "Règles\u00a0: Tô Lâm, Chine" in both.summary
    # a day alone: that day, no time, and 00:00 of that day in Paris for the machine field
    assert "VietnamPlus · 3 déc. 2026 · Politique" in day.content[0].value
    assert day.published == "2026-12-03T00:00:00+01:00"
    assert both.author == "VietnamPlus" and both.id.startswith("tag:veille.example.org,2026:")


def test_subscriber_json_feed_matches_the_json_feed_schema(tmp_path: Path, store: Store) -> None:
    config = feed_config(tmp_path)
    seed(store, config)
    answer = client_for(config, store).get(subscriber_links(store)["json"])
    assert answer.headers["content-type"] == "application/feed+json; charset=utf-8"
    document = answer.json()
    jsonschema.validate(document, JSON_FEED_SCHEMA)
    both, day, other = document["items"]
    assert both["tags"] == ["Tô Lâm", "Chine"] and other["tags"] == ["Chine"]
    assert [rule["id"] for rule in both["_vnawatch"]["rules"]] == ["to_lam", "chine"]
    assert "<mark><strong>Tô Lâm</strong></mark>" in both["content_html"]
    assert "<" not in both["content_text"] and "Tô Lâm a reçu" in both["content_text"]
    assert both["date_published"] == "2026-12-04T04:05:00+01:00"
    assert (day["_vnawatch"]["time_known"], day["_vnawatch"]["published_day"]) == (
        False,
        "2026-12-03",
    )
    assert day["_vnawatch"]["published"] == "3 déc. 2026"
    assert document["feed_url"].endswith("/feed.json") and document["language"] == "fr"


def test_an_english_subscriber_reads_an_english_feed(tmp_path: Path, sqlite_store: Store) -> None:
    config = feed_config(tmp_path, language="en")
    seed(sqlite_store, config)
    client = client_for(config, sqlite_store)
    parsed = feedparser.parse(client.get(subscriber_links(sqlite_store)["atom"]).content)
    assert parsed.bozo == 0 and parsed.feed.language == "en"
    both, day, _ = parsed.entries
    assert "Rules: Tô Lâm, Chine" in both.summary
    assert "Read the article" in both.content[0].value
    assert "VietnamPlus · 3 Dec 2026 · Politique" in day.content[0].value


def test_conditional_get_answers_304_until_a_new_match(tmp_path: Path, store: Store) -> None:
    config = feed_config(tmp_path)
    seed(store, config)
    client = client_for(config, store)
    url = subscriber_links(store)["atom"]
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "private, max-age=300"
    assert first.headers["x-frame-options"] == "DENY"  # the security headers stay
    assert "content-security-policy" in first.headers
    assert modified == format_datetime(FOUND, usegmt=True)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert (
        again.headers["etag"] == etag and again.headers["cache-control"] == "private, max-age=300"
    )
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.get(url, headers=both).status_code == 200

    later = FOUND + timedelta(hours=3)
    add_article(store, article("13", datetime(2026, 12, 4, 12, tzinfo=HANOI)), found=later)
    fresh = client.get(url, headers={"If-None-Match": etag, "If-Modified-Since": modified})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert fresh.headers["last-modified"] == format_datetime(later, usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200


def test_tampered_foreign_and_revoked_links_get_404(tmp_path: Path, store: Store) -> None:
    config = feed_config(tmp_path)
    seed(store, config)
    client = client_for(config, store)
    links = subscriber_links(store)
    assert client.get(links["atom"]).status_code == 200
    token = links["atom"].split("/")[2]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"/feed/{tampered}/atom.xml").status_code == 404
    assert client.get(f"/feed/{token}/feed.rss").status_code == 404
    assert client.get(f"/feed/{manage_token(EMAIL, KEY)}/atom.xml").status_code == 404
    assert client.get(f"/feed/{feed_token(EMAIL, 'guessed', KEY)}/atom.xml").status_code == 404

    manage = f"/manage/{manage_token(EMAIL, KEY)}"
    page = client.get(manage).text
    assert links["atom"] in page and links["json"] in page
    form = {"csrf_token": csrf_token(client, manage), "action": "new_feed_link"}
    renewed = client.post(manage, data=form)
    assert renewed.status_code == 200 and "l’ancien ne fonctionne plus" in renewed.text
    assert client.get(links["atom"]).status_code == 404
    assert client.get(links["json"]).status_code == 404
    new = subscriber_links(store)
    assert new["atom"] != links["atom"] and new["atom"] in renewed.text
    assert client.get(new["atom"]).status_code == 200


def test_a_removed_subscriber_loses_the_feed(tmp_path: Path, sqlite_store: Store) -> None:
    config = feed_config(tmp_path)
    seed(sqlite_store, config)
    client = client_for(config, sqlite_store)
    url = subscriber_links(sqlite_store)["json"]
    assert client.get(url).status_code == 200
    sync_subscribers(sqlite_store, config.model_copy(update={"subscribers": []}), NOW)
    assert client.get(url).status_code == 404


def test_a_paused_rule_leaves_the_feed(tmp_path: Path, sqlite_store: Store) -> None:
    config = feed_config(tmp_path, extra="    paused_rules: [chine]\n")
    seed(sqlite_store, config)
    client = client_for(config, sqlite_store)
    document = client.get(subscriber_links(sqlite_store)["json"]).json()
    assert [item["url"] for item in document["items"]] == [
        article(n, NOW).url for n in ("10", "11")
    ]
    assert document["items"][0]["tags"] == ["Tô Lâm"]


def test_operator_rule_feed_behind_login_or_a_revocable_signed_link(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = feed_config(tmp_path)
    seed(store, config)
    client = client_for(config, store)
    assert client.get("/operator/feed/chine/atom.xml", follow_redirects=False).status_code == 303
    monkeypatch.setenv(WEB_PASSWORD_ENV, "s3cret-pass")
    token = csrf_token(client, "/operator")
    login = {"csrf_token": token, "user": "admin", "password": "s3cret-pass"}
    client.post("/operator/login", data=login)
    assert "/operator/feed/chine/atom.xml" in client.get("/operator").text
    parsed = feedparser.parse(client.get("/operator/feed/chine/atom.xml").content)
    assert parsed.bozo == 0 and parsed.feed.title == "Veille VNA — Chine"
    assert [entry.link for entry in parsed.entries] == [article(n, NOW).url for n in ("10", "12")]
    assert client.get("/operator/feed/nope/atom.xml").status_code == 404

    stranger = client_for(config, store)
    urls = client.app.state.web.feeds.rule_links("chine")  # what `vnawatch feed-url` prints
    path = urls["feed.json"].removeprefix("https://veille.example.org")
    document = stranger.get(path).json()
    jsonschema.validate(document, JSON_FEED_SCHEMA)
    assert [item["tags"] for item in document["items"]] == [["Chine"], ["Chine"]]
    client.app.state.web.feeds.rule_links("chine", renew=True)
    assert stranger.get(path).status_code == 404


@pytest.mark.parametrize(
    ("language", "label"), [("fr", "Flux Atom\u00a0: "), ("en", "Feed Atom: ")]
)
def test_every_digest_carries_the_feed_link(
    tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, language: str, label: str
) -> None:
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())  # the jobs and the app share the key
    config = feed_config(tmp_path, language=language)
    seed(sqlite_store, config)
    assert queue_due_digests(sqlite_store, config, now=NOW).queued == 1
    send_pending(sqlite_store, config, now=NOW)
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    text = text_of(eml.read_bytes())
    found = re.search(re.escape(label) + r"(https://\S+/atom\.xml)", text)
    assert found, text
    html = next((tmp_path / "outbox").glob("*.html")).read_text(encoding="utf-8")
    assert f'href="{found.group(1)}"' in html
    path = found.group(1).removeprefix("https://veille.example.org")
    assert path == subscriber_links(sqlite_store)["atom"]
    assert client_for(config, sqlite_store).get(path).status_code == 200


def test_feed_text_with_control_characters_stays_well_formed(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config = feed_config(tmp_path)
    sync_subscribers(sqlite_store, config, SYNCED)
    odd = article("20", datetime(2026, 12, 4, 9, tzinfo=HANOI), title="Tô Lâm \x0b<b>& «\x01»</b>")
    add_article(sqlite_store, odd, found=FOUND)
    answer = client_for(config, sqlite_store).get(subscriber_links(sqlite_store)["atom"])
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Tô Lâm <b>& «»</b>"


def test_feed_cache_headers_do_not_leak_to_pages(tmp_path: Path, sqlite_store: Store) -> None:
    config = feed_config(tmp_path)
    client: TestClient = client_for(config, sqlite_store)
    assert client.get("/").headers["cache-control"] == "no-store"
    assert client.get("/feed/x/atom.xml").headers["cache-control"] == "no-store"


def test_a_web_subscribers_own_rule_names_its_entries(tmp_path: Path, store: Store) -> None:
    config = feed_config(tmp_path)
    spec = Subscriber(email="web@example.org", rules=(), language="en", origin="web")
    saved = store.save_web_subscriber(spec, [("China watch", "Chine")], SYNCED)
    assert saved.id is not None
    own = stored_rule_id(saved.id, "Chine")
    add_article(store, article("30", datetime(2026, 12, 4, 9, tzinfo=HANOI)), found=FOUND,
                rules=(own, "to_lam"))  # fmt: skip
    token = feed_token("web@example.org", saved.feed_nonce, KEY)
    document = client_for(config, store).get(f"/feed/{token}/feed.json").json()
    jsonschema.validate(document, JSON_FEED_SCHEMA)
    (item,) = document["items"]
    assert item["tags"] == ["China watch"]  # to_lam is not this subscriber's rule
    assert document["title"] == "Veille VNA — my articles"
