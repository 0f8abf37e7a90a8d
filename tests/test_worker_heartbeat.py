"""Busy workers are seen: heartbeats at start and on a timer while a long batch is sent.

Three real `vnawatch worker` processes on PostgreSQL each claim a batch of
200 rows and send it, one message at a time, to an aiosmtpd server that
takes a while over each: a first batch lasts minutes. `vnawatch status`
must list the three workers meanwhile and exit 0 (scheduler.send: workers,
mail waiting), and each worker's heartbeat must move while its first batch
is still being sent.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from store import Store, open_store
from tests.alerts.delivery_support import smtp_server
from tests.outbox_fill import fill_outbox
from tests.processes import SchedulerProcess, cli, wait_for, write_config
from tests.test_worker import WAIT, SlowHandler, _config, _held_by, _stop_all, _worker

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BATCH = 200  # alerts.delivery.BATCH_SIZE: what one worker claims at a time


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    store = open_store(postgres_url)
    store.upgrade()
    yield store
    store.close()


def _workers_seen(store: Store) -> dict[str, datetime]:
    """Each live worker's last heartbeat, by name."""
    senders = store.senders(datetime(2000, 1, 1, tzinfo=UTC))
    return {s.name: s.seen_at for s in senders if s.kind == "worker" and s.stopped_at is None}


def test_status_sees_three_workers_busy_with_a_slow_first_batch(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    fill_outbox(pg_store, 3 * BATCH, datetime.now(UTC))
    handler = SlowHandler(delay=0.3)  # 200 messages on one connection: a minute per batch
    with smtp_server(handler) as controller:
        config = _config(tmp_path, postgres_url, controller.port, connections=1)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["scheduler"].update(send="workers", heartbeat_seconds=0.5)
        write_config(config, data)
        workers = [_worker(config, tmp_path / f"worker{i}.log") for i in range(3)]
        try:
            for worker in workers:  # each holds a batch of its own and is sending it
                wait_for(
                    lambda w=worker: _held_by(pg_store, w) > 0,  # type: ignore[misc]
                    WAIT,
                    "a claimed batch",
                    lambda w=worker: w.log,  # type: ignore[misc]
                )
            wait_for(lambda: len(handler.messages) >= 3, WAIT, "sending")
            status = cli(config, "status")
            first = _workers_seen(pg_store)
            # the timer: every heartbeat moves on while no first batch has ended
            wait_for(
                lambda: all(seen > first[name] for name, seen in _workers_seen(pg_store).items()),
                WAIT,
                "the heartbeats to move mid-batch",
            )
            still_first_batch = all(_held_by(pg_store, w) > 0 for w in workers)
            recorded = [s.sent for s in pg_store.senders(datetime(2000, 1, 1, tzinfo=UTC))]
            for worker in workers:
                worker.signal(signal.SIGTERM)
            codes = [worker.wait_exit() for worker in workers]
        finally:
            _stop_all(*workers)
    assert status.returncode == 0, status.stdout
    assert "3 workers running" in status.stdout, status.stdout
    assert len(first) == 3
    assert still_first_batch and len(handler.messages) < BATCH
    assert recorded == [0, 0, 0]  # counts come with a finished batch: none had finished
    assert codes == [0, 0, 0]


def test_a_worker_is_listed_before_its_first_batch_ends(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    """The heartbeat at start, on its own: status during the very first batch."""
    fill_outbox(pg_store, BATCH, datetime.now(UTC))
    handler = SlowHandler(delay=0.3)
    with smtp_server(handler) as controller:
        config = _config(tmp_path, postgres_url, controller.port, connections=1)
        worker: SchedulerProcess = _worker(config, tmp_path / "worker.log")
        try:
            wait_for(lambda: handler.messages, WAIT, "sending", lambda: worker.log)
            listed = cli(config, "status")
        finally:
            _stop_all(worker)
    assert "1 worker running" in listed.stdout, listed.stdout
