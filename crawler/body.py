"""Extraction helper: the article's body in one page, and its captions.

Part of the EXTRACT stage (``crawler.extract``). The source's CSS selectors
(``config.Source.selectors``; ``::attr()`` and ``::text`` allowed, comma
alternatives tried in order) find a body that is a hint, checked against
trafilatura's view of the page without its boxes (``crawler.crosscheck``,
``crawler.generic``, ``crawler.boxes``); when no selector body holds, the
generic body: the element holding trafilatura's text, cleaned like a selector
body; when trafilatura finds nothing either, what follows the headline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler import boxes as boxes_module
from crawler import cleanup, crosscheck, generic
from crawler.boxrules import NON_CONTENT

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lxml.html import HtmlElement
    from parsel import Selector

    import config

# a selector matching many elements (``article``) is tried on the first few only
MAX_BODY_CANDIDATES = 8
# where captions stand: figures, photo tables, blocks classed as captions
CAPTION_TAGS = ("figure", "table", "div", "p", "span")
# a body found without the selectors has one paragraph this long at least
MIN_FALLBACK_PARAGRAPH = 80
# how far above the headline the last resort looks for the article's text
MAX_HEADLINE_LEVELS = 3
# a paragraph this long at an end of the body is text the generic extractor missed, not chrome
MIN_UNTRIMMED_CHARS = 80
SENTENCE_END = re.compile(r"[.!?…»”\"]\s*$")
# a date or a title is read from an element's whole text, boxes or not
NO_BOXES: set[HtmlElement] = set()


@dataclass
class Body:
    """The article text found by the selectors or the fallback."""

    paragraphs: list[str]
    captions: list[str]
    credit: str | None
    from_fallback: bool = False
    container: HtmlElement | None = None
    verdict: crosscheck.Verdict = crosscheck.NO_SELECTOR


# --------------------------------------------------------------------------- selectors


def alternatives(css: str | None) -> list[str]:
    """``"h1.a, h1"`` -> ``["h1.a", "h1"]``, commas inside () [] or quotes kept."""
    if not css:
        return []
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(css):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(css[start:index].strip())
            start = index + 1
    parts.append(css[start:].strip())
    return [p for p in parts if p]


def select_text(page: Selector, css: str | None) -> str:
    """The text of the first alternative of ``css`` that finds something non-empty."""
    for alternative in alternatives(css):
        for found in page.css(alternative):
            root = found.root
            text = root if isinstance(root, str) else element_text(root)
            if cleanup.collapse(text):
                return cleanup.collapse(text)
    return ""


def select_element(page: Selector, css: str | None) -> HtmlElement | None:
    """The first element matched by the first alternative of ``css`` that matches one."""
    for alternative in alternatives(css):
        for found in page.css(alternative):
            if not isinstance(found.root, str):
                return found.root
    return None


def element_text(element: HtmlElement) -> str:
    """The element's whole text, boxes or not, but never a script's or a style's."""
    hidden = {e for e in element.iter(*NON_CONTENT) if e is not element}
    blocks = cleanup.html_blocks(element, hidden or NO_BOXES)
    return " ".join(blocks.paragraphs)


# --------------------------------------------------------------------------- body


def extract_body(
    page: Selector,
    source: config.Source,
    summary: str,
    title: str,
    html: str,
    boxes: set[HtmlElement],
    *,
    check_selectors: bool = True,
) -> Body:
    """The selector body that passes the cross-check, else the generic body; cleaned either way.

    ``check_selectors=False`` is the path before the cross-check (the first
    selector body wins unchecked), kept as bench/crawl.py's baseline.
    """
    if not check_selectors:
        for _alternative, element in body_candidates(page, source.selectors.body):
            body = _render(element, summary, title, boxes)
            if body.paragraphs:
                body.verdict = crosscheck.Verdict("held", "unchecked")
                return body
    generic_lines = generic.main_text(page.root, boxes, html)
    reference = cleanup.clean_paragraphs(generic_lines, summary, title)
    first_rejection: crosscheck.Verdict | None = None
    confirmed: Body | None = None
    for alternative, element in body_candidates(page, source.selectors.body):
        body = _render(element, summary, title, boxes)
        verdict = crosscheck.judge(
            element, alternative, body.paragraphs, reference.paragraphs, boxes
        )
        if verdict.outcome != "held" or not body.paragraphs:
            first_rejection = first_rejection or verdict
        elif not crosscheck.is_catch_all(alternative):
            body.verdict = verdict
            return body
        elif confirmed is None:
            # a catch-all is wider than the article by nature: keep what the generic text has
            body.paragraphs = _trim_to(
                body.paragraphs, reference.paragraphs, ended=bool(body.credit)
            )
            confirmed = body
    if confirmed is not None:
        # a catch-all never wins on its own: the generic text confirmed it, so it is
        # used, but the source's own selectors did not hold (counted as rejected)
        confirmed.verdict = crosscheck.CATCH_ALL_ONLY
        return confirmed
    fallback = _generic_body(page, generic_lines, reference, summary, title, boxes)
    if not fallback.paragraphs and not fallback.captions:
        fallback = _after_headline(page, summary, title, boxes) or fallback
    if not any(len(paragraph) >= MIN_FALLBACK_PARAGRAPH for paragraph in fallback.paragraphs):
        # a few short lines (a colophon, a kicker, an author's line) are no article's text:
        # a photo article's text is its caption
        fallback.paragraphs = []
    missing = "missing" if source.selectors.body else "none"
    fallback.verdict = first_rejection or crosscheck.Verdict(missing)
    return fallback


def body_candidates(page: Selector, css: str | None) -> list[tuple[str, HtmlElement]]:
    """(alternative, element) for every element the body selector finds, in order, capped."""
    found = []
    for alternative in alternatives(css):
        found.extend(
            (alternative, f.root) for f in page.css(alternative) if not isinstance(f.root, str)
        )
    return found[:MAX_BODY_CANDIDATES]


def _render(
    element: HtmlElement,
    summary: str,
    title: str,
    boxes: set[HtmlElement],
    more: Sequence[HtmlElement] = (),
) -> Body:
    """An element (and ``more`` after it) rendered and cleaned: the same steps whatever
    found it."""
    blocks = cleanup.html_blocks(element, boxes)
    for continuation in more:
        rest = cleanup.html_blocks(continuation, boxes)
        blocks.paragraphs += rest.paragraphs
        blocks.captions += rest.captions
    cleaned = cleanup.clean_paragraphs(blocks.paragraphs, summary, title)
    captions = blocks.captions + cleaned.captions
    paragraphs = cleanup.drop_caption_copies(cleaned.paragraphs, captions)
    return Body(paragraphs, captions, cleaned.credit, container=element)


def _generic_body(
    page: Selector,
    lines: list[str],
    reference: cleanup.CleanBody,
    summary: str,
    title: str,
    boxes: set[HtmlElement],
) -> Body:
    """The element holding trafilatura's text, rendered like a selector body; else its lines."""
    element = generic.locate(page.root, lines, boxes)
    if element is not None:
        before = precursors(element, boxes)
        more = [element, *continuations(element, boxes)]
        body = _render(before[0] if before else element, summary, title, boxes, (before + more)[1:])
        body.paragraphs = _trim_to(body.paragraphs, reference.paragraphs, ended=bool(body.credit))
        verdict = crosscheck.judge(element, "", body.paragraphs, reference.paragraphs, boxes)
        # the page's closing credit ends the article; trafilatura, blind to a linked or
        # standalone credit, may read on into what follows it
        ended_by_credit = body.credit is not None and verdict.reason == "too short"
        if (verdict.outcome == "held" or ended_by_credit) and body.paragraphs:
            body.from_fallback = True
            return body
    paragraphs = cleanup.drop_caption_copies(reference.paragraphs, reference.captions)
    return Body(paragraphs, reference.captions, reference.credit, from_fallback=True)


def continuations(element: HtmlElement, boxes: set[HtmlElement]) -> list[HtmlElement]:
    """The siblings after ``element`` of its tag and class, boxes between them skipped:
    the rest of an article a template split around an inserted box."""
    shape = (element.tag, element.get("class"))
    return _same_shaped(element.itersiblings(), shape, boxes)


def precursors(element: HtmlElement, boxes: set[HtmlElement]) -> list[HtmlElement]:
    """The same before ``element``, in page order: its first part may be the smaller one."""
    shape = (element.tag, element.get("class"))
    return _same_shaped(element.itersiblings(preceding=True), shape, boxes)[::-1]


def _same_shaped(siblings: Any, shape: tuple[Any, Any], boxes: set[HtmlElement]) -> list:
    found = []
    for sibling in siblings:
        if not isinstance(sibling.tag, str) or sibling in boxes:
            continue
        if (sibling.tag, sibling.get("class")) != shape or (sibling.tail or "").strip():
            break
        found.append(sibling)
    return found


def _after_headline(
    page: Selector, summary: str, title: str, boxes: set[HtmlElement]
) -> Body | None:
    """What follows the headline, boxes left out, when trafilatura found nothing at all.

    A photo article's one caption, a brief too short for any extractor: the
    nearest ancestor of the headline (the ``<h1>``, else the element holding
    the title; up to a few levels up) that holds text besides it, rendered and
    cleaned like any body.
    """
    headline = boxes_module.headline(page.root)
    if headline is None:
        headline = _holding(page, title)
    if headline is None:
        return None
    for level, scope in enumerate(headline.iterancestors()):
        if level >= MAX_HEADLINE_LEVELS or scope in boxes:
            break
        body = _render(scope, summary, title, boxes)
        body.paragraphs = cleanup.drop_page_header([title, *body.paragraphs], title)
        if body.paragraphs or body.captions:
            body.from_fallback = True
            return body
    return None


def _holding(page: Selector, text: str) -> HtmlElement | None:
    """The first element of the page's body whose whole text is ``text``."""
    key = cleanup.squeeze(text)
    if not key:
        return None
    for element in page.root.iter("div", "p", "span", "strong", "h2", "h3", "header"):
        if key in cleanup.squeeze(element.text or "") or (
            len(element) and cleanup.squeeze(element.text_content()) == key
        ):
            return element
    return None


def _is_prose(paragraph: str) -> bool:
    return len(paragraph) >= MIN_UNTRIMMED_CHARS and bool(SENTENCE_END.search(paragraph))


def _trim_to(paragraphs: list[str], reference: list[str], *, ended: bool = False) -> list[str]:
    """Drop the short lines (kicker, byline, tags) before the first and after the last
    paragraph the generic text has; a whole paragraph it missed stays, and so does all
    before the closing credit (``ended``: the cleanup stopped there)."""
    known = generic.in_lines(reference)
    inside = [i for i, p in enumerate(paragraphs) if known(cleanup.squeeze(p))]
    if not inside:
        return paragraphs
    start, end = inside[0], inside[-1] + 1
    while start > 0 and _is_prose(paragraphs[start - 1]):
        start -= 1
    while end < len(paragraphs) and (ended or _is_prose(paragraphs[end])):
        end += 1
    return paragraphs[start:end]


def page_captions(
    page: Selector, source: config.Source, body: Body, boxes: set[HtmlElement]
) -> tuple[str, ...]:
    """Captions from the body, the source's caption selector and the article's figures."""
    found = list(body.captions)
    for alternative in alternatives(source.selectors.captions):
        found.extend(cleanup.collapse(t) for t in _texts(page.css(alternative)))
    for element in _article_scope(page, body).iter(*CAPTION_TAGS):
        if cleanup.is_caption(element, element.tag) and boxes_module.in_box(element, boxes) is None:
            found.extend(cleanup.caption_texts(element))
    return tuple(cleanup.unique(cleanup.strip_anh_prefix(c) for c in found if c))


def _article_scope(page: Selector, body: Body) -> HtmlElement:
    """The smallest element holding both the headline and the body (figures sit between)."""
    headline = boxes_module.headline(page.root)
    if body.container is None or headline is None:
        return page.root
    around_body = list(body.container.iterancestors())
    for ancestor in headline.iterancestors():
        if ancestor in around_body:
            return ancestor
    return page.root


def _texts(found: Any) -> list[str]:
    return [f.root if isinstance(f.root, str) else element_text(f.root) for f in found]
