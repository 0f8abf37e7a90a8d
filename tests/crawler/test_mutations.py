"""The layout-mutation suite (tests/crawler/mutations.py): 99 % of pairs right."""

from __future__ import annotations

from collections import Counter

from tests.crawler import mutations

MIN_VARIANTS = 12
MIN_SHARE_RIGHT = 0.99


def test_mutated_layouts_keep_title_date_first_last_and_no_chrome() -> None:
    results = mutations.run()
    per_source = Counter(r.article for r in results)
    assert len(mutations.VARIANTS) >= MIN_VARIANTS
    assert set(per_source.values()) == {len(mutations.VARIANTS)}
    wrong = [r for r in results if r.problems]
    assert len(results) - len(wrong) >= MIN_SHARE_RIGHT * len(results), wrong


def test_every_outlet_is_mutated() -> None:
    sources = {parts.source for parts in mutations.fixture_articles()}
    assert sources == {"vietnamplus", "lecourrier", "vietnamillustre"}


def test_selectors_on_teasers_are_rejected_not_held() -> None:
    results = [r for r in mutations.run() if r.variant == "known_class_on_teasers"]
    assert results and {r.selectors for r in results} == {"rejected"}
