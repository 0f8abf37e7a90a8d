"""Extraction helper: is the body a selector found the article? Held against the generic text.

Part of the EXTRACT stage (``crawler.extract``). A source's body selector is a
hint: on every page the body it finds is compared with the page's main text
as trafilatura sees it (``crawler.generic.main_text``). :func:`judge` applies
the decision rules of docs/crawling.md, in order; the first that applies
rejects the selector body:

1. ``inside a <tag> block``: the element sits in (or is) a box that is not
   the article (``crawler.boxes``: a teaser list, a link block, a related /
   share / newsletter / comments / aside / nav / footer block);
2. ``catch-all unchecked``: a catch-all selector (``article``, ``main``,
   ``div.content``) while the generic extractor found nothing to confirm it;
3. ``too short``: the selector body has under ``MIN_LENGTH_SHARE`` of the
   generic text's characters;
4. ``little shared text``: under ``MIN_SHARED`` of the generic text's word
   pairs are in the selector body;
5. ``catch-all too wide``: a catch-all body whose own word pairs are under
   ``MIN_SHARED`` in the generic text (it holds more than the article).

A specific selector with no generic text to compare with holds unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from crawler.boxes import in_box
from crawler.generic import bigrams

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# held: a selector body passed the checks; rejected: the selectors found
# something, none passed; missing: they found nothing; none: no body selector
Outcome = Literal["held", "rejected", "missing", "none"]
OUTCOMES: tuple[Outcome, ...] = ("held", "rejected", "missing", "none")

MIN_LENGTH_SHARE = 0.6
MIN_SHARED = 0.6
# one simple selector naming only a generic tag and/or a generic class or id
CATCH_ALL = re.compile(
    r"^(?:body|main|article|section|div)?"
    r"(?:[.#](?:content|main|container|wrapper|post|entry|article|body|text|page|detail))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    """What the cross-check decided about one selector body."""

    outcome: Outcome
    reason: str = ""


NO_SELECTOR = Verdict("none")
CATCH_ALL_ONLY = Verdict(
    "rejected", "only a catch-all selector matched, confirmed by the generic text"
)


def is_catch_all(alternative: str) -> bool:
    """``article``, ``main``, ``div.content``: a selector that matches on any site."""
    alternative = alternative.strip()
    return bool(alternative) and bool(CATCH_ALL.match(alternative))


def judge(
    element: HtmlElement,
    alternative: str,
    paragraphs: list[str],
    generic: list[str],
    boxes: set[HtmlElement],
) -> Verdict:
    """Whether the body ``paragraphs`` found at ``element`` by ``alternative`` is the article.

    ``boxes`` are the page's boxes (``crawler.boxes.find_boxes``).
    """
    box = in_box(element, boxes)
    if box is not None:
        return Verdict("rejected", f"inside a {str(box.tag).lower()} block")
    catch_all = is_catch_all(alternative)
    if not generic:
        return Verdict("rejected", "catch-all unchecked") if catch_all else Verdict("held")
    if _chars(paragraphs) < MIN_LENGTH_SHARE * _chars(generic):
        return Verdict("rejected", "too short")
    found, reference = bigrams(paragraphs), bigrams(generic)
    if _share(reference, found) < MIN_SHARED:
        return Verdict("rejected", "little shared text")
    if catch_all and _share(found, reference) < MIN_SHARED:
        return Verdict("rejected", "catch-all too wide")
    return Verdict("held")


def _chars(paragraphs: list[str]) -> int:
    return sum(len(p) for p in paragraphs)


def _share(whole: set[tuple[str, str]], part: set[tuple[str, str]]) -> float:
    """The share of ``whole``'s word pairs found in ``part`` (1.0 for an empty whole)."""
    return len(whole & part) / len(whole) if whole else 1.0
