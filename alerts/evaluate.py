"""Term verification on one article (matcher stage).

Contract: :class:`ArticleView` tokenizes an article's own fields once
(title, lede = summary, body, captions joined by newlines, plus source and
section for the ``source:``/``section:`` fields); :meth:`ArticleView.hits`
returns where a :class:`alerts.query.Term` occurs, as original-text spans;
:func:`evaluate` decides a rule tree. Results per term are cached for the
article, so terms shared by many rules are looked up once.

Glued words (docs/rules.md, "Glued words"): a phrase of two or more words is
searched in the zone's *stream*, its folded words joined with no space. An
occurrence counts when no word boundary of the article falls inside a word
of the phrase, and at most ONE of its joints is glued: its start, its end,
or the joint between two of its words. The defect glues text at one place
every 61-72 characters, so a name is glued at most once; two glue points
are what an accidental substring looks like. So "Nguyen Phu Tronga insisté",
"étrangèresWang Yi", "leministre des Affaires étrangères" and
"Affairesétrangères" match, while a single word never matches inside
another ("Chine" is not in "machine") and "Tô Lâm" is not found in
"photo lampe" (glued at both ends).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING

from alerts.query import All, AnyOf, Node, Not, Term
from alerts.text import char_map, fold_cased, scan_spans, scan_words

if TYPE_CHECKING:
    from store.records import Article

ZONE_ORDER = ("title", "lede", "body", "caption", "source", "section")


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence: ``zone`` text ``[start:end]``; ``first`` is its first word position."""

    zone: str
    start: int
    end: int
    first: int


class ZoneText:
    """One zone's text, its words and their spans, a word index, the glued stream."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = scan_words(text)
        self.vocabulary = set(self.words)
        self._index: dict[str, list[int]] = {}
        self._spans: list[tuple[int, int]] | None = None
        self._starts: list[int] | None = None
        self._sorted: list[str] | None = None
        self._stream = ""
        self._bounds: set[int] = set()

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Each word's (start, end) in the text; only zones with a hit need them."""
        if self._spans is None:
            self._spans = scan_spans(self.text, self.words)
        return self._spans

    def positions(self, word: str) -> list[int]:
        """The word's positions in the zone, found on first use (most zones never need them)."""
        found = self._index.get(word)
        if found is None:
            found = []
            if word in self.vocabulary:
                words, at = self.words, -1
                try:
                    while True:  # list.index runs in C: cheaper than indexing every word
                        at = words.index(word, at + 1)
                        found.append(at)
                except ValueError:
                    pass
            self._index[word] = found
        return found

    def stream(self) -> tuple[str, list[int], set[int]]:
        """Folded words joined with no space, each word's offset in it, the boundaries."""
        if self._starts is None:
            bounds = list(accumulate(map(len, self.words), initial=0))
            self._starts, self._stream = bounds[:-1], "".join(self.words)
            self._bounds = set(bounds)
        return self._stream, self._starts, self._bounds

    def original(self, offset: int, *, end: bool) -> int:
        """Map a stream offset to the original text (``end``: an exclusive end)."""
        _, starts, bounds = self.stream()
        i = bisect_right(starts, offset) - 1
        if offset in bounds:
            if end:
                return self.spans[i - 1][1] if offset == starts[i] else self.spans[i][1]
            return self.spans[i][0]
        start, stop = self.spans[i]
        within = offset - starts[i]
        mapping = char_map(self.text[start:stop])
        return start + (mapping[within] if within < len(mapping) else within)

    def sorted_words(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.vocabulary)
        return self._sorted

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.spans[first][0], self.spans[last][1]


def zone_text(article: Article, zone: str) -> str:
    """The text of one zone of ``article``: what a match's span offsets point into."""
    if zone == "caption":
        return "\n".join(article.captions)
    texts = {
        "title": article.title,
        "lede": article.summary,
        "body": article.body,
        "source": article.source,
        "section": article.section or "",
    }
    return texts.get(zone, "")


class ArticleView:
    """The zones of one article, tokenized once, with a per-term cache."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self.published: date = article.published_at.date()
        self.zones: dict[str, ZoneText] = {
            zone: ZoneText(zone_text(article, zone)) for zone in ZONE_ORDER
        }
        self._cache: dict[Term, list[Hit]] = {}
        self._found: dict[Term, bool] = {}
        self._vocabulary: set[str] | None = None
        self._streams = ""
        self._spaced: str | None = None

    def vocabulary(self) -> set[str]:
        """Every distinct folded word of the article (the presearch keys)."""
        if self._vocabulary is None:
            self._vocabulary = set()
            for zone in self.zones.values():
                self._vocabulary.update(zone.vocabulary)
        return self._vocabulary

    def streams(self) -> str:
        """Every zone's glued stream, one after the other: a phrase absent here is nowhere."""
        if not self._streams:
            self._streams = "\x00".join("".join(zone.words) for zone in self.zones.values())
        return self._streams

    def spaced(self) -> str:
        """Every zone's folded words joined by spaces, zones apart, a space at both ends."""
        if self._spaced is None:
            joined = " \x00 ".join(" ".join(zone.words) for zone in self.zones.values())
            self._spaced = f" {joined} "
        return self._spaced

    def in_dates(self, term: Term) -> bool:
        if term.since and self.published < term.since:
            return False
        return not (term.until and self.published > term.until)

    def hits(self, term: Term) -> list[Hit]:
        cached = self._cache.get(term)
        if cached is None:
            cached = self._find(term) if self._possible(term) else []
            self._cache[term] = cached
        return cached

    def has(self, term: Term) -> bool:
        """Whether the term occurs: :meth:`hits` without the original offsets.

        Words, phrases and prefixes are decided on the folded words and the
        glued stream, so a zone's text is mapped back to offsets only when a
        match needs its evidence.
        """
        found = self._found.get(term)
        if found is None:
            hits = self._cache.get(term)
            if hits is not None:
                found = bool(hits)
            elif not self._possible(term):
                found = False
            elif term.cased or term.kind == "near":
                found = bool(self.hits(term))
            else:
                found = any(_zone_has(term, self.zones[name]) for name in _ordered(term.fields))
            self._found[term] = found
        return found

    def _possible(self, term: Term) -> bool:
        """Cheap article-wide tests: the dates of an office, the words, the glued phrase."""
        if (term.since or term.until) and not self.in_dates(term):
            return False
        if term.kind == "word":
            return term.words[0] in self.vocabulary()
        if term.kind == "phrase":
            words = term.words
            if len(words) == 2 and two_word_forms(*words).isdisjoint(self.vocabulary()):
                return False
            return glued_form(words)[0] in self.streams()
        return True

    def _find(self, term: Term) -> list[Hit]:
        found: list[Hit] = []
        for name in _ordered(term.fields):
            zone = self.zones[name]
            if zone.words and _may_hold(term, zone):
                found.extend(_zone_hits(term, name, zone))
        if term.cased:
            found = [hit for hit in found if _same_case(self.zones[hit.zone].text, hit, term)]
        return found


@lru_cache(maxsize=64)
def _ordered(fields: frozenset[str]) -> tuple[str, ...]:
    return tuple(name for name in ZONE_ORDER if name in fields)


def _may_hold(term: Term, zone: ZoneText) -> bool:
    """A cheap test that rules out most zones before the real search."""
    if term.kind == "word":
        return term.words[0] in zone.vocabulary
    if term.kind == "phrase":
        return glued_form(term.words)[0] in zone.stream()[0]
    if term.kind == "near":
        return all(word in zone.vocabulary for word in term.words)
    return True


@lru_cache(maxsize=100_000)
def two_word_forms(first: str, second: str) -> frozenset[str]:
    """Article words of which an occurrence of the phrase needs one (see alerts.presearch):
    one of its words stands whole, or both are glued into one word."""
    return frozenset([first, second, first + second])


@lru_cache(maxsize=100_000)
def glued_form(words: tuple[str, ...]) -> tuple[str, tuple[int, ...]]:
    """A phrase's words glued together, and where each word starts in it (plus the end)."""
    offsets = [0]
    for word in words:
        offsets.append(offsets[-1] + len(word))
    return "".join(words), tuple(offsets)


def _same_case(text: str, hit: Hit, term: Term) -> bool:
    wanted = "".join(ch for ch in term.cased if ch.isalnum())
    return "".join(ch for ch in fold_cased(text[hit.start : hit.end]) if ch.isalnum()) == wanted


def _zone_hits(term: Term, name: str, zone: ZoneText) -> list[Hit]:
    if term.kind == "word":
        positions = zone.positions(term.words[0])
        if not positions:
            return []
        spans = zone.spans
        return [Hit(name, spans[i][0], spans[i][1], i) for i in positions]
    if term.kind == "prefix":
        return _prefix_hits(term.words[0], name, zone)
    if term.kind == "phrase":
        return list(_phrase_hits(term.words, name, zone))
    return list(_near_hits(term, name, zone))


def _prefix_hits(stem: str, name: str, zone: ZoneText) -> list[Hit]:
    """Words starting with ``stem``: a range of the zone's sorted vocabulary."""
    vocabulary = zone.sorted_words()
    found: list[Hit] = []
    at = bisect_left(vocabulary, stem)
    while at < len(vocabulary) and vocabulary[at].startswith(stem):
        found.extend(Hit(name, *zone.span(i, i), i) for i in zone.positions(vocabulary[at]))
        at += 1
    return sorted(found, key=lambda hit: hit.first)


def _zone_has(term: Term, zone: ZoneText) -> bool:
    """Whether a word, phrase or prefix occurs in the zone (no offsets needed)."""
    if not zone.words:
        return False
    if term.kind == "word":
        return term.words[0] in zone.vocabulary
    if term.kind == "prefix":
        vocabulary = zone.sorted_words()
        at = bisect_left(vocabulary, term.words[0])
        return at < len(vocabulary) and vocabulary[at].startswith(term.words[0])
    stream, starts, bounds = zone.stream()
    glued, offsets = glued_form(term.words)
    at = stream.find(glued)
    while at != -1:
        if _accepted(at, offsets, starts, bounds):
            return True
        at = stream.find(glued, at + 1)
    return False


def _phrase_hits(words: tuple[str, ...], name: str, zone: ZoneText) -> Iterator[Hit]:
    stream, starts, bounds = zone.stream()
    glued, offsets = glued_form(words)
    at = stream.find(glued)
    while at != -1:
        if _accepted(at, offsets, starts, bounds):
            start = zone.original(at, end=False)
            end = zone.original(at + offsets[-1], end=True)
            yield Hit(name, start, end, bisect_right(starts, at) - 1)
        at = stream.find(glued, at + 1)


def _accepted(at: int, offsets: tuple[int, ...], starts: list[int], bounds: set[int]) -> bool:
    """The glued-words rule of the module doc, for one occurrence at stream offset ``at``."""
    end = at + offsets[-1]
    joints = {at + offset for offset in offsets}
    i = bisect_right(starts, at)
    while i < len(starts) and starts[i] < end:
        if starts[i] not in joints:
            return False  # an article word boundary inside a word of the phrase
        i += 1
    glued = sum(joint not in bounds for joint in joints)
    return glued <= 1


def _near_hits(term: Term, name: str, zone: ZoneText) -> Iterator[Hit]:
    """Every word of the term within ``slop`` extra words of each other, any order."""
    wanted = list(dict.fromkeys(term.words))
    events = sorted(
        (position, k) for k, word in enumerate(wanted) for position in zone.positions(word)
    )
    counts = [0] * len(wanted)
    missing, left = len(wanted), 0
    for position, k in events:
        missing -= counts[k] == 0
        counts[k] += 1
        while missing == 0:
            first = events[left][0]
            if position - first - (len(wanted) - 1) <= term.slop:
                yield Hit(name, *zone.span(first, position), first)
            k_left = events[left][1]
            counts[k_left] -= 1
            missing += counts[k_left] == 0
            left += 1


def evaluate(node: Node, view: ArticleView) -> bool:
    """Whether the rule tree matches the article."""
    if isinstance(node, Term):
        return view.has(node)
    if isinstance(node, Not):
        return not evaluate(node.child, view)
    if isinstance(node, All):
        return all(evaluate(child, view) for child in node.children)
    assert isinstance(node, AnyOf)
    return any(evaluate(child, view) for child in node.children)
