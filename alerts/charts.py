"""Email bar charts of daily counts, and the words around them, in the reader's language.

Pure: daily counts in, a :class:`BarChart` out, which the templates draw as
a table of cells with inline heights (``_charts.j2``): no image, no script,
no SVG, so mail clients that block all three still show the bars. The same
numbers are written out as text (the trends CLI's sparkline and :attr:`BarChart.numbers`)
for the plain-text part, chat messages and screen readers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from babel.numbers import format_decimal

from alerts.labels import Formatter
from alerts.sparkline import sparkline
from store.records import DayCount

BAR_MAX_PX = 48

TREND_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "spike": "Pic",
        "today": "aujourd’hui",
        "yesterday": "hier",
        "on_day": "le {day}",
        "usual_day": "habituellement {usual} par jour",
        "usual": "habituellement {usual}",
        "last_week": "ces 7 derniers jours",
        "per_day": "Articles par jour, du {start} au {end}",
        "spike_intro": "La règle « {rule} » est bien au-dessus de son niveau habituel.",
        "spike_articles": "Les articles du jour",
        "spike_more": "… et {more} de plus",
        "spike_why": "Vous recevez ce message car vous avez demandé les alertes de pic.",
    },
    "en": {
        "spike": "Spike",
        "today": "today",
        "yesterday": "yesterday",
        "on_day": "on {day}",
        "usual_day": "usually {usual} a day",
        "usual": "usually {usual}",
        "last_week": "in the last 7 days",
        "per_day": "Articles per day, {start} to {end}",
        "spike_intro": "The rule “{rule}” is far above its usual level.",
        "spike_articles": "The day’s articles",
        "spike_more": "… and {more} more",
        "spike_why": "You receive this message because you asked for spike alerts.",
    },
}


@dataclass(frozen=True)
class Bar:
    """One day's bar: its height in pixels, and whether it is the period shown."""

    day: date
    articles: int
    height: int
    marked: bool
    label: str  # "4 déc. : 3", the cell's title


@dataclass(frozen=True)
class BarChart:
    """Bars of consecutive days, oldest first, with the labels of the first and last."""

    bars: tuple[Bar, ...]
    first_label: str
    last_label: str
    caption: str  # "Articles par jour, du 9 nov. au 6 déc."
    numbers: str  # "9 nov. 2, 10 nov. 0, …": the chart as text

    @property
    def spark(self) -> str:
        return sparkline([bar.articles for bar in self.bars])


def trend_labels(fmt: Formatter) -> dict[str, str]:
    return TREND_LABELS.get(fmt.locale, TREND_LABELS["fr"])


def bar_chart(points: Sequence[DayCount], fmt: Formatter, marked: Collection[date]) -> BarChart:
    """The chart of ``points``; days in ``marked`` are drawn in the accent colour."""
    top = max((p.articles for p in points), default=0)
    colon = fmt.labels["colon"]
    bars = tuple(
        Bar(
            day=p.day,
            articles=p.articles,
            # a day with articles is always visible, however tall the highest bar
            height=max(round(p.articles / top * BAR_MAX_PX), 2) if p.articles else 0,
            marked=p.day in marked,
            label=f"{fmt.day_month(p.day)}{colon} {p.articles}",
        )
        for p in points
    )
    first = fmt.day_month(points[0].day) if points else ""
    last = fmt.day_month(points[-1].day) if points else ""
    caption = trend_labels(fmt)["per_day"].format(start=first, end=last)
    return BarChart(bars, first, last, caption, ", ".join(bar.label for bar in bars))


def usual_number(value: float, fmt: Formatter) -> str:
    """A usual level as readers say it: "12", "3", "0,4" (one decimal under 10)."""
    if value >= 10 or value == round(value):
        return str(round(value))
    return format_decimal(round(value, 1), "0.#", locale=fmt.locale)
