"""The presearcher: index rules by keys an article must contain (matcher stage).

Contract: :func:`required_keys` gives, for a rule tree, a set of keys of
which a matching article contains at least one, or ``None`` when no such
set exists; :class:`RuleIndex` files rules under their keys and returns the
candidate rules for an article's words (the idea of Lucene Monitor's
presearcher and of the Elasticsearch percolator). Keys:

- ``("w", word)``: the article has that folded word;
- ``("p", stem)``: some word starts with ``stem`` (a ``frontali*`` wildcard);
- ``("e", word)``: some word starts with ``word`` (a phrase's last word,
  possibly glued to what follows);
- ``("s", word)``: some word ends with ``word`` (a phrase's first word,
  possibly glued to what precedes);
- ``("g", "onetwo")``: the article has the word made of two phrase words
  glued (with one glue point at most, the glued word is exactly both);
  looked up like ``w``, but far rarer;
- ``("f", "anchor\tnext")``: the article has the anchor (two words side by
  side, or one word) followed by a word starting with ``next``;
- ``("r", "anchor\tprevious")``: the article has the anchor preceded by a word
  ending with ``previous``. A phrase of three or more words is filed under
  four such keys (see :func:`_long_phrase_keys`): a shared pair of first
  names ("nguyen van") then selects only the names whose third word follows.

The sets are sound for the evaluator (alerts.evaluate), where a phrase may
be glued at one joint at most (see :func:`_phrase_options`). For an AND the
cheapest child's keys suffice: the rarest term is chosen. How rare a key is
comes from :class:`WordFrequencies` when the archive was sampled (the share
of stored articles holding it), else from a guess (:func:`key_cost`: word
length and a list of frequent words of French news). Either choice is sound;
only the number of candidates differs.

A second, cheaper test runs before a candidate is verified:
:func:`required_needles` gives groups of strings; a matching article's glued
stream (every folded word joined, :meth:`alerts.evaluate.ArticleView.streams`)
contains one string of each group. A rule selected by its frequent word
("exportation AND zorvesiure") is then dropped by C-level substring searches
instead of a verification.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate

from alerts.query import All, Node, Not, Term
from alerts.text import COMMON_WORDS

Key = tuple[str, str]
KeySet = frozenset[Key]
KeyCost = Callable[[Key], float]


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
    if kind in "fr":  # an anchor and its neighbour: rarer still
        return 0.1
    if kind == "g":  # two words glued: rare
        return 0.25
    if text in COMMON_WORDS:
        cost = 50.0
    elif text in FREQUENT_WORDS:
        cost = 25.0
    else:
        cost = max(1.0, 12.0 - len(text))
    return cost * _SCALE[kind]


class WordFrequencies:
    """The share of sampled archive articles holding each folded word.

    Its :meth:`cost` replaces the guess of :func:`key_cost`: "exportation"
    may be long and still in a third of the news, a made-up surname short
    and in none. Prefix and suffix keys ("frontali*", a phrase word glued to
    its neighbour) cost the summed shares of the words starting or ending so.
    """

    def __init__(self, counts: Counter[str], articles: int) -> None:
        self.articles = max(1, articles)
        self.floor = 0.5 / self.articles  # a word never seen: rarer than any seen once
        self._share = {word: count / self.articles for word, count in counts.items()}
        self._forward = _SortedShares(self._share.items())
        self._backward = _SortedShares((word[::-1], share) for word, share in self._share.items())

    @classmethod
    def from_vocabularies(cls, vocabularies: Iterable[set[str]]) -> WordFrequencies:
        """Count each article's distinct folded words (``ArticleView.vocabulary``)."""
        counts: Counter[str] = Counter()
        articles = 0
        for vocabulary in vocabularies:
            counts.update(vocabulary)
            articles += 1
        return cls(counts, articles)

    def word(self, word: str) -> float:
        return self._share.get(word, self.floor)

    def cost(self, key: Key) -> float:
        """The estimated share of articles the key selects."""
        kind, text = key
        if kind in "wg":
            return self.word(text)
        if kind in "ep":
            return max(self.floor, self._forward.starting(text))
        if kind == "s":
            return max(self.floor, self._backward.starting(text[::-1]))
        anchor, neighbour = text.split("\t")
        near = self._forward.starting(neighbour) if kind == "f" else self.cost(("s", neighbour))
        return max(self.floor, min(near, *map(self.word, anchor.split(" "))))


class _SortedShares:
    """Words in order with running sums of their shares: the share under a prefix, fast."""

    def __init__(self, shares: Iterable[tuple[str, float]]) -> None:
        ordered = sorted(shares)
        self.words = [word for word, _ in ordered]
        self.sums = list(accumulate((share for _, share in ordered), initial=0.0))

    def starting(self, stem: str) -> float:
        """The summed shares of the words starting with ``stem`` (capped at 1)."""
        low = bisect_left(self.words, stem)
        high = bisect_left(self.words, stem + "\U0010ffff", low)
        return min(1.0, self.sums[high] - self.sums[low])


def required_keys(node: Node, cost: KeyCost = key_cost) -> KeySet | None:
    """Keys of which every matching article holds one; None when none can be required.

    ``cost`` ranks the options (the rarer, the fewer candidates); any ranking is sound.
    """
    if isinstance(node, Term):
        return _term_keys(node, cost)
    if isinstance(node, Not):
        return None
    if isinstance(node, All):
        options = [k for child in node.children if (k := required_keys(child, cost)) is not None]
        return min(options, key=lambda keys: _set_cost(keys, cost)) if options else None
    union: set[Key] = set()
    for child in node.children:
        keys = required_keys(child, cost)
        if keys is None:
            return None
        union |= keys
    return frozenset(union)


def required_needles(node: Node) -> list[frozenset[str]] | None:
    """Groups of strings: a matching article's glued stream holds one string of each group.

    None when no group can be required. An AND requires the groups of all
    its children, so a rule selected by its frequent word is still dropped
    by the absence of its rare one.
    """
    if isinstance(node, Term):
        if node.kind == "near":
            return [frozenset([max(node.words, key=len)])]
        return [frozenset(["".join(node.words)])]  # a word, a stem, a phrase glued
    if isinstance(node, Not):
        return None
    if isinstance(node, All):
        groups = [g for child in node.children for g in required_needles(child) or ()]
        return groups or None
    union: set[str] = set()
    for child in node.children:
        groups = required_needles(child)
        if groups is None:
            return None
        # the longest shortest needle is the least likely to occur by chance
        union |= max(groups, key=lambda needles: min(map(len, needles)))
    return [frozenset(union)]


def _term_keys(term: Term, cost: KeyCost) -> KeySet:
    words = term.words
    if term.kind == "word":
        return frozenset([("w", words[0])])
    if term.kind == "prefix":
        return frozenset([("p", words[0])])
    if term.kind == "near":
        return frozenset([min((("w", w) for w in words), key=cost)])
    return min(_phrase_options(words), key=lambda keys: _set_cost(keys, cost))


def _phrase_options(words: tuple[str, ...]) -> list[KeySet]:
    """Key sets sound for a phrase glued at one joint at most (alerts.evaluate).

    Two words ``one two``: either ``one`` ends an article word (it stands
    whole, or text is glued before it) and ``two`` is not glued to it, or
    ``two`` starts an article word (whole, or glued to what follows), or the
    glue is between them and the article has the word ``onetwo``. Three or
    more: an anchor and its neighbour (:func:`_long_phrase_keys`).
    """
    if len(words) == 2:
        first, second = words
        glued = ("g", first + second)
        return [frozenset([("s", first), glued]), frozenset([("e", second), glued])]
    return [_long_phrase_keys(words)]


def _long_phrase_keys(words: tuple[str, ...]) -> KeySet:
    """Four keys, one of which every occurrence of a phrase of 3+ words gives.

    With ``w1 w2 w3`` its first words and one glue point at most: no glue,
    glue at the end or after ``w3``: ``w1 w2`` then a word starting with
    ``w3``; glue at the start: ``w2 w3`` after a word ending with ``w1``;
    glue between ``w1`` and ``w2``: the word ``w1w2`` then a word starting
    with ``w3``; glue between ``w2`` and ``w3``: the word ``w2w3`` after a
    word ending with ``w1``.
    """
    one, two, three = words[:3]
    return frozenset(
        [
            ("f", f"{one} {two}\t{three}"),
            ("r", f"{two} {three}\t{one}"),
            ("f", f"{one}{two}\t{three}"),
            ("r", f"{two}{three}\t{one}"),
        ]
    )


def _set_cost(keys: KeySet, cost: KeyCost) -> float:
    return sum(map(cost, keys))


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


def _neighbours(
    table: dict[str, list[int]], anchor: str, spaced: str | None, after: bool, found: set[int]
) -> None:
    """Add the rules of ``table`` whose neighbour word borders an occurrence of ``anchor``.

    ``after``: the word following the anchor starts with the rule's
    neighbour; else the word preceding it ends with it.
    """
    if spaced is None:
        for rules in table.values():
            found.update(rules)
        return
    pattern = f" {anchor} "
    at = spaced.find(pattern)
    while at != -1:
        if after:
            start = at + len(pattern)
            word = spaced[start : spaced.find(" ", start)]
            pieces = [word[:k] for k in range(1, len(word) + 1)]
        else:
            word = spaced[spaced.rfind(" ", 0, at) + 1 : at]
            pieces = [word[k:] for k in range(len(word))]
        for piece in pieces:
            rules = table.get(piece)
            if rules:
                found.update(rules)
        at = spaced.find(pattern, at + 1)


def _useful_needles(
    groups: list[frozenset[str]] | None, keys: KeySet | None
) -> tuple[tuple[str, ...], ...]:
    """The needle groups to test, without those the selecting keys already imply."""
    useful = []
    for needles in groups or ():
        if keys and all(kind in "wg" and text in needles for kind, text in keys):
            continue  # the article has the key's word, so its glued stream has a needle
        useful.append(tuple(needles))
    return tuple(useful)


class RuleIndex:
    """Rules (by position) filed under their required keys.

    ``frequencies`` (sampled from the archive) choose the rarest keys; without
    them, :func:`key_cost` guesses.
    """

    def __init__(self, trees: Sequence[Node], frequencies: WordFrequencies | None = None) -> None:
        cost = frequencies.cost if frequencies is not None else key_cost
        self.by_word: dict[str, list[int]] = {}
        self.prefixes = _Trie()
        self.suffixes = _Trie()  # reversed stems
        self.always_verified: list[int] = []
        # anchor -> neighbour -> rules: the "f" (next word) and "r" (previous word) keys
        self.followed: dict[str, dict[str, list[int]]] = {}
        self.preceded: dict[str, dict[str, list[int]]] = {}
        self._keys: list[KeySet | None] = []
        self.needles: list[tuple[tuple[str, ...], ...]] = []  # empty: always verified
        self._heads: dict[str, set[str]] = {}  # first word -> the two-word anchors it starts
        self._seen_words: set[str] = set()  # article words whose rules are known
        self._selects: dict[str, tuple[int, ...]] = {}  # the words that select some rule
        for position, tree in enumerate(trees):
            keys = required_keys(tree, cost)
            self.needles.append(_useful_needles(required_needles(tree), keys))
            self._keys.append(keys)
            if keys is None:
                self.always_verified.append(position)
            else:
                self._file(keys, position)

    def _file(self, keys: KeySet, position: int) -> None:
        for kind, text in keys:
            if kind in "wg":
                self.by_word.setdefault(text, []).append(position)
            elif kind == "s":
                self.suffixes.add(text[::-1], position)
            elif kind in "fr":
                anchor, neighbour = text.split("\t")
                table = self.followed if kind == "f" else self.preceded
                table.setdefault(anchor, {}).setdefault(neighbour, []).append(position)
                if " " in anchor:
                    self._heads.setdefault(anchor.split(" ")[0], set()).add(anchor)
            else:
                self.prefixes.add(text, position)

    @property
    def always(self) -> int:
        return len(self.always_verified)

    def keys_of(self, position: int) -> KeySet | None:
        return self._keys[position]

    def candidates(self, vocabulary: set[str], spaced: str | None = None) -> list[int]:
        """Positions of the rules an article with these words may match, in order.

        ``spaced`` is the article's words joined by spaces, zones apart
        (:meth:`alerts.evaluate.ArticleView.spaced`); without it, the "f" and
        "r" keys select on the words of their anchor alone (a superset).
        """
        found = set(self.always_verified)
        anchors = self._pairs(vocabulary, spaced) | vocabulary
        for table, after in ((self.followed, True), (self.preceded, False)):
            if table:
                for anchor in table.keys() & anchors:
                    _neighbours(table[anchor], anchor, spaced, after, found)
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

    def _pairs(self, vocabulary: set[str], spaced: str | None) -> set[str]:
        """The two-word anchors the article holds side by side.

        Only the words that start an anchor are looked for: building every
        pair of the article's neighbouring words would cost more.
        """
        found: set[str] = set()
        for head in self._heads.keys() & vocabulary:
            if spaced is None:
                found.update(self._heads[head])
                continue
            pattern = f" {head} "
            at = spaced.find(pattern)
            while at != -1:
                start = at + len(pattern)
                found.add(f"{head} {spaced[start : spaced.find(' ', start)]}")
                at = spaced.find(pattern, at + 1)
        return found

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
            for group in needles[position]:  # plain loops: no generator per candidate
                for needle in group:
                    if needle in stream:
                        break
                else:
                    break  # no needle of this group: the rule cannot match
            else:
                yield position
