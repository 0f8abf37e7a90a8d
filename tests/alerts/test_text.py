"""alerts.text: folding, elision, ordinals and offsets into the original text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alerts.text import fold, scan, scan_reference, scan_words, tokenize, words

# letters, Vietnamese and French accents (NFC and combining), apostrophes, ordinals,
# characters that fold to several (½ ß œ ﬁ) or to a non-letter (´), digits, punctuation
ALPHABET = "aeilmnorstxvcdAEIXVĐđÐðôâêăơưÔÂỗườéèëïœŒßﬁ½ᵉ²\u0301\u0303'’ʼ´-_ .,()0189"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tô Lâm", ["to", "lam"]),
        ("TÔ LÂM", ["to", "lam"]),
        ("Đỗ Mười", ["do", "muoi"]),
        ("Ðỗ Mười", ["do", "muoi"]),
        ("Hanoï", ["hanoi"]),
        ("XIVᵉ congrès", ["xive", "congres"]),
        ("XIVe congrès", ["xive", "congres"]),
        ("le 14ème Congrès", ["le", "14e", "congres"]),
        ("la 80 e session", ["la", "80e", "session"]),
        ("le 1er décembre", ["le", "1er", "decembre"]),
        ("l’Assemblée nationale", ["assemblee", "nationale"]),
        ("jusqu'à l'Est", ["a", "est"]),
        ("lorsqu’il puisqu'elle qu’on", ["il", "elle", "on"]),
        ("Hô Chi Minh-Ville", ["ho", "chi", "minh", "ville"]),
        ("(PCV)Nguyen", ["pcv", "nguyen"]),
        ("œuvre", ["oeuvre"]),
        ("aujourd'hui", ["aujourd", "hui"]),
        ("snake_case", ["snake", "case"]),
    ],
)
def test_words_fold_case_accents_and_elisions(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_nfd_input_gives_the_same_words_and_original_offsets() -> None:
    nfd = unicodedata.normalize("NFD", "Le président Tô Lâm à Hanoï")
    tokens = tokenize(nfd)
    assert [t.text for t in tokens] == ["le", "president", "to", "lam", "a", "hanoi"]
    assert [nfd[t.start : t.end] for t in tokens][2:4] == [
        unicodedata.normalize("NFD", "Tô"),
        unicodedata.normalize("NFD", "Lâm"),
    ]


def test_offsets_point_at_original_characters() -> None:
    text = "Visite d’État de Tô Lâm"
    assert [text[t.start : t.end] for t in tokenize(text)] == ["Visite", "État", "de", "Tô", "Lâm"]


def test_fold_is_idempotent() -> None:
    for word in ["Trọng", "ĐẠI", "Nguyễn", "œil", "straße"]:
        assert fold(fold(word)) == fold(word)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80))
@example("la 80 e session, le 14ème et le XIVème Congrès")
@example("½ ß ﬁn l’Est d'Ðỗ Mười x\u0301")
@example("même le gouvernement du 3ème thème, le XXème")  # words ending "eme"
@example("Москва, Hà Nội et Ελλάδα")  # letters that fold to themselves, not ASCII
def test_fast_scan_equals_the_reference_scan(text: str) -> None:
    reference = scan_reference(text)
    assert scan(text) == reference
    assert scan_words(text) == reference[0]
