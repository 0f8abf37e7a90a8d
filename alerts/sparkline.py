"""`vnawatch trends`: which rule or entity a name means, and its series for a terminal.

Pure: :func:`find_subject` resolves ``RULE_OR_ENTITY`` among the config's
rules (with the web subscribers' stored ones) and watchlist entities;
:func:`render_trend` draws a :class:`alerts.trends.TrendSeries` as a
sparkline (one row of blocks per 30 days) and the numbers per day;
:func:`trend_json` gives the same for machines.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alerts.subscriptions import with_stored_rules
from alerts.trends import TrendSeries, local_today, trend_series
from config import Config
from store.records import TrendKind

if TYPE_CHECKING:
    from datetime import datetime

    from store import Store

BLOCKS = "▁▂▃▄▅▆▇█"
ROW_DAYS = 30


class UnknownSubjectError(Exception):
    """The name is no rule nor entity, or both: the message says which and what to type."""


@dataclass(frozen=True)
class TrendSubject:
    kind: TrendKind
    key: str
    name: str


def find_subject(config: Config, name: str) -> TrendSubject:
    """The rule or entity ``name`` means: ``ID``, ``rule:ID`` or ``entity:ID``.

    ``config`` should hold the stored rules too (:func:`with_stored_rules`).
    """
    kind, _, key = name.rpartition(":")
    rules = {r.id: r.name for r in config.rules}
    entities = {e.id: e.name for w in config.watchlists for e in w.entities}
    found = [
        TrendSubject(k, key, names[key])  # type: ignore[arg-type]
        for k, names in (("rule", rules), ("entity", entities))
        if key in names and kind in ("", k)
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise UnknownSubjectError(
            f"{key!r} is both a rule and an entity: say rule:{key} or entity:{key}"
        )
    close = difflib.get_close_matches(key, [*rules, *entities], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UnknownSubjectError(f"no rule or watchlist entity {name!r}{hint}")


def subject_series(
    store: Store, config: Config, name: str, *, days: int, now: datetime
) -> tuple[TrendSubject, TrendSeries]:
    """The rule or entity ``name`` means and its last ``days`` days to today (local)."""
    subject = find_subject(with_stored_rules(store, config), name)
    end = local_today(config, now)
    return subject, trend_series(store, config, subject.kind, subject.key, days=days, end=end)


def sparkline(values: list[int], top: int | None = None) -> str:
    """One block per value, the tallest for ``top`` (default: the largest value);
    zero is the lowest block."""
    top = max(values, default=0) if top is None else top
    if top == 0:
        return BLOCKS[0] * len(values)
    steps = len(BLOCKS) - 1
    return "".join(BLOCKS[0] if v == 0 else BLOCKS[max(1, round(v / top * steps))] for v in values)


def render_trend(subject: TrendSubject, series: TrendSeries, timezone: str) -> str:
    """The sparkline rows, a summary line, then each day's count and usual level."""
    levels = series.levels
    counts = [level.articles for level in levels]
    lines = [
        f"{subject.name} ({subject.kind} {subject.key}): {series.start} to {series.end}, "
        f"local days in {timezone}"
    ]
    for i in range(0, len(levels), ROW_DAYS):
        # one scale for every row, so that rows compare
        lines.append(f"{levels[i].day}  {sparkline(counts[i : i + ROW_DAYS], max(counts))}")
    busiest = max(levels, key=lambda level: level.articles, default=None)
    usual = levels[-1].usual if levels else None
    summary = f"{sum(counts)} articles over {len(levels)} days"
    if busiest is not None and busiest.articles:
        summary += f", most {busiest.articles} on {busiest.day}"
    summary += f", usual level now {usual:.1f} a day" if usual is not None else ""
    lines += ["", summary, "", "day         articles  usual"]
    for level in levels:
        usual_text = "" if level.usual is None else f"{level.usual:.1f}"
        lines.append(f"{level.day}  {level.articles:>8}  {usual_text:>5}")
    return "\n".join(lines)


def trend_json(subject: TrendSubject, series: TrendSeries, timezone: str) -> dict[str, Any]:
    return {
        "kind": subject.kind,
        "key": subject.key,
        "name": subject.name,
        "timezone": timezone,
        "start": series.start.isoformat(),
        "end": series.end.isoformat(),
        "total": series.total,
        "days": [
            {
                "day": level.day.isoformat(),
                "articles": level.articles,
                "usual": None if level.usual is None else round(level.usual, 3),
            }
            for level in series.levels
        ],
    }
