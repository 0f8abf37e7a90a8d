"""Search index queries: each article's folded words, and candidates newest first.

The search stage (``alerts.search``) folds an article's words as the matcher
does and saves them here (:meth:`SearchQueries.save_search_words`); SQLite
looks them up through the FTS5 table ``search_fts``, PostgreSQL through the
``words_tsv`` column's GIN index (migration 0009). A :data:`WordFilter` is a
boolean tree of words and prefixes that every matching article satisfies;
:meth:`SearchQueries.search_candidates` returns the articles that satisfy
it, plus every article not indexed yet (``search_pending``, kept by
triggers: new or edited), newest first. The candidates are a superset: the
caller verifies them with the matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    TextualSelect,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
)

from store.articles import BATCH, article_from_row
from store.base import StoreBase
from store.models import ArticleRow, SearchPendingRow, SearchWordsRow
from store.records import Article

# a longer word is not indexed by PostgreSQL (2047 bytes), nor worth looking up
MAX_INDEXED_WORD = 100
SEARCH_WORDS = SearchWordsRow.__table__
FEW_CANDIDATES = 2000


@dataclass(frozen=True, slots=True)
class WordTest:
    """The article holds the folded ``word`` (``prefix``: a word starting with it)."""

    word: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class WordsAll:
    parts: tuple[WordFilter, ...]


@dataclass(frozen=True, slots=True)
class WordsAny:
    parts: tuple[WordFilter, ...]


WordFilter = WordTest | WordsAll | WordsAny


@dataclass(frozen=True, slots=True)
class SearchScope:
    """Which articles a search reads: one outlet, a publication range ``[start, end)``."""

    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Candidates:
    """A batch of candidate article ids, newest first, and the last one's position."""

    ids: list[int]
    last: tuple[datetime, int] | None


@dataclass(frozen=True, slots=True)
class CandidateCount:
    """How many indexed articles a filter selects (``more``: over ``total``) and how
    many articles the index lacks (always candidates)."""

    total: int
    more: bool
    unindexed: int


def is_indexable(word: str) -> bool:
    """Whether both backends index ``word`` as one token: short, ASCII letters and digits.

    PostgreSQL's parser reads non-ASCII letters by the database's locale, so
    such a word is not looked up (the caller widens the filter instead).
    """
    return 0 < len(word) <= MAX_INDEXED_WORD and word.isascii() and word.isalnum()


class SearchQueries(StoreBase):
    """Facade methods for the search index."""

    def count_unindexed(self) -> int:
        """Articles whose words the index lacks (new or edited since indexed)."""
        with self._transaction() as session:
            return int(session.scalar(select(func.count()).select_from(SearchPendingRow)) or 0)

    def unindexed_articles(self, limit: int = BATCH) -> list[Article]:
        """Up to ``limit`` articles the index lacks, the last stored first.

        In id order (the pending table's key): ordering a large backlog by date
        would sort all of it for each batch.
        """
        with self._transaction() as session:
            rows = session.scalars(
                select(ArticleRow)
                .join(SearchPendingRow, SearchPendingRow.article_pk == ArticleRow.id)
                .order_by(SearchPendingRow.article_pk.desc())
                .limit(limit)
            ).all()
            return [article_from_row(row) for row in rows]

    def save_search_words(self, entries: Iterable[tuple[int, str, str]]) -> int:
        """Index ``(article_pk, content_hash, words)``; an entry whose article changed
        meanwhile (another hash) or vanished is skipped and stays pending. Returns the
        rows written."""
        given = {pk: (content_hash, words) for pk, content_hash, words in entries}
        with self._transaction() as session:
            # FOR SHARE (PostgreSQL): an edit waits for this transaction to end, then
            # its trigger drops the words written here and marks the article pending
            current = session.execute(
                select(ArticleRow.id, ArticleRow.content_hash)
                .where(ArticleRow.id.in_(list(given)))
                .with_for_update(read=True)
            ).all()
            done = [pk for pk, content_hash in current if given[pk][0] == content_hash]
            if done:
                session.execute(delete(SEARCH_WORDS).where(SEARCH_WORDS.c.article_pk.in_(done)))
                session.execute(
                    insert(SEARCH_WORDS),
                    [{"article_pk": pk, "content_hash": given[pk][0], "words": given[pk][1]}
                     for pk in done],
                )  # fmt: skip
                session.execute(
                    delete(SearchPendingRow).where(SearchPendingRow.article_pk.in_(done))
                )
        return len(done)

    def count_candidates(self, words: WordFilter) -> CandidateCount:
        """How many indexed articles satisfy ``words`` (counted up to FEW_CANDIDATES + 1:
        a frequent word would cost a scan) and how many articles are not indexed."""
        with self._transaction() as session:
            first = select(self._lookup(words).subquery().c.id).limit(FEW_CANDIDATES + 1)
            total = int(session.scalar(select(func.count()).select_from(first.subquery())) or 0)
            unindexed = int(session.scalar(select(func.count()).select_from(SearchPendingRow)) or 0)
        return CandidateCount(min(total, FEW_CANDIDATES), total > FEW_CANDIDATES, unindexed)

    def search_candidates(
        self,
        words: WordFilter | None,
        scope: SearchScope,
        limit: int,
        *,
        after: tuple[datetime, int] | None = None,
        many: bool = False,
    ) -> Candidates:
        """The newest ``limit`` articles of ``scope`` published before ``after`` (a
        previous batch's ``last``) that satisfy ``words`` or are not indexed; with
        ``words`` None, the newest articles of ``scope``.

        ``many`` (from :meth:`count_candidates`) picks the plan: a rare word's few
        candidates are fetched by id and sorted, a frequent word's are met early in a
        walk of the date index, newest first.
        """
        query = _scoped(select(ArticleRow.id, ArticleRow.published_at), scope).order_by(
            ArticleRow.published_at.desc(), ArticleRow.id.desc()
        )
        if after is not None:
            query = query.where(
                (ArticleRow.published_at < after[0])
                | ((ArticleRow.published_at == after[0]) & (ArticleRow.id < after[1]))
            )
        if words is not None:
            pending = ArticleRow.id.in_(select(SearchPendingRow.article_pk))
            held = self._holds(words) if many else ArticleRow.id.in_(self._lookup(words))
            query = query.where(held | pending)
        with self._transaction() as session:
            rows = session.execute(query.limit(limit)).all()
        last = (rows[-1].published_at, rows[-1].id) if rows else None
        return Candidates([row.id for row in rows], last)

    def articles_by_pk(self, pks: Sequence[int]) -> list[Article]:
        """The stored articles of ``pks``, in that order (a deleted one is left out)."""
        with self._transaction() as session:
            rows = session.scalars(select(ArticleRow).where(ArticleRow.id.in_(list(pks)))).all()
            by_pk = {row.id: article_from_row(row) for row in rows}
        return [by_pk[pk] for pk in pks if pk in by_pk]

    def _holds(self, words: WordFilter) -> ColumnElement[bool]:
        """Whether the article row at hand satisfies ``words``, tested row by row.

        SQLite tests each id against the FTS5 result ("id + 0" keeps the planner
        from fetching every candidate row to sort them, 10x slower for a
        frequent word); PostgreSQL reads the row's own ``words_tsv`` through a
        scalar subquery (an EXISTS would be hashed: the whole table scanned).
        """
        if self.dialect == "sqlite":
            return (ArticleRow.id + 0).in_(self._lookup(words))
        own_words = (
            select(literal_column("search_words.words_tsv"))
            .select_from(SEARCH_WORDS)
            .where(SEARCH_WORDS.c.article_pk == ArticleRow.id)
            .scalar_subquery()
        )
        query = func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(words))
        return own_words.bool_op("@@")(query)

    def _lookup(self, words: WordFilter) -> TextualSelect:
        """The ids of the indexed articles whose words satisfy ``words``."""
        if self.dialect == "sqlite":
            sql = text("SELECT rowid AS id FROM search_fts WHERE search_fts MATCH :query")
            return sql.bindparams(query=fts5_query(words)).columns(id=Integer)
        sql = text(
            "SELECT article_pk AS id FROM search_words "
            "WHERE words_tsv @@ to_tsquery('simple', :query)"
        )
        return sql.bindparams(query=tsquery(words)).columns(id=Integer)


def fts5_query(words: WordFilter) -> str:
    """SQLite FTS5 syntax: ``"chine" AND ("to" OR "frontali"*)``."""
    if isinstance(words, WordTest):
        quoted = '"' + words.word.replace('"', '""') + '"'
        return quoted + "*" if words.prefix else quoted
    joiner = " AND " if isinstance(words, WordsAll) else " OR "
    return "(" + joiner.join(fts5_query(part) for part in words.parts) + ")"


def tsquery(words: WordFilter) -> str:
    """PostgreSQL ``to_tsquery`` syntax: ``'chine' & ('to' | 'frontali':*)``."""
    if isinstance(words, WordTest):
        quoted = "'" + words.word.replace("\\", "\\\\").replace("'", "''") + "'"
        return quoted + ":*" if words.prefix else quoted
    joiner = " & " if isinstance(words, WordsAll) else " | "
    return "(" + joiner.join(tsquery(part) for part in words.parts) + ")"


def _scoped(query: Select[Any], scope: SearchScope) -> Select[Any]:
    if scope.source:
        query = query.where(ArticleRow.source == scope.source)
    if scope.start:
        query = query.where(ArticleRow.published_at >= scope.start)
    if scope.end:
        query = query.where(ArticleRow.published_at < scope.end)
    return query
