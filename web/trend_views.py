"""What the trends templates show: counts, charts, tables and links in the reader's words.

Pure: series and records in, plain values for Jinja out (no store, no request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from babel.dates import format_date, format_skeleton

from alerts.labels import Formatter
from store.records import TrendKind
from web.charts import Chart, Line, render_chart
from web.trend_labels import PATHS, articles_text, trend_labels

if TYPE_CHECKING:
    from alerts.trends import TrendSeries
    from config import Config
    from store.records import Article, SourceCount


@dataclass(frozen=True)
class Subject:
    """What one trends page is about: a watchlist entity or a rule."""

    kind: TrendKind
    key: str
    name: str
    query: str  # what the search page looks up for it
    group: str  # the watchlist's name, or "" for a rule


class TrendViews:
    """Builds the trends pages' template values for one language."""

    def __init__(self, config: Config, language: str) -> None:
        self.config = config
        self.language = language
        self.labels = trend_labels(language)
        self.fmt = Formatter(language, config.timezone)
        self.paths = PATHS[language]

    def href(self, subject: Subject) -> str:
        return f"{self.paths['root']}/{self.paths[subject.kind]}/{subject.key}"

    def search_link(self, query: str, day: date | None = None) -> str:
        params = {"q": query}
        if day is not None:
            params["day"] = day.isoformat()
        if self.language == "en":
            params["lang"] = "en"
        return f"/search?{urlencode(params)}"

    def count(self, n: int) -> str:
        return articles_text(self.labels, self.language, n)

    # --- index ----------------------------------------------------------------

    def index_rows(
        self, subjects: Sequence[Subject], totals: dict[str, int]
    ) -> list[dict[str, Any]]:
        return [
            {
                "key": s.key,
                "name": s.name,
                "href": self.href(s),
                "total": totals.get(s.key, 0),
                "total_text": self.count(totals.get(s.key, 0)),
            }
            for s in subjects
        ]

    def index_groups(
        self, subjects: Sequence[Subject], totals: dict[str, int]
    ) -> list[dict[str, Any]]:
        """Entities by watchlist, in config.yaml's order."""
        groups: dict[str, list[Subject]] = {}
        for subject in subjects:
            groups.setdefault(subject.group, []).append(subject)
        return [{"name": n, "items": self.index_rows(g, totals)} for n, g in groups.items()]

    # --- one entity or rule ---------------------------------------------------

    def detail(
        self,
        subject: Subject,
        series: TrendSeries,
        sources: Sequence[SourceCount],
        latest: Sequence[Article],
    ) -> dict[str, Any]:
        levels = series.levels
        days = tuple(_day_month(level.day, self.fmt.locale) for level in levels)
        links = tuple(self.search_link(subject.query, level.day) for level in levels)
        counts = Line(
            self.labels["series_articles"], tuple(float(lv.articles) for lv in levels), links
        )
        usual = Line(
            self.labels["series_usual"],
            tuple(None if lv.usual is None else round(lv.usual, 2) for lv in levels),
            dashed=True,
        )
        current = levels[-1].usual if levels else None
        return {
            "subject": subject,
            "href": self.href(subject),
            "total_text": self.count(series.total),
            "total": series.total,
            "charts": self._charts("trend", days, (counts, usual)),
            "caption": self.labels["chart_caption"].format(
                start=_long(self.fmt.locale, series.start), end=_long(self.fmt.locale, series.end)
            ),
            "usual_text": self.labels["usual_unknown"]
            if current is None
            else self.labels["usual_now"].format(u=_number(current, self.language)),
            "rows": [
                {
                    "day": _long(self.fmt.locale, lv.day),
                    "iso": lv.day.isoformat(),
                    "articles": lv.articles,
                    "usual": "—" if lv.usual is None else _number(lv.usual, self.language),
                    "link": link,
                }
                for lv, link in reversed(list(zip(levels, links, strict=True)))
            ],
            "sources": [
                {"name": self._source(s.source), "count": self.count(s.articles)} for s in sources
            ],
            "latest": [self._article(a) for a in latest],
            "search_all": self.search_link(subject.query),
            "first_day_text": _long(self.fmt.locale, series.start),
        }

    # --- compare --------------------------------------------------------------

    def compare(self, subjects: Sequence[Subject], series: Sequence[TrendSeries]) -> dict[str, Any]:
        first = series[0]
        days = tuple(_day_month(level.day, self.fmt.locale) for level in first.levels)
        lines = tuple(
            Line(
                s.name,
                tuple(float(level.articles) for level in one.levels),
                tuple(self.search_link(s.query, level.day) for level in one.levels),
            )
            for s, one in zip(subjects, series, strict=True)
        )
        rows = [
            {
                "day": _long(self.fmt.locale, level.day),
                "iso": level.day.isoformat(),
                "cells": [
                    (one.levels[i].articles, self.search_link(s.query, level.day))
                    for s, one in zip(subjects, series, strict=True)
                ],
            }
            for i, level in enumerate(first.levels)
        ]
        return {
            "subjects": [
                {"name": s.name, "href": self.href(s), "total_text": self.count(one.total)}
                for s, one in zip(subjects, series, strict=True)
            ],
            "charts": self._charts("compare", days, lines),
            "caption": self.labels["compare_caption"].format(
                start=_long(self.fmt.locale, first.start), end=_long(self.fmt.locale, first.end)
            ),
            "rows": list(reversed(rows)),
        }

    # --- pieces ---------------------------------------------------------------

    def _charts(self, kind: str, days: tuple[str, ...], lines: tuple[Line, ...]) -> dict[str, Any]:
        """The wide chart (linked dots) and the phone's narrow one (lines only)."""
        return {
            "wide": render_chart(Chart(kind, days, lines)),
            "narrow": render_chart(Chart(kind, days, lines, narrow=True)),
        }

    def _source(self, source: str) -> str:
        known = self.config.sources.get(source)
        return known.name if known else source

    def _article(self, article: Article) -> dict[str, str]:
        url = article.url if article.url.startswith(("https://", "http://")) else "#"
        return {
            "title": article.title,
            "url": url,
            "source": self._source(article.source),
            "published": self.fmt.published(article),
        }


@lru_cache(maxsize=8192)
def _long(locale: str, day: date) -> str:
    """ "4 déc. 2026" (cached: a 365-day page writes 365 of them)."""
    return str(format_date(day, "d MMM y", locale=locale))


@lru_cache(maxsize=8192)
def _day_month(day: date, locale: str) -> str:
    """ "4 déc." (the chart's axis), cached."""
    return str(format_skeleton("MMMd", day, locale=locale))


def _number(value: float, language: str) -> str:
    """One decimal, with the language's decimal mark."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "fr" else text
