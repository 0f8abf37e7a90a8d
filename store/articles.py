"""Article queries: identity by (source, article_id), updates by content hash."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, update

from store.base import StoreBase
from store.models import ArticleRow, MatchRow
from store.records import ARTICLE_FIELDS, Article, SaveOutcome

BATCH = 500


class ArticleQueries(StoreBase):
    """Facade methods for the articles table."""

    def known_article_ids(self, source: str, article_ids: Iterable[str]) -> set[str]:
        """Those of ``article_ids`` already stored for ``source``."""
        wanted = list(set(article_ids))
        known: set[str] = set()
        with self._transaction() as session:
            for i in range(0, len(wanted), BATCH):
                chunk = wanted[i : i + BATCH]
                rows = session.scalars(
                    select(ArticleRow.article_id).where(
                        ArticleRow.source == source, ArticleRow.article_id.in_(chunk)
                    )
                )
                known.update(rows)
        return known

    def articles_last_seen(self, source: str, article_ids: Iterable[str]) -> dict[str, datetime]:
        """``article_id -> last_seen_at`` for those of ``article_ids`` stored for ``source``.

        The crawler re-fetches a stored article only when a sitemap says it
        changed after it was last seen.
        """
        wanted = list(set(article_ids))
        seen: dict[str, datetime] = {}
        with self._transaction() as session:
            for i in range(0, len(wanted), BATCH):
                rows = session.execute(
                    select(ArticleRow.article_id, ArticleRow.last_seen_at).where(
                        ArticleRow.source == source,
                        ArticleRow.article_id.in_(wanted[i : i + BATCH]),
                    )
                )
                seen.update({article_id: last_seen for article_id, last_seen in rows})
        return seen

    def save_article(
        self, article: Article, now: datetime, *, backfill: bool = False
    ) -> SaveOutcome:
        """Insert a new article or record an update when its content hash changed."""
        with self._transaction() as session:
            row = session.scalar(
                select(ArticleRow).where(
                    ArticleRow.source == article.source,
                    ArticleRow.article_id == article.article_id,
                )
            )
            if row is None:
                row = ArticleRow(first_seen_at=now, backfill=backfill)
                _copy_into(row, article, now)
                session.add(row)
                return "new"
            row.last_seen_at = now
            if row.content_hash == article.content_hash:
                return "unchanged"
            _copy_into(row, article, now)
            row.updated_at = article.updated_at or now
            row.matched_at = None  # an edited article is matched again
            return "updated"

    def article(self, article_pk: int) -> Article | None:
        with self._transaction() as session:
            row = session.get(ArticleRow, article_pk)
            return article_from_row(row) if row else None

    def article_by_url(self, url: str) -> Article | None:
        with self._transaction() as session:
            row = session.scalar(select(ArticleRow).where(ArticleRow.url == url).limit(1))
            return article_from_row(row) if row else None

    def article_by_identity(self, source: str, article_id: str) -> Article | None:
        with self._transaction() as session:
            row = session.scalar(
                select(ArticleRow).where(
                    ArticleRow.source == source, ArticleRow.article_id == article_id
                )
            )
            return article_from_row(row) if row else None

    def count_articles(self, source: str | None = None, since: datetime | None = None) -> int:
        query = select(func.count()).select_from(ArticleRow)
        if source:
            query = query.where(ArticleRow.source == source)
        if since:
            query = query.where(ArticleRow.first_seen_at >= since)
        with self._transaction() as session:
            return int(session.scalar(query) or 0)

    def iter_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        rule: str | None = None,
        batch: int = BATCH,
    ) -> Iterator[Article]:
        """Articles published in ``[since, until)`` (of ``source``, matched by ``rule``),
        in a stable order, fetched in batches."""
        last: tuple[datetime, int] | None = None
        while True:
            query = select(ArticleRow).order_by(ArticleRow.published_at, ArticleRow.id)
            if since:
                query = query.where(ArticleRow.published_at >= since)
            if until:
                query = query.where(ArticleRow.published_at < until)
            if source:
                query = query.where(ArticleRow.source == source)
            if rule:
                matched = select(MatchRow.article_pk).where(MatchRow.rule_id == rule)
                query = query.where(ArticleRow.id.in_(matched))
            if last:
                query = query.where(
                    (ArticleRow.published_at > last[0])
                    | ((ArticleRow.published_at == last[0]) & (ArticleRow.id > last[1]))
                )
            with self._transaction() as session:
                rows = session.scalars(query.limit(batch)).all()
                records = [article_from_row(row) for row in rows]
            yield from records
            if len(rows) < batch:
                return
            last = (rows[-1].published_at, rows[-1].id)

    def newest_articles(self, limit: int = BATCH) -> list[Article]:
        """The ``limit`` most recently published articles, newest first."""
        with self._transaction() as session:
            rows = session.scalars(
                select(ArticleRow)
                .order_by(ArticleRow.published_at.desc(), ArticleRow.id.desc())
                .limit(limit)
            ).all()
            return [article_from_row(row) for row in rows]

    def unmatched_articles(self, limit: int = BATCH) -> list[Article]:
        """Articles not matched since they were stored or last updated."""
        with self._transaction() as session:
            rows = session.scalars(
                select(ArticleRow)
                .where(ArticleRow.matched_at.is_(None))
                .order_by(ArticleRow.id)
                .limit(limit)
            ).all()
            return [article_from_row(row) for row in rows]

    def mark_matched(self, article_pks: Iterable[int], now: datetime) -> None:
        pks = list(article_pks)
        with self._transaction() as session:
            for i in range(0, len(pks), BATCH):
                session.execute(
                    update(ArticleRow)
                    .where(ArticleRow.id.in_(pks[i : i + BATCH]))
                    .values(matched_at=now)
                )

    def delete_articles_before(self, cutoff: datetime) -> int:
        """Housekeeping: drop articles published before ``cutoff`` (matches cascade)."""
        with self._transaction() as session:
            rows = session.scalars(
                select(ArticleRow.id).where(ArticleRow.published_at < cutoff)
            ).all()
            for i in range(0, len(rows), BATCH):
                for row in session.scalars(
                    select(ArticleRow).where(ArticleRow.id.in_(rows[i : i + BATCH]))
                ):
                    session.delete(row)
            return len(rows)


# set by the store when it saves a row, never copied from the record being saved
STORE_SET = frozenset({"id", "first_seen_at", "last_seen_at", "backfill"})
COPIED_TO_ROW = tuple(name for name in ARTICLE_FIELDS if name not in STORE_SET)


def row_values_from_article(article: Article, now: datetime) -> dict[str, Any]:
    """The column values saving ``article`` writes (an absent ``updated_at`` keeps the row's)."""
    values = {name: getattr(article, name) for name in COPIED_TO_ROW}
    values["captions"] = list(article.captions)
    offset = article.published_at.utcoffset() or timedelta(0)
    values["published_offset_minutes"] = int(offset.total_seconds() // 60)
    values["last_seen_at"] = now
    if article.updated_at is None:
        del values["updated_at"]
    return values


def _copy_into(row: ArticleRow, article: Article, now: datetime) -> None:
    for name, value in row_values_from_article(article, now).items():
        setattr(row, name, value)


def article_from_row(row: ArticleRow) -> Article:
    """The record of an article row (the match and outbox queries use it too); times
    in the outlet's offset, the store's own times in UTC."""
    zone = timezone(timedelta(minutes=row.published_offset_minutes))
    values = {name: getattr(row, name) for name in ARTICLE_FIELDS}
    return Article(
        **values
        | {
            "captions": tuple(row.captions or ()),
            "published_at": row.published_at.astimezone(zone),
            "updated_at": row.updated_at.astimezone(zone) if row.updated_at else None,
            "first_seen_at": row.first_seen_at.astimezone(UTC),
            "last_seen_at": row.last_seen_at.astimezone(UTC) if row.last_seen_at else None,
            "backfill": bool(row.backfill),
        }
    )
