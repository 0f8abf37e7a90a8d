"""Match queries: one row per (article, rule), replaced when re-matched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select

from store.articles import article_from_row
from store.base import StoreBase
from store.models import ArticleRow, MatchRow
from store.records import Article, Match, Snippet, Span


class MatchQueries(StoreBase):
    """Facade methods for the matches table."""

    def replace_matches(
        self,
        article_pk: int,
        matches: Sequence[Match],
        now: datetime,
        *,
        rule_ids: Iterable[str] | None = None,
    ) -> int:
        """Store an article's matches, replacing earlier ones for the same rules.

        With ``rule_ids`` only those rules are replaced (a re-match after a rule
        edit); without, every earlier match of the article is replaced.
        Marks the article matched in the same transaction. (The trend counts are
        written per batch before, :meth:`store.trends.TrendQueries.replace_trend_hits`.)
        """
        rule_ids = None if rule_ids is None else list(rule_ids)
        with self._transaction() as session:
            stale = delete(MatchRow).where(MatchRow.article_pk == article_pk)
            if rule_ids is not None:
                stale = stale.where(MatchRow.rule_id.in_(list(rule_ids)))
            session.execute(stale)
            session.add_all(_row(article_pk, match, now) for match in matches)
            row = session.get(ArticleRow, article_pk)
            if row is not None:
                row.matched_at = now
            return len(matches)

    def matches_for_article(self, article_pk: int) -> list[Match]:
        with self._transaction() as session:
            rows = session.scalars(
                select(MatchRow).where(MatchRow.article_pk == article_pk).order_by(MatchRow.rule_id)
            )
            return [match_record(row) for row in rows]

    def count_matches(self, rule_id: str | None = None) -> int:
        query = select(func.count()).select_from(MatchRow)
        if rule_id:
            query = query.where(MatchRow.rule_id == rule_id)
        with self._transaction() as session:
            return int(session.scalar(query) or 0)

    def iter_matches(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        rule: str | None = None,
        batch: int = 500,
    ) -> Iterator[tuple[Match, Article]]:
        """Matches with their articles (published in ``[since, until)``, of ``source``,
        of ``rule``), by publication time then id, fetched in batches."""
        offset = 0
        while True:
            query = (
                select(MatchRow, ArticleRow)
                .join(ArticleRow, ArticleRow.id == MatchRow.article_pk)
                .order_by(ArticleRow.published_at, ArticleRow.id, MatchRow.rule_id)
            )
            if since:
                query = query.where(ArticleRow.published_at >= since)
            if until:
                query = query.where(ArticleRow.published_at < until)
            if source:
                query = query.where(ArticleRow.source == source)
            if rule:
                query = query.where(MatchRow.rule_id == rule)
            with self._transaction() as session:
                rows = session.execute(query.offset(offset).limit(batch)).all()
                pairs = [(match_record(m), article_from_row(a)) for m, a in rows]
            yield from pairs
            if len(rows) < batch:
                return
            offset += batch


def _row(article_pk: int, match: Match, now: datetime) -> MatchRow:
    return MatchRow(
        article_pk=article_pk,
        rule_id=match.rule_id,
        zones=list(match.zones),
        alias=match.alias,
        spans=[[s.zone, s.start, s.end, s.term] for s in match.spans],
        snippet=match.snippet.text,
        snippet_highlights=[list(h) for h in match.snippet.highlights],
        matched_at=now,
    )


def match_record(row: MatchRow) -> Match:
    """The record of a match row (the outbox queries use it too)."""
    return Match(
        id=row.id,
        article_id=row.article_pk,
        rule_id=row.rule_id,
        zones=tuple(row.zones),  # type: ignore[arg-type]
        alias=row.alias,
        spans=tuple(Span(str(z), int(a), int(b), str(t)) for z, a, b, t in row.spans),  # type: ignore[arg-type,call-overload]
        snippet=Snippet(row.snippet, tuple((int(a), int(b)) for a, b in row.snippet_highlights)),
        matched_at=row.matched_at,
    )
