"""Extraction helper: what makes an element a box, the measures and the rules.

Part of the EXTRACT stage (``crawler.extract``), used by ``crawler.boxes``,
which walks the page and applies them. :class:`Tally` measures an element's
text with its boxes left out (how much, how much linked, how it opens, its
runs of prose); each ``is_*`` rule says whether a list of kids, or an
element, is a teaser list, a record list, a list of short lines, a lone
teaser, a link block… The thresholds are here, one place, with why.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


def text_length(text: str | None) -> int:
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
        chars = text_length(text)
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


def is_link_line(chars: int, link_chars: int) -> bool:
    """Mostly link text, or a short label and a link at least as long ("Lire aussi : <a>")."""
    if not link_chars:
        return False
    unlinked = chars - link_chars
    return link_chars >= LINK_SHARE * chars or (
        unlinked <= MAX_LINK_LABEL_CHARS and link_chars >= unlinked
    )


def is_link_block(tally: Tally) -> bool:
    return tally.links > 0 and tally.chars > 0 and is_link_line(tally.chars, tally.link_chars)


def is_teaser_item(kid: HtmlElement, tally: Tally) -> bool:
    """A headline link (or a linked picture) first, then at most a short teaser text."""
    if str(kid.tag).lower() not in ITEM_TAGS or not tally.opens_with_link:
        return False
    headline = tally.longest_link >= MIN_HEADLINE_CHARS or tally.chars == 0
    return headline and tally.unlinked <= MAX_TEASER_TEXT_CHARS


def is_teaser_list(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Two or more sibling teaser items, and little else beside them; or a flat run of them."""
    items = [(kid, tally) for kid, tally in kids if tally.chars or tally.opens_with_link]
    # an item may be boxed already (a linked headline, a label and a line): still an item
    teasers = sum(1 for kid, tally in items if is_teaser_item(kid, tally))
    if teasers >= MIN_TEASER_ITEMS and teasers >= TEASER_ITEMS_SHARE * len(items):
        return True
    return is_flat_teaser_run(items, boxes)


def is_flat_teaser_run(items: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
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


def holds_picture(element: HtmlElement) -> bool:
    return next(element.iter(*PICTURE_TAGS[:3]), None) is not None


def is_picture(element: HtmlElement) -> bool:
    """A picture with a caption and no link: a photo, whatever its box is called."""
    return holds_picture(element) and element.find(".//a") is None


def is_record_list(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Two or more sibling records of one shape (name, time, text: comments, agendas)."""
    items = [(kid, tally) for kid, tally in kids if tally.chars]  # a record may be boxed already
    shapes = Counter(shape for kid, tally in items if (shape := record_shape(kid, tally)))
    if not shapes:
        return False
    repeated = shapes.most_common(1)[0][1]
    return repeated >= MIN_TEASER_ITEMS and repeated >= TEASER_ITEMS_SHARE * len(items)


def record_shape(kid: HtmlElement, tally: Tally) -> tuple[str, ...] | None:
    """The child tags of a short item holding a block among other parts, else None."""
    if str(kid.tag).lower() not in ITEM_TAGS or tally.chars > MAX_RECORD_CHARS:
        return None
    tags = tuple(str(child.tag).lower() for child in kid if isinstance(child.tag, str))
    if len(tags) < MIN_RECORD_PARTS or not RECORD_BLOCKS.intersection(tags):
        return None
    return tags


def is_line_list(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
    """Short lines that are not sentences of prose (an agenda, a comment): under a label,
    or three and more without one."""
    items = [(kid, tally) for kid, tally in kids if tally.chars]
    if len(items) >= 2 and is_label(*items[0], boxes):
        return all(kid not in boxes and is_short_line(kid, tally) for kid, tally in items[1:])
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


def is_label(kid: HtmlElement, tally: Tally, boxes: set) -> bool:
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


def is_short_line(kid: HtmlElement, tally: Tally) -> bool:
    if tally.prose >= MIN_TAGGED_PROSE_CHARS:
        return False
    short = tally.chars <= MAX_QUIP_CHARS or record_shape(kid, tally) is not None
    return short or not ends_sentence(kid)


def ends_sentence(element: HtmlElement) -> bool:
    return bool(SENTENCE_END.search(element.text_content()))


def is_lone_teaser(kids: list[tuple[HtmlElement, Tally]], boxes: set) -> bool:
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


def is_small_teaser(element: HtmlElement, tag: str, tally: Tally) -> bool:
    """A short ``<article>`` with a link inside a page; a small form (a sign-up box)."""
    if tag == "form":
        # an ASP.NET page wraps everything in one <form>; a newsletter form is small
        return tally.chars <= MAX_FORM_CHARS
    # a short brief in an <article> of its own opens with its text, a teaser with a link;
    # a teaser has one sentence or two, an article its paragraphs
    if tag != "article" or not tally.opens_with_link or tally.chars > MAX_TEASER_CHARS:
        return False
    return tally.prose_runs <= 1


def lost_all_but_a_label(tally: Tally, kids: list, boxes: set) -> bool:
    """Its boxes gone, only a short label is left (the box's heading): the whole is a box."""
    if not any(kid in boxes for kid, _ in kids):
        return False
    held_text = any(kid in boxes and str(kid.tag).lower() not in NON_CONTENT for kid, _ in kids)
    if any(kid not in boxes and holds_picture(kid) for kid, _ in kids):
        return False  # what is left is a photo and its caption, not a heading
    if held_text:
        return tally.chars <= MAX_LABEL_CHARS
    # a script and a word ("Publicité"): an ad slot
    return any(kid in boxes for kid, _ in kids) and 0 < tally.chars <= MAX_AD_LABEL_CHARS


def is_credit(element: HtmlElement, tally: Tally) -> bool:
    short = tally.chars <= MAX_LABEL_CHARS
    return short and bool(CREDIT_LINE.match(collapse(element.text_content())))
