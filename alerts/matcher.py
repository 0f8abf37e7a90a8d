"""Compile watch rules once, match many articles fast (matcher stage).

Contract: ``compile_rules(rules, watchlists) -> Matcher``;
``Matcher.match(article) -> list[Match]`` with, for each rule that matches,
the zones hit, the alias that fired, the spans in the ORIGINAL text of each
zone and a snippet (the sentence around the first hit, highlighted).
Only the article's own fields are read.

It scales like a reverse search engine (the presearcher of Lucene Monitor
or the Elasticsearch percolator): each rule is indexed under the key(s) one
of which any matching article must contain (see :mod:`alerts.presearch`);
an article's words select the candidate rules, and only those are verified.
The cost grows with the article, not with the number of rules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from alerts.evaluate import ZONE_ORDER, ArticleView, Hit, evaluate
from alerts.explain import explain_rule
from alerts.presearch import RuleIndex, WordFrequencies
from alerts.query import Node, RuleError, iter_terms, parse_rule
from alerts.text import sentence_bounds
from store.records import Match, Snippet, Span

if TYPE_CHECKING:
    from config import Rule, Watchlist
    from store.records import Article, Zone

logger = logging.getLogger(__name__)
TEXT_ZONES = ("title", "lede", "body", "caption")
# a rule whose id starts so is counted, not matched: the trends' watchlist entities
# (``entity:<id>``); config.yaml's rule ids cannot hold a colon
COUNTED_PREFIX = "entity:"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule's id, text and tree."""

    id: str
    query: str
    tree: Node


def compile_rules(
    rules: Sequence[Rule],
    watchlists: Sequence[Watchlist] = (),
    frequencies: WordFrequencies | None = None,
) -> Matcher:
    """Parse and index every rule; raise the first RuleError (see :func:`check_rules`).

    Parsed trees are cached by (rule id, query, watchlists), so recompiling
    after a config reload only parses the rules that changed. ``frequencies``
    (word shares in the archive) index each rule under its rarest words.
    """
    context = _WatchlistContext(watchlists)
    compiled = [CompiledRule(r.id, r.query, _parse(r.id, r.query, context)) for r in rules]
    matcher = Matcher(compiled, frequencies)
    logger.info(
        "rules compiled rules=%d always_verified=%d sampled_articles=%d",
        len(compiled), matcher.index.always, frequencies.articles if frequencies else 0,
    )  # fmt: skip
    return matcher


def word_shares(articles: Iterable[Article]) -> WordFrequencies:
    """The share of ``articles`` holding each folded word, to choose presearch keys."""
    return WordFrequencies.from_vocabularies(ArticleView(a).vocabulary() for a in articles)


class _WatchlistContext:
    """Watchlists with a hashable signature, for the parse cache."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self.watchlists = tuple(watchlists)
        self.signature = json.dumps([w.model_dump(mode="json") for w in watchlists])

    def __hash__(self) -> int:
        return hash(self.signature)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _WatchlistContext) and other.signature == self.signature


@lru_cache(maxsize=200_000)
def _parse(rule_id: str, query: str, context: _WatchlistContext) -> Node:
    return parse_rule(rule_id, query, context.watchlists)


def check_rules(rules: Sequence[Rule], watchlists: Sequence[Watchlist] = ()) -> list[RuleError]:
    """Every rule error at once (for ``check-config``), empty when all rules compile."""
    problems: list[RuleError] = []
    for rule in rules:
        try:
            parse_rule(rule.id, rule.query, watchlists)
        except RuleError as exc:
            problems.append(exc)
    return problems


class Matcher:
    """Compiled rules with their presearch index."""

    def __init__(
        self, rules: Sequence[CompiledRule], frequencies: WordFrequencies | None = None
    ) -> None:
        self.rules = list(rules)
        self._by_id = {rule.id: rule for rule in self.rules}
        self.index = RuleIndex([rule.tree for rule in self.rules], frequencies)

    def match(self, article: Article) -> list[Match]:
        """The matches of ``article`` against every rule, in rule order."""
        return self.match_counting(article)[0]

    def match_counting(self, article: Article) -> tuple[list[Match], list[str]]:
        """The matches of ``article``, and the ids of the counted-only rules (their id
        starts with :data:`COUNTED_PREFIX`) that match it, whose evidence is not built."""
        view = ArticleView(article)
        found: list[Match] = []
        counted: list[str] = []
        candidates = self.index.candidates(view.vocabulary(), view.spaced())
        for position in self.index.verified(candidates, view.streams()):
            rule = self.rules[position]
            if not evaluate(rule.tree, view):
                continue
            if rule.id.startswith(COUNTED_PREFIX):
                counted.append(rule.id.removeprefix(COUNTED_PREFIX))
            else:
                found.append(build_match(rule, view))
        return found, counted

    def match_all(self, article: Article) -> list[Match]:
        """Brute force: every rule verified, no presearch (tests and benchmarks)."""
        view = ArticleView(article)
        return [build_match(r, view) for r in self.rules if evaluate(r.tree, view)]

    def explain(self, rule_id: str, article: Article) -> list[str]:
        """Lines saying which clause of the rule matched or failed on the article, and why."""
        rule = self._by_id.get(rule_id)
        if rule is None:
            return [f"unknown rule {rule_id!r}"]
        view = ArticleView(article)
        position = self.rules.index(rule)
        selected = position in set(self.index.candidates(view.vocabulary(), view.spaced()))
        return explain_rule(rule.id, rule.tree, view, self.index.keys_of(position), selected)

    def __len__(self) -> int:
        return len(self.rules)


def build_match(rule: CompiledRule, view: ArticleView) -> Match:
    """The evidence of a matching rule: zones, alias, spans and snippet."""
    seen: dict[tuple[str, int, int], str] = {}
    labels: list[str] = []
    for term, positive in iter_terms(rule.tree):
        for hit in view.hits(term) if positive else ():
            labels.append(term.label)
            if hit.zone in TEXT_ZONES:
                seen.setdefault((hit.zone, hit.start, hit.end), _found_as(term.label, view, hit))
    text_hits = sorted(
        ((*place, label) for place, label in seen.items()),
        key=lambda item: (ZONE_ORDER.index(item[0]), item[1], -item[2]),
    )
    spans = tuple(Span(zone, start, end, label) for zone, start, end, label in text_hits)  # type: ignore[arg-type]
    zones: tuple[Zone, ...] = tuple(z for z in TEXT_ZONES if any(s.zone == z for s in spans))  # type: ignore[misc]
    alias = spans[0].term if spans else (labels[0] if labels else rule.query)
    snippet = make_snippet(view, spans) if spans else Snippet(view.article.title)
    return Match(view.article.id or 0, rule.id, zones, alias, spans, snippet)


def _found_as(label: str, view: ArticleView, hit: Hit) -> str:
    """What a reader should see as the term found: the alias, or for a wildcard
    ("frontali*") the word it matched, as written in the article."""
    if not label.endswith("*"):
        return label
    return view.zones[hit.zone].text[hit.start : hit.end]


def make_snippet(view: ArticleView, spans: tuple[Span, ...]) -> Snippet:
    """The sentence around the first hit, with the ranges of every hit inside it.

    A hit in the title only gives the snippet when the text has none: the
    digest already shows the title, so a sentence of the lede, body or
    captions says more.
    """
    first = next((span for span in spans if span.zone != "title"), spans[0])
    text = view.zones[first.zone].text
    start, end = sentence_bounds(text, first.start, first.end)
    ranges = tuple(
        (s.start - start, s.end - start)
        for s in spans
        if s.zone == first.zone and s.start >= start and s.end <= end
    )
    return Snippet(text[start:end], ranges)
