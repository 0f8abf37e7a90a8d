"""The layout generator's own truth: what it says is on the page is on the page.

tests/crawler/test_layouts.py judges extraction with :func:`tests.crawler.layouts.judge`;
these tests check the judge passes a perfect extraction, fails a page dump, and
that the paragraphs, captions and box strings it reports are really in the markup.
"""

from __future__ import annotations

from collections import Counter

import lxml.html
import pytest

from tests.crawler.layouts import FIRST_SEED, Page, generate, judge, normalize

PAGES = 500


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    return [generate(FIRST_SEED + i) for i in range(PAGES)]


def _visible_text(page: Page) -> str:
    body = lxml.html.document_fromstring(page.html).body
    return normalize("".join(body.itertext()))


def test_every_truth_string_is_in_the_rendered_page(pages: list[Page]) -> None:
    for page in pages:
        text = _visible_text(page)
        for part in (page.title, *page.paragraphs, *page.captions, *page.box_texts):
            assert normalize(part) in text, (page.seed, part)
        assert page.paragraphs or page.captions, page.seed


def test_a_perfect_extraction_passes_and_a_page_dump_fails(pages: list[Page]) -> None:
    for page in pages:
        perfect = judge(page, "\n\n".join(page.paragraphs), page.captions)
        assert perfect.first and perfect.last and perfect.clean, (page.seed, perfect)
        assert perfect.glued_breaks == 0, page.seed
        glued = judge(page, "".join(page.paragraphs))
        assert glued.glued_breaks == max(0, len(page.paragraphs) - 1), page.seed
        dump = judge(page, "".join(lxml.html.document_fromstring(page.html).body.itertext()))
        # the whole page holds the article and, at least, its menu and footer
        assert dump.first and dump.last and not dump.clean, (page.seed, dump)
    lost = judge(pages[0], "", stored=False)
    assert lost.lost and not (lost.first or lost.last or lost.clean)


def test_a_seed_gives_the_same_page_every_time() -> None:
    assert [generate(FIRST_SEED + i).html for i in range(20)] == [
        generate(FIRST_SEED + i).html for i in range(20)
    ]


def test_the_choices_cover_every_kind_of_page(pages: list[Page]) -> None:
    seen: dict[str, Counter[object]] = {}
    for page in pages:
        for name, value in page.choices.items():
            seen.setdefault(name, Counter())[value] += 1
    assert set(seen["kind"]) == {"standard", "brief1", "brief2", "photo"}
    assert set(seen["body_mode"]) == {"p", "br", "div", "span"}
    assert set(seen["caption"]) == {"figure", "table", "div"}
    assert set(seen["names"]) == {"neutral", "honest", "lying"}
    flags = ("long_teasers", "trailing_teaser", "glued", "entities", "hard_wrap", "nbsp")
    flags += ("linked_last", "chevrons", "repeated_lede", "kicker", "colophon_in_article")
    flags += ("list_last", "intertitle", "breadcrumb", "table_layout", "font_tags", "split_body")
    flags += ("embeds",)
    for flag in (*flags, "logo_h1", "amp", "alt_anh"):
        assert seen[flag][True] >= 10, flag
    assert seen["inline_related"][0] < PAGES * 0.7
