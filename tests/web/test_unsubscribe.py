"""Unsubscribe means unsubscribed: both token kinds, malformed links, the suppression list.

Over the real ASGI app and a real database (SQLite and PostgreSQL): a link
mailed before the one signer (hand-made HMAC) and a new itsdangerous link
both unsubscribe once and for good; "delete all my data" is not undone by
the next config sync; nothing is ever sent to a suppressed address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from alerts.jobs import match_new_articles, queue_due_digests, send_pending, sync_subscribers
from alerts.suppression import suppress
from alerts.tokens import (
    address_hash,
    legacy_manage_token,
    legacy_token,
    manage_token,
    unsubscribe_token,
)
from config import SECRET_KEY_ENV, Config
from store import Store
from store.records import Subscriber
from tests.alerts.delivery_support import article, utc
from tests.web.support import (
    KEY,
    client_for,
    csrf_token,
    link_in,
    mails,
    subscribe_form,
    web_config,
)

ANALYST = "analyste@example.org"  # config.yaml's subscriber in the test config
NOW = utc(2026, 11, 20, 8)
TOKEN_KINDS: dict[str, tuple[Callable[[str, bytes], str], Callable[[str, bytes], str]]] = {
    "old-hmac": (legacy_token, legacy_manage_token),
    "itsdangerous": (unsubscribe_token, manage_token),
}


@pytest.fixture(autouse=True)
def shared_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The jobs (config sync, send) and the web app share the secret, as in production."""
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())


def synced(tmp_path: Path, store: Store, **options: Any) -> tuple[Config, TestClient]:
    """The test config synced into ``store`` (the analyst is active) and a client of the app."""
    config = web_config(tmp_path)
    sync_subscribers(store, config, NOW)
    return config, client_for(config, store, **options)


@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_unsubscribe_works_once_is_idempotent_and_the_sync_never_reactivates(
    tmp_path: Path, store: Store, kind: str
) -> None:
    make_unsubscribe, _ = TOKEN_KINDS[kind]
    config, client = synced(tmp_path, store)
    url = f"/unsubscribe/{make_unsubscribe(ANALYST, KEY)}"
    assert client.get(url).status_code == 200  # a GET only asks
    assert store.subscriber(ANALYST).active  # type: ignore[union-attr]
    for _ in range(2):
        answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200 and "Désabonnement effectué" in answer.text
    assert [s.reason for s in store.suppressions()] == ["unsubscribe"]
    for minutes in (5, 60 * 24):
        sync_subscribers(store, config, NOW + timedelta(minutes=minutes))
        assert not store.subscriber(ANALYST).active  # type: ignore[union-attr]
    published = NOW + timedelta(hours=1)
    store.save_article(article("901", published), published)
    match_new_articles(store, config, now=published)
    assert queue_due_digests(store, config, now=NOW + timedelta(days=1)).queued == 0


@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_delete_my_data_is_not_undone_by_the_config_sync(
    tmp_path: Path, store: Store, kind: str
) -> None:
    _, make_manage = TOKEN_KINDS[kind]
    config, client = synced(tmp_path, store)
    manage = f"/manage/{make_manage(ANALYST, KEY)}"
    token = csrf_token(client, manage)
    answer = client.post(manage, data={"csrf_token": token, "action": "delete"})
    assert answer.status_code == 200 and "effacés" in answer.text
    assert store.subscriber(ANALYST) is None
    sync_subscribers(store, config, NOW + timedelta(minutes=5))  # digest --send, reload, start
    assert store.subscriber(ANALYST) is None  # not created again, so no mail
    (entry,) = store.suppressions()
    assert (entry.reason, entry.address_hash) == ("deletion", address_hash(ANALYST, KEY))
    assert ANALYST not in repr(entry) and "example" not in repr(entry)


def test_one_click_unsubscribe_then_deletion_keeps_the_first_reason(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config, client = synced(tmp_path, sqlite_store)
    client.post(f"/unsubscribe/{unsubscribe_token(ANALYST, KEY)}")
    manage = f"/manage/{manage_token(ANALYST, KEY)}"
    client.post(manage, data={"csrf_token": csrf_token(client, manage), "action": "delete"})
    sync_subscribers(sqlite_store, config, NOW + timedelta(minutes=5))
    assert sqlite_store.subscriber(ANALYST) is None
    assert [s.reason for s in sqlite_store.suppressions()] == ["unsubscribe"]


def test_mail_queued_before_the_suppression_is_dropped_not_sent(
    tmp_path: Path, store: Store
) -> None:
    config = web_config(tmp_path)
    sync_subscribers(store, config, NOW)
    published = utc(2026, 11, 19, 20)
    store.save_article(article("902", published), published)
    match_new_articles(store, config, now=published)
    due = utc(2026, 11, 20, 1)  # 08:00 in Hanoi: the daily digest is due
    assert queue_due_digests(store, config, now=due).queued == 1
    # suppressed by another process between queueing and sending
    suppress(store, ANALYST, "unsubscribe", due)
    report = send_pending(store, config, now=due)
    assert report.sent == 0
    assert store.deliveries() == []
    assert not (tmp_path / "outbox").exists() or mails(tmp_path / "outbox") == []


def test_web_sign_up_of_a_suppressed_address_sends_nothing_and_says_the_same(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config = web_config(tmp_path)
    client = client_for(config, sqlite_store)
    token = csrf_token(client)
    outbox = tmp_path / "outbox"
    client.post("/subscribe", data=subscribe_form(token))
    confirm = link_in(mails(outbox)[0], "confirm")  # a link mailed before the suppression
    other = client.post("/subscribe", data=subscribe_form(token, email="autre@example.org"))
    suppress(sqlite_store, "Lectrice@Example.org", "deletion", NOW, KEY)
    again = client.post("/subscribe", data=subscribe_form(token))
    assert (again.status_code, again.text) == (other.status_code, other.text)
    assert len(mails(outbox)) == 2  # nothing new for the suppressed address
    late = client.post(confirm, data={"csrf_token": token})
    assert late.status_code == 409 and "désinscrite" in late.text
    assert sqlite_store.subscriber("lectrice@example.org") is None


# --- malformed links: 400 or 404, never 500 -----------------------------------


def _malformed(token: str) -> list[str]:
    payload, signature = token.split(".", 1)
    return [
        f"{payload}.%C3%A9",  # the example: é in the signature part
        f"{payload}.{signature}%C3%A9",
        f"{payload}.{signature[:-1]}%C3%A9",
        f"{payload}%C3%A9.{signature}",
        f"{payload}.%E2%80%AE{signature}",
        f"{payload}.%ED%A0%80",  # an encoded lone surrogate
        f"{payload}.%FF%FE",  # not UTF-8 at all
        f"{payload}.%00{signature}",
        f"{payload}..{signature}",
        f"{payload}.",
        f".{signature}",
        "%2E%2E",  # plain ".." is resolved by the client to another page
        "%C3%A9",
        f"{payload}.{signature}.{signature}",
        f"{payload}.{signature * 40}",
        f"{payload}.{signature}%20",
        "A" * 5000,
    ]


@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_malformed_links_answer_400_or_404_never_500(
    tmp_path: Path, sqlite_store: Store, kind: str
) -> None:
    make_unsubscribe, make_manage = TOKEN_KINDS[kind]
    _config, client = synced(tmp_path, sqlite_store, raise_server_exceptions=False)
    tried = 0
    for route, make in (("unsubscribe", make_unsubscribe), ("manage", make_manage)):
        for bad in _malformed(make(ANALYST, KEY)):
            for method in ("GET", "POST"):
                answer = client.request(method, f"/{route}/{bad}", data={"action": "delete"})
                assert answer.status_code in (400, 404), (method, route, bad, answer.status_code)
                assert answer.headers["x-content-type-options"] == "nosniff"
                tried += 1
    assert tried == 2 * 2 * len(_malformed("a.b"))
    assert sqlite_store.subscriber(ANALYST).active  # type: ignore[union-attr]
    assert sqlite_store.suppressions() == []


def test_a_suppressed_web_subscriber_cannot_resume_or_save_from_the_manage_page(
    tmp_path: Path, sqlite_store: Store
) -> None:
    email = "lectrice@example.org"
    spec = Subscriber(email=email, rules=(), origin="web", active=True)
    sqlite_store.save_web_subscriber(spec, [("Chine", "Chine")], NOW)
    _config, client = synced(tmp_path, sqlite_store)
    assert client.post(f"/unsubscribe/{legacy_token(email, KEY)}").status_code == 200
    manage = f"/manage/{manage_token(email, KEY)}"
    token = csrf_token(client, manage)
    for action in ("resume", "save"):
        form = {"csrf_token": token, "action": action, "frequency": "daily", "query": "Chine"}
        refused = client.post(manage, data=form, follow_redirects=False)
        assert refused.status_code == 409 and "désinscrite" in refused.text
    assert not sqlite_store.subscriber(email).active  # type: ignore[union-attr]
    paused = client.post(manage, data={"csrf_token": token, "action": "pause"})
    assert paused.status_code == 200  # pausing stays allowed: it sends nothing
