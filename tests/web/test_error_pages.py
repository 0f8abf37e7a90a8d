"""Error pages (500, 404, 405, 400) carry the same security headers as every other answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.tokens import manage_token
from store import Store
from tests.web.support import KEY, client_for, web_config

SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


def assert_secured(headers: dict[str, str] | object) -> None:
    for name, expected in SECURITY_HEADERS.items():
        value = headers[name]  # type: ignore[index]
        assert expected in value, (name, value)


async def _boom(request: Request) -> Response:
    raise RuntimeError("a bug in a handler")


def test_a_handler_that_raises_answers_500_with_the_headers(
    tmp_path: Path, sqlite_store: Store
) -> None:
    client = client_for(web_config(tmp_path), sqlite_store, raise_server_exceptions=False)
    client.app.router.routes.insert(0, Route("/boom", _boom))  # type: ignore[attr-defined]
    answer = client.get("/boom")
    assert answer.status_code == 500
    assert_secured(answer.headers)
    assert "RuntimeError" not in answer.text and "Traceback" not in answer.text


def test_a_real_route_on_a_broken_database_answers_500_with_the_headers(
    tmp_path: Path, sqlite_store: Store
) -> None:
    client = client_for(web_config(tmp_path), sqlite_store, raise_server_exceptions=False)
    with sqlite_store.engine.begin() as connection:
        connection.execute(text("DROP TABLE subscriptions"))
        connection.execute(text("DROP TABLE delivered_articles"))
        connection.execute(text("DROP TABLE deliveries"))
        connection.execute(text("DROP TABLE subscribers"))
    answer = client.get(f"/manage/{manage_token('analyste@example.org', KEY)}")
    assert answer.status_code == 500
    assert_secured(answer.headers)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/static/no-such-file.css", 404),
        ("PUT", "/", 405),
        ("DELETE", "/unsubscribe/x.y", 405),
        ("GET", "/manage/not-a-token", 400),
        ("POST", "/unsubscribe/d2ViMUBiYXIuZXhhbXBsZQ.%C3%A9", 400),
    ],
)
def test_every_error_page_has_the_headers(
    tmp_path: Path, sqlite_store: Store, method: str, path: str, status: int
) -> None:
    client = client_for(web_config(tmp_path), sqlite_store, raise_server_exceptions=False)
    answer = client.request(method, path)
    assert answer.status_code == status
    assert_secured(answer.headers)
