"""Near-duplicates: the same VNA dispatch republished by two outlets is one story.

Pure. Two articles of *different* outlets are the same dispatch when the
store already gave them the same ``story_key``, when their normalised titles
are equal, or when the Jaccard similarity of their word 3-shingles (title and
the start of the body, accents and case folded) reaches :data:`THRESHOLD`.
Edits between outlets (a headline reworded, a paragraph cut) stay above it;
two different stories on the same subject stay well below.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from store.records import Article

THRESHOLD = 0.5
SHINGLE = 3
BODY_WORDS = 150
_WORD = re.compile(r"\w+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff]")


def normalise(text: str) -> list[str]:
    """Lower-case words without diacritics (đ -> d), for comparison only."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return _WORD.findall(_COMBINING.sub("", folded).casefold())


def shingles(article: Article) -> frozenset[tuple[str, ...]]:
    """Word 3-shingles of the title and the first words of the body."""
    words = normalise(article.title) + body_start(article.body)
    if len(words) < SHINGLE:
        return frozenset({tuple(words)})
    return frozenset(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def body_start(body: str) -> list[str]:
    """``normalise(body)[:BODY_WORDS]`` without normalising all of a long body: a prefix
    holding more than BODY_WORDS words gives the same first words (a word cut at the
    prefix's end lies past them); a shorter one falls back to the whole body."""
    words = normalise(body[: BODY_WORDS * 12])
    if len(words) > BODY_WORDS:
        return words[:BODY_WORDS]
    return normalise(body)[:BODY_WORDS]


def jaccard(left: frozenset[tuple[str, ...]], right: frozenset[tuple[str, ...]]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate detection compares, computed once per article."""

    source: str
    story_key: str | None
    title: tuple[str, ...]
    shingles: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, article: Article) -> Fingerprint:
        return cls(
            article.source, article.story_key, tuple(normalise(article.title)), shingles(article)
        )


@lru_cache(maxsize=16384)
def fingerprint(article: Article) -> Fingerprint:
    """Fingerprints are cached: one article appears in many subscribers' digests."""
    return Fingerprint.of(article)


def is_same_dispatch(left: Fingerprint, right: Fingerprint) -> bool:
    """Whether two articles of different outlets carry the same dispatch."""
    if left.source == right.source:
        return False
    if left.story_key and left.story_key == right.story_key:
        return True
    if left.title and left.title == right.title:
        return True
    return jaccard(left.shingles, right.shingles) >= THRESHOLD


def cluster_duplicates(articles: Sequence[Article]) -> list[list[Article]]:
    """Articles grouped into dispatches; each group keeps the input order (first = primary).

    At most one article per outlet joins a group, so two genuinely distinct
    articles of one outlet are never merged. An inverted index from shingles
    to groups counts the shingles an article shares with each group's first
    article, so only groups that can reach the threshold are looked at.
    """
    groups = _clusters(tuple(fingerprint(article) for article in articles))
    return [[articles[i] for i in group] for group in groups]


@lru_cache(maxsize=4096)
def _clusters(prints: tuple[Fingerprint, ...]) -> tuple[tuple[int, ...], ...]:
    """The groups as positions; cached, since subscribers with the same rules and
    window get the same articles in the same order."""
    clusters: list[list[int]] = []
    by_key: dict[object, int] = {}
    by_shingle: dict[tuple[str, ...], list[int]] = {}
    for i, current in enumerate(prints):
        home = _find_home(current, prints, clusters, by_key, by_shingle)
        if home is None:
            home = len(clusters)
            clusters.append([])
            for key in (("title", current.title), ("story", current.story_key)):
                if key[1]:
                    by_key.setdefault(key, home)
            for shingle in current.shingles:
                by_shingle.setdefault(shingle, []).append(home)
        clusters[home].append(i)
    return tuple(tuple(cluster) for cluster in clusters)


def _find_home(
    fingerprint: Fingerprint,
    prints: Sequence[Fingerprint],
    clusters: list[list[int]],
    by_key: dict[object, int],
    by_shingle: dict[tuple[str, ...], list[int]],
) -> int | None:
    """The first group this article joins, or None."""
    # counted in C: with sentences common to many articles a shingle names many groups
    shared = Counter(chain.from_iterable(by_shingle.get(s, ()) for s in fingerprint.shingles))
    size = len(fingerprint.shingles)
    candidates = {
        c
        for c, common in shared.items()
        if common / (size + len(prints[clusters[c][0]].shingles) - common) >= THRESHOLD
    }
    for key in (("title", fingerprint.title), ("story", fingerprint.story_key)):
        if key[1] and key in by_key:
            candidates.add(by_key[key])
    for c in sorted(candidates):
        if fingerprint.source not in {prints[j].source for j in clusters[c]} and is_same_dispatch(
            prints[clusters[c][0]], fingerprint
        ):
            return c
    return None
