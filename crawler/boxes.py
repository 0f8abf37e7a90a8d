"""Extraction helper: the boxes of a page that are not the article, found by structure.

Part of the EXTRACT stage (``crawler.extract``). :func:`find_boxes` walks a
page once, children before parents, and returns the elements whose text is
never article text: menus, share bars, related lists, "most read", newsletter
forms, comments, inline "read also" lines. The evidence, strongest first:

1. the tag (``script``, ``nav``, ``aside``, ``footer`` …);
2. structure, whatever the words: an element made mostly of link text; a
   short label plus a link (an inline "read also" line); a run of two or more
   sibling items each opening with a headline link and holding at most a short
   text (a teaser list, however long its teasers); an element left with only a
   short label once its boxes are gone; a short heading right before a box;
3. words, as extra evidence: class and id words (``related``, ``share`` …) and
   box headings (``Lire aussi``, ``Articles similaires`` …).

The element holding the page's headline and its ancestors are never boxes,
however they are named, so a misleading class name cannot hide the article.
Each element is judged on its own text, its boxes left out, so a wrapper
holding a short brief and a long teaser list is not taken for a list.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from lxml import etree

from crawler.boxrules import (
    BLOCK_TAGS,
    BOX_LABEL,
    HEADING_TAGS,
    INLINE_TAGS,
    LABEL_TAGS,
    MAX_LABEL_CHARS,
    MIN_HEADLINE_CHARS,
    MIN_PROSE_CHARS,
    MIN_TAGGED_PROSE_CHARS,
    MIN_TEASER_ITEMS,
    NON_CONTENT,
    PAGE_TAGS,
    PICTURE_TAGS,
    SENTENCE_END,
    SKIP_CLASS,
    SKIP_TAGS,
    Tally,
    collapse,
    is_credit,
    is_line_list,
    is_link_block,
    is_lone_teaser,
    is_picture,
    is_record_list,
    is_small_teaser,
    is_teaser_list,
    lost_all_but_a_label,
)

if TYPE_CHECKING:
    from lxml.html import HtmlElement


def find_boxes(root: HtmlElement) -> set[HtmlElement]:
    """Every element under ``root`` (itself included) that is a box, by the rules above."""
    protected = _headline_line(root)
    boxes: set[HtmlElement] = set()
    tallies: dict[HtmlElement, Tally] = {}
    for _event, element in etree.iterwalk(root, events=("end",)):
        if not isinstance(element.tag, str):
            continue
        kids = [(kid, tallies.pop(kid)) for kid in element if kid in tallies]
        _mark_labels(kids, boxes, protected)
        tally = _tally(element, kids, boxes)
        tallies[element] = tally
        if element not in protected and _is_box(element, tally, kids, boxes):
            if str(element.tag).lower() in PAGE_TAGS:
                continue
            boxes.add(element)
    return boxes


def _headline_line(root: HtmlElement) -> set[HtmlElement]:
    """The page's headline and its ancestors: the article's own line, never a box."""
    found = headline(root)
    return set() if found is None else {found, *found.iterancestors()}


def headline(root: HtmlElement) -> HtmlElement | None:
    """The article's ``<h1>``: the first outside the page header (a logo is often one)."""
    first = None
    for h1 in root.iter("h1"):
        if not any(str(a.tag).lower() in ("header", "nav") for a in h1.iterancestors()):
            return h1
        first = first if first is not None else h1
    return first


def _tally(element: HtmlElement, kids: list[tuple[HtmlElement, Tally]], boxes: set) -> Tally:
    tally = Tally()
    tally.add_text(element.text)
    kid_tallies = dict(kids)
    for kid in element:
        if kid in kid_tallies:
            opened = tally.opens_with_link
            inline = str(kid.tag).lower() in INLINE_TAGS and kid not in boxes
            if not inline:
                tally.close_run()
            _add_kid(tally, kid_tallies[kid], boxed=kid in boxes, inline=inline)
            if opened is None and tally.opens_with_link and _sentence_goes_on(kid.tail):
                tally.opens_with_link = False  # a linked name opening a sentence, not a headline
        tally.add_text(kid.tail)
    tally.close_run()
    if str(element.tag).lower() == "a":
        tally.link_chars, tally.prose, tally.prose_runs = tally.chars, 0, 0
        tally.links += 1
        tally.longest_link = max(tally.longest_link, tally.chars)
        if tally.chars or element.find(".//img") is not None:
            tally.opens_with_link = True
    return tally


def _sentence_goes_on(tail: str | None) -> bool:
    """The text after a link continues its sentence (``<a>Le ministre</a> a dit``)."""
    rest = (tail or "").lstrip()
    return rest[:1].islower()


def _add_kid(tally: Tally, kid: Tally, *, boxed: bool, inline: bool = False) -> None:
    """A kid's text counts unless it is a box; a boxed headline link still opens its item."""
    if not boxed:
        tally.add_inline(kid) if inline else tally.add(kid)
        return
    tally.links += kid.links
    tally.longest_link = max(tally.longest_link, kid.longest_link)
    # a boxed headline or linked picture opens an item; a breadcrumb or share bar does not
    headline = kid.longest_link >= MIN_HEADLINE_CHARS or not kid.chars
    if tally.opens_with_link is None and kid.opens_with_link and headline:
        tally.opens_with_link = True


def _is_box(element: HtmlElement, tally: Tally, kids: list, boxes: set) -> bool:
    tag = str(element.tag).lower()
    if tag in NON_CONTENT:
        return True
    if not kids and not tally.chars and not tally.links:
        return tag == "form"  # an empty leaf: nothing a reader sees
    # nav, aside, footer… by their tag, unless they hold prose or a photo
    tagged = tag in SKIP_TAGS and tally.prose < MIN_TAGGED_PROSE_CHARS
    if tagged and not is_picture(element):
        return True
    block = tag in BLOCK_TAGS or tag in SKIP_TAGS or "-" in tag  # a custom element is a block
    if block and is_link_block(tally):
        return not is_credit(element, tally)
    if block and len(kids) >= MIN_TEASER_ITEMS and _is_list_box(tally, kids, boxes):
        return not is_credit(element, tally)
    if is_small_teaser(element, tag, tally) or lost_all_but_a_label(tally, kids, boxes):
        return True
    # words are extra evidence: a class or heading does not hide a paragraph of prose,
    # nor a picture and its caption
    if tally.prose >= MIN_PROSE_CHARS or not is_named_box(element):
        return False
    return not is_picture(element)


def _is_list_box(tally: Tally, kids: list, boxes: set) -> bool:
    """Teasers, records, short lines, one teaser: a list of what is not the article."""
    if is_teaser_list(kids, boxes) or is_record_list(kids, boxes):
        return True
    lines = tally.prose < MIN_TAGGED_PROSE_CHARS and is_line_list(kids, boxes)
    return lines or is_lone_teaser(kids, boxes)


def is_named_box(element: HtmlElement) -> bool:
    """Known by its class or id words, or by its own heading (``Articles similaires``)."""
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(SKIP_CLASS.search(names)) or has_box_heading(element)


def has_box_heading(element: HtmlElement) -> bool:
    """The element opens with a short label naming a box that is not the article."""
    first = next(iter(element), None)
    if first is None or not isinstance(first.tag, str) or (element.text or "").strip():
        return False
    if first.tag.lower() not in HEADING_TAGS:
        return False
    label = collapse(first.text_content())
    return len(label) <= MAX_LABEL_CHARS and bool(BOX_LABEL.match(label))


def _mark_labels(kids: list[tuple[HtmlElement, Tally]], boxes: set, protected: set) -> None:
    """A short heading-like sibling right before a box is that box's label."""
    texted = [(kid, tally) for kid, tally in kids if tally.chars or kid in boxes]
    for (kid, tally), (after, _) in itertools.pairwise(texted):
        if kid in boxes or after not in boxes or kid in protected:
            continue
        if str(kid.tag).lower() not in LABEL_TAGS or (kid.tail or "").strip():
            continue  # a link, or text between the two: not a heading of what follows
        if next(kid.iter(*PICTURE_TAGS), None) is not None:
            continue  # a picture and its caption
        if 0 < tally.chars <= MAX_LABEL_CHARS and not SENTENCE_END.search(kid.text_content()):
            boxes.add(kid)


def in_box(element: HtmlElement, boxes: set[HtmlElement]) -> HtmlElement | None:
    """The element itself or its nearest ancestor that is a box, or None."""
    for node in (element, *element.iterancestors()):
        if node in boxes:
            return node
    return None
