"""Labels and formatting of the digest and alert emails, per subscriber language.

French by default, English with ``language: en``; dates in the subscriber's
zone with Babel. Pure: no I/O, ``now`` never read. The two values it formats
for ``alerts.digest``, a :class:`Window` and a :class:`SourceHealth` line,
are defined here so that the digest imports the labels and not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.core import Locale, get_global
from babel.dates import format_date, format_datetime, format_skeleton, get_timezone_location

if TYPE_CHECKING:
    from store.records import Article


@dataclass(frozen=True)
class Window:
    """Publication-time window ``[start, end)`` (aware UTC) shown in ``timezone``."""

    start: datetime
    end: datetime
    timezone: str


@dataclass(frozen=True)
class SourceHealth:
    """One outlet's line in the footer."""

    name: str
    ok: bool
    since: datetime | None = None
    never: bool = False


HANOI_ZONES = {"Asia/Ho_Chi_Minh", "Asia/Saigon"}

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        # French typography: a no-break space before ":" and inside « »
        "colon": "\u00a0:",
        "hit_open": "«\u00a0",
        "hit_close": "\u00a0»",
        "articles_one": "1 article",
        "articles_many": "{n} articles",
        "articles_none": "aucun article",
        "alert": "Alerte",
        "window": "du {start} au {end}, heure de {city}",
        "window_utc": "du {start} au {end} ({zone})",
        "hanoi": "Hanoï",
        "late": "arrivé en retard",
        "also": "aussi dans",
        "rules": "Règles",
        "alias": "terme trouvé",
        "aliases": "termes trouvés",
        "section": "rubrique",
        "empty": "Aucun nouvel article ne correspond à vos règles pour cette période.",
        "greeting": "Bonjour {name},",
        "intro_digest": "Voici les articles des agences VNA publiés {window}.",
        "intro_digest_html": "Voici les articles qui correspondent à vos règles de veille.",
        "intro_alert": "De nouveaux articles correspondent à vos règles de veille.",
        "sources": "Sources",
        "ok": "OK",
        "degraded": "en difficulté depuis le {since}",
        "degraded_unknown": "en difficulté",
        "never": "pas encore collectée",
        "why": "Vous recevez ce message car vous êtes abonné·e à la veille VNA.",
        "unsubscribe": "Se désabonner",
        "manage": "Gérer mon abonnement",
        "late_note": "publié avant cette période, trouvé après le précédent envoi",
        "feed": "Flux",
        "feed_title": "{brand} — {name}",
        "feed_mine": "mes articles",
        "read": "Lire l’article",
        "browser": "Voir dans le navigateur",
    },
    "en": {
        "colon": ":",
        "hit_open": "«",
        "hit_close": "»",
        "articles_one": "1 article",
        "articles_many": "{n} articles",
        "articles_none": "no articles",
        "alert": "Alert",
        "window": "from {start} to {end}, {city} time",
        "window_utc": "from {start} to {end} ({zone})",
        "hanoi": "Hanoi",
        "late": "found late",
        "also": "also in",
        "rules": "Rules",
        "alias": "matched term",
        "aliases": "matched terms",
        "section": "section",
        "empty": "No new article matched your rules in this period.",
        "greeting": "Hello {name},",
        "intro_digest": "Here are the VNA articles published {window}.",
        "intro_digest_html": "Here are the articles matching your watch rules.",
        "intro_alert": "New articles match your watch rules.",
        "sources": "Sources",
        "ok": "OK",
        "degraded": "degraded since {since}",
        "degraded_unknown": "degraded",
        "never": "not crawled yet",
        "why": "You receive this message because you subscribed to the VNA watch.",
        "unsubscribe": "Unsubscribe",
        "manage": "Manage my subscription",
        "late_note": "published before this period, found after the previous digest",
        "feed": "Feed",
        "feed_title": "{brand} — {name}",
        "feed_mine": "my articles",
        "read": "Read the article",
        "browser": "View in a browser",
    },
}


def counted(label: str, n: int, locale: str, **values: object) -> str:
    """A label holding a count, in the number the count asks for.

    ``label`` is ``"one|other"``: ``"{n} article trouvé|{n} articles trouvés"``;
    Babel's CLDR rule picks the form (French takes the singular for 0 and 1,
    English for 1 only). A label without "|" is the same in both numbers.
    """
    one, bar, other = label.partition("|")
    form = _plural_form(locale if locale in LABELS else "fr", n)
    return (one if form == "one" or not bar else other).format(n=n, **values)


@lru_cache(maxsize=64)
def _plural_form(locale: str, n: int) -> str:
    return str(Locale.parse(locale).plural_form(n))


class Formatter:
    """Dates and counts in the subscriber's language and time zone (Babel)."""

    def __init__(self, language: str, timezone: str) -> None:
        self.locale = language if language in LABELS else "fr"
        self.labels = LABELS[self.locale]
        self.zone = ZoneInfo(timezone)
        self.timezone = timezone

    def when(self, moment: datetime) -> str:
        """ "21 nov. 2026, 14:30" in the reader's zone."""
        return _formatted(moment, "d MMM y, HH:mm", self.timezone, self.locale)

    def published(self, article: Article) -> str:
        """ "21 nov. 2026, 14:30" in the reader's zone; "4 déc. 2026" for a day alone."""
        local = article.published_local(self.zone)
        if isinstance(local, datetime):
            return self.when(local)
        return format_date(local, "d MMM y", locale=self.locale)

    def short(self, moment: datetime) -> str:
        """ "21 nov. 07:00" (window bounds)."""
        return _formatted(moment, "d MMM HH:mm", self.timezone, self.locale)

    def day_month(self, day: date) -> str:
        """ "4 déc." (a chart's axis)."""
        return format_skeleton("MMMd", day, locale=self.locale)  # the locale's own order

    def day(self, moment: datetime) -> str:
        """ "22 novembre 2026"."""
        return format_date(moment.astimezone(self.zone).date(), "d MMMM y", locale=self.locale)

    def city(self) -> str:
        """The city naming the reader's zone: Babel's localised name, except that
        an alias (America/Montreal -> Toronto in CLDR) keeps its own city."""
        if self.timezone in HANOI_ZONES:
            return self.labels["hanoi"]
        if self.timezone in get_global("zone_aliases"):
            return self.timezone.rsplit("/", 1)[-1].replace("_", " ")
        return str(get_timezone_location(self.zone, locale=self.locale, return_city=True))

    def window(self, window: Window) -> str:
        if self.timezone == "UTC" or self.timezone.startswith("Etc/"):
            return self.labels["window_utc"].format(
                start=self.short(window.start), end=self.short(window.end), zone=self.city()
            )
        return self.labels["window"].format(
            start=self.short(window.start), end=self.short(window.end), city=self.city()
        )

    def count(self, n: int) -> str:
        if n == 0:
            return self.labels["articles_none"]
        return self.labels["articles_one" if n == 1 else "articles_many"].format(n=n)

    def headline_count(self, n: int) -> str:
        text = self.count(n)
        return text[:1].upper() + text[1:]

    def health(self, line: SourceHealth) -> str:
        """ "VietnamPlus OK", "Le Courrier du Vietnam en difficulté depuis le 20 nov. 14:00"."""
        return f"{line.name}\u00a0{self.health_state(line)}"

    def health_state(self, line: SourceHealth) -> str:
        if line.ok:
            state = self.labels["ok"]
        elif line.never:
            state = self.labels["never"]
        elif line.since is not None:
            state = self.labels["degraded"].format(since=self.short(line.since))
        else:
            state = self.labels["degraded_unknown"]
        return state


@lru_cache(maxsize=8192)
def _formatted(moment: datetime, pattern: str, timezone: str, locale: str) -> str:
    """Babel's formatting, cached: a run writes each article's date in every digest it is in."""
    return format_datetime(moment, pattern, tzinfo=ZoneInfo(timezone), locale=locale)
