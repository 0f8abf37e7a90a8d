"""Scheduler: the timetable of `vnawatch run` (APScheduler 3, memory job store).

Jobs, built from config.yaml with explicit ids:

- ``crawl:<source>``   every ``interval_minutes`` (with jitter); then match,
                       immediate alerts and send (``tasks.Tasks.crawl``)
- ``digest:<email>``   daily or weekly at the subscriber's local send_time,
                       in their time zone (CronTrigger: right across DST)
- ``send:pending``     retries what is pending (not with ``scheduler.send: workers``:
                       `vnawatch worker` processes send, ``service/worker.py``)
- ``health``           source/outbox health, operator alarms
- ``housekeeping``     daily: retention, VACUUM/ANALYZE
- ``config:reload``    notices config.yaml edits and applies them
- ``lock:renew``       renews the instance lock, heartbeat for `vnawatch status`
- ``startup:catch_up`` once at start: what a stop or crash left owed

Delivery state lives in the outbox, so nothing here needs persisting: a
restart re-plans and catches up, and the outbox's unique keys make queueing
idempotent. Only one scheduler runs per database (``instance.acquire``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from config import Config
from service import instance
from service.configdiff import diff_configs
from service.configwatch import ConfigReloader
from service.outage import DatabaseWatch
from service.tasks import Outcome, Tasks
from service.timetable import desired_jobs
from store import is_unreachable, open_store
from store.db import display_url
from store.records import SchedulerState

if TYPE_CHECKING:
    from store import Store
    from store.locks import InstanceLock

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600
QUIET_JOBS = ("config:reload", "lock:renew")  # too frequent to record every run
CATCH_UP = "startup:catch_up"
RAISED = "raised "  # prefix of a job result that was an exception, not an outcome


@dataclass
class Service:
    """One `vnawatch run` process: the scheduler, its tasks, the lock it holds."""

    store: Store
    config: Config
    lock: InstanceLock
    scheduler: BlockingScheduler = field(init=False)
    tasks: Tasks = field(init=False)
    exit_code: int = 0
    _keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _running: dict[str, float] = field(default_factory=dict)
    _idle: threading.Condition = field(default_factory=threading.Condition)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _abandon: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.tasks = Tasks(self.store, lambda: self.config, stop=self._stopping.is_set)
        self.database = DatabaseWatch(self.store)
        self.reloader = ConfigReloader(self.store, self.config.path or Path("config.yaml"))
        self.scheduler = BlockingScheduler(
            timezone=ZoneInfo(self.config.timezone),
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        self.scheduler.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self.scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.add_listener(self._on_executed, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)

    # --- timetable ------------------------------------------------------------

    def apply_timetable(self, config: Config) -> None:
        """Add, remove and reschedule jobs so the scheduler matches ``config``."""
        specs = {spec.id: spec for spec in desired_jobs(config, self, datetime.now(UTC))}
        for job_id in sorted(self._keys.keys() - specs.keys()):
            self.scheduler.remove_job(job_id)
            logger.info("job removed job=%s", job_id)
        for spec in specs.values():
            old = self._keys.get(spec.id)
            if old is None:
                extra = {"next_run_time": spec.first_run} if spec.first_run else {}
                self.scheduler.add_job(
                    self._execute, spec.trigger, args=(spec.id, spec.body, spec.record, *spec.args),
                    id=spec.id, name=spec.id, **extra,
                )  # fmt: skip
                level = logging.INFO if self._keys else logging.DEBUG  # at start: one summary line
                logger.log(level, "job added job=%s trigger=%s", spec.id, spec.trigger)
            elif old != spec.key:
                self.scheduler.reschedule_job(spec.id, trigger=spec.trigger)
                logger.info("job rescheduled job=%s trigger=%s", spec.id, spec.trigger)
        self._keys = {job_id: spec.key for job_id, spec in specs.items()}
        self.publish_schedule()

    def publish_schedule(self, *, stopped: bool = False) -> None:
        """Next run of each job, for `vnawatch status` (none once stopped)."""
        schedule: dict[str, datetime | None] = {CATCH_UP: None}
        for job in self.scheduler.get_jobs():
            if job.id not in QUIET_JOBS:
                schedule[job.id] = None if stopped else getattr(job, "next_run_time", None)
        self.store.record_job_schedule(schedule)

    # --- running jobs ---------------------------------------------------------

    def _execute(
        self, job_id: str, body: Callable[..., Outcome | None], record: bool, *args: Any
    ) -> None:
        """Every job runs through here: one log line with counts, its result in the store."""
        with self._idle:
            self._running[job_id] = time.monotonic()
        try:
            self._run_and_report(job_id, body, record, *args)
        finally:
            # Only now is the job done: a shutdown waiting for it must not exit
            # before its result is recorded and its line logged.
            with self._idle:
                self._running.pop(job_id, None)
                self._idle.notify_all()

    def _run_and_report(
        self, job_id: str, body: Callable[..., Outcome | None], record: bool, *args: Any
    ) -> None:
        started = datetime.now(UTC)
        try:
            outcome = self._run_recorded(job_id, body, record, started, *args)
        except Exception as exc:
            if self.database.failed(exc):
                return  # told once for the whole outage; the job runs again on time
            raise
        if outcome is None:
            return
        seconds = (datetime.now(UTC) - started).total_seconds()
        level = logging.INFO if outcome.ok else logging.WARNING
        logger.log(level, "job finished job=%s seconds=%.1f %s", job_id, seconds, outcome.summary)

    def _run_recorded(
        self,
        job_id: str,
        body: Callable[..., Outcome | None],
        record: bool,
        started: datetime,
        *args: Any,
    ) -> Outcome | None:
        """The body, its start and result in the store (a job's first write tells
        whether the database answers)."""
        if record:
            self.store.record_job_start(job_id, started)
            self.database.answered()
        try:
            outcome = body(*args)
        except Exception as exc:
            if record and not is_unreachable(exc):
                result = f"{RAISED}{type(exc).__name__}: {exc}"
                with contextlib.suppress(Exception):  # the job's own error is the news
                    self.store.record_job_result(job_id, datetime.now(UTC), ok=False, result=result)
            raise
        if record and outcome is not None:  # before the log line, which readers follow
            finished = datetime.now(UTC)
            self.store.record_job_result(job_id, finished, ok=outcome.ok, result=outcome.summary)
        return outcome

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            logger.warning("job missed job=%s scheduled=%s", event.job_id, event.scheduled_run_time)
            return
        exc = event.exception
        logger.error(
            "job failed job=%s error=%s: %s",
            event.job_id,
            type(exc).__name__,
            exc,
            exc_info=(type(exc), exc, exc.__traceback__) if exc else None,
        )

    def _on_skipped(self, event: JobSubmissionEvent) -> None:
        """A run fell due while the previous one still runs (max_instances=1)."""
        logger.warning(
            "job skipped job=%s reason=still_running (its previous run has not finished)",
            event.job_id,
        )

    def _on_started(self, _event: SchedulerEvent) -> None:
        """A stop that came while starting up (SIGTERM during the catch-up set-up)."""
        if self._stopping.is_set():
            self.scheduler.shutdown(wait=False)

    def _on_executed(self, event: JobExecutionEvent) -> None:
        if event.job_id in QUIET_JOBS or self._stopping.is_set() or self.database.down:
            return
        try:
            self.publish_schedule()
        except Exception as exc:
            if not self.database.failed(exc):
                logger.exception("could not record the job schedule")

    # --- jobs of the service itself --------------------------------------------

    def reload(self) -> Outcome | None:
        """The ``config:reload`` job: apply a valid edit of config.yaml; an invalid
        one is reported by the reloader and the last good config keeps running."""
        change = self.reloader.poll(self.config)
        if change is None:
            return None
        if change.config is None:
            return Outcome(f"config_valid=false problems={len(change.problems)}", ok=False)
        return self.apply_config(change.config)

    def apply_config(self, new: Config) -> Outcome:
        """Run on ``new`` from now on: jobs, subscribers, and re-matching what changed."""
        diff = diff_configs(self.config, new)
        self.config = new
        self.apply_timetable(new)
        self.tasks.sync_subscribers()
        self.reloader.record_applied(new, datetime.now(UTC))
        logger.info("config reloaded: %s", diff.summary())
        for key in diff.restart_needed:
            logger.warning("config: %s changed; restart `vnawatch run` to apply it", key)
        return Outcome(f"config_valid=true {self.tasks.rematch(diff.rules_to_rematch)}")

    def renew_lock(self) -> Outcome | None:
        """Extend the lease and leave a heartbeat; stop at once if the lock was lost."""
        now = datetime.now(UTC)
        lease = timedelta(seconds=self.config.scheduler.lock_lease_seconds)
        if not self.store.renew_lock(self.lock, lease=lease, now=now):
            logger.error(
                "lost the scheduler lock (another scheduler took over %s); stopping",
                display_url(self.store.url),
            )
            self.stop(1)
            return None
        self.database.answered()
        self.write_process_state(now)
        self.tasks.record_sender(now)
        return None

    def write_process_state(self, now: datetime, *, stopped: bool = False) -> None:
        state = self.store.scheduler_state()
        if state is None or state.holder != self.lock.holder:
            state = SchedulerState(holder=self.lock.holder, pid=os.getpid(), started_at=now)
        state = replace(state, heartbeat_at=now, stopped_at=now if stopped else None)
        self.store.set_scheduler_state(state, now)

    # --- start and stop ---------------------------------------------------------

    def serve(self) -> int:
        now = datetime.now(UTC)
        self.write_process_state(now)
        self.reloader.record_start(self.config, now)
        try:
            self.tasks.sync_subscribers()
        except Exception:
            logger.exception("could not sync subscribers at start; the reload will retry")
        self.apply_timetable(self.config)
        self.scheduler.add_job(
            self._execute, args=(CATCH_UP, self.tasks.catch_up, True), id=CATCH_UP, name=CATCH_UP
        )
        logger.info(
            "scheduler started holder=%s database=%s jobs=%d",
            self.lock.holder,
            display_url(self.store.url),
            len(self.scheduler.get_jobs()),
        )
        if not self._stopping.is_set():
            self._run_timetable()
        return self._drain()

    def _run_timetable(self) -> None:
        """APScheduler's main loop, until stop()."""
        try:
            self.scheduler.start()
        except JobLookupError:
            # a stop from the signal thread empties the job store while the main
            # loop is still removing a one-off job it just ran (the catch-up)
            if not self._stopping.is_set():
                raise
            logger.debug("scheduler stopped while its main loop removed a finished job")

    def stop(self, code: int = 0) -> None:
        """Take no new work; ``serve`` then waits for running jobs. Safe from any thread."""
        self.exit_code = max(self.exit_code, code)
        if self._stopping.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)

    def on_signal(self, name: str) -> None:
        if self._stopping.is_set():
            logger.warning("second %s: abandoning running jobs now", name)
            self._abandon.set()
            with self._idle:
                self._idle.notify_all()
            return
        logger.info(
            "received %s: stopping, no new jobs; waiting up to %gs for running=%s",
            name,
            self.config.scheduler.shutdown_grace_seconds,
            ",".join(self._running) or "none",
        )
        self.stop(0)

    def _drain(self) -> int:
        """Wait for running jobs up to the grace period, then abandon them safely."""
        deadline = time.monotonic() + self.config.scheduler.shutdown_grace_seconds
        with self._idle:
            while self._running and not self._abandon.is_set() and time.monotonic() < deadline:
                self._idle.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            left = sorted(self._running)
        if left:
            killed = instance.kill_children()
            logger.warning(
                "stopping: abandoned running jobs=%s killed_child_processes=%d "
                "(a crawl's stored articles stay; unsent mail stays queued and its "
                "claims are released)",
                ",".join(left),
                killed,
            )
            with self._idle:
                self._idle.wait_for(lambda: not self._running, timeout=5)
                left = sorted(self._running)
        self.finish()
        logger.info("scheduler stopped exit_code=%d", self.exit_code)
        if left:  # threads still busy would hold up interpreter exit
            logging.shutdown()
            os._exit(self.exit_code)
        return self.exit_code

    def finish(self) -> None:
        try:
            # a send stopped in time released its rows already; an abandoned one
            # (past the grace period) has not: hand them to the workers now
            released = self.store.release_claims(self.tasks.sender)
            if released:
                logger.info("released claimed outbox rows=%d", released)
        except Exception:
            logger.exception("could not release claimed outbox rows (their lease will expire)")
        try:
            self.write_process_state(datetime.now(UTC), stopped=True)
            self.tasks.record_sender(datetime.now(UTC), stopped=True)
            self.publish_schedule(stopped=True)
        except Exception:
            logger.exception("could not record the scheduler's stop")
        try:
            self.store.release_lock(self.lock)
        except Exception:
            logger.exception("could not release the scheduler lock (its lease will expire)")


# The stages' own INFO summaries ("match finished ...", "outbox sent=...") are
# what a job's one line already counts; under the scheduler they would repeat
# it. Their warnings and errors, and one line per queued email, still show.
STAGE_SUMMARIES = {
    "alerts.matcher": ("rules compiled",),
    "alerts.matching": ("match finished", "rematch finished"),
    "alerts.delivery": ("queue finished", "outbox sent="),
}


class _DropSummaries(logging.Filter):
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or not str(record.msg).startswith(self.prefixes)


def quiet_stage_summaries() -> None:
    """Drop stage summary lines the job lines repeat, unless debugging."""
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:
        return
    for name, prefixes in STAGE_SUMMARIES.items():
        logging.getLogger(name).addFilter(_DropSummaries(prefixes))


def run(config: Config, *, wait: bool = False) -> int:
    """`vnawatch run`: hold the instance lock and run the timetable until stopped.

    Exit code 0 after SIGTERM/SIGINT, 1 when another scheduler holds the lock
    (unless ``wait``) or the lock was lost.
    """
    # the listener below logs job errors with their traceback; APScheduler's own
    # executor log would repeat each one
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
    # job added/removed/started, missed or skipped: the listeners log what matters
    # in our own key=value lines
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    quiet_stage_summaries()
    store = open_store(config.database_url)
    pending: list[Service] = []
    early_stop = threading.Event()

    def on_signal(name: str) -> None:
        if pending:
            pending[0].on_signal(name)
        else:
            logger.info("received %s while waiting for the lock: not starting", name)
            early_stop.set()

    watcher = instance.SignalWatcher(on_signal)
    watcher.install()
    try:
        lease = timedelta(seconds=config.scheduler.lock_lease_seconds)
        lock = instance.acquire(store, instance.holder_name(), lease, wait=wait, stop=early_stop)
        if lock is None:
            return 0 if early_stop.is_set() else 1
        service = Service(store, config, lock)
        pending.append(service)
        return service.serve()
    finally:
        watcher.uninstall()
        store.close()
