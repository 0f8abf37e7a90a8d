"""Rising names, pure parts: what is a name, folding, defects, coverage, ranking, snippets."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from alerts.names import name_candidates, name_key, spellings_of
from alerts.rising import NameTally, Watched, alias_suggestions, article_text, rank
from config import Config, load_config, parse_config
from store.names import ArticleText
from tests.alerts.names_support import (
    FOLDED_ALIAS,
    MISSED_ALIAS,
    NEW_NAME,
    NEW_NAME_ASCII,
    NOT_NAMES,
    STEADY_NAME,
    archive,
)
from tests.conftest import SHIPPED_CONFIG

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


def names_in(text: str) -> set[str]:
    return {name for raw in name_candidates(text) for name in spellings_of(raw)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le président Lương Cường a reçu Wang Yi.", {"Lương Cường", "Wang Yi"}),
        ("Selon Pham Minh Chinh, la croissance tient.", {"Pham Minh Chinh"}),
        ("Le Premier ministre est arrivé. Lundi Matin, rien.", set()),
        ("Photo : Thống Nhất/VNA", set()),
        ("Le Courrier du Vietnam et Le Vietnam Illustré publient.", set()),
        ("Hanoï, 3 Décembre (VNA) – VNA et CVN, ASEAN.", set()),
        ("Politique Et Société, Économie Monde", set()),
        (
            "Le ministre Jean-Noël Barrot à Hô Chi Minh-Ville.",
            {"Jean-Noël Barrot", "Hô Chi Minh-Ville"},
        ),
        ("le ministreNguyen Xuan Phuc a parlé", {"Nguyen Xuan Phuc"}),  # glued on the left
        ("Le président Lê Hoài Trung", {"Lê Hoài Trung"}),  # "Lê" is not "Le"
        ("Wang\u00a0Yi et Li Qiang", {"Wang Yi", "Li Qiang"}),
    ],
)
def test_name_candidates_keep_names_and_drop_capitalised_words(
    text: str, expected: set[str]
) -> None:
    assert names_in(text) == expected


def test_spellings_fold_to_one_name_as_the_matcher_folds() -> None:
    forms = [
        "Lương Cường",
        "Luong Cuong",
        "LƯƠNG Cường",
        unicodedata.normalize("NFD", "Lương Cường"),
    ]
    assert {name_key(form) for form in forms} == {"luong cuong"}


def texts(now: datetime = NOW) -> list[ArticleText]:
    return [
        ArticleText(a.article_id and int(a.article_id), a.published_at, a.url, a.title,
                    a.summary, a.body)
        for a in archive(now)
    ]  # fmt: skip


def tally_of(items: list[ArticleText]) -> NameTally:
    tally = NameTally()
    for item in items:
        tally.add(article_text(item), recent=item.published_at >= SINCE)
    tally.settle()
    return tally


def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def test_planted_new_name_ranks_first_and_watched_names_are_left_out() -> None:
    ranked = rank(tally_of(texts()), Watched.of(shipped()), 7)
    assert ranked, "no rising name"
    first = ranked[0]
    assert first.key == "nguyen van thang"
    assert (first.name, first.count, first.previous, first.rise) == (NEW_NAME, 6, 0, "new")
    assert set(first.spellings) == {NEW_NAME, NEW_NAME_ASCII}  # no glued "Thanga"
    keys = {name.key for name in ranked}
    assert "to lam" not in keys  # rose, but config.yaml watches it
    assert name_key(STEADY_NAME) not in keys  # as many as usual
    shown = " ".join(name.name for name in ranked)
    for sentence in NOT_NAMES:
        for word in ("Selon", "Premier", "Lundi", "Courrier", "Illustré", "Hoàng", "Décembre"):
            assert word not in shown, (word, sentence)


def test_a_steady_name_rises_when_its_window_jumps() -> None:
    items = texts()
    last = items[-1]
    extra = [
        ArticleText(1000 + n, NOW - timedelta(hours=n + 1), last.url, "x", "", f"{STEADY_NAME}.")
        for n in range(20)
    ]
    ranked = rank(tally_of(items + extra), Watched.of(shipped()), 7)
    steady = next(name for name in ranked if name.key == "hun manet")
    assert steady.count == 26 and steady.previous == 27 and steady.rise == "x3.9"


def test_unlisted_spellings_of_watched_entities_are_suggested() -> None:
    found = {s.entity: s for s in alias_suggestions(tally_of(texts()), Watched.of(shipped()))}
    assert found["luong_cuong"].spellings == ((FOLDED_ALIAS, True),)
    assert found["xi_jinping"].spellings == ((MISSED_ALIAS, False),)
    assert "to_lam" not in found  # "Tô Lâm" and "To Lam" are both listed
    entity = yaml.safe_load(found["xi_jinping"].snippet)[0]
    assert entity == {
        "id": "xi_jinping",
        "name": "Xi Jinping",
        "aliases": ["Tập Cận Bình", MISSED_ALIAS],
    }


def _with_entity(snippet: str) -> Config:
    """The shipped config with ``snippet`` pasted under the first watchlist's entities."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    anchor = "    entities:\n"
    at = text.index(anchor) + len(anchor)
    return parse_config(text[:at] + snippet + text[at:], SHIPPED_CONFIG)


def test_the_snippet_pastes_into_config_yaml_and_then_covers_the_name() -> None:
    config = shipped()
    first = rank(tally_of(texts()), Watched.of(config), 7)[0]
    assert first.snippet.startswith("      - id: nguyen_van_thang\n")
    pasted = _with_entity(first.snippet)
    entity = pasted.watchlists[0].entities[0]
    assert (entity.id, entity.name, entity.aliases) == (
        "nguyen_van_thang",
        NEW_NAME,
        [NEW_NAME_ASCII],
    )
    keys = {name.key for name in rank(tally_of(texts()), Watched.of(pasted), 7)}
    assert "nguyen van thang" not in keys


def test_an_alias_snippet_lists_the_old_aliases_then_the_new() -> None:
    found = alias_suggestions(tally_of(texts()), Watched.of(shipped()))
    luong_cuong = next(s for s in found if s.entity == "luong_cuong")
    entity = yaml.safe_load(luong_cuong.snippet)[0]
    assert entity["aliases"] == ["Luong Cuong", "Luong Cường", FOLDED_ALIAS]


def test_an_alias_snippet_keeps_the_entity_offices() -> None:
    item = ArticleText(1, NOW, "https://lecourrier.vn/a/1.html", "Visite", "", "Tô Lãm est venu.")
    found = alias_suggestions(tally_of([item]), Watched.of(shipped()))
    assert [(s.entity, s.spellings) for s in found] == [("to_lam", (("Tô Lãm", True),))]
    entity = yaml.safe_load(found[0].snippet)[0]
    assert entity["aliases"] == ["To Lam", "Tô Lam", "Tô Lãm"]
    assert entity["offices"][0]["since"] in ("2024-08-03", datetime(2024, 8, 3).date())
    pasted = _with_entity(found[0].snippet.replace("id: to_lam", "id: to_lam_copy"))
    assert pasted.watchlists[0].entities[0].offices[0].title.startswith("secrétaire général")
