"""The near-duplicate fingerprint reads a long body's start only, with the same result."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alerts.dedupe import BODY_WORDS, body_start, normalise

WORDS = st.sampled_from(["Tô", "Lâm", "đường", "l'ASEAN", "Hanoï,", "2026", "—", "x" * 40, "é"])


@given(words=st.lists(WORDS, max_size=700), cut=st.integers(min_value=0, max_value=6000))
def test_body_start_equals_the_first_words_of_the_whole_body(words: list[str], cut: int) -> None:
    body = " ".join(words)[:cut] if cut else " ".join(words)
    assert body_start(body) == normalise(body)[:BODY_WORDS]


def test_body_start_reads_on_when_the_start_holds_too_few_words() -> None:
    """Long words: the prefix read first holds under BODY_WORDS words."""
    body = " ".join(f"{'x' * 30}{n}" for n in range(400))
    assert len(body_start(body)) == BODY_WORDS
    assert body_start(body) == normalise(body)[:BODY_WORDS]
