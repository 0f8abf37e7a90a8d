"""Search index queries: each article's folded words, and candidates newest first.

The search stage (``alerts.search``) folds an article's words as the matcher
does and saves them here (:meth:`SearchQueries.save_search_words`); SQLite
looks them up through the FTS5 table ``search_fts``, PostgreSQL through the
``words_tsv`` column's GIN index (migration 0009). A :data:`WordFilter` is a
boolean tree of words and prefixes that every matching article satisfies;
:meth:`SearchQueries.search_candidates` returns the articles that satisfy
it, plus every article not indexed yet (edited or new), newest first. The
candidates are a superset: the caller verifies them with the matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, text

from store.articles import BATCH, article_from_row
from store.base import StoreBase
from store.models import ArticleRow, SearchWordsRow
from store.records import Article

# a longer word is not indexed by PostgreSQL (2047 bytes), nor worth looking up
MAX_INDEXED_WORD = 100
# below this many candidates they are sorted by date in one go; above, the newest
# articles are read in pages and kept when they are candidates
FEW_CANDIDATES = 5000
SEARCH_WORDS = SearchWordsRow.__table__
SCAN_PAGE = 5000


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
    """Article ids newest first; ``total``: how many the index gave (None: no lookup)."""

    ids: list[int]
    total: int | None
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
        """Articles with no (current) row in the search index."""
        # every index row names a stored article (foreign key), so a difference of counts
        # is the number unindexed, without an anti-join over the archive
        with self._transaction() as session:
            return _count(session, ArticleRow) - _count(session, SearchWordsRow)

    def unindexed_articles(self, limit: int = BATCH) -> list[Article]:
        """Up to ``limit`` articles the index lacks, newest first."""
        with self._transaction() as session:
            rows = session.scalars(
                _unindexed(select(ArticleRow))
                .order_by(ArticleRow.published_at.desc(), ArticleRow.id.desc())
                .limit(limit)
            ).all()
            return [article_from_row(row) for row in rows]

    def save_search_words(self, entries: Iterable[tuple[int, str, str]]) -> int:
        """Index ``(article_pk, content_hash, words)``; an entry whose article changed
        meanwhile (another hash) or vanished is skipped. Returns the rows written."""
        given = {pk: (content_hash, words) for pk, content_hash, words in entries}
        with self._transaction() as session:
            # FOR SHARE (PostgreSQL): an edit waits for this transaction, then its
            # trigger drops the row written here, so no stale row survives
            current = session.execute(
                select(ArticleRow.id, ArticleRow.content_hash)
                .where(ArticleRow.id.in_(list(given)))
                .with_for_update(read=True)
            ).all()
            rows = [
                {"article_pk": pk, "content_hash": content_hash, "words": given[pk][1]}
                for pk, content_hash in current
                if given[pk][0] == content_hash
            ]
            session.execute(delete(SEARCH_WORDS).where(SEARCH_WORDS.c.article_pk.in_(list(given))))
            if rows:
                session.execute(insert(SEARCH_WORDS), rows)
        return len(rows)

    def search_candidates(
        self, words: WordFilter | None, scope: SearchScope, limit: int
    ) -> Candidates:
        """The newest ``limit`` articles of ``scope`` that satisfy ``words`` or are not
        indexed; with ``words`` None, the newest articles of ``scope``."""
        with self._transaction() as session:
            if words is None:
                rows = session.execute(_newest(scope).limit(limit)).all()
                return Candidates([row.id for row in rows], None, 0)
            found = set(session.scalars(self._lookup(words)))
            unindexed: set[int] = set()
            if _count(session, ArticleRow) != _count(session, SearchWordsRow):
                unindexed = set(session.scalars(_unindexed(select(ArticleRow.id))))
            ids = found | unindexed
            if len(ids) <= FEW_CANDIDATES:
                ordered = _order_few(session, ids, scope)[:limit]
            else:
                ordered = _scan_for(session, ids, scope, limit)
            return Candidates(ordered, len(found), len(unindexed))

    def articles_by_pk(self, pks: Sequence[int]) -> list[Article]:
        """The stored articles of ``pks``, in that order (a deleted one is left out)."""
        with self._transaction() as session:
            rows = session.scalars(select(ArticleRow).where(ArticleRow.id.in_(list(pks)))).all()
            by_pk = {row.id: article_from_row(row) for row in rows}
        return [by_pk[pk] for pk in pks if pk in by_pk]

    def _lookup(self, words: WordFilter) -> Any:
        if self.dialect == "sqlite":
            return text("SELECT rowid FROM search_fts WHERE search_fts MATCH :query").bindparams(
                query=fts5_query(words)
            )
        return text(
            "SELECT article_pk FROM search_words WHERE words_tsv @@ to_tsquery('simple', :query)"
        ).bindparams(query=tsquery(words))


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


def _count(session: Any, table: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _unindexed(query: Select[Any]) -> Select[Any]:
    indexed = select(SearchWordsRow.article_pk).where(SearchWordsRow.article_pk == ArticleRow.id)
    return query.where(~indexed.exists())


def _scoped(query: Select[Any], scope: SearchScope) -> Select[Any]:
    if scope.source:
        query = query.where(ArticleRow.source == scope.source)
    if scope.start:
        query = query.where(ArticleRow.published_at >= scope.start)
    if scope.end:
        query = query.where(ArticleRow.published_at < scope.end)
    return query


def _newest(scope: SearchScope) -> Select[Any]:
    return _scoped(select(ArticleRow.id, ArticleRow.published_at), scope).order_by(
        ArticleRow.published_at.desc(), ArticleRow.id.desc()
    )


def _order_few(session: Any, ids: set[int], scope: SearchScope) -> list[int]:
    """A few candidates within ``scope``, sorted newest first."""
    wanted = list(ids)
    rows: list[Any] = []
    for i in range(0, len(wanted), BATCH):
        rows.extend(
            session.execute(
                _scoped(select(ArticleRow.id, ArticleRow.published_at), scope).where(
                    ArticleRow.id.in_(wanted[i : i + BATCH])
                )
            ).all()
        )
    rows.sort(key=lambda row: (row.published_at, row.id), reverse=True)
    return [row.id for row in rows]


def _scan_for(session: Any, ids: set[int], scope: SearchScope, limit: int) -> list[int]:
    """Many candidates: read the newest articles of ``scope`` page by page, keep those in
    ``ids``; a frequent word fills ``limit`` within the first pages."""
    kept: list[int] = []
    last: tuple[datetime, int] | None = None
    while len(kept) < limit:
        query = _newest(scope)
        if last is not None:
            query = query.where(
                (ArticleRow.published_at < last[0])
                | ((ArticleRow.published_at == last[0]) & (ArticleRow.id < last[1]))
            )
        rows = session.execute(query.limit(SCAN_PAGE)).all()
        kept.extend(row.id for row in rows if row.id in ids)
        if len(rows) < SCAN_PAGE:
            break
        last = (rows[-1].published_at, rows[-1].id)
    return kept[:limit]
