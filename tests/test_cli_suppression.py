"""The suppression list through the real CLI and the real ASGI app, on SQLite and PostgreSQL.

Two config.yaml subscribers leave (one-click unsubscribe, "delete all my
data"); `digest --send` does not bring them back; `status` lists them for the
operator; `suppression list` shows hashes and counts, never an address; only
`suppression lift` lets one back in, and the log says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerts.tokens import address_hash, manage_token, unsubscribe_token
from cli import app
from config import DATABASE_URL_ENV, SECRET_KEY_ENV, load_config
from store import open_store
from tests.alerts.delivery_support import config_text
from tests.web.support import KEY, WATCHLISTS, client_for, csrf_token

ANALYST = "analyste@example.org"
READER = "lecteur@example.org"
SUBSCRIBERS = f"""  - {{email: {ANALYST}, name: Analyste, rules: [to_lam]}}
  - {{email: {READER}, name: Lecteur, rules: [chine]}}"""


def invoke(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config_file(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    path = tmp_path / "config.yaml"
    text = f"database_url: '{database_url}'\n" + WATCHLISTS + config_text(tmp_path, SUBSCRIBERS)
    path.write_text(text, encoding="utf-8")
    return path


def _leave_through_the_web(config_file: Path) -> None:
    """The analyst unsubscribes in one click; the reader deletes all their data."""
    config = load_config(config_file)
    store = open_store(config.database_url)
    try:
        client = client_for(config, store)
        assert client.post(f"/unsubscribe/{unsubscribe_token(ANALYST, KEY)}").status_code == 200
        manage = f"/manage/{manage_token(READER, KEY)}"
        deleted = client.post(
            manage, data={"csrf_token": csrf_token(client, manage), "action": "delete"}
        )
        assert deleted.status_code == 200
    finally:
        store.close()


def _states(config_file: Path) -> dict[str, bool | None]:
    store = open_store(load_config(config_file).database_url)
    try:
        return {
            email: (found.active if (found := store.subscriber(email)) else None)
            for email in (ANALYST, READER)
        }
    finally:
        store.close()


def test_suppressed_config_subscribers_stay_out_until_the_operator_lifts(
    config_file: Path,
) -> None:
    assert invoke(config_file, "init")[0] == 0
    assert _states(config_file) == {ANALYST: True, READER: True}
    _leave_through_the_web(config_file)

    code, _out, err = invoke(config_file, "digest", "--send")
    assert code == 0, err
    assert "config subscribers suppressed count=2" in err
    assert _states(config_file) == {ANALYST: False, READER: None}

    _code, out, _err = invoke(config_file, "status")
    listed = out.split("remove from config.yaml", 1)[1]
    assert f"  - {ANALYST}" in listed and f"  - {READER}" in listed
    _code, out, _err = invoke(config_file, "status", "--json")
    assert json.loads(out)["suppressed_subscribers"] == [ANALYST, READER]

    code, out, _err = invoke(config_file, "suppression", "list")
    assert code == 0
    assert out.splitlines()[0] == "2 suppressed (deletion 1, unsubscribe 1)"
    assert address_hash(READER, KEY) in out and "@" not in out

    code, out, err = invoke(config_file, "suppression", "lift", READER.upper())
    assert code == 0, err
    assert f"lifted: {READER.upper()}" in out and "reason deletion" in out
    assert "WARNING" in err and "suppression lifted by the operator" in err
    assert READER not in err  # the log names the hash, not the address
    code, _out, err = invoke(config_file, "suppression", "lift", "nobody@example.org")
    assert code == 1 and "not on the suppression list" in err

    assert invoke(config_file, "digest", "--send")[0] == 0
    assert _states(config_file) == {ANALYST: False, READER: True}
    _code, out, _err = invoke(config_file, "status", "--json")
    assert json.loads(out)["suppressed_subscribers"] == [ANALYST]
    assert invoke(config_file, "suppression", "list")[1].startswith("1 suppressed (unsubscribe 1)")

    # lifting a one-click unsubscribe clears the unsubscribe mark too
    assert invoke(config_file, "suppression", "lift", ANALYST)[0] == 0
    assert invoke(config_file, "digest", "--send")[0] == 0
    assert _states(config_file) == {ANALYST: True, READER: True}
