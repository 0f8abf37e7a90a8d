"""A database outage under `vnawatch run`: told once, and nothing lost or sent twice.

`vnawatch run` talks to PostgreSQL through a TCP proxy of the test
(``tests.dbproxy``). The test cuts it (every connection reset, every new one
dropped) for a while, publishes an article on the local site meanwhile, and
restores it: the scheduler must stay up, log one ERROR when the database goes
and one WARNING with the duration when it is back, no traceback in between,
and alert the article exactly once to a real SMTP server afterwards.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo.localsite import FAULTS_FILE, REQUEST_LOG, serve_directory
from demo.sitegen import Entry, article_page, rss
from tests.alerts.delivery_support import RecordingHandler, smtp_server
from tests.dbproxy import CutProxy, postgres_proxy, through
from tests.processes import SchedulerProcess, base_config, cli, status_json, wait_for, write_config

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SUBSCRIBER = "veille@vnawatch.example"
CUT_SECONDS = 15.0
MINUTE = "2"  # a config "minute" lasts 2 s: the source is crawled every 2 s
FIRST = (
    "1001",
    "Tô Lâm ouvre la session d'automne de l'Assemblée nationale",
    "Hanoï (VNA) – Le secrétaire général Tô Lâm a ouvert lundi matin la session "
    "d'automne, consacrée au budget et à la réforme des collectivités locales.",
)
DURING_CUT = (
    "1002",
    "Tô Lâm reçoit une délégation de coopératives du delta",
    "Cân Tho (VNA) – Le secrétaire général Tô Lâm a reçu mardi des représentants "
    "de coopératives rizicoles venus présenter leurs projets d'irrigation partagée.",
)


class NewsSite:
    """A one-outlet site on disk: article pages and an RSS feed listing them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries: list[Entry] = []

    def publish(self, article_id: str, title: str, body: str) -> None:
        published = datetime.now(UTC) - timedelta(minutes=5)
        path = f"/actualites/{article_id}.html"
        page = self.root / path.lstrip("/")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(article_page(title, published, body, summary=body[:80]), "utf-8")
        self.entries.insert(0, Entry(path, title, published, body[:80]))
        feed = rss(self.entries, "Actualités", "/actualites/")
        (self.root / "rss.xml").write_text(feed, "utf-8")


@pytest.fixture
def proxy() -> Iterator[CutProxy]:
    with postgres_proxy() as running:
        yield running


def _config(tmp_path: Path, database_url: str, site: str, smtp_port: int) -> Path:
    data: dict[str, Any] = base_config(tmp_path, database_url)
    data["sources"]["local"].update(
        base_url=site,
        feeds=[f"{site}/rss.xml"],
        enabled=True,
        interval_minutes=1,
        backfill_days=30,
    )
    data["crawl"] = {"download_delay_seconds": 0, "autothrottle": False, "retry_times": 0}
    data["subscribers"] = [{"email": SUBSCRIBER, "frequency": "immediate", "rules": ["to_lam"]}]
    data["mail"] = {
        "backend": "smtp",
        "host": "127.0.0.1",
        "port": smtp_port,
        "timeout_seconds": 5,
        "immediate_min_interval_minutes": 0,
    }
    data["scheduler"].update(
        send_retry_seconds=1, health_minutes=0.02, crawl_jitter_seconds=0, reload_seconds=0.5
    )
    return write_config(tmp_path / "config.yaml", data)


def _alerted(handler: RecordingHandler, title: str) -> int:
    return sum(1 for message in handler.parsed() if title in message.get_body().get_content())


def test_an_outage_is_logged_once_and_the_article_published_meanwhile_alerted_once(
    tmp_path: Path, postgres_url: str, proxy: CutProxy
) -> None:
    site = NewsSite(tmp_path / "site")
    site.publish(*FIRST)
    handler = RecordingHandler()
    with serve_directory(site.root) as site_url, smtp_server(handler) as smtp:
        config = _config(tmp_path, through(proxy, postgres_url), site_url, smtp.port)
        assert cli(config, "init").returncode == 0
        env = {"VNAWATCH_TEST_MINUTE_SECONDS": MINUTE}
        process = SchedulerProcess(config, tmp_path / "run.log", env=env)
        try:
            wait_for(
                lambda: _alerted(handler, FIRST[1]), 60, "the first alert", lambda: process.log
            )
            process.wait_log("job finished job=crawl:local")

            before_cut = len(process.log.splitlines())
            proxy.cut()
            site.publish(*DURING_CUT)
            cut_until = time.monotonic() + CUT_SECONDS
            process.wait_log("database unreachable")
            # told first-hand by status: the database is what cannot be read
            unreachable = cli(config, "status", "--json")
            wait_for(lambda: time.monotonic() > cut_until, CUT_SECONDS + 5, "the cut to last")
            during = process.log.splitlines()[before_cut:]
            assert process.process.poll() is None, process.log

            proxy.restore()
            back = process.wait_log("database reachable again")
            wait_for(lambda: _alerted(handler, DURING_CUT[1]), 60, "the alert", lambda: process.log)
            crawls = process.log.count("job finished job=crawl:local")
            process.wait_log("job finished job=crawl:local", count=crawls + 1)
            status = status_json(config)
            shown = cli(config, "status")
            process.signal(signal.SIGTERM)
            assert process.wait_exit() == 0
        finally:
            process.stop()
    print("\n".join(during))
    errors = [line for line in during if " ERROR " in line]
    assert len(errors) == 1 and "database unreachable" in errors[0], during
    assert "server closed the connection" in errors[0]  # the cause, on its line
    assert len(during) < 10, during  # not a line per job and per lock renewal
    assert "Traceback" not in process.log
    assert proxy.dropped > 5  # the scheduler kept trying while it was cut
    warnings = [line for line in back.splitlines() if "database reachable again" in line]
    assert len(warnings) == 1 and " WARNING " in warnings[0], warnings
    gone = re.search(r"after (\d+) s", warnings[0])
    # counted from the first job that found it gone, a second or two into the cut
    assert gone and CUT_SECONDS - 3 <= int(gone[1]) <= CUT_SECONDS + 30, warnings[0]
    assert _alerted(handler, DURING_CUT[1]) == 1
    assert _alerted(handler, FIRST[1]) == 1
    assert unreachable.returncode == 1
    assert "cannot reach the database" in json.loads(unreachable.stdout)["database"]["error"]
    outage = status["database"]["last_outage"]
    assert outage["ended_at"] and outage["seconds"] >= CUT_SECONDS - 3, outage
    assert shown.returncode == 0, shown.stdout
    assert [s["kind"] for s in status["senders"]] == ["scheduler"]  # it sends here
    assert re.search(r"database .* reachable; last outage .* for \d+ s \(", shown.stdout)


def test_a_crawl_cut_off_mid_way_stops_with_one_line_and_its_article_comes_later(
    tmp_path: Path, postgres_url: str, proxy: CutProxy
) -> None:
    """The cut falls while a crawl waits for a slow article page: that crawl stops at
    the item it cannot store (one WARNING, no traceback), the next one after the
    return fetches the article again, and it is alerted once."""
    site = NewsSite(tmp_path / "site")
    site.publish(*FIRST)
    handler = RecordingHandler()
    with serve_directory(site.root, request_log=True) as site_url, smtp_server(handler) as smtp:
        config = _config(tmp_path, through(proxy, postgres_url), site_url, smtp.port)
        assert cli(config, "init").returncode == 0
        env = {"VNAWATCH_TEST_MINUTE_SECONDS": MINUTE}
        process = SchedulerProcess(config, tmp_path / "run.log", env=env)
        try:
            wait_for(lambda: _alerted(handler, FIRST[1]), 60, "the first alert")
            slow = f"/actualites/{DURING_CUT[0]}.html"
            (site.root / FAULTS_FILE).write_text(json.dumps({slow: {"delay": 5}}), "utf-8")
            site.publish(*DURING_CUT)
            requests = site.root / REQUEST_LOG
            wait_for(lambda: requests.exists() and slow in requests.read_text(), 60, "the page")
            before_cut = len(process.log.splitlines())
            proxy.cut()  # while the crawl waits for the slow page
            process.wait_log("crawl stopped: database unreachable")
            proxy.restore()
            process.wait_log("database reachable again")
            during = process.log.splitlines()[before_cut:]
            wait_for(lambda: _alerted(handler, DURING_CUT[1]), 90, "the alert")
            crawls = process.log.count("job finished job=crawl:local")
            process.wait_log("job finished job=crawl:local", count=crawls + 1)
        finally:
            process.stop()
    errors = [line for line in during if " ERROR " in line]
    assert len(errors) == 1 and "database unreachable" in errors[0], during
    assert "Traceback" not in process.log
    assert _alerted(handler, DURING_CUT[1]) == 1


def test_a_worker_cut_off_tells_it_once_each_way_and_sends_after(
    tmp_path: Path, postgres_url: str, proxy: CutProxy
) -> None:
    from store import open_store
    from tests.outbox_fill import fill_outbox
    from tests.test_worker import SlowHandler, _config, _worker

    direct = open_store(postgres_url)  # the test's own way in, not through the proxy
    direct.upgrade()
    handler = SlowHandler()
    try:
        with smtp_server(handler) as smtp:
            config = _config(tmp_path, through(proxy, postgres_url), smtp.port)
            data = yaml.safe_load(config.read_text(encoding="utf-8"))
            data["scheduler"]["heartbeat_seconds"] = 0.5
            write_config(config, data)
            worker = _worker(config, tmp_path / "worker.log")
            try:
                worker.wait_log("worker started")
                proxy.cut()
                worker.wait_log("database unreachable")
                cut_until = time.monotonic() + 5
                wait_for(lambda: time.monotonic() > cut_until, 10, "the cut to last")
                proxy.restore()
                worker.wait_log("database reachable again")
                expected = fill_outbox(direct, 20, datetime.now(UTC))
                wait_for(lambda: len(handler.messages) == 20, 60, "the mail", lambda: worker.log)
                worker.signal(signal.SIGTERM)
                assert worker.wait_exit() == 0
            finally:
                worker.stop()
    finally:
        direct.close()
    assert set(handler.counts()) == set(expected)
    assert worker.log.count(" ERROR ") == 1 and "Traceback" not in worker.log, worker.log
    assert worker.log.count("database reachable again") == 1
