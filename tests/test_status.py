"""`vnawatch status` and the operator alarms, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from config import Config
from service import alarms
from service.health import collect_status, render_status
from store import Store
from store.records import (
    Article,
    ConfigState,
    CrawlRun,
    DeliveryDraft,
    SchedulerState,
    Subscriber,
)
from tests.processes import base_config, cli, write_config

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    data = base_config(tmp_path)
    data["sources"]["local"]["enabled"] = True
    data["sources"]["other"] = dict(data["sources"]["local"], name="Other")
    data["operators"] = ["ops@vnawatch.example"]
    return Config.model_validate(data)


def _article(source: str, number: int, seen: datetime, extraction: str = "ok") -> Article:
    return Article(
        source=source,
        article_id=str(number),
        url=f"http://127.0.0.1/{source}/{number}.html",
        title=f"Article {number}",
        published_at=seen,
        body="Texte.",
        content_hash=f"{source}-{number}",
        extraction=extraction,  # type: ignore[arg-type]
    )


def _publish(store: Store, source: str, times: list[datetime]) -> None:
    for number, seen in enumerate(times, start=1):
        store.save_article(_article(source, number, seen), seen)


def _crawl(store: Store, source: str, at: datetime, **counts: object) -> None:
    store.record_crawl(CrawlRun(source=source, started_at=at, finished_at=at, **counts))  # type: ignore[arg-type]


def _sources(store: Store, config: Config, now: datetime = NOW) -> dict[str, object]:
    return {s.source: s for s in collect_status(store, config, now=now).sources}


def test_healthy_sources_need_no_attention(store: Store, config: Config) -> None:
    _publish(store, "local", [NOW - timedelta(hours=h) for h in range(1, 14 * 24, 12)])
    _crawl(store, "local", NOW - timedelta(minutes=5), new_articles=2)
    report = collect_status(store, config, now=NOW)
    local = {s.source: s for s in report.sources}["local"]
    assert local.new_24h == 2
    assert local.usual_per_day == 2.0
    assert not local.unhealthy
    assert not report.needs_attention
    text = render_status(report)
    assert text.splitlines()[0].endswith(": OK")
    assert "SOURCE" in text and "not crawled yet" in text  # "other" never ran
    assert json.loads(report.to_json())["needs_attention"] is False


def test_failures_in_a_row_make_a_source_unhealthy(store: Store, config: Config) -> None:
    for minutes in (30, 20, 10):
        _crawl(store, "other", NOW - timedelta(minutes=minutes), errors=("HTTP 503 on /rss",))
    other = _sources(store, config)["other"]
    assert other.failures_in_row == 3  # type: ignore[attr-defined]
    assert "3 crawls failed in a row: HTTP 503 on /rss" in other.problems["failing"]  # type: ignore[attr-defined]
    report = collect_status(store, config, now=NOW)
    assert report.needs_attention
    assert "UNHEALTHY: 3 crawls failed" in render_status(report)


def test_silence_against_the_usual_rate(store: Store, config: Config) -> None:
    # two a day for twelve days, then nothing for 60 hours
    times = [NOW - timedelta(hours=60 + 12 * i) for i in range(24)]
    _publish(store, "local", times)
    _crawl(store, "local", NOW - timedelta(minutes=5))
    local = _sources(store, config)["local"]
    assert "no new article for 60 h (usually 1.7 a day)" in local.problems["silent"]  # type: ignore[attr-defined]
    # a source that publishes rarely is allowed a longer silence
    assert not _sources(store, config, NOW - timedelta(hours=30))["local"].problems  # type: ignore[attr-defined]


def test_empty_extraction_streak(store: Store, config: Config) -> None:
    for minutes in (20, 10):
        _crawl(store, "local", NOW - timedelta(minutes=minutes), extraction_failures=3)
    local = _sources(store, config)["local"]
    assert local.empty_extraction_streak == 6  # type: ignore[attr-defined]
    assert "has the site changed its markup?" in local.problems["extraction"]  # type: ignore[attr-defined]


def test_outbox_counts_and_failed_deliveries(store: Store, config: Config) -> None:
    store.sync_subscribers([Subscriber(email="a@b.vn", rules=("to_lam",))], NOW)
    subscriber = store.subscriber("a@b.vn")
    assert subscriber is not None and subscriber.id is not None
    ids = [
        store.queue_delivery(
            DeliveryDraft(
                subscriber_id=subscriber.id,
                kind="digest",
                channel="digest",
                key=f"k{i}",
                subject="s",
                message=b"m",
            ),
            NOW - timedelta(hours=i),
        )
        for i in (1, 2, 3)
    ]
    store.mark_failed(ids[0], "550 no such user")  # type: ignore[arg-type]
    report = collect_status(store, config, now=NOW)
    assert (report.outbox.pending, report.outbox.failed, report.outbox.failed_24h) == (2, 1, 1)
    assert report.outbox.oldest_pending_at == NOW - timedelta(hours=3)
    assert "1 deliveries failed for good in the last 24 h" in report.problems
    assert "pending 2 (oldest 2026-11-24 09:00 UTC), failed 1" in render_status(report)


def _mails(config: Config) -> list[str]:
    """Subjects of the operator notices written by the file backend."""
    folder = Path(config.mail.outbox_dir) / "operators"
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    messages = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]
    return sorted(str(m["Subject"]) for m in messages)


def test_operators_are_mailed_once_at_start_and_once_at_clear(store: Store, config: Config) -> None:
    for minutes in (30, 20, 10):
        _crawl(store, "other", NOW - timedelta(minutes=minutes), errors=("timeout",))
    for minutes in (0, 10, 20):  # three health checks while it lasts: one mail
        now = NOW + timedelta(minutes=minutes)
        alarms.review_health(store, config, collect_status(store, config, now=now), now)
    mails = _mails(config)
    assert len(mails) == 1
    assert mails == ["[vnawatch] PROBLÈME: source:other:failing"]

    _crawl(store, "other", NOW + timedelta(minutes=25), new_articles=1)
    for minutes in (30, 40):
        now = NOW + timedelta(minutes=minutes)
        alarms.review_health(store, config, collect_status(store, config, now=now), now)
    mails = _mails(config)
    assert len(mails) == 2
    assert (
        sum("RÉSOLU" in mail or "=C3=89SOLU" in mail or "R=C3=89SOLU" in mail for mail in mails)
        == 1
    )
    assert not store.conditions(active_only=True)


def _tell_at(start: threading.Barrier, store: Store, config: Config) -> None:
    start.wait()
    alarms.notify_operators(store, config, NOW)


def test_two_jobs_telling_operators_at_once_mail_each_notice_once(
    store: Store, config: Config
) -> None:
    # the health job and the config reload, on two scheduler threads, both find
    # the same notice owed
    for trial in range(10):
        store.set_conditions({f"source:s{trial}:failing": "down"}, NOW, prefix=f"source:s{trial}:")
        start = threading.Barrier(2)
        threads = [threading.Thread(target=_tell_at, args=(start, store, config)) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    mails = _mails(config)
    assert len(mails) == len(set(mails)) == 10, mails


def test_an_unsent_notice_is_retried(store: Store, config: Config, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the outbox folder should be")
    broken = config.model_copy(
        update={"mail": config.mail.model_copy(update={"outbox_dir": str(blocked)})}
    )
    alarms.review_config(store, broken, "config.yaml:3: rules: bad", NOW)
    assert store.conditions()[0].needs_notice  # mail failed: still owed
    alarms.review_config(store, config, "config.yaml:3: rules: bad", NOW)
    assert not store.conditions()[0].needs_notice
    assert len(_mails(config)) == 1


def test_a_notice_retried_while_mail_is_down_is_logged_once(
    store: Store,
    config: Config,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alarms, "_logged", set())  # as in a fresh process
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the outbox folder should be")
    broken = config.model_copy(
        update={"mail": config.mail.model_copy(update={"outbox_dir": str(blocked)})}
    )
    store.set_conditions({"source:x:failing": "3 crawls failed"}, NOW, prefix="source:x:")
    caplog.set_level(logging.INFO, logger="service.alarms")
    for minutes in range(3):  # three health checks, the mail failing each time
        alarms.notify_operators(store, broken, NOW + timedelta(minutes=minutes))
    starts = [r for r in caplog.records if r.getMessage().startswith("needs attention")]
    assert len(starts) == 1 and starts[0].levelname == "ERROR"
    assert store.conditions()[0].needs_notice
    alarms.notify_operators(store, config, NOW + timedelta(minutes=3))
    assert len(_mails(config)) == 1 and not store.conditions()[0].needs_notice


def test_config_state_and_failed_jobs_are_reported(store: Store, config: Config) -> None:
    store.set_config_state(
        ConfigState(
            path="config.yaml",
            valid=False,
            invalid_since=NOW,
            loaded_at=NOW - timedelta(hours=1),
            error="config.yaml:12: rules[0].qurey: unknown key (check the spelling)",
        ),
        NOW,
    )
    store.record_job_result("send:pending", NOW, ok=False, result="raised OSError: disk full")
    store.record_job_result("crawl:local", NOW, ok=False, result="errors=1")  # degraded only
    report = collect_status(store, config, now=NOW)
    assert report.problems == [
        "job send:pending failed: raised OSError: disk full",
        "config invalid since 2026-11-24 12:00 UTC",
    ]
    text = render_status(report)
    assert "config.yaml INVALID since 2026-11-24 12:00 UTC" in text
    assert "rules[0].qurey" in text


def test_status_command_exits_1_when_something_needs_attention(tmp_path: Path) -> None:
    data = base_config(tmp_path)
    path = write_config(tmp_path / "config.yaml", data)
    assert cli(path, "init").returncode == 0
    result = cli(path, "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "never ran on this database" in result.stdout
    from store import open_store

    store = open_store(str(data["database_url"]))
    try:
        store.record_job_result("health", NOW, ok=False, result="raised RuntimeError: boom")
    finally:
        store.close()
    result = cli(path, "status")
    assert result.returncode == 1
    assert "job health failed: raised RuntimeError: boom" in result.stdout


def test_a_scheduler_that_died_without_stopping_needs_attention(
    store: Store, config: Config
) -> None:
    beat = SchedulerState(holder="host:1:ab", started_at=NOW, stopped_at=None)
    store.set_scheduler_state(replace(beat, heartbeat_at=NOW), NOW)
    assert collect_status(store, config, now=NOW + timedelta(minutes=1)).scheduler.running
    report = collect_status(store, config, now=NOW + timedelta(minutes=10))
    assert not report.scheduler.running
    assert report.problems == [
        "scheduler stopped without a clean shutdown (last heartbeat 2026-11-24 12:00 UTC): "
        "is `vnawatch run` running?"
    ]
    stopped = replace(beat, heartbeat_at=NOW, stopped_at=NOW)
    store.set_scheduler_state(stopped, NOW)
    report = collect_status(store, config, now=NOW + timedelta(minutes=10))
    assert not report.problems
    assert "scheduler  stopped at 2026-11-24 12:00 UTC" in render_status(report)


def test_housekeeping_drops_articles_past_retention(store: Store, config: Config) -> None:
    from service.tasks import Tasks

    old = NOW - timedelta(days=config.retention_days + 1)
    _publish(store, "local", [old, NOW - timedelta(days=1)])
    outcome = Tasks(store, config, clock=lambda: NOW).housekeeping()
    assert outcome.ok
    assert "deleted_articles=1" in outcome.summary
    assert ("VACUUM" in outcome.summary) == (store.dialect == "sqlite")
    assert store.count_articles() == 1


def test_operator_notice_by_smtp(sqlite_store: Store, config: Config) -> None:
    from tests.alerts.delivery_support import RecordingHandler, parse, smtp_server

    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        mail = config.mail.model_copy(
            update={"backend": "smtp", "host": "127.0.0.1", "port": controller.port}
        )
        smtp = config.model_copy(update={"mail": mail})
        alarms.review_config(sqlite_store, smtp, "config.yaml:7: rules: bad", NOW)
    assert len(handler.messages) == 1
    _sender, recipients, raw = handler.messages[0]
    assert recipients == ["ops@vnawatch.example"]
    message = parse(raw)
    assert message["Subject"] == "[vnawatch] PROBLÈME: config:invalid"
    assert "config.yaml:7: rules: bad" in message.get_content()


def test_operator_notice_waits_while_smtp_is_down(sqlite_store: Store, config: Config) -> None:
    from tests.alerts.delivery_support import free_port

    mail = config.mail.model_copy(
        update={"backend": "smtp", "host": "127.0.0.1", "port": free_port(), "timeout_seconds": 2}
    )
    smtp = config.model_copy(update={"mail": mail})
    assert alarms.review_config(sqlite_store, smtp, "config.yaml:7: rules: bad", NOW) == 0
    assert sqlite_store.conditions()[0].needs_notice


def test_catch_up_line_names_each_stage_in_its_keys(store: Store, config: Config) -> None:
    from service.tasks import Tasks

    outcome = Tasks(store, config, clock=lambda: NOW).catch_up()
    assert outcome.ok
    assert outcome.summary == (
        "matched_articles=0 matches=0 match_errors=0 alerts_queued=0 alerts_errors=0 "
        "digests_queued=0 digests_errors=0 sent=0 retried=0 send_failed=0"
    )


def test_status_lists_live_workers_and_housekeeping_forgets_old_ones(
    store: Store, config: Config
) -> None:
    from service.tasks import Tasks

    store.record_sender("h:1:worker:a", "worker", NOW - timedelta(seconds=20), sent=120)
    store.record_sender("h:2:worker:b", "worker", NOW - timedelta(days=8), sent=5)
    store.record_sender("h:3:worker:c", "worker", NOW - timedelta(seconds=5), sent=7, stopped=True)
    report = collect_status(store, config, now=NOW)
    assert [w.name for w in report.workers] == ["h:1:worker:a"]  # not stopped, seen lately
    assert "1 worker running: h:1:worker:a (sent 120)" in render_status(report)
    outcome = Tasks(store, config, clock=lambda: NOW).housekeeping()
    assert "forgotten_senders=1" in outcome.summary
    assert [s.name for s in store.senders(NOW - timedelta(days=30))] == [
        "h:1:worker:a",
        "h:3:worker:c",
    ]


def test_status_flags_mail_waiting_for_workers_that_do_not_run(
    store: Store, config: Config
) -> None:
    from tests.outbox_fill import fill_outbox

    fill_outbox(store, 2, NOW)
    workers = config.model_copy(
        update={"scheduler": config.scheduler.model_copy(update={"send": "workers"})}
    )
    assert not collect_status(store, config, now=NOW).problems
    problems = collect_status(store, workers, now=NOW).problems
    assert any("no `vnawatch worker` is running; 2 deliveries wait" in p for p in problems)
    store.record_sender("h:1:worker:a", "worker", NOW, sent=0)
    assert not collect_status(store, workers, now=NOW).problems


def test_the_scheduler_is_listed_among_the_senders_while_it_sends(
    store: Store, config: Config, tmp_path: Path
) -> None:
    from service.tasks import Tasks
    from tests.outbox_fill import fill_outbox

    fill_outbox(store, 3, NOW - timedelta(minutes=1))
    tasks = Tasks(store, config, clock=lambda: NOW)
    tasks.record_sender(NOW)  # has not sent yet: not a sender
    assert collect_status(store, config, now=NOW).senders == []
    assert tasks.send().summary.startswith("sent=3 ")
    tasks.record_sender(NOW)
    report = collect_status(store, config, now=NOW)
    assert [(s.kind, s.sent) for s in report.senders] == [("scheduler", 3)]
    assert report.workers == [] and not report.problems
    line = next(line for line in render_status(report).splitlines() if line.startswith("sending"))
    assert f"scheduler {tasks.sender} (sent 3)" in line and "no worker running" in line
    tasks.record_sender(NOW, stopped=True)
    assert collect_status(store, config, now=NOW).senders == []


def test_the_last_database_outage_is_kept_and_shown(store: Store, config: Config) -> None:
    from store.records import DatabaseOutage

    report = collect_status(store, config, now=NOW)
    assert report.database is not None and report.database.last_outage is None
    assert "reachable; no outage recorded" in render_status(report)
    cause = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    store.record_database_outage(DatabaseOutage(NOW - timedelta(seconds=95), NOW, cause))
    report = collect_status(store, config, now=NOW + timedelta(minutes=1))
    assert report.database is not None and report.database.last_outage is not None
    assert report.database.last_outage.started_at == NOW - timedelta(seconds=95)
    shown = render_status(report)
    assert "last outage 2026-11-24 11:58 UTC for 1 min 35 s (connection to server" in shown
    data = json.loads(report.to_json())["database"]
    assert data["usable"] is True and data["last_outage"]["seconds"] == 95
    assert data["last_outage"]["ended_at"] == NOW.isoformat()
    assert not report.needs_attention  # over: told, not a fault
