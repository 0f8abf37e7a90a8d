"""Extraction helper: the page's main text as a generic extractor sees it.

Part of the EXTRACT stage (``crawler.extract``). :func:`main_text` runs
trafilatura (fast mode, source line breaks made spaces) and returns its
paragraphs; this is the reference every selector body is checked against.
:func:`locate` finds the element of the page that holds those paragraphs and
little else, so that the generic body goes through the same rendering and
site cleanup (``crawler.cleanup``) as a selector body.
"""

from __future__ import annotations

import itertools
import logging
import re
from typing import TYPE_CHECKING

import trafilatura

from crawler import cleanup

if TYPE_CHECKING:
    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

# trafilatura is the slow part; a news page is far below this, a runaway page is cut
MAX_PAGE_CHARS = 400_000
# a line this short ("Photo : VNA") says nothing about where the article is
MIN_LOCATING_CHARS = 40
TEXT_TAGS = frozenset(
    ["p", "div", "li", "blockquote", "td", "section", "article", "span", "pre", "h2", "h3", "h4"]
)
WORD = re.compile(r"\w+")
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def main_text(html: str) -> list[str]:
    """trafilatura's paragraphs for the page, whitespace collapsed; [] when it finds none."""
    # a source line break is a space: trafilatura would keep a hard wrap at 72
    # columns as a paragraph break (cheaper on the text than on a copied tree)
    unwrapped = LINE_BREAKS.sub(" ", html[:MAX_PAGE_CHARS])
    try:
        text = _trafilatura(unwrapped)
    except Exception:  # trafilatura on a hostile page: report, do not crash the crawl
        logger.warning("trafilatura failed on a page", exc_info=True)
        text = None
    lines = (cleanup.collapse(line) for line in (text or "").split("\n"))
    return [line for line in lines if line]


def _trafilatura(document: str) -> str | None:
    return trafilatura.extract(
        document,
        fast=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        deduplicate=False,
    )


def locate(root: HtmlElement, lines: list[str]) -> HtmlElement | None:
    """The element holding most of ``lines`` and the least other text, or None.

    Each element whose whole text is one of the lines counts for all its
    ancestors; an ancestor scores the line text it holds minus the text it
    holds that is not among the lines (menus, sidebars, teaser boxes).
    """
    wanted = {
        key: len(key) for line in lines if len(key := cleanup.squeeze(line)) >= MIN_LOCATING_CHARS
    }
    if not wanted:
        return None
    held: dict[HtmlElement, set[str]] = {}
    for element in root.iter(*TEXT_TAGS):
        key = cleanup.squeeze(element.text_content())
        if key in wanted:
            for holder in (element, *element.iterancestors()):
                held.setdefault(holder, set()).add(key)
    if not held:
        return None
    return max(held, key=lambda holder: _score(holder, held[holder], wanted))


def _score(holder: HtmlElement, keys: set[str], wanted: dict[str, int]) -> int:
    inside = sum(wanted[key] for key in keys)
    other = len(cleanup.squeeze(holder.text_content())) - inside
    return inside - max(other, 0)


def bigrams(paragraphs: list[str]) -> set[tuple[str, str]]:
    """Word pairs inside each paragraph, case folded: what two versions of a body share."""
    pairs: set[tuple[str, str]] = set()
    for paragraph in paragraphs:
        words = WORD.findall(paragraph.casefold())
        pairs.update(itertools.pairwise(words))
    return pairs
