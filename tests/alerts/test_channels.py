"""Chat and webhook channels end to end: config, outbox rows, Apprise to a real endpoint.

Each test runs an HTTP server on 127.0.0.1 (tests/alerts/channel_support.py)
and reaches it through Apprise's ``json://`` and ``form://`` schemes, on
SQLite and PostgreSQL. Nothing is mocked.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alerts.delivery import CLAIM_LEASE, backoff
from alerts.jobs import queue_due_digests, queue_immediate_alerts, send_pending, sync_subscribers
from config import Config, ConfigError, load_config, parse_config, redact_channel
from store import Store
from store.records import ChannelMessage, DeliveryDraft
from tests.alerts import delivery_worker
from tests.alerts.channel_support import Endpoint, serve
from tests.alerts.delivery_support import (
    HANOI,
    add_article,
    article,
    config_text,
    free_port,
    utc,
)
from tests.processes import wait_for

SYNCED = utc(2026, 11, 1)
DAY1 = utc(2026, 11, 22, 0, 10)  # 07:10 in Hanoi: the 07:00 digest is due
TOKEN = "s3cr3tT0kenXq9Zr7"  # what must never be printed


def _hook(scheme: str, port: int) -> str:
    return f"{scheme}://127.0.0.1:{port}/hooks/{TOKEN}"


def _subscriber(channels: list[str], *, extra: str = "") -> str:
    listed = ", ".join(f'"{url}"' for url in channels)
    return f"  - {{email: analyste@example.org, rules: [to_lam], channels: [{listed}]{extra}}}"


def _config(tmp_path: Path, channels: list[str], *, extra: str = "", **settings: int) -> Config:
    text = config_text(tmp_path, _subscriber(channels, extra=extra))
    if settings:
        text += "channels:\n" + "".join(f"  {k}: {v}\n" for k, v in settings.items())
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _queue_digest(store: Store, config: Config) -> None:
    sync_subscribers(store, config, SYNCED)
    add_article(store, article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), found=DAY1)
    add_article(store, article("2", datetime(2026, 11, 21, 16, tzinfo=HANOI)), found=DAY1)
    assert queue_due_digests(store, config, now=DAY1).queued == 1


def _channel_rows(store: Store) -> list:
    return [d for d in store.deliveries() if not d.is_email]


# --- queueing ---------------------------------------------------------------


def test_a_batch_gets_one_row_per_channel_once(store: Store, tmp_path: Path) -> None:
    config = _config(tmp_path, [_hook("json", 9), _hook("form", 9)])
    _queue_digest(store, config)
    rows = store.deliveries()
    assert sorted(d.channel for d in rows) == sorted(["email", _hook("json", 9), _hook("form", 9)])
    assert len({d.key for d in rows}) == 3
    # the articles are recorded once, on the batch's first row (the email)
    assert [d.article_ids for d in rows if d.article_ids] == [(1, 2)]
    assert queue_due_digests(store, config, now=DAY1).queued == 0
    assert queue_due_digests(store, config, now=DAY1 + timedelta(days=1)).queued == 0
    assert len(store.deliveries()) == 3


def test_email_delivery_false_queues_the_channels_only(store: Store, tmp_path: Path) -> None:
    config = _config(tmp_path, [_hook("json", 9)], extra=", email_delivery: false")
    _queue_digest(store, config)
    (row,) = store.deliveries()
    assert row.channel == _hook("json", 9) and row.article_ids == (1, 2)
    subscriber = store.subscriber("analyste@example.org")
    assert subscriber is not None and not subscriber.email_delivery
    assert subscriber.channels == (_hook("json", 9),)


# --- sending ----------------------------------------------------------------


def test_digest_reaches_a_json_endpoint_once(store: Store, tmp_path: Path) -> None:
    endpoint = Endpoint()
    with serve(endpoint) as port:
        config = _config(tmp_path, [_hook("json", port)])
        _queue_digest(store, config)
        report = send_pending(store, config, now=DAY1)
        assert (report.sent, report.retried, report.failed) == (2, 0, 0)  # email + channel
        assert send_pending(store, config, now=DAY1 + timedelta(hours=1)).sent == 0
    (request,) = endpoint.received
    assert request.path == f"/hooks/{TOKEN}"
    payload = request.fields()
    assert "2 articles" in payload["title"] and "2 articles" in payload["message"]
    assert "Article 1 : Tô Lâm reçoit une délégation (VietnamPlus)" in payload["message"]
    assert "https://veille.example.org/digest/" in payload["message"]
    assert {d.status for d in store.deliveries()} == {"sent"}


def test_alert_reaches_a_form_endpoint_as_a_short_message(store: Store, tmp_path: Path) -> None:
    endpoint = Endpoint()
    with serve(endpoint) as port:
        config = _config(
            tmp_path, [_hook("form", port)], extra=", frequency: immediate, email_delivery: false"
        )
        sync_subscribers(store, config, SYNCED)
        add_article(store, article("7", DAY1 - timedelta(minutes=5)), found=DAY1)
        assert queue_immediate_alerts(store, config, now=DAY1).queued == 1
        assert send_pending(store, config, now=DAY1).sent == 1
    (request,) = endpoint.received
    fields = request.fields()
    assert request.content_type.startswith("application/x-www-form-urlencoded")
    message = fields["message"]
    assert "Article 7 : Tô Lâm reçoit une délégation" in message
    assert "VietnamPlus ·" in message
    assert "«Tô Lâm»" in message  # the snippet with the hit marked
    assert "https://fr.vietnamplus.vn/article-post7.vnp" in message
    assert list((tmp_path / "outbox").glob("*.eml")) == []  # channels only: no email


def test_endpoint_down_then_up_delivers_once(store: Store, tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, [_hook("json", port)], extra=", email_delivery: false")
    _queue_digest(store, config)
    report = send_pending(store, config, now=DAY1)
    assert (report.sent, report.retried) == (0, 1)
    (row,) = store.deliveries()
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == DAY1 + backoff(1)
    assert TOKEN not in (row.last_error or "") and "Connection error" in (row.last_error or "")
    endpoint = Endpoint()
    with serve(endpoint, port):
        assert send_pending(store, config, now=DAY1 + timedelta(seconds=30)).sent == 0  # backoff
        assert send_pending(store, config, now=DAY1 + backoff(1)).sent == 1
        assert send_pending(store, config, now=DAY1 + timedelta(days=1)).sent == 0
    assert len(endpoint.received) == 1


def test_endpoint_answering_500_is_retried_then_delivered(store: Store, tmp_path: Path) -> None:
    endpoint = Endpoint(statuses=[500, 500])
    with serve(endpoint) as port:
        config = _config(tmp_path, [_hook("json", port)], extra=", email_delivery: false")
        _queue_digest(store, config)
        moment = DAY1
        for attempt in (1, 2):
            assert send_pending(store, config, now=moment).retried == 1
            (row,) = store.deliveries()
            assert row.attempts == attempt and "500" in (row.last_error or "")
            moment += backoff(attempt)
        assert send_pending(store, config, now=moment).sent == 1
        assert send_pending(store, config, now=moment + timedelta(days=1)).sent == 0
    assert len(endpoint.received) == 3
    (row,) = store.deliveries()
    assert (row.status, row.attempts) == ("sent", 3)


def test_a_channel_fails_for_good_after_max_attempts(store: Store, tmp_path: Path) -> None:
    endpoint = Endpoint(statuses=[500] * 10)
    with serve(endpoint) as port:
        config = _config(
            tmp_path, [_hook("json", port)], extra=", email_delivery: false", max_attempts=3
        )
        _queue_digest(store, config)
        moment = DAY1
        for attempt in (1, 2, 3):
            send_pending(store, config, now=moment)
            moment += backoff(attempt)
        assert send_pending(store, config, now=moment + timedelta(days=1)).sent == 0
    (row,) = store.deliveries()
    assert (row.status, row.attempts) == ("failed", 3)
    assert "after 3 attempts" in (row.last_error or "")
    assert len(endpoint.received) == 3


# --- crash ------------------------------------------------------------------


def _worker(config_file: Path, store: Store, now: datetime) -> subprocess.Popen[bytes]:
    return delivery_worker.start(config_file, store.url, now)


@pytest.mark.slow
def test_sender_killed_while_the_endpoint_holds_the_request_duplicates_at_most_once(
    store: Store, tmp_path: Path
) -> None:
    endpoint = Endpoint(hold=threading.Event())
    with serve(endpoint) as port:
        config = _config(tmp_path, [_hook("json", port)], extra=", email_delivery: false")
        _queue_digest(store, config)
        victim = _worker(tmp_path / "config.yaml", store, DAY1)
        wait_for(endpoint.arrived.is_set, what="the request to reach the endpoint")
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=60) == -signal.SIGKILL
        endpoint.hold.set()  # type: ignore[union-attr]
        (row,) = store.deliveries()
        assert row.status == "pending"  # received, never recorded
        endpoint.hold = None
        # the lease counts the dead sender's real time spent too: a minute past it
        restarted = _worker(
            tmp_path / "config.yaml", store, DAY1 + CLAIM_LEASE + timedelta(minutes=1)
        )
        _out, err = restarted.communicate(timeout=60)
        assert restarted.returncode == 0, err.decode()
        assert TOKEN not in err.decode()
    (row,) = store.deliveries()
    assert row.status == "sent"
    print(f"SIGKILL mid-send: {len(endpoint.received)} requests for one notification")
    assert len(endpoint.received) == 2  # the one in flight, then the retry: one duplicate


# --- secrets ----------------------------------------------------------------


def test_the_token_is_never_printed(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = Endpoint(statuses=[500])
    port = free_port()
    config = _config(tmp_path, [_hook("json", port)], max_attempts=3)
    _queue_digest(store, config)
    send_pending(store, config, now=DAY1)  # endpoint down: connection error
    with serve(endpoint, port):
        send_pending(store, config, now=DAY1 + backoff(1))  # answered 500
        send_pending(store, config, now=DAY1 + backoff(1) + backoff(2))  # sent
    assert len(endpoint.received) == 2
    assert store.delivery_counts() == {"sent": 2}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "channel notified" in logged and "will be retried" in logged
    assert "Connection error" in logged or "500" in logged
    assert TOKEN not in logged
    assert all(TOKEN not in (d.last_error or "") + (d.smtp_reply or "") for d in store.deliveries())
    assert TOKEN not in repr(store.deliveries()) + repr(store.subscribers())
    assert TOKEN not in capsys.readouterr().out


def test_redact_channel_keeps_the_scheme_and_a_fingerprint() -> None:
    shown = redact_channel(f"tgram://123456:{TOKEN}/987654")
    assert shown.startswith("tgram://[redacted ") and TOKEN not in shown
    assert shown != redact_channel(f"tgram://123456:{TOKEN}/987655")


# --- config -----------------------------------------------------------------


def test_channel_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VNAWATCH_TEST_HOOK_TOKEN", TOKEN)
    config = _config(tmp_path, ["json://127.0.0.1:9/hooks/${VNAWATCH_TEST_HOOK_TOKEN}"])
    assert config.subscribers[0].channels == [_hook("json", 9)]
    assert TOKEN not in repr(config.subscribers[0])


def test_unset_variable_is_a_config_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VNAWATCH_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, ["json://127.0.0.1:9/hooks/${VNAWATCH_TEST_UNSET}"])
    (problem,) = error.value.problems
    text = (tmp_path / "config.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "VNAWATCH_TEST_UNSET" in t)
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:{line}: subscribers[0].channels[0]:")
    assert "environment variable VNAWATCH_TEST_UNSET is not set" in problem


def test_unknown_channel_url_is_a_config_error_without_the_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, [_hook("json", 9), f"nosuchservice://{TOKEN}@host/path"])
    (problem,) = error.value.problems
    assert "subscribers[0].channels[1]:" in problem
    assert "nosuchservice:// URL is not a channel Apprise recognises" in problem
    assert TOKEN not in problem


def test_email_delivery_false_needs_a_channel(tmp_path: Path) -> None:
    text = config_text(
        tmp_path,
        "  - {email: analyste@example.org, rules: [to_lam], email_delivery: false}",
    )
    with pytest.raises(ConfigError, match="needs at least one entry in channels"):
        parse_config(text, tmp_path / "config.yaml")


def test_cli_status_check_config_and_exports_never_print_the_token(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setenv("VNAWATCH_DATABASE_URL", sqlite_store.url)
    config = _config(tmp_path, [_hook("json", free_port())], max_attempts=1)
    _queue_digest(sqlite_store, config)
    assert send_pending(sqlite_store, config, now=DAY1).failed == 1  # endpoint down
    path = str(tmp_path / "config.yaml")
    printed = []
    for args in (
        ["status"],
        ["status", "--json"],
        ["check-config", "--show"],
        ["export", "articles"],
        ["export", "matches"],
        ["digest", "--send"],
    ):
        result = CliRunner().invoke(app, ["--config", path, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), args
        printed.append(result.stdout + result.stderr)
    shown = "\n".join(printed)
    assert redact_channel(_hook("json", 9)).split("[")[0] in shown  # check-config shows json://
    assert "failed" in printed[0]
    assert TOKEN not in shown


def test_each_channel_of_a_batch_is_retried_on_its_own(store: Store, tmp_path: Path) -> None:
    up, down = Endpoint(), Endpoint()
    down_port = free_port()
    with serve(up) as up_port:
        config = _config(
            tmp_path,
            [_hook("json", up_port), _hook("form", down_port)],
            extra=", email_delivery: false",
        )
        _queue_digest(store, config)
        report = send_pending(store, config, now=DAY1)
        assert (report.sent, report.retried) == (1, 1)
        with serve(down, down_port):
            assert send_pending(store, config, now=DAY1 + backoff(1)).sent == 1
            assert send_pending(store, config, now=DAY1 + timedelta(days=1)).sent == 0
    assert (len(up.received), len(down.received)) == (1, 1)
    assert down.received[0].fields()["title"] == up.received[0].fields()["title"]


def test_a_stored_url_apprise_no_longer_knows_fails_at_once(store: Store, tmp_path: Path) -> None:
    config = _config(tmp_path, [_hook("json", 9)])
    sync_subscribers(store, config, SYNCED)
    subscriber = store.subscriber("analyste@example.org")
    assert subscriber is not None and subscriber.id is not None
    gone = ChannelMessage(url=f"retired://{TOKEN}", title="T", body="B")
    draft = DeliveryDraft(
        subscriber.id, "alert", "alert", "k", "T", b"", email=False, channels=(gone,)
    )
    assert store.queue_delivery(draft, DAY1) is not None
    assert send_pending(store, config, now=DAY1).failed == 1
    (row,) = store.deliveries()
    assert row.status == "failed" and "does not recognise" in (row.last_error or "")
    assert TOKEN not in (row.last_error or "")
