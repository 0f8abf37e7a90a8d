"""The cross-check's decision rules (crawler/crosscheck.py, docs/crawling.md), one by one."""

from __future__ import annotations

from typing import Any

import pytest
from parsel import Selector

import config
from crawler import crosscheck
from crawler.boxes import find_boxes
from crawler.extract import extract_article
from tests.crawler.support import ROOT

BODY = [
    "Hanoï (VNA) – Le Premier ministre a présidé mardi une réunion sur les chantiers du delta.",
    "Il a demandé aux provinces d’accélérer les travaux des autoroutes avant la saison des pluies.",
    "Les travaux doivent s’achever à la fin de l’année prochaine, selon le ministère.",
]
SOURCE = config.load_config(ROOT / "config.yaml").sources["lecourrier"]


def _element(markup: str, css: str) -> object:
    return Selector(text=f"<html><body>{markup}</body></html>").css(css)[0].root


def _judge(element: Any, alternative: str, body: list[str], generic: list[str]) -> Any:
    """The verdict with the boxes of the element's whole page, as extraction computes them."""
    boxes = find_boxes(element.getroottree().getroot())
    return crosscheck.judge(element, alternative, body, generic, boxes)


def test_body_inside_a_related_box_is_rejected() -> None:
    element = _element('<div class="related"><div id="b"><p>x</p></div></div>', "#b")
    verdict = _judge(element, "#b", BODY, BODY)
    assert verdict == crosscheck.Verdict("rejected", "inside a div block")


def test_body_inside_a_box_known_by_its_heading_is_rejected() -> None:
    markup = '<div class="zz"><h3>Articles similaires</h3><div id="b"><p>x</p></div></div>'
    verdict = _judge(_element(markup, "#b"), "#b", BODY, BODY)
    assert verdict.outcome == "rejected" and "inside" in verdict.reason


def test_catch_all_without_generic_text_is_rejected_specific_holds() -> None:
    element = _element('<article id="b"><p>x</p></article>', "#b")
    assert _judge(element, "article", BODY, []).reason == "catch-all unchecked"
    assert _judge(element, ".article-content", BODY, []).outcome == "held"


def test_body_much_shorter_than_the_main_text_is_rejected() -> None:
    element = _element('<div id="b"><p>x</p></div>', "#b")
    verdict = _judge(element, "#b", BODY[:1], BODY)
    assert verdict == crosscheck.Verdict("rejected", "too short")


def test_body_sharing_little_text_is_rejected() -> None:
    other = [
        "Hô Chi Minh-Ville ouvre une nouvelle ligne de bus électriques vers le district côtier.",
        "La ligne relie le centre-ville à la plage en moins d’une heure pour dix mille dongs.",
        "Les autorités prévoient trois autres lignes d’ici l’été, selon le service des transports.",
    ]
    element = _element('<div id="b"><p>x</p></div>', "#b")
    verdict = _judge(element, "#b", other, BODY)
    assert verdict == crosscheck.Verdict("rejected", "little shared text")


def test_catch_all_wider_than_the_article_is_rejected() -> None:
    element = _element('<main id="b"><p>x</p></main>', "#b")
    sidebar = [
        "Les plus lus : le festival des lanternes attire des milliers de visiteurs à Hôi An.",
        "Vidéo : la récolte du riz commence plus tôt cette année dans les provinces du Nord.",
        "Sport : l’équipe nationale prépare la coupe régionale avec deux nouveaux joueurs.",
        "Culture : un musée consacré aux céramiques anciennes ouvre ses portes à Huê.",
    ]
    wider = BODY + sidebar
    assert _judge(element, "main", wider, BODY).reason == "catch-all too wide"
    assert _judge(element, ".story-text", wider, BODY).outcome == "held"


def test_matching_body_holds() -> None:
    element = _element('<div id="b"><p>x</p></div>', "#b")
    assert _judge(element, "#b", BODY, BODY) == crosscheck.Verdict("held")


@pytest.mark.parametrize("css", ["article", "main", "div.content", "section", ".content", "#main"])
def test_catch_all_selectors_are_known(css: str) -> None:
    assert crosscheck.is_catch_all(css)


@pytest.mark.parametrize("css", [".article-content", "div.content.article-body", "div.x > article"])
def test_specific_selectors_are_not_catch_all(css: str) -> None:
    assert not crosscheck.is_catch_all(css)


def _page(before: str = "", after: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    return f"""<html><head><meta property="og:title" content="Réunion sur le delta">
    <meta name="description" content="Le chef du gouvernement réunit les provinces.">
    <meta property="article:published_time" content="2026-11-21T09:10:00+07:00"></head>
    <body><h1>Réunion sur le delta</h1>{before}<div class="zq">{paragraphs}</div>{after}
    </body></html>"""


def test_catch_all_hit_on_a_teaser_is_rejected_and_the_article_kept() -> None:
    teaser = (
        '<div class="x"><h3>Articles similaires</h3><article><h3><a href="/a/1.html">'
        "Tô Lâm reçoit Xi Jinping</a></h3><p>Le dirigeant chinois a été accueilli.</p>"
        "</article></div>"
    )
    fields = extract_article(_page(after=teaser), "https://lecourrier.vn/a/1350300.html", SOURCE)
    assert fields.selectors == "rejected"
    assert fields.body.split("\n\n") == BODY
    assert fields.extraction == "partial" and "rejected" in fields.extraction_note


def test_specific_selector_that_matches_holds() -> None:
    page = _page().replace('class="zq"', 'class="article-content"')
    fields = extract_article(page, "https://lecourrier.vn/a/1350300.html", SOURCE)
    assert (fields.selectors, fields.extraction) == ("held", "ok")
    assert fields.body.split("\n\n") == BODY


def test_no_selector_match_is_missing_and_generic_body_kept() -> None:
    fields = extract_article(_page(), "https://lecourrier.vn/a/1350300.html", SOURCE)
    assert fields.selectors == "missing"
    assert fields.body.split("\n\n") == BODY


def test_the_generic_body_gets_the_same_site_cleanup() -> None:
    lead = "Le chef du gouvernement réunit les provinces."
    page = f"""<html><head><meta property="og:title" content="Réunion sur le delta">
    <meta name="description" content="{lead}">
    <meta property="article:published_time" content="2026-11-21T09:10:00+07:00"></head>
    <body><h1>Réunion sur le delta</h1><div class="zq">
    <p>&gt;&gt; Un autre article lié sur les autoroutes du Nord</p>
    <p>{lead}</p>
    <figure><img src="/a.jpg" alt="Réunion sur le delta ảnh 1La salle de réunion. Photo : VNA">
    </figure>
    {"".join(f"<p>{p}</p>" for p in BODY[:-1])}
    <p>{BODY[-1]} – VNA</p>
    <p>Un article sans rapport qui suit le crédit, avec Xi Jinping.</p>
    <p>Voir plus</p><p>Encore un autre sujet sans rapport.</p>
    <p>Rédactrice en chef : Nguyễn Thị A</p></div></body></html>"""
    fields = extract_article(page, "https://lecourrier.vn/a/1350301.html", SOURCE)
    assert fields.selectors == "missing"
    assert fields.body.split("\n\n") == BODY
    assert fields.credit == "VNA"
    assert "La salle de réunion. Photo : VNA" in fields.captions
