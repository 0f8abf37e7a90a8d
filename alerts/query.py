"""The watch-rule language: rule text -> AST (matcher stage; docs/rules.md).

Contract: :func:`parse_rule` parses a rule with luqum (Lucene syntax) and
returns a tree of :class:`Term`, :class:`All`, :class:`AnyOf` and
:class:`Not`. Watchlists (``@id``) and entities (``entity:id``) are expanded
here from config, so the matcher sees plain terms (``config.query_references``
finds the same references without parsing). A rule that does not parse
raises :class:`RuleSyntaxError` (rule id, line, column); a rule that parses
but cannot be accepted (unknown field, leading wildcard, too many clauses,
nesting too deep, nothing positive to look for) raises
:class:`RuleRefusedError` with the reason. Nothing builds a regular
expression from the rule text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from alerts.syntax import REFUSALS, SyntaxProblem, syntax_problem
from alerts.text import fold_cased, words
from config import ENTITY_FIELD, WATCHLIST_SIGIL

if TYPE_CHECKING:
    from config import Entity, Watchlist

TEXT_ZONES = frozenset(["title", "lede", "body", "caption"])
FIELDS = TEXT_ZONES | {"source", "section"}
MAX_QUERY_CHARS = 4000
MAX_CLAUSES = 200  # clauses written in the rule
MAX_TERMS = 5000  # terms after watchlist/entity expansion
MAX_DEPTH = 12
MAX_PHRASE_WORDS = 16
MAX_SLOP = 200
MIN_PREFIX = 2
_POSITION_RE = re.compile(r"position (\d+)")
_NEAR_RE = re.compile(r"NEAR/(\d{1,4})")  # a constant: operator input only meets it


class RuleError(ValueError):
    """A rule that cannot be used; ``rule_id`` names it."""

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(f"rule {rule_id!r}: {message}")
        self.rule_id = rule_id
        self.message = message


class RuleSyntaxError(RuleError):
    """The rule text does not parse; ``line`` and ``column`` count from 1.

    ``problem`` says what is wrong in the rule language's terms, so a
    front end can word it in its reader's language.
    """

    def __init__(self, rule_id: str, line: int, column: int, problem: SyntaxProblem) -> None:
        super().__init__(rule_id, f"line {line}, column {column}: {problem.message(column)}")
        self.line = line
        self.column = column
        self.problem = problem


class RuleRefusedError(RuleError):
    """The rule parses but is refused (too big, too deep, leading wildcard...).

    ``code`` keys :data:`alerts.syntax.REFUSALS`, ``values`` fill its message,
    ``where`` is the rule's line and column when known: a front end words it
    in its reader's language.
    """

    def __init__(
        self, rule_id: str, code: str, values: Mapping[str, object] | None = None, where: str = ""
    ) -> None:
        self.code = code
        self.values = dict(values or {})
        self.reason = REFUSALS[code].format(**self.values) + (f" ({where})" if where else "")
        self.where = where
        super().__init__(rule_id, f"refused: {self.reason}")


@dataclass(frozen=True, slots=True)
class Term:
    """A leaf: a word, a phrase, a prefix (``frontali*``) or words near each other.

    ``words`` are folded; ``label`` is the spelling the operator wrote (the
    alias reported when it fires). ``cased`` terms (entity abbreviations)
    must also match the case of the original text. ``since``/``until``
    restrict the term to articles published in that date range (offices).
    """

    kind: str  # "word" | "phrase" | "prefix" | "near"
    words: tuple[str, ...]
    fields: frozenset[str] = TEXT_ZONES
    label: str = ""
    slop: int = 0
    cased: str = ""
    since: date | None = None
    until: date | None = None
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # terms key the per-article cache: hash once, not on every lookup
        key = (self.kind, self.words, self.fields, self.slop, self.cased, self.since, self.until)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]
    label: str = ""


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | All | AnyOf | Not


@dataclass
class _Context:
    rule_id: str
    query: str
    entities: Mapping[str, Entity]
    watchlists: Mapping[str, Watchlist]
    clauses: int = 0
    terms: int = 0
    seen: set[str] = field(default_factory=set)


def parse_rule(rule_id: str, query: str, watchlists: Sequence[Watchlist] = ()) -> Node:
    """Parse one rule into its AST; raise RuleSyntaxError or RuleRefusedError."""
    if len(query) > MAX_QUERY_CHARS:
        raise RuleRefusedError(rule_id, "too_long", {"limit": MAX_QUERY_CHARS})
    try:
        parsed = parser.parse(query)
    except ParseError as exc:
        raise _syntax_error(rule_id, query, exc) from None
    entities = {e.id: e for w in watchlists for e in w.entities}
    context = _Context(rule_id, query, entities, {w.id: w for w in watchlists})
    node = _convert(parsed, context, TEXT_ZONES, 0)
    if not has_positive(node):
        raise RuleRefusedError(rule_id, "only_not")
    return node


def _syntax_error(rule_id: str, query: str, exc: ParseError) -> RuleSyntaxError:
    message = str(exc)
    found = _POSITION_RE.search(message)
    problem = syntax_problem(query, message, int(found.group(1)) if found else len(query))
    line, column = line_column(query, problem.offset)
    return RuleSyntaxError(rule_id, line, column, problem)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def has_positive(node: Node) -> bool:
    """Whether the node can only match when some positive term is found."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, All):
        return any(has_positive(child) for child in node.children)
    return all(has_positive(child) for child in node.children)


def _refuse(context: _Context, item: tree.Item, code: str, **values: object) -> RuleRefusedError:
    line, column = line_column(context.query, getattr(item, "pos", None) or 0)
    return RuleRefusedError(context.rule_id, code, values, f"line {line}, column {column}")


def _convert(item: tree.Item, context: _Context, fields: frozenset[str], depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise _refuse(context, item, "too_deep", limit=MAX_DEPTH)
    context.clauses += 1
    if context.clauses > MAX_CLAUSES:
        raise _refuse(context, item, "too_many_clauses", limit=MAX_CLAUSES)
    if isinstance(item, tree.Group | tree.FieldGroup | tree.Plus):
        return _convert(item.children[0], context, fields, depth + 1)
    if isinstance(item, tree.Not | tree.Prohibit):
        return Not(_convert(item.children[0], context, fields, depth + 1))
    if isinstance(item, tree.AndOperation | tree.UnknownOperation):
        children = _near_operators(item, context, fields)
        return All(
            tuple(
                c if isinstance(c, Term) else _convert(c, context, fields, depth + 1)
                for c in children
            )
        )
    if isinstance(item, tree.OrOperation):
        return AnyOf(tuple(_convert(c, context, fields, depth + 1) for c in item.children))
    if isinstance(item, tree.SearchField):
        return _field(item, context, fields, depth)
    if isinstance(item, tree.Proximity) and isinstance(item.term, tree.Phrase):
        return _near(item, context, fields)
    if isinstance(item, tree.Phrase):
        return _term(item, item.value[1:-1], context, fields)
    if isinstance(item, tree.Word):
        return _word(item, context, fields)
    raise _refuse(context, item, "unsupported", text=repr(str(item)))


def _near_operators(
    item: tree.Item, context: _Context, fields: frozenset[str]
) -> list[tree.Item | Term]:
    """``Tô NEAR/5 Chine`` (luqum sees three words side by side) -> one proximity term."""
    children: list[tree.Item | Term] = list(item.children)
    at = 0
    while at < len(children):
        found = _NEAR_RE.fullmatch(str(children[at]).strip())
        if not found:
            at += 1
            continue
        if not 0 < at < len(children) - 1:
            raise _refuse(context, item, "near_sides")
        left, right = (
            _near_operand(children[at - 1], context),
            _near_operand(children[at + 1], context),
        )
        slop = int(found.group(1))
        if slop > MAX_SLOP:
            raise _refuse(context, item, "too_far", limit=MAX_SLOP)
        label = f"{left} NEAR/{slop} {right}"
        term = Term("near", (*words(left), *words(right)), fields, label, slop=slop)
        children[at - 1 : at + 2] = [_count(context, item, term)]
    return children


def _near_operand(item: tree.Item | Term, context: _Context) -> str:
    if isinstance(item, tree.Word) and not _NEAR_RE.fullmatch(item.value):
        if "*" in item.value or item.value.startswith(WATCHLIST_SIGIL):
            raise _refuse(context, item, "near_plain")
        return str(item.value)
    if isinstance(item, tree.Phrase):
        return str(item.value[1:-1])
    raise _refuse(context, item, "near_group")


def _field(item: tree.SearchField, context: _Context, fields: frozenset[str], depth: int) -> Node:
    name = item.name.lower()
    if name == ENTITY_FIELD:
        if not isinstance(item.expr, tree.Word):
            raise _refuse(context, item, "entity_form")
        return _entity(item, item.expr.value, context, fields)
    if name not in FIELDS:
        known = ", ".join(sorted(FIELDS | {ENTITY_FIELD}))
        raise _refuse(context, item, "unknown_field", name=repr(item.name), known=known)
    return _convert(item.expr, context, frozenset([name]), depth + 1)


def _word(item: tree.Word, context: _Context, fields: frozenset[str]) -> Node:
    value = item.value
    if value.startswith(WATCHLIST_SIGIL):
        return _watchlist(item, value.removeprefix(WATCHLIST_SIGIL), context, fields)
    if "?" in value or "*" in value.rstrip("*") or value.endswith("**"):
        raise _refuse(context, item, "wildcard_place", text=repr(value))
    if value.endswith("*"):
        stem = words(value[:-1])
        if len(stem) != 1 or len(stem[0]) < MIN_PREFIX:
            raise _refuse(context, item, "wildcard_short", limit=MIN_PREFIX)
        return _count(context, item, Term("prefix", (stem[0],), fields, value))
    return _term(item, value, context, fields)


def _term(item: tree.Item, text: str, context: _Context, fields: frozenset[str]) -> Term:
    if "*" in text or "?" in text:
        raise _refuse(context, item, "wildcard_phrase")
    folded = tuple(words(text))
    if not folded:
        raise _refuse(context, item, "no_word", text=repr(text))
    if len(folded) > MAX_PHRASE_WORDS:
        raise _refuse(context, item, "phrase_too_long", limit=MAX_PHRASE_WORDS)
    kind = "word" if len(folded) == 1 else "phrase"
    return _count(context, item, Term(kind, folded, fields, text))


def _near(item: tree.Proximity, context: _Context, fields: frozenset[str]) -> Term:
    base = _term(item, item.term.value[1:-1], context, fields)
    slop = int(item.degree or 0)
    if slop > MAX_SLOP:
        raise _refuse(context, item, "too_far", limit=MAX_SLOP)
    if base.kind == "word":
        return base
    return Term("near", base.words, fields, f"{base.label}~{slop}", slop=slop)


def _count(context: _Context, item: tree.Item, term: Term) -> Term:
    context.terms += 1
    if context.terms > MAX_TERMS:
        raise _refuse(context, item, "too_many_terms", limit=MAX_TERMS)
    return term


def _watchlist(item: tree.Item, name: str, context: _Context, fields: frozenset[str]) -> Node:
    watchlist = context.watchlists.get(name)
    if watchlist is None:
        raise _refuse(context, item, "unknown_watchlist", name=name)
    children = tuple(_entity(item, e.id, context, fields) for e in watchlist.entities)
    return AnyOf(children, label=f"@{name}")


def _entity(item: tree.Item, entity_id: str, context: _Context, fields: frozenset[str]) -> Node:
    entity = context.entities.get(entity_id)
    if entity is None:
        raise _refuse(context, item, "unknown_entity", name=repr(entity_id))
    terms: list[Term] = [_term(item, s, context, fields) for s in [entity.name, *entity.aliases]]
    for abbreviation in entity.abbreviations:
        term = _term(item, abbreviation, context, fields)
        terms.append(_with(term, cased=fold_cased(abbreviation)))
    for office in entity.offices:
        for title in [office.title, *office.aliases]:
            term = _term(item, title, context, fields)
            terms.append(_with(term, since=office.since, until=office.until))
    return AnyOf(_distinct(terms), label=f"entity:{entity_id}")


def _distinct(terms: list[Term]) -> tuple[Term, ...]:
    """Spellings that fold alike ("Tô Lâm", "To Lam") are one term, the first label kept."""
    kept: dict[Term, Term] = {}
    for term in terms:
        kept.setdefault(_with(term, label=""), term)
    return tuple(kept.values())


def _with(term: Term, **changes: object) -> Term:
    return replace(term, **changes)  # type: ignore[arg-type]


def iter_terms(node: Node, *, positive: bool = True) -> list[tuple[Term, bool]]:
    """Every term of the tree with whether it counts positively (not under NOT)."""
    if isinstance(node, Term):
        return [(node, positive)]
    if isinstance(node, Not):
        return iter_terms(node.child, positive=not positive)
    found: list[tuple[Term, bool]] = []
    for child in node.children:
        found.extend(iter_terms(child, positive=positive))
    return found
