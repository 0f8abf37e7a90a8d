"""Extraction helpers: an article container's HTML -> paragraphs, captions, credit.

Part of the EXTRACT stage (``crawler.extract``); pure functions over lxml
elements and strings. Two steps:

* :func:`html_blocks` walks an element and renders it as blocks: every ``<br>``
  and block-element boundary is a break, whitespace inside a block (``\\r``,
  ``\\n``, tabs, NBSP, zero-width spaces) collapses to one space, so an HTML
  source hard-wrapped at 72 columns never yields glued words. Figures and
  photo tables become captions, not body text.
* :func:`clean_paragraphs` drops what is not the article: ``>>`` related links,
  ``Voir plus`` and what follows, the ``source`` line, everything after the
  closing credit (``-VNA``, ``VNA/CVN``, ``- VNA/VI`` ...), the Le Courrier footer,
  photo-credit lines and ``<headline> ảnh N`` caption lines, a repeated lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from crawler.boxes import find_boxes
from crawler.boxrules import NON_CONTENT, collapse, is_link_line, words

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

BLOCK_TAGS = words(
    "address article aside blockquote center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav "
    "ol p pre section summary table tbody thead tfoot tr td th ul"
)
MAX_CAPTION_CHARS = 600
PICTURES = words("img amp-img picture")
MAX_PICTURE_BLOCK_PARTS = 3
MAX_PICTURE_CAPTION_CHARS = 300
# spans inside these are styling of one paragraph, not paragraphs of their own
INLINE_PARENTS = words("p h1 h2 h3 h4 h5 h6 li a em strong b i span label figcaption")
MIN_SPAN_PARAGRAPHS = 2
MAX_BYLINE_WORDS = 5
CAPTION_CLASS = re.compile(r"caption|legend|photo|picture|image|media", re.IGNORECASE)

CREDIT_TOKEN = r"(?:Xinhua/VNA/CVN|AFP/VNA/CVN|AVI/CVN|VNA/CVN|VNA/VI|VNA|AVI)"
STANDALONE_CREDIT = re.compile(rf"^[-–—]?\s*({CREDIT_TOKEN})\s*\.?$")
TRAILING_CREDIT = re.compile(rf"(?:\s*[-–—]\s*|(?<=[.!?…»”\"’)])\s*)({CREDIT_TOKEN})\s*$")
RELATED_LINK = re.compile(r"^\s*(?:>>|»\s*»|›\s*›)")
VOIR_PLUS = re.compile(r"^\s*(?:voir plus|articles? liés?|autres articles)\b", re.IGNORECASE)
READ_ALSO = re.compile(r"^\s*(?:à\s+)?lire aussi\s*:?\s*$", re.IGNORECASE)
SOURCE_LINE = re.compile(r"^\s*sources?\s*:?\s*$", re.IGNORECASE)
FOOTER_LINE = re.compile(
    r"^\s*(?:rédact(?:rice|eur) en chef|adresse\s*:|permis de publication|tél\.?\s*:|"
    r"e-?mail\s*:|back to top|retour en haut|©|copyright)",
    re.IGNORECASE,
)
PHOTO_LINE = re.compile(r"^\s*(?:photos?|crédit photo)\s*:\s*\S.{0,80}$", re.IGNORECASE)
ANH_PREFIX = re.compile(r"^.{0,400}?\s*ảnh\s*\d+\s*")
DATELINE = re.compile(
    r"^(?P<place>[^\W\d_][^(),\n]{0,40}?)"
    r"(?:,\s*(?:le\s+)?\d{1,2}(?:er)?\s+[^\W\d_]+(?:\s+\d{4})?)?"
    r"\s*\((?:VNA|AVI|VNA/VI|CVN|VI)\)\s*[-–—]"
)


# a headline is looked for among the first paragraphs; a date line is short
HEADER_SCAN = 6
SHORT_LINE = 80
DATE_LIKE = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}:\d{2}|\b\d{1,2}(?:er)?\s+(?:janv|févr|fevr|mars|avr|mai|juin|juil|"
    r"août|aout|sept|oct|nov|déc|dec)",
    re.IGNORECASE,
)


# a sentence or a parenthesis glued to the next word; "U.S.A" or "3.5" are not
GLUED = re.compile(r"(?:[a-zà-öø-ÿ]{2}[.!?;]|\w\))[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]")
MIN_GLUED_JOINS = 2


@dataclass
class Blocks:
    """An element rendered as text blocks, captions set apart.

    ``holders[i]`` is the innermost element holding all of ``paragraphs[i]``
    (a ``<p>``, or the ``<div>`` of a ``<br>``-separated run).
    """

    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    holders: list[HtmlElement] = field(default_factory=list)


@dataclass
class _Walker:
    """Iterative (deeply nested pages must not hit the recursion limit)."""

    boxes: set[HtmlElement]
    drop_link_lines: bool = True
    blocks: Blocks = field(default_factory=Blocks)
    buffer: list[str] = field(default_factory=list)
    breaks: list[bool] = field(default_factory=list)
    # open elements, the root first; the block's text started under stack[low - 1]
    stack: list[HtmlElement] = field(default_factory=list)
    low: int = 0
    link_depth: int = 0
    link_chars: int = 0
    span_parents: dict[HtmlElement, bool] = field(default_factory=dict)

    def add(self, text: str | None) -> None:
        if not text:
            return
        if not self.low and text.strip():
            self.low = len(self.stack)
        if self.link_depth:
            self.link_chars += len(collapse(text))
        self.buffer.append(text)

    def flush(self) -> None:
        text = collapse("".join(self.buffer))
        holder = self.stack[self.low - 1] if self.low else None
        link_chars, self.link_chars, self.low = self.link_chars, 0, 0
        self.buffer.clear()
        if not text or holder is None:
            return
        # an inline "read also" (label + link) or a linked headline among the paragraphs
        # (the page's own headline may be a link to itself: kept, the header drop needs it)
        linked = self.drop_link_lines and is_link_line(len(text), link_chars)
        if linked and holder.tag != "h1" and not STANDALONE_CREDIT.match(text):
            return
        self.blocks.paragraphs.append(text)
        self.blocks.holders.append(holder)

    def render(self, root: HtmlElement) -> Blocks:
        """Walk the children of ``root`` (not its tail) and return the blocks."""
        self.stack = [root]
        events = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        for event, node in events:
            if node is root:
                self.add(node.text if event == "start" else "")
            elif event in ("comment", "pi"):
                self.add(node.tail)  # the comment is dropped, its tail is text
            elif event == "start" and not self.start(node):
                events.skip_subtree()
            elif event == "end":
                self.end(node)
        self.flush()
        return self.blocks

    def start(self, node: HtmlElement) -> bool:
        """Open ``node``; False when its subtree is not to be walked."""
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        self.stack.append(node)
        if not tag or node in self.boxes:
            self.breaks.append(bool(tag))
            return False
        caption = is_caption(node, tag)
        breaking = caption or tag in BLOCK_TAGS or tag == "br"
        breaking = breaking or (tag == "span" and self.spans_are_paragraphs(node.getparent()))
        self.breaks.append(breaking)
        if breaking:
            self.flush()
        if caption:
            self.blocks.captions.extend(caption_texts(node))
            return False
        if tag == "a":
            self.link_depth += 1
        self.add(node.text)
        return True

    def spans_are_paragraphs(self, parent: HtmlElement | None) -> bool:
        """A block holding only spans and nothing between them: each is a paragraph."""
        if parent is None:
            return False
        if parent not in self.span_parents:
            self.span_parents[parent] = _only_spans(parent, self.boxes)
        return self.span_parents[parent]

    def end(self, node: HtmlElement) -> None:
        if self.breaks.pop():
            self.flush()
        self.stack.pop()
        if self.low > len(self.stack):
            self.low = len(self.stack)
        if isinstance(node.tag, str) and node.tag.lower() == "a" and self.link_depth:
            self.link_depth -= 1
        self.add(node.tail)


def _only_spans(parent: HtmlElement, boxes: set[HtmlElement]) -> bool:
    """Two or more spans in a block (not a paragraph), no text between its children."""
    if not isinstance(parent.tag, str) or parent.tag.lower() in INLINE_PARENTS:
        return False
    kids = [kid for kid in parent if isinstance(kid.tag, str) and kid not in boxes]
    spans = sum(1 for kid in kids if kid.tag.lower() == "span")
    if spans < MIN_SPAN_PARAGRAPHS or (parent.text or "").strip():
        return False
    return all(not (kid.tail or "").strip() for kid in kids)


def is_caption(element: HtmlElement, tag: str) -> bool:
    """A figure, a figcaption, a photo table or a ``caption`` block: captions, not body."""
    if tag in ("figure", "figcaption"):
        return True
    if tag == "table":
        # a photo table holds a caption; a layout table wrapping the article does not
        text = element.text_content()
        has_photo = element.find(".//img") is not None or "Photo" in text
        classed = bool(CAPTION_CLASS.search(element.get("class", "")))
        # a short brief laid out in a table with its photo is no caption: a caption is short
        limit = MAX_CAPTION_CHARS if classed else MAX_PICTURE_CAPTION_CHARS
        return len(collapse(text)) <= limit and (has_photo or classed)
    if tag not in ("div", "p", "span"):
        return False
    return "caption" in element.get("class", "").lower() or _is_picture_block(element)


def _is_picture_block(element: HtmlElement) -> bool:
    """A picture and a short line beside it, nothing more: a caption however it is marked."""
    kids = [kid for kid in element if isinstance(kid.tag, str)]
    pictures = [kid for kid in kids if kid.tag.lower() in PICTURES]
    if len(pictures) != 1 or len(kids) > MAX_PICTURE_BLOCK_PARTS:
        return False
    return 0 < len(collapse(element.text_content())) <= MAX_PICTURE_CAPTION_CHARS


def caption_texts(element: HtmlElement) -> list[str]:
    """The caption(s) of a figure or photo table: figcaption text, else image alt."""
    tag = element.tag.lower()
    if tag == "figure":
        figcaptions = element.findall(".//figcaption")
        if figcaptions:
            return [t for fc in figcaptions if (t := _inner_text(fc))]
        alts = [collapse(img.get("alt", "")) for img in element.findall(".//img")]
        return [a for a in alts if a]
    text = _inner_text(element)
    return [text] if text else []


def _inner_text(element: HtmlElement) -> str:
    hidden = {e for e in element.iter(*NON_CONTENT) if e is not element}
    blocks = _Walker(hidden, drop_link_lines=False).render(element)
    parts = blocks.paragraphs + blocks.captions
    return strip_anh_prefix(" ".join(parts))


def html_blocks(element: HtmlElement, boxes: set[HtmlElement] | None = None) -> Blocks:
    """Render ``element`` (the article container) as paragraphs and captions.

    ``boxes`` are the page's boxes (:func:`crawler.boxes.find_boxes`), skipped
    with everything inside them; found under ``element`` when not given.
    """
    return _Walker(find_boxes(element) if boxes is None else boxes).render(element)


def strip_anh_prefix(caption: str) -> str:
    """``"<headline> ảnh 1La rédaction…"`` -> ``"La rédaction…"`` (old CMS alt text)."""
    return ANH_PREFIX.sub("", caption, count=1).strip() if "ảnh" in caption else caption


@dataclass
class CleanBody:
    """The article's own paragraphs, the captions found among them and the credit."""

    paragraphs: list[str]
    captions: list[str]
    credit: str | None = None


def clean_paragraphs(paragraphs: Iterable[str], summary: str = "", title: str = "") -> CleanBody:
    """Keep the article's paragraphs; stop at the credit, ``Voir plus`` or the footer."""
    result = CleanBody(paragraphs=[], captions=[])
    for text in paragraphs:
        if _stops_body(text):
            break
        if RELATED_LINK.match(text) or READ_ALSO.match(text):
            continue
        if PHOTO_LINE.match(text) or ("ảnh" in text and ANH_PREFIX.match(text)):
            result.captions.append(strip_anh_prefix(text))
            continue
        kept, credit = split_credit(text)
        if kept:
            result.paragraphs.append(kept)
        if credit:
            result.credit = credit
            break
    paragraphs_kept = drop_page_header(_dedupe_adjacent(result.paragraphs), title)
    result.paragraphs = drop_repeated_lead(paragraphs_kept, summary)
    return result


def _stops_body(text: str) -> bool:
    return bool(VOIR_PLUS.match(text) or SOURCE_LINE.match(text) or FOOTER_LINE.match(text))


def split_credit(text: str) -> tuple[str, str | None]:
    """``"… dongs.VNA"`` -> ``("… dongs.", "VNA")``; text without a closing credit is kept."""
    whole = STANDALONE_CREDIT.match(text)
    if whole:
        return "", whole.group(1)
    trailing = TRAILING_CREDIT.search(text)
    if not trailing or trailing.start() == 0:
        return text, None
    kept = text[: trailing.start()].rstrip(" -–—")
    # "Minh Thu - VNA": a byline signing the dispatch, not a sentence of it
    return ("" if is_byline(kept) else kept), trailing.group(1)


def is_byline(text: str) -> bool:
    """A short line of names (``Minh Thu``, ``Thanh Vu/Hoang Nam``), no sentence in it."""
    words = re.split(r"[\s/]+", text)
    if len(words) > MAX_BYLINE_WORDS or re.search(r"[.!?:;,«»“”\d]", text):
        return False
    return all(word[:1].isupper() for word in words)


def squeeze(text: str) -> str:
    """Letters and digits only, case folded: the same text whatever its spacing."""
    return re.sub(r"[\W_]+", "", text).casefold()


def drop_page_header(paragraphs: list[str], title: str) -> list[str]:
    """A container wider than the body (``<article>``) opens with kicker, headline and date."""
    keys = [squeeze(p) for p in paragraphs[:HEADER_SCAN]]
    if not title or squeeze(title) not in keys:
        return paragraphs
    rest = paragraphs[keys.index(squeeze(title)) + 1 :]
    while rest and _is_date_line(rest[0]):
        rest = rest[1:]
    return rest


def _is_date_line(text: str) -> bool:
    return len(text) <= SHORT_LINE and bool(DATE_LIKE.search(text)) and not DATELINE.match(text)


def drop_repeated_lead(paragraphs: list[str], summary: str) -> list[str]:
    """Old VietnamPlus pages print the sapo, then repeat it as the first paragraph (or twice)."""
    key = squeeze(summary)
    start = 0
    while key and start < len(paragraphs) and squeeze(paragraphs[start]) == key:
        start += 1
    return paragraphs[start:]


def _dedupe_adjacent(items: list[str]) -> list[str]:
    return [t for i, t in enumerate(items) if i == 0 or t != items[i - 1]]


def unique(items: Iterable[str]) -> list[str]:
    """Keep the first of identical items (captions repeated as alt text and figcaption)."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = squeeze(item)
        if item and key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def drop_caption_copies(paragraphs: list[str], captions: Iterable[str]) -> list[str]:
    """A caption printed again as a body paragraph (figcaption + ``<p>`` copy) is not body."""
    seen = {squeeze(caption) for caption in captions}
    return [p for p in paragraphs if squeeze(p) not in seen]


def has_glued_words(text: str) -> bool:
    """Text joined without spaces upstream (``épouse.Lors``, ``(PCV)Nguyen``).

    Such text cannot be repaired without a lexicon; it is flagged, not guessed at.
    """
    return len(GLUED.findall(text)) >= MIN_GLUED_JOINS


def find_dateline(body: str) -> str | None:
    """The place of ``Hanoï (VNA) –`` / ``Hanoi, 4 décembre (VNA) -`` opening the body."""
    match = DATELINE.match(body)
    return match.group("place").strip() if match else None
