"""Extraction says when a page gives a day without a time (Le Vietnam Illustré's 04/12/2026)."""

from __future__ import annotations

import pytest

import config
from crawler import dates
from crawler.extract import extract_article
from tests.crawler.support import ROOT

VI = config.load_config(ROOT / "config.yaml").sources["vietnamillustre"]
URL = "https://vietnam.vnanet.vn/french/tin-van/une-breve-430300.html"


def _page(shown: str) -> str:
    body = "".join(
        f"<p>Hanoï (VNA) – Phrase {n} de la brève, assez longue pour être un paragraphe.</p>"
        for n in range(3)
    )
    return f"""<html><body><div class="bavn-top-post"><h1 class="bavn-tt-post">Une brève</h1>
    <time class="bavn-time-news">{shown}</time></div>
    <div class="bavn-main-post"><article class="lr-ct">{body}</article></div></body></html>"""


@pytest.mark.parametrize(
    ("shown", "iso", "known"),
    [
        ("04/12/2026", "2026-12-04T00:00:00+07:00", False),
        ("04/12/2026 09:30", "2026-12-04T09:30:00+07:00", True),
    ],
)
def test_a_day_without_a_time_is_flagged(shown: str, iso: str, known: bool) -> None:
    fields = extract_article(_page(shown), URL, VI)
    assert fields.published_at is not None and fields.published_at.isoformat() == iso
    assert fields.published_time_known is known


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("2026-12-04", False),
        ("2026-12-04T10:05:00+07:00", True),
        ("le 4 décembre", False),
        ("4 décembre 2026 à 10h05", True),
        ("Jeudi, 04/12/2026 16:45", True),
    ],
)
def test_time_given(text: str, known: bool) -> None:
    assert dates.time_given(text) is known
