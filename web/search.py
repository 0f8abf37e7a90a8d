"""The archive search pages: results in the rule language, facets, "why it matched".

Routes (registered by :func:`web.app.create_app` through :func:`search_routes`):
``GET /search`` (``q``, ``page``, ``source``, ``day``, ``lang``) and
``GET /search/why/{pk}`` (``q``, ``lang``). Both read through
:mod:`alerts.search`; nothing here builds a query. A query that does not
parse is explained in the reader's language (``web.forms.query_error``,
the sign-up preview's words). "Subscribe" leads to the sign-up form with
the query filled in, so the subscription goes through the confirm flow.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from alerts.digest import snippet_parts
from alerts.labels import LABELS as MAIL_LABELS
from alerts.labels import Formatter, counted
from alerts.query import RuleError
from alerts.search import MAX_VERIFIED, explain_hit, search_archive
from web.forms import query_error
from web.labels import Labels, labels_for

if TYPE_CHECKING:
    from jinja2 import Environment

    from alerts.search import SearchResult
    from config import Config
    from store import Store

MAX_PAGE = 50
SHOWN_DAYS = 14
ZONES = ("title", "lede", "body", "caption", "source", "section")
SEARCH_LABELS: dict[str, Labels] = {
    "fr": {
        "search_title": "Rechercher dans les archives",
        "search_intro": "Cherchez parmi les articles déjà collectés, avec la même syntaxe que"
        " les règles de veille.",
        "search_label": "Requête",
        "search_button": "Rechercher",
        "search_nav": "Rechercher",
        "results_exact": "{n} article trouvé.|{n} articles trouvés.",
        "results_partial": "Au moins {n} article trouvé|Au moins {n} articles trouvés",
        "results_among": " parmi le plus récent qui contient les mots recherchés ({c} au"
        " total) ; les décomptes portent sur cet article.| parmi les {v} plus récents qui"
        " contiennent les mots recherchés ({c} au total) ; les décomptes portent sur ces {v}.",
        "results_scan": "Cette requête ne contient aucun mot que l’index peut chercher :"
        " seul l’article le plus récent a été lu.|Cette requête ne contient aucun mot que"
        " l’index peut chercher : seuls les {v} articles les plus récents ont été lus un à un.",
        "results_scan_found": " {n} trouvé.| {n} trouvés.",
        "results_stopped": "Recherche arrêtée après {v} article examiné : précisez la"
        " requête pour aller plus loin.|Recherche arrêtée après {v} articles examinés :"
        " précisez la requête pour aller plus loin.",
        "results_dispatches": " Une dépêche reprise par plusieurs sources est listée une fois,"
        " avec les autres sources : {d} dépêche.| Une dépêche reprise par plusieurs sources"
        " est listée une fois, avec les autres sources : {d} dépêches.",
        "results_none": "Aucun article ne correspond.",
        "unindexed": "{n} article pas encore indexé est lu un à un.|{n} articles pas encore"
        " indexés sont lus un à un.",
        "subscribe_search": "Recevoir ces articles par courriel",
        "subscribe_hint": "Vous confirmerez votre abonnement par un lien envoyé par courriel.",
        "facet_sources": "Par source",
        "facet_days": "Par jour",
        "facet_remove": "Retirer le filtre",
        "facets_note": "Décomptes sur les articles examinés.",
        "facets_unit": "Décomptes en articles : chaque source compte sa copie d’une dépêche.",
        "why_link": "Pourquoi ce résultat ?",
        "why_title": "Pourquoi cet article correspond",
        "why_matches": "L’article correspond à la requête.",
        "why_not": "L’article ne correspond pas à la requête.",
        "why_query": "Requête",
        "why_hits": "Occurrences par partie de l’article",
        "why_clauses": "Détail, condition par condition",
        "why_back": "Retour aux résultats",
        "why_open": "Lire l’article sur le site de la source",
        "why_missing": "Cet article n’est plus dans les archives.",
        "found": "trouvé",
        "more_than": "plus de {n}",
        "hits_count": "{n} occurrence|{n} occurrences",
        "absent": "absent",
        "more_hits": "et {n} autre|et {n} autres",
        "out_of_dates": "ne compte pas à la date de publication de l’article",
        "previous": "Page précédente",
        "next": "Page suivante",
        "page": "Page {n}",
        "kind_and": "ET : toutes ces conditions",
        "kind_or": "OU : au moins une de ces conditions",
        "kind_not": "SAUF : cette condition doit être absente",
        "kind_word": "mot",
        "kind_phrase": "expression",
        "kind_prefix": "début de mot",
        "kind_near": "mots proches",
        "kind_office": "fonction (selon les dates)",
        "kind_abbreviation": "sigle",
        "zone_title": "titre",
        "zone_lede": "chapô",
        "zone_body": "texte",
        "zone_caption": "légende",
        "zone_source": "source",
        "zone_section": "rubrique",
    },
    "en": {
        "search_title": "Search the archive",
        "search_intro": "Search the articles collected so far, with the same syntax as the"
        " watch rules.",
        "search_label": "Query",
        "search_button": "Search",
        "search_nav": "Search",
        "results_exact": "{n} article found.|{n} articles found.",
        "results_partial": "At least {n} article found|At least {n} articles found",
        "results_among": " among the newest that holds the words searched for ({c} in all);"
        " the counts cover that one.| among the {v} newest that hold the words searched for"
        " ({c} in all); the counts cover those {v}.",
        "results_scan": "This query holds no word the index can look up: only the newest"
        " article was read.|This query holds no word the index can look up: only the {v}"
        " newest articles were read one by one.",
        "results_scan_found": " {n} found.",
        "results_stopped": "Search stopped after {v} article examined: narrow the query to go"
        " further.|Search stopped after {v} articles examined: narrow the query to go further.",
        "results_dispatches": " A dispatch carried by several outlets is listed once, with the"
        " other outlets: {d} dispatch.| A dispatch carried by several outlets is listed once,"
        " with the other outlets: {d} dispatches.",
        "results_none": "No article matches.",
        "unindexed": "{n} article not indexed yet is read one by one.|{n} articles not indexed"
        " yet are read one by one.",
        "subscribe_search": "Get these articles by email",
        "subscribe_hint": "You will confirm the subscription from a link sent by email.",
        "facet_sources": "By source",
        "facet_days": "By day",
        "facet_remove": "Remove the filter",
        "facets_note": "Counts over the articles examined.",
        "facets_unit": "Counts in articles: each outlet counts its copy of a dispatch.",
        "why_link": "Why this result?",
        "why_title": "Why this article matches",
        "why_matches": "The article matches the query.",
        "why_not": "The article does not match the query.",
        "why_query": "Query",
        "why_hits": "Hits by part of the article",
        "why_clauses": "Clause by clause",
        "why_back": "Back to the results",
        "why_open": "Read the article on the source's site",
        "why_missing": "This article is no longer in the archive.",
        "found": "found",
        "more_than": "more than {n}",
        "hits_count": "{n} hit|{n} hits",
        "absent": "absent",
        "more_hits": "and {n} more",
        "out_of_dates": "does not count on the article's publication date",
        "previous": "Previous page",
        "next": "Next page",
        "page": "Page {n}",
        "kind_and": "AND: all of these",
        "kind_or": "OR: at least one of these",
        "kind_not": "NOT: this must be absent",
        "kind_word": "word",
        "kind_phrase": "phrase",
        "kind_prefix": "word start",
        "kind_near": "words near each other",
        "kind_office": "office (by dates)",
        "kind_abbreviation": "abbreviation",
        "zone_title": "title",
        "zone_lede": "lede",
        "zone_body": "body",
        "zone_caption": "caption",
        "zone_source": "source",
        "zone_section": "section",
    },
}


def _language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "fr"


def _labels(language: str) -> Labels:
    return {
        **labels_for(language),
        **SEARCH_LABELS[language],
        "also": MAIL_LABELS[language]["also"],
    }


def _int(value: str | None, default: int, highest: int) -> int:
    try:
        return min(max(1, int(value or default)), highest)
    except ValueError:
        return default


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class SearchPages:
    """The search handlers over the app's config, store and templates."""

    def __init__(self, config: Config, store: Store, templates: Environment) -> None:
        self.config = config
        self.store = store
        self.templates = templates

    def page(self, request: Request, name: str, language: str, **context: Any) -> Response:
        status = context.pop("status", 200)
        page = self.templates.get_template(f"{name}.html.j2").render(
            t=_labels(language),
            lang=language,
            path=request.url.path,
            # counted(label, n): the label's form for n ("1 occurrence", "2 occurrences")
            counted=lambda label, n, **values: counted(label, n, language, **values),
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def link(self, language: str, path: str = "/search", **params: Any) -> str:
        """A path with its query string (the language kept, empty values left out)."""
        kept = {k: v for k, v in params.items() if v not in (None, "", 1) or k == "q"}
        if language == "en":
            kept["lang"] = "en"
        return f"{path}?{urlencode(kept)}" if kept else path

    async def search(self, request: Request) -> Response:
        language = _language(request)
        labels = _labels(language)
        params = request.query_params
        query = params.get("q", "").strip()
        source = params.get("source") or None
        if source not in self.config.sources:  # a facet link names a configured outlet
            source = None
        day = _day(params.get("day"))
        page = _int(params.get("page"), 1, MAX_PAGE)
        context: dict[str, Any] = {"query": query, "error": None, "result": None}
        if query:
            problem = query_error(self.config, query, labels)
            if problem:
                context.update(error=problem, status=422)
            else:
                try:
                    result = await run_in_threadpool(
                        search_archive, self.store, self.config, query,
                        page=page, source=source, day=day,
                    )  # fmt: skip
                except RuleError as exc:  # a watchlist edited since the check above
                    context.update(error=str(exc), status=422)
                else:
                    context.update(self._results(result, language, source, day))
        return self.page(request, "search", language, **context)

    def _results(
        self, result: SearchResult, language: str, source: str | None, day: date | None
    ) -> dict[str, Any]:
        """What the results template shows: summary, hits, facets and page links."""
        config = self.config
        fmt = Formatter(language, config.timezone)
        labels = _labels(language)
        q = result.query

        def here(**change: Any) -> str:
            values = {"q": q, "source": source, "day": day and day.isoformat(), "page": 1}
            return self.link(language, **(values | change))

        hits = [
            {
                "title": hit.article.title,
                "url": _web_url(hit.article.url),
                "source": _source_name(config, hit.article.source),
                "published": fmt.published(hit.article),
                "parts": snippet_parts(hit.match.snippet),
                "why": self.link(language, f"/search/why/{hit.article.id}", q=q),
                "also": [
                    {"source": _source_name(config, a.source), "url": _web_url(a.url)}
                    for a in hit.also
                ],
            }
            for hit in result.hits
        ]
        sources = [
            {"name": _source_name(config, sid), "count": n, "href": here(source=sid),
             "active": sid == source}
            for sid, n in result.by_source
        ]  # fmt: skip
        days = [
            {"name": fmt.day_month(d), "iso": d.isoformat(), "count": n,
             "href": here(day=d.isoformat()), "active": d == day}
            for d, n in result.by_day[:SHOWN_DAYS]
        ]  # fmt: skip
        return {
            "result": result,
            "summary": _summary(result, labels, language),
            "hits": hits,
            "sources": sources,
            "days": days,
            "clear_source": here(source=None) if source else None,
            "clear_day": here(day=None) if day else None,
            "previous": here(page=result.page - 1) if result.page > 1 else None,
            "next": here(page=result.page + 1)
            if result.has_next and result.page < MAX_PAGE
            else None,
            "subscribe": self.link(language, "/", q=q),
        }

    async def why(self, request: Request) -> Response:
        language = _language(request)
        labels = _labels(language)
        query = request.query_params.get("q", "").strip()
        try:
            pk = int(request.path_params["pk"])
        except ValueError:
            pk = 0
        back = self.link(language, q=query)
        problem = query_error(self.config, query, labels) if query else labels["err_nothing"]
        if problem:
            return self.page(request, "search", language, query=query, error=problem,
                             result=None, status=422)  # fmt: skip
        explained = await run_in_threadpool(explain_hit, self.store, self.config, query, pk)
        if explained is None:
            return self.page(request, "search_why", language, query=query, back=back,
                             missing=True, status=404)  # fmt: skip
        fmt = Formatter(language, self.config.timezone)
        article = explained.article
        per_zone = {zone: 0 for zone in ZONES}
        for span in explained.match.spans if explained.match else ():
            per_zone[span.zone] += 1
        return self.page(
            request,
            "search_why",
            language,
            query=query,
            back=back,
            missing=False,
            article=article,
            article_url=_web_url(article.url),
            source=_source_name(self.config, article.source),
            published=fmt.published(article),
            matches=explained.matches,
            per_zone=[(zone, n) for zone, n in per_zone.items() if n],
            clauses=explained.clauses,
        )


def _web_url(url: str) -> str:
    """The article's link when it is http(s); "#" for anything else (a ``javascript:``
    URL stored from a hostile page must not become a link)."""
    return url if url.startswith(("https://", "http://")) else "#"


def _source_name(config: Config, source: str) -> str:
    return config.sources[source].name if source in config.sources else source


def _summary(result: SearchResult, labels: Labels, language: str) -> str:
    """What the counts count, each counted noun agreeing with its number; then how many
    dispatches the pages list when outlets carried the same one."""
    text = _found(result, labels, language)
    if result.found and result.dispatches < result.found:
        d = result.dispatches
        text += counted(labels["results_dispatches"], d, language, d=d)
    return text


def _found(result: SearchResult, labels: Labels, language: str) -> str:
    total = result.candidates or 0
    if result.more_candidates:
        total -= 1  # counting stopped one past the limit
    count = labels["more_than"].format(n=total) if result.more_candidates else str(total)
    n, v = result.found, result.verified
    if result.scanned and not result.complete:
        scan = counted(labels["results_scan"], v, language, v=v)
        return scan + counted(labels["results_scan_found"], n, language)
    if result.complete:
        return counted(labels["results_exact"], n, language) if n else labels["results_none"]
    if v >= MAX_VERIFIED and result.dispatches <= result.page * result.per_page:
        return counted(labels["results_stopped"], v, language, v=v)
    partial = counted(labels["results_partial"], n, language)
    return partial + counted(labels["results_among"], v, language, v=v, c=count)


def search_routes(config: Config, store: Store, templates: Environment) -> list[Route]:
    """The search pages' routes, for :func:`web.app.create_app`."""
    pages = SearchPages(config, store, templates)
    return [
        Route("/search", pages.search, methods=["GET"]),
        Route("/search/why/{pk}", pages.why, methods=["GET"]),
    ]
