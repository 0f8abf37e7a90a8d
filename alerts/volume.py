"""A rule's volume for a digest section: its articles over the period against the usual.

"12 articles ces 7 derniers jours, habituellement 3": a daily digest's period
is yesterday, a weekly digest's the 7 days to yesterday (local days of
config.yaml's ``timezone``, as the daily counts are kept). The usual level
is, for a day, the weekday-aware baseline of :mod:`alerts.spikes`; for a
week, the mean of the 28 days before it times 7; a rule's history starts at
its first counted article (and never before the archive's first day). Under
:data:`alerts.spikes.MIN_HISTORY_DAYS` days of history there is no usual
level, only the count. The chart is the last 14 days, the period marked.

:func:`rule_volumes` reads the counts of many rules at once: the queueing job
calls it once per rule and run, and hands each digest the values
(:class:`Volume` is small and crosses into the render pool).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from alerts.charts import BarChart, bar_chart, trend_labels, usual_number
from alerts.labels import Formatter
from alerts.spikes import BASELINE_DAYS, MIN_HISTORY_DAYS, baseline
from alerts.trends import archive_first_day, local_today, trend_series_many
from store.records import DayCount

if TYPE_CHECKING:
    from config import Config
    from store import Store

CHART_DAYS = 14
PERIODS = {"daily": 1, "weekly": 7}


@dataclass(frozen=True)
class Volume:
    """One rule's count over a digest's period, its usual level and the chart's days."""

    rule_id: str
    period_days: int  # 1 (yesterday) or 7 (the 7 days to yesterday)
    articles: int
    usual: float | None  # None: under MIN_HISTORY_DAYS days of history
    chart: tuple[DayCount, ...]  # CHART_DAYS days to the period's end (fewer on a young archive)

    @property
    def period(self) -> tuple[date, ...]:
        """The period's days that the chart shows."""
        return tuple(point.day for point in self.chart[-self.period_days :])


def volume_of(
    rule_id: str, history: Sequence[DayCount], end: date, period_days: int, since: date | None
) -> Volume:
    """The volume of the ``period_days`` days to ``end`` from a rule's daily ``history``."""
    counts = {point.day: point.articles for point in history}
    start = end - timedelta(days=period_days - 1)
    articles = sum(counts.get(start + timedelta(days=i), 0) for i in range(period_days))
    chart = tuple(p for p in history if 0 <= (end - p.day).days < CHART_DAYS)
    return Volume(rule_id, period_days, articles, _usual(counts, start, period_days, since), chart)


def _usual(
    counts: dict[date, int], start: date, period_days: int, since: date | None
) -> float | None:
    if period_days == 1:
        level = baseline(counts, start, since=since)
        return level.expected if level else None
    first = start - timedelta(days=BASELINE_DAYS)
    if since is not None:
        first = max(first, since)
    known = (start - first).days
    if known < MIN_HISTORY_DAYS:
        return None
    total = sum(counts.get(first + timedelta(days=i), 0) for i in range(known))
    return total / known * period_days


def rule_volumes(
    store: Store, config: Config, rule_ids: Sequence[str], *, now: datetime, frequency: str
) -> dict[str, Volume]:
    """The volume of each rule for a ``frequency`` digest built at ``now`` (one read)."""
    first = archive_first_day(store, config)
    if not rule_ids or first is None or frequency not in PERIODS:
        return {}
    end = local_today(config, now) - timedelta(days=1)
    found = trend_series_many(store, config, "rule", rule_ids, days=CHART_DAYS, end=end)
    # a rule's history starts at its first counted article, as for spikes
    firsts = store.first_counted_days(rule_ids)
    period = PERIODS[frequency]
    return {
        rule_id: volume_of(
            rule_id, series.history, end, period, max(first, firsts.get(rule_id, first))
        )
        for rule_id, series in found.items()
    }


class VolumeCache:
    """The rules' volumes of one queueing run: each rule read once, for the first
    page of digests that needs it."""

    def __init__(self, store: Store, config: Config, now: datetime) -> None:
        self.store, self.config, self.now = store, config, now
        self.known: dict[tuple[str, str], Volume | None] = {}

    def of(self, rule_ids: Sequence[str], frequency: str) -> tuple[Volume, ...]:
        """The volumes of ``rule_ids`` for a ``frequency`` digest (those with no counts: none)."""
        missing = [rule for rule in rule_ids if (rule, frequency) not in self.known]
        if missing:
            found = rule_volumes(
                self.store, self.config, missing, now=self.now, frequency=frequency
            )
            self.known.update({(rule, frequency): found.get(rule) for rule in missing})
        wanted = (self.known[(rule, frequency)] for rule in rule_ids)
        return tuple(volume for volume in wanted if volume is not None)


@dataclass(frozen=True)
class VolumeWords:
    """A volume in the reader's language: the sentence and the chart."""

    line: str  # "12 articles ces 7 derniers jours, habituellement 3"
    chart: BarChart


def volume_words(volume: Volume, fmt: Formatter) -> VolumeWords:
    tr = trend_labels(fmt)
    when = tr["yesterday"] if volume.period_days == 1 else tr["last_week"]
    line = f"{fmt.count(volume.articles)} {when}"
    if volume.usual is not None:
        line += ", " + tr["usual"].format(usual=usual_number(volume.usual, fmt))
    return VolumeWords(line, bar_chart(volume.chart, fmt, set(volume.period)))
