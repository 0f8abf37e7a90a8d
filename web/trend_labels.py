"""The trends pages' words (French, the default, and English) and their paths.

French pages live under ``/tendances``, English ones under ``/trends``; the
path says the language, so a shared link opens in the language it was
copied in.
"""

from __future__ import annotations

from web.labels import Labels, labels_for

# path segments per language: the index, one entity, one rule, the compare view
PATHS: dict[str, dict[str, str]] = {
    "fr": {"root": "/tendances", "entity": "entite", "rule": "regle", "compare": "comparer"},
    "en": {"root": "/trends", "entity": "entity", "rule": "rule", "compare": "compare"},
}

TREND_LABELS: dict[str, Labels] = {
    "fr": {
        "trends_title": "Tendances",
        "trends_intro": "Combien d’articles citent chaque personnalité ou thème suivi, jour"
        " après jour, et ce qui est habituel.",
        "trends_nav": "Tendances",
        "empty_archive": "Les archives sont vides : aucun article n’a encore été collecté."
        " Les courbes apparaîtront après la première collecte.",
        "watchlist_none": "Aucune liste de veille n’est configurée.",
        "rules_title": "Règles (visibles des opérateurs seulement)",
        "last_days": "sur {d} jours",
        "window": "Période",
        "days_n": "{d} jours",
        "chart_caption": "Articles par jour du {start} au {end}, avec le niveau habituel"
        " (moyenne des 28 jours précédents).",
        "compare_caption": "Articles par jour du {start} au {end}.",
        "series_articles": "Articles par jour",
        "series_usual": "Niveau habituel (28 jours)",
        "usual_now": "Niveau habituel : {u} par jour.",
        "usual_unknown": "Niveau habituel : pas encore assez d’historique (7 jours au moins).",
        "archive_young": "Les archives commencent le {first} : la période affichée commence"
        " ce jour-là.",
        "no_articles": "Aucun article sur cette période.",
        "numbers": "Les chiffres, jour par jour",
        "col_day": "Jour",
        "col_articles": "Articles",
        "col_usual": "Habituel",
        "open_day": "Ouvrir la recherche pour ce jour",
        "top_sources": "Sources principales",
        "latest": "Derniers articles",
        "search_all": "Tous ces articles dans la recherche",
        "compare_title": "Comparer",
        "compare_intro": "Choisissez de 2 à 5 personnalités ou thèmes à voir sur une même courbe.",
        "compare_button": "Comparer",
        "compare_count": "Choisissez de 2 à 5 entrées à comparer.",
        "back": "Toutes les tendances",
        "not_found_title": "Introuvable",
        "not_found_body": "Cette personnalité ou cette règle n’est pas suivie (ou plus).",
        "article_one": "{n} article",
        "article_many": "{n} articles",
    },
    "en": {
        "trends_title": "Trends",
        "trends_intro": "How many articles name each watched person or topic, day after day,"
        " and what is usual.",
        "trends_nav": "Trends",
        "empty_archive": "The archive is empty: no article has been collected yet. The charts"
        " appear after the first crawl.",
        "watchlist_none": "No watchlist is configured.",
        "rules_title": "Rules (operators only)",
        "last_days": "over {d} days",
        "window": "Period",
        "days_n": "{d} days",
        "chart_caption": "Articles per day from {start} to {end}, with the usual level (mean of"
        " the previous 28 days).",
        "compare_caption": "Articles per day from {start} to {end}.",
        "series_articles": "Articles per day",
        "series_usual": "Usual level (28 days)",
        "usual_now": "Usual level: {u} a day.",
        "usual_unknown": "Usual level: not enough history yet (at least 7 days).",
        "archive_young": "The archive starts on {first}: the period shown starts that day.",
        "no_articles": "No article in this period.",
        "numbers": "The numbers, day by day",
        "col_day": "Day",
        "col_articles": "Articles",
        "col_usual": "Usual",
        "open_day": "Open the search for this day",
        "top_sources": "Main sources",
        "latest": "Latest articles",
        "search_all": "All these articles in the search",
        "compare_title": "Compare",
        "compare_intro": "Pick 2 to 5 people or topics to see on one chart.",
        "compare_button": "Compare",
        "compare_count": "Pick 2 to 5 entries to compare.",
        "back": "All trends",
        "not_found_title": "Not found",
        "not_found_body": "This person or rule is not watched (or no longer).",
        "article_one": "{n} article",
        "article_many": "{n} articles",
    },
}


def trend_labels(language: str) -> Labels:
    return {**labels_for(language), **TREND_LABELS[language]}


def articles_text(labels: Labels, language: str, n: int) -> str:
    """ "1 article", "0 article" in French, "0 articles" in English, "12 articles"."""
    singular = n == 1 or (language == "fr" and n == 0)
    return labels["article_one" if singular else "article_many"].format(n=n)
