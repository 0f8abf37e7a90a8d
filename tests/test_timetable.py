"""Digest triggers fire at the subscriber's local time: the right UTC instants across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from config import Subscriber
from service.timetable import crawl_trigger, desired_jobs, digest_trigger
from tests.processes import base_config


def _fires(subscriber: Subscriber, start: str, count: int) -> list[str]:
    """The next ``count`` fire times from ``start`` (UTC), as 'MM-DD HH:MM' in UTC."""
    trigger = digest_trigger(subscriber)
    now = datetime.fromisoformat(start).replace(tzinfo=UTC)
    previous = None
    fires = []
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire.astimezone(UTC).strftime("%m-%d %H:%M"))
        previous = now = fire
    return fires


def _subscriber(zone: str, at: str, **extra: str) -> Subscriber:
    return Subscriber(email="a@b.vn", timezone=zone, send_time=at, rules=["r"], **extra)


@pytest.mark.parametrize(
    ("zone", "at", "start", "expected"),
    [
        # Paris: CET (UTC+1) until 29 March 2026, then CEST (UTC+2)
        (
            "Europe/Paris",
            "07:00",
            "2026-03-27",
            ["03-27 06:00", "03-28 06:00", "03-29 05:00", "03-30 05:00"],
        ),
        # ... and back on 25 October 2026
        (
            "Europe/Paris",
            "08:00",
            "2026-10-24",
            ["10-24 06:00", "10-25 07:00", "10-26 07:00"],
        ),
        # New York: EST (UTC-5) until 8 March 2026, then EDT (UTC-4)
        (
            "America/New_York",
            "07:00",
            "2026-03-07",
            ["03-07 12:00", "03-08 11:00", "03-09 11:00"],
        ),
        # Hanoi/Ho Chi Minh City: no DST, 07:00 is always 00:00 UTC
        (
            "Asia/Ho_Chi_Minh",
            "07:00",
            "2026-03-28",
            ["03-28 00:00", "03-29 00:00", "03-30 00:00"],
        ),
    ],
)
def test_daily_digest_fires_at_local_send_time_across_dst(
    zone: str, at: str, start: str, expected: list[str]
) -> None:
    assert _fires(_subscriber(zone, at), start, len(expected)) == expected


def test_ambiguous_local_time_fires_once_on_the_autumn_change() -> None:
    # 1 November 2026, New York: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST)
    fires = _fires(_subscriber("America/New_York", "01:30"), "2026-10-31", 3)
    assert fires == ["10-31 05:30", "11-01 05:30", "11-02 06:30"]


def test_skipped_local_time_fires_once_on_the_spring_change() -> None:
    # 29 March 2026, Paris: 02:30 does not exist; the digest still goes out that day, once
    fires = _fires(_subscriber("Europe/Paris", "02:30"), "2026-03-28", 3)
    assert fires[0] == "03-28 01:30"
    assert fires[1].startswith("03-29")
    assert fires[2] == "03-30 00:30"


def test_weekly_digest_fires_on_its_weekday_in_its_zone() -> None:
    subscriber = _subscriber("Europe/Paris", "07:00", frequency="weekly", weekday="monday")
    # Mondays 19 and 26 October 2026, either side of the change
    assert _fires(subscriber, "2026-10-17", 2) == ["10-19 05:00", "10-26 06:00"]


def test_crawl_trigger_interval_and_bounded_jitter() -> None:
    trigger = crawl_trigger(30, 120)
    assert trigger.interval.total_seconds() == 1800
    assert trigger.jitter == 120
    assert crawl_trigger(1, 120).jitter == 6  # never more than a tenth of the interval


def test_desired_jobs_have_explicit_ids(tmp_path: Path) -> None:
    from config import Config

    data = base_config(tmp_path)
    data["sources"]["local"]["enabled"] = True
    data["subscribers"].append({"email": "Now@B.vn", "frequency": "immediate", "rules": ["chine"]})
    config = Config.model_validate(data)
    bodies = SimpleNamespace(
        tasks=SimpleNamespace(
            crawl=None, digest=None, send=None, check_health=None, housekeeping=None, spikes=None
        ),
        reload=None,
        renew_lock=None,
    )
    ids = [spec.id for spec in desired_jobs(config, bodies, datetime.now(UTC))]  # type: ignore[arg-type]
    assert ids == [
        "crawl:local",
        "digest:a@b.vn",
        "send:pending",
        "health",
        "spikes",
        "housekeeping",
        "config:reload",
        "lock:renew",
    ]


def test_reload_adds_reschedules_and_removes_jobs(tmp_path: Path, sqlite_store: object) -> None:
    from datetime import timedelta

    from config import Config
    from scheduler import Service

    store = sqlite_store
    data = base_config(tmp_path)
    data["sources"]["local"]["enabled"] = True
    before = Config.model_validate(data)
    lock = store.acquire_lock(  # type: ignore[attr-defined]
        "scheduler", "test", lease=timedelta(minutes=1), now=datetime.now(UTC)
    )
    service = Service(store, before, lock)  # type: ignore[arg-type]
    service.apply_timetable(before)
    crawl = service.scheduler.get_job("crawl:local")
    assert crawl.trigger.interval.total_seconds() == 30 * 60

    data["sources"]["local"]["interval_minutes"] = 15
    data["sources"]["other"] = dict(data["sources"]["local"], name="Other")
    data["subscribers"][0]["frequency"] = "immediate"
    service.apply_timetable(Config.model_validate(data))
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    assert jobs["crawl:local"].trigger.interval.total_seconds() == 15 * 60
    assert "crawl:other" in jobs
    assert "digest:a@b.vn" not in jobs  # immediate subscribers are served after each crawl

    data["sources"]["local"]["enabled"] = False
    service.apply_timetable(Config.model_validate(data))
    assert service.scheduler.get_job("crawl:local") is None
    assert {run.job_id for run in store.job_runs()} >= {"crawl:other", "health"}  # type: ignore[attr-defined]
    assert "crawl:local" not in {run.job_id for run in store.job_runs()}  # type: ignore[attr-defined]


def _service(tmp_path: Path, store: object) -> object:
    from datetime import timedelta

    from config import Config
    from scheduler import Service

    config = Config.model_validate(base_config(tmp_path))
    lock = store.acquire_lock(  # type: ignore[attr-defined]
        "scheduler", "test", lease=timedelta(minutes=1), now=datetime.now(UTC)
    )
    return Service(store, config, lock)  # type: ignore[arg-type]


def test_a_stop_before_the_start_returns_at_once(tmp_path: Path, sqlite_store: object) -> None:
    service = _service(tmp_path, sqlite_store)
    service.stop(0)  # type: ignore[attr-defined]
    assert service.serve() == 0  # type: ignore[attr-defined]
    assert sqlite_store.lock_holder("scheduler") is None  # type: ignore[attr-defined]


def test_a_stop_racing_the_start_still_stops(tmp_path: Path, sqlite_store: object) -> None:
    service = _service(tmp_path, sqlite_store)
    service._stopping.set()  # type: ignore[attr-defined]  # stop() lost the race with start()
    service.scheduler.start()  # type: ignore[attr-defined]  # returns: the listener shut it down
    assert not service.scheduler.running  # type: ignore[attr-defined]


def test_shipped_config_states_the_scheduler_defaults() -> None:
    from config import SchedulerSettings, load_config

    shipped = load_config(Path(__file__).resolve().parents[1] / "config.yaml")
    assert shipped.scheduler == SchedulerSettings()


def test_send_workers_drops_the_schedulers_send_job(tmp_path: Path) -> None:
    from config import Config

    data = base_config(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    data["scheduler"]["send"] = "workers"
    config = Config.model_validate(data)
    bodies = SimpleNamespace(
        tasks=SimpleNamespace(
            digest=None, send=None, check_health=None, housekeeping=None, spikes=None
        ),
        reload=None,
        renew_lock=None,
    )
    ids = [spec.id for spec in desired_jobs(config, bodies, datetime.now(UTC))]  # type: ignore[arg-type]
    assert "send:pending" not in ids and "digest:a@b.vn" in ids
