"""Health: what `vnawatch status` shows and what the scheduler's health job checks.

:func:`collect_status` reads the store (source crawl state, article counts,
the scheduler's job runs, the outbox, the config state the scheduler left)
into a :class:`StatusReport`; :func:`render_status` prints it as aligned
plain-text tables. A source is unhealthy when its crawls fail in a row, when
it has published nothing for much longer than its usual rate says, or when
extraction keeps coming out empty (the site changed its markup).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy.exc import SQLAlchemyError

from alerts.suppression import suppressed_addresses
from config import DATABASE_URL_ENV, Config, ConfigError, Source, parse_config
from service.outage import DatabaseStatus, database_line
from store import StoreError, open_store
from store.db import display_url
from store.health import JobRun, SourceActivity
from store.records import ConfigState, SchedulerState, SenderState, SourceState

if TYPE_CHECKING:
    from store import Store

RECENT = timedelta(hours=24)
BASELINE_DAYS = 14
STALE_HEARTBEAT = timedelta(minutes=3)
SCHEDULER_FIELDS = tuple(f.name for f in fields(SchedulerState))
# below this share of held selector bodies a source's markup has changed
SELECTORS_HOLDING_SHARE = 0.5
JOB_RAISED = "raised "  # scheduler.RAISED: the job ended in an exception (a bug or an outage)


@dataclass(frozen=True)
class SourceStatus:
    """One source's crawl health."""

    source: str
    name: str
    enabled: bool
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures_in_row: int = 0
    new_24h: int = 0
    usual_per_day: float = 0.0
    last_article_at: datetime | None = None
    extraction_failures_24h: int = 0
    empty_extraction_streak: int = 0
    last_new_articles: int = 0
    last_not_modified: int = 0  # 304 answers to conditional GETs in the last crawl
    # body selectors on the pages of the last crawl that fetched any (crawler.crosscheck)
    selectors_held: int = 0
    selectors_rejected: int = 0
    selectors_missing: int = 0
    selector_example_url: str | None = None
    # pages of that crawl, and those stored without a body (on their lead)
    extracted_pages: int = 0
    bodiless_pages: int = 0
    bodiless_example_url: str | None = None
    problems: dict[str, str] = field(default_factory=dict)  # kind → reason

    @property
    def unhealthy(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    failed: int
    failed_24h: int
    sent_24h: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True)
class SchedulerStatus:
    """Whether the scheduler runs now, and its last record (None: it never ran here)."""

    running: bool
    last: SchedulerState | None = None

    @property
    def crashed(self) -> bool:
        """It stopped beating without recording a stop (killed, host down)."""
        last = self.last
        return not self.running and bool(last and last.heartbeat_at and not last.stopped_at)

    def as_json(self) -> dict[str, Any]:
        """``running`` and the record's fields, flat (null ones when it never ran)."""
        last = asdict(self.last) if self.last else dict.fromkeys(SCHEDULER_FIELDS)
        return {"running": self.running, **last}


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    sources: list[SourceStatus]
    jobs: list[JobRun]
    outbox: OutboxStatus
    config: ConfigState  # the file on disk and what the scheduler made of it
    scheduler: SchedulerStatus
    # config.yaml subscribers on the suppression list: they get no mail, and the
    # operator should remove them from the file (not a fault, so not a problem)
    suppressed_subscribers: list[str] = field(default_factory=list)
    send: str = "scheduler"  # scheduler.send: who sends the outbox
    # the sending processes alive: `vnawatch worker`s, and the scheduler when it sends
    senders: list[SenderState] = field(default_factory=list)
    database: DatabaseStatus | None = None

    @property
    def workers(self) -> list[SenderState]:
        return [sender for sender in self.senders if sender.kind == "worker"]

    @property
    def problems(self) -> list[str]:
        """One line per thing a person should look at."""
        found = [
            f"source {s.source}: {reason}" for s in self.sources for reason in s.problems.values()
        ]
        if self.outbox.failed_24h:
            found.append(f"{self.outbox.failed_24h} deliveries failed for good in the last 24 h")
        found += [
            f"job {job.job_id} failed: {job.last_result}"
            for job in self.jobs
            if job.last_ok is False and (job.last_result or "").startswith(JOB_RAISED)
        ]
        if self.scheduler.crashed and self.scheduler.last:
            found.append(
                f"scheduler stopped without a clean shutdown (last heartbeat "
                f"{_when(self.scheduler.last.heartbeat_at)}): is `vnawatch run` running?"
            )
        if not self.config.valid:
            found.append(f"config invalid since {_when(self.config.invalid_since)}")
        if self.send == "workers" and not self.workers and self.outbox.pending:
            found.append(
                f"scheduler.send is 'workers' but no `vnawatch worker` is running; "
                f"{self.outbox.pending} deliveries wait"
            )
        return found

    @property
    def needs_attention(self) -> bool:
        return bool(self.problems)

    def to_json(self) -> str:
        data = asdict(self)
        del data["config"]["good_text"]  # the whole file, kept for last_good_config
        data["scheduler"] = self.scheduler.as_json()
        data["workers"] = [asdict(worker) for worker in self.workers]
        data["database"] = self.database.as_json() if self.database else None
        data["needs_attention"] = self.needs_attention
        data["problems"] = self.problems
        return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def collect_status(
    store: Store, config: Config, *, now: datetime, config_problems: Sequence[str] = ()
) -> StatusReport:
    """Everything `vnawatch status` shows, read in a few queries.

    ``config_problems``: the file on disk does not load (``config`` is then the
    last good one, see :func:`last_good_config`).
    """
    states = {state.source: state for state in store.source_states()}
    activity = store.source_activity(now, recent=RECENT, baseline=timedelta(days=BASELINE_DAYS))
    sources = [
        source_status(key, spec, states.get(key), activity.get(key), config, now=now)
        for key, spec in config.sources.items()
    ]
    counts = store.outbox_counts(now - RECENT)
    return StatusReport(
        generated_at=now,
        sources=sources,
        jobs=store.job_runs(),
        outbox=OutboxStatus(
            pending=counts.pending,
            failed=counts.failed,
            failed_24h=counts.failed_recent,
            sent_24h=counts.sent_recent,
            oldest_pending_at=counts.oldest_pending_at,
        ),
        config=config_status(store.config_state(), config, config_problems),
        suppressed_subscribers=sorted(
            suppressed_addresses(store, [str(spec.email) for spec in config.subscribers])
        ),
        send=config.scheduler.send,
        senders=[
            sender for sender in store.senders(now - STALE_HEARTBEAT) if sender.stopped_at is None
        ],
        database=DatabaseStatus(display_url(store.url), store.database_outage()),
        scheduler=scheduler_status(
            store.scheduler_state(),
            now=now,
            stale_after=max(
                STALE_HEARTBEAT, timedelta(seconds=2 * config.scheduler.lock_lease_seconds)
            ),
        ),
    )


def source_status(
    key: str,
    spec: Source,
    state: SourceState | None,
    activity: SourceActivity | None,
    config: Config,
    *,
    now: datetime,
) -> SourceStatus:
    state = state or SourceState(source=key)
    activity = activity or SourceActivity(source=key)
    status = SourceStatus(
        source=key,
        name=spec.name,
        enabled=spec.enabled,
        last_run_at=state.last_run_at,
        last_success_at=state.last_success_at,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        failures_in_row=state.consecutive_failures,
        new_24h=activity.new_recent,
        usual_per_day=round(activity.new_baseline / BASELINE_DAYS, 1),
        last_article_at=activity.last_article_at,
        extraction_failures_24h=activity.extraction_failures_recent,
        empty_extraction_streak=state.empty_extraction_streak,
        last_new_articles=state.last_new_articles,
        last_not_modified=state.last_not_modified,
        selectors_held=state.selectors_held,
        selectors_rejected=state.selectors_rejected,
        selectors_missing=state.selectors_missing,
        selector_example_url=state.selector_example_url,
        extracted_pages=state.extracted_pages,
        bodiless_pages=state.bodiless_pages,
        bodiless_example_url=state.bodiless_example_url,
    )
    if spec.enabled:
        status.problems.update(_source_problems(status, config, now))
    return status


def _source_problems(status: SourceStatus, config: Config, now: datetime) -> dict[str, str]:
    limits = config.scheduler
    problems = {}
    if status.failures_in_row >= limits.unhealthy_failures:
        problems["failing"] = (
            f"{_crawls(status.failures_in_row)} failed in a row: {status.last_error or '?'}"
        )
    if status.empty_extraction_streak >= limits.unhealthy_empty_extractions:
        problems["extraction"] = (
            f"extraction came out empty for the last {status.empty_extraction_streak} pages "
            "(has the site changed its markup?)"
        )
    selectors = _selector_problem(status)
    if selectors:
        problems["selectors"] = selectors
    bodiless = _bodiless_problem(status, limits.unhealthy_bodiless_share)
    if bodiless:
        problems["bodies"] = bodiless
    if status.usual_per_day >= 1 and status.last_article_at is not None:
        allowed = timedelta(hours=max(limits.unhealthy_silent_hours, 72 / status.usual_per_day))
        silent = now - status.last_article_at
        if silent > allowed:
            problems["silent"] = (
                f"no new article for {silent.total_seconds() / 3600:.0f} h "
                f"(usually {status.usual_per_day:g} a day)"
            )
    return problems


def _selector_problem(status: SourceStatus) -> str | None:
    """Under half of the last pages' bodies came from the source's own selectors."""
    pages = status.selectors_held + status.selectors_rejected + status.selectors_missing
    if not pages or status.selectors_held >= SELECTORS_HOLDING_SHARE * pages:
        return None
    share = 100 * (pages - status.selectors_held) / pages
    return (
        f"body selectors did not hold on {share:.0f} % of the last {pages} pages "
        f"({status.selectors_rejected} rejected, {status.selectors_missing} found nothing), "
        f"e.g. {status.selector_example_url or '?'}: has the site changed its markup? "
        "Articles are taken from the generic extraction meanwhile"
    )


def _bodiless_problem(status: SourceStatus, share: float) -> str | None:
    """More than ``share`` of the last crawl's pages were stored without a body."""
    pages = status.extracted_pages
    if not pages or status.bodiless_pages <= share * pages:
        return None
    return (
        f"no body found on {status.bodiless_pages} of the last {pages} pages "
        f"({100 * status.bodiless_pages / pages:.0f} %), e.g. "
        f"{status.bodiless_example_url or '?'}: they were stored and matched on their title "
        "and lead only; has the site changed its markup?"
    )


def config_status(
    state: ConfigState | None, config: Config, problems: Sequence[str] = ()
) -> ConfigState:
    """The scheduler's record, overruled by ``problems`` of the file on disk."""
    state = state or ConfigState(path=str(config.path or "config.yaml"))
    return replace(
        state, valid=state.valid and not problems, error="; ".join(problems) or state.error
    )


def last_good_config(path: Path) -> Config | None:
    """The config the scheduler last applied, kept in the store, for when the file on
    disk does not load; None when there is none (or no database to ask)."""
    url = os.environ.get(DATABASE_URL_ENV) or _database_url_in(path)
    try:
        store = open_store(url, create=False)
    except StoreError:
        return None
    try:
        state = store.config_state()
    except SQLAlchemyError:
        return None
    finally:
        store.close()
    try:
        return parse_config(state.good_text, path) if state and state.good_text else None
    except ConfigError:
        return None


def _database_url_in(path: Path) -> str:
    """``database_url`` read leniently from a file that may not validate."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    url = data.get("database_url") if isinstance(data, dict) else None
    return str(url or Config.model_fields["database_url"].default)


def scheduler_status(
    state: SchedulerState | None, *, now: datetime, stale_after: timedelta = STALE_HEARTBEAT
) -> SchedulerStatus:
    if state is None:
        return SchedulerStatus(running=False)
    heartbeat, stopped = state.heartbeat_at, state.stopped_at
    running = stopped is None and heartbeat is not None and now - heartbeat < stale_after
    return SchedulerStatus(running, state)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    ]


def render_status(report: StatusReport) -> str:
    """Plain aligned tables: scheduler and config, sources, jobs, outbox, problems."""
    verdict = "NEEDS ATTENTION" if report.needs_attention else "OK"
    lines = [f"vnawatch status at {_when(report.generated_at)}: {verdict}", ""]
    lines.append(f"scheduler  {_scheduler_line(report.scheduler)}")
    lines.append(f"config     {_config_line(report.config)}")
    if report.database:
        lines.append(f"database   {database_line(report.database)}")
    lines.append("")
    lines += _table(
        [
            "SOURCE",
            "LAST SUCCESS",
            "FAILS",
            "LAST RUN NEW/304",
            "NEW 24H",
            "USUAL/DAY",
            "EXTRACT FAIL 24H",
            "EMPTY RUN",
            "SELECTORS HELD",
            "STATE",
        ],
        [_source_row(s) for s in report.sources],
    )
    lines += [
        f"  {s.source} last error {_when(s.last_error_at)}: {s.last_error[:160]}"
        for s in report.sources
        if s.last_error
    ]
    lines.append("")
    if report.jobs:
        lines += _table(
            ["JOB", "LAST RUN", "RESULT", "NEXT RUN"],
            [_job_row(job) for job in report.jobs],
        )
        lines.append("")
    out = report.outbox
    lines.append(
        f"outbox     pending {out.pending} (oldest {_when(out.oldest_pending_at)}), "
        f"failed {out.failed} ({out.failed_24h} in 24 h), sent in 24 h {out.sent_24h}"
    )
    lines.append(f"sending    {_sending_line(report)}")
    if report.suppressed_subscribers:
        lines += [
            "",
            "suppressed (unsubscribed or data deleted; no mail is sent to them): "
            "remove from config.yaml",
        ] + [f"  - {email}" for email in report.suppressed_subscribers]
    if report.problems:
        lines += ["", "needs attention:"] + [f"  - {problem}" for problem in report.problems]
    return "\n".join(lines)


def _scheduler_line(status: SchedulerStatus) -> str:
    last = status.last
    if last is None:
        return "never ran on this database"
    if status.running:
        return f"running ({last.holder}), heartbeat {_when(last.heartbeat_at)}"
    if last.stopped_at:
        return f"stopped at {_when(last.stopped_at)}"
    if last.heartbeat_at:
        return f"not running? last heartbeat {_when(last.heartbeat_at)}"
    return "never ran on this database"


def _sending_line(report: StatusReport) -> str:
    """Who sends, and the sending processes seen in the last minutes."""
    who = "by `vnawatch worker`" if report.send == "workers" else "by the scheduler"
    parts = [who]
    parts += [f"scheduler {s.name} (sent {s.sent})" for s in report.senders if s.kind != "worker"]
    workers = report.workers
    if workers:
        running = ", ".join(f"{w.name} (sent {w.sent})" for w in workers)
        noun = "worker" if len(workers) == 1 else "workers"
        parts.append(f"{len(workers)} {noun} running: {running}")
    else:
        parts.append("no worker running")
    return "; ".join(parts)


def _config_line(status: ConfigState) -> str:
    if not status.valid:
        return (
            f"{status.path} INVALID since {_when(status.invalid_since)} "
            f"(running on the config loaded {_when(status.loaded_at)}): {status.error}"
        )
    loaded = f", loaded by the scheduler {_when(status.loaded_at)}" if status.loaded_at else ""
    return f"{status.path} valid{loaded}"


def _source_row(s: SourceStatus) -> list[str]:
    if not s.enabled:
        state = "disabled"
    elif s.problems:
        state = "UNHEALTHY: " + "; ".join(s.problems.values())
    elif s.last_run_at is None:
        state = "not crawled yet"
    elif s.failures_in_row:
        failures = f"{s.failures_in_row} failure" + ("" if s.failures_in_row == 1 else "s")
        state = f"retrying after {failures}: {(s.last_error or '?')[:80]}"
    else:
        state = "ok"
    return [
        s.source,
        _when(s.last_success_at),
        str(s.failures_in_row),
        f"{s.last_new_articles}/{s.last_not_modified}" if s.last_run_at else "—",
        str(s.new_24h),
        f"{s.usual_per_day:g}",
        str(s.extraction_failures_24h),
        str(s.empty_extraction_streak),
        _selectors_cell(s),
        state,
    ]


def _selectors_cell(s: SourceStatus) -> str:
    pages = s.selectors_held + s.selectors_rejected + s.selectors_missing
    return f"{s.selectors_held}/{pages}" if pages else "—"


def _job_row(job: JobRun) -> list[str]:
    result = "—" if job.last_ok is None else ("ok" if job.last_ok else "FAILED")
    detail = (job.last_result or "")[:60]
    return [
        job.job_id,
        _when(job.last_finished_at or job.last_started_at),
        f"{result} {detail}".strip(),
        _when(job.next_run_at),
    ]


def _crawls(count: int) -> str:
    return f"{count} crawl" if count == 1 else f"{count} crawls"
