"""Property: the presearch-indexed matcher finds exactly what brute force finds.

Random rules (words, phrases, proximity, prefixes, fields, AND/OR/NOT) and
random texts from a French/Vietnamese vocabulary, with random accents, case,
Unicode normal form, elisions, hyphens and glued words.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.evaluate import ArticleView
from alerts.matcher import compile_rules, word_shares
from alerts.query import RuleError, iter_terms, parse_rule
from alerts.text import fold
from config import Rule
from store.records import Article

VOCABULARY = [
    "Tô", "Lâm", "Chine", "chinois", "Hanoï", "Nguyễn", "Phú", "Trọng", "mer", "Est",
    "frontière", "frontalière", "frontaliers", "Việt", "Nam", "coopération", "Đà", "Nẵng",
    "Assemblée", "nationale", "PCV", "ministre", "Affaires", "étrangères", "photo", "lampe",
    "machine", "Islam", "to", "lam", "de", "la", "du", "Laos", "XIVᵉ", "14e", "Ðồng",
    "Hô", "Chi", "Minh", "Ville", "sécurité", "économie", "Vietnam", "ma",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", " ", "", "", "-", ", ", ". ", " l’", " d'", "\n"]


def _spell(word: str, style: int) -> str:
    """A random way to write a word: as is, unaccented, upper, lower, or NFD."""
    if style == 1:
        return "".join(c for c in unicodedata.normalize("NFD", word) if c.isalnum())
    if style == 2:
        return word.upper()
    if style == 3:
        return word.lower()
    if style == 4:
        return unicodedata.normalize("NFD", word)
    return word


words = st.builds(_spell, st.sampled_from(VOCABULARY), st.integers(0, 4))


@st.composite
def texts(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(words, min_size=0, max_size=30))
    out = ""
    for word in chosen:
        out += (draw(st.sampled_from(SEPARATORS)) if out else "") + word
    return out


def _prefix(word: str) -> str:
    return fold(word)[: max(2, len(fold(word)) - 2)] + "*"


leaves = st.one_of(
    words,
    # up to four words: the presearch keys of 3+ word phrases look past the third
    st.lists(words, min_size=2, max_size=4).map(lambda ws: '"' + " ".join(ws) + '"'),
    st.builds(
        lambda ws, n: '"' + " ".join(ws) + f'"~{n}',
        st.lists(words, min_size=2, max_size=3),
        st.integers(0, 6),
    ),
    words.filter(lambda w: len(fold(w)) >= 2).map(_prefix),
    st.builds(lambda f, w: f"{f}:{w}", st.sampled_from(["title", "body"]), words),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, b: f"({a} AND {b})", children, children),
        st.builds(lambda a, b: f"({a} OR {b})", children, children),
        st.builds(lambda a, b: f"({a} AND NOT {b})", children, children),
        st.builds(lambda a, b: f"{a} {b}", children, children),
    )


queries = st.recursive(leaves, _combine, max_leaves=6)


def _rules(texts_: list[str]) -> list[Rule]:
    rules = []
    for i, query in enumerate(texts_):
        try:
            parse_rule(f"r{i}", query)
        except RuleError:
            continue
        rules.append(Rule(id=f"r{i}", name="r", query=query))
    return rules


def _article(title: str, body: str) -> Article:
    return Article(
        source="lecourrier",
        article_id="1",
        url="https://lecourrier.vn/x/1.html",
        title=title,
        body=body,
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
        id=1,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(queries, min_size=1, max_size=25), texts(), texts())
def test_presearch_matcher_equals_brute_force(rule_texts: list[str], title: str, body: str) -> None:
    matcher = compile_rules(_rules(rule_texts))
    item = _article(title, body)
    assert matcher.match(item) == matcher.match_all(item)
    for rule in matcher.rules:  # the offset-free test (has) agrees with the hits
        for term, _ in iter_terms(rule.tree):
            assert ArticleView(item).has(term) == bool(ArticleView(item).hits(term)), term


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(queries, min_size=1, max_size=15), st.lists(texts(), max_size=6), texts())
def test_keys_chosen_by_archive_shares_miss_nothing(
    rule_texts: list[str], archive: list[str], body: str
) -> None:
    """Whatever the sampled archive says is rare, no matching rule is left out."""
    shares = word_shares(_article("", text) for text in archive)
    matcher = compile_rules(_rules(rule_texts), frequencies=shares)
    item = _article("", body)
    assert matcher.match(item) == matcher.match_all(item)


@settings(max_examples=200, deadline=None)
@given(texts())
def test_spans_are_original_text_and_fold_like_the_query(text: str) -> None:
    matcher = compile_rules([Rule(id="r", name="r", query='"Tô Lâm" OR Chine OR frontali*')])
    item = Article(
        source="s", article_id="1", url="u", title="", body=text,
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    for match in matcher.match(item):
        for span in match.spans:
            assert 0 <= span.start < span.end <= len(text)
            folded = fold(text[span.start : span.end])
            assert any(key in folded for key in ("chine", "frontali", "to", "lam"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(queries, min_size=1, max_size=10), texts())
def test_nfc_and_nfd_text_match_the_same_rules(rule_texts: list[str], body: str) -> None:
    matcher = compile_rules(_rules(rule_texts))

    def rule_ids(text: str) -> list[str]:
        item = Article(
            source="s", article_id="1", url="u", title="", body=text,
            published_at=datetime(2025, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        return [match.rule_id for match in matcher.match(item)]

    nfc = unicodedata.normalize("NFC", body)
    assert rule_ids(nfc) == rule_ids(unicodedata.normalize("NFD", body))
