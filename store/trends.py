"""Trend queries: articles per rule and per watchlist entity per local day.

Two tables (migration 0012). ``trend_hits`` says which articles count for
which rule or entity on which local day; the match job replaces a batch of
articles' hits (:meth:`TrendQueries.replace_trend_hits`) just before their
matches, so re-matching never counts an article twice, and a crash between
the two leaves the articles unmatched, to be matched (and their hits
replaced by the same) again. ``trend_counts`` holds the same hits counted per
(kind, key, day), moved by the difference between the old and new hits in the
same transaction: a page reads a few hundred count rows, never the archive.
Series come back zero-filled, one :class:`DayCount` per day. Counts are not
cascaded from articles, so a removed rule keeps its history and the retention
housekeeping does not erase the past; :meth:`TrendQueries.recount_trends` rebuilds them from the
hits (``vnawatch trends --rebuild``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from store.articles import article_from_row
from store.base import StoreBase
from store.models import ArticleRow, MatchRow, ServiceStateRow, TrendCountRow, TrendHitRow
from store.records import (
    Article,
    ArticleTrend,
    DayCount,
    SourceCount,
    TrendDetails,
    TrendHit,
    TrendKind,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

TREND_STATE = "trends"  # service_state row: the time zone the days were counted in
RULE: TrendKind = "rule"
ENTITY: TrendKind = "entity"
_Key = tuple[str, str, date]


def forget_rule_trends(session: Session, rule_ids: Sequence[str]) -> None:
    """Drop the hits and counts of a deleted subscriber's own rules (their data)."""
    for table in (TrendHitRow, TrendCountRow):
        session.execute(delete(table).where(table.kind == RULE, table.key.in_(list(rule_ids))))


def _add_counts(connection: Connection, change: Counter[_Key]) -> None:
    """Add ``change`` (positive or negative) to the counts, creating missing rows."""
    rows = [
        {"kind": kind, "key": key, "day": day, "articles": n}
        for (kind, key, day), n in change.items()
        if n
    ]
    if not rows:
        return
    counts = TrendCountRow.__table__
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement: Any = dialect.insert(counts)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "key", "day"],
        set_={"articles": counts.c.articles + statement.excluded.articles},
    )
    connection.execute(statement, rows)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class TrendQueries(StoreBase):
    """Facade methods for the trend tables."""

    def replace_trend_hits(
        self, trends: Sequence[ArticleTrend], *, rule_ids: Iterable[str] | None = None
    ) -> None:
        """Make each article's hits those of ``trends`` (its rules among the replaced
        ``rule_ids``, None: all; its entities when given) and move the counts by the
        difference: one transaction for a batch of articles.
        """
        if not trends:
            return
        entities = trends[0].entities is not None
        assert all((t.entities is not None) == entities for t in trends), "one kind of batch"
        hits, table = TrendHitRow.__table__, TrendHitRow.__table__.c
        rules = table.kind == RULE
        if rule_ids is not None:
            rules = and_(rules, table.key.in_(list(rule_ids)))
        replaced = or_(rules, table.kind == ENTITY) if entities else rules
        new: set[tuple[int, str, str, date]] = set()
        for t in trends:
            new |= {(t.article_pk, RULE, key, t.day) for key in t.rules}
            new |= {(t.article_pk, ENTITY, key, t.day) for key in t.entities or ()}
        with self._transaction() as session:
            connection = session.connection()
            gone = connection.execute(
                delete(hits)
                .where(table.article_pk.in_([t.article_pk for t in trends]), replaced)
                .returning(table.article_pk, table.kind, table.key, table.day)
            ).all()
            old = {(pk, kind, key, day) for pk, kind, key, day in gone}
            if new:
                rows = [{"article_pk": a, "kind": k, "key": key, "day": d} for a, k, key, d in new]
                connection.execute(insert(hits), rows)
            change: Counter[_Key] = Counter(hit[1:] for hit in new - old)
            change.subtract(hit[1:] for hit in old - new)
            _add_counts(connection, change)

    def daily_counts(self, kind: TrendKind, key: str, start: date, end: date) -> list[DayCount]:
        """Articles of one rule or entity per day from ``start`` to ``end`` (both included),
        one record per day, zeros where nothing was counted."""
        return self.daily_counts_many(kind, [key], start, end)[key]

    def daily_counts_many(
        self, kind: TrendKind, keys: Sequence[str], start: date, end: date
    ) -> dict[str, list[DayCount]]:
        """:meth:`daily_counts` of several keys in one query (compare view, digests)."""
        found: dict[tuple[str, date], int] = {}
        with self._transaction() as session:
            for i in range(0, len(keys), 500):
                rows = session.execute(
                    select(TrendCountRow.key, TrendCountRow.day, TrendCountRow.articles).where(
                        TrendCountRow.kind == kind,
                        TrendCountRow.key.in_(list(keys[i : i + 500])),
                        TrendCountRow.day.between(start, end),
                    )
                )
                found.update(((key, day), n) for key, day, n in rows)
        days = _days(start, end)
        return {key: [DayCount(d, found.get((key, d), 0)) for d in days] for key in keys}

    def trend_details(
        self, kind: TrendKind, key: str, read_from: date, start: date, end: date
    ) -> TrendDetails:
        """What a trends page shows of one rule or entity, in one transaction: its counts
        from ``read_from`` and its top outlets and newest articles of ``[start, end]``."""
        with self._transaction() as session:
            rows = session.execute(
                select(TrendCountRow.day, TrendCountRow.articles).where(
                    TrendCountRow.kind == kind,
                    TrendCountRow.key == key,
                    TrendCountRow.day.between(read_from, end),
                )
            )
            found = dict(rows.all())
            sources = _sources(session, kind, key, start, end, 5)
            articles = _articles(session, kind, key, start, end, 10)
        counts = [DayCount(day, found.get(day, 0)) for day in _days(read_from, end)]
        return TrendDetails(counts, sources, articles)

    def trend_totals(self, kind: TrendKind, start: date, end: date) -> dict[str, int]:
        """Articles per key over ``[start, end]`` (keys with none are absent)."""
        query = (
            select(TrendCountRow.key, func.sum(TrendCountRow.articles))
            .where(TrendCountRow.kind == kind, TrendCountRow.day.between(start, end))
            .group_by(TrendCountRow.key)
        )
        with self._transaction() as session:
            return {key: int(total) for key, total in session.execute(query) if total}

    def trend_sources(
        self, kind: TrendKind, key: str, start: date, end: date, *, limit: int = 5
    ) -> list[SourceCount]:
        """The outlets with the most articles of one rule or entity over ``[start, end]``."""
        with self._transaction() as session:
            return _sources(session, kind, key, start, end, limit)

    def trend_articles(
        self,
        kind: TrendKind,
        key: str,
        *,
        start: date | None = None,
        end: date | None = None,
        limit: int = 10,
    ) -> list[Article]:
        """The newest articles counted for one rule or entity (on days ``[start, end]``)."""
        with self._transaction() as session:
            return _articles(session, kind, key, start, end, limit)

    def published_range(self) -> tuple[datetime, datetime] | None:
        """The first and last publication times in the archive; None when it is empty."""
        # two queries: SQLite walks the index for a lone min() or max(), and scans the
        # table for both in one SELECT
        with self._transaction() as session:
            first = session.scalar(select(func.min(ArticleRow.published_at)))
            last = session.scalar(select(func.max(ArticleRow.published_at)))
        if first is None or last is None:
            return None
        # SQLite hands the aggregates back as naive UTC (the column type is not applied)
        return _aware(first), _aware(last)

    def rule_ids_by_article(self, article_pks: Sequence[int]) -> dict[int, list[str]]:
        """The rules each article's stored matches name (the rebuild's rule hits)."""
        found: dict[int, list[str]] = {pk: [] for pk in article_pks}
        with self._transaction() as session:
            for i in range(0, len(article_pks), 500):
                rows = session.execute(
                    select(MatchRow.article_pk, MatchRow.rule_id).where(
                        MatchRow.article_pk.in_(list(article_pks[i : i + 500]))
                    )
                )
                for pk, rule_id in rows:
                    found[pk].append(rule_id)
        return found

    def clear_trend_hits(self) -> None:
        """Forget every hit (a rebuild starts here); the counts stay until recounted."""
        with self._transaction() as session:
            session.execute(delete(TrendHitRow))

    def add_trend_hits(self, hits: Sequence[TrendHit]) -> None:
        """Store hits without touching the counts (a rebuild recounts at the end)."""
        if not hits:
            return
        with self._transaction() as session:
            session.execute(
                insert(TrendHitRow),
                [
                    {"article_pk": h.article_pk, "kind": h.kind, "key": h.key, "day": h.day}
                    for h in hits
                ],
            )

    def recount_trends(self, since: date | None) -> int:
        """Replace the counts of days from ``since`` (None: all) by the hits counted;
        older counts (articles gone with the retention) stay. Returns the rows written."""
        counted = select(TrendHitRow.kind, TrendHitRow.key, TrendHitRow.day, func.count()).group_by(
            TrendHitRow.kind, TrendHitRow.key, TrendHitRow.day
        )
        stale = delete(TrendCountRow)
        if since is not None:
            counted = counted.where(TrendHitRow.day >= since)
            stale = stale.where(TrendCountRow.day >= since)
        with self._transaction() as session:
            session.execute(stale)
            rows = session.execute(counted).all()
            if rows:
                session.execute(
                    insert(TrendCountRow),
                    [{"kind": k, "key": key, "day": d, "articles": n} for k, key, d, n in rows],
                )
            return len(rows)

    def trend_timezone(self) -> str | None:
        """The time zone the stored counts' days are in; None before the first build."""
        with self._transaction() as session:
            row = session.get(ServiceStateRow, TREND_STATE)
            return str(row.value.get("timezone")) if row else None

    def set_trend_timezone(self, zone_name: str, now: datetime) -> None:
        with self._transaction() as session:
            row = session.get(ServiceStateRow, TREND_STATE) or ServiceStateRow(name=TREND_STATE)
            row.value = {"timezone": zone_name}
            row.updated_at = now
            session.add(row)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sources(
    session: Session, kind: str, key: str, start: date, end: date, limit: int
) -> list[SourceCount]:
    count = func.count().label("n")
    query = (
        select(ArticleRow.source, count)
        .join(TrendHitRow, TrendHitRow.article_pk == ArticleRow.id)
        .where(TrendHitRow.kind == kind, TrendHitRow.key == key)
        .where(TrendHitRow.day.between(start, end))
        .group_by(ArticleRow.source)
        .order_by(count.desc(), ArticleRow.source)
        .limit(limit)
    )
    return [SourceCount(source, int(n)) for source, n in session.execute(query)]


def _articles(
    session: Session, kind: str, key: str, start: date | None, end: date | None, limit: int
) -> list[Article]:
    query = (
        select(ArticleRow)
        .join(TrendHitRow, TrendHitRow.article_pk == ArticleRow.id)
        .where(TrendHitRow.kind == kind, TrendHitRow.key == key)
        .order_by(TrendHitRow.day.desc(), ArticleRow.published_at.desc(), ArticleRow.id)
        .limit(limit)
    )
    if start is not None:
        query = query.where(TrendHitRow.day >= start)
    if end is not None:
        query = query.where(TrendHitRow.day <= end)
    return [article_from_row(row) for row in session.scalars(query)]
