"""alerts.query: the rule language parsed by luqum, errors and refusals."""

from __future__ import annotations

import pytest

from alerts.query import (
    All,
    AnyOf,
    Not,
    RuleRefusedError,
    RuleSyntaxError,
    Term,
    iter_terms,
    parse_rule,
)
from config import Entity, Office, Watchlist

WATCHLISTS = [
    Watchlist(
        id="dirigeants",
        name="Dirigeants",
        entities=[
            Entity(
                id="to_lam",
                name="Tô Lâm",
                aliases=["To Lam", "Tô Lam"],
                abbreviations=["TL"],
                offices=[Office(title="secrétaire général du PCV", since="2024-08-03")],
            )
        ],
    )
]


def test_implicit_operator_is_and() -> None:
    node = parse_rule("r", "Tô Lâm Chine")
    assert isinstance(node, All)
    assert [t.words for t in node.children if isinstance(t, Term)] == [
        ("to",),
        ("lam",),
        ("chine",),
    ]


def test_phrase_proximity_prefix_and_field() -> None:
    node = parse_rule("r", '(title:"Tô Lâm Chine"~10 OR frontali*) -machine')
    assert isinstance(node, All)
    first, second = node.children
    assert isinstance(first, AnyOf)
    near, prefix = first.children
    assert near == Term("near", ("to", "lam", "chine"), frozenset(["title"]), "Tô Lâm Chine~10", 10)
    assert isinstance(prefix, Term) and prefix.kind == "prefix" and prefix.words == ("frontali",)
    assert second == Not(Term("word", ("machine",), label="machine"))


def test_hyphenated_word_becomes_a_phrase() -> None:
    node = parse_rule("r", "Minh-Ville")
    assert isinstance(node, Term) and node.kind == "phrase" and node.words == ("minh", "ville")


def test_entity_expands_to_spellings_abbreviations_and_dated_offices() -> None:
    node = parse_rule("r", "entity:to_lam", WATCHLISTS)
    assert isinstance(node, AnyOf)
    terms = [t for t in node.children if isinstance(t, Term)]
    assert [t.label for t in terms] == ["Tô Lâm", "TL", "secrétaire général du PCV"]
    assert terms[1].cased == "TL"
    assert str(terms[2].since) == "2024-08-03"


def test_watchlist_expands_to_its_entities() -> None:
    node = parse_rule("r", "@dirigeants AND Chine", WATCHLISTS)
    assert isinstance(node, All)
    assert isinstance(node.children[0], AnyOf) and node.children[0].label == "@dirigeants"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("Chine OR", "line 1, column 7: OR has nothing after it"),
        ("Chine AND", "line 1, column 7: AND has nothing after it"),
        ("OR Chine", "line 1, column 1: OR has nothing before it"),
        ("(Chine OR) Laos", "line 1, column 8: OR has nothing after it"),
        ("Chine NOT", "line 1, column 7: NOT has nothing after it"),
        ("Chine AND OR Laos", "line 1, column 11: OR follows another operator"),
        ('"Tô Lâm AND Chine', "line 1, column 1: unclosed quote opened at column 1"),
        ('Chine AND "mer', "line 1, column 11: unclosed quote opened at column 11"),
        ("Chine AND (Laos", "line 1, column 11: unclosed parenthesis opened at column 11"),
        ("Chine) AND Laos", "line 1, column 6: the closing parenthesis at column 6 has no"),
    ],
)
def test_syntax_errors_speak_the_rule_language(query: str, message: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("r", query)
    assert message in str(caught.value)
    assert "parenthesis" in message or "parenthesis" not in str(caught.value)
    assert "position" not in str(caught.value)


@pytest.mark.parametrize(
    ("query", "line", "column"),
    # an unclosed parenthesis or quote is pointed at where it opens
    [("Chine AND (Laos", 1, 11), ("Chine AND\n  )", 2, 3), ('"Tô Lâm', 1, 1)],
)
def test_syntax_error_names_rule_line_and_column(query: str, line: int, column: int) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("ma_regle", query)
    assert (caught.value.rule_id, caught.value.line, caught.value.column) == (
        "ma_regle",
        line,
        column,
    )
    assert "ma_regle" in str(caught.value)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("*ali", "wildcard"),
        ("fr*li", "wildcard"),
        ("f*", "letters before it"),
        ("auteur:Lam", "unknown field"),
        ("NOT Chine", "only NOT"),
        ("-Chine -Laos", "only NOT"),
        ("Chine~2", "unsupported"),
        ("date:[2020 TO 2021]", "unknown field"),
        ("(" * 14 + "Chine" + ")" * 14, "nested deeper"),
        (" OR ".join(f"mot{i}" for i in range(250)), "more than 200 clauses"),
        ("x" * 4001, "longer than"),
        ("@inconnue", "unknown watchlist"),
        ("entity:personne", "unknown entity"),
        ('"« »"', "no word"),
        ("NEAR/3 Laos", "on each side"),
        ("Chine NEAR/3", "on each side"),
        ("fronti* NEAR/2 Laos", "plain words or phrases"),
        ("Chine NEAR/3 Laos NEAR/3 Cambodge", "use parentheses"),
        ("Chine NEAR/300 Laos", "proximity above 200"),
    ],
)
def test_pathological_or_unknown_rules_are_refused(query: str, reason: str) -> None:
    with pytest.raises(RuleRefusedError) as caught:
        parse_rule("r", query, WATCHLISTS)
    assert reason in caught.value.reason


def test_near_operator_is_a_proximity_of_both_sides() -> None:
    node = parse_rule("r", 'title:("Tô Lâm" NEAR/10 Chine) AND Hanoï')
    (term,) = [t for t, _ in iter_terms(node) if t.kind == "near"]
    assert (term.words, term.slop, term.fields) == (
        ("to", "lam", "chine"),
        10,
        frozenset(["title"]),
    )
    assert term.label == "Tô Lâm NEAR/10 Chine"
