"""The trends pages: daily counts per watchlist entity (and, for operators, per rule).

Routes (registered by :func:`web.app.create_app` through :func:`trend_routes`),
in French under ``/tendances`` and in English under ``/trends``:
the index (each entity's articles over 30 days, the compare form), one entity
or rule (``/entite/{id}`` or ``/regle/{id}``; ``jours``/``days`` = 30, 90 or
365): a chart of its daily counts with the usual level, the numbers as a
table, its top outlets and latest articles; and ``/comparer`` (``e`` two to
five times). A day's dot and table row open ``/search`` for that query and day.
Everyone sees the watchlist entities offered on the sign-up form; a logged-in
operator also sees config.yaml's rules and the web subscribers' own rules that
are not paused. Anything else in a URL is a 404. The counts are read from the
store (:mod:`alerts.trends`); the charts are drawn by :mod:`web.charts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from alerts.trends import (
    TrendSeries,
    archive_first_day,
    build_series,
    local_today,
    trend_window,
)
from store.records import TrendKind
from web.charts import chart_css
from web.trend_labels import PATHS, trend_labels
from web.trend_views import Subject, TrendViews

if TYPE_CHECKING:
    from jinja2 import Environment

    from config import Config
    from store import Store

WINDOWS = (30, 90, 365)
DEFAULT_WINDOW = 90
INDEX_DAYS = 30
COMPARE_MIN, COMPARE_MAX = 2, 5
FIRST_DAY_SECONDS = 60.0


class TrendPages:
    """The trends handlers over the app's config, store and templates."""

    def __init__(
        self,
        config: Config,
        store: Store,
        templates: Environment,
        *,
        is_operator: Callable[[Request], bool],
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.store = store
        self.templates = templates
        self.is_operator = is_operator
        self.clock = clock
        self._first: tuple[float, date] | None = None

    # --- who may see what ---------------------------------------------------

    def entities(self) -> list[Subject]:
        seen: dict[str, Subject] = {}
        for watchlist in self.config.watchlists:
            for e in watchlist.entities:
                seen.setdefault(
                    e.id, Subject("entity", e.id, e.name, f"entity:{e.id}", watchlist.name)
                )
        return list(seen.values())

    def rules(self) -> list[Subject]:
        """config.yaml's rules, then the web subscribers' own ones not paused."""
        found = [Subject("rule", r.id, r.name, r.query, "") for r in self.config.rules]
        known = {r.id for r in self.config.rules}
        found += [
            Subject("rule", r.rule_id, r.name, r.query, "")
            for r in self.store.stored_rules()
            if r.rule_id not in known and not r.paused
        ]
        return found

    def first_day(self) -> date | None:
        """The archive's first local day, read again after FIRST_DAY_SECONDS (it moves only
        with the retention housekeeping or a source's back catalogue)."""
        now = time.monotonic()
        if self._first is None or now - self._first[0] > FIRST_DAY_SECONDS:
            first = archive_first_day(self.store, self.config)
            if first is None:  # an empty archive is asked again, until the first crawl
                return None
            self._first = (now, first)
        return self._first[1]

    def subject(self, kind: str, key: str, operator: bool) -> Subject | None:
        pool = self.entities() if kind == "entity" else self.rules() if operator else []
        return next((s for s in pool if s.key == key), None)

    # --- pages ----------------------------------------------------------------

    def page(self, request: Request, name: str, language: str, **context: Any) -> Response:
        status = context.pop("status", 200)
        other = "en" if language == "fr" else "fr"
        html = self.templates.get_template(f"{name}.html.j2").render(
            t=trend_labels(language),
            lang=language,
            path=request.url.path,
            paths=PATHS[language],
            other_path=context.pop("other_path", PATHS[other]["root"]),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def views(self, language: str) -> TrendViews:
        return TrendViews(self.config, language)

    def not_found(self, request: Request, language: str) -> Response:
        return self.page(request, "trend_missing", language, status=404)

    async def index(self, request: Request) -> Response:
        language = _language(request)
        operator = self.is_operator(request)
        today = local_today(self.config, self.clock())
        body = await run_in_threadpool(self._index, language, operator, today)
        return self.page(request, "trends", language, **body)

    def _index(self, language: str, operator: bool, today: date) -> dict[str, Any]:
        entities = self.entities()
        rules = self.rules() if operator else []
        start = date.fromordinal(today.toordinal() - INDEX_DAYS + 1)
        totals = {
            kind: self.store.trend_totals(kind, start, today)
            for kind in ("entity", "rule")
            if kind == "entity" or rules
        }
        views = self.views(language)
        return {
            "empty": self.first_day() is None,
            "groups": views.index_groups(entities, totals.get("entity", {})),
            "rules": views.index_rows(rules, totals.get("rule", {})),
            "index_days": INDEX_DAYS,
            "windows": WINDOWS,
            "window": DEFAULT_WINDOW,
            "other_path": PATHS["en" if language == "fr" else "fr"]["root"],
        }

    async def detail(self, request: Request) -> Response:
        language = _language(request)
        kind = "entity" if request.url.path.split("/")[2] in ("entite", "entity") else "rule"
        subject = await run_in_threadpool(
            self.subject, kind, request.path_params["key"], self.is_operator(request)
        )
        if subject is None:
            return self.not_found(request, language)
        days = _window(request)
        today = local_today(self.config, self.clock())
        body = await run_in_threadpool(self._detail, subject, days, today, language)
        other = PATHS["en" if language == "fr" else "fr"]
        body["other_path"] = f"{other['root']}/{other[subject.kind]}/{subject.key}"
        return self.page(request, "trend", language, **body)

    def _detail(self, subject: Subject, days: int, today: date, language: str) -> dict[str, Any]:
        first = self.first_day()
        start, read_from = trend_window(first, today, days)
        found = self.store.trend_details(subject.kind, subject.key, read_from, start, today)
        series = build_series(subject.kind, subject.key, found.counts, start, first)
        return self.views(language).detail(subject, series, found.sources, found.articles) | {
            "empty": first is None,
            "windows": WINDOWS,
            "window": days,
            # the archive's first day when it cuts the window short
            "first_day": series.start if (today - series.start).days + 1 < days else None,
        }

    async def compare(self, request: Request) -> Response:
        language = _language(request)
        wanted = list(dict.fromkeys(request.query_params.getlist("e")))[: COMPARE_MAX + 1]
        known = {s.key: s for s in self.entities()}
        if any(key not in known for key in wanted):
            return self.not_found(request, language)
        subjects = [known[key] for key in wanted]
        days = _window(request)
        other = PATHS["en" if language == "fr" else "fr"]
        context: dict[str, Any] = {
            "windows": WINDOWS,
            "window": days,
            "chosen": wanted,
            "choices": self.views(language).index_groups(self.entities(), {}),
            "other_path": f"{other['root']}/{other['compare']}",
        }
        if not COMPARE_MIN <= len(subjects) <= COMPARE_MAX:
            return self.page(request, "trend_compare", language, error=True, status=400, **context)
        today = local_today(self.config, self.clock())
        series = await run_in_threadpool(self._series, "entity", subjects, days, today)
        context |= self.views(language).compare(subjects, [series[s.key] for s in subjects])
        return self.page(request, "trend_compare", language, error=False, **context)

    def _series(
        self, kind: TrendKind, subjects: Sequence[Subject], days: int, today: date
    ) -> dict[str, TrendSeries]:
        first = self.first_day()
        start, read_from = trend_window(first, today, days)
        found = self.store.daily_counts_many(kind, [s.key for s in subjects], read_from, today)
        return {key: build_series(kind, key, counts, start, first) for key, counts in found.items()}

    async def css(self, request: Request) -> Response:
        return Response(
            chart_css(),
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=86400"},
        )


def _language(request: Request) -> str:
    return "en" if request.url.path.startswith("/trends") else "fr"


def _window(request: Request) -> int:
    value = request.query_params.get("jours") or request.query_params.get("days") or ""
    return int(value) if value in {str(w) for w in WINDOWS} else DEFAULT_WINDOW


def trend_routes(
    config: Config,
    store: Store,
    templates: Environment,
    *,
    is_operator: Callable[[Request], bool],
    clock: Callable[[], datetime],
) -> list[Route]:
    """The trends pages' routes in both languages, for :func:`web.app.create_app`."""
    pages = TrendPages(config, store, templates, is_operator=is_operator, clock=clock)
    routes = [Route("/trends/chart.css", pages.css, methods=["GET"])]
    for paths in PATHS.values():
        root = paths["root"]
        routes += [
            Route(root, pages.index, methods=["GET"]),
            Route(f"{root}/{paths['compare']}", pages.compare, methods=["GET"]),
            Route(f"{root}/{paths['entity']}/{{key}}", pages.detail, methods=["GET"]),
            Route(f"{root}/{paths['rule']}/{{key}}", pages.detail, methods=["GET"]),
        ]
    return routes
