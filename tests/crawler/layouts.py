"""Layout generator: a fixture article rendered into random news-site markup, with its truth.

``generate(seed)`` draws every structural choice from ``random.Random(seed)`` (any
choice can be forced by keyword, for Hypothesis): the article kind (standard,
one- or two-paragraph brief, photo article whose text is one caption), how the
text is marked up (``<p>``, ``<br><br>`` runs in one ``<div>``, bare ``<div>``\\ s,
``<span>``\\ s), the headline, metadata and date markup, the caption markup
(``figure``, photo ``table``, ``div`` with an image), and boxes of many kinds
placed before, inside and after the body. Class, id and tag names are random
words, sometimes honest and sometimes lying about the element's role.

The returned :class:`Page` holds the HTML and the ground truth: the title, the
article's paragraphs (closing credit excluded), its captions and every box string
that must not be in an extracted body. :func:`judge` scores one extraction.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html.entities import codepoint2name
from typing import Any

from tests.crawler import layout_boxes as boxes
from tests.crawler import layout_page
from tests.crawler import layout_texts as texts
from tests.crawler.layout_boxes import Box, Namer, el, esc

HANOI = timezone(timedelta(hours=7))
FIRST_SEED = 22_000  # issue 22: the property test and bench/extract_peers.py start here
KINDS = {"standard": 0.62, "brief1": 0.13, "brief2": 0.13, "photo": 0.12}
BODY_MODES = {"p": 0.4, "br": 0.25, "div": 0.2, "span": 0.15}
TITLE_MARKUP = {"h1_class": 0.4, "h1_bare": 0.35, "h1_link": 0.1, "no_h1": 0.15}
META = {"og": 0.45, "description": 0.2, "none": 0.35}
DATES = {"meta": 0.3, "time": 0.3, "jsonld": 0.2, "text": 0.2}
CAPTIONS = {"figure": 0.4, "table": 0.3, "div": 0.3}
PLACES = {
    "before_main": 0.12,
    "before_body": 0.18,
    "inside": 0.2,
    "after_body": 0.35,
    "after_main": 0.15,
}
BOX_KINDS = {
    "related": 0.25,
    "most_read": 0.15,
    "same_section": 0.15,
    "newsletter": 0.1,
    "share": 0.1,
    "tags": 0.1,
    "comments": 0.08,
    "ad": 0.07,
    "agenda": 0.05,
    "author": 0.04,
    "pager": 0.05,
    "script": 0.05,
}
# comments, the author's note and previous/next links come after the article, not in it
AFTER_ONLY = ("comments", "author", "pager")
NOT_INSIDE = ("agenda", "script")
SHORT = 16  # box strings shorter than this are matched as whole words
BREAKS = ("<br><br>", "<br/>\n<br/>", "<br>&nbsp;<br>", "<br />\r\n<br />", "\n<br>\n<br>\n")


@dataclass(frozen=True)
class Page:
    """A generated page and what a perfect extractor returns for it."""

    seed: int
    url: str
    html: str
    title: str
    lede: str
    paragraphs: tuple[str, ...]
    captions: tuple[str, ...]
    box_texts: tuple[str, ...]
    decoys: tuple[str, ...]
    published: datetime
    choices: dict[str, Any] = field(default_factory=dict)


def generate(seed: int, **forced: Any) -> Page:
    """The page of ``seed``; keyword arguments force a choice (see ``Page.choices`` keys)."""
    return _Builder(seed, forced).build()


ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"))


def normalize(text: str) -> str:
    """Whitespace-collapsed (NBSP too), casefolded NFC text without zero-width spaces."""
    return " ".join(unicodedata.normalize("NFC", text).translate(ZERO_WIDTH).split()).casefold()


def contains(text: str, part: str) -> bool:
    """``part`` in normalized ``text``; a short part (a menu word) only as whole words."""
    if len(part) >= SHORT:
        return part in text
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text) is not None


@dataclass(frozen=True)
class Verdict:
    """One extraction judged against the page's truth."""

    lost: bool
    first: bool
    last: bool
    leaked: tuple[str, ...]
    glued_breaks: int = 0  # adjacent paragraphs joined with no space (SITES.md §6)

    @property
    def clean(self) -> bool:
        """No box string in the output (a lost page is not clean: it has no output)."""
        return not self.leaked and not self.lost


def judge(page: Page, body: str, captions: Sequence[str] = (), *, stored: bool = True) -> Verdict:
    """Score an extracted body (and captions) against ``page``; ``stored`` False = lost."""
    text = normalize(body)
    if not page.paragraphs:  # a photo article: its one caption is its text
        wanted = normalize(page.captions[0])
        found = wanted in text or any(wanted in normalize(c) for c in captions)
        first = last = found
    else:
        first = normalize(page.paragraphs[0]) in text
        last = normalize(page.paragraphs[-1]) in text
    leaked = tuple(t for t in page.box_texts if contains(text, normalize(t)))
    lost = not stored
    return Verdict(lost, first and not lost, last and not lost, leaked, _glued_breaks(page, text))


def _glued_breaks(page: Page, text: str) -> int:
    """How many adjacent paragraph pairs of the truth the output glues (``…fin.Début…``)."""
    pairs = zip(page.paragraphs, page.paragraphs[1:], strict=False)
    return sum(normalize(a)[-20:] + normalize(b)[:20] in text for a, b in pairs)


class _Builder:
    def __init__(self, seed: int, forced: dict[str, Any]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.forced = forced
        self.choices: dict[str, Any] = {}
        names = self.pick("names", {"neutral": 0.7, "honest": 0.15, "lying": 0.15})
        rates = {"neutral": (0.1, 0.05), "honest": (0.7, 0.0), "lying": (0.05, 0.6)}[names]
        self.namer = Namer(self.rng, *rates)
        # the article in an <aside> or <nav> only where names lie about roles anyway
        self.tags = ("section", "article", "main", "aside", "nav")[: 5 if names == "lying" else 3]
        self.boxes: list[Box] = []
        self.linked: dict[str, str] = {}  # paragraph text -> its markup with a link
        self.listed = 0  # the article's last paragraphs are the items of a list

    def pick(self, name: str, weights: dict[str, float]) -> Any:
        value = self.forced.get(name)
        if value is None:
            value = self.rng.choices(list(weights), list(weights.values()))[0]
        self.choices[name] = value
        return value

    def flag(self, name: str, chance: float) -> bool:
        value = self.forced.get(name)
        if value is None:
            value = self.rng.random() < chance
        self.choices[name] = bool(value)
        return bool(value)

    def flag_once(self, name: str, chance: float) -> bool:
        """A flag drawn per call, recorded as True if any call drew it."""
        value = self.rng.random() < chance
        self.choices[name] = self.choices.get(name, False) or value
        return value

    # ------------------------------------------------------------------ the article

    def build(self) -> Page:
        rng = self.rng
        story = rng.choice(texts.STORIES)
        kind = self.pick("kind", KINDS)
        paragraphs = self._paragraphs(story, kind)
        credit, glued = rng.choice(texts.CREDITS)
        self.choices["credit"] = "glued" if glued else "own line"
        lede = story.lede if kind != "photo" or rng.random() < 0.5 else ""
        published = datetime(2026, 11, 1, 8, tzinfo=HANOI) + timedelta(
            minutes=37 * self.seed % 40000
        )
        mode = self.pick("body_mode", BODY_MODES)
        captioned = kind == "photo" or self.flag("with_caption", 0.5)
        caption = self._caption(story, self.pick("caption", CAPTIONS)) if captioned else ""
        body = self._body(paragraphs, credit, glued, mode, kind, caption, lede)
        page_html = self._page(story.title, lede, body, published)
        truth_text = " ".join((story.title, lede, story.caption, credit, *paragraphs))
        return Page(
            seed=self.seed,
            url=self._url(story.title),
            html=page_html,
            title=story.title,
            lede=lede,
            paragraphs=paragraphs,
            captions=(story.caption,) if captioned else (),
            box_texts=_box_texts(self.boxes, truth_text),
            decoys=tuple(b.selector for b in self.boxes if b.kind not in ("inline", "chrome")),
            published=published,
            choices=self.choices,
        )

    def _paragraphs(self, story: texts.Story, kind: str) -> tuple[str, ...]:
        """The article's paragraphs for ``kind``, lengthened, sometimes glued, with a dateline."""
        count = {"standard": len(story.paragraphs), "brief1": 1, "brief2": 2, "photo": 0}[kind]
        paragraphs = self._lengthen(story.paragraphs[:count])
        paragraphs = tuple(
            self._glued(p) if self.flag_once("glued", 0.05) else p for p in paragraphs
        )
        if paragraphs and self.flag("dateline", 0.6):
            form = self.rng.choice(texts.DATELINE_FORMS)
            paragraphs = (form.format(place=story.place) + paragraphs[0], *paragraphs[1:])
        if kind == "standard" and self.flag("list_last", 0.04):
            intro, listed = self.rng.choice(texts.LIST_ENDINGS)
            self.listed = len(listed)
            paragraphs = (*paragraphs, intro, *listed)
        elif kind == "standard" and self.flag("linked_last", 0.05):
            plain, markup = layout_page.linked_sentence(self.rng.choice(texts.LINKED_CLOSINGS))
            self.linked[plain] = markup
            paragraphs = (*paragraphs, plain)
        return paragraphs

    def _lengthen(self, paragraphs: tuple[str, ...]) -> tuple[str, ...]:
        """Append 0-2 filler sentences to each paragraph, none twice on a page."""
        fillers = self.rng.sample(texts.FILLERS, len(texts.FILLERS))
        out = []
        for paragraph in paragraphs:
            count = self.rng.choices((0, 1, 2), (0.35, 0.45, 0.2))[0]
            out.append(" ".join([paragraph] + [fillers.pop() for _ in range(count)]))
        return tuple(out)

    def _glued(self, text: str) -> str:
        """The old CMS's defect: a space lost about every 65 characters."""
        out, since = [], 0
        for char in text:
            since += 1
            if char == " " and since > 60:
                since = 0
                continue
            out.append(char)
        return "".join(out)

    def _url(self, title: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", _ascii(title).lower()).strip("-")
        section = self.rng.choice(("politique", "economie", "societe", "tin-tuc", "news"))
        return (
            f"https://journal-{self.seed % 7}.example.vn/{section}/{slug}-{100000 + self.seed}.html"
        )

    def _caption(self, story: texts.Story, kind: str) -> str:
        amp = self.flag("amp", 0.08)
        alt = f"{story.title} ảnh 1" if self.flag("alt_anh", 0.15) else ""
        img = layout_page.image(self.rng, amp, alt)
        return layout_page.caption_markup(self.rng, self.namer, story.caption, kind, img)

    # ------------------------------------------------------------------ the body

    def _body(
        self,
        paragraphs: tuple[str, ...],
        credit: str,
        glued: bool,
        mode: str,
        kind: str,
        caption: str,
        lede: str,
    ) -> str:
        rng = self.rng
        items: list[tuple[str, str]] = [("text", p) for p in paragraphs]
        if len(paragraphs) >= 3 and self.flag("intertitle", 0.1):
            tag = rng.choice(("h2", "h3", "h4", "strong"))
            items.insert(
                len(items) - 1 - self.listed, ("raw", el(tag, esc(rng.choice(texts.INTERTITLES))))
            )
        if items:
            if glued:
                items[-1] = ("text", items[-1][1] + credit)
            else:
                items.append(("credit", credit))
        if self.listed:
            at = len(items) - self.listed - (0 if glued else 1)
            listed = [value for _, value in items[at : at + self.listed]]
            ul = el(rng.choice(("ul", "ol")), "".join(el("li", esc(v)) for v in listed))
            intro = self._paragraph(items[at - 1][1], mode)  # one block: nothing goes between
            sep = BREAKS[0] if mode == "br" else "\n"
            items[at - 1 : at + self.listed] = [("raw", intro + sep + ul)]
        end = sum(1 for what, _ in items if what != "credit")  # items before a separate credit
        inline = rng.choice((0, 0, 1, 1, 2)) if len(paragraphs) >= 2 else 0
        wanted = self.forced.get("inline_related_lines")  # Hypothesis: some, or none
        if wanted is not None and len(paragraphs) >= 2:
            inline = rng.choice((1, 2)) if wanted else 0
        self.choices["inline_related"] = inline
        for _ in range(inline):
            box = boxes.inline_related(rng, self.namer, mode)
            self.boxes.append(box)
            items.insert(rng.randint(1, end - 1), ("raw", box.html))
            end += 1
        if caption:
            where = 0 if kind == "photo" or rng.random() < 0.6 else rng.randint(0, max(0, end - 1))
            items.insert(where, ("raw", caption))
            end += 1
        if paragraphs and self.flag("chevrons", 0.12):  # Le Courrier's ">> title" lines
            box = boxes.chevron_lines(rng, self.namer, mode)
            self.boxes.append(box)
            items.insert(0, ("raw", box.html))
            end += 1
        if end >= 2 and self.flag("embeds", 0.1):  # a video and a pull quote inside the text
            video = f'<iframe src="https://video.example/embed/{rng.randrange(10**6)}"></iframe>'
            quote = paragraphs[rng.randrange(len(paragraphs))].split(". ")[0]
            pull = el("blockquote", f"« {esc(quote)} »", self.namer.cls())
            for block in (video, pull):
                items.insert(rng.randint(1, end - 1), ("raw", block))
                end += 1
        if lede and paragraphs and self.flag("repeated_lede", 0.08):  # old VietnamPlus
            items.insert(0, ("text", lede))
            end += 1
        short = kind in ("brief1", "brief2", "photo")  # teasers outweigh only a short text
        self.choices["long_teasers"] = self.flag("long_teasers", 0.6) and short
        self._place_boxes(items, end)
        texts_at = [i for i, (what, _) in enumerate(items) if what == "text"]
        if kind == "standard" and len(texts_at) >= 3 and self.flag("split_body", 0.08):
            # an injected ad or teaser cuts the text into two containers
            renderer = boxes.RENDERERS[rng.choice(("ad", "related", "newsletter"))]
            box = renderer(rng, self.namer, False)
            self.boxes.append(box)
            items.insert(rng.choice(texts_at[1:]), ("split", box.html))
        return self._container(items, mode)

    def _place_boxes(self, items: list[tuple[str, str]], end: int) -> None:
        count = self.forced.get("boxes", self.rng.randint(1, 6))
        self.choices["boxes"] = count
        self.placed: dict[str, list[str]] = {p: [] for p in PLACES}
        places: list[str] = []
        for _ in range(count):
            box = boxes.RENDERERS[self.pick("box_kind", BOX_KINDS)](
                self.rng, self.namer, self.choices["long_teasers"]
            )
            self.boxes.append(box)
            place = self._allowed(box.kind, self.pick("place", PLACES), end)
            places.append(place)
            if place == "inside":
                items.insert(self.rng.randint(1, end - 1), ("raw", box.html))
                end += 1
            else:
                self.placed[place].append(box.html)
        self.choices.pop("box_kind", None)
        self.choices.pop("place", None)
        self.choices["box_kinds"] = tuple(b.kind for b in self.boxes if b.kind in BOX_KINDS)
        self.choices["box_places"] = tuple(places)
        if self.flag("trailing_teaser", 0.1):
            box = boxes.trailing_teaser(self.rng, self.namer, self.choices["long_teasers"])
            self.boxes.append(box)
            items.append(("raw", box.html))

    @staticmethod
    def _allowed(kind: str, place: str, end: int) -> str:
        """Where a box of ``kind`` can be: comments never before the article, and so on."""
        early = place in ("before_main", "before_body", "inside")
        inside = place == "inside"
        if (kind in AFTER_ONLY and early) or (inside and (kind in NOT_INSIDE or end < 2)):
            return "after_body"  # "inside" needs two paragraphs to go between
        return place

    def _container(self, items: list[tuple[str, str]], mode: str) -> str:
        rng = self.rng
        parts: list[list[str]] = [[]]
        between = ""
        for what, value in items:
            if what == "split":
                parts.append([])
                between = value
            elif what == "raw":
                parts[-1].append(value)
            elif what == "credit" and rng.random() < 0.4:
                parts[-1].append(f'<p style="text-align:right"><strong>{esc(value)}</strong></p>')
            else:
                parts[-1].append(self._paragraph(value, mode))
        joiner = {"br": rng.choice(BREAKS), "span": rng.choice(("<br><br>", "\n", "<br>"))}
        tag = self.namer.container(self.tags) if rng.random() < 0.7 else "div"
        attr = self._attr("body")
        blocks = [f"<{tag}{attr}>{joiner.get(mode, chr(10)).join(p)}</{tag}>" for p in parts]
        body = f"\n{between}\n".join(blocks)
        for _ in range(rng.randint(0, 2)):
            body = el("div", body, self.namer.cls() if rng.random() < 0.6 else "")
        return body

    def _attr(self, role: str) -> str:
        draw = self.rng.random()
        if draw < 0.15:
            return ""
        if draw < 0.3:
            return f' id="{self.namer.cls(role)}"'
        return f' class="{self.namer.cls(role)}"'

    def _paragraph(self, text: str, mode: str) -> str:
        inner = self._inline_markup(text)
        if self.choices.setdefault("font_tags", self.rng.random() < 0.06):  # old WYSIWYG markup
            inner = f'<font face="Arial" size="2">{inner}</font>'

        if mode == "br":
            return inner
        tag = {"p": "p", "div": "div", "span": "span"}[mode]
        cls = f' class="{self.namer.cls()}"' if self.rng.random() < 0.2 else ""
        return f"<{tag}{cls}>{inner}</{tag}>"

    def _inline_markup(self, text: str) -> str:
        """Escaped text, sometimes with words in <strong>/<em>/<a>, entities, NBSP, hard wraps."""
        rng = self.rng
        words = text.split(" ")
        linked = next((p for p in self.linked if text.startswith(p)), None)
        if linked is not None:
            out = self.linked[linked] + esc(text[len(linked) :])
        elif len(words) > 6 and rng.random() < 0.2:
            start = rng.randrange(1, len(words) - 3)
            tag = rng.choice(("strong", "em", "a", "b"))
            attr = ' href="/tags/x.html"' if tag == "a" else ""
            chunk = " ".join(words[start : start + 2])
            before, after = " ".join(words[:start]), " ".join(words[start + 2 :])
            out = f"{esc(before)} <{tag}{attr}>{esc(chunk)}</{tag}> {esc(after)}"
        else:
            out = esc(text)
        if self.choices.setdefault("entities", rng.random() < 0.1):
            out = "".join(
                f"&{codepoint2name[ord(c)]};" if ord(c) > 127 and ord(c) in codepoint2name else c
                for c in out
            )
        if self.choices.setdefault("nbsp", rng.random() < 0.15):
            # French typography and vnanet's pages: NBSP before : ; ? !, zero-width spaces
            out = re.sub(r" ([:;?!])", "&nbsp;\\1", out)
            out = "\u200b" + out.replace(" (VNA) ", "\xa0(VNA)\xa0")
        if self.choices.setdefault("hard_wrap", rng.random() < 0.1):
            out = re.sub(r"(.{60,72}?) ", lambda m: m.group(1) + "\r\n", out)
        return out

    # ------------------------------------------------------------------ the page

    def _page(self, title: str, lede: str, body: str, published: datetime) -> str:
        rng = self.rng
        site = rng.choice(texts.SITE_NAMES)
        head = [f"<title>{esc(layout_page.head_title(rng, title, site))}</title>"]
        head += layout_page.metas(self.pick("meta", META), title, lede)
        how = self.pick("date", DATES)
        date_html = layout_page.date_markup(rng, self.namer, how, title, published, head)
        main = [layout_page.headline(self.namer, self.pick("title_markup", TITLE_MARKUP), title)]
        if self.flag("breadcrumb", 0.25):
            markup, trail = layout_page.breadcrumb(rng, self.namer)
            self.boxes.append(Box("chrome", "", trail, ""))
            main.insert(0, markup)
        if self.flag("kicker", 0.12):
            markup, text = layout_page.kicker(rng, self.namer)
            self.boxes.append(Box("chrome", "", (text,), ""))
            main.insert(0, markup)
        if lede:
            tag = rng.choice(("p", "div", "h2", "strong"))
            main.append(f"<{tag}{self._attr('')}>{esc(lede)}</{tag}>")
        main = [*main, date_html, *self.placed["before_body"], body, *self.placed["after_body"]]
        lines = tuple(rng.sample(texts.FOOTER_LINES, rng.randint(2, 4)))
        self.boxes.append(Box("chrome", "", (site, *texts.NAV_ITEMS, *lines), ""))
        colophon = self.flag("colophon_in_article", 0.1)
        if colophon:
            main.append(layout_page.footer(lines, True, self.namer))
        main_tag = rng.choice(
            ("main", "article", "div", "section", self.namer.container(self.tags))
        )
        columns = [
            "\n".join(self.placed["before_main"]),
            el(main_tag, "\n".join(m for m in main if m), self.namer.cls()),
            "\n".join(self.placed["after_main"]),
        ]
        if self.flag("table_layout", 0.08):  # the old CMS's page: one table, one cell a column
            cells = "".join(f'<td valign="top">{c}</td>' for c in columns if c)
            columns = [f'<table width="100%" border="0"><tr>{cells}</tr></table>']
        page_body = [
            layout_page.header(self.namer, site, self.flag("logo_h1", 0.1)),
            *columns,
            "" if colophon else layout_page.footer(lines, False, self.namer),
        ]
        amp = " amp" if self.choices.get("amp") else ""
        return (
            f'<!DOCTYPE html>\n<html lang="fr"{amp}>\n<head>\n<meta charset="utf-8">\n'
            + "\n".join(head)
            + "\n</head>\n<body>\n"
            + "\n".join(page_body)
            + "\n</body>\n</html>\n"
        )


def _box_texts(rendered: list[Box], truth_text: str) -> tuple[str, ...]:
    """Every box string, less those the article itself contains (they prove nothing)."""
    truth = normalize(truth_text)
    kept: dict[str, None] = {}
    for box in rendered:
        for text in box.texts:
            key = normalize(text)
            if len(key) >= 4 and not contains(truth, key):
                kept.setdefault(text.strip(), None)
    return tuple(kept)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
