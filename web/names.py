"""The operator's rising-names page: new names to watch, spellings to add.

``GET /operator/names`` (``days``: the window, 1 to 90, default 7; ``lang``):
behind the operator login (:meth:`web.app.WebApp._operator`); anyone else
gets the login form with status 403 and nothing of the archive. The report
comes from :func:`alerts.rising.rising_names`, as ``vnawatch names`` prints
it: each name with its counts, rise, spellings, newest titles and the
config.yaml snippet to paste.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.labels import Formatter
from alerts.rising import BASELINE_DAYS, rising_names
from web.labels import Labels, labels_for

if TYPE_CHECKING:
    from config import Config
    from store import Store

DEFAULT_DAYS = 7
MAX_DAYS = 90
NAMES_LABELS: dict[str, Labels] = {
    "fr": {
        "names_title": "Noms en hausse",
        "names_intro": "Noms propres dont le nombre d’articles a le plus augmenté sur la"
        " période, comparé aux {baseline} jours précédents, et qu’aucune entité des listes"
        " de veille ne couvre.",
        "names_window": "Période",
        "names_days": "jours",
        "names_show": "Afficher",
        "names_scanned": "{current} sur la période, {previous} sur les {baseline} jours"
        " précédents.",
        "names_none": "Aucun nom inconnu des listes de veille n’est en hausse sur la période.",
        "names_empty": "Aucun article publié sur la période : rien à compter.",
        "names_count": "sur la période",
        "names_before": "avant",
        "names_expected": "attendu",
        "names_new": "nouveau",
        "names_spellings": "Graphies",
        "names_samples": "Derniers articles",
        "names_snippet": "À coller dans config.yaml, sous les entities d’une liste de veille",
        "aliases_title": "Graphies à ajouter aux entités suivies",
        "aliases_matched": "déjà trouvée par le pliage des accents",
        "aliases_missed": "manquée par les règles aujourd’hui",
        "aliases_snippet": "L’entité dans config.yaml, graphies ajoutées (à mettre à sa place)",
        "back_operator": "Retour à la vue opérateur",
    },
    "en": {
        "names_title": "Rising names",
        "names_intro": "Proper names whose article count rose most in the window against"
        " the {baseline} days before, and that no watchlist entity covers.",
        "names_window": "Window",
        "names_days": "days",
        "names_show": "Show",
        "names_scanned": "{current} in the window, {previous} in the {baseline} days before.",
        "names_none": "No name unknown to the watchlists rose in the window.",
        "names_empty": "No article published in the window: nothing to count.",
        "names_count": "in the window",
        "names_before": "before",
        "names_expected": "expected",
        "names_new": "new",
        "names_spellings": "Spellings",
        "names_samples": "Newest articles",
        "names_snippet": "To paste in config.yaml, under a watchlist's entities",
        "aliases_title": "Spellings to add to watched entities",
        "aliases_matched": "already found by accent folding",
        "aliases_missed": "missed by the rules today",
        "aliases_snippet": "The entity in config.yaml with the spellings added (replace it)",
        "back_operator": "Back to the operator view",
    },
}


Render = Callable[..., Response]  # WebApp.render: (request, template, labels, status, **context)


class NamesPage:
    """The handler over the app's pieces: who is logged in, the login answer, rendering."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        operator: Callable[[Request], str | None],
        login: Callable[[Request, Labels, str, int], Response],
        render: Render,
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.store = store
        self.operator = operator
        self.login = login
        self.render = render
        self.clock = clock

    def routes(self) -> list[Route]:
        return [Route("/operator/names", self.page, methods=["GET"])]

    async def page(self, request: Request) -> Response:
        language = "en" if request.query_params.get("lang") == "en" else "fr"
        labels = {**labels_for(language), **NAMES_LABELS[language]}
        if self.operator(request) is None:
            return self.login(request, labels, "", 403)
        days = _days(request.query_params.get("days"))
        now = self.clock()
        report = await run_in_threadpool(
            rising_names, self.store, self.config, now - timedelta(days=days), now
        )
        fmt = Formatter(language, self.config.timezone)
        return self.render(
            request,
            "names",
            labels,
            lang=language,
            report=report,
            days=days,
            max_days=MAX_DAYS,
            baseline=BASELINE_DAYS,
            current=fmt.count(report.articles),
            previous=fmt.count(report.baseline_articles),
            fmt=fmt,
        )


def _days(value: str | None) -> int:
    try:
        return min(max(1, int(value or DEFAULT_DAYS)), MAX_DAYS)
    except ValueError:
        return DEFAULT_DAYS
