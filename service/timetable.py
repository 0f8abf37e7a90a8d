"""The timetable: which jobs config.yaml calls for, and their triggers.

Pure apart from the clock it is given: ``desired_jobs`` turns a config into
:class:`JobSpec` values that ``scheduler.Service.apply_timetable`` adds,
removes or reschedules. Digest triggers run in the subscriber's own zone, so
07:00 in Paris is 06:00 UTC in winter and 05:00 UTC in summer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import Config, Subscriber

if TYPE_CHECKING:
    from service.tasks import Outcome, Tasks


class JobBodies(Protocol):
    """What the timetable schedules: the tasks and the service's own jobs."""

    tasks: Tasks

    def reload(self) -> Outcome | None: ...

    def renew_lock(self) -> Outcome | None: ...


MINUTE_ENV = "VNAWATCH_TEST_MINUTE_SECONDS"  # tests only: how long a config "minute" lasts
CRAWL_STAGGER_SECONDS = 5


def minute_seconds() -> float:
    return float(os.environ.get(MINUTE_ENV) or 60)


@dataclass(frozen=True)
class JobSpec:
    """One job as the config wants it; ``key`` changes when its timetable does."""

    id: str
    body: Callable[..., Outcome | None]
    trigger: BaseTrigger
    key: tuple[Any, ...]
    args: tuple[Any, ...] = ()
    first_run: datetime | None = None
    record: bool = True


class LocalTimeTrigger(CronTrigger):
    """A CronTrigger that fires once when the local time occurs twice.

    On the autumn DST change 01:30 in New York happens at 05:30 and 06:30
    UTC; CronTrigger would fire at both. (A skipped spring time such as 02:30
    in Paris fires once, an hour later in local terms.)
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        if (
            fire is not None
            and previous_fire_time is not None
            and _wall(fire, self.timezone) == _wall(previous_fire_time, self.timezone)
        ):
            # wall-clock arithmetic stays inside the repeated hour: restart from UTC
            fire = super().get_next_fire_time(None, fire.astimezone(UTC) + timedelta(minutes=1))
        return fire


def _wall(moment: datetime, zone: Any) -> tuple[int, ...]:
    local = moment.astimezone(zone)
    return (local.year, local.month, local.day, local.hour, local.minute)


def digest_trigger(subscriber: Subscriber) -> CronTrigger:
    """The subscriber's local send_time, every day or on their weekday."""
    fields: dict[str, Any] = {
        "hour": subscriber.send_time.hour,
        "minute": subscriber.send_time.minute,
        "timezone": ZoneInfo(subscriber.timezone),
    }
    if subscriber.frequency == "weekly":
        fields["day_of_week"] = subscriber.weekday[:3]
    return LocalTimeTrigger(**fields)


def crawl_trigger(interval_minutes: int, jitter_seconds: int) -> IntervalTrigger:
    seconds = interval_minutes * minute_seconds()
    jitter = min(jitter_seconds, int(seconds // 10)) or None
    return IntervalTrigger(seconds=seconds, jitter=jitter, timezone=UTC)


def desired_jobs(config: Config, bodies: JobBodies, now: datetime) -> list[JobSpec]:
    """Every job the config calls for, with its trigger and the key to compare it by."""
    tasks, settings = bodies.tasks, config.scheduler
    housekeeping = settings.housekeeping_time
    zone = ZoneInfo(config.timezone)
    return [
        *_crawl_jobs(config, tasks, now),
        *_digest_jobs(config, tasks),
        *(
            [_every("send:pending", tasks.send, settings.send_retry_seconds, now)]
            if settings.send == "scheduler"
            else []
        ),
        _every("health", tasks.check_health, settings.health_minutes * 60, now, first=5),
        _every("spikes", tasks.spikes, config.spikes.check_minutes * minute_seconds(), now),
        JobSpec(
            id="housekeeping",
            body=tasks.housekeeping,
            trigger=CronTrigger(hour=housekeeping.hour, minute=housekeeping.minute, timezone=zone),
            key=(housekeeping, config.timezone),
        ),
        _every("config:reload", bodies.reload, settings.reload_seconds, now, record=False),
        _every("lock:renew", bodies.renew_lock, settings.lock_lease_seconds / 3, now, False),
    ]


def _crawl_jobs(config: Config, tasks: Tasks, now: datetime) -> list[JobSpec]:
    """``crawl:<source>`` per enabled source; the first runs staggered just after now."""
    jitter = config.scheduler.crawl_jitter_seconds
    return [
        JobSpec(
            id=f"crawl:{key}",
            body=tasks.crawl,
            args=(key,),
            trigger=crawl_trigger(source.interval_minutes, jitter),
            key=("crawl", source.interval_minutes, jitter),
            first_run=now + timedelta(seconds=1 + CRAWL_STAGGER_SECONDS * index),
        )
        for index, (key, source) in enumerate(sorted(config.enabled_sources().items()))
    ]


def _digest_jobs(config: Config, tasks: Tasks) -> list[JobSpec]:
    """``digest:<email>`` per active daily or weekly subscriber (immediate ones are
    served after each crawl)."""
    return [
        JobSpec(
            id=f"digest:{s.email.lower()}",
            body=tasks.digest,
            args=(s.email.lower(),),
            trigger=digest_trigger(s),
            key=(s.frequency, s.send_time, s.weekday, s.timezone),
        )
        for s in config.subscribers
        if s.active and s.frequency != "immediate"
    ]


def _every(
    job_id: str,
    body: Callable[..., Outcome | None],
    seconds: float,
    now: datetime,
    record: bool = True,
    *,
    first: float | None = None,
) -> JobSpec:
    return JobSpec(
        id=job_id,
        body=body,
        trigger=IntervalTrigger(seconds=seconds, timezone=UTC),
        key=("every", seconds),
        first_run=now + timedelta(seconds=first) if first is not None else None,
        record=record,
    )
