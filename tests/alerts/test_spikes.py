"""The spike statistic on synthetic series (alerts.spikes): pure, no store."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from alerts.spikes import SpikeSettings, baseline, check_day, poisson_tail

START = date(2026, 1, 5)  # a Monday
DEFAULTS = SpikeSettings()


def series(days: int, count: Callable[[date], int], start: date = START) -> dict[date, int]:
    return {start + timedelta(days=i): count(start + timedelta(days=i)) for i in range(days)}


def spike_days(counts: dict[date, int], settings: SpikeSettings = DEFAULTS) -> list[date]:
    """Every day of the series that fires, the history starting on its first day."""
    first = min(counts)
    return [day for day in sorted(counts) if check_day(counts, day, settings, since=first).is_spike]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth): the stdlib has none before Python 3.12."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def test_poisson_tail_matches_the_closed_form() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 3.0) == pytest.approx(1 - math.exp(-3))
    lower = sum(math.exp(-4) * 4**i / math.factorial(i) for i in range(20))
    assert poisson_tail(20, 4.0) == pytest.approx(1 - lower, rel=1e-6)
    assert poisson_tail(5, 0.0) == 0.0
    assert poisson_tail(400, 2.0) == pytest.approx(0.0, abs=1e-300)
    assert 0 < poisson_tail(40, 4.0) < 1e-18  # where 1 - the lower sum gives 0


def test_flat_series_never_fires() -> None:
    for level in (0, 1, 4, 30, 200):
        assert spike_days(series(120, lambda _day, n=level: n)) == []


def test_noisy_series_at_its_usual_level_never_fires() -> None:
    rng = random.Random(23)
    for mean in (0.5, 3.0, 12.0):
        counts = series(365, lambda _day, m=mean: poisson(rng, m))
        assert spike_days(counts) == [], mean


def test_a_five_times_day_fires_once() -> None:
    big = START + timedelta(days=40)
    counts = series(80, lambda day: 20 if day == big else 4)
    assert spike_days(counts) == [big]
    verdict = check_day(counts, big, DEFAULTS, since=START)
    assert verdict.baseline is not None and verdict.baseline.expected == 4.0
    assert verdict.ratio == 5.0 and verdict.tail < 1e-6


def test_a_busy_day_on_a_quiet_rule_fires() -> None:
    big = START + timedelta(days=30)
    counts = series(40, lambda day: 6 if day == big else (1 if day.day % 3 == 0 else 0))
    assert spike_days(counts) == [big]


def test_small_counts_do_not_fire_below_the_minimum() -> None:
    big = START + timedelta(days=30)
    counts = series(40, lambda day: 4 if day == big else 0)  # unheard of, but only 4
    assert spike_days(counts) == []
    assert spike_days(counts, SpikeSettings(min_count=4)) == [big]


def test_a_large_rule_needs_the_ratio_not_only_the_tail() -> None:
    big = START + timedelta(days=30)
    counts = series(40, lambda day: 150 if day == big else 100)
    assert check_day(counts, big, DEFAULTS).tail < DEFAULTS.sensitivity  # Poisson says rare
    assert spike_days(counts) == []  # but 1.5 times the usual is no spike


def test_a_weekly_rhythm_does_not_fire_every_monday() -> None:
    # a weekly column every Monday, a few mentions on weekdays, nothing at weekends
    def weekly(day: date) -> int:
        return 9 if day.weekday() == 0 else (1 if day.weekday() < 5 else 0)

    assert spike_days(series(140, weekly)) == []


def test_quiet_weekends_do_not_fire_on_weekdays() -> None:
    def office_hours(day: date) -> int:
        return 12 if day.weekday() < 5 else 1

    assert spike_days(series(140, office_hours)) == []


def test_a_busy_saturday_fires_against_quiet_saturdays() -> None:
    busy = START + timedelta(weeks=6, days=5)  # a Saturday
    assert busy.weekday() == 5

    def counts(day: date) -> int:
        if day == busy:
            return 8
        return 2 if day.weekday() < 5 else 0

    verdict = check_day(series(60, counts), busy, DEFAULTS, since=START)
    assert verdict.baseline is not None and verdict.baseline.weekday_mean == 0.0
    assert spike_days(series(60, counts)) == [busy]


def test_under_seven_days_of_history_never_fires() -> None:
    counts = series(7, lambda day: 60 if day == START + timedelta(days=6) else 0)
    assert check_day(counts, START + timedelta(days=6), DEFAULTS, since=START).baseline is None
    assert spike_days(counts) == []
    counts[START + timedelta(days=7)] = 60  # the eighth day has seven days before it
    assert spike_days(counts) == [START + timedelta(days=7)]


def test_the_baseline_is_the_28_days_before_the_day() -> None:
    day = START + timedelta(days=60)
    counts = series(61, lambda d: 100 if d < day - timedelta(days=28) else 2)
    usual = baseline(counts, day)
    assert usual is not None
    assert (usual.days, usual.weekday_days, usual.mean, usual.expected) == (28, 4, 2.0, 2.0)


def test_days_missing_from_the_counts_are_zeros() -> None:
    day = START + timedelta(days=28)
    usual = baseline({START: 28}, day, since=START)
    assert usual is not None and usual.mean == 1.0 and usual.days == 28
