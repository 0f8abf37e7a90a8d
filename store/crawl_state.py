"""Per-source crawl health and the HTTP validators used for conditional GET."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import select

from store.base import StoreBase
from store.models import HttpValidatorRow, SourceStateRow
from store.records import CrawlRun, SourceState, Validators

ERROR_TEXT_LIMIT = 2000


class CrawlStateQueries(StoreBase):
    """Facade methods for source_state and http_validators."""

    def source_state(self, source: str) -> SourceState:
        with self._transaction() as session:
            row = session.get(SourceStateRow, source)
            return _record(row) if row else SourceState(source=source)

    def source_states(self) -> list[SourceState]:
        with self._transaction() as session:
            rows = session.scalars(select(SourceStateRow).order_by(SourceStateRow.source))
            return [_record(row) for row in rows]

    def record_crawl(self, run: CrawlRun) -> SourceState:
        """Fold one crawl's outcome into the source's health counters."""
        with self._transaction() as session:
            row = session.get(SourceStateRow, run.source)
            if row is None:
                row = SourceStateRow(
                    source=run.source, consecutive_failures=0, empty_extraction_streak=0
                )
                session.add(row)
            row.last_run_at = run.finished_at
            row.last_new_articles = run.new_articles
            row.last_not_modified = run.not_modified
            row.last_extraction_failures = run.extraction_failures
            if run.succeeded:
                row.last_success_at = run.finished_at
                row.consecutive_failures = 0
            else:
                row.consecutive_failures = (row.consecutive_failures or 0) + 1
            if run.errors:
                row.last_error = "; ".join(run.errors)[:ERROR_TEXT_LIMIT]
                row.last_error_at = run.finished_at
            fetched = run.new_articles + run.updated_articles + run.extraction_failures
            if fetched and run.extraction_failures == fetched:
                row.empty_extraction_streak = (row.empty_extraction_streak or 0) + fetched
            elif fetched:
                row.empty_extraction_streak = 0
            _record_selectors(row, run)
            if run.backfill and row.backfilled_at is None:
                row.backfilled_at = run.finished_at
            session.flush()
            return _record(row)

    def validators(self, url: str) -> Validators | None:
        with self._transaction() as session:
            row = session.get(HttpValidatorRow, url)
            if row is None:
                return None
            return Validators(url=row.url, etag=row.etag, last_modified=row.last_modified)

    def save_validators(self, validators: Validators, now: datetime) -> None:
        with self._transaction() as session:
            row = session.get(HttpValidatorRow, validators.url)
            if row is None:
                row = HttpValidatorRow(url=validators.url)
                session.add(row)
            row.etag = validators.etag
            row.last_modified = validators.last_modified
            row.updated_at = now


def _record_selectors(row: SourceStateRow, run: CrawlRun) -> None:
    """The selector outcomes of the last crawl that fetched article pages, and its bodiless ones."""
    if run.extracted_pages == 0:
        return
    row.selectors_held = run.selectors_held
    row.selectors_rejected = run.selectors_rejected
    row.selectors_missing = run.selectors_missing
    row.selector_example_url = run.selector_example_url
    row.extracted_pages = run.extracted_pages
    row.bodiless_pages = run.bodiless_pages
    row.bodiless_example_url = run.bodiless_example_url


def _record(row: SourceStateRow) -> SourceState:
    return SourceState(**{f.name: getattr(row, f.name) for f in fields(SourceState)})
