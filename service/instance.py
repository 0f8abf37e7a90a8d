"""One scheduler per database, and a clean stop on SIGTERM/SIGINT.

:func:`acquire` takes the store's instance lock (PostgreSQL advisory lock,
SQLite lease) or says who holds it. A SQLite lease left by a process of
this host that no longer exists (a SIGKILL, a container restart) is taken
over at once instead of waiting for it to expire.

:class:`SignalWatcher` turns SIGTERM/SIGINT into a callback run on its own
thread: the Python-level handler does nothing, the interpreter writes the
signal number to a socket (``signal.set_wakeup_fd``), and the watcher thread
reads it. So stopping never runs inside a signal handler, where taking any
of the scheduler's or the thread pool's locks could deadlock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psutil

from store.db import display_url

if TYPE_CHECKING:
    from store import Store
    from store.locks import InstanceLock, LockHolder

logger = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def holder_name() -> str:
    """``host:pid:token``: who we are, in the lock row and in `vnawatch status`."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_dead_holder(holder: str) -> bool:
    """True when ``holder`` was a process of this host that is gone (or was our pid
    in an earlier life, as PID 1 of a restarted container)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid == os.getpid() or not psutil.pid_exists(pid)


def try_acquire(store: Store, holder: str, lease: timedelta) -> InstanceLock | None:
    now = datetime.now(UTC)
    current = store.lock_holder(LOCK_NAME)
    stale = None
    if current is not None and current.holder != holder and is_dead_holder(current.holder):
        stale = current.holder
    lock = store.acquire_lock(LOCK_NAME, holder, lease=lease, now=now, take_over=stale)
    if lock is not None and stale:
        logger.warning("took over the scheduler lock of a dead process holder=%s", stale)
    return lock


def acquire(
    store: Store,
    holder: str,
    lease: timedelta,
    *,
    wait: bool,
    stop: threading.Event,
    poll_seconds: float = 2.0,
) -> InstanceLock | None:
    """The instance lock; None when held elsewhere (and not waiting) or stopped while waiting."""
    lock = try_acquire(store, holder, lease)
    if lock is not None or not wait:
        if lock is None:
            logger.error(
                "another scheduler is already running on %s (%s); not starting. "
                "Stop it first, or start with --wait to take over when it stops.",
                display_url(store.url),
                describe_holder(store.lock_holder(LOCK_NAME)),
            )
        return lock
    logger.info(
        "waiting for the scheduler lock on %s (%s)",
        display_url(store.url),
        describe_holder(store.lock_holder(LOCK_NAME)),
    )
    while not stop.wait(poll_seconds):
        lock = try_acquire(store, holder, lease)
        if lock is not None:
            return lock
    return None


def describe_holder(current: LockHolder | None) -> str:
    if current is None:
        return "holder unknown"
    return f"held by {current.holder}, lease until {current.expires_at:%Y-%m-%d %H:%M:%S} UTC"


class SignalWatcher:
    """Calls ``on_signal(signal_name)`` on a thread of its own for SIGTERM and SIGINT."""

    def __init__(self, on_signal: Callable[[str], None]) -> None:
        self._on_signal = on_signal
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._previous: dict[int, object] = {}
        self._old_fd = -1

    def install(self) -> None:
        """Must run on the main thread (Python only lets it set handlers)."""
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, _ignore)
        threading.Thread(target=self._loop, name="signals", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                data = self._reader.recv(64)
            except OSError:
                return
            if not data:
                return
            for number in data:
                if number in {int(sig) for sig in STOP_SIGNALS}:
                    self._on_signal(signal.Signals(number).name)

    def uninstall(self) -> None:
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._writer.close()
        self._reader.close()


def _ignore(_signum: int, _frame: object) -> None:
    """The interpreter has already written the signal to the wakeup socket."""


def kill_children(timeout: float = 5.0) -> int:
    """Terminate this process's children (a crawl's Scrapy process), then kill stragglers."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.terminate()
    _gone, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    return len(children)
