"""Text normalisation and tokenisation for matching (matcher stage).

Contract: :func:`tokenize` turns a text into :class:`Token` s whose ``text`` is
the *folded* word (lower case, no accents or diacritics, ``đ``/``Đ``/``Ð`` ->
``d``, ``œ`` -> ``oe``, ``ᵉ`` -> ``e``) and whose ``start``/``end`` are offsets
in the ORIGINAL string, so highlights land on the original characters.
NFC and NFD input give the same tokens (combining marks stay inside a word).

Words are runs of letters and digits. Apostrophes (ASCII or typographic) and
hyphens separate words; a French elision (``l'``, ``d'``, ``qu'``, ``jusqu'``…)
is dropped, so ``l'Est`` is the word ``est`` and positions count words after
elision. An ordinal suffix separated from its number (``80 e session``) is
glued back (``80e``); ``14ème``/``XIVème`` fold to ``14e``/``xive``.

:func:`scan` is the fast form used by the matcher: parallel lists of words
and spans, from C-level regex passes over the lower-cased text. The
regular expressions are constants; nothing here is built from operator input.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

APOSTROPHES = "'’‘ʼ′`´"
ELISIONS = frozenset(
    ["l", "d", "qu", "n", "s", "c", "j", "m", "t", "jusqu", "lorsqu", "puisqu", "quoiqu"]
)
ORDINAL_SUFFIXES = frozenset(["e", "er", "re", "eme", "ere", "nd", "nde"])
# frequent French words: they do not anchor a glued phrase (alerts.evaluate) and a
# rule is not indexed under them when a rarer word exists (alerts.presearch)
COMMON_WORDS = frozenset(
    """a au aux avec ce ces dans de des du elle en est et il ils la le les leur mais ne
    nous on ou par pas plus pour que qui sa se ses son sont sur un une vietnam""".split()  # noqa: SIM905
)
WORD_RE = re.compile(r"[^\W_]+")  # letters and digits: \w without "_"
_ASCII_WORD_RE = re.compile(r"[a-zA-Z0-9]+")  # WORD_RE on ASCII text
_SUFFIX_WORDS = ORDINAL_SUFFIXES | {"ème", "ère"}  # lower case, before folding
_APOSTROPHE_RE = re.compile(f"[{APOSTROPHES}]")
# combining marks (NFD text, or letters with no precomposed form): fold char by char
_MARK_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_ORDINAL_RE = re.compile(r"^(\d+|[ivxlc]+)(?:i?eme)$")
# "eme" ending a word of the folded text, where an ordinal may end ("xiveme", "meme")
_EME_END_RE = re.compile(r"eme(?![^\W_])")
# a cheap test for "14ème"/"XIVème" before the word-by-word pass ("gouvernement" holds "eme")
_ORDINAL_HINT_RE = re.compile(r"(?:\d|\b[ivxlc]+)i?[eè]me\b")
_SPECIAL = str.maketrans(
    {"đ": "d", "Đ": "d", "Ð": "d", "ð": "d", "ɖ": "d", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
)


class Token(NamedTuple):
    """A folded word and where it sits in the original text."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Fold a word or text: lower case, no diacritics, compatibility forms flattened."""
    if word.isascii():
        return word.lower()
    return _strip_marks(word.translate(_SPECIAL)).casefold()


@lru_cache(maxsize=50_000)
def fold_cased(word: str) -> str:
    """Like :func:`fold` but keeping case (for abbreviations such as ``AN``)."""
    if word.isascii():
        return word
    return _strip_marks(word.translate(_SPECIAL))


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=50_000)
def char_map(word: str) -> tuple[int, ...]:
    """For each character of ``fold(word)``, its offset in ``word``."""
    offsets: list[int] = []
    for i, ch in enumerate(word):
        offsets.extend([i] * len(fold(ch)))
    if len(offsets) != len(fold(word)):  # casefold of a whole word may differ; stay safe
        return tuple(min(i, len(word) - 1) for i in range(len(fold(word))))
    return tuple(offsets)


def _normalise_ordinal(folded: str) -> str:
    found = _ORDINAL_RE.match(folded)
    return f"{found.group(1)}e" if found else folded


Spans = list[tuple[int, int]]


def scan(text: str) -> tuple[list[str], Spans]:
    """The folded words of ``text`` and their (start, end) offsets in ``text``.

    The common case folds the text one character to one character with a
    single ``str.translate`` (:func:`_fold_in_place`), so offsets in the folded
    text are offsets in ``text``; the rest takes :func:`scan_reference`.
    """
    folded = _fold_in_place(text)
    if folded is not None:
        pattern = _word_re(folded)
        found = pattern.findall(folded)
        if not _needs_ordinals(found, folded):
            return found, [m.span() for m in pattern.finditer(folded)]
    return scan_reference(text)


def scan_words(text: str) -> list[str]:
    """The words of :func:`scan` without their spans (the presearch needs no more)."""
    folded = _fold_in_place(text)
    if folded is not None:
        found = _word_re(folded).findall(folded)
        if not _needs_ordinals(found, folded):
            return found
    return scan_reference(text)[0]


def scan_spans(text: str, words: list[str]) -> Spans:
    """The spans of :func:`scan` for ``words``, the words :func:`scan_words` gave for ``text``.

    Normalising an ordinal ("14eme" -> "14e") keeps its span; only gluing
    one ("80 e" -> "80e") changes the spans, and then the count of words.
    """
    folded = _fold_in_place(text)
    if folded is not None:
        spans = [m.span() for m in _word_re(folded).finditer(folded)]
        if len(spans) == len(words):
            return spans
    found, spans = scan_reference(text)
    assert found == words, "scan_words and scan disagree"
    return spans


def _word_re(folded: str) -> re.Pattern[str]:
    # folded French and Vietnamese is nearly always ASCII: a plain class is faster there
    return _ASCII_WORD_RE if folded.isascii() else WORD_RE


def scan_reference(text: str) -> tuple[list[str], Spans]:
    """:func:`scan` the plain way: split the lower-cased text, then fold word by word.

    Folds character by character with an offset map when lower-casing
    changes the length or combining marks are present.
    """
    lowered = text.lower()
    if len(lowered) != len(text) or _MARK_RE.search(text):
        return _scan_mapped(text)
    words, spans = _scan_lowered(lowered)
    return [fold(word) for word in words], spans


UNSAFE = "\x01"
# ``str.translate`` table folding one character at a time, filled on first sight; a
# plain dict: translate looks it up much faster than a dict subclass with __missing__
_FOLD_TABLE: dict[int, str] = {}


def _learn_characters(text: str) -> None:
    """Add the characters of ``text`` to _FOLD_TABLE.

    A character whose fold is not exactly one character of the same kind
    (word or not) maps to ``UNSAFE``, which sends the text to :func:`scan_reference`.
    """
    for char in set(text):
        if ord(char) not in _FOLD_TABLE:
            folded = fold(char)
            same_kind = len(folded) == 1 and folded.isalnum() == char.isalnum()
            _FOLD_TABLE[ord(char)] = folded if same_kind and folded != UNSAFE else UNSAFE


@lru_cache(maxsize=16)  # an article's zones are scanned for words, then again for spans
def _fold_in_place(text: str) -> str | None:
    """``text`` lower-cased, elisions blanked, folded char for char; None if that cannot be."""
    lowered = text.lower()
    if len(lowered) != len(text) or UNSAFE in text or _MARK_RE.search(text):
        return None
    if any(apostrophe in lowered for apostrophe in APOSTROPHES):
        lowered = _blank_elisions(lowered)
    folded = lowered.translate(_FOLD_TABLE)
    if not folded.isascii():  # a character the table lacks stays as it was: learn it
        _learn_characters(lowered)
        folded = lowered.translate(_FOLD_TABLE)
    return None if UNSAFE in folded else folded


def _needs_ordinals(found: list[str], folded: str) -> bool:
    """Whether an ordinal is to glue or normalise ("80 e", "14eme"): the reference path."""
    return not _SUFFIX_WORDS.isdisjoint(found) or any(
        _ORDINAL_RE.match(folded[_word_start(folded, hit.start()) : hit.end()])
        for hit in _EME_END_RE.finditer(folded)
    )


def _word_start(text: str, end: int) -> int:
    """Where the word holding ``text[end - 1]`` starts (word characters as in WORD_RE)."""
    while end > 0 and text[end - 1].isalnum():
        end -= 1
    return end


def _scan_lowered(lowered: str) -> tuple[list[str], Spans]:
    if any(apostrophe in lowered for apostrophe in APOSTROPHES):
        lowered = _blank_elisions(lowered)
    words = WORD_RE.findall(lowered)
    spans = [m.span() for m in WORD_RE.finditer(lowered)]
    if not _SUFFIX_WORDS.isdisjoint(words) or _ORDINAL_HINT_RE.search(lowered):
        words, spans = _ordinals(lowered, [fold(w) for w in words], spans)
    return words, spans


def _blank_elisions(lowered: str) -> str:
    """Blank elided articles and pronouns out, same length so offsets hold: "l’est" -> "  est".

    An elision is one of ELISIONS standing as a whole word right before an
    apostrophe that a letter follows. Only the apostrophes are visited.
    """
    for found in _APOSTROPHE_RE.finditer(lowered):
        at = found.start()
        if at + 1 >= len(lowered) or not lowered[at + 1].isalpha():
            continue
        start = at
        while start > 0 and lowered[start - 1].isalnum():
            start -= 1
        if lowered[start:at] in ELISIONS:
            lowered = lowered[:start] + " " * (at + 1 - start) + lowered[at + 1 :]
    return lowered


def _scan_mapped(text: str) -> tuple[list[str], Spans]:
    """NFD text, ``İ``…: fold each character, scan the folded text, map offsets back."""
    pieces: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        piece = fold(char)
        pieces.append(piece)
        offsets.extend([i] * len(piece))
    offsets.append(len(text))
    words, spans = _scan_lowered("".join(pieces))
    return words, [(offsets[start], offsets[end]) for start, end in spans]


def _ordinals(lowered: str, words: list[str], spans: Spans) -> tuple[list[str], Spans]:
    """``80 e`` -> ``80e``, ``14ème`` -> ``14e``, ``XIVème`` -> ``xive``."""
    kept_words: list[str] = []
    kept_spans: Spans = []
    for word, (start, end) in zip(words, spans, strict=True):
        if word in ORDINAL_SUFFIXES and kept_words and kept_words[-1].isdigit():
            previous_end = kept_spans[-1][1]
            if previous_end + 1 == start and lowered[previous_end] == " ":
                kept_words[-1] = _normalise_ordinal(kept_words[-1] + word)
                kept_spans[-1] = (kept_spans[-1][0], end)
                continue
        kept_words.append(_normalise_ordinal(word) if word.endswith("eme") else word)
        kept_spans.append((start, end))
    return kept_words, kept_spans


def tokenize(text: str) -> list[Token]:
    """The words of ``text``, folded, with original offsets (see the module doc)."""
    words, spans = scan(text)
    return [Token(word, start, end) for word, (start, end) in zip(words, spans, strict=True)]


def words(text: str) -> list[str]:
    """The folded words of ``text`` (query terms use the same rules as articles)."""
    return [token.text for token in tokenize(text)]


# --- sentences --------------------------------------------------------------

SNIPPET_MAX = 280
MARKS = (". ", "! ", "? ", "\n")  # where a sentence ends


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding ``text[start:end]``, cut to about SNIPPET_MAX characters."""
    # marks are searched within reach only: a sentence longer than that is cut
    # below to the same place, wherever it starts or ends (long bodies have no "\n")
    low, high = max(0, start - SNIPPET_MAX - 8), end + SNIPPET_MAX + 8
    left = max(text.rfind(mark, low, start) for mark in MARKS)
    left = low if left < 0 else left + (1 if text[left] == "\n" else 2)
    rights = [i for mark in MARKS if (i := text.find(mark, end, high)) != -1]
    right = min(rights) + 1 if rights else min(len(text), high)
    if right - left > SNIPPET_MAX:
        left = max(left, start - SNIPPET_MAX // 2)
        right = min(right, max(end, left + SNIPPET_MAX))
        left = _word_start(text, left)
    return left, right


def _word_start(text: str, offset: int) -> int:
    while 0 < offset < len(text) and not text[offset - 1].isspace():
        offset -= 1
    return offset
