"""Operations queries: job runs, service state, operator conditions, health counts.

The scheduler writes what it did (``job_runs``), what it runs with
(``service_state``: the config it applied, its process) and which operator
conditions are active (``conditions``); ``vnawatch status`` reads them back
together with counts over ``articles`` and ``deliveries``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import case, delete, func, select, text

from store.base import StoreBase
from store.models import ArticleRow, ConditionRow, DeliveryRow, JobRunRow, ServiceStateRow
from store.records import ConfigState, DatabaseOutage, SchedulerState

RESULT_LIMIT = 2000
SCHEDULER_STATE = "scheduler"  # service_state rows, by name
CONFIG_STATE = "config"
OUTAGE_STATE = "database_outage"  # the last one, written by the scheduler once it is over
State = TypeVar("State", SchedulerState, ConfigState, DatabaseOutage)


@dataclass(frozen=True)
class JobRun:
    """The latest run and the next planned run of one scheduler job."""

    job_id: str
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_ok: bool | None = None
    last_result: str | None = None
    next_run_at: datetime | None = None


@dataclass(frozen=True)
class Condition:
    """Something operators are told about once when it starts and once when it clears."""

    key: str
    active: bool
    detail: str
    since: datetime
    notified_active: bool | None = None
    notified_at: datetime | None = None

    @property
    def needs_notice(self) -> bool:
        """True when operators have not been told the current state (a clear only
        matters when they were told of the start)."""
        if self.active:
            return self.notified_active is not True
        return self.notified_active is True


@dataclass(frozen=True)
class OutboxCounts:
    """Outbox health: what waits, what failed for good."""

    pending: int = 0
    failed: int = 0
    failed_recent: int = 0
    sent_recent: int = 0
    oldest_pending_at: datetime | None = None


@dataclass(frozen=True)
class SourceActivity:
    """Articles first seen for one source (backfill excluded), recent and usual."""

    source: str
    new_recent: int = 0
    new_baseline: int = 0
    last_article_at: datetime | None = None
    extraction_failures_recent: int = 0


class HealthQueries(StoreBase):
    """Facade methods for job_runs, service_state, conditions and health counts."""

    def record_job_start(self, job_id: str, started_at: datetime) -> None:
        with self._transaction() as session:
            row = session.get(JobRunRow, job_id) or JobRunRow(job_id=job_id)
            row.last_started_at = started_at
            session.add(row)

    def record_job_result(
        self, job_id: str, finished_at: datetime, *, ok: bool, result: str
    ) -> None:
        with self._transaction() as session:
            row = session.get(JobRunRow, job_id) or JobRunRow(job_id=job_id)
            row.last_finished_at = finished_at
            row.last_ok = ok
            row.last_result = result[:RESULT_LIMIT]
            session.add(row)

    def record_job_schedule(self, schedule: dict[str, datetime | None]) -> None:
        """Set each job's next run; forget jobs the scheduler no longer has."""
        with self._transaction() as session:
            session.execute(delete(JobRunRow).where(JobRunRow.job_id.not_in(list(schedule))))
            for job_id, next_run_at in schedule.items():
                row = session.get(JobRunRow, job_id) or JobRunRow(job_id=job_id)
                row.next_run_at = next_run_at
                session.add(row)

    def job_runs(self) -> list[JobRun]:
        with self._transaction() as session:
            rows = session.scalars(select(JobRunRow).order_by(JobRunRow.job_id)).all()
            return [
                JobRun(
                    job_id=row.job_id,
                    last_started_at=row.last_started_at,
                    last_finished_at=row.last_finished_at,
                    last_ok=row.last_ok,
                    last_result=row.last_result,
                    next_run_at=row.next_run_at,
                )
                for row in rows
            ]

    def scheduler_state(self) -> SchedulerState | None:
        return self._service_state(SchedulerState, SCHEDULER_STATE)

    def set_scheduler_state(self, state: SchedulerState, now: datetime) -> None:
        self._set_service_state(SCHEDULER_STATE, state, now)

    def config_state(self) -> ConfigState | None:
        return self._service_state(ConfigState, CONFIG_STATE)

    def set_config_state(self, state: ConfigState, now: datetime) -> None:
        self._set_service_state(CONFIG_STATE, state, now)

    def database_outage(self) -> DatabaseOutage | None:
        """The last database outage the scheduler lived through (None: none seen)."""
        return self._service_state(DatabaseOutage, OUTAGE_STATE)

    def record_database_outage(self, outage: DatabaseOutage) -> None:
        self._set_service_state(OUTAGE_STATE, outage, outage.ended_at)

    def _service_state(self, kind: type[State], name: str) -> State | None:
        with self._transaction() as session:
            row = session.get(ServiceStateRow, name)
            return state_from_json(kind, row.value) if row else None

    def _set_service_state(
        self, name: str, state: SchedulerState | ConfigState | DatabaseOutage, now: datetime
    ) -> None:
        with self._transaction() as session:
            row = session.get(ServiceStateRow, name) or ServiceStateRow(name=name)
            row.value = json_from_state(state)
            row.updated_at = now
            session.add(row)

    def conditions(self, *, active_only: bool = False) -> list[Condition]:
        with self._transaction() as session:
            query = select(ConditionRow).order_by(ConditionRow.key)
            if active_only:
                query = query.where(ConditionRow.active.is_(True))
            return [_condition(row) for row in session.scalars(query)]

    def set_conditions(self, current: dict[str, str], now: datetime, *, prefix: str) -> None:
        """Make ``current`` (key → detail) the active conditions among keys under ``prefix``."""
        with self._transaction() as session:
            rows = {
                row.key: row
                for row in session.scalars(
                    select(ConditionRow).where(ConditionRow.key.startswith(prefix))
                )
            }
            for key, row in rows.items():
                if key not in current and row.active:
                    row.active = False
                    row.since = now
            for key, detail in current.items():
                row = rows.get(key)
                if row is None:
                    row = ConditionRow(key=key, notified_active=None)
                    session.add(row)
                if not row.active:
                    row.active = True
                    row.since = now
                row.detail = detail

    def mark_condition_notified(self, key: str, active: bool, now: datetime) -> None:
        with self._transaction() as session:
            row = session.get(ConditionRow, key)
            if row is not None:
                row.notified_active = active
                row.notified_at = now

    def outbox_counts(self, since: datetime) -> OutboxCounts:
        """Pending and failed rows; ``*_recent`` count rows created since ``since``."""
        recent = DeliveryRow.created_at >= since
        query = select(
            func.count().filter(DeliveryRow.status == "pending"),
            func.count().filter(DeliveryRow.status == "failed"),
            func.count().filter(DeliveryRow.status == "failed", recent),
            func.count().filter(DeliveryRow.status == "sent", DeliveryRow.sent_at >= since),
            func.min(case((DeliveryRow.status == "pending", DeliveryRow.created_at))),
        )
        with self._transaction() as session:
            pending, failed, failed_recent, sent, oldest = session.execute(query).one()
        return OutboxCounts(
            pending=int(pending),
            failed=int(failed),
            failed_recent=int(failed_recent),
            sent_recent=int(sent),
            oldest_pending_at=_utc(oldest),
        )

    def source_activity(
        self, now: datetime, *, recent: timedelta, baseline: timedelta
    ) -> dict[str, SourceActivity]:
        """Per source: articles first seen in ``recent`` and in ``baseline`` before ``now``."""
        seen = ArticleRow.first_seen_at
        query = (
            select(
                ArticleRow.source,
                func.count().filter(seen >= now - recent),
                func.count().filter(seen >= now - baseline),
                func.max(seen),
                func.count().filter(seen >= now - recent, ArticleRow.extraction == "failed"),
            )
            .where(ArticleRow.backfill.is_(False))
            .group_by(ArticleRow.source)
        )
        with self._transaction() as session:
            rows = session.execute(query).all()
        return {
            source: SourceActivity(
                source=source,
                new_recent=int(new_recent),
                new_baseline=int(new_baseline),
                last_article_at=_utc(last),
                extraction_failures_recent=int(failures),
            )
            for source, new_recent, new_baseline, last, failures in rows
        }

    def optimize(self) -> str:
        """Housekeeping for the planner and the file: ANALYZE, and VACUUM on SQLite."""
        statements = ["VACUUM", "ANALYZE"] if self.dialect == "sqlite" else ["ANALYZE"]
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.execute(text(statement))
        return " ".join(statements)


def json_from_state(state: SchedulerState | ConfigState | DatabaseOutage) -> dict[str, Any]:
    """The service_state column's JSON: the record's fields, times as ISO 8601 text."""
    return {
        f.name: value.isoformat() if isinstance(value, datetime) else value
        for f in fields(state)
        for value in [getattr(state, f.name)]
    }


def state_from_json(kind: type[State], value: dict[str, Any]) -> State:
    """The record back from its JSON; keys the record does not know are ignored."""
    known = {f.name: "datetime" in str(f.type) for f in fields(kind)}
    return kind(
        **{
            name: datetime.fromisoformat(item) if known[name] and item else item
            for name, item in value.items()
            if name in known
        }
    )


def _utc(value: Any) -> datetime | None:
    """Aggregates bypass the column type: SQLite hands back naive text or datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _condition(row: ConditionRow) -> Condition:
    return Condition(
        key=row.key,
        active=row.active,
        detail=row.detail,
        since=row.since,
        notified_active=row.notified_active,
        notified_at=row.notified_at,
    )
