"""A generated archive for the rising-names tests: a planted new name, a planted
unlisted spelling of a watched leader, watched names on the rise, a steady
unwatched name, and the capitalised words that are not names."""

from __future__ import annotations

from datetime import datetime, timedelta

from store import Store
from store.records import Article

NEW_NAME = "Nguyễn Văn Thắng"
NEW_NAME_ASCII = "Nguyen Van Thang"
# config.yaml (shipped) lists Lương Cường with [Luong Cuong, Luong Cường]; Xi Jinping with
# [Tập Cận Bình]: "Lương Cuong" folds like a listed spelling, "Xi Jin-ping" does not
FOLDED_ALIAS = "Lương Cuong"
MISSED_ALIAS = "Xi Jin-ping"
STEADY_NAME = "Hun Manet"
# sentences full of capitalised words that are no names
NOT_NAMES = [
    "Selon Le Courrier du Vietnam, la séance a duré trois heures.",
    "Le Premier ministre a présidé la réunion. Lundi Matin, les délégués sont partis.",
    "Photo : Hoàng Hiếu/VNA",
    "Le Vietnam Illustré consacre un dossier à la région.",
    "Dans Le Vietnam, Politique Et Société occupent les pages.",
    "Hanoï, 12 Décembre (VNA) – Les échanges avec la Chine progressent.",
]


def _article(n: int, published: datetime, title: str, body: str) -> Article:
    return Article(
        source="lecourrier",
        article_id=str(n),
        url=f"https://lecourrier.vn/noms/{n}.html",
        title=title,
        summary="Hanoï (VNA) – Une journée de travail.",
        body=body,
        published_at=published,
        content_hash=f"noms-{n}",
    )


def archive(now: datetime) -> list[Article]:
    """About sixty articles over the 35 days before ``now``; the window is 7 days."""
    day = timedelta(days=1)
    articles: list[Article] = []

    def add(days_ago: float, title: str, body: str) -> None:
        published = now - days_ago * day
        articles.append(_article(len(articles) + 1, published, title, body))

    for d in range(8, 35):  # the baseline: a steady name, a few watched ones
        add(d, f"{STEADY_NAME} reçoit une délégation", f"{STEADY_NAME} a salué les progrès.")
        if d % 9 == 0:
            add(d + 0.5, "Tô Lâm en visite", "Le secrétaire général Tô Lâm a visité la province.")
    for d in range(1, 7):  # the window
        add(d, f"{STEADY_NAME} au forum", f"{STEADY_NAME} a pris la parole. " + " ".join(NOT_NAMES))
        add(d + 0.2, "Tô Lâm reçoit des entrepreneurs", "Tô Lâm et To Lam. " + " ".join(NOT_NAMES))
        name = NEW_NAME if d % 2 else NEW_NAME_ASCII
        add(
            d + 0.4,
            f"Le nouveau vice-ministre {name} en mission (#{d})",
            f"Le vice-ministre {name} a rencontré les entreprises. {NOT_NAMES[d % len(NOT_NAMES)]}",
        )
    add(0.5, "Un défaut de collage", f"{NEW_NAME_ASCII}a insisté sur la formation.")
    add(0.6, "Le président en visite", f"Le président {FOLDED_ALIAS} a reçu {MISSED_ALIAS}.")
    add(0.7, "Rencontre au sommet", f"Le président chinois {MISSED_ALIAS} a salué la visite.")
    return articles


def seed(store: Store, now: datetime) -> list[Article]:
    items = archive(now)
    for item in items:
        store.save_article(item, now)
    return items
