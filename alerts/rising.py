"""Rising names: the proper names whose count rose most, and unlisted spellings.

Contract: :func:`rising_names` reads the articles published in the window
``[since, now)`` and in the :data:`BASELINE_DAYS` before it (through
:meth:`store.Store.name_texts`; the samples' titles through
:meth:`store.Store.article_texts`, newest first), counts for each name (:mod:`alerts.names`)
the articles that hold it in each period, and returns a :class:`NamesReport`:

- ``rising``: names no watchlist entity covers, ranked by how far the
  window's count stands above the count the baseline predicts for a window
  that long (``expected = previous * window_days / 28``), as
  ``score = (count - expected) / sqrt(expected + 1)`` (a Poisson z-score
  that a name never seen before reaches with a few articles, and a name
  seen every day only with a real jump); at least ``min_count`` articles
  in the window and a count above the expected one;
- ``aliases``: spellings of watched entities found in either period that
  their aliases lack (``matched``: the matcher already finds it by folding;
  otherwise only spacing or hyphens differ, and the rules miss it).

Each comes with a config.yaml snippet. The counting (:class:`NameTally`) and
the ranking are pure; only :func:`rising_names` reads the store.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any

import yaml

from alerts.names import Raw, keys_of, name_candidates, name_key, spellings_of, squashed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from config import Config, Entity
    from store import Store
    from store.names import ArticleText

BASELINE_DAYS = 28
SAMPLES = 3
MIN_COUNT = 3
LIMIT = 20
# a French word glued to the end of a name by the outlets' defects ("Tronga insisté")
GLUED_SUFFIXES = ("a", "et", "est", "le", "la", "les", "de", "du", "des", "en", "au", "aux")
ENTITY_INDENT = 6  # an entity item under `watchlists: - entities:` in config.yaml


@dataclass(frozen=True)
class Sample:
    """An article of the window that names the name."""

    title: str
    url: str
    published_at: datetime


@dataclass(frozen=True)
class RisingName:
    key: str  # the folded name
    name: str  # the spelling shown: the one richest in diacritics
    spellings: tuple[str, ...]  # every spelling found, that one first
    count: int  # articles in the window
    previous: int  # articles in the baseline
    expected: float  # what the baseline predicts for the window
    score: float
    samples: tuple[Sample, ...]  # the newest articles naming it
    snippet: str  # a config.yaml entity

    @property
    def rise(self) -> str:
        """ "new" (never seen in the baseline) or the ratio to the expected count."""
        return "new" if self.previous == 0 else f"x{self.count / self.expected:.1f}"


@dataclass(frozen=True)
class AliasSuggestion:
    watchlist: str
    entity: str
    name: str
    spellings: tuple[tuple[str, bool], ...]  # (spelling, the matcher finds it already)
    count: int  # articles holding one of the spellings, both periods
    snippet: str  # the entity with the spellings added


@dataclass(frozen=True)
class NamesReport:
    start: datetime
    end: datetime
    baseline_start: datetime
    articles: int
    baseline_articles: int
    rising: list[RisingName] = field(default_factory=list)
    aliases: list[AliasSuggestion] = field(default_factory=list)


class NameTally:
    """Articles per name key in the window and in the baseline, and the spellings seen."""

    def __init__(self) -> None:
        self.current: Counter[str] = Counter()
        self.previous: Counter[str] = Counter()
        self.raws: set[Raw] = set()
        self.articles = 0
        self.baseline_articles = 0
        self.total: Counter[str] = Counter()
        self.dropped: set[str] = set()
        self.written: dict[str, set[str]] = {}

    def add(self, text: str, *, recent: bool) -> None:
        """Count one article's text (C-level passes only: it runs for every article)."""
        raws = name_candidates(text)
        keys = set(chain.from_iterable(map(keys_of, raws)))
        self.raws.update(raws)
        if recent:
            self.articles += 1
            self.current.update(keys)
        else:
            self.baseline_articles += 1
            self.previous.update(keys)

    def settle(self) -> None:
        """Compute what ranking needs from the counts (once, after the last article)."""
        self.total = self.current + self.previous
        self.dropped = defects(self.total)
        self.written = self.spellings()

    def spellings(self) -> dict[str, set[str]]:
        """For each key, its spellings as written."""
        found: dict[str, set[str]] = defaultdict(set)
        for raw in self.raws:
            for spelling in spellings_of(raw):
                found[name_key(spelling)].add(spelling)
        return found


def article_text(article: ArticleText) -> str:
    """What is searched for names: the title, the lede and the body, apart."""
    return f"{article.title}\n{article.summary}\n{article.body}"


def add_samples(
    ranked: list[RisingName], articles: Iterable[ArticleText], count: int = SAMPLES
) -> list[RisingName]:
    """The names with the titles of the newest ``count`` articles naming each; ``articles``
    come newest first and are read until every name has its samples."""
    wanted: dict[str, list[Sample]] = {name.key: [] for name in ranked}
    missing = set(wanted)
    # a cheap first test: an article naming one of them holds one of its spellings
    spelled = re.compile("|".join(re.escape(s) for name in ranked for s in name.spellings))
    for article in articles:
        if not missing:
            break
        text = article_text(article)
        if not spelled.search(text):
            continue
        keys = set(chain.from_iterable(map(keys_of, name_candidates(text))))
        for key in keys & missing:
            wanted[key].append(Sample(article.title, article.url, article.published_at))
            if len(wanted[key]) >= count:
                missing.discard(key)
    return [replace(name, samples=tuple(wanted[name.key])) for name in ranked]


def defects(total: Counter[str]) -> set[str]:
    """Keys that are another key plus the outlets' glue: a French word stuck to the last
    word ("nguyen phu tronga"), or a capitalised word before the name ("pekin wang yi",
    "vietnam nguyen phu trong"), when that other key is seen at least as often."""
    known = set(total)
    found: set[str] = set()
    for key in known:
        head, _, last = key.rpartition(" ")
        for suffix in GLUED_SUFFIXES:
            base = f"{head} {last[: -len(suffix)]}"
            glued = last.endswith(suffix) and len(last) > len(suffix) + 1
            if glued and base in known and total[base] >= total[key]:
                found.add(key)
        rest = key.partition(" ")[2]
        if " " in rest and rest in known and total[rest] >= total[key]:
            found.add(key)
    return found


@dataclass(frozen=True)
class Watched:
    """The watchlist entities' spellings, as keys, for the coverage check."""

    keys: dict[str, tuple[str, Entity]]  # key -> (watchlist id, entity)
    squashed: dict[str, tuple[str, Entity]]

    @classmethod
    def of(cls, config: Config) -> Watched:
        keys: dict[str, tuple[str, Entity]] = {}
        for watchlist in config.watchlists:
            for entity in watchlist.entities:
                for spelling in (entity.name, *entity.aliases):
                    keys.setdefault(name_key(spelling), (watchlist.id, entity))
        return cls(keys, {squashed(key): owner for key, owner in keys.items()})

    def covers(self, key: str) -> bool:
        """Whether an entity's spelling is the name, holds it or is held by it (as whole
        words: "hoai trung" from "Le Hoai Trung" is covered by "le hoai trung")."""
        if squashed(key) in self.squashed:
            return True
        padded = f" {key} "
        return any(f" {k} " in padded or padded in f" {k} " for k in self.keys)

    def owner(self, key: str) -> tuple[str, Entity] | None:
        """The entity whose spelling this key is (spaces and hyphens aside)."""
        return self.keys.get(key) or self.squashed.get(squashed(key))


def rank(
    tally: NameTally,
    watched: Watched,
    window_days: float,
    *,
    min_count: int = MIN_COUNT,
    limit: int = LIMIT,
    taken_ids: Iterable[str] = (),
) -> list[RisingName]:
    """The names of the window no entity covers, the steepest rise first (call
    ``tally.settle()`` first)."""
    dropped, spellings = tally.dropped, tally.written
    scale = window_days / BASELINE_DAYS
    scored = []
    for key, count in tally.current.items():
        expected = tally.previous[key] * scale
        if count >= min_count and count > expected and key not in dropped:
            scored.append(((count - expected) / math.sqrt(expected + 1), count, key, expected))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    ids = set(taken_ids)
    ranked: list[RisingName] = []
    for score, count, key, expected in scored:
        if len(ranked) >= limit:
            break
        if watched.covers(key):
            continue
        written = _ordered(spellings[key])
        entity_id = _new_id(key, ids)
        ids.add(entity_id)
        ranked.append(
            RisingName(
                key=key,
                name=written[0],
                spellings=tuple(written),
                count=count,
                previous=tally.previous[key],
                expected=expected,
                score=score,
                samples=(),
                snippet=entity_snippet(
                    {"id": entity_id, "name": written[0], "aliases": written[1:]}
                ),
            )
        )
    return ranked


def alias_suggestions(tally: NameTally, watched: Watched) -> list[AliasSuggestion]:
    """Spellings of watched entities found in the archive and missing from config.yaml
    (call ``tally.settle()`` first)."""
    total, dropped = tally.total, tally.dropped
    new: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    counts: Counter[str] = Counter()
    owners: dict[str, tuple[str, Entity]] = {}
    for key, spellings in tally.written.items():
        owner = watched.owner(key)
        if owner is None or key in dropped:
            continue
        watchlist, entity = owner
        owners[entity.id] = owner
        counts[entity.id] += total[key]
        listed = {entity.name, *entity.aliases}
        for spelling in _ordered(spellings):
            if spelling not in listed:
                new[entity.id].append((spelling, key in watched.keys))
    found = []
    for entity_id, spellings in new.items():
        watchlist, entity = owners[entity_id]
        data = entity.model_dump(mode="json", exclude_defaults=True)
        data["aliases"] = [*entity.aliases, *(s for s, _ in spellings)]
        found.append(
            AliasSuggestion(
                watchlist=watchlist,
                entity=entity.id,
                name=entity.name,
                spellings=tuple(spellings),
                count=counts[entity_id],
                snippet=entity_snippet(data),
            )
        )
    return sorted(found, key=lambda s: (-s.count, s.entity))


def _ordered(spellings: set[str]) -> list[str]:
    """Spellings, the richest in diacritics first (the Vietnamese form is the name, the
    ASCII forms its aliases), then in alphabetical order."""
    return sorted(spellings, key=lambda s: (-sum(not c.isascii() for c in s), s))


def _new_id(key: str, taken: set[str]) -> str:
    """A config identifier for a new entity ("luong_cuong"), unused so far."""
    base = re.sub(r"[^a-z0-9]+", "_", key).strip("_") or "name"
    base = base if base[0].isalpha() else f"n_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def entity_snippet(entity: dict[str, Any]) -> str:
    """One watchlist entity as config.yaml holds it, indented for a watchlist's
    ``entities:`` list (flow-style alias lists, as in the shipped file)."""
    if not entity.get("aliases"):
        entity = {k: v for k, v in entity.items() if k != "aliases"}
    text = yaml.safe_dump(
        [entity], allow_unicode=True, default_flow_style=None, sort_keys=False, width=10_000
    )
    pad = " " * ENTITY_INDENT
    return "".join(pad + line for line in text.splitlines(keepends=True))


def rising_names(
    store: Store,
    config: Config,
    since: datetime,
    now: datetime,
    *,
    min_count: int = MIN_COUNT,
    limit: int = LIMIT,
) -> NamesReport:
    """Count the names of ``[since - 28 days, now)`` and rank those of ``[since, now)``."""
    baseline_start = since - timedelta(days=BASELINE_DAYS)
    tally = NameTally()
    for article in store.name_texts(baseline_start, since, now):
        tally.add(article.text, recent=article.recent)
    tally.settle()
    watched = Watched.of(config)
    taken = [entity.id for watchlist in config.watchlists for entity in watchlist.entities]
    window_days = max((now - since) / timedelta(days=1), 1 / 24)
    ranked = rank(tally, watched, window_days, min_count=min_count, limit=limit, taken_ids=taken)
    return NamesReport(
        start=since,
        end=now,
        baseline_start=baseline_start,
        articles=tally.articles,
        baseline_articles=tally.baseline_articles,
        rising=add_samples(ranked, store.article_texts(since, now, newest_first=True)),
        aliases=alias_suggestions(tally, watched),
    )
