"""The operator's rising-names page: behind the login, the report and its snippets."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from config import WEB_PASSWORD_ENV
from store import Store, open_store
from tests.alerts.names_support import NEW_NAME, NEW_NAME_ASCII, seed
from tests.web.support import client_for, csrf_token, web_config
from web.security import OPERATOR_COOKIE

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
PASSWORD = "s3cret-pass"


@pytest.fixture
def client(tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv(WEB_PASSWORD_ENV, PASSWORD)
    seed(sqlite_store, NOW)
    config = web_config(tmp_path, web="  operator_user: veille\n")
    return client_for(config, sqlite_store, clock=lambda: NOW)


def log_in(client: TestClient) -> None:
    token = csrf_token(client, "/operator")
    answer = client.post(
        "/operator/login",
        data={"csrf_token": token, "user": "veille", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_a_visitor_gets_the_login_form_and_nothing_of_the_archive(client: TestClient) -> None:
    page = client.get("/operator/names")
    assert page.status_code == 403
    assert 'action="/operator/login"' in page.text
    assert "Thắng" not in page.text and "Thang" not in page.text
    client.cookies.set(OPERATOR_COOKIE, "veille")  # unsigned: not a login
    forged = client.get("/operator/names")
    assert forged.status_code == 403 and "Thắng" not in forged.text


def test_the_operator_sees_the_rising_name_with_counts_titles_and_snippet(
    client: TestClient,
) -> None:
    log_in(client)
    assert "/operator/names" in client.get("/operator").text
    page = client.get("/operator/names")
    assert page.status_code == 200
    text = html.unescape(page.text)
    first = re.search(r"<h2>([^<]+)</h2>", text)
    assert first and first.group(1) == NEW_NAME
    assert "6 articles</strong> sur la période · 0 avant" in text and "nouveau" in text
    assert "Le nouveau vice-ministre Nguyen Van Thang en mission (#2)" in text
    snippet = re.search(r'<pre class="snippet"><code>(.*?)</code></pre>', text, re.S)
    assert snippet and yaml.safe_load(snippet.group(1)) == [
        {"id": "nguyen_van_thang", "name": NEW_NAME, "aliases": [NEW_NAME_ASCII]}
    ]
    assert "<h2>Tô Lâm</h2>" not in text  # watched (config: to_lam)


def test_the_page_in_english_and_a_window_out_of_range(client: TestClient) -> None:
    log_in(client)
    page = client.get("/operator/names", params={"lang": "en", "days": "9999"})
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "Rising names" in page.text and 'value="90"' in page.text
    assert client.get("/operator/names", params={"days": "x<script>"}).status_code == 200


def test_an_empty_archive_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEB_PASSWORD_ENV, PASSWORD)
    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.upgrade()
    try:
        config = web_config(tmp_path, web="  operator_user: veille\n")
        client = client_for(config, empty, clock=lambda: NOW)
        log_in(client)
        text = html.unescape(client.get("/operator/names").text)
        assert "Aucun article publié sur la période : rien à compter." in text
        assert "<h2>" not in text.split("</form>", 1)[1]
    finally:
        empty.close()
