"""Extraction helper: the page's main text as a generic extractor sees it.

Part of the EXTRACT stage (``crawler.extract``). :func:`main_text` runs
trafilatura on a copy of the page without its boxes (``crawler.boxes``):
precise and fast first, then, when that finds too little, again favouring
recall (text in ``<br>`` runs, bare ``<div>``s); its paragraphs are the
reference every selector body is checked against, the article's own text
rather than a teaser box bigger than a short brief. :func:`locate` finds the
element of the page that holds those paragraphs and little else, so that the
generic body goes through the same rendering and site cleanup
(``crawler.cleanup``) as a selector body.
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
from typing import TYPE_CHECKING

import trafilatura

from crawler import cleanup

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

# the precise pass, and the recall pass when the precise one finds less than this
PRECISE = {"fast": True, "favor_precision": True}
# trafilatura's own fallbacks (readability, jusText) run only without fast: costly, last
RECALL_PASSES = ({"fast": True, "favor_recall": True}, {"fast": False, "favor_recall": True})
MIN_PRECISE_CHARS = 400
# trafilatura is the slow part; a news page is far below this, a runaway page is cut
MAX_PAGE_CHARS = 400_000
BOX_MARK = "data-vnawatch-box"
# class words trafilatura prunes by; an element still here holds text, whatever its name
NAMED_BOX = re.compile(r"sidebar|related|widget|comment|share|social|teaser|popular|footer")
# what trafilatura drops by its tag alone
PRUNED_TAGS = frozenset(["aside", "nav", "footer", "header"])
# a block this long that trafilatura left out is a paragraph it missed, not chrome
MIN_PROSE_BLOCK_CHARS = 150
# a line this short ("Photo : VNA") says nothing about where the article is
MIN_LOCATING_CHARS = 40
WORD = re.compile(r"\w+")
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def main_text(root: HtmlElement, boxes: set[HtmlElement], html: str) -> list[str]:
    """trafilatura's paragraphs for the page without its boxes, whitespace collapsed.

    The precise pass first; when it finds nothing or too little (text in
    ``<br>`` runs, a one-paragraph brief), the recall pass, and the longer of
    the two. [] when neither finds anything. A runaway page (``html`` longer
    than any news page) is read from its start only, boxes and all.
    """
    if len(html) > MAX_PAGE_CHARS:
        logger.debug("page of %d characters: the generic text is read from its start", len(html))
        return _lines(LINE_BREAKS.sub(" ", html[:MAX_PAGE_CHARS]), PRECISE)
    tree = box_free_copy(root, boxes)
    lines = _lines(tree, PRECISE)
    body = tree.find("body")
    on_page = len(cleanup.collapse((body if body is not None else tree).text_content()))
    for options in RECALL_PASSES:  # the slower one only when the faster found too little
        if _chars(lines) >= MIN_PRECISE_CHARS or on_page - _chars(lines) < MIN_LOCATING_CHARS:
            break  # enough found, or nothing more on the page to find (an empty or broken page)
        recalled = _lines(tree, options)
        if _chars(recalled) > _chars(lines):
            lines = recalled
    return lines


def box_free_copy(root: HtmlElement, boxes: set[HtmlElement]) -> HtmlElement:
    """A copy of the page without its boxes, a source line break made a space.

    Without the boxes a short article beside a long teaser list is the main
    text; a hard wrap at 72 columns would otherwise become a paragraph break.
    """
    for box in boxes:
        box.set(BOX_MARK, "")
    try:
        tree = copy.deepcopy(root)
    finally:
        for box in boxes:
            box.attrib.pop(BOX_MARK, None)
    # captions are not body text either (the walker sets them apart the same way)
    for element in [e for e in tree.iter() if _is_dropped(e)]:
        element.drop_tree()  # keeps its tail: text after an inline box is article text
    for element in tree.iter():
        if element.tag in PRUNED_TAGS:
            element.tag = "div"  # it holds prose (else it was a box): trafilatura would prune it
        if element.get("class") is not None and NAMED_BOX.search(element.get("class")):
            del element.attrib["class"]  # the same: kept although its class names a box
        if element.text and "\n" in element.text:
            element.text = LINE_BREAKS.sub(" ", element.text)
        if element.tail and "\n" in element.tail:
            element.tail = LINE_BREAKS.sub(" ", element.tail)
    return tree


def _is_dropped(element: HtmlElement) -> bool:
    if not isinstance(element.tag, str) or element.getparent() is None:
        return False
    return BOX_MARK in element.attrib or cleanup.is_caption(element, element.tag.lower())


def _lines(tree: HtmlElement | str, options: dict[str, bool]) -> list[str]:
    try:
        text = trafilatura.extract(
            tree, include_comments=False, include_tables=False, deduplicate=False, **options
        )
    except Exception:  # trafilatura on a hostile page: report, do not crash the crawl
        logger.warning("trafilatura failed on a page", exc_info=True)
        text = None
    lines = (cleanup.collapse(line) for line in (text or "").split("\n"))
    return [line for line in lines if line]


def _chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines)


def locate(root: HtmlElement, lines: list[str], boxes: set[HtmlElement]) -> HtmlElement | None:
    """The element holding most of ``lines`` and the least other text, or None.

    The page is rendered once, boxes skipped; each block (a ``<p>``, a run
    between ``<br>``s, a bare ``<div>``, a ``<span>`` among spans) that is in
    one of the lines (trafilatura may join what the page split) counts for its
    holder and the holder's ancestors; an ancestor scores the line text it
    holds minus the other text it holds (menus, stray chrome). Ties go to the
    innermost.
    """
    wanted = in_lines(lines)
    if not any(len(cleanup.squeeze(line)) >= MIN_LOCATING_CHARS for line in lines):
        return None
    blocks = cleanup.html_blocks(root, boxes)
    inside: dict[HtmlElement, int] = {}
    other: dict[HtmlElement, int] = {}
    for text, holder in zip(blocks.paragraphs, blocks.holders, strict=True):
        key = cleanup.squeeze(text)
        if len(key) >= MIN_LOCATING_CHARS and wanted(key):
            tally = inside
        elif len(text) < MIN_PROSE_BLOCK_CHARS:
            tally = other
        else:
            continue  # a paragraph trafilatura missed is no sign of chrome either way
        for element in (holder, *holder.iterancestors()):
            tally[element] = tally.get(element, 0) + len(key)
    if not inside:
        return None
    return max(inside, key=lambda element: inside[element] - other.get(element, 0))


def in_lines(lines: list[str]) -> Callable[[str], bool]:
    """Whether a squeezed paragraph is one of ``lines``, or (a long one) part of one."""
    keys = [cleanup.squeeze(line) for line in lines]
    exact, joined = set(keys), "\n".join(keys)
    return lambda key: key in exact or (len(key) >= MIN_LOCATING_CHARS and key in joined)


def bigrams(paragraphs: list[str]) -> set[tuple[str, str]]:
    """Word pairs inside each paragraph, case folded: what two versions of a body share."""
    pairs: set[tuple[str, str]] = set()
    for paragraph in paragraphs:
        words = WORD.findall(paragraph.casefold())
        pairs.update(itertools.pairwise(words))
    return pairs
