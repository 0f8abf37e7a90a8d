"""Why a rule does not parse, or is refused, told in the rule language's words
(matcher stage).

luqum reports where its grammar failed ("unexpected end of expression (maybe
due to unmatched parenthesis)"), not what the operator wrote wrong. When a
rule does not parse, :func:`syntax_problem` scans its text for the usual
slips, in this order: an unclosed quote, a closing parenthesis with no
opening one, an unclosed parenthesis, an operator with nothing on one side,
two operators in a row. Each is a :class:`SyntaxProblem`: a code, the
values its message needs and the offset it points at, so the CLI words it
in English (:data:`MESSAGES`) and the web form in the reader's language; a
rule that parses but is refused has a code of :data:`REFUSALS` the same way.
Pure: no I/O; it never decides whether a rule is valid (luqum does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPERATORS = frozenset({"AND", "OR", "NOT"})
JOINING = frozenset({"AND", "OR"})  # need something on both sides; NOT only after it
MESSAGES = {
    "unclosed_quote": "unclosed quote opened at column {column}",
    "unopened_parenthesis": "the closing parenthesis at column {column} has no opening one",
    "unclosed_parenthesis": "unclosed parenthesis opened at column {column}",
    "operator_at_end": "{operator} has nothing after it: add a word or phrase, or remove it",
    "operator_at_start": "{operator} has nothing before it: add a word or phrase, or remove it",
    "operators_in_a_row": "{operator} follows another operator: put a word or phrase between them",
    "unreadable": "cannot read the rule here: {detail}",
}
# why a rule that parses is refused (alerts.query.RuleRefusedError.code)
REFUSALS = {
    "too_long": "longer than {limit} characters",
    "only_not": "nothing to look for: the rule is only NOT clauses",
    "too_deep": "nested deeper than {limit} levels",
    "too_many_clauses": "more than {limit} clauses",
    "too_many_terms": "more than {limit} terms after expansion",
    "unsupported": "unsupported syntax {text}",
    "near_sides": "NEAR/n needs a word or a phrase on each side",
    "near_plain": "NEAR/n takes plain words or phrases",
    "near_group": "NEAR/n joins two plain words or phrases; use parentheses: (a NEAR/5 b) AND c",
    "too_far": "proximity above {limit} words",
    "entity_form": "entity: takes one entity id, e.g. entity:to_lam",
    "unknown_field": "unknown field {name} (known: {known})",
    "wildcard_place": "wildcard only at the end of a word: {text}",
    "wildcard_short": "a wildcard needs {limit}+ letters before it",
    "wildcard_phrase": "no wildcards inside a phrase",
    "no_word": "{text} holds no word to look for",
    "phrase_too_long": "a phrase of more than {limit} words",
    "unknown_watchlist": "unknown watchlist '@{name}'",
    "unknown_entity": "unknown entity {name}",
}
_TOKEN = re.compile(r'"|\(|\)|[^\s()"]+')
_LUQUM_NOISE = re.compile(r"\s*\(maybe due to unmatched parenthesis\)|\s*at position \d+|!$")


@dataclass(frozen=True)
class SyntaxProblem:
    """One slip: ``code`` keys :data:`MESSAGES`; ``offset`` is 0-based in the rule."""

    code: str
    offset: int
    values: dict[str, str] = field(default_factory=dict)

    def message(self, column: int) -> str:
        return MESSAGES[self.code].format(column=column, **self.values)


def syntax_problem(query: str, parser_message: str, parser_offset: int) -> SyntaxProblem:
    """The slip that stops ``query`` from parsing, or the parser's own words cleaned up."""
    tokens, open_quote = _tokens(query)
    if open_quote is not None:
        return SyntaxProblem("unclosed_quote", open_quote)
    found = _parenthesis_problem(tokens) or _operator_problem(tokens)
    if found:
        return found
    detail = _LUQUM_NOISE.sub("", parser_message.removeprefix("Syntax error in input : "))
    return SyntaxProblem("unreadable", parser_offset, {"detail": " ".join(detail.split())})


def _tokens(query: str) -> tuple[list[tuple[str, int]], int | None]:
    """Words, operators and parentheses outside quotes, with their offsets; a
    phrase is one token. Also the offset of a quote left open, if any."""
    tokens: list[tuple[str, int]] = []
    quote: int | None = None
    for found in _TOKEN.finditer(query):
        text, start = found.group(), found.start()
        if text == '"':
            if quote is None:
                quote = start
            else:
                tokens.append(('"…"', quote))
                quote = None
        elif quote is None:
            tokens.append((text, start))
    return tokens, quote


def _parenthesis_problem(tokens: list[tuple[str, int]]) -> SyntaxProblem | None:
    opened: list[int] = []
    for text, offset in tokens:
        if text == "(":
            opened.append(offset)
        elif text == ")":
            if not opened:
                return SyntaxProblem("unopened_parenthesis", offset)
            opened.pop()
    return SyntaxProblem("unclosed_parenthesis", opened[-1]) if opened else None


def _operator_problem(tokens: list[tuple[str, int]]) -> SyntaxProblem | None:
    """An AND/OR with nothing before or after it (within its parentheses), a NOT
    with nothing after it, or two operators in a row."""
    previous = "("
    for index, (text, offset) in enumerate(tokens):
        following = tokens[index + 1][0] if index + 1 < len(tokens) else ")"
        if text in OPERATORS:
            if following in JOINING:
                after = tokens[index + 1][1]
                return SyntaxProblem("operators_in_a_row", after, {"operator": following})
            if following == ")":
                return SyntaxProblem("operator_at_end", offset, {"operator": text})
            if text in JOINING and previous == "(":
                return SyntaxProblem("operator_at_start", offset, {"operator": text})
        previous = text if text in ("(", *OPERATORS) else "word"
    return None
