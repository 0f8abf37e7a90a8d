"""HTTP-level tests of the subscription web app over a real database and the file mail backend."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.jobs import match_new_articles, queue_due_digests, send_pending, sync_subscribers
from alerts.tokens import manage_token, unsubscribe_token
from config import SECRET_KEY_ENV, WEB_PASSWORD_ENV, redact_channel
from store import Store
from store.records import ChannelMessage, DeliveryDraft
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
from web.security import SWEEP_AT, RateLimiter

EMAIL = "lectrice@example.org"


class Clock:
    """A settable clock for token expiry and digest timing."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def subscribe_and_confirm(client, outbox: Path, **fields) -> str:
    """Subscribe, follow the mailed link, confirm; returns the manage path."""
    token = csrf_token(client)
    answer = client.post("/subscribe", data=subscribe_form(token, **fields))
    assert answer.status_code == 200, answer.text
    confirm = link_in(mails(outbox)[-1], "confirm")
    assert client.get(confirm).status_code == 200
    done = client.post(confirm, data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/manage/")
    return done.headers["location"]


def test_double_opt_in_stores_nothing_before_confirmation(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    client = client_for(config, store)
    token = csrf_token(client)
    answer = client.post("/subscribe", data=subscribe_form(token, entities=["to_lam"]))
    assert answer.status_code == 200
    assert "Vérifiez votre boîte de réception" in answer.text
    assert store.subscriber(EMAIL) is None  # nothing stored, nothing can be sent
    body = mails(tmp_path / "outbox")[0]
    confirm = link_in(body, "confirm")
    assert "Confirmer l’abonnement" in client.get(confirm).text
    client.post(confirm, data={"csrf_token": token}, follow_redirects=False)
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.active and subscriber.origin == "web"
    assert (subscriber.frequency, subscriber.timezone) == ("daily", "Europe/Paris")
    queries = {rule.query for rule in store.subscriber_rules(EMAIL)}
    assert queries == {"entity:to_lam", '"Tô Lâm" AND délégation'}
    assert queries <= {rule.query for rule in store.stored_rules()}


def test_same_answer_whether_or_not_the_address_is_subscribed(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config = web_config(tmp_path)
    client = client_for(config, sqlite_store)
    outbox = tmp_path / "outbox"
    token = csrf_token(client)
    first = client.post("/subscribe", data=subscribe_form(token))
    client.post(link_in(mails(outbox)[0], "confirm"), data={"csrf_token": token})
    again = client.post("/subscribe", data=subscribe_form(token, query="Chine"))
    assert (first.status_code, first.text) == (again.status_code, again.text)
    # the owner gets their manage link, and nobody else can change their settings
    assert "/manage/" in mails(outbox)[-1] and "/confirm/" not in mails(outbox)[-1]
    rules = sqlite_store.subscriber_rules(EMAIL)
    assert [rule.query for rule in rules] == ['"Tô Lâm" AND délégation']


def test_one_click_unsubscribe_post(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    client = client_for(config, store)
    subscribe_and_confirm(client, tmp_path / "outbox")
    fresh = client_for(config, store)  # no cookie at all, as a mail client posts
    url = f"/unsubscribe/{unsubscribe_token(EMAIL, KEY)}"
    answer = fresh.post(url, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert answer.status_code == 200
    assert "location" not in answer.headers
    assert "set-cookie" not in answer.headers
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and not subscriber.active
    # a GET only asks: the confirm button posts the same one-click body
    page = fresh.get(url)
    assert page.status_code == 200 and 'value="One-Click"' in page.text


def test_unsubscribe_of_a_config_subscriber_survives_the_config_sync(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config = web_config(tmp_path)
    now = utc(2026, 11, 20, 8)
    sync_subscribers(sqlite_store, config, now)
    client = client_for(config, sqlite_store)
    answer = client.post(f"/unsubscribe/{unsubscribe_token('analyste@example.org', KEY)}")
    assert answer.status_code == 200
    sync_subscribers(sqlite_store, config, now + timedelta(minutes=5))
    analyst = sqlite_store.subscriber("analyste@example.org")
    assert analyst is not None and not analyst.active


def test_tampered_and_expired_tokens(tmp_path: Path, sqlite_store: Store) -> None:
    config = web_config(tmp_path, web="  confirm_hours: 48\n")
    clock = Clock(datetime(2026, 11, 20, 8, tzinfo=UTC))
    client = client_for(config, sqlite_store, clock=clock)
    token = csrf_token(client)
    client.post("/subscribe", data=subscribe_form(token))
    confirm = link_in(mails(tmp_path / "outbox")[0], "confirm")
    flipped = confirm[:-3] + ("A" if confirm[-3] != "A" else "B") + confirm[-2:]
    assert client.get(flipped).status_code == 400
    assert client.post(flipped, data={"csrf_token": token}).status_code == 400
    other_key = client_for(config, sqlite_store)
    other_key.app.state.web.signer.key = b"another-key-another-key-another-key"
    assert other_key.get(confirm).status_code == 400
    clock.now += timedelta(hours=49)
    expired = client.post(confirm, data={"csrf_token": token})
    assert expired.status_code == 410 and "expiré" in expired.text
    assert sqlite_store.subscriber(EMAIL) is None
    clock.now -= timedelta(hours=2)  # 47 h after: still valid
    assert client.post(confirm, data={"csrf_token": token}).status_code == 200
    manage = f"/manage/{manage_token(EMAIL, KEY)}"
    assert client.get(manage).status_code == 200
    assert client.get(manage[:-2] + "xx").status_code == 400
    # an unsubscribe token does not open the manage page, nor the reverse
    assert client.get(f"/manage/{unsubscribe_token(EMAIL, KEY)}").status_code == 400
    assert client.post(f"/unsubscribe/{manage_token(EMAIL, KEY)}").status_code == 400
    assert client.post(f"/unsubscribe/{unsubscribe_token(EMAIL, KEY)[:-2]}AA").status_code == 400
    subscriber = sqlite_store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.active


def test_csrf_is_required_on_forms(tmp_path: Path, sqlite_store: Store) -> None:
    config = web_config(tmp_path)
    client = client_for(config, sqlite_store)
    token = csrf_token(client)
    assert client.post("/subscribe", data=subscribe_form("")).status_code == 403
    assert client.post("/subscribe", data=subscribe_form(token + "x")).status_code == 403
    stranger = client_for(config, sqlite_store)  # a cross-site post carries no cookie
    assert stranger.post("/subscribe", data=subscribe_form(token)).status_code == 403
    assert not (tmp_path / "outbox").exists()
    manage = subscribe_and_confirm(client, tmp_path / "outbox")
    forged = stranger.post(manage, data={"action": "delete", "csrf_token": token})
    assert forged.status_code == 403
    assert sqlite_store.subscriber(EMAIL) is not None
    deleted = client.post(manage, data={"action": "delete", "csrf_token": token})
    assert deleted.status_code == 200
    assert sqlite_store.subscriber(EMAIL) is None
    assert sqlite_store.subscriber_rules(EMAIL) == []


def test_rate_limits_per_address_and_per_ip(tmp_path: Path, sqlite_store: Store) -> None:
    config = web_config(
        tmp_path, web="  subscribe_per_address_hour: 2\n  subscribe_per_ip_hour: 5\n"
    )
    client = client_for(config, sqlite_store)
    token = csrf_token(client)
    codes = [client.post("/subscribe", data=subscribe_form(token)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    others = [
        client.post("/subscribe", data=subscribe_form(token, email=f"n{i}@example.org"))
        for i in range(3)
    ]
    assert [answer.status_code for answer in others] == [200, 200, 429]
    assert "Trop de demandes" in others[-1].text
    assert len(mails(tmp_path / "outbox")) == 4


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "pas-une-adresse", "Adresse électronique invalide"),
        ("timezone", "Mars/Olympus", "Fuseau horaire inconnu"),
        ("query", "Chine " * 120, "Requête trop longue"),
        ("query", '"Tô Lâm AND', "ligne 1, colonne"),
        ("send_time", "25:99", "HH:MM"),
    ],
)
def test_field_errors_are_shown_next_to_the_field(
    tmp_path: Path, sqlite_store: Store, field: str, value: str, message: str
) -> None:
    client = client_for(web_config(tmp_path), sqlite_store)
    answer = client.post("/subscribe", data=subscribe_form(csrf_token(client), **{field: value}))
    assert answer.status_code == 400
    assert f'<p class="error" id="{field}-error">' in answer.text
    error = answer.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert f'aria-describedby="{field}' in answer.text or f'{field}-error"' in answer.text
    assert not (tmp_path / "outbox").exists()


def test_output_is_escaped_and_headers_are_set(tmp_path: Path, sqlite_store: Store) -> None:
    client = client_for(web_config(tmp_path), sqlite_store)
    answer = client.post(
        "/subscribe",
        data=subscribe_form(csrf_token(client), email="x", name="<script>alert(1)</script>"),
    )
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    headers = answer.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    cookie = client_for(web_config(tmp_path), sqlite_store).get("/").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_english_ui_on_request_french_by_default(tmp_path: Path, sqlite_store: Store) -> None:
    client = client_for(web_config(tmp_path), sqlite_store)
    assert 'lang="fr"' in client.get("/").text and "M’abonner" in client.get("/").text
    english = client.get("/?lang=en").text
    assert 'lang="en"' in english and ">Subscribe<" in english


def test_preview_counts_per_day_and_highlights(tmp_path: Path, sqlite_store: Store) -> None:
    now = datetime(2026, 11, 20, 8, tzinfo=UTC)
    for i, days_ago in enumerate((1, 1, 3, 40)):
        published = now - timedelta(days=days_ago)
        sqlite_store.save_article(article(f"10{i}", published), published)
    client = client_for(web_config(tmp_path), sqlite_store, clock=lambda: now)
    data = client.get("/api/preview", params={"q": '"Tô Lâm" AND délégation'}).json()
    assert data["ok"] and data["total"] == 3  # the 40-day-old article is outside
    assert len(data["days"]) == 30 and data["days"][-1]["day"] == "2026-11-20"
    assert sum(day["count"] for day in data["days"]) == 3
    assert [d["count"] for d in data["days"] if d["day"] == "2026-11-19"] == [2]
    marked = [text for text, on in data["hits"][0]["parts"] if on]
    assert "Tô Lâm" in marked
    # dates as a French reader writes them, for the list and the chart's axis
    assert data["days"][-1]["label"] == "20 nov." and data["most"] == 2
    assert re.fullmatch(r"19 nov\. 2026, \d\d:\d\d", data["hits"][0]["published"])
    english = client.get("/api/preview", params={"q": "délégation", "lang": "en"}).json()
    assert english["days"][-1]["label"] == "Nov 20"
    bad = client.get("/api/preview", params={"q": "Chine AND (Hanoï"})
    assert bad.status_code == 422
    problem = bad.json()
    assert not problem["ok"] and problem["line"] == 1 and problem["column"] >= 1
    long = client.get("/api/preview", params={"q": "x" * 600})
    assert long.status_code == 422 and "trop longue" in long.json()["error"]


@pytest.mark.parametrize(
    ("query", "french", "english"),
    [
        ("Chine OR", "rien ne suit OR", "OR has nothing after it"),
        ('"Tô Lâm AND Chine', "guillemet ouvert colonne 1", "quote opened at column 1"),
        ("Chine AND (Hanoï", "parenthèse ouverte colonne 11", "parenthesis opened at column 11"),
        ("Chine AND OR Laos", "OR suit un autre opérateur", "OR follows another operator"),
        # parsed, but refused
        ("*hine", "le joker * ne se met qu’à la fin d’un mot", "wildcard only at the end"),
        ("@inconnue AND Chine", "liste de veille inconnue", "unknown watchlist '@inconnue'"),
        ("NOT Chine", "rien à chercher", "nothing to look for"),
    ],
)
def test_preview_explains_a_syntax_error_in_the_readers_language(
    tmp_path: Path, sqlite_store: Store, query: str, french: str, english: str
) -> None:
    client = client_for(web_config(tmp_path), sqlite_store)
    error = client.get("/api/preview", params={"q": query}).json()["error"]
    assert french in error, error
    # French only: none of the parser's or the CLI's English words leak in
    assert not re.search(
        r"\b(column|unexpected|position|nothing|parenthesis|quote|wildcard|unknown|refused)\b",
        error,
    ), error
    error = client.get("/api/preview", params={"q": query, "lang": "en"}).json()["error"]
    assert english in error, error


def test_the_query_field_takes_what_the_server_accepts(tmp_path: Path, sqlite_store: Store) -> None:
    config = web_config(tmp_path)
    page = client_for(config, sqlite_store).get("/").text
    field = re.search(r'<textarea id="query"[^>]*>', page)
    assert field and f'maxlength="{config.web.max_query_length}"' in field.group(), page


def test_operator_view_behind_login(
    tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = web_config(tmp_path, web="  operator_user: veille\n")
    client = client_for(config, sqlite_store)
    monkeypatch.delenv(WEB_PASSWORD_ENV, raising=False)
    assert "VNAWATCH_WEB_PASSWORD" in client.get("/operator").text
    monkeypatch.setenv(WEB_PASSWORD_ENV, "s3cret-pass")
    subscribe_and_confirm(client, tmp_path / "outbox")
    token = csrf_token(client, "/operator")
    wrong = client.post(
        "/operator/login", data={"csrf_token": token, "user": "veille", "password": "nope"}
    )
    assert wrong.status_code == 401 and EMAIL not in wrong.text
    assert EMAIL not in client.get("/operator").text
    right = client.post(
        "/operator/login",
        data={"csrf_token": token, "user": "veille", "password": "s3cret-pass"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/operator"
    page = client.get("/operator").text
    assert EMAIL in page and "délégation" in page and "VietnamPlus" in page
    client.post("/operator/logout", data={"csrf_token": token})
    assert EMAIL not in client.get("/operator").text


def test_web_subscriber_gets_digests_from_the_delivery_jobs(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())  # the jobs and the app share the key
    config = web_config(tmp_path)
    outbox = tmp_path / "outbox"
    client = client_for(config, store, clock=lambda: utc(2026, 11, 19, 9))
    manage = subscribe_and_confirm(client, outbox)
    sync_subscribers(store, config, utc(2026, 11, 19, 10))  # config sync leaves web rows alone
    published = utc(2026, 11, 19, 20)
    store.save_article(article("555", published), published)
    assert match_new_articles(store, config, now=published).matches >= 1
    now = utc(2026, 11, 20, 6, 30)  # 07:30 in Paris: the daily digest is due
    assert queue_due_digests(store, config, now=now).queued >= 1
    send_pending(store, config, now=now)
    digest = mails(outbox)[-1]
    assert "Article 555" in digest
    assert link_in(digest, "manage") == manage.split("?")[0]
    assert link_in(digest, "unsubscribe") == f"/unsubscribe/{unsubscribe_token(EMAIL, KEY)}"


def test_rate_limiter_window_slides_and_forgets_quiet_keys() -> None:
    ticks = [0.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: ticks[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    ticks[0] = 59.0
    assert not limiter.allow("a")
    ticks[0] = 60.5  # the first two events left the window
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    for i in range(SWEEP_AT + 1):
        limiter.allow(f"ip{i}")
    ticks[0] = 200.0
    limiter.allow("late")
    assert set(limiter._events) == {"late"}


def test_the_web_labels_say_the_same_things_in_both_languages() -> None:
    from web.labels import LABELS

    assert LABELS["fr"].keys() == LABELS["en"].keys()


def test_channels_added_and_removed_on_the_manage_page(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "w3bT0kenZz81qq"
    config = web_config(tmp_path, web="  operator_user: veille\n")
    client = client_for(config, store)
    manage = subscribe_and_confirm(client, tmp_path / "outbox")
    token = csrf_token(client, manage)
    form = {"csrf_token": token, "action": "channels", "email_delivery": "1"}
    bad = client.post(manage, data={**form, "channel": f"nosuch://{secret}"})
    assert bad.status_code == 400 and 'id="channel-error"' in bad.text
    assert secret not in bad.text
    url = f"json://127.0.0.1:9/hooks/{secret}"
    saved = client.post(manage, data={**form, "channel": url}, follow_redirects=False)
    assert saved.status_code == 303
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.channels == (url,)
    assert subscriber.email_delivery
    page = client.get(manage).text
    assert redact_channel(url) in page and secret not in page
    # the operator view lists the channel's outbox row redacted
    assert subscriber.id is not None
    notification = ChannelMessage(url=url, title="Alerte", body="Article")
    draft = DeliveryDraft(
        subscriber.id, "alert", "alert", "k-1", "Alerte", b"", email=False, channels=(notification,)
    )
    assert store.queue_delivery(draft, utc(2026, 11, 20, 8)) is not None
    monkeypatch.setenv(WEB_PASSWORD_ENV, "s3cret-pass")
    operator = {"csrf_token": csrf_token(client, "/operator"), "user": "veille"}
    client.post("/operator/login", data={**operator, "password": "s3cret-pass"})
    view = client.get("/operator").text
    assert redact_channel(url) in view and secret not in view
    # channels only, then the last channel removed: email comes back on
    client.post(manage, data={"csrf_token": token, "action": "channels"})
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and not subscriber.email_delivery
    client.post(
        manage, data={"csrf_token": token, "action": "channels", "remove": redact_channel(url)}
    )
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.channels == () and subscriber.email_delivery
