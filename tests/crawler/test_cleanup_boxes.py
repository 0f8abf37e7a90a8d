"""The walker skips what is not the article inside a body container, whatever its class names."""

from __future__ import annotations

import pytest
from parsel import Selector

from crawler import cleanup

BODY = "<p>Hanoï (VNA) – Le texte de l’article, assez long pour être un paragraphe entier.</p>"


def _paragraphs(inside: str) -> list[str]:
    root = Selector(text=f'<html><body><div id="c">{BODY}{inside}</div></body></html>')
    return cleanup.html_blocks(root.css("#c")[0].root).paragraphs


@pytest.mark.parametrize(
    "box",
    [
        '<div class="q1"><h3>Articles similaires</h3><p>Un autre sujet, une autre fois.</p></div>',
        '<div class="q2"><strong>Lire aussi</strong><p>Un autre sujet, une autre fois.</p></div>',
        '<div class="q3"><h4>Commentaires (2)</h4><p>Un autre sujet, une autre fois.</p></div>',
        '<article class="q4"><h3><a href="/a.html">Un autre sujet</a></h3>'
        "<p>Un autre sujet, une autre fois.</p></article>",
        '<div class="q5"><a href="#">Partager</a> <a href="#">Un autre sujet</a></div>',
        '<form class="q6"><p>Un autre sujet, une autre fois.</p><input name="e"></form>',
        '<div class="newsletter"><p>Un autre sujet, une autre fois.</p></div>',
    ],
    ids=["similar", "read-also", "comments", "teaser", "links", "form", "class"],
)
def test_boxes_inside_the_body_container_are_skipped(box: str) -> None:
    paragraphs = _paragraphs(box)
    assert paragraphs[0].startswith("Hanoï (VNA)")
    assert not any("autre sujet" in p for p in paragraphs)


def test_a_long_article_and_a_paragraph_with_a_link_are_kept() -> None:
    long_article = "<article><p>" + "Phrase de l’article principal. " * 30 + "</p></article>"
    linked = '<p>Le ministre a cité <a href="/r.html">le rapport</a> publié mardi par l’agence.</p>'
    paragraphs = _paragraphs(long_article + linked)
    assert len(paragraphs) == 3 and "le rapport publié mardi" in paragraphs[2]


def test_a_page_wide_form_is_not_a_newsletter_box() -> None:
    text = "<p>" + "Phrase de l’article principal. " * 20 + "</p>"
    root = Selector(
        text=f'<html><body><form id="aspnet"><div id="c">{text}</div></form></body></html>'
    )
    assert cleanup.html_blocks(root.css("#aspnet")[0].root).paragraphs
