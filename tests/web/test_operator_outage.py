"""The operator view through a database outage: a plain 503 page, then the outage shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from config import WEB_PASSWORD_ENV
from store import open_store
from store.records import DatabaseOutage
from tests.dbproxy import postgres_proxy, through
from tests.web.support import client_for, csrf_token, web_config

PASSWORD = "s3cret-pass"


def _log_in(client: TestClient) -> None:
    token = csrf_token(client, "/operator")
    answer = client.post(
        "/operator/login",
        data={"csrf_token": token, "user": "veille", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303


@pytest.mark.postgres
def test_operator_view_says_the_database_is_unreachable_then_shows_the_outage(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEB_PASSWORD_ENV, PASSWORD)
    config = web_config(tmp_path, web="  operator_user: veille\n")
    with postgres_proxy() as proxy:
        store = open_store(through(proxy, postgres_url))
        try:
            store.upgrade()
            client = client_for(config, store, raise_server_exceptions=False)
            _log_in(client)
            assert "Base de données : joignable, aucune coupure" in client.get("/operator").text

            proxy.cut()
            down = client.get("/operator")
            assert down.status_code == 503, down.text
            assert "Base de données injoignable" in down.text
            assert "server closed the connection" in down.text  # the driver's cause
            assert "Traceback" not in down.text

            proxy.restore()
            ended = datetime.now(UTC)
            cause = "connection refused"
            store.record_database_outage(
                DatabaseOutage(ended - timedelta(seconds=95), ended, cause)
            )
            page = client.get("/operator")
            assert page.status_code == 200
            assert "dernière coupure le" in page.text and "pendant 1 min 35 s" in page.text
            english = client.get("/operator?lang=en").text
            assert "last outage on" in english and "for 1 min 35 s (connection refused)" in english
        finally:
            store.close()
