"""The whole flow under `vnawatch run`: a local copy of the outlets, a real SMTP server.

The scheduler crawls the sample site (real Scrapy spiders in a child process),
matches, queues an immediate alert and sends it to aiosmtpd. Then the crash
case: SMTP down, the scheduler SIGKILLed with the alert pending, SMTP back, a
new scheduler: the alert arrives exactly once, and a further restart sends
nothing again.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil
import pytest
import yaml

from store import open_store
from tests.alerts.delivery_support import RecordingHandler, free_port, parse, smtp_server
from tests.processes import SchedulerProcess, cli, wait_for, write_config

pytestmark = pytest.mark.slow
SUBSCRIBER = "alerte@vnawatch.example"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The bundled sample site, dates moved to yesterday, served on 127.0.0.1."""
    from demo.localsite import serve_directory
    from demo.run import prepare_site

    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    with serve_directory(prepare_site(tmp_path / "site", today)) as url:
        yield url


def _config(tmp_path: Path, site: str, smtp_port: int, env: dict[str, str] | None = None) -> Path:
    """The demo's config (three spiders on the local site) with one immediate subscriber."""
    from demo.run import write_config as demo_config

    work = tmp_path / "work"
    work.mkdir()
    demo_config(work, site, datetime.now(UTC))
    data: dict[str, Any] = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    for source in data["sources"]:  # one source keeps the test short and its mail countable
        data["sources"][source]["enabled"] = source == "vietnamplus"
    data["subscribers"] = [
        {
            "email": SUBSCRIBER,
            "frequency": "immediate",
            "rules": [rule["id"] for rule in data["rules"]],
        }
    ]
    data["mail"].update(
        backend="smtp",
        host="127.0.0.1",
        port=smtp_port,
        timeout_seconds=5,
        immediate_min_interval_minutes=0,
    )
    data["scheduler"] = {
        "reload_seconds": 0.5,
        "send_retry_seconds": 1,
        "lock_lease_seconds": 6,
        "shutdown_grace_seconds": 20,
    }
    path = write_config(work / "config.yaml", data)
    assert cli(path, "init", env=env).returncode == 0
    return path


def _start(
    config: Path, name: str, started: list[SchedulerProcess], env: dict[str, str] | None = None
) -> SchedulerProcess:
    process = SchedulerProcess(config, config.parent / f"{name}.log", env=env)
    started.append(process)
    return process


@pytest.fixture
def started() -> Iterator[list[SchedulerProcess]]:
    processes: list[SchedulerProcess] = []
    yield processes
    for process in processes:
        process.stop()


def _deliveries(config: Path) -> list[Any]:
    url = yaml.safe_load(config.read_text(encoding="utf-8"))["database_url"]
    store = open_store(url)
    try:
        return store.deliveries()
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of the `vnawatch` processes: SQLite from the config, or PostgreSQL."""
    if request.param == "sqlite":
        return {}
    return {"VNAWATCH_DATABASE_URL": str(request.getfixturevalue("postgres_url"))}


def test_crawl_match_and_alert_arrive_by_smtp(
    tmp_path: Path, site: str, started: list[SchedulerProcess], env: dict[str, str]
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        config = _config(tmp_path, site, controller.port, env)
        process = _start(config, "run", started, env)
        process.wait_log("job finished job=crawl:vietnamplus", timeout=120)
        wait_for(lambda: handler.messages, 60, "the alert email")
        message = parse(handler.messages[0][2])
        assert message["To"].addresses[0].addr_spec == SUBSCRIBER
        assert message.get_content_type() == "multipart/alternative"
        assert "crawl finished source=vietnamplus new=" in process.log
        process.signal(signal.SIGTERM)
        assert process.wait_exit(60) == 0
    status = cli(config, "status", "--json", env=env)
    assert '"running": false' in status.stdout


def test_alert_pending_at_a_sigkill_is_sent_once_after_restart(
    tmp_path: Path, site: str, started: list[SchedulerProcess]
) -> None:
    port = free_port()
    config = _config(tmp_path, site, port)

    # SMTP down: the alert is queued, its send fails, it stays pending; then a crash
    first = _start(config, "first", started)
    first.wait_log("delivery will be retried", timeout=180)
    first.signal(signal.SIGKILL)
    first.wait_exit(60)
    pending = _deliveries(config)
    assert [d.status for d in pending] == ["pending"] * len(pending) and pending

    handler = RecordingHandler()
    with smtp_server(handler, port):
        second = _start(config, "second", started)
        second.wait_log("took over the scheduler lock of a dead process")
        # the retry is due one minute after the failed attempt (delivery back-off)
        wait_for(
            lambda: all(d.status == "sent" for d in _deliveries(config)), 150, "the pending alert"
        )
        second.wait_log("job finished job=crawl:vietnamplus", timeout=120)
        second.signal(signal.SIGTERM)
        assert second.wait_exit(60) == 0
        sent = _deliveries(config)
        assert [d.id for d in sent] == [d.id for d in pending]  # the crawl found nothing new
        assert len(handler.messages) == len(pending)

        # another restart: catch-up and a fresh crawl find nothing new to send
        third = _start(config, "third", started)
        third.wait_log("job finished job=startup:catch_up")
        third.wait_log("job finished job=crawl:vietnamplus", timeout=120)
        third.signal(signal.SIGTERM)
        assert third.wait_exit(60) == 0
        assert len(handler.messages) == len(pending)
        assert len(_deliveries(config)) == len(pending)


def _operator_subjects(outbox: Path) -> list[str]:
    from email import message_from_bytes, policy

    paths = sorted((outbox / "operators").glob("*.eml")) if outbox.exists() else []
    return [
        str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]) for p in paths
    ]


def test_failing_source_alarm_starts_and_clears_after_a_config_fix(
    tmp_path: Path, site: str, started: list[SchedulerProcess]
) -> None:
    good = yaml.safe_load(_config(tmp_path, site, free_port()).read_text(encoding="utf-8"))
    for source in good["sources"]:
        good["sources"][source]["enabled"] = source == "lecourrier"
    good["sources"]["lecourrier"]["interval_minutes"] = 1
    good["crawl"].update(retry_times=0, timeout_seconds=2)
    good["mail"]["backend"] = "file"
    good["operators"] = ["ops@vnawatch.example"]
    good["scheduler"].update(health_minutes=0.02, unhealthy_failures=1)
    dead = f"http://127.0.0.1:{free_port()}"
    broken = yaml.safe_load(yaml.safe_dump(good))
    source = broken["sources"]["lecourrier"]
    source.update(base_url=dead, sitemaps=[f"{dead}/sitemap.xml"], listings=[f"{dead}/"])
    config = write_config(tmp_path / "work" / "config.yaml", broken)
    outbox = Path(good["mail"]["outbox_dir"])

    # a "minute" of interval_minutes lasts 3 s here, so the source is crawled every 3 s
    process = _start(config, "run", started, {"VNAWATCH_TEST_MINUTE_SECONDS": "3"})
    wait_for(lambda: _operator_subjects(outbox), 60, "the operator alarm")
    assert _operator_subjects(outbox) == ["[vnawatch] PROBLÈME: source:lecourrier:failing"]
    status = cli(config, "status")
    # the dead source keeps being crawled every 3 s, so more failures may have piled up
    failing = re.search(r"UNHEALTHY: (\d+) crawls? failed in a row", status.stdout)
    assert status.returncode == 1 and failing and int(failing[1]) >= 1, status.stdout
    assert "needs attention condition=source:lecourrier:failing" in process.log

    write_config(config, good)  # the operator fixes the URLs; no restart
    process.wait_log("config reloaded: source lecourrier settings")
    wait_for(lambda: len(_operator_subjects(outbox)) == 2, 90, "the all-clear")
    assert sorted(_operator_subjects(outbox)) == [
        "[vnawatch] PROBLÈME: source:lecourrier:failing",  # the alarm was mailed once
        "[vnawatch] RÉSOLU: source:lecourrier:failing",
    ]
    assert "crawl finished source=lecourrier new=" in process.log
    process.signal(signal.SIGTERM)
    assert process.wait_exit(60) == 0


def _store_of(config: Path) -> Any:
    return open_store(yaml.safe_load(config.read_text(encoding="utf-8"))["database_url"])


def _crawl_in_progress(process: SchedulerProcess, config: Path) -> list[psutil.Process]:
    """The crawl child of ``process`` once it has stored an article, else []."""
    children = psutil.Process(process.process.pid).children(recursive=True)
    if not children:
        return []
    store = _store_of(config)
    try:
        return children if store.count_articles("vietnamplus") > 0 else []
    finally:
        store.close()


def test_sigkill_mid_crawl_loses_no_article_and_mails_each_once(
    tmp_path: Path, site: str, started: list[SchedulerProcess]
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        config = _config(tmp_path, site, controller.port)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        # one request at a time, one per second: the crawl lasts long enough to be cut
        data["crawl"].update(download_delay_seconds=1, concurrent_requests_per_host=1)
        write_config(config, data)

        first = _start(config, "first", started)
        children = wait_for(lambda: _crawl_in_progress(first, config), 120, "a crawl under way")
        first.signal(signal.SIGKILL)
        first.wait_exit(60)
        store = _store_of(config)
        at_kill = store.count_articles("vietnamplus")
        store.close()
        # the orphaned Scrapy process notices and stops instead of crawling on
        _gone, alive = psutil.wait_procs(children, timeout=60)
        assert not alive, first.log
        assert "crawl stopping: parent process" in first.log

        second = _start(config, "second", started)
        second.wait_log("job finished job=crawl:vietnamplus", timeout=120)
        wait_for(lambda: _all_sent(config), 60, "every alert sent")
        second.signal(signal.SIGTERM)
        assert second.wait_exit(60) == 0

        store = _store_of(config)
        try:
            assert store.count_articles("vietnamplus") > at_kill  # the kill was mid-crawl
            assert not store.unmatched_articles()
            sent = store.deliveries()
        finally:
            store.close()
        delivered = [article for d in sent for article in d.article_ids]
        assert delivered and len(delivered) == len(set(delivered))
        assert len(handler.messages) == len(sent)
    # nothing left behind: a further crawl of the site finds no new article
    again = cli(config, "crawl", "--source", "vietnamplus")
    assert again.returncode == 0, again.stderr
    assert "source=vietnamplus new=0 " in again.stderr


def _all_sent(config: Path) -> bool:
    deliveries = _deliveries(config)
    return bool(deliveries) and all(d.status == "sent" for d in deliveries)


def test_a_rule_added_while_running_rematches_recent_articles_once(
    tmp_path: Path, site: str, started: list[SchedulerProcess]
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        config = _config(tmp_path, site, controller.port)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["subscribers"][0]["rules"] = ["to_lam"]
        write_config(config, data)
        process = _start(config, "run", started)
        wait_for(lambda: _all_sent(config), 120, "the first alert")
        first = {a for d in _deliveries(config) for a in d.article_ids}

        # a new rule for the subscriber: the articles already stored are matched again
        data["rules"].append({"id": "croissance", "name": "Croissance", "query": "croissance"})
        data["subscribers"][0]["rules"] = ["to_lam", "croissance"]
        write_config(config, data)
        log = process.wait_log("rematch rules=croissance")
        assert "+1 rule (croissance)" in log
        wait_for(
            lambda: len(_deliveries(config)) == 2 and _all_sent(config),
            60,
            "a new alert",
            context=lambda: f"deliveries: {_deliveries(config)}\nlog:\n{process.log[-6000:]}",
        )
        second = set(_deliveries(config)[-1].article_ids)
        assert second and not second & first  # only what the new rule found

        # the same rule edited: matched again, replaced rather than added, nothing re-sent
        store = _store_of(config)
        try:
            matches = store.count_matches("croissance")
            data["rules"][-1]["query"] = "croissance OR croissances"
            write_config(config, data)
            process.wait_log("rematch rules=croissance", count=2)
            assert store.count_matches("croissance") == matches
        finally:
            store.close()
        process.wait_log("job finished job=send:pending", count=3)
        process.signal(signal.SIGTERM)
        assert process.wait_exit(60) == 0
    assert len(handler.messages) == 2
    assert len(_deliveries(config)) == 2
