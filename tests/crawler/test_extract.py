"""Extraction: our fixture pages against tests/fixtures/articles/expected.json, plus
focused cases for the outlets' text defects (glued words, lost paragraph breaks,
teasers after the credit, repeated leads, ``ảnh N`` caption prefixes)."""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import config
from crawler import cleanup, dates
from crawler.extract import (
    article_id_from_url,
    content_hash,
    decode_html,
    extract_article,
)
from crawler.items import ArticleFields

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((ROOT / "tests/fixtures/articles/expected.json").read_text("utf-8"))
SOURCES = config.load_config(ROOT / "config.yaml").sources


def _extract(case: dict[str, Any]) -> ArticleFields:
    data = (ROOT / case["path"]).read_bytes()
    return extract_article(data, case["url"], SOURCES[case["source"]])


@pytest.fixture(scope="module")
def extracted() -> dict[str, ArticleFields]:
    return {case["path"]: _extract(case) for case in EXPECTED}


def _source_html(name: str) -> str:
    return (ROOT / "tests/fixtures/articles" / name).read_bytes().decode("utf-8")


# ------------------------------------------------------------------ the manifest


@pytest.mark.parametrize("case", EXPECTED, ids=[Path(c["path"]).name[:60] for c in EXPECTED])
def test_extract_article_matches_manifest(
    case: dict[str, Any], extracted: dict[str, ArticleFields]
) -> None:
    fields = extracted[case["path"]]
    assert fields.title == case["title"]
    published = fields.published_at.isoformat() if fields.published_at else None
    assert published == case["published_at"]
    assert fields.credit == case["credit"]
    assert fields.dateline == case["dateline"]
    assert fields.body.startswith(case["first"]), fields.body[:200]
    assert fields.body.endswith(case["last"]), fields.body[-200:]
    for text in case["with"]:
        assert text in fields.body, text
    for text in case["without"]:
        assert text not in fields.body, text
    assert len(fields.captions) >= case["captions_min"], fields.captions
    assert fields.extraction == case.get("extraction", "ok"), fields.extraction_note
    assert "\n\n\n" not in fields.body


@pytest.mark.parametrize("case", EXPECTED, ids=[Path(c["path"]).name[:60] for c in EXPECTED])
def test_extract_article_paragraphs_are_clean(
    case: dict[str, Any], extracted: dict[str, ArticleFields]
) -> None:
    fields = extracted[case["path"]]
    for paragraph in fields.body.split("\n\n"):
        assert paragraph == paragraph.strip()
        assert "  " not in paragraph and "\n" not in paragraph and "\xa0" not in paragraph
        assert not paragraph.startswith((">>", "Photo"))
    assert not fields.summary or fields.summary not in fields.body


def test_extract_article_caption_start_when_expected(extracted: dict[str, ArticleFields]) -> None:
    cases = [c for c in EXPECTED if "caption_start" in c]
    assert len(cases) >= 2
    for case in cases:
        captions = extracted[case["path"]].captions
        assert any(c.startswith(case["caption_start"]) for c in captions), captions


def test_cross_outlet_story_has_same_body(extracted: dict[str, ArticleFields]) -> None:
    by_id = {c["source"] + ":" + article_id_from_url(c["url"], _pattern(c)): c for c in EXPECTED}
    duplicate = next(c for c in EXPECTED if "duplicate_of" in c)
    original = by_id[duplicate["duplicate_of"]]
    body = extracted[duplicate["path"]].body
    other = extracted[original["path"]].body
    assert other.endswith(body.split("\n\n", 1)[1])
    assert extracted[duplicate["path"]].title != extracted[original["path"]].title


def _pattern(case: dict[str, Any]) -> str:
    return SOURCES[case["source"]].article_url_pattern


def test_every_demo_article_is_in_the_manifest() -> None:
    """Each article id served by the demo site (under any URL form) has a manifest case."""
    site = ROOT / "demo/sample_site"
    served = {_article_key(str(p.relative_to(site))) for p in site.rglob("*") if p.is_file()}
    listed = {_article_key(c["url"].split("127.0.0.1:8000/")[-1]) for c in EXPECTED}
    assert served - {None} <= listed
    new_cms = [c for c in EXPECTED if re.search(r"sample_site/.*-post\d+\.vnp$", c["path"])]
    assert len(new_cms) >= 4


def _article_key(path: str) -> tuple[str, str] | None:
    outlet = path.split("/", 1)[0]
    if outlet not in SOURCES:
        return None
    article_id = article_id_from_url("/" + path, SOURCES[outlet].article_url_pattern)
    return (outlet, article_id) if article_id else None


# ------------------------------------------------------------------ the text defects

VNP = SOURCES["vietnamplus"]
HARD_WRAPPED = "tests/fixtures/articles/vietnamplus_old_crlf.html"


def test_hard_wrapped_crlf_source_gives_no_glued_words(extracted: dict[str, ArticleFields]) -> None:
    raw = _source_html("vietnamplus_old_crlf.html")
    fields = extracted[HARD_WRAPPED]
    assert raw.count("\r\n") > 30
    for line_end, next_start in _wrap_points(raw):
        assert f"{line_end}{next_start}" not in fields.body
    assert "\r" not in fields.body and "\r" not in fields.summary
    assert "les intérêts légitimes des investisseurs étrangers" in fields.body


OLD_CMS_CASES = [
    c
    for c in EXPECTED
    if c["source"] == "vietnamplus" and not re.search(r"-post\d+\.vnp$", c["url"])
]


@pytest.mark.parametrize("case", OLD_CMS_CASES, ids=[c["path"][-30:] for c in OLD_CMS_CASES])
def test_hard_wrapped_old_cms_pages_give_no_glued_words(
    case: dict[str, Any], extracted: dict[str, ArticleFields]
) -> None:
    raw = (ROOT / case["path"]).read_bytes().decode("utf-8")
    fields = extracted[case["path"]]
    for line_end, next_start in _wrap_points(raw):
        assert f"{line_end}{next_start}" not in fields.body
        assert f"{line_end}{next_start}" not in fields.summary


def _wrap_points(raw: str) -> list[tuple[str, str]]:
    """(last word of a source line, first word of the next) inside the body text."""
    lines = raw.splitlines()
    points = []
    for current, following in itertools.pairwise(lines):
        current, following = current.strip(), following.strip()
        if current and following and not current.endswith(">") and not following.startswith("<"):
            points.append((current.split()[-1], following.split()[0]))
    assert len(points) > 10
    return points


def test_br_between_paragraphs_keeps_a_break() -> None:
    html = """<html><body><h1>Titre</h1><div class="content">
    Le ministre était accompagné de son épouse.<br>Lors de la réception, il a salué
    les progrès réalisés.<br/>Il a ensuite visité une usine.</div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/titre/257200.vnp", VNP)
    assert "épouse.Lors" not in fields.body
    assert "réalisés.Il" not in fields.body
    assert fields.body.split("\n\n") == [
        "Le ministre était accompagné de son épouse.",
        "Lors de la réception, il a salué les progrès réalisés.",
        "Il a ensuite visité une usine.",
    ]


@pytest.mark.parametrize(
    ("ending", "kept", "credit"),
    [
        ("des deux pays. – VNA", "des deux pays.", "VNA"),
        ("des deux pays.-VNA", "des deux pays.", "VNA"),
        ("7.200 milliards de dongs.VNA", "7.200 milliards de dongs.", "VNA"),
        ("des deux pays. - AVI", "des deux pays.", "AVI"),
        ("des deux pays.–VNA/VI", "des deux pays.", "VNA/VI"),
    ],
)
def test_credit_ends_body_and_drops_foreign_teaser(ending: str, kept: str, credit: str) -> None:
    html = f"""<html><body><h1>Titre</h1><div class="article__sapo">Chapô.</div>
    <div class="article__body"><p>Hanoï (VNA) – Premier paragraphe.</p><p>Suite {ending}</p>
    <p>Le PM reçoit l’ambassadeur de Suède</p><p>Un résumé d’un autre article.</p></div>
    </body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/titre-post257201.vnp", VNP)
    assert fields.body.endswith(f"Suite {kept}")
    assert fields.credit == credit
    assert "Suède" not in fields.body and "autre article" not in fields.body


def test_credit_line_alone_ends_body_and_footer_is_dropped() -> None:
    html = """<html><body><h1>Titre</h1><div class="article-content"><p>Un paragraphe.</p>
    <p>VNA/CVN</p><p>Rédactrice en chef : X</p><p>back to top</p></div></body></html>"""
    fields = extract_article(
        html, "https://lecourrier.vn/titre/1350400.html", SOURCES["lecourrier"]
    )
    assert fields.body == "Un paragraphe."
    assert fields.credit == "VNA/CVN"


def test_vna_inside_a_sentence_is_not_a_credit() -> None:
    html = """<html><body><h1>Titre</h1><div class="article__body">
    <p>Le directeur général de la VNA a reçu une délégation de Xinhua.</p>
    <p>Les deux agences ont signé un accord. – VNA</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257202.vnp", VNP)
    assert fields.body.startswith("Le directeur général de la VNA a reçu")
    assert fields.body.endswith("signé un accord.")


def test_repeated_lead_is_kept_once(extracted: dict[str, ArticleFields]) -> None:
    for case in EXPECTED:
        fields = extracted[case["path"]]
        squeezed = "".join(fields.summary.split())
        assert squeezed or case["source"] == "vietnamillustre", case["path"]
        assert not squeezed or squeezed not in "".join(fields.body.split()), case["path"]


def test_repeated_lead_dropped_even_when_glued() -> None:
    html = """<html><body><h1>Titre</h1><div class="sapo">Le président a reçu le ministre
    chinois des Affaires étrangères.</div><div class="content">Le président a reçu le
    ministrechinois des Affaires étrangères.<br><br>Hanoi (VNA) - Le texte.-VNA</div>
    </body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t/257203.vnp", VNP)
    assert fields.body == "Hanoi (VNA) - Le texte."


def test_anh_prefix_is_stripped_from_captions(extracted: dict[str, ArticleFields]) -> None:
    fields = extracted["tests/fixtures/articles/vietnamplus_old_crlf.html"]
    assert fields.captions
    assert all("ảnh" not in caption for caption in fields.captions)
    assert fields.captions[0].startswith("Le Premier ministre Pham Minh Chinh et les dirigeants")


def test_anh_caption_line_inside_body_goes_to_captions() -> None:
    html = """<html><body><h1>Titre</h1><div class="content"><p>Texte du corps.</p>
    <p>Le titre de l'article ảnh 2Des délégués à la réunion. Photo: VNA</p>
    <p>Fin du texte.-VNA</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t/257204.vnp", VNP)
    assert fields.body == "Texte du corps.\n\nFin du texte."
    assert fields.captions == ("Des délégués à la réunion. Photo: VNA",)


def test_identical_captions_are_kept_once(extracted: dict[str, ArticleFields]) -> None:
    for fields in extracted.values():
        assert len(set(fields.captions)) == len(fields.captions)


def test_related_links_and_voir_plus_are_dropped() -> None:
    html = """<html><body><h1>Titre</h1><div class="content"><p>>> Un autre article</p>
    <p>>>Un article plus ancien</p><p>Le vrai texte.</p><p>Voir plus</p>
    <p>Encore un autre titre</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t/257205.vnp", VNP)
    assert fields.body == "Le vrai texte."


# ------------------------------------------------------------------ dates


def test_date_without_offset_is_vietnam_time() -> None:
    html = """<html><body><h1>T</h1><time datetime="2026-11-21T08:00:00">x</time>
    <div class="article__body"><p>Texte.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257206.vnp", VNP)
    assert fields.published_at == datetime.fromisoformat("2026-11-21T08:00:00+07:00")
    assert fields.published_at.utcoffset() == timedelta(hours=7)


def test_french_date_text_is_the_last_fallback_with_year_from_metadata() -> None:
    html = """<html><head>
    <meta property="article:modified_time" content="2026-11-23T10:00:00+07:00"></head>
    <body><h1>Titre</h1><div class="article__body"><p>Hanoï, 1er décembre (VNA) – Le
    Premier ministre a reçu le 30 novembre une délégation.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257207.vnp", VNP)
    assert fields.published_at == datetime.fromisoformat("2026-12-01T00:00:00+07:00")
    assert fields.dateline == "Hanoï"


def test_french_date_with_year_and_time() -> None:
    html = """<html><body><h1>Titre</h1><span class="date">Vendredi 20 novembre 2026 - 14:05</span>
    <div class="article__body"><p>Texte.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257208.vnp", VNP)
    assert fields.published_at == datetime.fromisoformat("2026-11-20T14:05:00+07:00")


def test_french_date_year_from_image_path() -> None:
    html = """<html><body><h1>Titre</h1><p class="date">le 3 février</p>
    <img src="https://image.lecourrier.vn/uploaded/2026/2/3/photo.jpg">
    <div class="article-content"><p>Texte sans date.</p></div></body></html>"""
    fields = extract_article(html, "https://lecourrier.vn/t/1350401.html", SOURCES["lecourrier"])
    assert fields.published_at == datetime.fromisoformat("2026-02-03T00:00:00+07:00")


def test_day_month_without_any_year_is_no_date() -> None:
    html = """<html><body><h1>Titre</h1><div class="article__body"><p>Reçu le 3 février à
    Pékin.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257209.vnp", VNP)
    assert fields.published_at is None
    assert fields.extraction == "partial"
    assert "no publication date" in fields.extraction_note


# ------------------------------------------------------------------ identity


@pytest.mark.parametrize(
    ("source", "url", "expected"),
    [
        (
            "vietnamplus",
            "https://fr.vietnamplus.vn/le-vietnam-et-la-chine-promeuvent-leur-cooperation-commerciale-post256133.vnp",
            "256133",
        ),
        (
            "vietnamplus",
            "https://fr.vietnamplus.vn/ceremonie-daccueil-du-secretaire-general-et-president-chinois-xi-jinping/216576.vnp",
            "216576",
        ),
        (
            "vietnamplus",
            "http://fr.vietnamplus.vn/le-commerce-aux-frontieres-vietnamchine-reste-anime/53614.vnp",
            "53614",
        ),
        (
            "vietnamplus",
            "https://fr.vietnamplus.vn/les-coins-de-rues-nostalgiques-de-la-ville-de-hanoi/173718.amp",
            "173718",
        ),
        ("vietnamplus", "https://fr.vietnamplus.vn/slug-post257012.vnp?utm_source=x#top", "257012"),
        ("vietnamplus", "https://fr.vietnamplus.vn/tags/bornage-frontalier.vnp", None),
        ("vietnamplus", "https://fr.vietnamplus.vn/topic/edification-du-parti-135.vnp", None),
        (
            "lecourrier",
            "https://lecourrier.vn/adoption-de-la-resolution-du-xiv%E1%B5%89-congres-national-du-parti/1310106.html",
            "1310106",
        ),
        (
            "lecourrier",
            "https://lecourrier.vn/le-vietnam-r-eacuteunifi-eacute-aux-sea-games-2-d-eacutecennies-d-eacutej-agrave/31865.html",
            "31865",
        ),
        (
            "lecourrier",
            "https://lecourrier.vn/premiere-source-dinformations-pour-letranger-du-parti-et-de-letat-nbsp/178301.html",
            "178301",
        ),
        (
            "lecourrier",
            "http://lecourrier.vn/approfondissement-des-relations-bilaterales-vietnam-chine/1310895.html",
            "1310895",
        ),
        ("lecourrier", "https://lecourrier.vn/", None),
        (
            "vietnamillustre",
            "https://vietnam.vnanet.vn/french/tin-van/breve-biographie-du-secretaire-general-du-14e-comite-central-du-parti-to-lam-424760.html",
            "424760",
        ),
        ("vietnamillustre", "https://vietnam.vnanet.vn/french/culture/429235.html", "429235"),
        (
            "vietnamillustre",
            "https://vietnam.vnanet.vn/french/tin-van/ceremonie-d39accueil-l39etat-425675.html",
            "425675",
        ),
        ("vietnamillustre", "https://vietnam.vnanet.vn/french/tin-van/", None),
    ],
)
def test_article_id_from_url_for_every_url_form(
    source: str, url: str, expected: str | None
) -> None:
    assert article_id_from_url(url, SOURCES[source].article_url_pattern) == expected


def test_article_id_from_url_unquotes_before_matching() -> None:
    pattern = r"/(?:[^/]*)-(\d+)\.html$"
    url = "https://vietnam.vnanet.vn/french/tin-van/xiv%E1%B5%89-congr%C3%A8s-424760%2Ehtml"
    assert article_id_from_url(url, pattern) == "424760"


def test_both_vietnamplus_url_forms_give_the_same_id() -> None:
    pattern = VNP.article_url_pattern
    old = "https://fr.vietnamplus.vn/le-journal-le-courrier-du-vietnam-souffle-ses-25-bougies/108414.vnp"
    new = "https://fr.vietnamplus.vn/le-journal-le-courrier-du-vietnam-souffle-ses-25-bougies-post108414.vnp"
    assert article_id_from_url(old, pattern) == article_id_from_url(new, pattern) == "108414"


# ------------------------------------------------------------------ encodings


def test_windows_1252_declared_as_utf8_decodes() -> None:
    data = (ROOT / "tests/fixtures/articles/lecourrier_cp1252.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = decode_html(data)
    assert "To Lam appelle à moderniser" in text and "cœur" in text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("<p>Hanoï</p>".encode("cp1252"), "Hanoï"),
        (b"\xef\xbb\xbf<p>" + "Tô Lâm".encode() + b"</p>", "Tô Lâm"),
        (b'<meta charset="latin-1"><p>' + "élu".encode("latin-1") + b"</p>", "élu"),
        (b'<meta charset="x-unknown-42"><p>' + "Hanoï".encode() + b"</p>", "Hanoï"),
        (b'<meta charset="utf-8"><p>Trung \x81\x8d</p>', "Trung"),
        (b'<meta charset="iso-8859-1"><p>' + "Lương Cường à Hanoï".encode() + b"</p>", "Cường à"),
        ("<meta charset='utf-16'><p>Hanoï</p>".encode("utf-16-le"), "Hanoï"),
    ],
)
def test_decode_html_never_fails(data: bytes, expected: str) -> None:
    assert expected in decode_html(data)


def test_extract_article_on_garbage_reports_failure() -> None:
    fields = extract_article(b"\x00\xff\xfe garbage", "https://fr.vietnamplus.vn/x-post1.vnp", VNP)
    # the recall pass reads the stray text as a body: failed for the missing title alone
    assert fields.extraction == "failed"
    assert "no title" in fields.extraction_note


# ------------------------------------------------------------------ fallback and hash


def test_trafilatura_fallback_body(extracted: dict[str, ArticleFields]) -> None:
    fields = extracted["tests/fixtures/articles/vietnamillustre_fallback.html"]
    assert fields.extraction == "partial"
    assert "generic extraction" in fields.extraction_note


def test_content_hash_ignores_whitespace_and_sees_text() -> None:
    base = ArticleFields(
        title="Titre", summary="Chapô", body="Un  deux\n\ntrois", published_at=None
    )
    same = ArticleFields(title="Titre ", summary="Chapô", body="Un deux\ntrois", published_at=None)
    other = ArticleFields(title="Titre", summary="Chapô", body="Un deux trois.", published_at=None)
    with_caption = ArticleFields(
        title="Titre", summary="Chapô", body="Un deux trois", published_at=None, captions=("x",)
    )
    assert content_hash(base) == content_hash(same)
    assert len({content_hash(base), content_hash(other), content_hash(with_caption)}) == 3


# ------------------------------------------------------------------ headline, whitespace, header


def test_title_is_the_headline_not_the_kicker() -> None:
    html = """<html><body><div class="kicker">Résolution du XIVᵉ Congrès du Parti</div>
    <h1 class="article-title">Le Parti fixe ses orientations pour la décennie</h1>
    <div class="article-content"><p>Texte.</p><p>VNA/CVN</p></div></body></html>"""
    fields = extract_article(html, "https://lecourrier.vn/t/1350402.html", SOURCES["lecourrier"])
    assert fields.title == "Le Parti fixe ses orientations pour la décennie"
    assert "Résolution" not in fields.body


def test_og_title_site_suffix_is_removed() -> None:
    html = """<html><head><meta property="og:title" content="Titre du jour | VietnamPlus">
    </head><body><div class="article__body"><p>Texte.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257210.vnp", VNP)
    assert fields.title == "Titre du jour"


def test_whitespace_of_every_kind_collapses_to_one_space() -> None:
    html = (
        '<html><body><h1>T</h1><div class="article__body"><p>Le\u00a0\u00a0président\t'
        "Lương\r\nCường\u200b a\n\n   salué\u200b\u00a0les progrès.</p></div></body></html>"
    )
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257211.vnp", VNP)
    assert fields.body == "Le président Lương Cường a salué les progrès."


def test_wide_container_drops_kicker_headline_date_and_chapo() -> None:
    html = """<html><body><article><div class="kicker">Frontière</div>
    <h1>Les deux pays achèvent une inspection conjointe des bornes</h1>
    <div class="article-date">21/11/2026 | 10:00</div>
    <div class="sapo">Les équipes ont vérifié une centaine de bornes.</div>
    <p>>> Un autre article sur la frontière</p>
    <p>Les équipes ont vérifié une centaine de bornes.</p>
    <p>Hanoï, 21 novembre (VNA) - L’inspection a duré trois semaines.</p>
    <p>VNA/CVN</p></article></body></html>"""
    fields = extract_article(html, "https://lecourrier.vn/t/1350403.html", SOURCES["lecourrier"])
    assert fields.body == "Hanoï, 21 novembre (VNA) - L’inspection a duré trois semaines."
    assert fields.summary == "Les équipes ont vérifié une centaine de bornes."
    assert fields.published_at == datetime.fromisoformat("2026-11-21T10:00:00+07:00")


def test_source_line_ends_body() -> None:
    html = """<html><body><h1>T</h1><div class="content"><p>Le texte de l’article.</p>
    <p>source</p><p>Un autre titre sans rapport</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t/257212.vnp", VNP)
    assert fields.body == "Le texte de l’article."


def test_naive_dates_take_the_given_timezone() -> None:
    html = """<html><body><h1>T</h1><time datetime="2026-11-21T08:00:00">x</time>
    <div class="article__body"><p>Texte.</p></div></body></html>"""
    fields = extract_article(
        html, "https://fr.vietnamplus.vn/t-post257213.vnp", VNP, timezone="Europe/Paris"
    )
    assert fields.published_at is not None
    assert fields.published_at.utcoffset() == timedelta(hours=1)


def test_page_without_title_or_body_is_failed() -> None:
    fields = extract_article(
        "<html><body><nav class='menu'>Politique</nav></body></html>", "u", VNP
    )
    assert fields.extraction == "failed"
    assert fields.title == "" and fields.body == ""


def test_html_title_without_site_suffix_is_the_last_title_fallback() -> None:
    html = """<html><head><title>Le delta du Mékong face à la sécheresse | Société | Vietnam+
    (VietnamPlus)</title></head><body><div class="content"><p>Texte.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t/257214.vnp", VNP)
    assert fields.title == "Le delta du Mékong face à la sécheresse"


def test_text_glued_upstream_is_flagged_not_repaired() -> None:
    html = """<html><body><h1>T</h1><div class="article__sapo">Chapô.</div>
    <time datetime="2026-11-21T08:00:00+07:00">x</time><div class="article__body">
    <p>Il était accompagné de son épouse.Lors de la visite à Cân Tho, le chef du
    gouvernement (PM)Nguyen Van A a salué les progrès.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257215.vnp", VNP)
    assert "épouse.Lors" in fields.body
    assert fields.extraction == "partial"
    assert "glued" in fields.extraction_note


def test_comments_in_the_body_do_not_cut_the_text() -> None:
    html = """<html><body><h1>T</h1><div class="article__body"><p>Le président<!-- pub -->
    a reçu<!-- x --> la délégation.</p><!-- bloc --><p>Suite.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257216.vnp", VNP)
    assert fields.body == "Le président a reçu la délégation.\n\nSuite."


def test_og_title_that_is_only_the_site_name_is_ignored() -> None:
    html = """<html><head><meta property="og:title" content="VietnamPlus"></head><body>
    <h1 class="article__title">Le vrai titre</h1><div class="article__body"><p>T.</p></div>
    </body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257217.vnp", VNP)
    assert fields.title == "Le vrai titre"


def test_figures_outside_the_article_are_not_its_captions() -> None:
    html = """<html><body><div class="page"><div class="article"><h1>Titre</h1>
    <figure><img alt="a"><figcaption>Légende de l’article. Photo : VNA</figcaption></figure>
    <div class="article__body"><p>Texte.</p></div></div>
    <div class="latest"><figure><figcaption>Une autre photo</figcaption></figure></div>
    </div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257218.vnp", VNP)
    assert fields.captions == ("Légende de l’article. Photo : VNA",)


def test_byline_before_the_credit_is_not_body() -> None:
    html = """<html><body><h1>T</h1><div class="article__body"><p>Le texte complet.</p>
    <p>Minh Thu - VNA</p><p>Teaser d’un autre article.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257219.vnp", VNP)
    assert fields.body == "Le texte complet."
    assert fields.credit == "VNA"


def test_short_last_sentence_before_the_credit_is_kept() -> None:
    html = """<html><body><h1>T</h1><div class="article__body"><p>Le texte.</p>
    <p>Le sommet s’ouvrira demain – VNA</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257220.vnp", VNP)
    assert fields.body == "Le texte.\n\nLe sommet s’ouvrira demain"


def test_huge_page_without_selectors_returns_quickly() -> None:
    filler = (
        "<div class='x'><p>Un paragraphe de remplissage, toujours le même, assez long.</p></div>"
    )
    html = "<html><body><h1>Titre</h1>" + filler * 60_000 + "</body></html>"
    assert len(html) > 5_000_000
    # a guard against runaway (quadratic) work, not a speed test (bench/crawl.py is):
    # this process's CPU time, which other processes on a busy machine do not inflate
    started = time.process_time()
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257221.vnp", VNP)
    assert time.process_time() - started < 60
    assert fields.title == "Titre"


def test_read_also_line_is_dropped_without_cutting_the_article() -> None:
    html = """<html><body><h1>T</h1><div class="article__body"><p>Début.</p>
    <p>Lire aussi :</p><p>Suite de l’article.</p></div></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t-post257222.vnp", VNP)
    assert fields.body == "Début.\n\nSuite de l’article."


def test_page_wrapped_in_an_aspnet_form_keeps_body_and_captions() -> None:
    html = """<html><body><form id="aspnetForm" method="post"><div class="main">
    <h1 class="title">Titre</h1><figure><figcaption>Une légende. Photo: VNA</figcaption>
    </figure><div class="content"><p>Texte dans un formulaire.</p>
    <p>Fin.-VNA</p></div></div></form></body></html>"""
    fields = extract_article(html, "https://fr.vietnamplus.vn/t/257223.vnp", VNP)
    assert fields.body == "Texte dans un formulaire.\n\nFin."
    assert fields.captions == ("Une légende. Photo: VNA",)


@pytest.mark.parametrize(
    ("opening", "place"),
    [
        ("Hanoï (VNA) – Le Premier ministre", "Hanoï"),
        ("Hanoi (VNA) - Le Premier ministre", "Hanoi"),
        ("Hanoi, 4 décembre (VNA) - Le Premier ministre", "Hanoi"),
        ("Hanoï, 1er décembre (VNA) -Le Premier ministre", "Hanoï"),
        ("Phnom Penh (VNA) – Le Cambodge", "Phnom Penh"),
        ("Hô Chi Minh-Ville (VNA) – La ville", "Hô Chi Minh-Ville"),
        ("Pékin (VNA) –Wang Yi", "Pékin"),
        ("Le Premier ministre (PM) a reçu", None),
        ("Selon la VNA, le pays (VNA) - x", None),
    ],
)
def test_find_dateline(opening: str, place: str | None) -> None:
    assert cleanup.find_dateline(opening) == place


ICT = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("s’est entretenu le 3 février à Pékin", 2026, datetime(2026, 2, 3, tzinfo=ICT)),
        ("Hanoï, 1er décembre (VNA)", 2026, datetime(2026, 12, 1, tzinfo=ICT)),
        ("ce jeudi 20 septembre", 2025, datetime(2025, 9, 20, tzinfo=ICT)),
        ("vendredi 23 janvier 2026", None, datetime(2026, 1, 23, tzinfo=ICT)),
        ("(18/1/1950 - 18/1/2025)", None, datetime(1950, 1, 18, tzinfo=ICT)),
        ("le 21 AOÛT", 2026, datetime(2026, 8, 21, tzinfo=ICT)),
        ("le 31 février", 2026, None),
        ("le 3 février", None, None),
        ("aucune date ici", 2026, None),
    ],
)
def test_french_date(text: str, year: int | None, expected: datetime | None) -> None:
    assert dates.french_date(text, year, ICT) == expected
