"""`vnawatch worker`: a sending process; any number of them share one PostgreSQL database.

The loop: claim a batch of due outbox rows for this worker (``SELECT … FOR
UPDATE SKIP LOCKED``, leased for ``mail.claim_lease_seconds`` and renewed
while the batch is sent), send it over ``mail.connections`` SMTP
connections, record each outcome as the server answers; when nothing is
due, wait ``scheduler.worker_idle_seconds`` and look again. Its heartbeat
row (for `vnawatch status`) is written at start and then by a timer thread
every ``scheduler.heartbeat_seconds``, so a worker busy with a long batch to
a slow relay is still seen alive. A database outage is logged once each way
(``service.outage``), not at every look.

SIGTERM/SIGINT: the connections finish the message they are sending, take
no more, and every row the worker still holds is released at once for the
other senders. A SIGKILLed worker's rows go to the others when their lease
ends. On SQLite a worker refuses to start: the one `vnawatch run` process
sends the mail there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from alerts.jobs import send_pending, sender_name
from config import is_sqlite
from service import instance
from service.outage import DatabaseWatch
from store import open_store
from store.db import display_url

if TYPE_CHECKING:
    from config import Config
    from store import Store

logger = logging.getLogger(__name__)

SQLITE_REFUSAL = (
    "`vnawatch worker` needs PostgreSQL: on SQLite ({url}) the scheduler sends the mail "
    "itself, in its one process (`vnawatch run`). Point database_url (or "
    "VNAWATCH_DATABASE_URL) at PostgreSQL to run workers."
)


class WorkerRefusedError(Exception):
    """A worker cannot run against this database (SQLite)."""


@dataclass
class Worker:
    """One sending process: its name on the rows it claims, and its stop flag."""

    store: Store
    config: Config
    name: str = field(default_factory=lambda: sender_name("worker"))
    stopping: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    database: DatabaseWatch = field(init=False)

    def __post_init__(self) -> None:
        # the scheduler records outages; a worker only tells its own log
        self.database = DatabaseWatch(self.store, record=False)

    def serve(self) -> int:
        """Claim, send, sleep when idle, until stopped; returns the exit code."""
        mail = self.config.mail
        logger.info(
            "worker started name=%s database=%s backend=%s connections=%d lease_seconds=%g",
            self.name,
            display_url(self.store.url),
            mail.backend,
            mail.connections,
            mail.claim_lease_seconds,
        )
        self.heartbeat()  # seen at once, not only after a first batch that may be long
        with beating(self.heartbeat, self.config.scheduler.heartbeat_seconds):
            while not self.stopping.is_set():
                if not self.run_once():
                    self.stopping.wait(self.config.scheduler.worker_idle_seconds)
        self.heartbeat(stopped=True)
        logger.info("worker stopped name=%s sent=%d", self.name, self.sent)
        return 0

    def run_once(self) -> bool:
        """Send one claimed batch; True when there was work (look again at once)."""
        try:
            report = send_pending(
                self.store,
                self.config,
                now=datetime.now(UTC),
                owner=self.name,
                stop=self.stopping.is_set,
                max_batches=1,
            )
        except Exception as exc:
            # the database or the mail server is away: the rows keep their
            # state (released or leased), the next look tries again
            if not self.database.failed(exc):
                logger.exception("worker batch failed name=%s; trying again shortly", self.name)
            return False
        self.database.answered()
        self.sent += report.sent
        return bool(report.sent or report.retried or report.failed)

    def heartbeat(self, *, stopped: bool = False) -> None:
        """Leave the worker's row for `vnawatch status`: alive (or stopped), and its count."""
        try:
            self.store.record_sender(
                self.name, "worker", datetime.now(UTC), sent=self.sent, stopped=stopped
            )
        except Exception as exc:
            if not self.database.failed(exc):
                logger.warning("worker heartbeat not recorded name=%s", self.name, exc_info=True)
            return
        self.database.answered()

    def on_signal(self, name: str) -> None:
        logger.info(
            "received %s: finishing the messages in flight, releasing the rest name=%s",
            name,
            self.name,
        )
        self.stopping.set()


@contextmanager
def beating(beat: Callable[[], None], seconds: float) -> Iterator[None]:
    """Call ``beat`` every ``seconds`` on a thread of its own while the block runs."""
    done = threading.Event()

    def loop() -> None:
        while not done.wait(seconds):
            beat()

    thread = threading.Thread(target=loop, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=30)  # a beat stuck on an unreachable database ends with it


def check_database(config: Config) -> None:
    """Raise WorkerRefusedError when the database is SQLite."""
    if is_sqlite(config.database_url):
        raise WorkerRefusedError(SQLITE_REFUSAL.format(url=display_url(config.database_url)))


def run(config: Config) -> int:
    """`vnawatch worker`: send until SIGTERM/SIGINT; exit code 0 after a clean stop."""
    check_database(config)
    store = open_store(config.database_url, create=False)
    worker = Worker(store, config)
    watcher = instance.SignalWatcher(worker.on_signal)
    watcher.install()
    try:
        return worker.serve()
    finally:
        watcher.uninstall()
        store.close()
