"""`vnawatch worker` as real processes on PostgreSQL, sending to a real aiosmtpd server.

The outbox is filled directly (``tests.outbox_fill``); each message carries
its own Message-ID, counted at the SMTP server: every one must arrive, and
duplicates only where a sender died between the server's acceptance and
its database commit (at most one per SMTP connection of the dead sender).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from store import Store, open_store
from tests.alerts.delivery_support import RecordingHandler, smtp_server
from tests.outbox_fill import fill_outbox, message_ids
from tests.processes import (
    SchedulerProcess,
    base_config,
    cli,
    status_json,
    wait_for,
    write_config,
)

WAIT = 60.0


@dataclass
class SlowHandler(RecordingHandler):
    """Records every message, answering DATA after ``delay`` seconds (a remote relay)."""

    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def counts(self) -> Counter[str]:
        return Counter(message_ids(raw for _, _, raw in list(self.messages)))


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    store = open_store(postgres_url)
    store.upgrade()
    yield store
    store.close()


def _config(
    tmp_path: Path, database_url: str, port: int, *, name: str = "config.yaml", **mail: Any
) -> Path:
    data = base_config(tmp_path, database_url)
    data["mail"] = {
        "backend": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "timeout_seconds": 10,
        **mail,
    }
    data["scheduler"]["worker_idle_seconds"] = 0.2
    return write_config(tmp_path / name, data)


def _worker(config: Path, log: Path) -> SchedulerProcess:
    """`vnawatch worker` as a child process, its log in ``log``."""
    command = [sys.executable, "-m", "cli", "--config", str(config), "worker"]
    return SchedulerProcess(config, log, command=command)


def _held_by(store: Store, process: SchedulerProcess) -> int:
    """Unsent rows a process holds (sender names are ``host:pid:kind:token``)."""
    pid = f":{process.process.pid}:"
    return sum(n for owner, n in store.claim_holders(datetime.now(UTC)).items() if pid in owner)


def _all_sent(store: Store, count: int) -> bool:
    return store.delivery_counts() == {"sent": count}


def _stop_all(*processes: SchedulerProcess) -> None:
    for process in processes:
        process.stop()


# --- SQLite -----------------------------------------------------------------


def test_worker_on_sqlite_refuses_with_the_reason(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    assert cli(config, "init").returncode == 0
    result = cli(config, "worker", timeout=WAIT)
    assert result.returncode == 2
    assert "needs PostgreSQL" in result.stderr and "sqlite" in result.stderr
    assert "vnawatch run" in result.stderr


def test_send_workers_on_sqlite_is_a_config_error(tmp_path: Path) -> None:
    data = base_config(tmp_path)
    data["scheduler"]["send"] = "workers"
    config = write_config(tmp_path / "config.yaml", data)
    result = cli(config, "check-config")
    assert result.returncode == 2
    assert "scheduler.send" in result.stderr and "needs PostgreSQL" in result.stderr


# --- PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_three_workers_and_the_scheduler_send_3000_digests_once_each(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    count = 3000
    expected = fill_outbox(pg_store, count, datetime.now(UTC))
    handler = SlowHandler()
    with smtp_server(handler) as controller:
        config = _config(tmp_path, postgres_url, controller.port)
        processes = [_worker(config, tmp_path / f"worker{i}.log") for i in range(3)]
        processes.append(SchedulerProcess(config, tmp_path / "scheduler.log"))
        try:
            wait_for(lambda: _all_sent(pg_store, count), WAIT * 3, "3000 rows sent")
            status = status_json(config)
            assert len(status["workers"]) == 3, status["workers"]
            for process in processes:
                process.signal(signal.SIGTERM)
            codes = [process.wait_exit() for process in processes]
        finally:
            _stop_all(*processes)
    received = handler.counts()
    assert set(received) == set(expected)
    assert max(received.values()) == 1, [k for k, n in received.items() if n > 1][:5]
    assert codes == [0, 0, 0, 0]
    senders = pg_store.senders(datetime(2000, 1, 1, tzinfo=UTC))
    workers = [s for s in senders if s.kind == "worker"]
    assert len(workers) == 3 and all(s.stopped_at is not None for s in workers)
    print(
        "sent per worker:",
        [s.sent for s in workers],
        "scheduler:",
        count - sum(s.sent for s in workers),
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_sigkilled_workers_lose_nothing_and_duplicate_at_most_one_per_kill(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    count, kills = 600, 3
    expected = fill_outbox(pg_store, count, datetime.now(UTC))
    handler = SlowHandler(delay=0.01)
    with smtp_server(handler) as controller:
        # one connection per worker: a kill leaves at most one message accepted
        # and not recorded; a short lease hands the dead worker's rows on quickly
        config = _config(
            tmp_path, postgres_url, controller.port, connections=1, claim_lease_seconds=4
        )
        steady = _worker(config, tmp_path / "steady.log")
        victims: list[SchedulerProcess] = []
        try:
            for kill in range(kills):
                victim = _worker(config, tmp_path / f"victim{kill}.log")
                victims.append(victim)
                # mid-batch: it holds claimed rows and has sent some of them
                sent_before = len(handler.messages)
                wait_for(
                    lambda v=victim: _held_by(pg_store, v) > 0,  # type: ignore[misc]
                    WAIT,
                    "the victim to claim rows",
                    lambda v=victim: v.log,  # type: ignore[misc]
                )
                wait_for(lambda n=sent_before: len(handler.messages) > n + 20, WAIT, "sending")
                victim.signal(signal.SIGKILL)
                assert victim.wait_exit() == -signal.SIGKILL
            wait_for(
                lambda: _all_sent(pg_store, count), WAIT * 3, "every row sent", lambda: steady.log
            )
        finally:
            _stop_all(steady, *victims)
    received = handler.counts()
    assert set(received) == set(expected)  # nothing lost
    duplicates = sum(n - 1 for n in received.values())
    print(f"{kills} SIGKILLs: {duplicates} duplicates")
    assert duplicates <= kills


@pytest.mark.postgres
@pytest.mark.slow
def test_sigterm_releases_a_workers_claims_and_another_sends_them(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    count = 300
    expected = fill_outbox(pg_store, count, datetime.now(UTC))
    handler = SlowHandler(delay=0.02)
    with smtp_server(handler) as controller:
        # a lease far longer than the test: only the release can free the rows
        config = _config(tmp_path, postgres_url, controller.port, claim_lease_seconds=3600)
        first = _worker(config, tmp_path / "first.log")
        second: SchedulerProcess | None = None
        try:
            wait_for(lambda: len(handler.messages) >= 20, WAIT, "sending", lambda: first.log)
            assert _held_by(pg_store, first) > 0
            first.signal(signal.SIGTERM)
            assert first.wait_exit() == 0
            assert "released=" in first.log
            assert pg_store.claim_holders(datetime.now(UTC)) == {}
            pending = pg_store.delivery_counts().get("pending", 0)
            assert pending > 0  # the test stopped it mid-way
            second = _worker(config, tmp_path / "second.log")
            wait_for(lambda: _all_sent(pg_store, count), WAIT, "the rest sent", lambda: second.log)
        finally:
            _stop_all(first, *([second] if second else []))
    received = handler.counts()
    assert set(received) == set(expected)
    assert max(received.values()) == 1  # a clean stop sends nothing twice


@pytest.mark.postgres
@pytest.mark.slow
def test_sigterm_releases_the_schedulers_claims(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    count = 300
    expected = fill_outbox(pg_store, count, datetime.now(UTC))
    handler = SlowHandler(delay=0.02)
    with smtp_server(handler) as controller:
        config = _config(tmp_path, postgres_url, controller.port, claim_lease_seconds=3600)
        scheduler = SchedulerProcess(config, tmp_path / "scheduler.log")
        worker: SchedulerProcess | None = None
        try:
            wait_for(lambda: len(handler.messages) >= 20, WAIT, "sending", lambda: scheduler.log)
            assert _held_by(pg_store, scheduler) > 0
            scheduler.signal(signal.SIGTERM)
            assert scheduler.wait_exit() == 0
            assert pg_store.claim_holders(datetime.now(UTC)) == {}
            assert pg_store.delivery_counts().get("pending", 0) > 0
            worker = _worker(config, tmp_path / "worker.log")
            wait_for(lambda: _all_sent(pg_store, count), WAIT, "the rest sent", lambda: worker.log)
        finally:
            _stop_all(scheduler, *([worker] if worker else []))
    received = handler.counts()
    assert set(received) == set(expected)
    assert max(received.values()) == 1


@pytest.mark.postgres
def test_scheduler_tasks_leave_sending_to_workers(pg_store: Store, tmp_path: Path) -> None:
    from config import parse_config
    from service.tasks import Tasks

    fill_outbox(pg_store, 3, datetime.now(UTC))
    data = base_config(tmp_path, pg_store.url)
    data["mail"] = {"backend": "file", "outbox_dir": str(tmp_path / "outbox")}
    data["scheduler"]["send"] = "workers"
    config = parse_config(yaml.safe_dump(data), tmp_path / "config.yaml")
    assert Tasks(pg_store, config).send().summary == "send=workers"
    assert pg_store.delivery_counts() == {"pending": 3}
    scheduler_sends = config.model_copy(
        update={"scheduler": config.scheduler.model_copy(update={"send": "scheduler"})}
    )
    assert Tasks(pg_store, scheduler_sends).send().summary.startswith("sent=3 ")
