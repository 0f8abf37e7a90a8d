"""Proper names in article text (the rising-names stage's extraction).

Contract: :func:`name_candidates` returns the distinct raw capitalised
sequences of a text, from one C-level regex pass; :func:`spellings_of` turns
one raw sequence into the names it holds (cached: the same sequences recur
in every article), and :func:`name_key` gives a name's identity, the
matcher's own folding (:func:`alerts.text.words`), so "Lương Cường",
"Luong Cuong" and "LƯƠNG Cường" are one name. Pure; nothing is read here.

A name is two to :data:`MAX_WORDS` capitalised words in a row, Vietnamese or
French ("Lương Cường", "Jean-Noël Barrot", "Hô Chi Minh-Ville"), separated by
one space. What is *not* a name:

- a capitalised function word, honorific, weekday, month or section name
  (:data:`STOP_WORDS`): "Selon Wang Yi" holds the name "Wang Yi", "Le Premier"
  holds none; a sequence is split at such words and each run of two or more
  words left is a name;
- one capitalised word ("Hanoï", a sentence start), and all-capital words
  ("VNA", "CVN", "ASEAN"): both need a lower-case letter after the capital;
- a photo credit ("Photo : Thống Nhất/VNA"): a sequence right before "/";
- the outlets' and the agency's own names (:data:`NOT_NAMES`);
- a word glued to the next one by the outlets' defects ("Nguyen Phu Tronga
  insisté"): left to :func:`alerts.rising.merge_glued`, which needs the
  clean form seen elsewhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

from alerts.text import fold, words

MAX_WORDS = 6
_LATIN = [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]
_UPPER = "".join(chr(c) for c in _LATIN if chr(c).isupper())
# lower-case letters, and combining marks so that NFD text reads as one word
_LOWER = "".join(chr(c) for c in _LATIN if chr(c).islower()) + "\u0300-\u036f"
# possessive quantifiers: no backtracking, so a capitalised word is taken whole or not
# at all, and the regex engine scans for the capital first (a tenth of the time of the
# same pattern with lookarounds)
_WORD = rf"[{_UPPER}][{_LOWER}]++(?:-[{_UPPER}{_LOWER}][{_LOWER}]++)*+"
# group 1 is the sequence, group 2 the character right after it: "/" marks a photo
# credit ("Văn Điệp/VNA"), a capital a word glued to the name's end
CANDIDATE_RE = re.compile(rf"({_WORD}(?:[ \u00a0]{_WORD})++)([/{_UPPER}]?)")
_SEPARATOR_RE = re.compile(r"[ \u00a0]")
Raw = tuple[str, str]  # a sequence as found, and the character after it

# a capitalised one of these is no part of a name. Compared as written (lower-cased),
# accents kept: the Vietnamese surname "Lê" is not the article "Le". Words that are
# also Vietnamese syllables in ASCII ("Son", "Sa", "Tu", "Si", "Mai") are left out.
_STOP_LIST = """
    le la les un une des du de au aux ce cet cette ces il ils elle elles on nous vous je
    qui que quoi dont où ou et mais donc or ni car en y a est sont sera ont
    selon lors dans pour par avec après avant depuis sur sous entre chez vers contre sans
    pendant durant malgré face grâce concernant outre parmi quand lorsque alors ainsi
    cependant toutefois pourtant enfin aussi ensuite puis notamment désormais
    hier aujourd demain ici voici voilà tous toutes tout toute chaque
    plusieurs certains certaines autres autre leur leurs notre nos votre vos
    m mme mlle mm monsieur madame mesdames messieurs dr pr président présidente
    premier première vice ministre secrétaire général générale ambassadeur ambassadrice
    consul directeur directrice chef camarade docteur professeur
    parti état états gouvernement assemblée comité ministère sommet conférence forum
    congrès bureau conseil commission département province ville région armée front
    lundi mardi mercredi jeudi vendredi samedi dimanche
    janvier février mars avril juin juillet août septembre octobre novembre décembre
    politique économie société culture sport sports monde international internationale
    francophonie environnement santé éducation tourisme sciences science technologie
    tribune actualités actualité photos photo vidéos vidéo reportage dossier magazine
    éditorial opinion entretien interview brèves brève infographie
"""
STOP_WORDS = frozenset(_STOP_LIST.split()) | frozenset(fold(w) for w in _STOP_LIST.split())
# the outlets, the agency and the services that credit articles (folded words)
_OWN_NAMES = (
    "Le Vietnam Illustré",
    "Vietnam Illustré",  # as the sentence start's "Le" leaves it
    "Le Courrier du Vietnam",
    "Vietnam News Agency",
    "Agence Vietnamienne d'Information",
    "Thông Tấn Xã Việt Nam",
    "Vietnam News",
)


NOT_NAMES = frozenset(" ".join(words(name)) for name in _OWN_NAMES)


def name_candidates(text: str) -> set[Raw]:
    """The distinct raw capitalised sequences of ``text``, each with what follows it."""
    return set(CANDIDATE_RE.findall(text))


@lru_cache(maxsize=200_000)
def spellings_of(raw: Raw) -> tuple[str, ...]:
    """The names a raw sequence holds, as written: split at stop words, runs of two
    to MAX_WORDS words kept, the outlets' own names and photo credits dropped."""
    sequence, after = raw
    if after == "/":
        return ()
    names: list[str] = []
    run: list[str] = []
    for word in [*_SEPARATOR_RE.split(sequence), ""]:
        if word and word.lower() not in STOP_WORDS:
            run.append(word)
            continue
        if 2 <= len(run) <= MAX_WORDS:
            name = " ".join(run)
            if name_key(name) not in NOT_NAMES:
                names.append(name)
        run = []
    return tuple(names)


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """A name's identity: its words as the matcher folds them, space-separated
    ("Lương Cường" -> "luong cuong"; a hyphen separates words as for the matcher)."""
    return " ".join(words(name))


@lru_cache(maxsize=200_000)
def keys_of(raw: Raw) -> tuple[str, ...]:
    """The keys of the names in one raw sequence (the per-article tally's unit)."""
    return tuple(name_key(name) for name in spellings_of(raw))


def squashed(key: str) -> str:
    """A key without its spaces: "xi jin ping" and "xi jinping" are one spelling apart."""
    return key.replace(" ", "")
