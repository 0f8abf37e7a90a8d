"""The archive search: the index pre-filter never loses a match, counts, pages, edits.

The property tests draw queries in the rule language over a vocabulary full
of the matcher's hard cases (accents, đ, œ, elisions, glued words, ordinals,
words inside words) and compare the search with the matcher's verdict on
every stored article, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alerts.matcher import compile_rules
from alerts.query import RuleError
from alerts.search import (
    FACET_CAP,
    FETCH,
    SearchResult,
    compile_query,
    index_pending,
    search_archive,
    search_words,
    word_filter,
)
from config import Config, Rule
from store import Store
from store.records import Article
from store.search import CandidateCount, WordFilter, WordsAll, WordTest
from tests.alerts.delivery_support import HANOI, article
from tests.web.support import web_config

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
# the matcher's hard cases: accents, đ/œ, elisions, glued words, ordinals, words in words
PIECES = [
    "Tô Lâm", "TO LAM", "To Lam", "Chine", "machine", "Chinois", "l'Asie", "d’Asie",
    "Affaires étrangères", "Affairesétrangères", "leministre des Affaires", "Đà Nẵng",
    "Da Nang", "cœur", "coeur", "frontalière", "frontaliers", "80 e session", "XIVème",
    "14ème", "Nguyễn Phú Trọng", "Nguyen Phu Tronga insisté", "Islam", "Lam", "ASEAN",
    "Hanoï", "Vietnam", "photo lampe", "Tôlâm", "jusqu'à", "Phạm Minh Chính", "PCV",
    "délégation", "coopération", "北京", "Pékin",
]  # fmt: skip
TERMS = [
    "Chine", "Lâm", "Asie", "étrangères", "cœur", "Trọng", "Đà", "ASEAN", "machine", "80e",
    "xive", "14e", "Islam", "北京", '"Tô Lâm"', '"Affaires étrangères"', '"Nguyễn Phú Trọng"',
    '"Đà Nẵng"', '"Phạm Minh Chính"', "frontali*", "étrang*", "coop*", "title:Chine",
    'title:"Tô Lâm"', "lede:Vietnam", '"Tô Chine"~3', "source:lecourrier", "section:Monde",
    "@dirigeants", "entity:to_lam",
]  # fmt: skip


def generated_articles(count: int, seed: int = 7) -> list[Article]:
    """Articles made of PIECES, sometimes glued together, over a month, two outlets."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        pieces = [rng.choice(PIECES) for _ in range(rng.randint(3, 14))]
        body = "".join(p + ("" if rng.random() < 0.1 else " ") for p in pieces)
        source = "vietnamplus" if n % 3 else "lecourrier"
        made.append(
            article(
                str(5000 + n),
                NOW - timedelta(hours=7 * n + rng.randint(0, 6)),
                source=source,
                url=f"https://example.org/{source}/{5000 + n}.html",
                title=" ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4))),
                summary=rng.choice(PIECES),
                body=body,
                section=rng.choice(["Monde", "Politique", "Chine"]),
                captions=(rng.choice(PIECES),) if rng.random() < 0.3 else (),
            )
        )
    return made


@st.composite
def queries(draw: st.DrawFn, depth: int = 2) -> str:
    """A query in the rule language: terms joined by AND/OR, some NOT, some groups."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(TERMS))
    left, right = draw(queries(depth - 1)), draw(queries(depth - 1))
    operator = draw(st.sampled_from(["AND", "OR", "AND NOT"]))
    return f"({left} {operator} {right})"


def satisfies(words: set[str], condition: WordFilter) -> bool:
    """The pre-filter decided in Python over an article's indexed words."""
    if isinstance(condition, WordTest):
        if condition.prefix:
            return any(word.startswith(condition.word) for word in words)
        return condition.word in words
    results = (satisfies(words, part) for part in condition.parts)
    return all(results) if isinstance(condition, WordsAll) else any(results)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return web_config(tmp_path_factory.mktemp("search"))


SAMPLE = generated_articles(300)


def compiled(config: Config, query: str):  # type: ignore[no-untyped-def]
    try:
        return compile_query(config, query)
    except RuleError:
        assume(False)  # refused (only NOT clauses): not a search
        raise


@given(query=queries())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_word_filter_holds_for_every_matching_article(config: Config, query: str) -> None:
    """Pure property, many examples: a matching article's indexed words satisfy the filter."""
    matcher = compiled(config, query)
    condition = word_filter(matcher.rules[0].tree)
    if condition is None:
        return  # no filter: every article is a candidate
    for item in SAMPLE:
        if matcher.match_all(replace(item, id=1)):
            assert satisfies(set(search_words(item).split()), condition), (query, item.body)


@pytest.fixture
def archive(store: Store) -> tuple[Store, list[Article]]:
    """120 generated articles stored and indexed; the records as stored."""
    for item in generated_articles(120):
        store.save_article(item, NOW)
    index_pending(store)
    return store, list(store.iter_articles())


def matched_ids(result: SearchResult, stored: list[Article]) -> list[int]:
    """Every article a search lists, a dispatch's other copies (``also``) included,
    newest first like :func:`brute_force`."""
    by_pk = {a.id: a for a in stored}
    listed = [a.id or 0 for hit in result.hits for a in (hit.article, *hit.also)]
    return sorted(listed, key=lambda pk: (by_pk[pk].published_at, pk), reverse=True)


def brute_force(config: Config, stored: list[Article], query: str) -> list[int]:
    """The matcher over every stored article, newest first: what the search must give."""
    matcher = compile_rules([Rule(id="q", name="q", query=query)], config.watchlists)
    hits = [a for a in stored if matcher.match_all(a)]
    hits.sort(key=lambda a: (a.published_at, a.id or 0), reverse=True)
    return [a.id or 0 for a in hits]


@given(query=queries())
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_search_equals_the_matcher_over_the_archive(
    archive: tuple[Store, list[Article]], config: Config, query: str
) -> None:
    store, stored = archive
    compiled(config, query)
    result = search_archive(store, config, query, per_page=500)
    assert result.complete
    expected = brute_force(config, stored, query)
    # one hit per dispatch, newest first; its other outlets' copies in ``also``
    listed = [a.id for hit in result.hits for a in (hit.article, *hit.also)]
    assert sorted(listed) == sorted(expected)  # every match once
    primaries = [hit.article.id for hit in result.hits]
    assert primaries == [pk for pk in expected if pk in set(primaries)]
    assert result.found == len(expected) and result.dispatches == len(result.hits)


FIXED = ['"Tô Lâm"', "Chine AND NOT machine", '"Affaires étrangères"', "frontali*", "北京"]


@pytest.mark.parametrize("query", FIXED)
def test_search_finds_the_hard_cases(
    archive: tuple[Store, list[Article]], config: Config, query: str
) -> None:
    """Named cases, so a regression names the query; each has matches in the archive."""
    store, stored = archive
    expected = brute_force(config, stored, query)
    assert expected, f"the archive should hold matches of {query}"
    result = search_archive(store, config, query, per_page=500)
    assert matched_ids(result, stored) == expected


@pytest.mark.parametrize("query", FIXED)
def test_search_walking_the_date_index_finds_the_same(
    archive: tuple[Store, list[Article]],
    config: Config,
    query: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan for many candidates (walk the newest articles, test each id) gives the
    same results as the plan for few (fetch the candidates, sort them)."""
    import store.search

    monkeypatch.setattr(store.search, "FEW_CANDIDATES", 0)
    shop, stored = archive
    result = search_archive(shop, config, query, per_page=500)
    assert matched_ids(result, stored) == brute_force(config, stored, query)


def _dated(n: int, source: str, hours: int, body: str) -> Article:
    return article(
        str(n),
        NOW - timedelta(hours=hours),
        source=source,
        url=f"https://example.org/{source}/{n}.html",
        body=body,
    )


def test_pages_and_facets_count_every_match(store: Store, config: Config) -> None:
    """45 matches over two outlets and days, 20 a page: three pages, newest first, and
    counts per outlet and per local day; a facet filter keeps only its outlet or day."""
    for n in range(60):
        # distinct articles (one dispatch on two outlets is grouped: tested below)
        body = f"La Chine et le Laos, dossier {n}a, étape {n}b." if n % 4 else "Rien à signaler."
        store.save_article(_dated(n, "lecourrier" if n % 2 else "vietnamplus", 5 * n, body), NOW)
    pages = [search_archive(store, config, "Laos", page=p, per_page=20) for p in (1, 2, 3)]
    ids = [hit.article.id for page in pages for hit in page.hits]
    expected = [a.id for a in store.newest_articles(100) if "Laos" in a.body]
    assert ids == expected and len(ids) == 45
    assert [page.has_next for page in pages] == [True, True, False]
    first = pages[0]
    assert first.complete and first.found == 45
    assert dict(first.by_source) == {"lecourrier": 30, "vietnamplus": 15}
    zone = HANOI
    per_day: dict[object, int] = {}
    for a in store.newest_articles(100):
        if "Laos" in a.body:
            day = a.published_at.astimezone(zone).date()
            per_day[day] = per_day.get(day, 0) + 1
    assert dict(first.by_day) == per_day
    only = search_archive(store, config, "Laos", source="vietnamplus", per_page=50)
    assert {h.article.source for h in only.hits} == {"vietnamplus"} and only.found == 15
    day, count = first.by_day[1]
    one_day = search_archive(store, config, "Laos", day=day, per_page=50)
    assert one_day.found == count
    assert {h.article.published_day(zone) for h in one_day.hits} == {day}


def test_counts_are_partial_past_the_cap(store: Store, config: Config) -> None:
    """More candidates than FACET_CAP: the page is full, the counts say they are partial."""
    for n in range(FACET_CAP + 40):
        store.save_article(_dated(n, "vietnamplus", n, "Le Laos."), NOW)
    result = search_archive(store, config, "Laos", per_page=20)
    assert len(result.hits) == 20 and result.has_next
    assert not result.complete
    assert result.candidates == FACET_CAP + 40
    assert FACET_CAP <= result.verified < FACET_CAP + 40


def test_batches_of_candidates_follow_each_other(store: Store, config: Config) -> None:
    """A query whose candidates rarely match asks for batch after batch (FETCH each)
    and still finds the old match; the counts are then complete."""
    for n in range(FETCH * 2 + 30):
        body = "Le Laos." if n == FETCH * 2 + 10 else "Le Laos et le Japon."
        store.save_article(_dated(n, "vietnamplus", n, body), NOW)
    index_pending(store)
    result = search_archive(store, config, "Laos AND NOT Japon")
    assert result.found == 1 and result.complete
    assert result.verified == FETCH * 2 + 30


def test_index_follows_inserts_edits_and_deletions(store: Store, config: Config) -> None:
    """An edited article is found by its new words only; a deleted one by none."""
    store.save_article(_dated(1, "vietnamplus", 1, "Le delta du Mékong."), NOW)
    store.save_article(_dated(2, "vietnamplus", 2, "Le port de Haiphong."), NOW)
    assert search_archive(store, config, "Mékong").found == 1
    assert store.count_unindexed() == 0
    edited = store.article_by_identity("vietnamplus", "1")
    assert edited is not None
    store.save_article(replace(edited, body="La baie d'Along.", content_hash="v2"), NOW)
    assert store.count_unindexed() == 1  # the trigger dropped the stale words
    assert search_archive(store, config, "Mékong").found == 0
    assert [h.article.id for h in search_archive(store, config, "Along").hits] == [edited.id]
    assert store.count_unindexed() == 0  # the search indexed it again
    store.delete_articles_before(NOW - timedelta(hours=1, minutes=30))
    assert search_archive(store, config, "Haiphong").found == 0
    assert store.search_candidates(WordTest("haiphong"), _all_scope(), 10).ids == []


def test_unindexed_articles_are_verified_not_lost(store: Store, config: Config) -> None:
    """An article the index lacks (stored after the last indexing) is still a candidate."""
    store.save_article(_dated(1, "vietnamplus", 1, "Le Laos."), NOW)
    index_pending(store)
    store.save_article(_dated(2, "vietnamplus", 2, "Le Laos encore."), NOW)
    candidates = store.search_candidates(WordTest("laos"), _all_scope(), 10)
    assert len(candidates.ids) == 2
    assert store.count_candidates(WordTest("laos")) == CandidateCount(1, False, 1)


def test_a_query_with_nothing_to_look_up_reads_the_newest(store: Store, config: Config) -> None:
    """A word in another script is not looked up (PostgreSQL's parser): a bounded scan."""
    store.save_article(_dated(1, "vietnamplus", 1, "Visite à 北京 du ministre."), NOW)
    store.save_article(_dated(2, "vietnamplus", 2, "Rien."), NOW)
    result = search_archive(store, config, "北京")
    assert result.scanned and result.complete
    assert [h.article.article_id for h in result.hits] == ["1"]


def _all_scope():  # type: ignore[no-untyped-def]
    from store.search import SearchScope

    return SearchScope()


def test_generated_articles_cover_the_hard_cases(tmp_path: Path) -> None:
    """The generator glues words and mixes spellings, or the property tests prove little."""
    bodies = " ".join(a.body for a in generated_articles(120))
    assert "Affairesétrangères" in bodies and "Đà Nẵng" in bodies and "北京" in bodies


def _dispatch(n: int, source: str, hours: int) -> Article:
    """Dispatch ``n`` as ``source`` carries it: same text on every outlet."""
    return article(
        f"{n}{source[0]}",
        NOW - timedelta(hours=hours),
        source=source,
        url=f"https://example.org/{source}/d{n}.html",
        title=f"Dépêche {n} : le Laos et le port de Vientiane",
        body=f"Le Laos a présenté le projet {n} du port sec de Thanaleng, étape {n}x, lot {n}y.",
    )


def test_one_dispatch_on_two_outlets_is_one_hit_and_pages_count_dispatches(
    store: Store, config: Config
) -> None:
    """25 dispatches, 10 of them also on Le Courrier: 35 articles, 25 hits over two pages
    of 20, each carried dispatch listed once with its other outlet."""
    for n in range(25):
        store.save_article(_dispatch(n, "vietnamplus", 3 * n), NOW)
        if n % 5 < 2:
            store.save_article(_dispatch(n, "lecourrier", 3 * n + 1), NOW)
    first = search_archive(store, config, "Laos", per_page=20)
    second = search_archive(store, config, "Laos", page=2, per_page=20)
    assert (first.found, first.dispatches) == (35, 25)
    assert len(first.hits) == 20 and first.has_next and len(second.hits) == 5
    assert not second.has_next
    hits = first.hits + second.hits
    assert [hit.article.source for hit in hits] == ["vietnamplus"] * 25  # the newer copy
    carried = {hit.article.title: [a.source for a in hit.also] for hit in hits if hit.also}
    assert len(carried) == 10 and set(map(tuple, carried.values())) == {("lecourrier",)}
    assert dict(first.by_source) == {"vietnamplus": 25, "lecourrier": 10}  # articles
