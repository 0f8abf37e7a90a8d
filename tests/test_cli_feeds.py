"""`vnawatch feed-url --rule`: signed links an operator's reader opens, and --renew revokes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from typer.testing import CliRunner

from cli import app
from config import DATABASE_URL_ENV, SECRET_KEY_ENV, load_config
from store import open_store
from tests.alerts.delivery_support import HANOI, add_article, article, config_text, utc
from tests.web.support import KEY, WATCHLISTS, client_for

PUBLIC = "https://veille.example.org"


def invoke(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config_file(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    path = tmp_path / "config.yaml"
    text = f"database_url: '{sqlite_url}'\n" + WATCHLISTS + config_text(tmp_path)
    path.write_text(text, encoding="utf-8")
    assert invoke(path, "init")[0] == 0
    return path


def test_feed_url_prints_links_that_open_and_renew_revokes_them(config_file: Path) -> None:
    code, out, _ = invoke(config_file, "feed-url", "--rule", "to_lam")
    assert code == 0
    atom, json_feed = out.split()
    assert atom.startswith(f"{PUBLIC}/feed/rule/") and atom.endswith("/atom.xml")
    assert json_feed.endswith("/feed.json")
    assert invoke(config_file, "feed-url", "--rule", "to_lam")[1] == out  # stable
    config = load_config(config_file)
    store = open_store(config.database_url)
    try:
        published = datetime(2026, 12, 4, 9, tzinfo=HANOI)
        add_article(store, article("1", published), found=utc(2026, 12, 4, 3))
        client = client_for(config, store)
        parsed = feedparser.parse(client.get(atom.removeprefix(PUBLIC)).content)
        assert parsed.bozo == 0 and [e.link for e in parsed.entries] == [
            article("1", published).url
        ]
        code, renewed, err = invoke(config_file, "feed-url", "--rule", "to_lam", "--renew")
        assert code == 0 and renewed != out and "no longer work" in err
        assert client.get(atom.removeprefix(PUBLIC)).status_code == 404
        assert client.get(renewed.split()[0].removeprefix(PUBLIC)).status_code == 200
    finally:
        store.close()


def test_feed_url_of_an_unknown_rule_is_a_usage_error(config_file: Path) -> None:
    code, out, err = invoke(config_file, "feed-url", "--rule", "nope")
    assert code == 2 and out == "" and "no rule 'nope'" in err
