"""The usual level (28-day baseline) on synthetic series: pure functions, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alerts.trends import BASELINE_DAYS, MIN_HISTORY_DAYS, baseline, usual_levels
from store.records import DayCount

START = date(2026, 9, 1)


def _series(counts: list[int]) -> list[DayCount]:
    return [DayCount(START + timedelta(days=i), n) for i, n in enumerate(counts)]


def test_baseline_is_the_mean_and_sd_of_the_last_28_days() -> None:
    history = [100] * 10 + [2, 4] * 14  # only the last 28 days count
    level = baseline(history)
    assert (level.days, level.mean, level.sd) == (28, 3.0, 1.0)
    assert baseline([]) == baseline(()) and baseline([]).days == 0


def test_usual_level_needs_a_week_of_history_and_excludes_the_day_itself() -> None:
    levels = usual_levels(_series([3] * 10 + [30]))
    assert [lv.usual for lv in levels[:MIN_HISTORY_DAYS]] == [None] * MIN_HISTORY_DAYS
    assert levels[MIN_HISTORY_DAYS].usual == 3.0
    assert (levels[-1].articles, levels[-1].usual) == (30, 3.0)


def test_usual_level_is_a_rolling_28_day_mean() -> None:
    counts = [i % 5 for i in range(80)]
    levels = usual_levels(_series(counts))
    for i in range(BASELINE_DAYS, 80):
        assert levels[i].usual == pytest.approx(sum(counts[i - BASELINE_DAYS : i]) / 28)
    assert [lv.day for lv in levels] == [START + timedelta(days=i) for i in range(80)]
