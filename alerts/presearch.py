"""The presearcher: index rules by keys an article must contain (matcher stage).

Contract: :func:`required_keys` gives, for a rule tree, a set of keys of
which a matching article contains at least one, or ``None`` when no such
set exists; :class:`RuleIndex` files rules under their keys and returns the
candidate rules for an article's words (the idea of Lucene Monitor's
presearcher and of the Elasticsearch percolator). Keys:

- ``("w", word)``: the article has that folded word;
- ``("b", "one two")``: the article has those two words side by side;
- ``("p", stem)``: some word starts with ``stem`` (a ``frontali*`` wildcard);
- ``("e", word)``: some word starts with ``word`` (a phrase's last word,
  possibly glued to what follows);
- ``("s", word)``: some word ends with ``word`` (a phrase's first word,
  possibly glued to what precedes);
- ``("g", "onetwo")``: the article has the word made of two phrase words
  glued (with one glue point at most, the glued word is exactly both);
  looked up like ``w``, but far rarer.

The sets are sound for the evaluator (alerts.evaluate), where a phrase may
be glued at one joint at most (see :func:`_phrase_options`). For an AND the
cheapest child's keys suffice: the rarest term is chosen, from word length
and a list of frequent words of French news.

A second, cheaper test runs before a candidate is verified:
:func:`required_needles` gives strings of which a matching article's glued
stream (every folded word joined, :meth:`alerts.evaluate.ArticleView.streams`)
contains one. A name rule selected by a shared first name ("nguyen van")
is then dropped by one C-level substring search instead of a verification.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from alerts.query import All, Node, Not, Term
from alerts.text import COMMON_WORDS

Key = tuple[str, str]
KeySet = frozenset[Key]


# frequent in VNA's French news, beyond the function words of COMMON_WORDS
FREQUENT_WORDS = frozenset(
    """accord activite annee annees ans asie autres bilateral bilaterale cadre chinois chine
    commerce cooperation cours dernier developpement deux economie economique entre etat
    etats forum general gouvernement hanoi haut importance international internationale
    investissement jour juin mars membre ministere ministre mois monde national nationale
    nouveau nouvelle occasion organisation pays partenariat parti plan politique populaire
    premier president projet province provinces public region relations reunion sa secteur
    securite selon service social societe sommet sud vice ville visite vietnamien
    vietnamienne vietnamiens""".split()  # noqa: SIM905
)
_SCALE = {"w": 1.0, "e": 1.2, "s": 1.2, "p": 3.0}


def key_cost(key: Key) -> float:
    """A guess of how many articles hold the key: frequent and short words cost more."""
    kind, text = key
    if kind in "bg":  # two words side by side, or glued: rare
        return 0.25
    if text in COMMON_WORDS:
        cost = 50.0
    elif text in FREQUENT_WORDS:
        cost = 25.0
    else:
        cost = max(1.0, 12.0 - len(text))
    return cost * _SCALE[kind]


def required_keys(node: Node) -> KeySet | None:
    """Keys of which every matching article holds one; None when none can be required."""
    if isinstance(node, Term):
        return _term_keys(node)
    if isinstance(node, Not):
        return None
    if isinstance(node, All):
        options = [keys for child in node.children if (keys := required_keys(child)) is not None]
        return min(options, key=_set_cost) if options else None
    union: set[Key] = set()
    for child in node.children:
        keys = required_keys(child)
        if keys is None:
            return None
        union |= keys
    return frozenset(union)


def required_needles(node: Node) -> frozenset[str] | None:
    """Strings of which every matching article's glued stream holds one; None when none."""
    if isinstance(node, Term):
        if node.kind == "near":
            return frozenset([max(node.words, key=len)])
        return frozenset(["".join(node.words)])  # a word, a stem, a phrase glued
    if isinstance(node, Not):
        return None
    if isinstance(node, All):
        options = [n for child in node.children if (n := required_needles(child)) is not None]
        # the longest shortest needle is the least likely to occur by chance
        return max(options, key=lambda needles: min(map(len, needles))) if options else None
    union: set[str] = set()
    for child in node.children:
        needles = required_needles(child)
        if needles is None:
            return None
        union |= needles
    return frozenset(union)


def _term_keys(term: Term) -> KeySet:
    words = term.words
    if term.kind == "word":
        return frozenset([("w", words[0])])
    if term.kind == "prefix":
        return frozenset([("p", words[0])])
    if term.kind == "near":
        return frozenset([min((("w", w) for w in words), key=key_cost)])
    return min(_phrase_options(words), key=_set_cost)


def _phrase_options(words: tuple[str, ...]) -> list[KeySet]:
    """Key sets sound for a phrase glued at one joint at most (alerts.evaluate).

    Two words ``one two``: either ``one`` ends an article word (it stands
    whole, or text is glued before it) and ``two`` is not glued to it, or
    ``two`` starts an article word (whole, or glued to what follows), or the
    glue is between them and the article has the word ``onetwo``. Three or
    more: for a pair of neighbours, either the article has them side by side
    or, when the glue is between them, the word made of both; one glue point
    spoils at most the pairs it borders, and the chosen pairs (all of them,
    or two sharing no outer joint) never all border the same one.
    """
    if len(words) == 2:
        first, second = words
        glued = ("g", first + second)
        return [frozenset([("s", first), glued]), frozenset([("e", second), glued])]
    pairs = [
        frozenset([("b", f"{words[a]} {words[a + 1]}"), ("g", words[a] + words[a + 1])])
        for a in range(len(words) - 1)
    ]
    options = [frozenset().union(*pairs)]
    options.extend(pairs[a] | pairs[c] for a in range(len(pairs)) for c in range(a + 3, len(pairs)))
    return options


def _set_cost(keys: KeySet) -> float:
    return sum(key_cost(key) for key in keys)


WORD_CACHE_MAX = 300_000  # article words whose selected rules are remembered
END = ""  # the trie key holding the rules of a stem that ends there


class _Trie:
    """Stems in nested dicts; finds every stem that is a prefix of a word."""

    def __init__(self) -> None:
        self.root: dict[str, dict] = {}  # type: ignore[type-arg]

    def add(self, stem: str, position: int) -> None:
        node = self.root
        for char in stem:
            node = node.setdefault(char, {})
        node.setdefault(END, []).append(position)


def _walk(node: dict, chars: Iterable[str], found: set[int]) -> None:  # type: ignore[type-arg]
    """Add the rules of every stem of the trie that ``chars`` start with."""
    for char in chars:
        node = node.get(char)  # type: ignore[assignment]
        if node is None:
            return
        rules = node.get(END)
        if rules:
            found.update(rules)


class RuleIndex:
    """Rules (by position) filed under their required keys."""

    def __init__(self, trees: Sequence[Node]) -> None:
        self.by_word: dict[str, list[int]] = {}
        self.by_bigram: dict[str, list[int]] = {}
        self.prefixes = _Trie()
        self.suffixes = _Trie()  # reversed stems
        self.always_verified: list[int] = []
        self._keys: list[KeySet | None] = []
        self.needles: list[tuple[str, ...]] = []  # empty: no needle, always verified
        self._seen_words: set[str] = set()  # article words whose rules are known
        self._selects: dict[str, tuple[int, ...]] = {}  # the words that select some rule
        for position, tree in enumerate(trees):
            self.needles.append(tuple(required_needles(tree) or ()))
            keys = required_keys(tree)
            self._keys.append(keys)
            if keys is None:
                self.always_verified.append(position)
            else:
                self._file(keys, position)

    def _file(self, keys: KeySet, position: int) -> None:
        for kind, text in keys:
            if kind in "wg":
                self.by_word.setdefault(text, []).append(position)
            elif kind == "b":
                self.by_bigram.setdefault(text, []).append(position)
            elif kind == "s":
                self.suffixes.add(text[::-1], position)
            else:
                self.prefixes.add(text, position)

    @property
    def always(self) -> int:
        return len(self.always_verified)

    def keys_of(self, position: int) -> KeySet | None:
        return self._keys[position]

    def candidates(self, vocabulary: set[str], bigrams: Iterable[str] = ()) -> list[int]:
        """Positions of the rules an article with these words may match, in order."""
        found = set(self.always_verified)
        by_bigram = self.by_bigram
        for bigram in by_bigram.keys() & set(bigrams):
            found.update(by_bigram[bigram])
        seen, selects = self._seen_words, self._selects
        if len(seen) > WORD_CACHE_MAX:  # bound the memory; news vocabulary repeats
            seen.clear()
            selects.clear()
        for word in vocabulary - seen:  # set operations run in C; few words are new
            seen.add(word)
            rules = self._rules_of_word(word)
            if rules:
                selects[word] = rules
        for word in vocabulary & selects.keys():
            found.update(selects[word])
        return sorted(found)

    def _rules_of_word(self, word: str) -> tuple[int, ...]:
        """The rules one article word selects: as a word, a glued pair, a prefix, a suffix."""
        found = set(self.by_word.get(word, ()))
        _walk(self.prefixes.root, word, found)
        if self.suffixes.root:
            _walk(self.suffixes.root, reversed(word), found)
        return tuple(found)

    def verified(self, positions: list[int], stream: str) -> Iterator[int]:
        """The candidates whose needles (see :func:`required_needles`) occur in ``stream``."""
        needles = self.needles
        for position in positions:
            wanted = needles[position]
            if not wanted:
                yield position
                continue
            for needle in wanted:  # a plain loop: no generator per candidate
                if needle in stream:
                    yield position
                    break
