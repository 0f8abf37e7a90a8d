"""Boxes for the layout generator: teaser lists, share bars, newsletters, comments…

Each renderer returns a :class:`Box`: its HTML, every string in it that must not end
up in an article body, and a CSS selector that matches the box (the generator uses
it as a misleading selector). Headings come from :data:`BOX_HEADINGS`, phrasings no
production module may contain (``tests/crawler/test_layouts.py`` checks), mixed with
a few :data:`COMMON_HEADINGS` that every news site uses.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from tests.crawler import layout_texts as texts

# Box headings and inline labels the production code must not know (French,
# Vietnamese, English). Multi-word on purpose: a single word would be a common word.
BOX_HEADINGS: tuple[str, ...] = (
    "À ne pas manquer",
    "Nos dernières dépêches",
    "Toujours dans cette rubrique",
    "Vous aimerez aussi",
    "Les plus consultés",
    "À découvrir également",
    "Notre sélection du jour",
    "Le fil de l'actualité",
    "Sur le même thème",
    "Pour approfondir le sujet",
    "Les incontournables",
    "Ailleurs sur le site",
    "Dossiers associés",
    "Restez informés",
    "Réagissez à cet article",
    "Ces articles peuvent vous intéresser",
    "Tin cùng chuyên mục",
    "Tin liên quan",
    "Đọc thêm",
    "Tin mới nhất",
    "Đọc nhiều nhất",
    "Có thể bạn quan tâm",
    "Bài viết khác",
    "Tin nổi bật",
    "Also on our site",
    "You may have missed",
    "Trending now",
    "More from this section",
    "Editor's picks",
    "Keep reading",
    "Don't miss",
    "Further coverage",
    "Join the conversation",
    "Stay in the loop",
    "Recommended for you",
)
# Labels of an inline "read also" line between two paragraphs.
INLINE_LABELS: tuple[str, ...] = (
    "Pour approfondir :",
    "À découvrir également :",
    "Sur le même thème :",
    "Đọc thêm:",
    "Tin liên quan:",
    "Keep reading:",
    "Further coverage:",
    "►",
    "→",
)
# What every news site writes; production may know these, the generator uses them sometimes.
COMMON_HEADINGS: tuple[str, ...] = (
    "Lire aussi",
    "Articles similaires",
    "Voir plus",
    "Les plus lus",
    "Related articles",
)


@dataclass(frozen=True)
class Box:
    """A rendered box: markup, strings that must stay out of the body, a selector for it."""

    kind: str
    html: str
    texts: tuple[str, ...]
    selector: str


class Namer:
    """Class, id and tag names: mostly neutral random words, sometimes honest, sometimes lying."""

    HONEST: ClassVar[dict[str, tuple[str, ...]]] = {
        "body": ("article-body", "content", "post-content", "detail-content", "story-text"),
        "box": ("related", "more-news", "sidebar", "widget", "box-news"),
    }

    def __init__(self, rng: random.Random, honest: float, lying: float) -> None:
        self.rng = rng
        self.honest = honest
        self.lying = lying
        self.used: set[str] = set()

    def word(self) -> str:
        rng = self.rng
        parts = rng.sample(texts.NEUTRAL_WORDS, rng.choice((1, 1, 2)))
        if rng.random() < 0.4:
            parts.append(str(rng.randrange(1, 99)))
        return rng.choice(("-", "_", "")).join(parts) if len(parts) > 1 else parts[0]

    def cls(self, role: str = "") -> str:
        """A class name unique on the page; ``role`` is body or box (or '' for chrome)."""
        draw = self.rng.random()
        if role and draw < self.honest:
            base = self.rng.choice(self.HONEST[role])
        elif role and draw < self.honest + self.lying:
            base = self.rng.choice(self.HONEST["box" if role == "body" else "body"])
        else:
            base = self.word()
        name = base
        while name in self.used:
            name = f"{base}{self.rng.randrange(100, 999)}"
        self.used.add(name)
        return name

    def container(self, tags: tuple[str, ...] = ("section", "aside", "article", "nav")) -> str:
        """A block tag: mostly div, some of ``tags`` (HTML5 sectioning), some custom elements."""
        draw = self.rng.random()
        if draw < 0.6:
            return "div"
        if draw < 0.8:
            return self.rng.choice(tags)
        return f"{self.rng.choice(texts.NEUTRAL_WORDS)}-{self.rng.choice(texts.NEUTRAL_WORDS)}"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def heading(rng: random.Random, namer: Namer) -> tuple[str, str]:
    """(markup, text) of a box heading, or ('', '') for a box without one."""
    if rng.random() < 0.15:
        return "", ""
    text = rng.choice(COMMON_HEADINGS) if rng.random() < 0.2 else rng.choice(BOX_HEADINGS)
    if rng.random() < 0.2:
        text = text.upper()
    tag = rng.choice(("h2", "h3", "h4", "div", "span", "p", "strong"))
    attr = f' class="{namer.cls()}"' if rng.random() < 0.7 else ""
    inner = (
        esc(text)
        if rng.random() < 0.7
        else f'<a href="/rubrique/{rng.randrange(9)}">{esc(text)}</a>'
    )
    return f"<{tag}{attr}>{inner}</{tag}>", text


def _href(rng: random.Random) -> str:
    slug = "-".join(rng.sample(texts.NEUTRAL_WORDS, 3))
    return f"/{rng.choice(('tin', 'actu', 'news', 'p'))}/{slug}-{rng.randrange(10**5, 10**6)}.html"


def _teaser_text(rng: random.Random, teaser: str, long: bool) -> str:
    if not long:
        return teaser
    extra = rng.sample(texts.LONG_TEASER_SENTENCES, rng.randint(1, 3))
    return " ".join([teaser, *extra])


def el(tag: str, inner: str, cls: str = "") -> str:
    """``<tag class="cls">inner</tag>``."""
    attr = f' class="{cls}"' if cls else ""
    return f"<{tag}{attr}>{inner}</{tag}>"


def teaser_items(rng: random.Random, namer: Namer, count: int, long: bool) -> tuple[str, list[str]]:
    """Sibling items, each mostly a link, some with a short (or long) teaser text."""
    # an old CMS lays its lists out in a table, one row a teaser
    list_tag = rng.choice(("ul", "ol", "div", "div", "table"))
    item_tag = {"ul": "li", "ol": "li", "table": "td"}.get(list_tag) or rng.choice(
        ("div", "article", "p")
    )
    item_cls = namer.cls() if rng.random() < 0.8 else ""
    title_tag = rng.choice(("", "h3", "h4", "strong", "span"))
    text_tag = "span" if item_tag == "p" else rng.choice(("p", "span", "div"))
    with_text = long or rng.random() < 0.5
    with_image = rng.random() < 0.4
    numbered = list_tag == "ol" or rng.random() < 0.15
    items, found = [], []
    for number, (title, teaser) in enumerate(rng.sample(texts.TEASERS, count), 1):
        link = f'<a href="{_href(rng)}">{esc(title)}</a>'
        parts = [el(title_tag, link) if title_tag else link]
        if numbered:
            parts.insert(0, el("span", str(number), item_cls and f"{item_cls}-n"))
        found.append(title)
        if with_image:
            parts.insert(0, f'<a href="#"><img src="/img/{rng.randrange(999)}.jpg" alt=""></a>')
        if with_text:
            text = _teaser_text(rng, teaser, long)
            found.append(text)
            parts.append(el(text_tag, esc(text)))
        item = el(item_tag, "".join(parts), item_cls)
        items.append(f"<tr>{item}</tr>" if list_tag == "table" else item)
    return el(list_tag, "".join(items)), found


def wrap(namer: Namer, kind: str, inner: str, found: list[str]) -> Box:
    tag, cls = namer.container(), namer.cls("box")
    markup = f'<{tag} class="{cls}">{inner}</{tag}>'
    return Box(kind, markup, tuple(t for t in found if t), f".{cls}")


def teaser_box(kind: str) -> Callable[[random.Random, Namer, bool], Box]:
    """Related, most read, same section: a heading over a teaser list."""

    def render(rng: random.Random, namer: Namer, long: bool) -> Box:
        head, text = heading(rng, namer)
        items, found = teaser_items(rng, namer, rng.randint(2, 6), long)
        return wrap(namer, kind, head + items, [text, *found])

    return render


def newsletter_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    head, text = heading(rng, namer)
    line = rng.choice(texts.NEWSLETTER_LINES)
    button = rng.choice(("Je m'abonne", "Đăng ký", "Sign up", "Valider mon inscription"))
    form = (
        f'<form action="/abo"><p>{esc(line)}</p><input type="email" placeholder="votre@mail">'
        f"<button>{esc(button)}</button></form>"
    )
    return wrap(namer, "newsletter", head + form, [text, line, button])


def share_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    labels = rng.sample(texts.SHARE_LABELS, rng.randint(3, 6))
    links = "".join(f'<a href="#" class="{namer.cls()}">{esc(label)}</a>' for label in labels)
    lead = rng.choice(("Partager :", "Chia sẻ", "Share this", ""))
    return wrap(namer, "share", f"<span>{esc(lead)}</span>{links}", [lead, *labels])


def tags_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    head, text = heading(rng, namer)
    tags = rng.sample(texts.TAGS, rng.randint(2, 5))
    links = "".join(
        f'<a href="/tags/{i}">{esc("#" + t if rng.random() < 0.3 else t)}</a> '
        for i, t in enumerate(tags)
    )
    return wrap(namer, "tags", head + f"<div>{links}</div>", [text, *tags])


def comments_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    head, text = heading(rng, namer)
    chosen = rng.sample(texts.COMMENTS, rng.randint(1, 4))
    items = "".join(
        f'<div class="{namer.cls()}"><b>{esc(who)}</b> <span>il y a {rng.randint(2, 50)} min</span>'
        f"<p>{esc(said)}</p></div>"
        for who, said in chosen
    )
    found = [text] + [said for _, said in chosen]
    return wrap(namer, "comments", head + items, found)


def ad_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    line = rng.choice(
        (
            "Séjours au Vietnam à prix doux, réservez dès maintenant",
            "Ưu đãi đặc biệt cho thuê bao mới trong tháng này",
            "Learn Vietnamese online with native teachers",
        )
    )
    label = rng.choice(("Publicité", "Quảng cáo", "Advertisement"))
    return wrap(namer, "ad", f"<small>{label}</small><a href='#'>{esc(line)}</a>", [line])


def trailing_teaser(rng: random.Random, namer: Namer, long: bool) -> Box:
    """One unrelated headline and summary right after the credit, no heading (old CMS)."""
    title, teaser = rng.choice(texts.TEASERS)
    text = _teaser_text(rng, teaser, long)
    markup = f'<h3><a href="{_href(rng)}">{esc(title)}</a></h3><p>{esc(text)}</p>'
    return wrap(namer, "trailing", markup, [title, text])


def agenda_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    """A box with no link at all: coming events, one per line."""
    head, text = heading(rng, namer)
    lines = rng.sample(texts.AGENDA, rng.randint(2, 4))
    tag = rng.choice(("p", "li", "div"))
    inner = "".join(el(tag, esc(line)) for line in lines)
    if tag == "li":
        inner = el("ul", inner)
    return wrap(namer, "agenda", head + inner, [text, *lines])


def chevron_lines(rng: random.Random, namer: Namer, body_mode: str) -> Box:
    """1-4 related links, one per line, each ``>> title`` (Le Courrier's style)."""
    titles = [t for t, _ in rng.sample(texts.TEASERS, rng.randint(1, 4))]
    prefix = rng.choice((">> ", ">>", "» "))
    lines = [f'{esc(prefix)}<a href="{_href(rng)}">{esc(t)}</a>' for t in titles]
    cls = namer.cls()
    if body_mode == "br":
        markup = "<br>".join(lines)
    else:
        tag = {"p": "p", "div": "div", "span": "span"}[body_mode]
        markup = "".join(el(tag, line, cls) for line in lines)
    return Box("chevrons", markup, tuple(titles), f".{cls}")


def author_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    """A link-free note on the writer, after the article."""
    who, bio = rng.choice(texts.AUTHORS)
    inner = el("strong", esc(who)) + el("p", esc(bio))
    return wrap(namer, "author", inner, [who, bio])


def pager_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    """Previous / next article links."""
    labels = rng.choice((("Article précédent", "Article suivant"), ("Bài trước", "Bài sau")))
    titles = [t for t, _ in rng.sample(texts.TEASERS, 2)]
    inner = "".join(
        el("div", f"{el('span', esc(label))} <a href='{_href(rng)}'>{esc(title)}</a>")
        for label, title in zip(labels, titles, strict=True)
    )
    return wrap(namer, "pager", inner, [*labels, *titles])


def script_box(rng: random.Random, namer: Namer, long: bool) -> Box:
    """An ad slot: a script and a style whose text is not page text."""
    code = f"googletag.cmd.push(function() {{ googletag.display('slot-{rng.randrange(99)}'); }});"
    inner = (
        f"<style>.x{{display:none}}</style><script>{code}</script><noscript>Publicité</noscript>"
    )
    return wrap(namer, "script", inner, [code])


RENDERERS: dict[str, Callable[[random.Random, Namer, bool], Box]] = {
    "related": teaser_box("related"),
    "most_read": teaser_box("most_read"),
    "same_section": teaser_box("same_section"),
    "newsletter": newsletter_box,
    "share": share_box,
    "tags": tags_box,
    "comments": comments_box,
    "ad": ad_box,
    "agenda": agenda_box,
    "author": author_box,
    "pager": pager_box,
    "script": script_box,
}


def inline_related(rng: random.Random, namer: Namer, body_mode: str) -> Box:
    """A short "read also" line between two paragraphs: a label and a link."""
    label = rng.choice(INLINE_LABELS) if rng.random() < 0.8 else rng.choice(("Lire aussi :", ">>"))
    title = rng.choice(texts.TEASERS)[0]
    link = f'<a href="{_href(rng)}">{esc(title)}</a>'
    styled = rng.choice(
        (f"<strong>{esc(label)}</strong> ", f"{esc(label)} ", f"<em>{esc(label)}</em> ")
    )
    cls = namer.cls()
    if body_mode == "br":
        markup = f"{styled}{link}"
    else:
        tag = {"p": rng.choice(("p", "div", "blockquote")), "div": "div", "span": "span"}[body_mode]
        markup = f'<{tag} class="{cls}">{styled}{link}</{tag}>'
    found = [title] if len(label) < 3 else [label, title]
    return Box("inline", markup, tuple(found), f".{cls}")
