"""Shared builders for the web app tests: config with watchlists, a client, links in mail."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from config import Config, parse_config
from store import Store
from tests.alerts.delivery_support import config_text
from web.app import create_app

KEY = b"test-secret-key-for-the-web-app-0123456789"
WATCHLISTS = """
watchlists:
  - id: dirigeants
    name: Dirigeants vietnamiens
    entities:
      - {id: to_lam, name: Tô Lâm, aliases: [To Lam]}
      - {id: pham_minh_chinh, name: Phạm Minh Chính}
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/(?:confirm|manage|unsubscribe)/\S+)")


def web_config(tmp_path: Path, web: str = "", **mail: Any) -> Config:
    """The delivery tests' config plus a watchlist and optional ``web:`` settings (YAML)."""
    text = WATCHLISTS + config_text(tmp_path, **mail)
    if web:
        text += "web:\n" + web
    return parse_config(text, tmp_path / "config.yaml")


def client_for(
    config: Config, store: Store, *, raise_server_exceptions: bool = True, **options: Any
) -> TestClient:
    app = create_app(config, store, key=KEY, **options)
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


def csrf_token(client: TestClient, path: str = "/") -> str:
    """Open a page so the client holds the CSRF cookie; the token of its form."""
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def subscribe_form(token: str, **fields: Any) -> dict[str, Any]:
    form = {
        "csrf_token": token,
        "email": "lectrice@example.org",
        "name": "Lectrice",
        "language": "fr",
        "frequency": "daily",
        "send_time": "07:00",
        "timezone": "Europe/Paris",
        "weekday": "monday",
        "query": '"Tô Lâm" AND délégation',
    }
    form.update(fields)
    return form


def mails(outbox: Path) -> list[str]:
    """Plain-text bodies of the .eml files the file backend wrote, oldest first."""
    found = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [text_of(p.read_bytes()) for p in found]


def text_of(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def link_in(text: str, kind: str) -> str:
    """The path of the first ``kind`` link (confirm, manage, unsubscribe) in a mail body."""
    for url in LINK.findall(text):
        if f"/{kind}/" in url:
            return "/" + url.split("/", 3)[3]
    raise AssertionError(f"no {kind} link in {text!r}")
