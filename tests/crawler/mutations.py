"""Layout mutations: each fixture article re-rendered in many layouts, extracted, checked.

    .venv/bin/python -m tests.crawler.mutations        # one line per variant, then the total

The articles are the bundled sample-site pages of the manifest
(tests/fixtures/articles/expected.json). Each is first extracted from its own
page; its title, date, lead, paragraphs and credit are then written into
layouts the selectors of config.yaml were not written for (unknown class
names, the body in div / section / article / main, nested ``<article>``
teasers naming leaders before and after the body, "Articles similaires",
"Lire aussi" and tag boxes, share bars, newsletter forms, comment threads, a
sidebar longer than the article, hard-wrapped source, the lead inside or
outside the body container). A (article, variant) pair passes when the
extraction gives the same title, date, first and last paragraph, and none of
the teaser or chrome text. ``tests/crawler/test_mutations.py`` runs it.
"""

from __future__ import annotations

import html
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import config
from crawler.extract import extract_article

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "tests/fixtures/articles/expected.json"
SOURCES = config.load_config(ROOT / "config.yaml").sources

# the outlets' own body markup, for the variants that keep it
KNOWN_BODY = {
    "vietnamplus": ('<div class="article__body cms-body">', "</div>"),
    "lecourrier": ('<div class="article-content">', "</div>"),
    "vietnamillustre": ('<div class="bavn-main-post"><article class="lr-ct">', "</article></div>"),
}
# chrome written for these tests; every phrase must stay out of the body
TEASERS = [
    "Tô Lâm inaugure un nouveau pont sur le fleuve Rouge à Hanoï",
    "Xi Jinping appelle à une coopération renforcée entre les ports du Sud",
    "Pham Minh Chinh préside une réunion sur les autoroutes du delta",
    "Wang Yi rencontre des diplomates des pays riverains du Mékong",
]
TEASER_SENTENCES = [
    "Le dirigeant a visité le chantier du pont en compagnie des autorités locales.",
    "Le président chinois a évoqué la modernisation des terminaux à conteneurs.",
    "Le chef du gouvernement a demandé d’accélérer les travaux avant la saison des pluies.",
    "Le ministre chinois a plaidé pour une gestion commune des ressources en eau.",
]
COMMENTS = [
    "Très bon article, merci pour ces informations sur la Chine et le Vietnam.",
    "J’aimerais en savoir plus sur la position de Tô Lâm au sujet de la frontière.",
]
SIDEBAR = [
    f"Dossier spécial numéro {n} : les grands chantiers d’infrastructure du pays, "
    f"des autoroutes aux ports en eau profonde, racontés par nos correspondants régionaux."
    for n in range(1, 16)
]
CHROME = [
    *TEASERS,
    *TEASER_SENTENCES,
    *COMMENTS,
    *SIDEBAR,
    "Articles similaires",
    "Lire aussi",
    "Mots-clés",
    "Partager sur Facebook",
    "Recevez notre lettre d’information",
    "Commentaires",
    "Tous droits réservés",
    "Accueil",
]


@dataclass(frozen=True)
class Parts:
    """The article as the original page gives it."""

    source: str
    url: str
    title: str
    summary: str
    published_at: str
    paragraphs: list[str]
    credit: str


@dataclass
class Layout:
    """Where the parts go: the body container and the chrome around it."""

    body_open: str = '<div class="zq-txt">'
    body_close: str = "</div>"
    before: list[str] = field(default_factory=list)
    inside_top: list[str] = field(default_factory=list)
    inside_middle: list[str] = field(default_factory=list)
    inside_bottom: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    lead_inside: bool = False
    wrap: bool = False


# --------------------------------------------------------------------------- chrome


def teaser_articles(start: int = 0, count: int = 2) -> str:
    """Nested ``<article>`` teasers, each a linked headline and one sentence."""
    items = []
    for i in range(start, start + count):
        items.append(
            f'<article class="kx-item"><h3><a href="/autre-{i}.html">{TEASERS[i % 4]}</a></h3>'
            f"<p>{TEASER_SENTENCES[i % 4]}</p></article>"
        )
    return "".join(items)


def similar_box() -> str:
    return f'<div class="pz-9"><h3>Articles similaires</h3>{teaser_articles(0, 4)}</div>'


def read_also() -> str:
    return f'<div class="b-77"><strong>Lire aussi</strong> <a href="/x.html">{TEASERS[1]}</a></div>'


def tag_box() -> str:
    links = '<a href="/t/1">Chine</a> <a href="/t/2">Tô Lâm</a>'
    return f'<div class="qq"><span>Mots-clés</span> {links}</div>'


def share_bar() -> str:
    return '<div class="w3"><a href="#">Partager sur Facebook</a> <a href="#">X</a></div>'


def newsletter() -> str:
    return (
        '<form class="f-1" action="/abonnement"><p>Recevez notre lettre d’information</p>'
        '<input type="email" name="email"><button>OK</button></form>'
    )


def comments() -> str:
    items = "".join(
        f'<div class="c-2"><b>Lecteur {i}</b><p>{c}</p></div>' for i, c in enumerate(COMMENTS)
    )
    return f'<div class="c-1"><h3>Commentaires (2)</h3>{items}</div>'


def long_sidebar() -> str:
    items = "".join(f'<div class="s-2"><p>{s}</p></div>' for s in SIDEBAR)
    return f'<div class="s-1">{items}</div>'


# --------------------------------------------------------------------------- variants


def _unknown(layout: Layout) -> Layout:
    return layout


def _in(tag: str) -> Callable[[Layout], Layout]:
    def variant(layout: Layout) -> Layout:
        layout.body_open, layout.body_close = f'<{tag} class="m-body">', f"</{tag}>"
        return layout

    return variant


def _teasers_around(layout: Layout) -> Layout:
    layout.body_open, layout.body_close = '<article class="n-post">', "</article>"
    layout.inside_top = [teaser_articles(0, 2)]
    layout.inside_bottom = [teaser_articles(2, 2)]
    return layout


def _similar(layout: Layout) -> Layout:
    layout.after = [similar_box()]
    return layout


def _similar_known(layout: Layout) -> Layout:
    """The issue's case: known classes gone, a similar box of ``<article>`` teasers below."""
    layout.before = [teaser_articles(1, 1)]
    layout.after = [similar_box()]
    return layout


def _read_also(layout: Layout) -> Layout:
    layout.inside_middle = [read_also()]
    return layout


def _tags(layout: Layout) -> Layout:
    layout.inside_bottom = [tag_box()]
    return layout


def _share(layout: Layout) -> Layout:
    layout.inside_top = [share_bar()]
    layout.after = [share_bar()]
    return layout


def _newsletter(layout: Layout) -> Layout:
    layout.inside_bottom = [newsletter()]
    return layout


def _comments(layout: Layout) -> Layout:
    layout.after = [comments()]
    return layout


def _sidebar(layout: Layout) -> Layout:
    layout.after = [long_sidebar()]
    return layout


def _wrapped(layout: Layout) -> Layout:
    layout.wrap = True
    layout.after = [similar_box()]
    return layout


def _lead_inside(layout: Layout) -> Layout:
    layout.lead_inside = True
    return layout


def _links_and_voir_plus(layout: Layout) -> Layout:
    layout.inside_top = [f'<p><a href="/r.html">&gt;&gt; {TEASERS[0]}</a></p>']
    layout.inside_bottom = [f"<p>Voir plus</p><p>{TEASERS[2]}</p><p>{TEASER_SENTENCES[2]}</p>"]
    return layout


def _teaser_after_credit(layout: Layout) -> Layout:
    layout.inside_bottom = [f"<p>{TEASERS[3]}</p><p>{TEASER_SENTENCES[3]}</p>"]
    return layout


def _known_class_on_teasers(layout: Layout, source: str = "") -> Layout:
    """The selectors' class names now sit on teasers (filled in by :func:`render`)."""
    layout.after = [similar_box()]
    return layout


def _known(layout: Layout) -> Layout:
    """Known classes (filled in by :func:`render`), every kind of chrome around."""
    layout.inside_top = [share_bar()]
    layout.inside_bottom = [tag_box(), newsletter()]
    layout.after = [similar_box(), comments(), long_sidebar()]
    return layout


VARIANTS: dict[str, Callable[[Layout], Layout]] = {
    "unknown_classes": _unknown,
    "body_in_section": _in("section"),
    "body_in_article": _in("article"),
    "body_in_main": _in("main"),
    "teasers_before_after": _teasers_around,
    "articles_similaires": _similar,
    "similar_box_no_selector": _similar_known,
    "lire_aussi": _read_also,
    "tag_box": _tags,
    "share_bars": _share,
    "newsletter_form": _newsletter,
    "comment_thread": _comments,
    "long_sidebar": _sidebar,
    "hard_wrapped_crlf": _wrapped,
    "lead_inside_body": _lead_inside,
    "related_links_voir_plus": _links_and_voir_plus,
    "teaser_after_credit": _teaser_after_credit,
    "known_class_on_teasers": _known_class_on_teasers,
    "known_classes_all_chrome": _known,
}


# --------------------------------------------------------------------------- pages


def render(parts: Parts, variant: str) -> str:
    """The article's page in layout ``variant``."""
    layout = VARIANTS[variant](Layout())
    if variant == "known_classes_all_chrome":
        layout.body_open, layout.body_close = KNOWN_BODY[parts.source]
    if variant == "known_class_on_teasers":
        known_open, known_close = KNOWN_BODY[parts.source]
        layout.before = [f"{known_open}<p>{TEASER_SENTENCES[0]}</p>{known_close}"]
    title = html.escape(parts.title)
    lead = f'<p class="u-lead">{html.escape(parts.summary)}</p>' if parts.summary else ""
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in parts.paragraphs]
    paragraphs[-1] = paragraphs[-1].replace("</p>", f" – {parts.credit}</p>")
    middle = len(paragraphs) // 2
    body = [*paragraphs[:middle], *layout.inside_middle, *paragraphs[middle:]]
    container = "\n".join(
        [
            layout.body_open,
            *layout.inside_top,
            lead if layout.lead_inside else "",
            *body,
            *layout.inside_bottom,
            layout.body_close,
        ]
    )
    page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>{title} | Le Journal</title>
<meta property="og:title" content="{title}">
<meta name="description" content="{html.escape(parts.summary)}">
</head><body>
<div class="top-r"><a href="/">Accueil</a> <a href="/monde">Monde</a></div>
<div class="wrap-x">
{"".join(layout.before)}
<div class="hd-7"><h1>{title}</h1>
<time datetime="{parts.published_at}">{parts.published_at[:10]}</time></div>
{"" if layout.lead_inside else lead}
{container}
{"".join(layout.after)}
</div>
<div class="bt-0"><p>Tous droits réservés</p></div>
</body></html>
"""
    return _hard_wrap(page) if layout.wrap else page


def _hard_wrap(page: str) -> str:
    """The old CMS: source lines wrapped at 72 columns, CRLF line ends."""
    lines = [textwrap.fill(line, 72, break_long_words=False) for line in page.split("\n")]
    return "\r\n".join("\r\n".join(line.split("\n")) for line in lines)


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Result:
    """One (article, variant) pair."""

    article: str
    variant: str
    problems: tuple[str, ...]
    selectors: str


def fixture_articles() -> list[Parts]:
    """The sample-site articles of the manifest, as their own pages give them."""
    found = []
    for case in json.loads(MANIFEST.read_text("utf-8")):
        if not case["path"].startswith("demo/sample_site/") or not case["published_at"]:
            continue
        fields = extract_article(
            (ROOT / case["path"]).read_bytes(), case["url"], SOURCES[case["source"]]
        )
        assert fields.published_at is not None
        found.append(
            Parts(
                source=case["source"],
                url=case["url"],
                title=fields.title,
                summary=fields.summary,
                published_at=fields.published_at.isoformat(),
                paragraphs=fields.body.split("\n\n"),
                credit=fields.credit or SOURCES[case["source"]].credit,
            )
        )
    return found


def check(parts: Parts, variant: str) -> Result:
    """Extract the variant page and list what differs from the original."""
    fields = extract_article(render(parts, variant), parts.url, SOURCES[parts.source])
    paragraphs = fields.body.split("\n\n")
    published = fields.published_at.isoformat() if fields.published_at else None
    problems = [
        name
        for name, wrong in (
            ("title", fields.title != parts.title),
            ("date", published != parts.published_at),
            ("first", paragraphs[0] != parts.paragraphs[0]),
            ("last", paragraphs[-1] != parts.paragraphs[-1]),
        )
        if wrong
    ]
    problems += [f"chrome:{text[:30]}" for text in CHROME if text in fields.body]
    return Result(Path(parts.url).name[:40], variant, tuple(problems), fields.selectors)


def run() -> list[Result]:
    """Every (article, variant) pair."""
    return [check(parts, variant) for parts in fixture_articles() for variant in VARIANTS]


def main() -> None:
    """Print one line per variant (passed / pairs, selector outcomes) and the total."""
    results = run()
    for variant in VARIANTS:
        rows = [r for r in results if r.variant == variant]
        passed = sum(not r.problems for r in rows)
        outcomes = {o: sum(r.selectors == o for r in rows) for o in ("held", "rejected", "missing")}
        failures = "; ".join(f"{r.article}: {', '.join(r.problems)}" for r in rows if r.problems)
        print(
            f"{variant:26} {passed:3}/{len(rows):<3} held={outcomes['held']:<3} "
            f"rejected={outcomes['rejected']:<3} missing={outcomes['missing']:<3} {failures}"
        )
    total = sum(not r.problems for r in results)
    print(f"{'total':26} {total:3}/{len(results):<3} {100 * total / len(results):.1f} %")


if __name__ == "__main__":
    main()
