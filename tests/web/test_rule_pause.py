"""The manage page's per-rule pause: a web subscriber pauses one rule, keeps it paused
across a settings save, resumes it; a config subscriber's page only shows the state."""

from __future__ import annotations

from pathlib import Path

from alerts.jobs import sync_subscribers
from alerts.tokens import manage_token
from store import Store
from store.records import Subscriber
from store.subscriptions import stored_rule_id
from tests.alerts.delivery_support import make_config, utc
from tests.web.support import KEY, client_for, csrf_token, web_config

EMAIL = "lectrice@example.org"
NOW = utc(2026, 12, 5, 2)


def _web_subscriber(store: Store) -> Subscriber:
    spec = Subscriber(email=EMAIL, rules=(), timezone="Europe/Paris", origin="web")
    rules = [("Tô Lâm", '"Tô Lâm"'), ("Chine", "Chine")]
    return store.save_web_subscriber(spec, rules, NOW)


def test_a_web_subscriber_pauses_and_resumes_one_rule(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    saved = _web_subscriber(store)
    assert saved.id is not None
    china = stored_rule_id(saved.id, "Chine")
    client = client_for(config, store, clock=lambda: NOW)
    manage = f"/manage/{manage_token(EMAIL, KEY)}"
    token = csrf_token(client, manage)
    page = client.post(manage, data={"csrf_token": token, "action": "pause_rule", "rule": china})
    assert page.status_code == 200 and "(en pause)" in page.text
    subscriber = store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.paused_rules == (china,)
    assert china not in subscriber.rules and len(subscriber.rules) == 1

    # saving the settings with the same rules keeps the pause
    form = {
        "csrf_token": token,
        "action": "save",
        "name": "",
        "language": "fr",
        "frequency": "daily",
        "send_time": "07:00",
        "timezone": "Europe/Paris",
        "weekday": "monday",
        "query": '"Tô Lâm" OR Chine',
    }
    assert client.post(manage, data=form).status_code == 200
    # the form wrote one new rule; the paused one went with its query, so nothing is paused
    after = store.subscriber(EMAIL)
    assert after is not None and after.paused_rules == ()

    _web_subscriber(store)  # back to the two rules: Chine's id is the same as before
    client.post(manage, data={"csrf_token": token, "action": "pause_rule", "rule": china})
    _web_subscriber(store)  # the same rules saved again: the pause stays
    kept = store.subscriber(EMAIL)
    assert kept is not None and kept.paused_rules == (china,)
    resumed = client.post(
        manage, data={"csrf_token": token, "action": "resume_rule", "rule": china}
    )
    assert "(en pause)" not in resumed.text
    final = store.subscriber(EMAIL)
    assert final is not None and final.paused_rules == () and china in final.rules


def test_unknown_rules_and_forged_forms_change_nothing(tmp_path: Path, sqlite_store: Store) -> None:
    config = web_config(tmp_path)
    _web_subscriber(sqlite_store)
    client = client_for(config, sqlite_store, clock=lambda: NOW)
    manage = f"/manage/{manage_token(EMAIL, KEY)}"
    token = csrf_token(client, manage)
    client.post(manage, data={"csrf_token": token, "action": "pause_rule", "rule": "to_lam"})
    forged = client.post(manage, data={"csrf_token": "x", "action": "pause_rule", "rule": "w1"})
    assert forged.status_code == 403
    subscriber = sqlite_store.subscriber(EMAIL)
    assert subscriber is not None and subscriber.paused_rules == ()


def test_a_config_subscriber_sees_its_paused_rule_but_config_yaml_decides(
    tmp_path: Path, sqlite_store: Store
) -> None:
    subscribers = (
        "  - email: analyste@example.org\n    rules: [to_lam, chine]\n    paused_rules: [chine]\n"
    )
    config = make_config(tmp_path, subscribers)
    sync_subscribers(sqlite_store, config, NOW)
    client = client_for(config, sqlite_store, clock=lambda: NOW)
    manage = f"/manage/{manage_token('analyste@example.org', KEY)}"
    page = client.get(manage).text
    assert "Chine (en pause)" in page and "Tô Lâm (en pause)" not in page
    token = csrf_token(client, manage)
    client.post(manage, data={"csrf_token": token, "action": "resume_rule", "rule": "chine"})
    subscriber = sqlite_store.subscriber("analyste@example.org")
    assert subscriber is not None and subscriber.paused_rules == ("chine",)
