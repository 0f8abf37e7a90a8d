"""Page chrome for the layout generator: head, headline, date, images, captions, header, footer."""

from __future__ import annotations

import html
import json
import random
from datetime import datetime

from tests.crawler import layout_texts as texts
from tests.crawler.layout_boxes import Namer, el, esc


def head_title(rng: random.Random, title: str, site: str) -> str:
    return rng.choice((f"{title} | {site}", f"{site} - {title}", title))


def metas(meta: str, title: str, lede: str) -> list[str]:
    """og:title/og:description, a plain description, or nothing."""
    if meta == "og":
        tags = [
            f'<meta property="og:title" content="{html.escape(title)}">',
            '<meta property="og:type" content="article">',
        ]
        if lede:
            tags.append(f'<meta property="og:description" content="{html.escape(lede)}">')
        return tags
    if meta == "description" and lede:
        return [f'<meta name="description" content="{html.escape(lede)}">']
    return []


def date_markup(
    rng: random.Random, namer: Namer, how: str, title: str, published: datetime, head: list[str]
) -> str:
    """The publication date as a meta tag, JSON-LD, ``<time>`` or visible text only."""
    iso = published.isoformat()
    if how == "meta":
        head.append(f'<meta property="article:published_time" content="{iso}">')
        return ""
    if how == "jsonld":
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "datePublished": iso}
        if rng.random() < 0.5:
            data["headline"] = title
        encoded = json.dumps(data, ensure_ascii=False)
        head.append(f'<script type="application/ld+json">{encoded}</script>')
        return ""
    shown = published.strftime("%d/%m/%Y %H:%M")
    if how == "time":
        return f'<time datetime="{iso}">{shown}</time>'
    label = rng.choice(("Mis à jour le", "Cập nhật:", "Publié le", ""))
    return f'<div class="{namer.cls()}">{label} {shown}</div>'


def headline(namer: Namer, how: str, title: str) -> str:
    if how == "h1_bare":
        return f"<h1>{esc(title)}</h1>"
    if how == "h1_link":
        return f'<h1 class="{namer.cls()}"><a href="#">{esc(title)}</a></h1>'
    if how == "no_h1":
        return f'<div class="{namer.cls()}">{esc(title)}</div>'
    return f'<h1 class="{namer.cls()}">{esc(title)}</h1>'


def image(rng: random.Random, amp: bool, alt: str) -> str:
    """An ``<img>`` (or AMP's ``<amp-img>``); ``alt`` as the old CMS wrote it (``… ảnh 1``)."""
    src = f"/uploaded/2026/11/{rng.randrange(999)}.jpg"
    if amp:
        size = 'width="640" height="360" layout="responsive"'
        return f'<amp-img src="{src}" {size} alt="{html.escape(alt)}"></amp-img>'
    if rng.random() < 0.3:  # lazy loading: the address in data-src, a placeholder in src
        return f'<img src="/blank.gif" data-src="{src}" alt="{html.escape(alt)}">'
    return f'<img src="{src}" alt="{html.escape(alt)}">'


def caption_markup(rng: random.Random, namer: Namer, caption: str, kind: str, img: str) -> str:
    """A photo and its caption: ``figure``/``figcaption``, a two-row ``table``, or divs."""
    text = esc(caption)
    cls = namer.cls()
    if kind == "figure":
        return f'<figure class="{cls}">{img}<figcaption>{text}</figcaption></figure>'
    if kind == "table":
        return f'<table class="{cls}"><tr><td>{img}</td></tr><tr><td>{text}</td></tr></table>'
    return el("div", img + el(rng.choice(("div", "p", "span")), text), cls)


def header(namer: Namer, site: str, logo_h1: bool) -> str:
    """Logo (in an ``<h1>`` on some templates) and the section menu."""
    items = "".join(f'<li><a href="/{i}">{esc(n)}</a></li>' for i, n in enumerate(texts.NAV_ITEMS))
    logo = f'<a href="/" class="{namer.cls()}">{esc(site)}</a>'
    if logo_h1:
        logo = f"<h1>{logo}</h1>"
    return f"<header>{logo}<nav><ul>{items}</ul></nav></header>"


def breadcrumb(rng: random.Random, namer: Namer) -> tuple[str, tuple[str, ...]]:
    """``Accueil › Rubrique › Sous-rubrique`` above the headline."""
    trail = ("Accueil", *rng.sample(texts.NAV_ITEMS[1:], 1), rng.choice(texts.SUBSECTIONS))
    sep = rng.choice((" › ", " / ", " » "))
    links = sep.join(f'<a href="/{i}">{esc(t)}</a>' for i, t in enumerate(trail))
    return el(rng.choice(("nav", "div", "ol")), links, namer.cls()), trail


def footer(lines: tuple[str, ...], inside: bool, namer: Namer) -> str:
    """The colophon: in a ``<footer>``, or (old templates) a div right after the article."""
    inner = "".join(f"<p>{esc(line)}</p>" for line in lines)
    return el("div", inner, namer.cls()) if inside else f"<footer>{inner}</footer>"


def kicker(rng: random.Random, namer: Namer) -> tuple[str, str]:
    """A rubric line above the headline: (markup, text)."""
    text = rng.choice(texts.KICKERS)
    return el(rng.choice(("div", "p", "span")), esc(text), namer.cls()), text


def linked_sentence(text: str) -> tuple[str, str]:
    """(plain text, markup) of a sentence whose [bracketed] words are a link."""
    before, rest = text.split("[", 1)
    inside, after = rest.split("]", 1)
    markup = f'{esc(before)}<a href="/lien/externe">{esc(inside)}</a>{esc(after)}'
    return before + inside + after, markup
