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
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from lxml.html import HtmlElement

SPACES = re.compile(r"[\s\u00a0\u200b\u200c\u200d\u2060\ufeff]+")


def words(text: str) -> frozenset[str]:
    """A set of tag names written as one string."""
    return frozenset(text.split())


SKIP_TAGS = words(
    "script style noscript nav header footer aside button iframe svg select "
    "template object embed video audio input label"
)
# class/id words of boxes that are not the article
SKIP_CLASS = re.compile(
    r"(?:^|[\s_-])(related|relate|relation|share|sharing|social|tags?|breadcrumbs?|advert|"
    r"ads|banner|comments?|menu|toolbar|teaser|read-?more|box-news|same-?cate|similar|"
    r"newsletter|subscribe|signup|sidebar|widget|most-?read|popular|footer|nav|aside)(?:$|[\s_-])",
    re.IGNORECASE,
)
# the heading of a box that is not the article, whatever its class names
BOX_LABEL = re.compile(
    r"^\s*(?:(?:à\s+)?lire aussi|articles? (?:similaires|liés|connexes)|sur le même sujet|"
    r"dans la même rubrique|voir aussi|voir plus|autres articles|mots[- ]clés|tags?|"
    r"partager|newsletter|lettre d['’]information|abonnez-vous|commentaires?|réagir|"
    r"les plus lus|à la une|suivez-nous|related (?:articles|stories)|read more|most read)\b",
    re.IGNORECASE,
)
HEADING_TAGS = words("h2 h3 h4 h5 h6 strong b p span")
LABEL_TAGS = HEADING_TAGS | words("div header em i small")
HEADLINE_TAGS = words("h2 h3 h4 h5 h6")
# what does not end a run of text: emphasis and links inside a sentence
INLINE_TAGS = words("a strong b em i u font small sup sub span mark abbr cite q time")
HEADING_ONLY_TAGS = LABEL_TAGS - words("p div")
MAX_LABEL_CHARS = 60
MAX_AD_LABEL_CHARS = 20
# the page itself is never a box, even when all it holds is one
PAGE_TAGS = words("html body")
PICTURE_TAGS = ("img", "amp-img", "picture", "figure", "table")
# boxes that hold no text a reader sees: removing one leaves its parent what it was
NON_CONTENT = words(
    "script style noscript svg template button input iframe select object embed video audio"
)
# an <article> inside the article container is a teaser when it is this short
MAX_TEASER_CHARS = 600
MAX_FORM_CHARS = 400
# elements that may be a box by their link text (inline ones like <span> or <a> may not:
# a linked name inside a sentence is article text)
BLOCK_TAGS = words(
    "div ul ol li section p dl dd dt table tbody tr td form center article blockquote h2 h3 "
    "h4 h5 h6"
)
ITEM_TAGS = words("li div article section dd dt tr td p")
LINK_SHARE = 0.7
# an inline "read also": a label this short, then a link at least as long
MAX_LINK_LABEL_CHARS = 40
# a teaser item: a headline link this long at its start, then at most this much text
MIN_HEADLINE_CHARS = 20
MAX_TEASER_TEXT_CHARS = 1000
MIN_TEASER_ITEMS = 2
# items without a wrapper of their own are a list from three on (two could be an
# article's paragraphs, each after a "read also" line)
MIN_FLAT_HEADLINES = 3
TEASER_ITEMS_SHARE = 2 / 3
RANK = re.compile(r"^(?:\d{1,2}|[ivx]{1,4})[.)]?$", re.IGNORECASE)
# a record (a comment, an agenda entry): parts, one of them a block, short in all
MIN_RECORD_PARTS = 2
RECORD_BLOCKS = words("p div ul ol blockquote h2 h3 h4 h5 h6")
MAX_RECORD_CHARS = 600
# text outside links this long in one run is prose: a class name alone does not box it
MIN_PROSE_CHARS = 60
# a footer's colophon runs longer than a class-named box's lines: a paragraph, then
MIN_TAGGED_PROSE_CHARS = 100
# a sentence this short under a label is a remark (a comment), not an article's paragraph
MAX_QUIP_CHARS = 70
# lines without a label make a list from this many on
MIN_BARE_LINES = 3
# "Mardi 14 h : concert…", "Siège : 12, rue…", "© 2026 …": a line of an agenda or a colophon
LABELLED_LINE = re.compile(r"^(?:[^:.!?]{2,40}\s?:\s|©)")
SENTENCE_MARK = re.compile(r"[.!?…]")
SENTENCE_END = re.compile(r"[.!?…»”\"]\s*$")
# a closing credit standing alone (often linked to the agency's page) ends the body: kept
CREDIT_LINE = re.compile(
    r"^[-–—]?\s*(?:Xinhua/VNA/CVN|AFP/VNA/CVN|AVI/CVN|VNA/CVN|VNA/VI|VNA|AVI)\s*\.?$"
)


def collapse(text: str) -> str:
    """Whitespace of any kind, runs included, becomes one space; ends trimmed."""
    return SPACES.sub(" ", text).strip()


def _length(text: str | None) -> int:
    return len(collapse(text)) if text else 0


@dataclass
class Tally:
    """An element's text with its boxes left out: how much, how much linked, how it opens."""

    chars: int = 0
    link_chars: int = 0
    links: int = 0
    longest_link: int = 0
    # True: the first text (or an image) is inside a link; None: no text at all
    opens_with_link: bool | None = None
    # the longest run of text outside links with a sentence in it: prose is long
    prose: int = 0
    prose_runs: int = 0
    marked: bool = False  # a sentence mark somewhere in its text
    # the open run of text (inline elements do not end it), and whether it has a sentence mark
    run: int = 0
    run_marked: bool = False

    def add_text(self, text: str | None) -> None:
        chars = _length(text)
        self.chars += chars
        self.run += chars
        if chars and SENTENCE_MARK.search(text or ""):
            self.marked = self.run_marked = True
        # a rank ("1", "2.") before a headline does not open the item: the headline does
        if chars and self.opens_with_link is None and not RANK.match(collapse(text or "")):
            self.opens_with_link = False

    def add_inline(self, child: Tally) -> None:
        """A ``<strong>`` or an ``<a>`` inside a sentence: its text goes on the same run."""
        self.run += child.chars - child.link_chars
        self.run_marked = self.run_marked or child.marked
        self.marked = self.marked or child.marked
        prose, runs = self.prose, self.prose_runs
        self.add(child)
        self.prose, self.prose_runs = prose, runs  # counted in the run, not on their own

    def close_run(self) -> None:
        """A block boundary: the text run so far is prose when long and a sentence."""
        if self.run_marked:
            self.prose = max(self.prose, self.run)
            self.prose_runs += self.run >= MIN_PROSE_CHARS
        self.run, self.run_marked = 0, False

    def add(self, child: Tally) -> None:
        self.chars += child.chars
        self.link_chars += child.link_chars
        self.links += child.links
        self.longest_link = max(self.longest_link, child.longest_link)
        self.prose = max(self.prose, child.prose)
        self.prose_runs += child.prose_runs
        self.marked = self.marked or child.marked
        if self.opens_with_link is None:
            self.opens_with_link = child.opens_with_link

    @property
    def unlinked(self) -> int:
        return self.chars - self.link_chars


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
    if tagged and not _is_picture(element):
        return True
    block = tag in BLOCK_TAGS or tag in SKIP_TAGS or "-" in tag  # a custom element is a block
    if block and _is_link_block(tally):
        return not _is_credit(element, tally)
    if block and len(kids) >= MIN_TEASER_ITEMS and _is_list_box(tally, kids, boxes):
        return not _is_credit(element, tally)
    if _is_small_teaser(element, tag, tally) or _lost_all_but_a_label(tally, kids, boxes):
        return True
    # words are extra evidence: a class or heading does not hide a paragraph of prose,
    # nor a picture and its caption
    if tally.prose >= MIN_PROSE_CHARS or not is_named_box(element):
        return False
    return not _is_picture(element)


def _is_list_box(tally: Tally, kids: list, boxes: set) -> bool:
    """Teasers, records, short lines, one teaser: a list of what is not the article."""
    if _is_teaser_list(kids, boxes) or _is_record_list(kids, boxes):
        return True
    lines = tally.prose < MIN_TAGGED_PROSE_CHARS and _is_line_list(kids, boxes)
    return lines or _is_lone_teaser(kids, boxes)


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


def is_link_line(chars: int, link_chars: int) -> bool:
    """Mostly link text, or a short label and a link at least as long ("Lire aussi : <a>")."""
    if not link_chars:
        return False
    unlinked = chars - link_chars
    return link_chars >= LINK_SHARE * chars or (
        unlinked <= MAX_LINK_LABEL_CHARS and link_chars >= unlinked
    )


def _is_link_block(tally: Tally) -> bool:
    return tally.links > 0 and tally.chars > 0 and is_link_line(tally.chars, tally.link_chars)


def _is_teaser_item(kid: HtmlElement, tally: Tally) -> bool:
    """A headline link (or a linked picture) first, then at most a short teaser text."""
    if str(kid.tag).lower() not in ITEM_TAGS or not tally.opens_with_link:
        return False
    headline = tally.longest_link >= MIN_HEADLINE_CHARS or tally.chars == 0
    return headline and tally.unlinked <= MAX_TEASER_TEXT_CHARS


def _is_teaser_list(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Two or more sibling teaser items, and little else beside them; or a flat run of them."""
    items = [(kid, tally) for kid, tally in kids if tally.chars or tally.opens_with_link]
    # an item may be boxed already (a linked headline, a label and a line): still an item
    teasers = sum(1 for kid, tally in items if _is_teaser_item(kid, tally))
    if teasers >= MIN_TEASER_ITEMS and teasers >= TEASER_ITEMS_SHARE * len(items):
        return True
    return _is_flat_teaser_run(items, boxes)


def _is_flat_teaser_run(items: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Headline link, short text, headline link, short text… as siblings, no item around each.

    (A ``<p>`` holding an ``<h4>`` is closed by the parser before it: what the
    template meant as items comes out flat.) It opens with a headline and every
    text follows one, the two alternating, so an article with "read also"
    lines or link boxes between its paragraphs is not one.
    """
    headlines, texts, after_headline = 0, 0, False
    for kid, tally in items:
        if not tally.chars:
            continue  # a linked picture
        if kid in boxes:
            if tally.longest_link >= MIN_HEADLINE_CHARS:
                headlines, after_headline = headlines + 1, True
            continue
        if not after_headline or tally.unlinked > MAX_TEASER_TEXT_CHARS:
            return False
        texts, after_headline = texts + 1, False
    # headline, text, headline, text: boxes of links between paragraphs are not that
    return headlines >= MIN_FLAT_HEADLINES and texts >= headlines - 1


def _holds_picture(element: HtmlElement) -> bool:
    return next(element.iter(*PICTURE_TAGS[:3]), None) is not None


def _is_picture(element: HtmlElement) -> bool:
    """A picture with a caption and no link: a photo, whatever its box is called."""
    return _holds_picture(element) and element.find(".//a") is None


def _is_record_list(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Two or more sibling records of one shape (name, time, text: comments, agendas)."""
    items = [(kid, tally) for kid, tally in kids if tally.chars]  # a record may be boxed already
    shapes = Counter(shape for kid, tally in items if (shape := _record_shape(kid, tally)))
    if not shapes:
        return False
    repeated = shapes.most_common(1)[0][1]
    return repeated >= MIN_TEASER_ITEMS and repeated >= TEASER_ITEMS_SHARE * len(items)


def _record_shape(kid: HtmlElement, tally: Tally) -> tuple[str, ...] | None:
    """The child tags of a short item holding a block among other parts, else None."""
    if str(kid.tag).lower() not in ITEM_TAGS or tally.chars > MAX_RECORD_CHARS:
        return None
    tags = tuple(str(child.tag).lower() for child in kid if isinstance(child.tag, str))
    if len(tags) < MIN_RECORD_PARTS or not RECORD_BLOCKS.intersection(tags):
        return None
    return tags


def _is_line_list(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Short lines that are not sentences of prose (an agenda, a comment): under a label,
    or three and more without one."""
    items = [(kid, tally) for kid, tally in kids if tally.chars]
    if len(items) >= 2 and _is_label(*items[0], boxes):
        return all(kid not in boxes and _is_short_line(kid, tally) for kid, tally in items[1:])
    # without a label, short lines that are mostly no sentences (an agenda, a colophon)
    if len(items) < MIN_BARE_LINES:
        return False
    if any(kid in boxes or tally.prose >= MIN_PROSE_CHARS for kid, tally in items):
        return False
    texts = [collapse(kid.text_content()) for kid, _ in items]
    sentences = sum(1 for text in texts if SENTENCE_END.search(text))
    labelled = sum(1 for text in texts if LABELLED_LINE.match(text))
    few = len(items) * (1 - TEASER_ITEMS_SHARE)
    return sentences <= few and labelled >= len(items) - few


def _is_label(kid: HtmlElement, tally: Tally, boxes: set) -> bool:
    """A heading over lines: a linked one, or a heading tag (a short <p> is a paragraph)."""
    if kid in boxes:
        return tally.chars <= MAX_LABEL_CHARS  # a linked heading ("See more from us")
    if tally.chars > MAX_LABEL_CHARS:
        return False
    text = kid.text_content()
    heading = str(kid.tag).lower() in HEADING_ONLY_TAGS or (
        text.isupper() and kid.tag in LABEL_TAGS
    )
    return heading and not SENTENCE_END.search(text)


def _is_short_line(kid: HtmlElement, tally: Tally) -> bool:
    if tally.prose >= MIN_TAGGED_PROSE_CHARS:
        return False
    short = tally.chars <= MAX_QUIP_CHARS or _record_shape(kid, tally) is not None
    return short or not _ends_sentence(kid)


def _ends_sentence(element: HtmlElement) -> bool:
    return bool(SENTENCE_END.search(element.text_content()))


def _is_lone_teaser(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """A linked headline in a heading tag, then its teaser text: one teaser on its own."""
    items = [(kid, tally) for kid, tally in kids if tally.chars]
    if len(items) < 2:
        return False
    (first, head), rest = items[0], items[1:]
    if str(first.tag).lower() not in HEADLINE_TAGS or first not in boxes:
        return False
    if head.longest_link < MIN_HEADLINE_CHARS:
        return False
    return sum(tally.unlinked for _, tally in rest) <= MAX_TEASER_TEXT_CHARS and not any(
        str(kid.tag).lower() in HEADLINE_TAGS for kid, _ in rest
    )


def _is_small_teaser(element: HtmlElement, tag: str, tally: Tally) -> bool:
    """A short ``<article>`` with a link inside a page; a small form (a sign-up box)."""
    if tag == "form":
        # an ASP.NET page wraps everything in one <form>; a newsletter form is small
        return tally.chars <= MAX_FORM_CHARS
    # a short brief in an <article> of its own opens with its text, a teaser with a link;
    # a teaser has one sentence or two, an article its paragraphs
    if tag != "article" or not tally.opens_with_link or tally.chars > MAX_TEASER_CHARS:
        return False
    return tally.prose_runs <= 1


def _lost_all_but_a_label(tally: Tally, kids: list, boxes: set) -> bool:
    """Its boxes gone, only a short label is left (the box's heading): the whole is a box."""
    if not any(kid in boxes for kid, _ in kids):
        return False
    held_text = any(kid in boxes and str(kid.tag).lower() not in NON_CONTENT for kid, _ in kids)
    if any(kid not in boxes and _holds_picture(kid) for kid, _ in kids):
        return False  # what is left is a photo and its caption, not a heading
    if held_text:
        return tally.chars <= MAX_LABEL_CHARS
    # a script and a word ("Publicité"): an ad slot
    return any(kid in boxes for kid, _ in kids) and 0 < tally.chars <= MAX_AD_LABEL_CHARS


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


def _is_credit(element: HtmlElement, tally: Tally) -> bool:
    short = tally.chars <= MAX_LABEL_CHARS
    return short and bool(CREDIT_LINE.match(collapse(element.text_content())))


def in_box(element: HtmlElement, boxes: set[HtmlElement]) -> HtmlElement | None:
    """The element itself or its nearest ancestor that is a box, or None."""
    for node in (element, *element.iterancestors()):
        if node in boxes:
            return node
    return None
