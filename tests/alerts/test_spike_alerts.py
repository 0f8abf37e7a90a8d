"""Spike alerts end to end: real counts (the match job), a real database, a real SMTP server.

Each test stores articles, runs the real matcher (which keeps the daily
counts), then the spike job and the sender against an aiosmtpd server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from alerts.jobs import match_new_articles, queue_spike_alerts, send_pending, sync_subscribers
from config import Config, parse_config
from store import Store
from store.records import Subscriber
from tests.alerts.channel_support import Endpoint, serve
from tests.alerts.delivery_support import (
    HANOI,
    RecordingHandler,
    article,
    config_text,
    smtp_server,
)

SPIKE_DAY = date(2026, 12, 3)  # a Thursday
SUBSCRIBERS = """  - email: analyste@example.org
    name: Analyste
    rules: [to_lam]
    spike_alerts: true
  - email: calme@example.org
    rules: [to_lam]
"""


def _config(tmp_path: Path, port: int, subscribers: str = SUBSCRIBERS) -> tuple[Config, str]:
    text = config_text(tmp_path, subscribers, backend="smtp", host="127.0.0.1", port=port)
    return parse_config(text, tmp_path / "config.yaml"), text


def _publish(store: Store, day: date, count: int, at: time = time(10, 0)) -> None:
    """``count`` articles naming Tô Lâm published on ``day`` at ``at`` in Hanoi."""
    for i in range(count):
        moment = datetime.combine(day, at, tzinfo=HANOI) + timedelta(minutes=i)
        item = article(f"{day:%m%d}{at:%H%M}{i:02d}", moment)
        store.save_article(item, moment + timedelta(minutes=5))


def _hanoi(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HANOI)


def _history(store: Store, days: int, per_day: int, every: int = 1) -> None:
    for back in range(days, 0, -1):
        if back % every == 0:
            _publish(store, SPIKE_DAY - timedelta(days=back), per_day)


def _run_job(store: Store, config: Config, now: datetime) -> tuple[int, int]:
    """The scheduler's spike job: queue, then send; (queued, sent)."""
    queued = queue_spike_alerts(store, config, now=now)
    assert queued.errors == 0
    return queued.queued, send_pending(store, config, now=now).sent


CHILD = """
import sys
from datetime import datetime
from alerts.jobs import queue_spike_alerts, send_pending
from config import load_config
from store import open_store
config = load_config(sys.argv[1])
store = open_store(config.database_url)
now = datetime.fromisoformat(sys.argv[2])
queued = queue_spike_alerts(store, config, now=now)
sent = send_pending(store, config, now=now)
print(queued.queued, queued.already_queued, sent.sent)
"""


def _run_in_a_new_process(text: str, tmp_path: Path, database_url: str, now: datetime) -> str:
    """The job in a fresh Python process (a restarted scheduler), on the same database."""
    path = tmp_path / "child-config.yaml"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "VNAWATCH_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), now.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return done.stdout.strip()


def test_a_spike_is_mailed_once_however_often_the_job_runs(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config, text = _config(tmp_path, server.port)
        sync_subscribers(store, config, _hanoi(SPIKE_DAY - timedelta(days=40), 8))
        _history(store, 30, 2)
        _publish(store, SPIKE_DAY, 12)
        now = _hanoi(SPIKE_DAY, 15)
        match_new_articles(store, config, now=now)

        assert _run_job(store, config, now) == (1, 1)
        assert _run_job(store, config, now + timedelta(minutes=30)) == (0, 0)
        _publish(store, SPIKE_DAY, 3, at=time(16, 0))  # the day goes on: 15 articles
        match_new_articles(store, config, now=now + timedelta(minutes=50))
        assert _run_job(store, config, now + timedelta(minutes=50)) == (0, 0)
        restarted = _run_in_a_new_process(text, tmp_path, database_url, now + timedelta(hours=1))
        assert restarted == "0 1 0"  # found it again, already queued, nothing sent
        # the next day the spike is yesterday's: still the same alert, not a new one
        assert _run_job(store, config, _hanoi(SPIKE_DAY + timedelta(days=1), 9)) == (0, 0)

    (message,) = handler.parsed()
    assert message["To"] == "Analyste <analyste@example.org>"
    assert message["Subject"] == (
        "[Veille VNA] Pic : Tô Lâm — 12 articles aujourd’hui, habituellement 2 par jour"
    )
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "12 articles aujourd’hui, habituellement 2 par jour." in plain
    assert "4 nov.\u00a0: 0" not in plain and "6 nov.\u00a0: 2" in plain  # the 28 days' numbers
    assert "3 déc.\u00a0: 12" in plain and "▂" * 27 + "█ (6 nov. → 3 déc.)" in plain
    assert plain.count("https://fr.vietnamplus.vn/article-post1203") == 10  # ten shown
    assert "… et 2 articles de plus" in plain
    assert 'role="img"' in html and html.count('title="') >= 28
    assert "<img" not in html and "<script" not in html and "<svg" not in html
    assert "height: 48px" in html  # the spike day is the tallest bar
    (row,) = [d for d in store.deliveries() if d.kind == "spike"]
    assert row.status == "sent" and row.key.startswith("spike-20261203-to_lam-")


def test_an_article_at_23_59_local_counts_on_its_day(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config, _text = _config(tmp_path, server.port)
        sync_subscribers(store, config, _hanoi(SPIKE_DAY - timedelta(days=40), 8))
        _history(store, 28, 1, every=4)  # one article every fourth day
        _publish(store, SPIKE_DAY, 4)
        _publish(store, SPIKE_DAY, 1, at=time(23, 59))  # 16:59 UTC: the fifth of the day
        after_midnight = _hanoi(SPIKE_DAY + timedelta(days=1), 0, 30)
        match_new_articles(store, config, now=after_midnight)
        assert _run_job(store, config, after_midnight) == (1, 1)

    (message,) = handler.parsed()
    assert message["Subject"].endswith("Tô Lâm — 5 articles hier, habituellement 0,2 par jour")
    (row,) = store.deliveries()
    assert row.key.startswith("spike-20261203-to_lam-")


def test_no_spike_under_the_minimum_count_or_history(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config, _text = _config(tmp_path, server.port)
        sync_subscribers(store, config, _hanoi(SPIKE_DAY - timedelta(days=40), 8))
        _history(store, 5, 1)  # five days of archive before the busy day
        _publish(store, SPIKE_DAY, 30)
        now = _hanoi(SPIKE_DAY, 20)
        match_new_articles(store, config, now=now)
        assert _run_job(store, config, now) == (0, 0)
    assert handler.messages == []


def test_a_spike_reaches_the_subscribers_channels_once(store: Store, tmp_path: Path) -> None:
    endpoint = Endpoint()
    with serve(endpoint) as port:
        subscribers = f"""  - email: equipe@example.org
    language: en
    rules: [to_lam]
    spike_alerts: true
    email_delivery: false
    channels: ["json://127.0.0.1:{port}/hooks/spikes"]
"""
        config, _text = _config(tmp_path, 9, subscribers)
        sync_subscribers(store, config, _hanoi(SPIKE_DAY - timedelta(days=40), 8))
        _history(store, 30, 2)
        _publish(store, SPIKE_DAY, 12)
        now = _hanoi(SPIKE_DAY, 15)
        match_new_articles(store, config, now=now)
        assert _run_job(store, config, now) == (1, 1)
        assert _run_job(store, config, now + timedelta(hours=2)) == (0, 0)
    (request,) = endpoint.received
    fields = request.fields()
    assert fields["title"] == ("[Veille VNA] Spike: Tô Lâm — 12 articles today, usually 2 a day")
    assert fields["message"].startswith("Tô Lâm — 12 articles today, usually 2 a day\n")
    assert "https://fr.vietnamplus.vn/article-post1203" in fields["message"]


def test_the_scheduler_job_queues_and_sends(store: Store, tmp_path: Path) -> None:
    from service.tasks import Tasks

    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config, _text = _config(tmp_path, server.port)
        sync_subscribers(store, config, _hanoi(SPIKE_DAY - timedelta(days=40), 8))
        _history(store, 30, 2)
        _publish(store, SPIKE_DAY, 12)
        now = _hanoi(SPIKE_DAY, 15)
        match_new_articles(store, config, now=now)
        tasks = Tasks(store, config, clock=lambda: now)
        first, second = tasks.spikes(), tasks.spikes()
    assert first.ok and first.summary.startswith("spike_alerts_queued=1 spike_errors=0 sent=1")
    assert second.summary.startswith("spike_alerts_queued=0 spike_errors=0 sent=0")
    assert len(handler.messages) == 1


def test_a_web_subscribers_own_rule_spikes_too(store: Store, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        calm = "  - {email: calme@example.org, rules: [to_lam]}\n"
        config, _text = _config(tmp_path, server.port, subscribers=calm)
        spec = Subscriber(email="web@example.org", rules=(), origin="web", language="en")
        saved = store.save_web_subscriber(spec, [("Tô Lâm", '"Tô Lâm"')], _hanoi(SPIKE_DAY, 1))
        assert store.set_spike_alerts("web@example.org", True)
        _history(store, 30, 2)
        _publish(store, SPIKE_DAY, 12)
        now = _hanoi(SPIKE_DAY, 15)
        match_new_articles(store, config, now=now)
        assert _run_job(store, config, now) == (1, 1)
        assert _run_job(store, config, now) == (0, 0)
    (message,) = handler.parsed()
    assert message["Subject"] == "[Veille VNA] Spike: Tô Lâm — 12 articles today, usually 2 a day"
    (row,) = store.deliveries()
    assert row.key.startswith(f"spike-20261203-w{saved.id}_")


def test_a_rule_new_to_an_old_archive_is_judged_on_its_own_history(
    store: Store, tmp_path: Path
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        config, _text = _config(tmp_path, server.port)
        sync_subscribers(store, config, _hanoi(SPIKE_DAY - timedelta(days=90), 8))
        for back in range(60, 0, -1):  # two months of articles the rule does not match
            day = SPIKE_DAY - timedelta(days=back)
            moment = _hanoi(day, 8)
            other = article(f"r{day:%m%d}", moment, title="Récolte de riz", body="Le riz du delta.")
            store.save_article(other, moment)
        _history(store, 8, 3)  # the rule's subject appears only last week: 3 a day
        _publish(store, SPIKE_DAY, 8)
        now = _hanoi(SPIKE_DAY, 20)
        match_new_articles(store, config, now=now)
        # against the archive's 28 days (mostly zeros) 8 would be a spike; against its week, no
        assert _run_job(store, config, now) == (0, 0)
    assert handler.messages == []
