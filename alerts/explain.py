"""Why a rule did or did not match an article, clause by clause (matcher stage).

Contract: :func:`explain_rule` returns human-readable lines for
``vnawatch rule why``: the verdict, a plain sentence when the article was
skipped because it holds none of the rule's required words, then one line
per clause with the words found in their sentence ("word 'chine' found:
body « … la délégation de la »Chine« … »"), or why not ("phrase 'to lam
chine' not within 10 words", "office ... only counts from 2024-08-03;
article published 2023-05-01").

:func:`clause_tree` gives the same walk as data (:class:`Clause`, with each
hit's sentence split around it) for the web app's "why it matched" page,
which words it in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerts.evaluate import ArticleView, Hit, evaluate
from alerts.query import All, AnyOf, Node, Not, Term
from alerts.text import sentence_bounds

INDENT = "  "
SHOWN_HITS = 3


def explain_rule(
    rule_id: str,
    tree: Node,
    view: ArticleView,
    keys: frozenset[tuple[str, str]] | None,
    selected: bool,
) -> list[str]:
    """The verdict, the presearch decision, then the clause tree."""
    verdict = "matches" if evaluate(tree, view) else "does not match"
    lines = [f"rule {rule_id!r} {verdict} article {view.article.url or view.article.title!r}"]
    if keys is not None and not selected:
        shown = ", ".join(sorted({_show(kind, text) for kind, text in keys}))
        lines.append(f"this article contains none of the rule's required words: {shown}")
    lines.extend(_explain(tree, view, 1))
    return lines


def _show(kind: str, text: str) -> str:
    """A required word as a reader would write it: "frontali…" for a prefix."""
    if kind in "fr":
        anchor, neighbour = text.split("\t")
        return f"{anchor} {neighbour}…" if kind == "f" else f"…{neighbour} {anchor}"
    if kind == "s":
        return f"…{text}"
    return f"{text}…" if kind in "pe" else text


def _explain(node: Node, view: ArticleView, depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(node, Term):
        return [pad + describe_term(node, view)]
    if isinstance(node, Not):
        inner = evaluate(node.child, view)
        head = "NOT: failed, the excluded clause is present" if inner else "NOT: ok, absent"
        return [pad + head, *_explain(node.child, view, depth + 1)]
    ok = evaluate(node, view)
    if isinstance(node, All):
        head = "AND: every clause matched" if ok else "AND: failed, a clause did not match"
    else:
        label = f" {node.label}" if node.label else ""
        head = f"OR{label}: " + ("matched" if ok else "no alternative matched")
    lines = [pad + head]
    for child in node.children:
        lines.extend(_explain(child, view, depth + 1))
    return lines


def describe_term(term: Term, view: ArticleView) -> str:
    """One line: what the term looks for, and where it was found or why not."""
    name = f"{_kind(term)} {' '.join(term.words)!r}"
    if term.label and term.label.lower() != " ".join(term.words):
        name += f" ({term.label})"
    zones = "/".join(
        z for z in ("title", "lede", "body", "caption", "source", "section") if z in term.fields
    )
    if not view.in_dates(term):
        return f"{name}: not counted, {_dates(term)}; article published {view.published}"
    hits = view.hits(term)
    if hits:
        where = "; ".join(_in_sentence(view, hit) for hit in hits[:SHOWN_HITS])
        more = f" (and {len(hits) - SHOWN_HITS} more)" if len(hits) > SHOWN_HITS else ""
        return f"{name}: found: {where}{more}"
    if term.kind == "near":
        return _near_failure(name, term, view, zones)
    if term.cased:
        return f"{name}: not found in {zones} with the case {term.cased!r}"
    return f"{name}: not found in {zones}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One hit in its sentence: ``before`` + ``found`` + ``after`` is the sentence as
    written, white space collapsed."""

    zone: str
    before: str
    found: str
    after: str


def hit_context(view: ArticleView, hit: Hit) -> Evidence:
    """The hit inside its sentence; for source and section, the value itself."""
    text = view.zones[hit.zone].text
    if hit.zone not in ("title", "lede", "body", "caption"):
        return Evidence(hit.zone, "", text, "")
    start, end = sentence_bounds(text, hit.start, hit.end)
    before = _collapsed(text[start : hit.start]).lstrip()
    after = _collapsed(text[hit.end : end]).rstrip()
    return Evidence(hit.zone, before, text[hit.start : hit.end], after)


def _collapsed(text: str) -> str:
    """Runs of white space (line breaks of a caption list) as one space."""
    return re.sub(r"\s+", " ", text)


def _in_sentence(view: ArticleView, hit: Hit) -> str:
    """The words found, marked »…« inside their sentence: ``body « … »Chine« … »``."""
    found = hit_context(view, hit)
    if hit.zone not in ("title", "lede", "body", "caption"):
        return f"{hit.zone} {found.found!r}"  # source, section: the value itself
    before = "".join(f" {word}" for word in found.before.split())
    after = "".join(f" {word}" for word in found.after.split())
    return f"{hit.zone} «{before} »{found.found}«{after} »"


@dataclass(frozen=True)
class Clause:
    """One node of a rule on one article: ``kind`` is and/or/not or a term kind
    (word, phrase, prefix, near, office, abbreviation); ``hits`` for a term."""

    depth: int
    kind: str
    ok: bool
    label: str = ""
    hits: tuple[Evidence, ...] = ()
    more: int = 0  # hits beyond those shown
    in_dates: bool = True


def clause_tree(node: Node, view: ArticleView, depth: int = 0) -> list[Clause]:
    """The rule's clauses in order, each with its verdict and, for a term, its hits."""
    if isinstance(node, Term):
        hits = view.hits(node) if view.in_dates(node) else []
        label = node.label or " ".join(node.words)
        shown = tuple(hit_context(view, hit) for hit in hits[:SHOWN_HITS])
        more = max(0, len(hits) - SHOWN_HITS)
        return [Clause(depth, _kind(node), bool(hits), label, shown, more, view.in_dates(node))]
    kind = "not" if isinstance(node, Not) else "and" if isinstance(node, All) else "or"
    label = node.label if isinstance(node, AnyOf) and node.label else ""
    clauses = [Clause(depth, kind, evaluate(node, view), label)]
    children = [node.child] if isinstance(node, Not) else node.children
    for child in children:
        clauses.extend(clause_tree(child, view, depth + 1))
    return clauses


def _near_failure(name: str, term: Term, view: ArticleView, zones: str) -> str:
    missing = [w for w in term.words if not any(w in view.zones[z].vocabulary for z in term.fields)]
    if missing:
        return f"{name}: missing {', '.join(repr(w) for w in missing)} in {zones}"
    return f"{name}: phrase {' '.join(term.words)!r} not within {term.slop} words in {zones}"


def _kind(term: Term) -> str:
    if term.since or term.until:
        return "office"
    if term.cased:
        return "abbreviation"
    return {"word": "word", "prefix": "prefix", "phrase": "phrase", "near": "near"}[term.kind]


def _dates(term: Term) -> str:
    if term.since and term.until:
        return f"only counts from {term.since} to {term.until}"
    if term.since:
        return f"only counts from {term.since}"
    return f"only counts until {term.until}"
