"""Spike statistic: is one day's count of a rule far above its usual level?

Pure code over daily counts (articles per rule per local day, zeros included);
no store, no clock. The test, documented with worked numbers in docs/trends.md:

- the *usual level* of a day is a weekday-aware baseline over the 28 days
  before it: the mean of those days, pulled towards the mean of the same
  weekday (``WEEKDAY_WEIGHT`` pseudo-days of the overall mean plus the
  same-weekday days), so a rule that is busy every Monday is expected to be
  busy on Mondays and quiet weekends do not make every Monday look unusual;
- that level is an estimate from a few weeks of counts: the test allows for
  its error and uses the *tested level*, the usual level plus
  ``MARGIN_SE`` standard errors of it (a Poisson count's variance is its mean);
- a day is a spike when its count is at least ``min_count``, at least
  ``min_ratio`` times the usual level, and so unlikely under a Poisson law of
  the tested level that P(X >= count) <= ``sensitivity``;
- fewer than ``MIN_HISTORY_DAYS`` days of history before the day: never a spike.

The day being tested may be incomplete (today so far): its count is compared
with a whole day's usual level, which only makes a spike harder to reach.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

BASELINE_DAYS = 28
MIN_HISTORY_DAYS = 7
# how many days' worth of the overall mean temper the same-weekday mean
WEEKDAY_WEIGHT = 2.0
# standard errors of the usual level added before the tail test (the level is estimated)
MARGIN_SE = 2.0


@dataclass(frozen=True)
class SpikeSettings:
    """How unusual a day must be (config.yaml's ``spikes:`` section)."""

    sensitivity: float = 0.001
    min_count: int = 5
    min_ratio: float = 2.0


@dataclass(frozen=True)
class Baseline:
    """The usual level of one day, and what it was computed from."""

    expected: float  # the weekday-aware usual count (shown to readers)
    tested: float  # expected plus MARGIN_SE standard errors (the tail's mean)
    mean: float  # all baseline days
    weekday_mean: float  # the baseline days of the same weekday
    days: int  # baseline days known (at most BASELINE_DAYS)
    weekday_days: int


@dataclass(frozen=True)
class Verdict:
    """One day tested: its count, its usual level, the tail probability and the answer."""

    day: date
    count: int
    baseline: Baseline | None  # None: under MIN_HISTORY_DAYS days of history
    tail: float  # P(X >= count) under Poisson(tested); 1.0 without a baseline
    is_spike: bool

    @property
    def ratio(self) -> float:
        """The count over the usual level (infinite when the usual level is zero)."""
        if self.baseline is None or self.baseline.expected == 0:
            return math.inf if self.count else 0.0
        return self.count / self.baseline.expected


def baseline(
    counts: Mapping[date, int], day: date, *, since: date | None = None
) -> Baseline | None:
    """The usual level of ``day`` from the 28 days before it (None: under 7 days known).

    ``counts`` maps local days to article counts; a day of the window missing
    from it counts as zero, except before ``since`` (the first day of the
    rule's history), which is not history at all.
    """
    first = day - timedelta(days=BASELINE_DAYS)
    if since is not None:
        first = max(first, since)
    window = [first + timedelta(days=i) for i in range((day - first).days)]
    if len(window) < MIN_HISTORY_DAYS:
        return None
    values = [counts.get(d, 0) for d in window]
    same = [counts.get(d, 0) for d in window if d.weekday() == day.weekday()]
    mean = sum(values) / len(values)
    weekday_mean = sum(same) / len(same) if same else mean
    weight = len(same) + WEEKDAY_WEIGHT
    expected = (sum(same) + WEEKDAY_WEIGHT * mean) / weight
    # Var(sum(same)) = n_d λ and Var(mean) = λ / n, for Poisson days of mean λ
    variance = expected * (len(same) + WEEKDAY_WEIGHT**2 / len(values)) / weight**2
    tested = expected + MARGIN_SE * math.sqrt(variance)
    return Baseline(expected, tested, mean, weekday_mean, len(values), len(same))


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed over the upper tail in log space
    (exact where 1 - the lower sum would round to 0)."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    total = 0.0
    k = count
    log_term = k * math.log(mean) - mean - math.lgamma(k + 1)
    while True:
        term = math.exp(log_term)
        total += term
        # past the mode the terms shrink geometrically: stop when they no longer count
        if k > mean and term <= total * 1e-15:
            break
        k += 1
        log_term += math.log(mean) - math.log(k)
    return min(total, 1.0)


def check_day(
    counts: Mapping[date, int],
    day: date,
    settings: SpikeSettings,
    *,
    since: date | None = None,
) -> Verdict:
    """Whether ``day``'s count in ``counts`` is a spike against the days before it."""
    count = counts.get(day, 0)
    usual = baseline(counts, day, since=since)
    if usual is None:
        return Verdict(day, count, None, 1.0, False)
    tail = poisson_tail(count, usual.tested)
    spike = (
        count >= settings.min_count
        and count >= settings.min_ratio * usual.expected
        and tail <= settings.sensitivity
    )
    return Verdict(day, count, usual, tail, spike)
