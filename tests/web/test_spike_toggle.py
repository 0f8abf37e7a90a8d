"""The manage page's spike alert toggle: web subscribers choose, config.yaml's are shown."""

from __future__ import annotations

from pathlib import Path

from alerts.jobs import sync_subscribers
from alerts.tokens import manage_token
from store import Store
from tests.alerts.delivery_support import utc
from tests.web.support import KEY, client_for, csrf_token, subscribe_form, web_config
from tests.web.test_app import EMAIL, subscribe_and_confirm


def _spikes(store: Store, email: str = EMAIL) -> bool:
    subscriber = store.subscriber(email)
    assert subscriber is not None
    return subscriber.spike_alerts


def test_a_web_subscriber_turns_spike_alerts_on_and_off(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    client = client_for(config, store)
    manage = subscribe_and_confirm(client, tmp_path / "outbox")
    assert not _spikes(store)
    page = client.get(manage).text
    assert "Alertes de pic" in page and 'name="spike_alerts" value="1" aria' in page
    token = csrf_token(client, manage)
    on = {"csrf_token": token, "action": "spikes", "spike_alerts": "1"}
    assert client.post(manage, data=on, follow_redirects=False).status_code == 303
    assert _spikes(store)
    assert 'value="1" aria-describedby="spikes-hint" checked' in client.get(manage).text
    # saving the other settings keeps the choice
    settings = subscribe_form(token, action="save", frequency="weekly")
    settings.pop("email")
    assert client.post(manage, data=settings, follow_redirects=False).status_code == 303
    assert _spikes(store)
    client.post(manage, data={"csrf_token": token, "action": "spikes"})
    assert not _spikes(store)


def test_a_forged_toggle_changes_nothing(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    client = client_for(config, store)
    manage = subscribe_and_confirm(client, tmp_path / "outbox")
    stranger = client_for(config, store)
    refused = stranger.post(manage, data={"action": "spikes", "spike_alerts": "1"})
    assert refused.status_code == 403 and not _spikes(store)


def test_config_yaml_decides_for_its_own_subscribers(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    data = config.model_dump(exclude={"path"})
    data["subscribers"][0]["spike_alerts"] = True
    config = type(config).model_validate(data)
    sync_subscribers(store, config, utc(2026, 11, 19))
    email = "analyste@example.org"
    assert _spikes(store, email)
    client = client_for(config, store)
    manage = f"/manage/{manage_token(email, KEY)}"
    page = client.get(manage).text
    assert "Alertes de pic : activées." in page and 'name="spike_alerts"' not in page
    token = csrf_token(client, manage)
    client.post(manage, data={"csrf_token": token, "action": "spikes"})
    assert _spikes(store, email)  # the toggle is config.yaml's: a POST does not turn it off
