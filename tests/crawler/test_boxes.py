"""Boxes found by structure (crawler/boxes.py), each rule on markup whose words it does not know.

Every box below is headed or classed in words no production list holds; each
test names the rule that catches it, and fails without that rule.
"""

from __future__ import annotations

import config
from crawler.extract import extract_article
from tests.crawler.support import ROOT

NO_SELECTORS = (
    config.load_config(ROOT / "config.yaml")
    .sources["lecourrier"]
    .model_copy(update={"selectors": config.Selectors()})
)
URL = "https://lecourrier.vn/une-breve/1350999.html"
TITLE = "Le port de Hai Phong ouvre un nouveau terminal à conteneurs"
FIRST = (
    "Hai Phong (VNA) – Le port de Hai Phong a mis en service mardi un terminal capable "
    "d’accueillir les plus grands porte-conteneurs du monde, a annoncé l’autorité portuaire."
)
LAST = (
    "Les travaux de la seconde tranche doivent commencer au printemps et s’achever "
    "avant la fin de la décennie, selon le même communiqué."
)
TEASER_TEXT = (
    "Une longue présentation d’un autre sujet, qui parle du Premier ministre, de la "
    "Chine, des échanges commerciaux et des provinces frontalières du Nord, avec bien "
    "plus de mots que la brève elle-même n’en compte, pour la rendre plus grande."
)


RICE = "Les exportations de riz en hausse au troisième trimestre"


def _page(body: str, *, around: str = "") -> str:
    return f"""<html><head><title>{TITLE}</title>
    <meta property="article:published_time" content="2026-12-01T09:00:00+07:00"></head>
    <body><div class="qz"><h1>{TITLE}</h1><div class="wv">{body}</div></div>{around}
    </body></html>"""


def _body(html: str) -> str:
    fields = extract_article(html, URL, NO_SELECTORS)
    assert fields.extraction != "failed", fields.extraction_note
    return fields.body


def _teasers(count: int, tag: str = "li") -> str:
    return "".join(
        f'<{tag} class="k{i}"><h4><a href="/autre/{i}.html">Un autre titre numéro {i} sur le '
        f"commerce régional</a></h4><p>{TEASER_TEXT}</p></{tag}>"
        for i in range(count)
    )


def test_a_brief_beside_a_bigger_teaser_list_under_an_unknown_heading_keeps_its_own_text() -> None:
    """Teaser list (two or more items, each a headline link then a short text)."""
    box = f'<div class="mm"><h3>Ne manquez pas non plus</h3><ul>{_teasers(5)}</ul></div>'
    body = _body(_page(f"<p>{FIRST}</p><p>{LAST} – VNA</p>", around=box))
    assert FIRST in body and LAST in body
    assert "autre sujet" not in body and "Ne manquez pas" not in body


def test_a_teaser_list_of_divs_inside_the_body_container_is_left_out() -> None:
    inside = f'<div class="zz">{_teasers(3, "div")}</div>'
    body = _body(_page(f"<p>{FIRST}</p>{inside}<p>{LAST}</p>"))
    assert FIRST in body and LAST in body and "autre sujet" not in body


def test_an_inline_label_and_link_between_paragraphs_is_left_out() -> None:
    """Label + link line: a short label, then a link at least as long."""
    label = "<b>À découvrir également sur le site :</b>"  # too long a label for a link block
    inline = f'<p>{label} <a href="/x/1.html">Hanoï accueille un forum sur le rail</a></p>'
    body = _body(_page(f"<p>{FIRST}</p>{inline}<p>{LAST}</p>"))
    assert FIRST in body and LAST in body and "forum sur le rail" not in body


def test_text_in_br_runs_with_a_bare_headline_is_found_and_its_inline_link_left_out() -> None:
    """<br> runs as paragraphs (the recall pass and the block holders), link line in a run."""
    runs = "<br><br>".join(
        [
            FIRST,
            "Le terminal a coûté près de 300 millions de dollars, financés par un groupe "
            "d’investisseurs vietnamiens et japonais associés à l’autorité portuaire.",
            f'Voir encore dans la même veine : <a href="/y/2.html">{RICE}</a>',
            LAST + "-VNA",
        ]
    )
    html = f"""<html><head></head><body><h1>{TITLE}</h1><div>{runs}</div>
    <div><a href="/a">Accueil</a> | <a href="/b">Économie</a> | <a href="/c">Société</a></div>
    </body></html>"""
    fields = extract_article(html, URL, NO_SELECTORS)
    assert fields.extraction != "failed" and fields.body_found
    assert fields.body.startswith(FIRST) and fields.body.endswith(LAST)
    assert "exportations de riz" not in fields.body and "Accueil" not in fields.body


def test_a_long_list_of_links_is_a_box_whatever_its_length() -> None:
    """Link block: mostly link text, however long."""
    links = " ".join(f'<a href="/t/{i}.html">Un sujet très suivi numéro {i}</a>' for i in range(30))
    body = _body(_page(f"<p>{FIRST}</p><div class='ff'>{links}</div><p>{LAST}</p>"))
    assert FIRST in body and LAST in body and "très suivi" not in body


def test_a_short_heading_right_before_a_box_goes_with_it() -> None:
    """Label of a box: a short heading-like line just before a box."""
    box = f"<h5>Plus de lecture</h5><ul class='pp'>{_teasers(2)}</ul>"
    body = _body(_page(f"<p>{FIRST}</p>{box}<p>{LAST}</p>"))
    assert "Plus de lecture" not in body and FIRST in body and LAST in body


def test_a_subheading_of_the_article_stays() -> None:
    body = _body(_page(f"<p>{FIRST}</p><h3>Une seconde tranche</h3><p>{LAST}</p>"))
    assert "Une seconde tranche" in body


def test_the_headline_line_is_never_a_box_whatever_its_class() -> None:
    """A misleading class on the article's own container does not hide the article."""
    html = f"""<html><head><title>{TITLE}</title></head><body>
    <div class="related-main"><h1>{TITLE}</h1><p>{FIRST}</p><p>{LAST}</p></div></body></html>"""
    body = _body(html)
    assert FIRST in body and LAST in body


def test_a_linked_credit_still_ends_the_body() -> None:
    body = _body(
        _page(f'<p>{FIRST}</p><p>{LAST}</p><p><a href="/vna">VNA</a></p><p>{TEASER_TEXT}</p>')
    )
    assert body.endswith(LAST) and "autre sujet" not in body


def test_a_paragraph_with_linked_names_is_article_text() -> None:
    linked = (
        '<p><a href="/tag/pm">Le Premier ministre Pham Minh Chinh</a> a salué l’ouverture du '
        "terminal et demandé aux ministères de simplifier les procédures douanières pour les "
        "entreprises qui l’utiliseront dès le mois prochain.</p>"
    )
    body = _body(_page(f"<p>{FIRST}</p>{linked}{linked.replace('mois prochain', 'printemps')}"))
    assert "Pham Minh Chinh a salué" in body and "dès le printemps" in body
