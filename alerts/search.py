"""Search the stored archive in the rule language (the search stage).

Contract: :func:`search_archive` parses a query as a rule (watchlists and
entities from config), asks the store for candidates newest first, verifies
them with the matcher and returns one page of hits, each with the matcher's
evidence, plus counts per outlet and per day. One dispatch carried by several
outlets is one hit, its other copies in ``SearchHit.also`` (as in digests:
:func:`alerts.dedupe.cluster_duplicates`); pages count dispatches, the
counts (``found``, per outlet, per day) count articles. :func:`explain_hit` says why
one stored article matches (the "why" page). :func:`index_pending` keeps
the store's search index (each article's folded words) up to date.

Soundness: the candidates are the articles whose words satisfy
:func:`word_filter`, a boolean tree of words required by the query, built
from the presearch keys (:func:`alerts.presearch.required_keys`), plus every
article not indexed yet. An article matching the query satisfies the filter,
so the filter never loses a match; the matcher then decides exactly.

Bounds: counts come from the candidates verified, at least
:data:`FACET_CAP` of the newest (all when fewer); when more remain, the
result says the counts are partial. A query with no word to look up (``a OR
NOT b``, a word in another script) reads the newest :data:`SCAN_CAP`
articles and says so; one whose candidates rarely match stops after
:data:`MAX_VERIFIED`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from alerts.dedupe import cluster_duplicates
from alerts.evaluate import ArticleView, evaluate
from alerts.explain import Clause, clause_tree
from alerts.matcher import Matcher, build_match, compile_rules
from alerts.presearch import Key, key_cost, required_keys
from alerts.query import All, AnyOf, Node, Not, Term
from config import Config, Rule
from store.records import Article, Match
from store.search import (
    MAX_INDEXED_WORD,
    SearchScope,
    WordFilter,
    WordsAll,
    WordsAny,
    WordTest,
    is_indexable,
)

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)
SEARCH_RULE_ID = "search"
TITLE_ONLY = frozenset(["title"])
PER_PAGE = 20
# verifying a candidate costs about a millisecond (the matcher tokenizes the whole
# article), so the counts come from a bounded number of the newest candidates
FACET_CAP = 60  # candidates verified at least, newest first, for the counts
MAX_VERIFIED = 1000  # a deep page, or a query matching few candidates, stops here
SCAN_CAP = 300  # newest articles read when the query has no word to look up
# title words are indexed twice: as themselves and behind this mark, so that a
# title: term looks up title words only ("0t" starts no folded word of French text;
# a collision would only add a candidate, which verification drops)
TITLE_MARK = "0t"
VERIFY_BATCH = 30
FETCH = 150  # candidate ids asked of the database at a time
INDEX_BATCH = 500  # articles read and indexed per transaction
# a search indexes at most this many pending articles first (about 0.15 s); the rest,
# after an upgrade or a large crawl, are verified as candidates until the match job
# has indexed them
SEARCH_INDEXES = 100


@dataclass(frozen=True)
class SearchHit:
    """One stored article the query matches, with the matcher's evidence."""

    article: Article
    match: Match
    # the same dispatch carried by other outlets ("aussi dans …", as in digests)
    also: tuple[Article, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """One page of a search and the counts over the candidates verified."""

    query: str
    page: int
    per_page: int
    hits: list[SearchHit] = field(default_factory=list)
    found: int = 0  # matching articles among the candidates verified (each outlet's copy)
    dispatches: int = 0  # the same, one per dispatch: what the pages list
    verified: int = 0
    candidates: int | None = None  # articles the index gave; None: nothing to look up
    more_candidates: bool = False  # more than ``candidates`` (counting stopped there)
    complete: bool = True  # every candidate verified: ``found`` is the exact total
    has_next: bool = False
    by_source: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[tuple[date, int]] = field(default_factory=list)
    unindexed: int = 0
    seconds: float = 0.0

    @property
    def scanned(self) -> bool:
        """The query named no word the index can look up: articles were read in turn."""
        return self.candidates is None


def compile_query(config: Config, query: str) -> Matcher:
    """The query as a one-rule matcher; raises RuleSyntaxError or RuleRefusedError."""
    rule = Rule(id=SEARCH_RULE_ID, name="search", query=query)
    return compile_rules([rule], config.watchlists)


def _cost(key: Key) -> float:
    # a word ending with a stem ("s") cannot be looked up in either index
    return math.inf if key[0] == "s" else key_cost(key)


def word_filter(node: Node) -> WordFilter | None:
    """Words every article matching ``node`` holds; None when nothing can be required.

    A term takes the presearch keys of its cheapest option; an AND requires
    every child that requires something (the database intersects them), an
    OR requires one of its children, a NOT nothing.
    """
    if isinstance(node, Term):
        mark = TITLE_MARK if node.fields == TITLE_ONLY else ""
        if node.kind == "near":  # every word must be there, near each other
            words = [_word(mark + word) for word in dict.fromkeys(node.words)]
            return _all([word for word in words if word is not None])
        keys = required_keys(node, _cost)
        return _any([_key_filter(key, mark) for key in keys]) if keys else None
    if isinstance(node, Not):
        return None
    children = [word_filter(child) for child in node.children]
    if isinstance(node, All):
        return _all([child for child in children if child is not None])
    assert isinstance(node, AnyOf)
    return _any(children)


def _all(parts: Sequence[WordFilter]) -> WordFilter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else WordsAll(tuple(parts))


def _any(parts: Sequence[WordFilter | None]) -> WordFilter | None:
    if not parts or any(part is None for part in parts):
        return None
    kept = tuple(dict.fromkeys(part for part in parts if part is not None))
    return kept[0] if len(kept) == 1 else WordsAny(kept)


def _word(word: str, *, prefix: bool = False) -> WordFilter | None:
    return WordTest(word, prefix) if is_indexable(word) else None


def _key_filter(key: Key, mark: str) -> WordFilter | None:
    """One presearch key as index words (see alerts.presearch for the kinds), each
    behind ``mark`` (a zone's mark, or none)."""
    kind, value = key
    if kind in "wg":
        return _word(mark + value)
    if kind in "pe":
        return _word(mark + value, prefix=True)
    if kind == "s":
        return None
    anchor, neighbour = value.split("\t")
    words = [_word(mark + word) for word in anchor.split(" ")]
    if kind == "f":  # the word after the anchor starts with the neighbour
        words.append(_word(mark + neighbour, prefix=True))
    # "r": the word before ends with the neighbour; the anchor's words alone suffice
    return _all([word for word in words if word is not None])


def index_pending(store: Store, limit: int | None = None) -> int:
    """Index the articles the search index lacks (all, or up to ``limit``); the count."""
    done = 0
    if store.count_unindexed() == 0:  # the common case: one count of a small table
        return 0
    while limit is None or done < limit:
        batch = INDEX_BATCH if limit is None else min(INDEX_BATCH, limit - done)
        articles = store.unindexed_articles(batch)
        if not articles:
            break
        done += store.save_search_words(
            (a.id or 0, a.content_hash, search_words(a)) for a in articles
        )
        if len(articles) < batch:
            break
    return done


def search_words(article: Article) -> str:
    """The article's distinct folded words as the matcher reads them, then its title's
    words behind TITLE_MARK, space-separated."""
    view = ArticleView(article)
    title = {TITLE_MARK + word for word in view.zones["title"].vocabulary}
    words = view.vocabulary() | title
    return " ".join(sorted(word for word in words if len(word) <= MAX_INDEXED_WORD))


def day_scope(day: date | None, source: str | None, zone: ZoneInfo) -> SearchScope:
    """The scope of one outlet and/or one local day (the facets' filters)."""
    if day is None:
        return SearchScope(source=source)
    start = datetime.combine(day, clock_time(), zone)
    return SearchScope(source=source, start=start, end=start + timedelta(days=1))


def search_archive(
    store: Store,
    config: Config,
    query: str,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    source: str | None = None,
    day: date | None = None,
) -> SearchResult:
    """One page of the stored articles ``query`` matches, newest first, with counts.

    Raises :class:`alerts.query.RuleError` for a query that does not parse
    or is refused.
    """
    started = time.perf_counter()
    matcher = compile_query(config, query)
    index_pending(store, SEARCH_INDEXES)
    words = word_filter(matcher.rules[0].tree)
    zone = ZoneInfo(config.timezone)
    counted = store.count_candidates(words) if words is not None else None
    need = page * per_page
    found, verified, complete = _verify(
        store,
        matcher,
        _Scan(words, day_scope(day, source, zone), counted.more if counted else False),
        need,
        MAX_VERIFIED if words is not None else SCAN_CAP,
    )
    groups = cluster_duplicates(found)  # newest first: a group's first is its newest copy
    rule = matcher.rules[0]
    hits = [
        SearchHit(group[0], build_match(rule, ArticleView(group[0])), tuple(group[1:]))
        for group in groups[need - per_page : need]
    ]
    result = SearchResult(
        query=query,
        page=page,
        per_page=per_page,
        hits=hits,
        found=len(found),
        dispatches=len(groups),
        verified=verified,
        candidates=counted.total if counted else None,
        more_candidates=counted.more if counted else False,
        complete=complete,
        has_next=len(groups) > need,
        by_source=Counter(a.source for a in found).most_common(),
        by_day=sorted(Counter(a.published_day(zone) for a in found).items(), reverse=True),
        unindexed=counted.unindexed if counted else 0,
        seconds=time.perf_counter() - started,
    )
    logger.info(
        "search done candidates=%s verified=%d found=%d complete=%s seconds=%.3f",
        result.candidates, verified, len(found), complete, result.seconds,
    )  # fmt: skip
    return result


@dataclass(frozen=True)
class _Scan:
    """What the candidates are drawn from: the filter, the scope, the plan."""

    words: WordFilter | None
    scope: SearchScope
    many: bool


def _verify(
    store: Store, matcher: Matcher, scan: _Scan, need: int, cap: int
) -> tuple[list[Article], int, bool]:
    """Verify candidates newest first until the page and one more dispatch are found
    and at least FACET_CAP were read, or ``cap`` were read; the matching articles, how
    many candidates were read, and whether they were all read.

    Candidates come in batches (FETCH), so a query whose first candidates fill
    the page asks the database for no more. Only the verdict is computed here;
    the evidence is built for the page's hits alone.
    """
    tree = matcher.rules[0].tree
    found: list[Article] = []
    verified = 0
    after = None
    while verified < cap:
        wanted = min(FETCH, cap - verified)
        batch = store.search_candidates(scan.words, scan.scope, wanted, after=after, many=scan.many)
        for start in range(0, len(batch.ids), VERIFY_BATCH):
            if verified >= FACET_CAP and _enough(found, need):
                return found, verified, False
            chunk = batch.ids[start : start + VERIFY_BATCH]
            found.extend(a for a in store.articles_by_pk(chunk) if evaluate(tree, ArticleView(a)))
            verified += len(chunk)
        if len(batch.ids) < wanted:
            return found, verified, True
        if verified >= FACET_CAP and _enough(found, need):
            return found, verified, False
        after = batch.last
    return found, verified, False


def _enough(found: list[Article], need: int) -> bool:
    """More dispatches than the pages so far show (an outlet's copy of a dispatch
    already found adds none; the articles are counted first, which is cheaper)."""
    return len(found) > need and len(cluster_duplicates(found)) > need


@dataclass(frozen=True)
class HitExplanation:
    """Why one stored article matches a query: the verdict, the evidence, the clauses."""

    article: Article
    matches: bool
    match: Match | None
    clauses: list[Clause]


def explain_hit(store: Store, config: Config, query: str, article_pk: int) -> HitExplanation | None:
    """The "why it matched" of one stored article; None when it is not stored.

    Raises :class:`alerts.query.RuleError` for a bad query.
    """
    matcher = compile_query(config, query)
    article = store.article(article_pk)
    if article is None:
        return None
    found = matcher.match_all(article)
    view = ArticleView(article)
    clauses = clause_tree(matcher.rules[0].tree, view)
    return HitExplanation(article, bool(found), found[0] if found else None, clauses)
